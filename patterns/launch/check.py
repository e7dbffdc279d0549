"""`check_system(cls)`: one suite anyone can point at an architecture's `System` class, in the
spirit of scikit-learn's and River's `check_estimator`.

It reads the class, starts one system, exercises every method of the contract and every optional
protocol the system satisfies (`patterns.launch.protocols`), closes it and looks that nothing is
left running. Every problem found is collected and raised together as `SystemCheckFailed`, each
line naming the check and what is missing or wrong; a system that passes gets a `CheckReport`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.test import Client

from shared_model import example_record

from patterns import http
from patterns.settings import Settings

from .contract import AnswerTime, Capabilities, FaultSpec, FloorSamples, ServedRequest, UpdateReport
from .protocols import (
    OPTIONAL_PROTOCOLS, AnswersLater, FrontInProcess, MeasuresOwnFigures, MeasuresOwnFloors, PredictsInClient,
)
from .system import System, wait_answering

# Small amounts of work for the optional protocols: enough to exercise them, not to measure.
FLOOR_SAMPLES = 5
FIGURE_ROWS = 200
WORKER_ROWS = 100
USER_PATIENCE_S = 15.0


class SystemCheckFailed(AssertionError):
    """What `check_system` found missing or wrong, one line per problem."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{name} does not meet the System contract:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass
class CheckReport:
    """The checks a system passed, and the optional protocols it satisfies."""

    architecture: str
    passed: list[str] = field(default_factory=list)
    protocols: list[str] = field(default_factory=list)


@dataclass
class _Run:
    """One checked system and what the checks learnt on the way."""

    system: System
    version: str
    to_version: str
    report: CheckReport
    problems: list[str]

    def check(self, name: str, step: Callable[[System, _Run], None]) -> None:
        try:
            step(self.system, self)
        except Exception as exc:  # every problem is collected, so one run says everything that is wrong
            self.problems.append(f"{name}: {type(exc).__name__}: {exc}" if not isinstance(exc, AssertionError)
                                 else f"{name}: {exc}")
        else:
            self.report.passed.append(name)


def check_system(cls: type, settings: Settings | None = None, version: str = "v1", to_version: str = "v2",
                 namespace: str = "check", **options) -> CheckReport:
    """Check `cls` (a `System` subclass) against the contract on a real, running system.

    `settings` and `options` are passed to the constructor, after the class's own
    `comparison_options`; the store under `settings.home` must hold `version` and `to_version`.
    The system starts on `version`, is updated to `to_version` and rolled back to `version`; it
    works in `namespace` and leaves nothing behind."""
    name = getattr(cls, "__name__", repr(cls))
    problems = _class_problems(cls, settings or Settings.from_env())
    if not (isinstance(cls, type) and issubclass(cls, System)):
        raise SystemCheckFailed(name, problems)
    system = cls(settings=settings, version=version, namespace=namespace, **{**cls.comparison_options, **options})
    report = CheckReport(cls.architecture)
    try:
        system.__enter__()
    except Exception as exc:
        raise SystemCheckFailed(name, [*problems, f"start: {type(exc).__name__}: {exc}"]) from exc
    run = _Run(system, version, to_version, report, problems)
    try:
        for check_name, step in RUNNING_CHECKS:
            run.check(check_name, step)
        for protocol, (check_name, step) in PROTOCOL_CHECKS.items():
            if isinstance(system, protocol):
                report.protocols.append(protocol.__name__)
                run.check(check_name, step)
    finally:
        system.__exit__(None, None, None)
    run.check("close", _check_closed)
    if problems:
        raise SystemCheckFailed(name, problems)
    return report


# -- the class, before anything starts ------------------------------------------------------------

def _class_problems(cls: type, settings: Settings) -> list[str]:
    if not (isinstance(cls, type) and issubclass(cls, System)):
        return [f"class: {cls!r} is not a subclass of patterns.launch.system.System"]
    problems = []
    if not (isinstance(cls.architecture, str) and cls.architecture):
        problems.append("class: `architecture` must name the architecture (a non-empty string)")
    for method in ("start", "apply_update"):
        if getattr(cls, method) is getattr(System, method):
            problems.append(f"class: {method}() is not implemented (System's raises NotImplementedError)")
    if not isinstance(cls.comparison_options, dict):
        problems.append(f"class: comparison_options must be a dict of constructor options; got "
                        f"{cls.comparison_options!r}")
    variants = cls.comparison_variants(settings)
    if not (isinstance(variants, dict) and all(isinstance(v, dict) for v in variants.values())):
        problems.append(f"class: comparison_variants() must be {{suffix: constructor options}}; got {variants!r}")
    for count in (1, 2):
        scaled = cls.scale_options(count)
        if scaled is not None and not isinstance(scaled, dict):
            problems.append(f"class: scale_options({count}) must be constructor options or None; got {scaled!r}")
    for protocol in OPTIONAL_PROTOCOLS:
        needed = [member for member in vars(protocol) if not member.startswith("_")]
        present = [member for member in needed if callable(getattr(cls, member, None))]
        if present and len(present) < len(needed):
            missing = ", ".join(f"{m}()" for m in needed if m not in present)
            problems.append(f"class: has {', '.join(f'{m}()' for m in present)} of {protocol.__name__} but not "
                            f"{missing}: the protocol is all of them or none")
        for member in present:
            own, wanted = inspect.signature(getattr(cls, member)), inspect.signature(getattr(protocol, member))
            if not set(wanted.parameters) <= set(own.parameters):
                problems.append(f"class: {member}{own} does not take the parameters of "
                                f"{protocol.__name__}.{member}{wanted}")
    return problems


# -- the running system -----------------------------------------------------------------------------

def _check_capabilities(system: System, run: _Run) -> None:
    assert isinstance(system.capabilities, Capabilities), f"capabilities is {system.capabilities!r}, not Capabilities"
    claims, satisfies = system.capabilities.answers_later, isinstance(system, AnswersLater)
    assert claims == satisfies, (f"capabilities.answers_later is {claims} but the system "
                                 f"{'satisfies' if satisfies else 'does not satisfy'} AnswersLater")
    claims, satisfies = system.capabilities.predicts_in_client, isinstance(system, PredictsInClient)
    assert claims == satisfies, (f"capabilities.predicts_in_client is {claims} but the system "
                                 f"{'satisfies' if satisfies else 'does not satisfy'} PredictsInClient")
    scalable = system.capabilities.scalable_component
    assert scalable is None or scalable in system.components, (
        f"capabilities.scalable_component {scalable!r} is not one of the components {list(system.components)}")


def _check_components(system: System, run: _Run) -> None:
    assert system.components, "no component was started"
    assert set(system.pids()) == set(system.components), f"pids() {system.pids()} is not one pid per component"
    status = system.status()
    assert set(status) >= set(system.components), f"status() lacks {set(system.components) - set(status)}"
    for name, state in status.items():
        assert set(state) >= {"running", "pid", "url"}, f"status()[{name!r}] lacks running, pid or url: {state}"
    stopped = [name for name, process in system.components.items() if not process.running]
    assert not stopped, f"components not running after start: {stopped}"
    assert system.component(system.front_name) is system.components[system.front_name]


def _check_fronts(system: System, run: _Run) -> None:
    assert system.front_urls and system.url == system.front_urls[0], "url must be the first of front_urls"
    for url in system.front_urls:
        status = http.call_json("GET", url + "/status")
        assert status["architecture"] == system.architecture, (
            f"{url}/status says architecture {status['architecture']!r}, the class {system.architecture!r}")
        assert isinstance(status["runtime"]["scikit_learn_loaded"], bool), f"{url}/status: runtime.scikit_learn_loaded"
        assert status["runtime"]["pid"] > 0, f"{url}/status: runtime.pid"


def _check_served(system: System, run: _Run) -> None:
    served = system.served_requests()
    assert all(isinstance(s, ServedRequest) for s in served), f"served_requests() returned {served!r}"
    assert len(served) == len(system.front_urls), (
        f"served_requests() has {len(served)} requests for {len(system.front_urls)} front instances")
    assert system.served_versions() == [run.version] * len(served), (
        f"served_versions() is {system.served_versions()} right after starting on {run.version}")


def _check_namespace(system: System, run: _Run) -> None:
    resources = system.namespace_resources()
    assert isinstance(resources, dict) and all(isinstance(v, str) for v in resources.values()), (
        f"namespace_resources() must be {{kind: where}}; got {resources!r}")


def _check_faults_declared(system: System, run: _Run) -> None:
    faults = system.faults()
    assert all(isinstance(f, FaultSpec) and f.how for f in faults), f"faults() must be FaultSpecs with `how`: {faults}"
    breakable = {f.component for f in faults if f.breakable}
    assert set(system.components) <= breakable, (
        f"components archlab started but faults() does not let be taken down: {set(system.components) - breakable}")
    for fault in (f for f in faults if not f.breakable):  # what archlab did not start is never stopped
        assert fault.component not in system.components, f"{fault.component} is started by archlab yet external"
        assert "not stopped by archlab" in fault.how, f"external {fault.component}: `how` must say it is not stopped"


def _check_faults_recover(system: System, run: _Run) -> None:
    """Each fault taken down and brought back; the system serves again on its own."""
    for fault in (f for f in system.faults() if f.breakable):
        system.stop_component(fault.component)
        try:
            answer = _answer(system)
            if fault.component == system.front_name:
                assert answer is None, f"with {fault.component} stopped, its front still answered {answer}"
        finally:
            system.start_component(fault.component)
        wait_answering(system)
    assert None not in system.served_versions(), f"after the faults: {system.served_versions()}"


def _check_kill_and_restart(system: System, run: _Run) -> None:
    front = system.front_name
    killed = system.pids()[front]
    system.kill_component(front)
    assert _answer(system) is None, f"the front answered after kill_component({front!r})"
    seconds = system.start_component(front)
    assert isinstance(seconds, float) and system.pids()[front] != killed, "start_component() after a kill"
    before = system.pids()[front]
    seconds = system.restart(front)
    assert isinstance(seconds, float) and seconds > 0, f"restart({front!r}) returned {seconds!r}, not seconds"
    assert system.pids()[front] != before, f"restart({front!r}) kept the same process"
    wait_answering(system)


def _check_update(system: System, run: _Run) -> None:
    pids_before = system.pids()
    report = system.update_model(run.to_version)
    _check_update_report(system, report, run.version, run.to_version)
    changed = {name for name, pid in system.pids().items() if name in pids_before and pids_before[name] != pid}
    assert set(report.restarted) == changed, f"restarted {report.restarted} but the pids of {changed} changed"
    assert report.strategy and report.total_seconds > 0, "an update names its strategy and takes time"


def _check_rollback(system: System, run: _Run) -> None:
    _check_update_report(system, system.rollback(run.version), run.to_version, run.version)


def _check_update_report(system: System, report: UpdateReport, before: str, after: str) -> None:
    assert isinstance(report, UpdateReport), f"returned {report!r}, not an UpdateReport"
    assert set(report.served_before) == {before} and set(report.served_after) == {after}, (
        f"served {report.served_before} -> {report.served_after}, expected {before} -> {after}")
    assert len(report.served_after) == len(system.front_urls), "served_after must have one version per instance"
    assert report.steps and {step.phase for step in report.steps} <= {"build", "switch"}, f"steps {report.steps}"
    assert system.served_versions() == list(report.served_after), "the report's served_after is not what users get"


def _check_answers_later(system: System, run: _Run) -> None:
    seconds = system.time_to_answer()
    assert isinstance(seconds, float) and seconds > 0, f"time_to_answer() returned {seconds!r}"
    answer = system.answer_time()
    assert isinstance(answer, AnswerTime) and answer.seconds > 0, f"answer_time() returned {answer!r}"
    assert answer.parts and all(part >= 0 for part in answer.parts.values()), f"answer_time().parts {answer.parts}"
    rate = system.workers_rows_per_s(WORKER_ROWS)
    assert rate > 0, f"workers_rows_per_s({WORKER_ROWS}) returned {rate!r}"
    assert None not in system.served_versions()


def _check_floors(system: System, run: _Run) -> None:
    for floor in system.floors(FLOOR_SAMPLES):
        assert isinstance(floor, FloorSamples), f"floors() returned {floor!r}"
        assert len(floor.samples_ms) + floor.failed == FLOOR_SAMPLES and floor.failed == 0, (
            f"floor {floor.name}: {len(floor.samples_ms)} samples, {floor.failed} failed of {FLOOR_SAMPLES}")
    assert None not in system.served_versions(), "whatever the floors paused did not come back"


def _check_front_in_process(system: System, run: _Run) -> None:
    answer = Client(system.front_app(run.version)).post("/predict", json=example_record())
    assert answer.status_code == 200, f"front_app({run.version!r}): POST /predict answered {answer.status}"
    assert answer.get_json()["model_version"] == run.version, f"front_app({run.version!r}) answered {answer.get_json()}"


def _check_figures(system: System, run: _Run) -> None:
    figures = system.figures(FIGURE_ROWS)
    assert isinstance(figures, dict) and all(isinstance(k, str) and isinstance(v, (int, float))
                                             for k, v in figures.items()), f"figures() returned {figures!r}"
    assert None not in system.served_versions(), "whatever the figures paused did not come back"


def _check_in_client(system: System, run: _Run) -> None:
    """Its engine and its bundle; its pages need a browser, which the comparison launches."""
    seconds = system.client_prediction_seconds(2)
    assert len(seconds) == 2 and all(s > 0 for s in seconds), f"client_prediction_seconds(2) returned {seconds!r}"
    assert system.bundle_bytes() > 0, f"bundle_bytes() returned {system.bundle_bytes()!r}"


def _check_closed(system: System, run: _Run) -> None:
    running = [name for name, process in system.components.items() if process.running]
    assert not running, f"still running after close(): {running}"
    assert not system.namespace_dir.exists(), f"the namespace folder {system.namespace_dir} is left behind"


def _answer(system: System) -> int | None:
    """The first front's answer to a user's request (its status), None when nobody answers."""
    served = system.served_requests()[0]
    try:
        return http.call(served.method, served.url, json=served.body, timeout=USER_PATIENCE_S).status
    except http.NoAnswer:
        return None


# In this order: read-only checks first; the faults leave it serving `version`, the update moves
# it to `to_version`, the rollback back to `version`.
RUNNING_CHECKS: tuple[tuple[str, Callable[[System, _Run], None]], ...] = (
    ("capabilities", _check_capabilities),
    ("components, pids() and status()", _check_components),
    ("fronts' /status", _check_fronts),
    ("served_requests() and served_versions()", _check_served),
    ("namespace_resources()", _check_namespace),
    ("faults() declared", _check_faults_declared),
    ("each fault taken down and recovered", _check_faults_recover),
    ("kill_component(), start_component() and restart() of the front", _check_kill_and_restart),
    ("update_model()", _check_update),
    ("rollback()", _check_rollback),
)
PROTOCOL_CHECKS: dict[type, tuple[str, Callable[[System, _Run], None]]] = {
    AnswersLater: ("AnswersLater: time_to_answer(), answer_time(), workers_rows_per_s()", _check_answers_later),
    MeasuresOwnFloors: ("MeasuresOwnFloors: floors()", _check_floors),
    MeasuresOwnFigures: ("MeasuresOwnFigures: figures()", _check_figures),
    PredictsInClient: ("PredictsInClient: client_prediction_seconds(), bundle_bytes()", _check_in_client),
    FrontInProcess: ("FrontInProcess: front_app()", _check_front_in_process),
}
