"""`archlab compare`: train if needed, run each registered architecture in turn in a namespace of
its own, measure it through the System contract, write the report."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

from shared_model import ModelStore, example_record, train_and_store, validate_record

from patterns.launch.systems import launch, system_class
from patterns.settings import ARCHITECTURES, Settings

from ..measure.floors import Floor, http_constant_floor, model_arithmetic_floor
from ..report import Architecture, Results, write_report
from .budget import Budget
from .drive import app_carries_model, measure_faults, measure_latency, measure_update

FROM_VERSION, TO_VERSION = "v1", "v2"


def say(message: str) -> None:
    print(f"[compare] {message}", file=sys.stderr, flush=True)


def ensure_models(store: ModelStore) -> None:
    """v1 and v2 present and loadable here: a missing one, or one this machine refuses (signed with
    an old scheme or another key, built with other libraries), is trained again."""
    unusable = {v: "not stored" if v not in store.versions() else store.status(v) for v in (FROM_VERSION, TO_VERSION)}
    unusable = {v: why for v, why in unusable.items() if why != "ok"}
    if unusable:
        say(f"training {', '.join(unusable)} in {store.root} ({'; '.join(f'{v}: {why}' for v, why in unusable.items())})")
        train_and_store(store, tuple(unusable))


def measure_system(arch: str, name: str, options: dict, settings: Settings, budget: Budget, record: dict,
                   floors: dict, namespace: str) -> Architecture:
    """Start `arch` with `options` on v1 in `namespace`, measure everything it declares, stop it,
    remove the namespace; the results are filed under `name`."""
    started = time.monotonic()
    say(f"{name}: starting")
    with launch(arch, settings=settings, version=FROM_VERSION, namespace=namespace, **options) as system:
        resources = system.namespace_resources()
        say(f"{name}: working in {', '.join(f'{k} {v}' for k, v in resources.items())}" if resources
            else f"{name}: no topic, queue, database or files of its own to isolate")
        carries = {"started": app_carries_model(system)}
        say(f"{name}: latency")
        latency = measure_latency(system, budget, record)
        carries["after the latency run"] = app_carries_model(system)
        say(f"{name}: model update {FROM_VERSION} -> {TO_VERSION} under traffic")
        update, _ = measure_update(system, budget, record, TO_VERSION)
        carries["after the model update"] = app_carries_model(system)
        say(f"{name}: faults ({', '.join(f.component for f in system.faults())})")
        faults = measure_faults(system, budget, record)
        carries["after the faults"] = app_carries_model(system)
        floors.update((f.name, Floor.of(f)) for f in system.floors(budget.floor_system_samples))
        figures = system.figures(budget.async_batch)
        carries["after its own floors and figures"] = app_carries_model(system)
        components = list(system.components)
    say(f"{name}: done in {time.monotonic() - started:.0f} s (namespace removed)")
    notes = [f"a better update strategy would need: {update.better_strategy}"] if update.better_strategy else []
    return Architecture(
        name=name, latency=latency, update=update, faults=faults, carries_model=carries,
        components=components, capabilities=system.capabilities.as_dict(), namespace=resources,
        notes=notes, figures=figures,
    )


def run_comparison(budget: Budget, quick: bool = False, architectures: tuple[str, ...] = ()) -> Path:
    """The whole comparison; returns the report folder."""
    settings = Settings.from_env()
    store = ModelStore(settings.home / "models")
    ensure_models(store)
    namespace = f"cmp-{uuid.uuid4().hex[:8]}"
    record = example_record()
    say("floors: model arithmetic, constant-answer HTTP")
    floors = {}
    for floor in (
        model_arithmetic_floor(store.load(TO_VERSION), validate_record(record), count=budget.floor_model_calls),
        http_constant_floor(json=record, count=budget.floor_http_requests),
    ):
        floors[floor.name] = floor
    measured, unavailable = {}, {}
    for arch in ARCHITECTURES:
        if architectures and arch not in architectures:
            continue
        cls = system_class(arch)
        measured[arch] = measure_system(arch, arch, dict(cls.comparison_options), settings, budget, record,
                                        floors, namespace)
        for suffix, options in cls.comparison_variants(settings).items():
            name = f"{arch}-{suffix}"
            try:
                measured[name] = measure_system(arch, name, {**cls.comparison_options, **options}, settings,
                                                budget, record, floors, namespace)
            except Exception as exc:  # a variant whose parts are missing here: reported, the rest goes on
                unavailable[name] = f"{type(exc).__name__}: {exc}"
                say(f"{name}: not measured ({unavailable[name][:300]})")
    return write_report(Results(floors=floors, architectures=measured, quick=quick, unavailable=unavailable))
