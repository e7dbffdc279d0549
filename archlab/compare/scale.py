"""Scale-out, measured: the part an architecture scales on its own (its model service, its workers)
or, when nothing scales alone, the whole app, run with one and with two instances.

On a 2-core machine a model this cheap cannot show scale-out honestly: the front and the client
use the cores the extra instance would. So each pair is run with the model-cost knob
(`MODEL_COST_MS`, busy CPU per prediction call inside the model's process, standing in for a
heavier model) and, in a full run, without it; the report labels both. Which instances did the
work is observed, not assumed: the CPU time each process of the scaled part used during the run.
"""

from __future__ import annotations

from dataclasses import replace

from patterns.launch.architectures import system_class
from patterns.launch.protocols import AnswersLater
from patterns.settings import Settings

from ..measure.footprint import measure_footprint, process_cpu_seconds, running_processes
from ..measure.load import run_load
from ..measure.throughput import measure_throughput
from .budget import Budget
from .measurements import prediction_targets
from .timing import Timings

# A few each: with the model-cost knob on, every warm-up request costs its 20 ms of CPU
WARM_REQUESTS_PER_INSTANCE = 5


def cpu_seconds(system, components: list[str]) -> dict[str, float]:
    """CPU time (user + system) used so far by each process of `components`, keyed
    "component (pid N)" (a worker pool's processes one by one)."""
    used = {}
    for process in running_processes(system):
        if process.component in components and (seconds := process_cpu_seconds(process.pid)) is not None:
            used[f"{process.component} (pid {process.pid})"] = seconds
    return used


def scaled_components(system) -> list[str]:
    """The components of the part that scales: `model-service`, `model-service-2`, ... (the front's
    instances when the whole app is what scales)."""
    part = system.capabilities.scalable_component or system.front_name
    return [name for name in system.components if name == part or name.startswith(f"{part}-")]


def scaled_run(system, instances: int, budget: Budget, record: dict, warm: bool = True) -> dict:
    """One configuration: throughput through every front instance (or, for a system that answers
    later, its workers' rows/s), the CPU each scaled instance used, and the memory each costs.
    `warm`: first send every instance a few requests (a system measured again is warm already)."""
    targets = prediction_targets(system, record)
    if warm and not isinstance(system, AnswersLater):  # every instance has answered before the clock starts
        run_load(targets, count=WARM_REQUESTS_PER_INSTANCE * instances, duration_s=10, progress=False)
    scaled = scaled_components(system)
    before = cpu_seconds(system, scaled)
    if isinstance(system, AnswersLater):
        throughput = {"rows": budget.job_scale_rows, "rows_per_s": system.workers_rows_per_s(budget.job_scale_rows)}
    else:
        throughput = measure_throughput(targets, budget.scale_concurrency, count=budget.throughput_requests,
                                        duration_s=budget.scale_seconds, json=record).as_dict()
    after = cpu_seconds(system, scaled)
    rss = measure_footprint(system).rss_mib
    return {
        "architecture": system.architecture,
        "scaled": system.capabilities.scalable_component or "the whole app (nothing scales on its own)",
        "instances": instances,
        "model_cost_ms": system.settings.model_cost_ms,
        "throughput": throughput,
        "components": scaled,
        "cpu_s_by_process": {name: round(after[name] - before.get(name, 0.0), 3) for name in after},
        "rss_mib_each": round(sum(rss.get(name, 0.0) for name in scaled) / instances, 1),
    }


def _capabilities(arch: str, settings: Settings):
    cls = system_class(arch)
    return cls(settings, **cls.comparison_options).capabilities  # a constructed system starts nothing


def scale_configurations(arch: str, settings: Settings, budget: Budget) -> list[tuple[int, dict]]:
    """(instances, launch options) for one and two instances of what `arch` scales; none for an
    architecture that cannot scale, or (a quick run) that could only replicate the whole app."""
    cls = system_class(arch)
    if cls.scale_options(2) is None:
        return []
    if not budget.scale_whole_apps and _capabilities(arch, settings).scalable_component is None:
        return []
    return [(instances, {**cls.comparison_options, **cls.scale_options(instances)}) for instances in (1, 2)]


def model_costs(arch: str, settings: Settings, budget: Budget) -> tuple[float, ...]:
    """The model-cost knob's settings `arch`'s pair is measured at: the heavier model, and in a full
    run also the plain one where that teaches something of its own: where a part of its own scales
    behind the front and answers each request (the model API's service), a cheap model shows the
    front, not that part, setting the pace. Two whole apps at the plain cost say what the knob's
    pair says; a system that answers later calls its model once per chunk of rows, so the knob
    hardly changes its work."""
    capabilities = _capabilities(arch, settings)
    plain = budget.scale_plain and capabilities.scalable_component is not None and not capabilities.answers_later
    return (budget.model_cost_ms, 0.0) if plain else (budget.model_cost_ms,)


def measure_scale_out(arch: str, settings: Settings, budget: Budget, record: dict, version: str,
                      namespace: str, timings: Timings) -> list[dict]:
    """One and two instances of what `arch` scales, at each of `model_costs`, each launched,
    measured once and stopped."""
    runs = []
    for cost in model_costs(arch, settings, budget):
        for instances, options in scale_configurations(arch, settings, budget):
            with timings.launch("scale-out", arch, arch, settings=replace(settings, model_cost_ms=cost),
                                version=version, namespace=namespace, **options) as system:
                runs.append(scaled_run(system, instances, budget, record))
    return runs
