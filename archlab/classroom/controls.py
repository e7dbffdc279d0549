"""The instructor's controls: a request checked completely before anything changes, then run on
the panel's own worker thread (one action at a time per panel, panels side by side), through the
System contract the comparison uses: `update_model`, `rollback`, `stop_component`,
`start_component`, `kill_component`, `scale_options`. What was asked and what each system reported
lands in the event list."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .board import EventLog
from .panel import START_VERSION, Panel

ALL_PANELS = ("release", "rollback", "reset", "pause", "resume")  # may name one panel, or act on all
COMPONENT_ACTIONS = ("stop", "start", "kill")
ACTIONS = (*ALL_PANELS, *COMPONENT_ACTIONS, "scale")


class ControlError(Exception):
    """A control request refused before anything changed: HTTP `status`, and what was wrong per field."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields or {}

    def as_dict(self) -> dict:
        return {"error": self.message, "fields": self.fields}


@dataclass(frozen=True)
class Control:
    action: str
    panels: tuple[str, ...]
    component: str | None = None
    version: str | None = None
    direction: str | None = None

    def label(self) -> str:
        what = {"release": f"release {self.version}", "rollback": f"roll back{' to ' + self.version if self.version else ''}",
                "scale": f"scale {self.direction}", "kill": f"kill -9 {self.component}"}
        return what.get(self.action, f"{self.action} {self.component or ''}".strip())


class Controls:
    def __init__(self, panels: dict[str, Panel], events: EventLog, versions) -> None:
        self.panels, self.events, self.versions = panels, events, versions  # versions(): the store's, now
        self.traffic_on = True
        self._workers = {name: ThreadPoolExecutor(1, thread_name_prefix=f"control-{name}") for name in panels}

    # -- checked before anything changes ----------------------------------------------------------

    def parse(self, body: object) -> Control:
        if not isinstance(body, dict):
            raise ControlError(400, "a control is a JSON object, e.g. {\"action\": \"release\", \"version\": \"v2\"}")
        action = body.get("action")
        if action not in ACTIONS:
            raise ControlError(422, "unknown action", {"action": f"one of {', '.join(ACTIONS)}; got {action!r}"})
        panel = body.get("panel")
        if panel is not None and panel not in self.panels:
            raise ControlError(404, "no such panel", {"panel": f"one of {', '.join(self.panels)}; got {panel!r}"})
        if panel is None and action not in ALL_PANELS:
            raise ControlError(422, "this action needs a panel", {"panel": f"one of {', '.join(self.panels)}"})
        control = Control(action, (panel,) if panel else tuple(self.panels), body.get("component"),
                          body.get("version"), body.get("direction"))
        if action == "release" or (action == "rollback" and control.version is not None):
            self._check_version(control.version)
        if action in COMPONENT_ACTIONS:
            self._check_component(self.panels[panel], control.component)
        if action == "scale":
            self._check_scale(self.panels[panel], control.direction)
        return control

    def _check_version(self, version: object) -> None:
        known = self.versions()
        if version not in known:
            raise ControlError(422, "unknown model version",
                               {"version": f"one of the stored versions {', '.join(known)}; got {version!r}"})

    @staticmethod
    def _check_component(panel: Panel, component: object) -> None:
        names = panel.component_names()
        if component not in names:
            raise ControlError(404, "no such component", {
                "component": f"{panel.name} has {', '.join(names) or 'no running system'}; got {component!r}"})
        if component not in panel.breakable():
            raise ControlError(422, "archlab does not stop this component",
                               {"component": f"{component} is external, shared with other users"})

    @staticmethod
    def _check_scale(panel: Panel, direction: object) -> None:
        if direction not in ("up", "down"):
            raise ControlError(422, "scale needs a direction", {"direction": f"up or down; got {direction!r}"})
        count = panel.scale + (1 if direction == "up" else -1)
        if panel.system is None or panel.scale_options(count) is None:
            raise ControlError(422, f"{panel.name} cannot run {count} of what it scales",
                               {"direction": f"it runs {panel.scale} now"})

    # -- run in the background ----------------------------------------------------------------------

    def submit(self, control: Control) -> None:
        self.events.add(f"asked: {control.label()}", None if len(control.panels) > 1 else control.panels[0], "control")
        if control.action in ("pause", "resume"):
            self.traffic_on = control.action == "resume"
        for name in control.panels:
            self._workers[name].submit(self._run, self.panels[name], control)

    def _run(self, panel: Panel, control: Control) -> None:
        if panel.system is None and control.action != "reset":
            self.events.add(f"{control.label()}: not available ({panel.unavailable})", panel.name, "error")
            return
        panel.busy = control.label()
        try:
            getattr(self, f"_{control.action}")(panel, control)
        except Exception as exc:  # reported on the page; the classroom goes on
            self.events.add(f"{control.label()} failed: {type(exc).__name__}: {str(exc)[:300]}", panel.name, "error")
        finally:
            panel.busy = None
            panel.acting_on.clear()

    def _release(self, panel: Panel, control: Control) -> None:
        self._update(panel, control.version, panel.system.update_model, "release")
        panel.released.append(control.version)

    def _rollback(self, panel: Panel, control: Control) -> None:
        target = control.version or next((v for v in reversed(panel.released) if v != panel.system.version), None)
        if target is None:
            self.events.add(f"nothing to roll back to: only {panel.system.version} was released", panel.name, "error")
            return
        self._update(panel, target, panel.system.rollback, "rollback")
        panel.released.append(target)

    def _update(self, panel: Panel, version: str, how, word: str) -> None:
        started = time.time()
        self.events.add(f"{word} to {version} started", panel.name, "update")
        report = how(version)
        at = started
        for step in report.steps:
            at += step.seconds
            self.events.add(f"{step.label} ({step.seconds:.1f} s, {step.phase})", panel.name, "step", at)
        changed = [f"restarted {', '.join(report.restarted)}"] if report.restarted else []
        changed += [f"started {', '.join(report.started)}"] if report.started else []
        self.events.add(f"{word} to {version} done in {report.total_seconds:.1f} s (build {report.build_seconds:.1f} s, "
                        f"switch {report.switch_seconds:.1f} s){'; ' + '; '.join(changed) if changed else ''}",
                        panel.name, "update")

    def _stop(self, panel: Panel, control: Control) -> None:
        panel.system.stop_component(control.component)
        panel.stopped.add(control.component)
        self.events.add(f"{control.component} stopped", panel.name, "fault")

    def _kill(self, panel: Panel, control: Control) -> None:
        panel.system.kill_component(control.component)
        self.events.add(f"{control.component} killed (SIGKILL)", panel.name, "fault")

    def _start(self, panel: Panel, control: Control) -> None:
        panel.acting_on.add(control.component)
        seconds = panel.system.start_component(control.component)
        panel.stopped.discard(control.component)
        self.events.add(f"{control.component} started, healthy after {seconds:.1f} s", panel.name, "fault")

    def _scale(self, panel: Panel, control: Control) -> None:
        count = panel.scale + (1 if control.direction == "up" else -1)
        panel.relaunch({**panel.options, **panel.scale_options(count)}, panel.system.version, self.traffic_on)
        self.events.add(f"started again with {count} of {panel.cls.capabilities.scalable_component or 'the whole app'} "
                        "(scale is a constructor option: the system is relaunched)", panel.name, "scale")

    def _pause(self, panel: Panel, control: Control) -> None:
        panel.traffic.stop()

    def _resume(self, panel: Panel, control: Control) -> None:
        if not panel.traffic.running:
            panel.traffic.start()

    def _reset(self, panel: Panel, control: Control) -> None:
        """Back to how the classroom started: every component up, its first scale, v1, traffic on."""
        self.traffic_on = True
        panel.released = [START_VERSION]
        if panel.system is None or panel.scale != panel.initial_scale:
            panel.relaunch(dict(panel.base_options), START_VERSION, True)
            self.events.add("started again on v1" if panel.system else f"still not available: {panel.unavailable}",
                            panel.name, "update" if panel.system else "error")
            return
        for name, status in panel.system.status().items():
            if not status["running"] and name in panel.breakable():
                panel.acting_on.add(name)
                panel.system.start_component(name)
                panel.stopped.discard(name)
        self._resume(panel, control)
        if panel.system.version != START_VERSION:
            self._update(panel, START_VERSION, panel.system.rollback, "rollback")

    def close(self) -> None:
        for worker in self._workers.values():
            worker.shutdown(wait=False, cancel_futures=True)
