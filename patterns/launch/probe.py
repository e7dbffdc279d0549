"""Watch a front from outside while it changes, to measure what its users would have noticed."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class Probe:
    """One request: when it was sent (seconds since probing began), whether it succeeded, and the version."""

    at: float
    ok: bool
    model_version: str | None = None
    error: str | None = None


class Prober:
    """A background thread POSTing one house to `<url>/predict` every `interval` seconds until stopped.

    Use it as a context manager around a redeploy; `unavailable_seconds` then says for how long
    requests failed, to within one probe interval.
    """

    def __init__(self, url: str, record: dict, interval: float = 0.02, timeout: float = 2.0) -> None:
        self.url = url.rstrip("/") + "/predict"
        self.body = json.dumps(record).encode()
        self.interval = interval
        self.timeout = timeout
        self.probes: list[Probe] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prober", daemon=True)
        self._started = 0.0

    def __enter__(self) -> Prober:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 1.0)

    def wait_until_ok(self, timeout: float = 30.0) -> bool:
        """Wait until a probe sent from now on succeeds (the app answers again); False on timeout."""
        since = time.monotonic() - self._started
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(probe.ok and probe.at >= since for probe in self.probes[-50:]):
                return True
            time.sleep(self.interval)
        return False

    @property
    def failures(self) -> int:
        return sum(not probe.ok for probe in self.probes)

    @property
    def versions(self) -> list[str]:
        """Model versions seen, in order of first appearance."""
        return list(dict.fromkeys(probe.model_version for probe in self.probes if probe.ok))

    @property
    def unavailable_seconds(self) -> float:
        """Total time from each first failed probe to the next successful one."""
        total, failing_since = 0.0, None
        for probe in list(self.probes):
            if not probe.ok and failing_since is None:
                failing_since = probe.at
            elif probe.ok and failing_since is not None:
                total += probe.at - failing_since
                failing_since = None
        if failing_since is not None:
            total += self.probes[-1].at - failing_since
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            at = time.monotonic() - self._started
            self.probes.append(self._probe(at))
            self._stop.wait(self.interval)

    def _probe(self, at: float) -> Probe:
        request = urllib.request.Request(self.url, data=self.body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Probe(at, True, json.loads(response.read()).get("model_version"))
        except Exception as exc:  # any failure is what is being measured, not a bug here
            return Probe(at, False, error=f"{type(exc).__name__}: {exc}")
