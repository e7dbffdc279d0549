"""The running client architecture: one static server handing out app releases.

Its model update is a release: build a new bundle with the new model inside, publish it (the
`current` link swapped). New visitors get it at once; pages already open keep predicting with the
model they loaded until they reload (the app polls the release manifest every `poll_seconds` and
offers the update, or reloads by itself under `?reload=auto`). `served_requests()` reads what a
new visitor gets (the current release's manifest), which is the truth for new visitors only: the
open pages' versions are read from real browsers (`open_pages`), by `archlab compare` and by
`python -m archlab.bench.client`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from shared_model import ModelStore
from shared_model.data import new_houses_records

from patterns.launch.contract import AppliedUpdate, Capabilities, FaultSpec, ServedRequest, Step
from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings

from ..bundle import MANIFEST, Release, build_release, publish, releases_dir
from .engine import ReleaseEngine
from .pages import OpenPages

POLL_SECONDS = 5.0  # how often an open app checks for a new release (a phone app: at launch, hourly)


class ClientSystem(System):
    architecture = "client"
    front_name = "static"
    capabilities = Capabilities(latency_floor="model_arithmetic", predicts_in_client=True)
    comparison_options = {"poll_seconds": 1.0}  # open pages see a release within a second or two of a short run

    def __init__(self, settings: Settings | None = None, version: str | None = None, port: int | None = None,
                 namespace: str | None = None, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__(settings, version, port or free_port(), namespace)
        self.store = ModelStore(self.settings.home / "models")
        self.poll_seconds = poll_seconds
        self.release: Release | None = None
        self.published_at: float | None = None

    @property
    def workdir(self) -> Path:
        """Where the releases live: the run's own folder in a namespace, else `$ARCHLAB_HOME/client`."""
        return self.namespace_dir / "client" if self.namespace else self.settings.home / "client"

    def start(self) -> ClientSystem:
        self.version = self.version or self.store.latest()
        self.release = self.build_and_publish(self.version)[0]
        argv = [sys.executable, "-m", "patterns.client.server", "--root", str(self.workdir),
                "--host", "127.0.0.1", "--port", str(self.port)]
        env = {"ARCHLAB_HOME": str(self.settings.home)}
        self.launch(ManagedProcess(self.front_name, argv, env=env, port=self.port))
        return self

    def build_and_publish(self, version: str) -> tuple[Release, float, float]:
        """The next release with `version` inside, published; (release, build s, publish s)."""
        started = time.monotonic()
        release = build_release(self.store, version, self.workdir, self.poll_seconds)
        built = time.monotonic()
        publish(release, self.workdir)
        self.published_at = time.time()  # the moment new visitors get it: open pages are timed from here
        return release, built - started, time.monotonic() - built

    def served_requests(self, record: dict | None = None) -> list[ServedRequest]:
        """What a new visitor gets: the manifest of the release the page at `/` loads (the model
        itself is in the bundle; no request ever carries a house)."""
        return [ServedRequest("GET", self.url + "/" + MANIFEST, None)]

    def client_prediction_seconds(self, batches: int) -> list[float]:
        """In V8 (the engine of chromium, embedded in Python by mini-racer), the current release's own
        JavaScript cleaning and pricing the 1,459 new houses: no page, no network."""
        return ReleaseEngine(self.release.folder).seconds_per_prediction(new_houses_records(), batches)

    def bundle_bytes(self) -> int:
        return self.release.size_bytes

    def open_pages(self, browser) -> OpenPages:
        return OpenPages(browser, self.url)

    def prediction_requests(self, record: dict | None = None) -> list[ServedRequest]:
        """A user's way to a price here is loading the app (no request carries a house): what load
        and faults send is a new visitor's request for the release."""
        return self.served_requests(record)

    def faults(self) -> list[FaultSpec]:
        return [FaultSpec(self.front_name, "its process is stopped (SIGTERM): new visitors cannot load the app; "
                                           "open apps keep pricing with their model, without updates")]

    def update_watch(self) -> list[Path]:
        return [releases_dir(self.workdir)]

    def apply_update(self, version: str) -> AppliedUpdate:
        self.release, build, switch = self.build_and_publish(version)
        return AppliedUpdate(
            strategy="a new app release: build the bundle with the new model inside and publish it; new visitors "
                     "load it, open apps keep the model they loaded until they reload (they poll the release "
                     f"manifest every {self.poll_seconds:g} s and offer the update)",
            better_strategy="ship the model as data the app fetches (model.json by its digest) with a kill switch: "
                            "a model change without an app release, and a bad model recalled from open apps",
            steps=(Step(f"bundle built ({self.release.size_bytes:,} bytes, model included)", build, "build"),
                   Step("release published (new visitors only; open apps until they reload)", switch, "switch")),
            details={"release": self.release.name, "published_epoch_s": self.published_at,
                     "bundle_bytes": self.release.size_bytes,
                     "poll_seconds": self.poll_seconds, "open_apps": "keep their release until they reload"},
        )


SYSTEM = ClientSystem
