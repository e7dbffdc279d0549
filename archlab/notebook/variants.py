"""One architecture in each of its variants, side by side with the floor of each one's own kind
(notebook 02: the model API over HTTP, gRPC and RabbitMQ), measured as `archlab compare` does."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from shared_model import example_record
from shared_model.config import archlab_home

from patterns.launch.architectures import launch, system_class
from patterns.launch.protocols import MeasuresOwnFloors
from patterns.settings import Settings

from ..compare.measurements import predict_load, served_version
from ..measure.floors import CONSTANT_FLOORS, Floor, constant_floor
from ..report import Architecture, Latency, Results
from ..report.charts import latency_chart


def side_by_side(arch: str, requests: int = 200, version: str = "v2") -> tuple[list[str], Path]:
    """Start `arch` in each variant in turn, send `requests` through its front, measure its own
    floor in the same run; return one line of counts per variant and the latency chart's PNG.
    A variant that cannot start here (its broker is missing) gets a "not measured" line instead,
    as in `archlab compare`."""
    settings = Settings.from_env()
    cls = system_class(arch)
    variants = {arch: {}, **{f"{arch}-{suffix}": options for suffix, options in cls.comparison_variants(settings).items()}}
    record, floors, measured, lines = example_record(), {}, {}, []
    for name, options in variants.items():
        try:
            with launch(arch, settings=settings, version=version, namespace="side-by-side", **options) as system:
                result = predict_load(system, record, count=requests, duration_s=30, extract=served_version,
                                      progress=False)
                own = ([Floor.of(samples) for samples in system.floors(requests)]
                       if isinstance(system, MeasuresOwnFloors) else [])
        except Exception as exc:  # a variant whose parts are missing here (no RabbitMQ): said, the rest goes on
            if name == arch:
                raise
            lines.append(f"{name}: not measured ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})")
            continue
        floor = system.capabilities.latency_floor
        if floor in CONSTANT_FLOORS:  # HTTP's floors are the comparison's own constant-answer servers
            with contextlib.redirect_stderr(io.StringIO()):  # its progress lines vary with timing: not for a notebook
                own.append(constant_floor(floor, json=record, count=requests))
        floors.update((own_floor.name, own_floor) for own_floor in own)
        measured[name] = Architecture(name, Latency.from_load(result, "POST /predict through the front", floor),
                                      None, {}, {})
        served = sorted({s.value for s in result.samples if s.ok})
        lines.append(f"{name}: {len(result.samples) - len(result.failures)} of {len(result.samples)} answered "
                     f"by {', '.join(served) or 'nothing'}; shown beside the floor {floor}")
    folder = archlab_home() / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    chart = latency_chart(Results(floors=floors, architectures=measured), folder / f"{arch}-variants.png")
    return lines, chart

