"""A live view of one running System: its components drawn as boxes, their state polled, requests
flowing through the front, and a stop / start button per component.

Everything shown is read from the system, never typed: the components and whether archlab may
stop them come from `system.status()` and `system.faults()`, each front's state from its own
GET /status, the request counts from a traffic loop the student starts and stops. The contract
offers state, not events, so a poller thread reads it every `poll_seconds`.

Threads never outlive their purpose: the poller ends when the view is closed, when another view
of the same system replaces it (a re-run cell), or when the system is stopped (`nb.stop_all()`,
kernel exit) — the view then says so and its buttons go grey. The traffic loop ends by itself
after `TRAFFIC_LIMIT_S` seconds, at most `TRAFFIC_RATE` requests a second.
"""

from __future__ import annotations

import collections
import html
import itertools
import threading
import time
import weakref
from dataclasses import dataclass

import ipywidgets as widgets

from patterns import http

from .registry import is_stopped
from .traffic import user_sees

POLL_SECONDS = 1.0
WINDOW_SECONDS = 5.0
TRAFFIC_RATE = 5.0
TRAFFIC_LIMIT_S = 60.0
FRONT_STATUS_KEYS = ("model_version", "broker", "requests_pending", "review_pending", "workers", "rejected",
                     "database_ok", "model_service")
CLOSED = "this system is closed (nb.stop_all()): re-run the cell that starts it, then this one"
COLOURS = {"running": "#d9f2d9", "stopped": "#f8d7d7", "external": "#e6e6e6"}


@dataclass(frozen=True)
class ComponentState:
    """One component as observed now; `running` is None for one archlab does not own (external)."""

    name: str
    running: bool | None
    pid: int | None
    url: str | None
    breakable: bool
    how: str
    front_status: str | None = None  # a front's GET /status, summarised

    @property
    def state(self) -> str:
        return "external" if self.running is None else "running" if self.running else "stopped"


def front_status_summary(url: str) -> str:
    """The few fields of a front's GET /status that show what it serves, or why it does not answer."""
    try:
        body = http.call_json("GET", url + "/status", timeout=2.0)
    except http.BadStatus as exc:
        return f"GET /status: answered {exc.status}"
    except (OSError, RuntimeError, ValueError) as exc:
        return f"GET /status: no answer ({type(exc).__name__})"
    shown = [f"{key} {body[key]}" for key in FRONT_STATUS_KEYS if key in body and not isinstance(body[key], dict)]
    return "GET /status: " + (", ".join(shown) or "answered")


def observe(system) -> list[ComponentState]:
    """Every component of `system` with its state: what it started, then what it uses but does not own."""
    status = system.status()
    faults = {fault.component: fault for fault in system.faults()}
    fronts = set(system.front_urls)
    states = []
    for name in [*status, *(name for name in faults if name not in status)]:
        fault, seen = faults.get(name), status.get(name)
        running = None if seen is None or (fault is not None and not fault.breakable) else bool(seen["running"])
        url = seen.get("url") if seen else None
        polled = front_status_summary(url) if url in fronts and running else None
        states.append(ComponentState(name, running, seen.get("pid") if seen else None, url,
                                     fault.breakable if fault else True, fault.how if fault else "", polled))
    return states


class TrafficLoop:
    """A user's prediction request (`requests()`, e.g. the system's `prediction_requests`: the
    example house) to each front instance in turn, in a thread of its own, at most `rate` a second, for at most `limit_s` seconds; counts what was answered."""

    def __init__(self, requests, rate: float = TRAFFIC_RATE, limit_s: float = TRAFFIC_LIMIT_S,
                 window_s: float = WINDOW_SECONDS) -> None:
        self._requests, self.rate, self.limit_s, self.window_s = requests, rate, limit_s, window_s
        self._results: collections.deque[tuple[float, bool]] = collections.deque(maxlen=int(rate * window_s * 4) + 10)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="components-view-traffic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def counts(self) -> tuple[int, int]:
        """(answered, failed) in the last `window_s` seconds; a 5xx or no answer is a failure."""
        since = time.monotonic() - self.window_s
        recent = [ok for at, ok in list(self._results) if at >= since]
        return sum(recent), len(recent) - sum(recent)

    def _run(self) -> None:
        deadline = time.monotonic() + self.limit_s
        for request in itertools.cycle(self._requests() or [None]):
            if self._stop.is_set() or time.monotonic() > deadline:
                return
            started = time.monotonic()
            try:
                ok = request is not None and http.call(request.method, request.url, json=request.body,
                                                       timeout=5.0).status < 500
            except (OSError, ValueError):
                ok = False
            self._results.append((time.monotonic(), ok))
            self._stop.wait(max(0.0, 1.0 / self.rate - (time.monotonic() - started)))


def _card(state: ComponentState) -> str:
    lines = [f"<b>{html.escape(state.name)}</b>", state.state]
    if state.pid:
        lines.append(f"pid {state.pid}")
    if state.url:
        lines.append(html.escape(state.url))
    if state.front_status:
        lines.append(html.escape(state.front_status))
    if state.running is None:
        lines.append(html.escape(state.how or "not archlab's: reported, never stopped"))
    return (f'<div style="background:{COLOURS[state.state]};border:1px solid #888;border-radius:6px;'
            f'padding:6px;width:210px;min-height:90px;font-size:12px;line-height:1.35">{"<br>".join(lines)}</div>')


_views: dict[int, weakref.ref] = {}  # id(system) -> its live view: a re-run cell replaces the old one


class ComponentsView(widgets.VBox):
    """The widget; display it as a cell's last value. `close()` ends its threads."""

    def __init__(self, system, poll_seconds: float = POLL_SECONDS) -> None:
        self.system, self.poll_seconds = system, poll_seconds
        self._stop = threading.Event()
        self.traffic = TrafficLoop(system.prediction_requests)
        self._header = widgets.HTML()
        self._cards: dict[str, widgets.HTML] = {}
        self._buttons: dict[str, tuple[widgets.Button, widgets.Button]] = {}
        self._traffic_button = widgets.ToggleButton(description="send traffic", icon="play",
                                                    tooltip=f"{TRAFFIC_RATE:g} requests/s for at most {TRAFFIC_LIMIT_S:g} s")
        self._traffic_button.observe(self._toggle_traffic, names="value")
        self._traffic_counts = widgets.HTML()
        self._last_action = widgets.HTML()
        states = observe(system)
        super().__init__([self._header, widgets.HBox([self._column(state) for state in states]),
                          widgets.HBox([self._traffic_button, self._traffic_counts]), self._last_action])
        self._show(states)
        self._poller = threading.Thread(target=self._poll, name="components-view-poll", daemon=True)
        previous = _views.get(id(system))
        if previous is not None and previous() is not None:
            previous().close()
        _views[id(system)] = weakref.ref(self)
        if self.system_closed:  # its buttons would start processes of a system nobody stops any more
            self._end(CLOSED)
        else:
            self._poller.start()

    # -- drawing -----------------------------------------------------------------------------------

    def _column(self, state: ComponentState) -> widgets.VBox:
        card = self._cards[state.name] = widgets.HTML()
        stop, start = widgets.Button(description="stop", icon="stop"), widgets.Button(description="start", icon="play")
        for button, action in ((stop, "stop"), (start, "start")):
            button.layout.width = "100px"
            button.on_click(lambda _button, name=state.name, action=action: self._act(name, action))
        self._buttons[state.name] = (stop, start)
        return widgets.VBox([card, widgets.HBox([stop, start])])

    def _show(self, states: list[ComponentState]) -> None:
        for state in states:
            if state.name not in self._cards:  # a component that appeared later (e.g. during an update)
                continue
            self._cards[state.name].value = _card(state)
            stop, start = self._buttons[state.name]
            stop.disabled = not state.breakable or state.running is not True
            start.disabled = not state.breakable or state.running is not False
        answered, failed = self.traffic.counts()
        sending = "sending" if self.traffic.running else "not sending"
        self._traffic_counts.value = (f"&nbsp;{sending}; last {WINDOW_SECONDS:g} s: <b>{answered}</b> answered, "
                                      f"<b style='color:#b00'>{failed}</b> failed")
        if self.traffic.running != self._traffic_button.value:
            self._traffic_button.value = self.traffic.running  # the loop ended by itself
        self._header.value = (f"<b>{html.escape(self.system.architecture)} system</b>: "
                              f"polled every {self.poll_seconds:g} s, at {time.strftime('%H:%M:%S')}")

    # -- actions -----------------------------------------------------------------------------------

    def _act(self, name: str, action: str) -> None:
        try:
            getattr(self.system, f"{action}_component")(name)
            seen = f"{action} {name} -> a user gets: {user_sees(self.system)}"
        except Exception as exc:  # shown, not raised: a click has no cell to fail in
            seen = f"{action} {name} failed: {type(exc).__name__}: {exc}"
        self._last_action.value = html.escape(seen)
        self._refresh()

    def _toggle_traffic(self, change) -> None:
        (self.traffic.start if change["new"] else self.traffic.stop)()

    # -- polling and its end -------------------------------------------------------------------------

    @property
    def system_closed(self) -> bool:
        """The system this view draws was stopped by `nb.stop_all()` (or at kernel exit), maybe
        before this view was made: a cell re-run after `stop_all()` still names the old system."""
        return is_stopped(self.system)

    @property
    def polling(self) -> bool:
        return self._poller.is_alive()

    def _refresh(self) -> None:
        try:
            self._show(observe(self.system))
        except Exception as exc:  # the view must outlive a failing poll: say it and poll again
            self._header.value = html.escape(f"reading the system failed: {type(exc).__name__}: {exc}")

    def _poll(self) -> None:
        """Runs in its own thread, so nothing here may print or raise: a traceback would land in
        whichever cell runs at that moment."""
        try:
            while not self._stop.wait(self.poll_seconds):
                if self.system_closed:
                    self._end(CLOSED)
                    return
                self._refresh()
        except Exception:  # the widgets went away under us (kernel shutting down): nothing left to show
            self._stop.set()

    def _end(self, message: str) -> None:
        self._stop.set()
        self.traffic.stop()
        for button in [*itertools.chain.from_iterable(self._buttons.values()), self._traffic_button]:
            button.disabled = True
        self._header.value = f"<b>{html.escape(message)}</b>"

    def close(self) -> None:
        self._end("this view is closed")
        if self._poller.is_alive() and self._poller is not threading.current_thread():
            self._poller.join(timeout=10)
        for child in self._widgets():
            child.close()
        super().close()

    def _widgets(self) -> list[widgets.Widget]:
        pending, found = list(self.children), []
        while pending:
            child = pending.pop()
            found.append(child)
            pending.extend(getattr(child, "children", ()))
        return found


def component_view(system, poll_seconds: float = POLL_SECONDS) -> ComponentsView:
    """A live view of `system`'s components (see the module docstring); one per system at a time."""
    return ComponentsView(system, poll_seconds)
