"""The System contract: one running architecture, as every caller (CLI, comparison, notebooks,
tests) drives it. docs/DESIGN.md ("The System contract") is the written form of this class.

A subclass starts its components in `start()` (`self.launch(process)` in dependency order, the web
front under `front_name`), implements `apply_update(version)`, and overrides what differs in its
kind: `capabilities`, `faults()`, `served_requests()`. What only some architectures have (answers
that come later, floors and figures of their own) is an optional protocol
(`patterns.launch.protocols`), never a method here that raises elsewhere. Everything else here is
shared: components stopped in reverse order on any exit, the update observed (process ids and files
before and after, the versions users are served), a per-run namespace removed at close.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import shutil
import sys
import time
from pathlib import Path

from shared_model import example_record

from patterns import http
from patterns.settings import Settings

from .contract import (
    AppliedUpdate, Capabilities, FaultSpec, FileWatch, PerformanceTarget, ServedRequest, Step, UpdateReport,
)
from .process import ManagedProcess, free_port, wait_for_http

log = logging.getLogger(__name__)
ADMIN_TOKEN = Settings.env_names()["admin_token"]


class System:
    """Context manager over the named components (usually `ManagedProcess`es) of one architecture."""

    architecture = ""
    # the settings its processes read: `Settings`, or its own subclass (patterns/<arch>/settings.py)
    settings_class: type[Settings] = Settings
    front_name = "web"
    front_instances = 1  # a system that replicates its app sets how many it runs
    capabilities = Capabilities()
    comparison_options: dict = {}  # how a comparison starts it (e.g. two instances), as constructor options
    # the options of its best-practice update, measured beside the naive one launched without them
    best_practice_options: dict = {}
    second_app = False  # also start a second application on the same model (`launch(arch, second_app=True)`)
    second_app_name = "report"
    targets: tuple[PerformanceTarget, ...] = ()  # what this machine should reach, checked by the report

    def __init__(self, settings: Settings | None = None, version: str | None = None, port: int | None = None,
                 namespace: str | None = None) -> None:
        self.components: dict[str, ManagedProcess] = {}
        settings = self.settings_class.from_settings(settings or Settings.from_env())
        self.settings = settings.in_namespace(namespace) if namespace else settings
        self.namespace = namespace
        self.version = version or self.settings.model_version
        self.port = port

    @classmethod
    def comparison_variants(cls, settings: Settings) -> dict[str, dict]:
        """Other ways a comparison measures this architecture beside the configured one
        (name suffix -> constructor options), e.g. the model API over each transport."""
        return {}

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> System:
        raise NotImplementedError

    def launch(self, process: ManagedProcess, timeout: float = 30.0) -> ManagedProcess:
        """Register `process`, start it and wait until it is healthy."""
        return self.launch_all([process], timeout)[0]

    def launch_all(self, processes: list[ManagedProcess], timeout: float = 30.0) -> list[ManagedProcess]:
        """Register and start every process, then wait until each is healthy: parts that do not
        need each other to start (replicas, a front and its model services) boot side by side."""
        for process in processes:
            self.components[process.name] = process
            process.start()
        for process in processes:
            process.wait_healthy(timeout)
        return processes

    def close(self) -> None:
        """Stop every component, last started first, then remove the run's namespace; one failing
        step does not skip the others, and a second call does nothing more."""
        for name in reversed(list(self.components)):
            try:
                self.components[name].stop()
            except Exception:
                log.exception("stopping %s failed", name)
        if self.namespace:
            try:
                self.remove_namespace()
            except Exception:
                log.exception("removing the namespace %s failed", self.namespace)

    def __enter__(self) -> System:
        try:
            self.start()
            if self.second_app:
                self.launch_second_app()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- the fronts users talk to -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The URL of the (first) web front users and measurements talk to."""
        return self.component(self.front_name).url

    @property
    def front_names(self) -> list[str]:
        """Every web front instance's component: `web`, then `web-2`... (`front_instances` of them)."""
        return [self.front_name] + [f"{self.front_name}-{i}" for i in range(2, self.front_instances + 1)]

    @property
    def front_urls(self) -> list[str]:
        """Every instance of the web front (one unless the architecture runs several)."""
        return [self.component(name).url for name in self.front_names]

    def prediction_requests(self, record: dict | None = None) -> list[ServedRequest]:
        """How a user asks each front instance for a price of `record` (the answer is the price, or
        a ticket where the answer comes later): what load, faults and drills send."""
        return [ServedRequest("POST", url + "/predict", record or example_record()) for url in self.front_urls]

    def served_requests(self, record: dict | None = None) -> list[ServedRequest]:
        """How a user gets an answer from each front instance, and where its model version is."""
        return self.prediction_requests(record)

    def served_versions(self) -> list[str | None]:
        """The model version a user is served by each front instance right now (None: no answer)."""
        versions = []
        for served in self.served_requests():
            try:
                versions.append(served.version_in(http.call_json(served.method, served.url, json=served.body)))
            except (OSError, RuntimeError, ValueError, KeyError, TypeError):
                versions.append(None)
        return versions

    # -- a second application on the same model --------------------------------------------------

    def launch_second_app(self, timeout: float = 30.0) -> ManagedProcess:
        """Start the pricing report (`patterns.report_app`), a different app that reaches the model
        the way the front does: with the front's settings, or `second_app_env()` where it differs."""
        port = free_port()
        front_env = dict(self.component(self.front_name).env)
        env = {ADMIN_TOKEN: secrets.token_urlsafe(32), **self.second_app_env()}
        process = self.launch(ManagedProcess(
            self.second_app_name,
            [sys.executable, "-m", "patterns.report_app", "--host", "127.0.0.1", "--port", str(port)],
            env=env, port=port,
        ))
        self._second_app_front_env = front_env
        # Up is not serving: a streaming app answers 503 until the model arrives from the topic.
        wait_for_http(process.url + "/report", timeout, alive=lambda: process.running)
        return process

    def second_app_env(self) -> dict[str, str]:
        """The second app's environment: the front's (an architecture whose every app carries its
        own copy of the model overrides this)."""
        return dict(self.component(self.front_name).env)

    @property
    def second_app_url(self) -> str:
        return self.component(self.second_app_name).url

    def _repoint_second_app(self) -> Step | None:
        """Give the running second app the front settings an update changed (the API's model
        service moved to a new address), without restarting it; the step it took, if any."""
        front_env = self.component(self.front_name).env
        changed = {k: v for k, v in front_env.items() if self._second_app_front_env.get(k) != v}
        if not changed:
            return None
        started = time.monotonic()
        report = self.component(self.second_app_name)
        if report.running:  # a stopped one gets them when it starts again
            http.call_json("POST", report.url + "/admin/settings", json={"env": changed}, timeout=30,
                           headers={"Authorization": f"Bearer {report.env[ADMIN_TOKEN]}"})
        report.env.update(changed)  # and its restarts
        self._second_app_front_env = dict(front_env)
        return Step(f"{self.second_app_name} re-pointed ({', '.join(sorted(changed))})", time.monotonic() - started,
                    "switch")

    # -- components and faults --------------------------------------------------------------------

    def component(self, name: str) -> ManagedProcess:
        try:
            return self.components[name]
        except KeyError:
            known = ", ".join(self.components) or "none"
            raise KeyError(f"{self.architecture or 'this'} system has no component {name!r} (it has: {known})") from None

    def faults(self) -> list[FaultSpec]:
        """What can be taken down, derived from what this instance started (plus what it uses but
        does not own, reported as external)."""
        return [FaultSpec(name, "its process is stopped (SIGTERM)") for name in self.components]

    def stop_component(self, name: str) -> None:
        self.component(name).stop()

    def kill_component(self, name: str) -> None:
        self.component(name).kill()

    def start_component(self, name: str, timeout: float = 30.0) -> float:
        process = self.component(name)
        process.start()
        return process.wait_healthy(timeout)

    def restart(self, name: str, timeout: float = 30.0) -> float:
        """Restart one component; return the seconds until it was healthy again."""
        return self.component(name).restart(timeout)

    def pids(self) -> dict[str, int | None]:
        return {name: process.pid for name, process in self.components.items()}

    def status(self) -> dict[str, dict]:
        return {
            name: {"running": process.running, "pid": process.pid, "url": process.url}
            for name, process in self.components.items()
        }

    # -- the model update ---------------------------------------------------------------------------

    def apply_update(self, version: str) -> AppliedUpdate:
        """Move every user to `version` the way this architecture's practitioners would."""
        raise NotImplementedError

    def update_watch(self) -> list[Path]:
        """Folders whose files a model update may rewrite (observed by `update_model`)."""
        return []

    def update_model(self, version: str) -> UpdateReport:
        """`apply_update`, observed: which processes were replaced, which files written, what users
        were served before and after."""
        served_before = tuple(self.served_versions())
        pids_before = self.pids()
        watch = FileWatch(self.settings.home, self.update_watch())
        applied = self.apply_update(version)
        if self.second_app_name in self.components and (step := self._repoint_second_app()):
            applied = dataclasses.replace(applied, steps=(*applied.steps, step))
        pids_after = self.pids()
        self.version = version
        return UpdateReport(
            version=version,
            strategy=applied.strategy,
            better_strategy=applied.better_strategy,
            steps=applied.steps,
            served_before=served_before,
            served_after=tuple(self.served_versions()),
            restarted=tuple(n for n, pid in pids_after.items() if n in pids_before and pids_before[n] != pid),
            started=tuple(n for n in pids_after if n not in pids_before),
            rebuilt=watch.changed() + applied.rebuilt,
            details=applied.details,
        )

    def rollback(self, version: str) -> UpdateReport:
        """Put every user back on the good `version` after a bad model went out, the way this
        architecture's practitioners would; by default the ordinary update to that version (a
        system where an older version cannot simply be published again overrides this)."""
        return self.update_model(version)

    # -- scaling ------------------------------------------------------------------------------------

    @classmethod
    def scale_options(cls, count: int) -> dict | None:
        """Constructor options that run `count` instances of the part this architecture scales
        (its `capabilities.scalable_component`, or the whole app); None: it cannot scale."""
        return None

    # -- the run's namespace --------------------------------------------------------------------------

    def namespace_resources(self) -> dict[str, str]:
        """The folder / topic / queue / database this run works in (empty without a namespace)."""
        return {"files": str(self.namespace_dir)} if self.namespace and self.namespace_dir.is_dir() else {}

    @property
    def namespace_dir(self) -> Path:
        return self.settings.home / "runs" / (self.namespace or "default")

    def remove_namespace(self) -> None:
        """Remove what the namespace created; subclasses add their topic, queue or database."""
        shutil.rmtree(self.namespace_dir, ignore_errors=True)



def wait_answering(system: System, timeout_s: float = 30.0) -> None:
    """After a component is back, the next step starts from a system whose every front instance
    serves a model again (read as a user would, `served_versions()`)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if None not in system.served_versions():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{system.architecture} still serves {system.served_versions()} {timeout_s:g} s after "
                       "a fault was repaired")
