"""`archlab compare`: train if needed, run each architecture in turn, measure, write the report."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from shared_model import ModelStore, example_record, train_and_store, validate_record

from patterns.settings import Settings

from ..measure.floors import http_constant_floor, model_arithmetic_floor
from ..report import Architecture, Results, write_report
from .budget import Budget
from .drive import measure_faults, measure_latency, measure_update
from .subjects import FROM_VERSION, SUBJECTS, TO_VERSION, Subject, app_carries_model, comparison_dir


def say(message: str) -> None:
    print(f"[compare] {message}", file=sys.stderr, flush=True)


def ensure_models(store: ModelStore) -> None:
    missing = [v for v in (FROM_VERSION, TO_VERSION) if v not in store.versions()]
    if missing:
        say(f"training {', '.join(missing)} (not in {store.root})")
        train_and_store(store, tuple(missing))


def measure_subject(subject: Subject, settings: Settings, budget: Budget, record: dict, floors: dict) -> Architecture:
    started = time.monotonic()
    say(f"{subject.name}: starting")
    with subject.start(settings, budget) as system:
        say(f"{subject.name}: latency")
        latency = measure_latency(subject, system, budget, record)
        carries = app_carries_model(system.url)
        say(f"{subject.name}: model update {FROM_VERSION} -> {TO_VERSION} under traffic")
        update, report = measure_update(subject, system, budget, record)
        say(f"{subject.name}: faults ({', '.join(subject.faults)})")
        faults = measure_faults(subject, system, budget, record)
        extra_floors, figures = subject.extras(system, budget, report)
        floors.update(extra_floors)
    say(f"{subject.name}: done in {time.monotonic() - started:.0f} s")
    return Architecture(
        name=subject.name, latency=latency, update=update, faults=faults,
        update_touches=list(subject.update_touches), app_carries_model=carries,
        notes=list(subject.notes), figures=figures,
    )


def run_comparison(budget: Budget, quick: bool = False, architectures: tuple[str, ...] = ()) -> Path:
    """The whole comparison; returns the report folder."""
    settings = Settings.from_env()
    store = ModelStore(settings.home / "models")
    ensure_models(store)
    scratch = comparison_dir(settings)
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    record = example_record()
    say("floors: model arithmetic, constant-answer HTTP")
    floors = {}
    for floor in (
        model_arithmetic_floor(store.load(TO_VERSION), validate_record(record), count=budget.floor_model_calls),
        http_constant_floor(json=record, count=budget.floor_http_requests),
    ):
        floors[floor.name] = floor
    measured = {
        subject.name: measure_subject(subject, settings, budget, record, floors)
        for subject in SUBJECTS
        if not architectures or subject.name in architectures
    }
    return write_report(Results(floors=floors, architectures=measured, quick=quick))
