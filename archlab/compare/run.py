"""`archlab compare`: train if needed, run each registered architecture in turn in a namespace of
its own, measure it through the System contract, write the report."""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

from shared_model import ModelStore, example_record, train_and_store, validate_record
from shared_model.data import load_new_houses
from shared_model.plausibility import PRICE_RANGE_KEY

from patterns.launch.architectures import ARCHITECTURES, system_class
from patterns.launch.protocols import AnswersLater, MeasuresOwnFigures, MeasuresOwnFloors, PredictsInClient
from patterns.settings import Settings

from ..measure.floors import (
    CONSTANT_FLOORS, Floor, constant_floor, constant_server, model_arithmetic_floor, raw_batch_rate,
)
from ..measure.footprint import measure_footprint
from ..chromium import NO_CHROMIUM
from ..measure.throughput import measure_throughput
from ..report import Architecture, Results, Update, write_report
from .budget import Budget
from .drill import run_drill
from .guards import run_guard_drills
from .in_client import (
    client_browser, client_drill, client_latency, measure_client_update, open_app_through_faults,
)
from .measurements import app_carries_model, measure_concurrency, measure_faults, measure_latency, measure_update
from .repeat import pooled_latency, pooled_runs, pooled_scale_out
from .scale import measure_scale_out
from .second_app import second_app_record
from .timing import Timings, summary_lines

FROM_VERSION, TO_VERSION, BAD_VERSION = "v1", "v2", "v3"


def say(message: str) -> None:
    print(f"[compare] {message}", file=sys.stderr, flush=True)


def _unusable(store: ModelStore, version: str) -> str | None:
    """Why `version` cannot be measured here, or None."""
    if version not in store.versions():
        return "not stored"
    if (status := store.status(version)) != "ok":
        return status
    if PRICE_RANGE_KEY not in store.metadata(version):
        return "trained before models recorded their training price range (the drill's monitor needs it)"
    return None


def ensure_models(store: ModelStore) -> None:
    """v1, v2 and the faulty v3 (the drill's) present and loadable here: a missing one, or one this
    machine refuses (signed with an old scheme or another key, built with other libraries), is
    trained again."""
    unusable = {v: _unusable(store, v) for v in (FROM_VERSION, TO_VERSION, BAD_VERSION)}
    unusable = {v: why for v, why in unusable.items() if why is not None}
    if unusable:
        say(f"training {', '.join(unusable)} in {store.root} ({'; '.join(f'{v}: {why}' for v, why in unusable.items())})")
        train_and_store(store, tuple(unusable))


SERVING_INSTANCES = 1  # user-facing instances for latency and throughput, every architecture alike
OPERATING_INSTANCES = 2  # ... and for the update, the drill and the faults: an update must reach several


def footing_options(cls, settings: Settings, instances: int) -> dict:
    """Constructor options that run `instances` user-facing app instances: the whole app's replicas
    where the app is what scales; none where the architecture runs one front by design (what it
    scales and updates is behind that front: the API's model service, the async workers)."""
    options = cls.scale_options(instances)
    if options is None or cls(settings, **cls.comparison_options).capabilities.scalable_component is not None:
        return {}
    return options


def observed_footing(system) -> dict:
    """How many user-facing app processes ran and how many addresses users were sent to (a load
    balancer in front of two replicas is one address), read from the running system."""
    return {"front_instances": sum(name in system.components for name in system.front_names),
            "entry_points": len(system.front_urls)}


def measure_serving(arch: str, name: str, options: dict, settings: Settings, budget: Budget, record: dict,
                    namespace: str, timings: Timings) -> dict:
    """Latency, throughput and footprint with `SERVING_INSTANCES` user-facing instance(s)."""
    cls = system_class(arch)
    options = {**options, **footing_options(cls, settings, SERVING_INSTANCES)}
    with timings.launch("latency and throughput", name, arch, settings=settings, version=FROM_VERSION,
                        namespace=namespace, **options) as system:
        return serve(system, name, budget, record)


def serve(system, name: str, budget: Budget, record: dict) -> dict:
    """Latency, throughput and footprint of the running `system`."""
    carries = {"started": app_carries_model(system)}
    say(f"{name}: latency and throughput ({len(system.front_urls)} user-facing instance)")
    in_client = isinstance(system, PredictsInClient)
    latency = client_latency(system, budget) if in_client else measure_latency(system, budget, record)
    carries["after the latency run"] = app_carries_model(system)
    throughput = measure_concurrency(system, budget, record)
    footprint = measure_footprint(system).as_dict()
    if in_client:  # what every user downloads: the app with the model inside
        footprint["client_bundle_bytes"] = system.bundle_bytes()
    return {"latency": latency, "throughput": throughput, "carries": carries,
            "footprint": footprint, "footing": observed_footing(system)}


def shares_serving_launch(cls, settings: Settings) -> bool:
    """Whether the launch that measures latency and throughput is the very one the update, drill
    and faults need: the same user-facing instances for both footings (one front by design: the
    API, async) and no best-practice options. Then the last repetition's launch goes on to them
    instead of a second, identical start."""
    serving, operating = (footing_options(cls, settings, n) for n in (SERVING_INSTANCES, OPERATING_INSTANCES))
    return not cls.best_practice_options and serving == operating


def measure_serving_then_system(arch: str, name: str, options: dict, settings: Settings, budget: Budget,
                                record: dict, floors: dict, namespace: str, rounds: list[dict], timings: Timings,
                                drill: bool = True) -> Architecture:
    """The last repetition of `measure_serving` (appended to `rounds`) and `measure_system` in one
    launch, for an architecture whose two footings are the same (`shares_serving_launch`)."""
    started = time.monotonic()
    options = {**options, **footing_options(system_class(arch), settings, SERVING_INSTANCES)}
    with timings.launch("latency and throughput, then update, drill and faults", name, arch, settings=settings,
                        version=FROM_VERSION, namespace=namespace, **options) as system, \
            client_browser(system) as browser:
        rounds.append(serve(system, name, budget, record))
        serving = pooled_serving(rounds)
        say(f"{name}: update, drill and faults, in the same launch (the same footing)")
        measured = operate(system, name, arch, budget, record, floors, serving,
                           {"latency and throughput": serving["footing"]}, None, drill, browser)
    say(f"{name}: done in {time.monotonic() - started:.0f} s (namespaces removed)")
    return measured


def measure_naive_update(arch: str, name: str, options: dict, settings: Settings, budget: Budget, record: dict,
                         namespace: str, timings: Timings) -> tuple[Update, dict]:
    """The update without the options of the architecture's best practice (embedded: replicas
    stopped then started, no load balancer), on the same number of instances."""
    cls = system_class(arch)
    options = {**options, **footing_options(cls, settings, OPERATING_INSTANCES)}
    with timings.launch("naive update", name, arch, settings=settings, version=FROM_VERSION, namespace=namespace,
                        **options) as system:
        say(f"{name}: the naive update {FROM_VERSION} -> {TO_VERSION} under traffic (without {', '.join(cls.best_practice_options)})")
        update, _ = measure_update(system, budget, record, TO_VERSION)
        return update, observed_footing(system)


def pooled_serving(rounds: list[dict]) -> dict:
    """The repetitions of `measure_serving` as one: latency and throughput pooled with each
    repetition kept; what does not vary with load (footprint, footing) from the first."""
    return {**rounds[0], "latency": pooled_latency([r["latency"] for r in rounds]),
            "throughput": pooled_runs([r["throughput"] for r in rounds]) if rounds[0]["throughput"] else []}


def measure_system(arch: str, name: str, options: dict, settings: Settings, budget: Budget, record: dict,
                   floors: dict, namespace: str, serving: dict, timings: Timings, drill: bool = True) -> Architecture:
    """`arch` with `options` on v1 in `namespace`, its latency and throughput already measured
    (`serving`, one user-facing instance), launched again with two for the update, the drill and the
    faults (and, where the architecture has a best practice of its own, its naive update in a launch
    of its own). Each launch is stopped and its namespace removed; the results are filed under `name`."""
    started = time.monotonic()
    say(f"{name}: update, drill and faults")
    cls = system_class(arch)
    footing = {"latency and throughput": serving["footing"]}
    naive_update = None
    best_practice = cls.best_practice_options
    if best_practice:
        naive_update, footing["naive update"] = measure_naive_update(arch, name, options, settings, budget, record,
                                                                     namespace, timings)
    options = {**options, **footing_options(cls, settings, OPERATING_INSTANCES), **best_practice}
    with (timings.launch("update, drill and faults", name, arch, settings=settings, version=FROM_VERSION,
                         namespace=namespace, **options) as system,
          client_browser(system) as browser):
        measured = operate(system, name, arch, budget, record, floors, serving, footing, naive_update, drill, browser)
    say(f"{name}: done in {time.monotonic() - started:.0f} s (namespaces removed)")
    return measured


def operate(system, name: str, arch: str, budget: Budget, record: dict, floors: dict, serving: dict, footing: dict,
            naive_update: Update | None, drill: bool, browser=None) -> Architecture:
    """On the running `system`: a second app, the update, the drill, the faults, its own floors and
    figures; filed with its `serving` measurements under `name`. An app that predicts in the client
    is updated, drilled and faulted through pages in `browser` (None: no chromium here)."""
    carries = serving["carries"]
    resources = system.namespace_resources()
    say(f"{name}: working in {', '.join(f'{k} {v}' for k, v in resources.items())}" if resources
        else f"{name}: no topic, queue, database or files of its own to isolate")
    footing["update, drill and faults"] = observed_footing(system)
    in_client = isinstance(system, PredictsInClient)
    if in_client:  # each app carries the model in its own bundle: no server-side model for a second app to share
        say(f"{name}: the model update {FROM_VERSION} -> {TO_VERSION}: new visitors under traffic, open pages "
            "in chromium")
        update, report = measure_client_update(system, browser, budget, record, TO_VERSION)
        second_app = {}
    else:
        say(f"{name}: a second application on the same model, then the model update {FROM_VERSION} -> "
            f"{TO_VERSION} under traffic")
        alone = measure_footprint(system)
        system.launch_second_app()
        with_second_app = measure_footprint(system)
        update, report = measure_update(system, budget, record, TO_VERSION)
        second_app = second_app_record(system, with_second_app, report, alone)
    carries["after the model update"] = app_carries_model(system)
    drilled = {}
    if drill and in_client:
        say(f"{name}: drill: the faulty {BAD_VERSION} released, new visitors open it, {TO_VERSION} released again")
        drilled = client_drill(system, browser, budget, record, BAD_VERSION, TO_VERSION)
    elif drill:
        say(f"{name}: drill: the faulty {BAD_VERSION} rolled out, detected, rolled back; then released under "
            "each guard it offers")
        drilled = run_drill(system, budget, record, bad=BAD_VERSION, good=TO_VERSION).as_dict()
        drilled["guards"] = run_guard_drills(system, budget, record, bad=BAD_VERSION, good=TO_VERSION)
    say(f"{name}: faults ({', '.join(f.component for f in system.faults())})")
    faults = measure_faults(system, budget, record)
    if in_client:
        open_app_through_faults(system, browser, faults, record, TO_VERSION)
    carries["after the faults"] = app_carries_model(system)
    if isinstance(system, MeasuresOwnFloors):
        floors.update((f.name, Floor.of(f)) for f in system.floors(budget.floor_system_samples))
    figures = system.figures(budget.async_batch) if isinstance(system, MeasuresOwnFigures) else {}
    if isinstance(system, AnswersLater):  # a batch job beside the most its model could score
        model = ModelStore(system.settings.home / "models").load(system.version)
        figures["raw_batch_rows_per_s"] = raw_batch_rate(model, load_new_houses())
    carries["after its own floors and figures"] = app_carries_model(system)
    notes = [f"a better update strategy would need: {update.better_strategy}"] if update.better_strategy else []
    if drill and in_client and not drilled:
        notes.append(f"the drill (open pages on the bad model): {NO_CHROMIUM}")
    return Architecture(
        name=name, latency=serving["latency"], update=update, faults=faults, carries_model=carries,
        components=list(system.components), capabilities=system.capabilities.as_dict(), namespace=resources,
        notes=notes, figures=figures, throughput=serving["throughput"], footprint=serving["footprint"],
        drill=drilled, second_app=second_app, naive_update=naive_update, footing=footing,
        targets=[target.as_dict() for target in system.targets] if name == arch else [],
    )


def measure_floors(store: ModelStore, budget: Budget, record: dict) -> tuple[dict[str, Floor], dict[str, list[dict]]]:
    """The floors every architecture is shown beside: the model's arithmetic, and constant answers
    (bare WSGI, Flask route, two round trips in series), one at a time and under concurrent load."""
    floors = {"model_arithmetic": model_arithmetic_floor(store.load(TO_VERSION), validate_record(record),
                                                         count=budget.floor_model_calls)}
    throughput = {}
    for kind in CONSTANT_FLOORS:
        floors[kind] = constant_floor(kind, json=record, count=budget.floor_http_requests,
                                      duration_s=budget.latency_seconds)
        with constant_server(kind) as url:
            throughput[kind] = [
                measure_throughput(url, concurrency, count=budget.throughput_requests,
                                   duration_s=budget.throughput_seconds, json=record).as_dict()
                for concurrency in budget.concurrencies]
    return floors, throughput


def run_comparison(budget: Budget, quick: bool = False, architectures: tuple[str, ...] = ()) -> Path:
    """The whole comparison; returns the report folder.

    Latency, throughput and scale-out are measured `budget.repetitions` times, each repetition
    going over every architecture in turn (so the machine's drift spreads over all of them); then
    each is updated, drilled and faulted once (in its last repetition's launch where that is the
    same system, `shares_serving_launch`). Each registered architecture is measured whole; its
    variants (the model API over other transports) are measured without the drill in a quick run:
    they differ only in how the front reaches the model. Where the time went is printed at the end
    and kept in the results."""
    timings = Timings()
    settings = Settings.from_env()
    store = ModelStore(settings.home / "models")
    with timings.phase("models: trained if missing"):
        ensure_models(store)
    namespace = f"cmp-{uuid.uuid4().hex[:8]}"
    record = example_record()
    say("floors: model arithmetic; constant answers (bare WSGI, Flask route, two round trips) at "
        f"concurrency {', '.join(map(str, budget.concurrencies))}")
    with timings.phase("floors"):
        floors, throughput_floors = measure_floors(store, budget, record)
    plan, unavailable = [], {}  # (arch, name, options, drill): each architecture, then its variants
    for arch in ARCHITECTURES:
        if architectures and arch not in architectures:
            continue
        cls = system_class(arch)
        plan.append((arch, arch, dict(cls.comparison_options), True))
        plan += [(arch, f"{arch}-{suffix}", {**cls.comparison_options, **options}, not quick)
                 for suffix, options in cls.comparison_variants(settings).items()]
    serving, scale_rounds, measured = {name: [] for _, name, _, _ in plan}, {}, {}
    for repetition in range(1, budget.repetitions + 1):
        say(f"repetition {repetition} of {budget.repetitions}: latency and throughput, then scale-out, "
            "every architecture in turn")
        for arch, name, options, drill in plan:
            if name in unavailable:
                continue
            try:
                if repetition == budget.repetitions and shares_serving_launch(system_class(arch), settings):
                    with timings.phase(f"repetition {repetition}: {name} latency, throughput, update, drill, faults"):
                        measured[name] = measure_serving_then_system(arch, name, options, settings, budget, record,
                                                                     floors, namespace, serving[name], timings, drill)
                    continue
                with timings.phase(f"repetition {repetition}: {name} latency and throughput"):
                    serving[name].append(measure_serving(arch, name, options, settings, budget, record, namespace,
                                                         timings))
            except Exception as exc:  # a variant whose parts are missing here: reported, the rest goes on
                if name == arch:
                    raise
                unavailable[name] = f"{type(exc).__name__}: {exc}"
                say(f"{name}: not measured ({unavailable[name][:300]})")
        for arch in dict.fromkeys(arch for arch, _, _, _ in plan):
            say(f"{arch}: scale-out, one and two instances of what it scales")
            # the pair without the model-cost knob once: it shows a cheap model cannot scale on 2 cores
            scale_budget = budget if repetition == 1 else replace(budget, scale_plain=False)
            with timings.phase(f"repetition {repetition}: {arch} scale-out"):
                scale_rounds.setdefault(arch, []).append(
                    measure_scale_out(arch, settings, scale_budget, record, TO_VERSION, namespace, timings))
    for arch, name, options, drill in plan:
        if name in unavailable or name in measured:
            continue
        try:
            with timings.phase(f"{name}: update, drill and faults"):
                measured[name] = measure_system(arch, name, options, settings, budget, record, floors, namespace,
                                                pooled_serving(serving[name]), timings, drill=drill)
        except Exception as exc:
            if name == arch:
                raise
            unavailable[name] = f"{type(exc).__name__}: {exc}"
            say(f"{name}: not measured ({unavailable[name][:300]})")
    scale_out = [run for rounds in scale_rounds.values() for run in pooled_scale_out(rounds)]
    spent = timings.as_dict()
    for line in summary_lines(spent):
        say(line)
    return write_report(Results(floors=floors, architectures=measured, quick=quick, unavailable=unavailable,
                                throughput_floors=throughput_floors, scale_out=scale_out,
                                duration_s=spent["total_s"], repetitions=budget.repetitions, timings=spent))
