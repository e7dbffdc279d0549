"""The batch job: claim a chunk, validate it, predict it vectorised, pass it through the review
gate, write it in one transaction.

A bad row never sinks its chunk: rows failing validation are marked failed with their field
errors, and if the vectorised call fails the chunk is retried row by row to isolate the culprit.
A scheduled worker runs a pass at its schedule's times (`schedule.py`) and whenever the front asks.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from shared_model import ModelError, ModelStore, validate_batch
from shared_model.errors import describe

from patterns.model_cost import spend

from .gate import Previous, ReviewGate
from .schedule import Cron, Every
from .store import DATABASE_DOWN_ERRORS, Claim, ScoreRequest, Store

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 2500  # measured: 27,000 rows/s against 25,000 at 5,000 and 28,000 at 1,000 (bench.py, SQLite)
MAX_CHUNK_SIZE = 10_000  # keeps every IN (...) list well under SQLite's bound-parameter limit
DEFAULT_LEASE_SECONDS = 60.0
HEARTBEAT_SECONDS = 1.0  # well under store.WORKER_STALE_SECONDS
POLL_SECONDS = 0.2  # how often a scheduled worker looks for a "score now" request


class ShadowPassStopped(RuntimeError):
    """The worker was asked to stop before a shadow pass had answered every served request."""


@dataclass
class JobStats:
    claimed: int = 0
    predicted: int = 0
    rejected: int = 0  # of the predicted, by the review gate
    failed: int = 0
    lost: int = 0
    chunks: int = 0
    seconds: float = 0.0

    def add(self, other: JobStats) -> None:
        for name in ("claimed", "predicted", "rejected", "failed", "lost", "chunks", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def rows_per_second(self) -> float:
        return self.claimed / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"scored {self.claimed} requests in {self.chunks} chunks: {self.predicted} predicted "
            f"({self.rejected} rejected by the review gate), {self.failed} failed, {self.lost} lost to an expired lease; "
            f"{self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/s)"
        )

    def as_dict(self) -> dict:
        return {**self.__dict__, "rows_per_second": round(self.rows_per_second, 1)}


def new_owner(prefix: str | None = None) -> str:
    """A worker identity that is unique across machines and restarts. Under `prefix` (given by the
    process that supervises this worker) it reads `prefix/host:pid:random`, so the supervisor can
    release the claims of a worker it saw die (`Store.release_claims_of`) without knowing its pid."""
    own = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return own if prefix is None else f"{prefix}/{own}"


class ScoringJob:
    """Scores pending requests of `store` with models from `models`.

    Parameters
    ----------
    default_version:
        Version for requests whose run does not pin one; None means the newest in the store,
        looked up at every pass so a freshly trained model is picked up without a restart.
    lease_seconds:
        How long a claim lasts; if the worker dies, its rows return to pending after this.
    """

    def __init__(
        self,
        store: Store,
        models: ModelStore,
        default_version: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        owner: str | None = None,
        model_cost_ms: float = 0.0,
    ):
        self.store = store
        self.model_cost_ms = model_cost_ms  # MODEL_COST_MS, paid once per vectorised call (not per row)
        self.models = models
        self.default_version = default_version
        self.chunk_size = chunk_size
        self.lease_seconds = lease_seconds
        self.owner = owner or new_owner()
        self.schedule: Every | Cron | None = None  # set while run_on runs; the heartbeat reports it
        self.next_run: datetime | None = None
        self._loaded: dict[str, tuple[object, ReviewGate]] = {}

    def model(self, version: str):
        """The loaded (verified) model for `version`, cached for the job's lifetime."""
        return self._model_and_gate(version)[0]

    def _model_and_gate(self, version: str) -> tuple[object, ReviewGate]:
        if version not in self._loaded:
            model = self.models.load(version)
            self._loaded[version] = (model, ReviewGate(model.metadata))
        return self._loaded[version]

    def score_chunk(self, default_version: str) -> JobStats | None:
        """Claim and score one chunk; None when nothing is pending."""
        started = time.perf_counter()
        claims = self.store.claim(self.owner, self.chunk_size, self.lease_seconds)
        if not claims:
            return None
        groups: dict[str, list[Claim]] = defaultdict(list)
        for claim in claims:
            groups[claim.version or default_version].append(claim)
        previous = self.store.previous_predictions([claim.request_id for claim in claims])
        values, failures = [], []
        for version, group in groups.items():
            self._score_group(version, group, previous, values, failures)
        finished = self.store.finish(self.owner, values, failures)
        return JobStats(
            claimed=len(claims), predicted=finished.predicted, rejected=finished.rejected, failed=finished.failed,
            lost=finished.lost, chunks=1, seconds=time.perf_counter() - started,
        )

    def _score_group(
        self, version: str, group: list[Claim], previous: dict[int, Previous], values: list, failures: list,
    ) -> None:
        try:
            model, gate = self._model_and_gate(version)
        except ModelError as exc:
            failures.extend((claim, f"model {version} unavailable: {exc}") for claim in group)
            return
        answers = self._predict_and_gate(model, gate, [claim.payload for claim in group],
                                         [previous.get(claim.request_id) for claim in group])
        for claim, answer in zip(group, answers, strict=True):
            if isinstance(answer, str):
                failures.append((claim, answer))
            else:
                values.append((claim, model.version, *answer))

    def _predict_and_gate(
        self, model, gate: ReviewGate, payloads: list[dict], previous: list[Previous | None],
    ) -> list[tuple[float, str | None] | str]:
        """Per payload: (its price, why the review gate rejects it or None), or why it could not be
        predicted (its field errors, a failed or non-finite prediction)."""
        checked = validate_batch(payloads)
        answers: list = [describe(checked.invalid[i]) if i in checked.invalid else None for i in range(len(payloads))]
        try:
            spend(self.model_cost_ms)
            predicted = model.predict_many([record for _, record in checked.valid])
        except Exception:  # noqa: BLE001 - isolate the row that broke the vectorised call
            predicted = [self._predict_one(model, record) for _, record in checked.valid]
        for (i, _), value in zip(checked.valid, predicted, strict=True):
            if isinstance(value, str):
                answers[i] = value
            elif not math.isfinite(value):
                answers[i] = f"model {model.version} returned a non-finite value ({value})"
            else:
                answers[i] = (float(value), gate.reason(value, previous[i]))
        return answers

    @staticmethod
    def _predict_one(model, record: dict) -> float | str:
        """The value, or the error message as a string when this one row cannot be predicted."""
        try:
            return model.predict_one(record)
        except Exception as exc:  # noqa: BLE001 - the message is stored on the failed request
            return f"prediction failed: {type(exc).__name__}: {exc}"

    @contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Beat in the store every HEARTBEAT_SECONDS while the body runs, so /status can tell a
        worker that is busy from one that stopped; retire from the store on the way out."""
        done = threading.Event()

        def keep_beating() -> None:
            while not done.wait(HEARTBEAT_SECONDS):
                self._beat()

        self._beat()  # before the first claim, so no claim of ours ever looks abandoned
        thread = threading.Thread(target=keep_beating, name="heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            try:
                self.store.retire(self.owner)
            except DATABASE_DOWN_ERRORS:
                pass  # its heartbeat goes stale instead

    def _beat(self) -> None:
        next_run = None if self.next_run is None else self.next_run.astimezone(UTC).replace(tzinfo=None)
        try:
            self.store.beat(self.owner, None if self.schedule is None else self.schedule.text, next_run)
        except DATABASE_DOWN_ERRORS as exc:  # the pass reports the outage; keep beating
            log.warning("heartbeat failed: %s", exc)

    def run_once(self, stop: threading.Event | None = None) -> JobStats:
        """Score until nothing is pending or `stop` is set (one pass, or `archlab score --once`)."""
        with self.heartbeat():
            return self._pass(stop)

    def _pass(self, stop: threading.Event | None = None) -> JobStats:
        # after an update re-ran every request with a version, new submissions get that one too
        default_version = self.store.serving_version() or self.default_version or self.models.latest()
        self.model(default_version)  # load (and verify) up front, so chunk times measure scoring only
        total = JobStats()
        with _long_lived_heap_frozen():
            while not (stop and stop.is_set()) and (chunk := self.score_chunk(default_version)) is not None:
                total.add(chunk)
        return total

    def run_on(self, schedule: Every | Cron, stop: threading.Event) -> JobStats:
        """Run a pass at `schedule`'s times until `stop` is set, and one at once whenever the front
        asks ("score now"); a failing pass is reported, not fatal, and tried again
        `schedule.retry_seconds` later."""
        total = JobStats()
        self.schedule, self.next_run = schedule, schedule.first_run(_now())
        with self.heartbeat():
            while not stop.is_set():
                try:
                    asked = self.store.take_score_request(self.owner)
                    if asked is not None:
                        total.add(self._answer(asked, stop))
                    elif _now() >= self.next_run:
                        passed = self._pass(stop)
                        self.next_run = schedule.next_run(_now())
                        total.add(passed)
                        if passed.claimed:
                            log.info("%s; next pass %s", passed.summary(), self.next_run.isoformat(timespec="seconds"))
                except (*DATABASE_DOWN_ERRORS, ModelError) as exc:  # database away or no model yet: try again
                    log.warning("scoring pass failed, retrying in %s s: %s", schedule.retry_seconds, exc)
                    stop.wait(schedule.retry_seconds)
                stop.wait(max(0.0, min(POLL_SECONDS, (self.next_run - _now()).total_seconds())))
        return total

    def _answer(self, asked: ScoreRequest, stop: threading.Event) -> JobStats:
        """Run the pass a "score now" request asked for (an ordinary or a shadow pass) and store its
        stats (or why it failed)."""
        try:
            if asked.shadow_version is None:
                stats = self._pass(stop)
            else:
                stats = self.shadow_pass(asked.shadow_version, asked.id, stop)
        except ShadowPassStopped as exc:
            self.store.finish_score_request(asked.id, error=f"the shadow pass was cut short: {exc}")
            return JobStats()
        except ModelError as exc:
            self.store.finish_score_request(asked.id, error=f"the scoring pass failed: {exc}")
            raise
        self.store.finish_score_request(asked.id, stats=stats.as_dict())
        shadow = "" if asked.shadow_version is None else f" (a shadow pass of {asked.shadow_version})"
        log.info("score request %s%s: %s", asked.id, shadow, stats.summary())
        return stats

    def shadow_pass(self, version: str, score_request_id: int, stop: threading.Event | None = None) -> JobStats:
        """Answer every request that has a served prediction again with candidate `version`, each
        answer judged by the review gate as a re-run would judge it, into the shadow table (never
        served); requests and their predictions are not touched. The candidate is loaded for this
        pass only: the worker does not keep a model it does not serve. `rejected` counts the
        answers the gate flags, `failed` those the candidate could not predict."""
        model = self.models.load(version)
        gate = ReviewGate(model.metadata)
        total, after = JobStats(), 0
        with _long_lived_heap_frozen():
            while True:
                started = time.perf_counter()
                served = self.store.served(after, self.chunk_size)
                if not served:
                    return total
                if stop is not None and stop.is_set():
                    raise ShadowPassStopped(f"the worker stopped after {total.claimed} served requests; "
                                            "a partial shadow pass decides nothing")
                previous = self.store.previous_predictions([row.request_id for row in served])
                answers = self._predict_and_gate(model, gate, [row.payload for row in served],
                                                 [previous.get(row.request_id) for row in served])
                rows = [(row, None, answer) if isinstance(answer, str) else (row, *answer)
                        for row, answer in zip(served, answers, strict=True)]
                self.store.store_shadow(score_request_id, model.version, rows)
                after = served[-1].request_id
                failed = sum(isinstance(answer, str) for answer in answers)
                total.add(JobStats(claimed=len(rows), predicted=len(rows) - failed, failed=failed, chunks=1,
                                   rejected=sum(value is not None and reason is not None for _, value, reason in rows),
                                   seconds=time.perf_counter() - started))


@contextmanager
def _long_lived_heap_frozen() -> Iterator[None]:
    """Keep what was alive before a pass (libraries, models, caches) out of the garbage collector's
    full collections while the pass allocates a dict per row: without it every full collection
    walks the whole heap, and a chunk of thousands of rows triggers several (measured with
    5,000-row chunks: about 20,000 rows/s against 25,000 with the heap frozen, `python -m
    patterns.async.lab.bench --chunk-size 5000`). Thawed afterwards, so nothing frozen is kept from
    being collected later."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _now() -> datetime:
    return datetime.now(UTC)
