"""`archlab compare`: train if needed, run each registered architecture in turn in a namespace of
its own, measure it through the System contract, write the report."""

from __future__ import annotations

import itertools
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from shared_model import ModelStore, example_record, train_and_store
from shared_model.data import load_new_houses
from shared_model.plausibility import PRICE_RANGE_KEY

from patterns.launch.architectures import ARCHITECTURES, system_class
from patterns.launch.protocols import AnswersLater, MeasuresOwnFigures, MeasuresOwnFloors, PredictsInClient
from patterns.settings import Settings

from ..measure.floors import Floor, raw_batch_rate
from ..measure.footprint import measure_footprint
from ..chromium import NO_CHROMIUM
from ..report import Architecture, Results, Update, write_report
from .budget import Budget
from .drill import run_drill
from .floor_rounds import FloorRounds
from .guards import run_guard_drills
from .in_client import (
    client_browser, client_drill, client_latency, measure_client_update, open_app_through_faults,
)
from .measurements import app_carries_model, measure_concurrency, measure_faults, measure_latency, measure_update
from .live import LiveSystems
from .repeat import pooled_latency, pooled_runs, pooled_scale_out
from .scale import measure_scale_out, model_costs, scale_configurations, scaled_run
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
QUIET_PCT = 10.0  # the systems waiting beside a measurement, idle, use less than this share of one CPU in all


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


def serve_beside(live: LiveSystems, name: str, budget: Budget, record: dict) -> dict:
    """`serve` the running system `name` while the others wait running; its footing records the
    share of one core those others used meanwhile (their idle polling: a broker, a worker's schedule)."""
    before, started = live.cpu_seconds(but=name), time.monotonic()
    served = serve(live[name], name, budget, record)
    beside = 100 * (live.cpu_seconds(but=name) - before) / (time.monotonic() - started)
    served["footing"]["beside_cpu_pct"] = round(beside, 1)
    return served


def shares_serving_launch(cls, settings: Settings) -> bool:
    """Whether the launch that measures latency and throughput is the very one the update, drill
    and faults need: the same user-facing instances for both footings (one front by design: the
    API, async) and no best-practice options. Then the launch that measured latency goes on to them
    instead of a second, identical start."""
    serving, operating = (footing_options(cls, settings, n) for n in (SERVING_INSTANCES, OPERATING_INSTANCES))
    return not cls.best_practice_options and serving == operating


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
    """The repetitions of `serve` as one: latency and throughput pooled with each
    repetition kept; what does not vary with load (footprint, footing) from the first, but the
    most CPU the other systems used beside it in any repetition."""
    beside = [r["footing"]["beside_cpu_pct"] for r in rounds if "beside_cpu_pct" in r["footing"]]
    footing = {**rounds[0]["footing"], **({"beside_cpu_pct": max(beside)} if beside else {})}
    return {**rounds[0], "latency": pooled_latency([r["latency"] for r in rounds]), "footing": footing,
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
        say(f"{name}: drill: the faulty {BAD_VERSION} rolled out, detected, rolled back"
            + ("; then released under each guard it offers" if budget.guard_drills else ""))
        drilled = run_drill(system, budget, record, bad=BAD_VERSION, good=TO_VERSION).as_dict()
        if budget.guard_drills:
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


@dataclass(frozen=True)
class Entry:
    """One system the comparison measures: a registered architecture, or one of its variants (the
    model API over another transport), filed under `name`; `drill`: the bad-model drill and its guards."""

    arch: str
    name: str
    options: dict
    drill: bool


def comparison_entries(settings: Settings, architectures: tuple[str, ...]) -> list[Entry]:
    """Each registered architecture (all, or those named), then its variants. A variant is measured
    without the drill: it differs only in how the front reaches the model, so a bad model reaches
    users the way it does through the architecture's own transport (whose drill is measured)."""
    entries = []
    for arch in ARCHITECTURES:
        if architectures and arch not in architectures:
            continue
        cls = system_class(arch)
        entries.append(Entry(arch, arch, dict(cls.comparison_options), True))
        entries += [Entry(arch, f"{arch}-{suffix}", {**cls.comparison_options, **options}, False)
                    for suffix, options in cls.comparison_variants(settings).items()]
    return entries


@contextmanager
def variant_may_fail(entry: Entry, unavailable: dict[str, str], live: LiveSystems | None = None) -> Iterator[None]:
    """A variant whose parts are missing here is reported as not measured and the rest goes on; an
    architecture's own failure ends the run."""
    try:
        yield
    except Exception as exc:
        if entry.name == entry.arch:
            raise
        unavailable[entry.name] = f"{type(exc).__name__}: {exc}"
        say(f"{entry.name}: not measured ({unavailable[entry.name][:300]})")
        if live is not None:
            live.stop(entry.name)


def measure_serving_rounds(entries: list[Entry], settings: Settings, budget: Budget, record: dict, floors: dict,
                           namespaces: Iterator[str], timings: Timings, unavailable: dict[str, str],
                           floor_rounds: FloorRounds) -> tuple[dict[str, list[dict]], dict[str, Architecture]]:
    """Latency and throughput with `SERVING_INSTANCES` user-facing instance(s), `budget.repetitions`
    times: every system launched once, then each repetition goes over all of them in turn. A system
    whose footings are the same (`shares_serving_launch`) then goes on to the update, drill and
    faults in that very launch; the others are stopped as soon as the repetitions are done.
    Each repetition starts with the constant floors' latency (`floor_rounds`), under the same drift.
    Returns each system's repetitions, and the systems measured whole."""
    rounds: dict[str, list[dict]] = {entry.name: [] for entry in entries}
    measured: dict[str, Architecture] = {}
    shared = {entry.name for entry in entries if shares_serving_launch(system_class(entry.arch), settings)}
    with LiveSystems() as live:
        for entry in entries:
            purpose = ("latency and throughput, then update, drill and faults" if entry.name in shared
                       else "latency and throughput")
            options = {**entry.options, **footing_options(system_class(entry.arch), settings, SERVING_INSTANCES)}
            with timings.phase(f"{entry.name}: started"), variant_may_fail(entry, unavailable):
                live.start(entry.name, timings.launch(purpose, entry.name, entry.arch, settings=settings,
                                                      version=FROM_VERSION, namespace=next(namespaces), **options))
        with timings.phase("the started systems settle"):
            busy = live.wait_quiet(below_pct=QUIET_PCT)
        say(f"the started systems settled: {busy:.1f}% of one CPU in all while idle")
        for repetition in range(1, budget.repetitions + 1):
            say(f"repetition {repetition} of {budget.repetitions}: the floors' latency, then every architecture's "
                "latency and throughput in turn (the others wait, running)")
            with timings.phase(f"repetition {repetition}: floors' latency"):
                floor_rounds.measure_latency()
            for entry in entries:
                if entry.name in live:
                    with timings.phase(f"repetition {repetition}: {entry.name} latency and throughput"), \
                            variant_may_fail(entry, unavailable, live):
                        rounds[entry.name].append(serve_beside(live, entry.name, budget, record))
        for entry in entries:  # the rest waits stopped: nothing idles beside an update, a drill or a fault
            if entry.name not in shared:
                live.stop(entry.name)
        for entry in entries:
            if entry.name not in live:
                continue
            system = live[entry.name]
            say(f"{entry.name}: update, drill and faults, in the same launch (the same footing)")
            with timings.phase(f"{entry.name}: update, drill and faults"), variant_may_fail(entry, unavailable, live), \
                    client_browser(system) as browser:
                serving = pooled_serving(rounds[entry.name])
                measured[entry.name] = operate(system, entry.name, entry.arch, budget, record, floors, serving,
                                               {"latency and throughput": serving["footing"]}, None, entry.drill,
                                               browser)
            live.stop(entry.name)
            say(f"{entry.name}: done (namespaces removed)")
    return rounds, measured


def measure_scale_out_rounds(archs: list[str], settings: Settings, budget: Budget, record: dict,
                             namespaces: Iterator[str], timings: Timings) -> list[dict]:
    """Scale-out, `budget.repetitions` times: one and two instances of what each architecture
    scales, at the model-cost knob, launched once and measured in every repetition, the
    architectures interleaved; in the first repetition also the plain pair (no knob) where it
    teaches something of its own (`model_costs`), launched and stopped (it decides no verdict).
    Pooled per configuration."""
    configurations = {arch: scale_configurations(arch, settings, budget) for arch in archs}
    knob = replace(settings, model_cost_ms=budget.model_cost_ms)
    rounds: dict[str, list[list[dict]]] = {arch: [] for arch, pairs in configurations.items() if pairs}
    with LiveSystems() as live:
        for arch in rounds:
            for instances, options in configurations[arch]:
                with timings.phase(f"{arch} scale-out: {instances} instance(s) started"):
                    live.start((arch, instances), timings.launch("scale-out", arch, arch, settings=knob,
                                                                 version=TO_VERSION, namespace=next(namespaces),
                                                                 **options))
        for repetition in range(1, budget.repetitions + 1):
            say(f"repetition {repetition} of {budget.repetitions}: scale-out, every architecture in turn")
            for arch in rounds:
                say(f"{arch}: scale-out, one and two instances of what it scales")
                with timings.phase(f"repetition {repetition}: {arch} scale-out"):
                    runs = [scaled_run(live[(arch, instances)], instances, budget, record, warm=repetition == 1)
                            for instances, _ in configurations[arch]]
                    if repetition == 1 and 0.0 in model_costs(arch, settings, budget):
                        runs += measure_scale_out(arch, settings, replace(budget, model_cost_ms=0.0, scale_plain=False),
                                                  record, TO_VERSION, next(namespaces), timings)
                rounds[arch].append(runs)
    return [run for arch_rounds in rounds.values() for run in pooled_scale_out(arch_rounds)]


def run_comparison(budget: Budget, quick: bool = False, architectures: tuple[str, ...] = ()) -> Path:
    """The whole comparison; returns the report folder.

    Latency and throughput are measured `budget.repetitions` times over every system in turn (so the
    machine's drift spreads over all of them), each system launched once for all its repetitions;
    then each is updated, drilled and faulted once (in that same launch where the footing is the
    same, `shares_serving_launch`); then scale-out, repeated the same way. Each run (launch) works in
    a namespace of its own. Where the time went is printed at the end and kept in the results."""
    timings = Timings()
    settings = Settings.from_env()
    store = ModelStore(settings.home / "models")
    with timings.phase("models: trained if missing"):
        ensure_models(store)
    run_id = uuid.uuid4().hex[:8]
    namespaces = (f"cmp-{run_id}-{n}" for n in itertools.count(1))
    record = example_record()
    say("floors: model arithmetic; constant answers (bare WSGI, Flask route, two round trips) at "
        f"concurrency {', '.join(map(str, budget.concurrencies))}; their latency in each repetition")
    entries = comparison_entries(settings, architectures)
    unavailable: dict[str, str] = {}
    floors: dict[str, Floor] = {}  # each system's own floors join them as it is measured
    with FloorRounds(budget, record) as floor_rounds:
        with timings.phase("floors"):
            floor_rounds.measure_once(store, TO_VERSION)
        serving, measured = measure_serving_rounds(entries, settings, budget, record, floors, namespaces, timings,
                                                   unavailable, floor_rounds)
    floors.update(floor_rounds.floors())
    throughput_floors = floor_rounds.throughput
    for entry in entries:
        if entry.name in unavailable or entry.name in measured:
            continue
        with timings.phase(f"{entry.name}: update, drill and faults"), variant_may_fail(entry, unavailable):
            measured[entry.name] = measure_system(entry.arch, entry.name, entry.options, settings, budget, record,
                                                  floors, next(namespaces), pooled_serving(serving[entry.name]),
                                                  timings, drill=entry.drill)
    scale_out = measure_scale_out_rounds(list(dict.fromkeys(entry.arch for entry in entries)), settings, budget,
                                         record, namespaces, timings)
    spent = timings.as_dict()
    for line in summary_lines(spent):
        say(line)
    return write_report(Results(floors=floors, architectures=measured, quick=quick, unavailable=unavailable,
                                throughput_floors=throughput_floors, scale_out=scale_out,
                                duration_s=spent["total_s"], repetitions=budget.repetitions, timings=spent))
