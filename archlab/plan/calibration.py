"""Per-architecture costs read from a report's results.json: nothing here is a typed-in figure.

Each number is the measured one or arithmetic on measured ones, with the JSON path it came from
kept beside it (`Calibration.sources`), so the plan can say where each assumption was measured. A
figure the plan needs and the report lacks raises `MissingFigure` naming its path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MS_PER_S = 1000.0


class MissingFigure(ValueError):
    """The report lacks a figure the plan is calibrated from (the message names its JSON path)."""


class NothingToSize(MissingFigure):
    """The architecture predicts in each user's browser: no server tier grows with the predictions."""


@dataclass(frozen=True)
class Calibration:
    """One architecture's measured costs, per instance and per request.

    `front_ms` is one front instance's time per request with the model-cost knob at 0 (its
    saturated throughput's inverse); when the front holds the model, a request costs it `front_ms`
    plus the model cost. `model_ms` is the separate model tier's CPU time per prediction beyond the
    knob's cost (its process's CPU seconds over the requests it answered: CPU, not wall time, so
    other work on the machine does not inflate it). An architecture that answers later stores
    requests (`front_ms`: one database transaction) and scores them in batches (`rescore`).
    """

    name: str
    answers_later: bool
    fronts: list[str]  # the components users talk to, as measured: stopping one left users with no answer
    front_ms: float
    front_rss_mib: float
    model_component: str | None  # the tier that holds the model, when it is not the front
    model_ms: float | None
    model_rss_mib: float | None
    shared: dict[str, float]  # one-per-system components (a broker) -> resident MiB
    copies_per_app: int  # model copies each further application adds per instance (0: the model is shared)
    update: dict  # measured update figures the fan-out model uses (see `_update_figures`)
    naive_update: dict | None  # the same for the naive way, where the report measured it beside the best practice
    rescore: dict  # answers-later systems: rows/s per worker, of the model alone, chunk size
    sources: dict[str, str] = field(default_factory=dict)  # figure -> where in results.json


def _need(data: dict, path: str, expected: str, within: str = ""):
    """The value at `path` ("a/b/c") in `data` (itself at `within` in results.json), or
    MissingFigure naming its full path and what it should hold."""
    value = data
    for key in path.split("/"):
        value = value.get(key) if isinstance(value, dict) else None
        if value is None or value == [] or value == {}:
            raise MissingFigure(f"results.json has no {within + '/' if within else ''}{path}: expected {expected}")
    return value


def front_components(arch: dict) -> list[str]:
    """The components users talk to: those whose fault probe got requests with no answer at all.
    Where that is a load balancer the serving launch did not run (its footprint has no such
    process), the tier is the app replicas behind it, as that footprint measured them."""
    faults = arch.get("faults", {})
    no_answer = [name for name, fault in faults.items() if fault.get("statuses", {}).get("no answer")]
    measured = arch.get("footprint", {}).get("rss_mib", {})
    if not no_answer or not measured:
        return no_answer
    return [name for name in no_answer if name in measured] or [name for name in faults if name in measured]


def _saturated_ms(arch: dict, base: str, instances: int) -> tuple[float, str]:
    """ms per request of one front instance: instances / the best measured requests/s."""
    runs = _need(arch, "throughput", "requests/s at 1, 8 and 32 clients (archlab compare measures them)", base)
    best = max(range(len(runs)), key=lambda i: runs[i].get("requests_per_s") or 0.0)
    rate = _need(runs[best], "requests_per_s", "a measured requests/s", f"{base}/throughput/{best}")
    return MS_PER_S * instances / rate, f"{base}/throughput/{best}/requests_per_s"


def _scale_run(data: dict, name: str, instances: int) -> tuple[int, dict] | None:
    """The scale-out run of `name` with `instances` of its scaled part, the model-cost knob on."""
    for i, run in enumerate(data.get("scale_out", [])):
        if run["architecture"] == name and run["instances"] == instances and run.get("model_cost_ms"):
            return i, run
    return None


def _update_figures(arch: dict, base: str, sources: dict, key: str = "update") -> dict:
    """The figures of the update measured at `key` (`update`, or `naive_update` beside a best practice)."""
    update = _need(arch, key, "the model update measured under traffic", base)
    base, prefix = f"{base}/{key}", "" if key == "update" else f"{key}."
    timeline = update.get("timeline") or []
    span = timeline[-1]["t_s"] - timeline[0]["t_s"] if len(timeline) > 1 else 0.0
    figures = {
        "build_s": _need(update, "build_s", "seconds to build or load the new model", base),
        "switch_s": update.get("cost_s"),
        "failed": update.get("failed", 0),
        "load_per_s": len(timeline) / span if span else None,  # the traffic the update was measured under
        "strategy": update.get("strategy", "").split(":")[0],
        "better_strategy": update.get("better_strategy", "").split(":")[0],
    }
    sources.update({f"{prefix}build_s": f"{base}/build_s", f"{prefix}switch_s": f"{base}/cost_s",
                    f"{prefix}failed": f"{base}/failed", f"{prefix}load_per_s": f"{base}/timeline (points / span)"})
    details = update.get("details") or {}
    for detail in ("front_restart_s", "instance_seconds", "bundle_bytes"):
        if detail in details:
            figures[detail] = details[detail]
            sources[f"{prefix}{detail}"] = f"{base}/details/{detail}"
    return figures


def calibrate(data: dict, name: str) -> Calibration:
    """The calibration of architecture `name` from the results dict `data` (KeyError if absent)."""
    arch = data["architectures"][name]
    base = f"architectures/{name}"
    capabilities = _need(data, f"{base}/capabilities", "what kind of system it is (answers_later, scalable_component)")
    answers_later = bool(capabilities.get("answers_later"))
    if capabilities.get("predicts_in_client"):
        raise NothingToSize(_in_client_plan(arch, base))
    fronts = front_components(arch)
    if not fronts:
        raise MissingFigure(f"results.json has no {base}/faults with a front (a component whose stop left "
                            "requests with no answer): expected the fault probes archlab compare runs")
    rss = _need(data, f"{base}/footprint/rss_mib", "resident MiB per component (the footprint)")
    sources = {"front_rss_mib": f"{base}/footprint/rss_mib/{fronts[0]}"}
    model_component = capabilities.get("scalable_component") if arch.get("footprint", {}).get("model_copies") else None
    if answers_later:
        floor = arch["latency"]["floor"]
        front_ms = _need(data, f"floors/{floor}/summary_ms/mean", "the mean of one database transaction (ms)")
        sources["front_ms"] = f"floors/{floor}/summary_ms/mean"
    else:
        front_ms, sources["front_ms"] = _saturated_ms(arch, base, len(fronts))
    model_ms = model_rss = None
    if model_component and not answers_later:
        found = _scale_run(data, name, 1)
        if found is None:
            raise MissingFigure(f"results.json has no scale_out run of {name} with 1 {model_component} and the "
                                "model-cost knob on: expected the requests/s one model instance serves")
        i, run = found
        cpu_s = sum(_need(run, "cpu_s_by_process", "CPU seconds the model instance used", f"scale_out/{i}").values())
        answered = _need(run, "throughput/answered", "requests the model instance answered", f"scale_out/{i}")
        model_ms = max(0.0, MS_PER_S * cpu_s / answered - run["model_cost_ms"])
        sources["model_ms"] = f"scale_out/{i}/cpu_s_by_process"
    if model_component:
        model_rss = _need(data, f"{base}/footprint/rss_mib/{model_component}", f"the resident MiB of {model_component}")
        sources["model_rss_mib"] = f"{base}/footprint/rss_mib/{model_component}"
    second = _need(data, f"{base}/second_app", "model copies with a second application on the same model")
    copies = _need(data, f"{base}/second_app/model_copies", "model copies with a second application") - \
        _need(data, f"{base}/footprint/model_copies", "model copies in memory")
    sources["copies_per_app"] = f"{base}/second_app/model_copies less {base}/footprint/model_copies"
    excluded = {*fronts, model_component, second.get("app"), "total"}
    shared = {c: mib for c, mib in rss.items() if c not in excluded and not _instance_of(c, model_component)}
    sources.update({f"{c}_rss_mib": f"{base}/footprint/rss_mib/{c}" for c in shared})
    rescore = {}
    if answers_later:
        rescore = {
            "worker_rows_per_s": _need(data, f"{base}/figures/job_rows_per_s",
                                       "rows/s one worker's job scored with its store"),
            "model_rows_per_s": _need(data, f"{base}/figures/raw_batch_rows_per_s",
                                      "rows/s of the model alone, no database"),
            "chunk_size": _need(data, f"{base}/figures/job_chunk_size", "rows per vectorised model call"),
        }
        sources.update({key: f"{base}/figures/{key}" for key in ("job_rows_per_s", "raw_batch_rows_per_s",
                                                                  "job_chunk_size")})
    return Calibration(
        name=name, answers_later=answers_later, fronts=fronts, front_ms=front_ms,
        front_rss_mib=_need(data, f"{base}/footprint/rss_mib/{fronts[0]}", f"the resident MiB of {fronts[0]}"),
        model_component=model_component, model_ms=model_ms, model_rss_mib=model_rss, shared=shared,
        copies_per_app=max(0, copies), update=_update_figures(arch, base, sources),
        naive_update=_update_figures(arch, base, sources, "naive_update") if arch.get("naive_update") else None,
        rescore=rescore, sources=sources,
    )


def _in_client_plan(arch: dict, base: str) -> str:
    """What the plan says of an app that predicts in the browser, from its measured bundle and update."""
    bundle = arch.get("footprint", {}).get("client_bundle_bytes")
    handed = (f"{bundle:,} bytes per new visitor, the model inside ({base}/footprint/client_bundle_bytes)"
              if bundle else "the app with the model inside to each new visitor")
    return ("it predicts in each user's browser, so no server tier grows with the requests/s: its servers hand out "
            f"{handed}, a static file any CDN serves; every open page holds a copy of the model, and an update "
            "reaches a user at the next page load, not at a time the operator chooses")


def _instance_of(component: str, part: str | None) -> bool:
    return part is not None and component.startswith(f"{part}-")


def calibrate_all(data: dict, only: list[str] | None = None) -> tuple[list[Calibration], dict[str, str]]:
    """The calibrations the report allows, and why the others could not be calibrated.

    With `only`, every named architecture must be in the report (else KeyError) and calibrate
    (else MissingFigure): a student who asked for one gets its missing figure as the error."""
    names = list(data["architectures"])
    for name in only or ():
        if name not in names:
            raise KeyError(f"architecture {name!r} is not in this report; expected one of {', '.join(names)}")
    if only:
        return [calibrate(data, name) for name in only], {}
    calibrated, skipped = [], {}
    for name in names:
        try:
            calibrated.append(calibrate(data, name))
        except MissingFigure as exc:
            skipped[name] = str(exc)
    return calibrated, skipped
