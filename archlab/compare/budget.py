"""How many requests and how much time each part of a comparison may take: full and quick runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """Bounds for one comparison run. Every load run is bounded in count AND seconds."""

    latency_requests: int
    latency_seconds: float
    warmup_requests: int
    update_interval_s: float  # pacing of the steady traffic during a model update
    update_timeout_s: float  # give up waiting for "every response carries v2" after this
    settle_s: float  # answers from the old version before an update, and from the new one after it converged
    drill_watch_s: float  # after a faulty rollout: the wait for a flagged answer before rolling back anyway
    fault_requests: int
    fault_seconds: float
    async_samples: int  # submissions timed until their answer is stored (systems that answer later)
    async_batch: int  # requests scored in one job run, for a batch job's throughput (several chunks)
    floor_model_calls: int
    floor_http_requests: int
    floor_system_samples: int  # each system's own floors (broker round trips, store transactions)
    concurrencies: tuple[int, ...]  # clients in flight for the throughput runs
    throughput_requests: int  # each throughput run: at most this many requests...
    throughput_seconds: float  # ...and this many seconds
    scale_concurrency: int  # clients in flight when one and two instances of the scaled part are compared
    scale_seconds: float  # each scale-out run (at most throughput_requests requests)
    model_cost_ms: float  # the model-cost knob for the scale-out run beside the plain one (a heavier model)
    scale_plain: bool  # also compare one and two instances without the knob, where that teaches something (`scale.model_costs`)
    scale_whole_apps: bool  # also replicate architectures where nothing scales on its own (the whole app)
    job_scale_rows: int  # houses the async workers score for their rows/s: two job chunks or more, so two workers can share them
    repetitions: int  # latency, throughput and scale-out each measured this often, interleaving architectures
    guard_drills: bool  # the drill again under each guard a system offers (each guard also has tests of its own)
    # an app that predicts in the client: timed batches in its engine, pages open in chromium, how
    # long they are watched after a release, prices asked of each after the drill
    client_batches: int
    client_pages: int
    client_watch_s: float
    client_asks: int


# Latency, throughput and scale-out are repeated 3 times (interleaved, each system launched once for
# all three), so each repetition is shorter than the single pass they replaced (2000 requests / 30 s,
# 3000 / 2 s, 5 s, 10 async answers); the whole run must fit in `make compare`'s 6 minutes.
FULL = Budget(
    latency_requests=800, latency_seconds=10, warmup_requests=50,
    update_interval_s=0.01, update_timeout_s=60, settle_s=0.5, drill_watch_s=3.0,
    fault_requests=20, fault_seconds=10,
    async_samples=5, async_batch=20_000,
    floor_model_calls=10_000, floor_http_requests=2000, floor_system_samples=200,
    concurrencies=(1, 8, 32), throughput_requests=1000, throughput_seconds=0.5,
    scale_concurrency=8, scale_seconds=1.5, model_cost_ms=20.0, scale_plain=True, scale_whole_apps=True,
    job_scale_rows=10_000, repetitions=3, guard_drills=True,
    client_batches=30, client_pages=4, client_watch_s=3.0, client_asks=100,
)

QUICK = Budget(
    latency_requests=200, latency_seconds=5, warmup_requests=20,
    update_interval_s=0.02, update_timeout_s=30, settle_s=0.25, drill_watch_s=1.5,
    fault_requests=5, fault_seconds=5,
    async_samples=3, async_batch=5_000,
    floor_model_calls=2000, floor_http_requests=200, floor_system_samples=30,
    concurrencies=(1, 8, 32), throughput_requests=400, throughput_seconds=1.0,
    scale_concurrency=8, scale_seconds=2.0, model_cost_ms=20.0, scale_plain=False, scale_whole_apps=False,
    job_scale_rows=5_000, repetitions=1, guard_drills=False,
    client_batches=10, client_pages=2, client_watch_s=3.0, client_asks=20,
)
