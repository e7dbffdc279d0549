"""A live classroom: the models trained if missing, every registered architecture started side by
side (each in a namespace of its own), their traffic, the ticker, the controls and the server;
`close()` stops all of it, the systems last."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shared_model import ModelStore

from patterns.launch.architectures import ARCHITECTURES, system_class
from patterns.settings import Settings

from ..compare.run import OPERATING_INSTANCES, ensure_models, footing_options
from .access import Access
from .board import Board, EventLog
from .controls import Controls
from .panel import Panel
from .recording import Recorder
from .server import ClassroomServer
from .ticker import Ticker

DEFAULT_RATE = 4.0  # requests per second to each architecture


def panel_specs(settings: Settings, variants: bool) -> dict[str, tuple[str, dict]]:
    """Panel name -> (architecture, constructor options): every registered architecture as the
    comparison starts it for the update, the drill and the faults (two user-facing instances where
    the whole app scales, its best practice: embedded's replicas behind their load balancer), and
    with `variants` the other ways the comparison measures it."""
    specs = {}
    for arch in ARCHITECTURES:
        cls = system_class(arch)
        options = {**cls.comparison_options, **footing_options(cls, settings, OPERATING_INSTANCES),
                   **cls.best_practice_options}
        specs[arch] = (arch, options)
        if variants:
            specs.update({f"{arch}-{suffix}": (arch, {**options, **variant})
                          for suffix, variant in cls.comparison_variants(settings).items()})
    return specs


class Classroom:
    def __init__(self, server: ClassroomServer, rate: float = DEFAULT_RATE, record: Path | None = None,
                 variants: bool = False, settings: Settings | None = None) -> None:
        self.server, self.rate = server, rate
        self.settings = settings or Settings.from_env()
        self.store = ModelStore(self.settings.home / "models")
        run = uuid.uuid4().hex[:6]
        self.panels = {name: Panel(name, arch, options, self.settings, f"cr{run}-{name}", rate)
                       for name, (arch, options) in panel_specs(self.settings, variants).items()}
        self.events = EventLog()
        self.startup: dict = {"panels": {}}  # when each phase ended; "panels": when each served
        self.controls = Controls(self.panels, self.events, self.versions)
        self.board = Board(self.meta())
        self.recorder = Recorder(record, self.board.meta) if record else None
        self.ticker = Ticker(self.panels, self.events, self.board, server.broadcaster, self.frame_meta, self.recorder)
        server.controls = self.controls

    def versions(self) -> list[str]:
        return [v for v in self.store.versions() if self.store.status(v) == "ok"]

    def meta(self) -> dict:
        access: Access = self.server.access
        return {"mode": "live", "controls": "open" if access.open else "token", "versions": self.versions(),
                "rate": self.rate, **self.frame_meta()}

    def frame_meta(self) -> dict:
        return {"traffic": self.controls.traffic_on, "viewers": self.server.broadcaster.viewers}

    def start(self) -> Classroom:
        """Train what is missing, publish the page at once (panels "starting"), start every panel
        side by side, each shown as soon as it serves; a panel that cannot start says why and the
        rest run. The snapshot's `startup` says when each phase ended (wall clock), for the benchmark."""
        self._started("began")
        ensure_models(self.store)
        self._started("models_checked")
        self.board.meta.update(self.meta())
        self.ticker.start()
        with ThreadPoolExecutor(len(self.panels)) as starting:
            list(starting.map(self._start_panel, self.panels.values()))
        return self

    def _start_panel(self, panel: Panel) -> None:
        panel.start()
        self._started(panel.name, self.startup["panels"])
        self.events.add(f"serving {panel.system.version}, started in {panel.start_seconds:.1f} s"
                        if panel.system else f"not available: {panel.unavailable}",
                        panel.name, "update" if panel.system else "error")

    def _started(self, phase: str, where: dict | None = None) -> None:
        """`phase` over now: noted in the live snapshot (not in a recording's frames)."""
        (self.startup if where is None else where)[phase] = round(time.time(), 3)
        self.board.meta["startup"] = {**self.startup, "panels": dict(self.startup["panels"])}

    def close(self) -> None:
        self.controls.close()
        self.ticker.stop()
        with ThreadPoolExecutor(len(self.panels)) as closing:
            list(closing.map(Panel.close, self.panels.values()))
        if self.recorder is not None:
            self.recorder.close()
