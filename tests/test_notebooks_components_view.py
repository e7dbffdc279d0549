"""The notebooks' live component view on real running systems: it draws what the system started
(and greys out what archlab does not own), stops and starts a component on click, counts the
requests of its traffic loop, and leaves no thread behind when it or its system is closed."""

from __future__ import annotations

import threading
import time

import pytest

from archlab import notebook as nb
from archlab.notebook.components_view import ComponentsView, TrafficLoop, observe
from launch_helpers import embedded_system, http_server, writable_home
from patterns.launch.contract import FaultSpec
from patterns.launch.system import System
from patterns.settings import Settings

pytestmark = pytest.mark.slow  # real front processes


def eventually(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


def view_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("components-view")]


@pytest.fixture
def embedded(trained_home, tmp_path):
    system = embedded_system(writable_home(trained_home, tmp_path), "v2")
    with system:
        yield system


def test_a_click_stops_and_starts_the_app_and_the_view_shows_it(embedded):
    view = ComponentsView(embedded, poll_seconds=0.2)
    try:
        stop, start = view._buttons["web"]
        assert "running" in view._cards["web"].value and "model_version v2" in view._cards["web"].value
        assert not stop.disabled and start.disabled

        stop.click()
        assert embedded.status()["web"]["running"] is False
        assert "no answer at all" in view._last_action.value
        assert eventually(lambda: "stopped" in view._cards["web"].value)
        assert stop.disabled and not start.disabled

        start.click()
        assert embedded.status()["web"]["running"] is True
        assert "predictions as usual, model v2" in view._last_action.value
    finally:
        view.close()
    assert not view.polling and view_threads() == []


def test_the_traffic_loop_counts_answers_and_stops(embedded):
    loop = TrafficLoop(embedded.prediction_requests, rate=20, limit_s=30)
    loop.start()
    assert eventually(lambda: loop.counts()[0] >= 5)
    embedded.stop_component("web")
    assert eventually(lambda: loop.counts()[1] >= 1), "requests to a stopped app must count as failed"
    loop.stop()
    assert not loop.running


def test_the_traffic_loop_ends_by_itself(embedded):
    loop = TrafficLoop(embedded.prediction_requests, rate=20, limit_s=0.5)
    loop.start()
    assert eventually(lambda: not loop.running, timeout=10)


def test_a_stopped_system_ends_the_polling_and_greys_the_buttons(embedded):
    nb.track(embedded)
    view = ComponentsView(embedded, poll_seconds=0.1)
    nb.stop_all()
    assert eventually(lambda: not view.polling)
    assert "closed" in view._header.value
    assert all(button.disabled for pair in view._buttons.values() for button in pair)
    view.close()

    again = ComponentsView(embedded, poll_seconds=0.1)  # the view's cell re-run after stop_all()
    assert not again.polling and "closed" in again._header.value
    assert all(button.disabled for pair in again._buttons.values() for button in pair)
    again.close()


def test_a_second_view_of_the_same_system_replaces_the_first(embedded):
    first = ComponentsView(embedded, poll_seconds=0.1)
    second = ComponentsView(embedded, poll_seconds=0.1)
    try:
        assert not first.polling and second.polling
    finally:
        second.close()


class SharedDatabaseSystem(System):
    """A real process archlab owns, and a component it uses but must never stop."""

    architecture = "toy"

    def __init__(self, log_dir) -> None:
        super().__init__(settings=Settings(home=log_dir))
        self.log_dir = log_dir

    def start(self) -> System:
        self.launch(http_server("web", self.log_dir))
        return self

    def faults(self) -> list[FaultSpec]:
        return [*super().faults(), FaultSpec("database", "your own PostgreSQL database: reported, never stopped",
                                             breakable=False)]


def test_an_external_component_is_drawn_grey_with_no_working_button(tmp_path):
    with SharedDatabaseSystem(tmp_path) as system:
        states = {state.name: state for state in observe(system)}
        assert states["database"].state == "external" and states["web"].state == "running"
        view = ComponentsView(system, poll_seconds=0.2)
        try:
            assert all(button.disabled for button in view._buttons["database"])
            assert "never stopped" in view._cards["database"].value
        finally:
            view.close()


def test_an_update_to_the_version_already_served_is_refused_with_how_to_start_over(embedded):
    """A notebook's update cell run twice must not chart an update from v2 to itself."""
    from archlab.notebook.traffic import update_under_traffic

    with pytest.raises(RuntimeError, match="already serves v2.*Re-run the launch cell"):
        update_under_traffic(embedded, "v2")
