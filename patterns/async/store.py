"""The request/prediction store: one SQLAlchemy Core code path for SQLite and PostgreSQL.

Claiming is the one place concurrency matters. PostgreSQL picks rows with
``FOR UPDATE SKIP LOCKED`` so workers on many machines never wait on or share a row; SQLite ignores
that clause and instead runs every write transaction as ``BEGIN IMMEDIATE``, which takes the single
writer lock up front, so two claims can never interleave. Reads stay plain ``BEGIN`` (WAL lets them
run beside a writer).

To isolate one PostgreSQL user (or test) put a schema in the URL:
``postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dmy_schema``.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, and_, case, create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import QueuePool

from patterns.launch.contract import PartUnavailable

from .gate import GATE_REVIEWER, Previous
from .schema import (
    REVIEW_STATUSES,
    SchemaTooNewError,
    actions,
    migrate,
    payloads,
    predictions,
    requests,
    runs,
    score_requests,
    shadow_predictions,
    utcnow,
    workers,
)

MAX_ATTEMPTS = 5  # a request whose worker died this often is marked failed instead of retried forever
WORKER_STALE_SECONDS = 5.0  # a worker whose heartbeat is older than this has stopped (it beats every second)
FORGET_WORKER_SECONDS = 24 * 3600.0  # a dead worker's row is dropped this long after its last beat
SQLITE_BUSY_TIMEOUT_SECONDS = 30
_WRITE = {"archlab_write": True}


class DatabaseUnavailable(PartUnavailable):
    """The request database cannot be reached or opened (the message names it, password hidden)."""


# What a database that is down or unreachable raises (not: bad SQL, constraint violations).
DATABASE_DOWN_ERRORS = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Claim:
    request_id: int
    run_id: int
    version: str | None  # the run's pinned model version; None means the worker's default
    payload: dict
    claimed_at: datetime  # when this claim was made: the prediction's scoring started then


@dataclass(frozen=True)
class Finished:
    predicted: int  # including those the review gate rejected
    rejected: int  # by the review gate, as they were stored
    failed: int
    lost: int  # rows whose lease expired and went to another worker before we wrote them


@dataclass(frozen=True)
class ScoreRequest:
    """A "score now" request a worker took: an ordinary pass, or a shadow pass of `shadow_version`."""

    id: int
    shadow_version: str | None


@dataclass(frozen=True)
class Served:
    """A request's served prediction (its newest validated one, what its user reads) and its payload."""

    request_id: int
    prediction_id: int
    model_version: str
    value: float
    payload: dict


@dataclass(frozen=True)
class StuckClaims:
    """Rows held by workers that stopped: nobody scores them until their lease runs out."""

    rows: int
    expires_in: float  # seconds until the last of them returns to the queue

    def message(self) -> str:
        return (f"{self.rows:,} rows claimed by a worker that stopped; "
                f"the lease expires in {max(0, math.ceil(self.expires_in))} s")


@dataclass(frozen=True)
class Filters:
    """Dashboard/report filters; None means "any"."""

    status: str | None = None
    version: str | None = None
    review: str | None = None


def _sqlite_engine(url: str) -> Engine:
    """A SQLite engine that never creates the file behind our back: a missing file is "down".

    Pooled connections would keep reading a moved or deleted file through their open handle, so
    every checkout first checks the file is still there and otherwise drops the connection; the
    reconnect (``mode=rw``) then fails as a real outage does.
    """
    path = Path(make_url(url).database).expanduser().resolve()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").connection.close()

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(
            f"file:{path}?mode=rw", uri=True, timeout=SQLITE_BUSY_TIMEOUT_SECONDS, check_same_thread=False
        )
        conn.isolation_level = None  # we issue BEGIN ourselves, below
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=5, max_overflow=5)

    @event.listens_for(engine, "checkout")
    def still_there(dbapi_connection, record, proxy) -> None:
        if not path.exists():
            raise DisconnectionError(f"{path} is gone")

    @event.listens_for(engine, "begin")
    def begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("archlab_write") else "BEGIN")

    return engine


def _status_update(ids: list[int], status: str, error: str | None = None):
    return (
        update(requests)
        .where(requests.c.id.in_(ids))
        .values(status=status, error=error, claim_owner=None, lease_expires=None)
    )


def _back_to_queue(which):
    """The claimed rows `which` return to pending, or fail once their workers died MAX_ATTEMPTS times."""
    given_up = requests.c.attempts >= MAX_ATTEMPTS
    return update(requests).where(which).values(
        status=case((given_up, "failed"), else_="pending"),
        error=case((given_up, f"gave up: its worker stopped {MAX_ATTEMPTS} times"), else_=None),
        claim_owner=None,
        lease_expires=None,
    )


def _prediction_row(claim: Claim, version: str, value: float, gate_reason: str | None, now) -> dict:
    """A new prediction: awaiting review, or already rejected by the review gate. Every row has the
    same keys (one executemany)."""
    rejected = gate_reason is not None
    return {"request_id": claim.request_id, "run_id": claim.run_id, "model_version": version, "value": value,
            "claimed_at": claim.claimed_at, "created_at": now,
            "review_status": "rejected" if rejected else "pending", "gate_reason": gate_reason,
            "reviewed_by": GATE_REVIEWER if rejected else None, "reviewed_at": now if rejected else None}


def _record(conn: Connection, actor: str, action: str, **detail) -> None:
    """Append who did what to the actions history, in the transaction that did it."""
    conn.execute(insert(actions).values(at=utcnow(), actor=actor, action=action, detail=detail))


def _filtered(query, filters: Filters, prediction):
    """Apply the filters; `prediction` is the predictions table or the current-prediction subquery."""
    if filters.status:
        query = query.where(requests.c.status == filters.status)
    if filters.version:
        query = query.where(prediction.c.model_version == filters.version)
    if filters.review:
        query = query.where(prediction.c.review_status == filters.review)
    return query


class Store:
    """Requests, runs and predictions. Create with `Store.connect(url)`; the schema is migrated then."""

    def __init__(self, engine: Engine, where: str):
        self.engine = engine
        self.where = where  # the URL with any password hidden, for messages and /status

    @classmethod
    def connect(cls, url: str) -> Store:
        """Open the database at `url` and migrate it; DatabaseUnavailable says why it cannot."""
        parsed = make_url(url)
        where = parsed.render_as_string(hide_password=True)
        try:
            if parsed.get_backend_name() == "sqlite":
                engine = _sqlite_engine(url)
            else:
                engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
            store = cls(engine, where)
            with store._write() as conn:
                if engine.dialect.name == "postgresql":  # serialise concurrent first starts
                    conn.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
                migrate(conn)
        except (SQLAlchemyError, sqlite3.Error, OSError, SchemaTooNewError) as exc:
            raise DatabaseUnavailable(f"cannot open the request database {where}: {exc}") from exc
        return store

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(**_WRITE) as conn, conn.begin():
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- submitting -------------------------------------------------------------------------

    def submit(self, records: Sequence[dict], source: str) -> list[int]:
        """Store records as pending requests of one new run; returns their ids in order."""
        if not records:
            return []
        now = utcnow()
        with self._write() as conn:
            run_id = conn.execute(
                insert(runs).values(kind="submit", model_version=None, source=source, created_at=now)
            ).inserted_primary_key[0]
            row = {"source": source, "submitted_at": now, "status": "pending", "run_id": run_id, "attempts": 0}
            ids = list(conn.execute(
                insert(requests).returning(requests.c.id, sort_by_parameter_order=True), [row] * len(records)
            ).scalars())
            conn.execute(insert(payloads), [{"request_id": i, "payload": r} for i, r in zip(ids, records, strict=True)])
            return ids

    # -- the job ----------------------------------------------------------------------------

    def claim(self, owner: str, limit: int, lease_seconds: float) -> list[Claim]:
        """Return expired leases to the queue, then lease up to `limit` pending requests to `owner`."""
        now = utcnow()
        lease_expires = now + timedelta(seconds=lease_seconds)  # with the owner, names this claim's rows
        with self._write() as conn:
            self._release_expired(conn, now)
            pick = (
                select(requests.c.id)
                .where(requests.c.status == "pending")
                .order_by(requests.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            claimed = conn.execute(
                update(requests)
                .where(requests.c.id.in_(pick.scalar_subquery()))
                .values(
                    status="claimed",
                    claim_owner=owner,
                    lease_expires=lease_expires,
                    attempts=requests.c.attempts + 1,
                )
                .returning(requests.c.id, requests.c.run_id)
            ).all()
            if not claimed:
                return []
            # by owner and lease rather than an IN list of thousands of ids (SQLite parses every one)
            records = dict(conn.execute(
                select(payloads.c.request_id, payloads.c.payload)
                .join(requests, requests.c.id == payloads.c.request_id)
                .where(requests.c.claim_owner == owner, requests.c.lease_expires == lease_expires,
                       requests.c.status == "claimed")
            ).all())
            run_ids = {row.run_id for row in claimed}
            versions = dict(conn.execute(select(runs.c.id, runs.c.model_version).where(runs.c.id.in_(run_ids))).all())
        return sorted(
            (Claim(row.id, row.run_id, versions[row.run_id], records[row.id], now) for row in claimed),
            key=lambda c: c.request_id,
        )

    @staticmethod
    def _release_expired(conn: Connection, now) -> None:
        conn.execute(_back_to_queue(and_(requests.c.status == "claimed", requests.c.lease_expires < now)))

    def release_claims_of(self, owner_prefix: str) -> int:
        """Return at once the claims of a worker its supervisor saw die, rather than after their
        lease; returns how many. Only rows claimed under `owner_prefix` (see `job.new_owner`) move:
        the supervisor calls this after its whole process group is dead, so nobody alive claims
        under it. A worker that finished a row first keeps it (the row is no longer "claimed")."""
        under = f"{owner_prefix}/"
        mine = and_(requests.c.status == "claimed", requests.c.claim_owner.startswith(under, autoescape=True))
        with self._write() as conn:
            released = conn.execute(_back_to_queue(mine)).rowcount
            conn.execute(delete(workers).where(workers.c.owner.startswith(under, autoescape=True)))
        return released

    def finish(
        self,
        owner: str,
        values: Iterable[tuple[Claim, str, float, str | None]],
        failures: Iterable[tuple[Claim, str]],
    ) -> Finished:
        """Write one chunk's outcome in one transaction, only for rows `owner` still holds.

        `values` are (claim, model version, value, why the review gate rejected it or None): a
        rejected prediction is stored already reviewed, as rejected by the gate.
        """
        values, failures = list(values), list(failures)
        ids = [c.request_id for c, *_ in values] + [c.request_id for c, _ in failures]
        if not ids:
            return Finished(0, 0, 0, 0)
        now = utcnow()
        with self._write() as conn:
            held = select(requests.c.id).where(requests.c.status == "claimed", requests.c.claim_owner == owner)
            mine = set(conn.execute(held.with_for_update()).scalars()) & set(ids)
            done = [row for row in values if row[0].request_id in mine]
            bad = [(c, e) for c, e in failures if c.request_id in mine]
            if done:
                conn.execute(insert(predictions), [_prediction_row(*row, now) for row in done])
                conn.execute(_status_update([c.request_id for c, *_ in done], "predicted"))
            for claim, error in bad:
                conn.execute(_status_update([claim.request_id], "failed", error=error))
        rejected = sum(1 for *_, reason in done if reason is not None)
        return Finished(len(done), rejected, len(bad), len(ids) - len(done) - len(bad))

    def previous_predictions(self, request_ids: Sequence[int]) -> dict[int, Previous]:
        """Each request's newest prediction that was not rejected (what the review gate compares a
        new one with); requests without one are left out."""
        kept = predictions.c.review_status != "rejected"
        newest = select(func.max(predictions.c.id)).where(kept, predictions.c.request_id.in_(list(request_ids)))
        query = (select(predictions.c.request_id, predictions.c.model_version, predictions.c.value)
                 .where(predictions.c.id.in_(newest.group_by(predictions.c.request_id).scalar_subquery())))
        with self._read() as conn:
            return {row.request_id: Previous(row.model_version, row.value) for row in conn.execute(query)}

    # -- review and re-run ------------------------------------------------------------------

    def review(self, prediction_ids: Sequence[int], decision: str, reviewer: str) -> int:
        """Mark predictions validated or rejected (recorded in the history); returns how many were updated."""
        if decision not in REVIEW_STATUSES[1:]:
            raise ValueError(f"decision must be 'validated' or 'rejected'; got {decision!r}")
        ids = list(prediction_ids)
        with self._write() as conn:
            updated = conn.execute(
                update(predictions)
                .where(predictions.c.id.in_(ids))
                .values(review_status=decision, reviewed_by=reviewer, reviewed_at=utcnow())
            ).rowcount
            _record(conn, reviewer, "review", decision=decision, prediction_ids=ids, updated=updated)
            return updated

    def rerun(
        self, version: str, request_ids: Sequence[int] | None, source: str, actor: str | None = None,
    ) -> tuple[int, int]:
        """Queue requests (all finished ones when `request_ids` is None) for a new run with `version`.

        Requests a worker holds right now are left alone. Earlier predictions stay as history.
        `actor`, when given, is recorded in the history. Returns (run id, number of requests queued).
        Re-running them all moves the system to `version`: new submissions are scored with it too
        (`serving_version`).
        """
        kind = "rerun-all" if request_ids is None else "rerun"
        with self._write() as conn:
            run_id = conn.execute(
                insert(runs).values(kind=kind, model_version=version, source=source, created_at=utcnow())
            ).inserted_primary_key[0]
            where = requests.c.status != "claimed"
            if request_ids is not None:
                where = and_(where, requests.c.id.in_(list(request_ids)))
            queued = conn.execute(
                update(requests).where(where).values(status="pending", run_id=run_id, error=None, attempts=0)
            ).rowcount
            if actor is not None:
                _record(conn, actor, "rerun", run_id=run_id, version=version, queued=queued,
                        request_ids=None if request_ids is None else list(request_ids))
        return run_id, queued

    def serving_version(self) -> str | None:
        """The version of the newest re-run of every request (an update or a rollback), which new
        submissions are scored with; None before any."""
        with self._read() as conn:
            return conn.execute(
                select(runs.c.model_version).where(runs.c.kind == "rerun-all").order_by(runs.c.id.desc()).limit(1)
            ).scalar()

    def run_reviews(self, run_id: int) -> dict[str, int] | None:
        """How many of run `run_id`'s predictions are pending, validated, rejected; None: no such run."""
        with self._read() as conn:
            if conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
                return None
            return dict(conn.execute(select(predictions.c.review_status, func.count())
                                     .where(predictions.c.run_id == run_id)
                                     .group_by(predictions.c.review_status)).all())

    def recent_actions(self, limit: int = 50) -> list[dict]:
        """The newest recorded actions (who reviewed, re-ran, asked to score), newest first."""
        with self._read() as conn:
            rows = conn.execute(select(actions).order_by(actions.c.id.desc()).limit(limit)).mappings().all()
        return [dict(row) for row in rows]

    # -- workers: heartbeats and claims left behind -----------------------------------------

    def beat(self, owner: str, schedule: str | None = None, next_run=None) -> None:
        """Record that worker `owner` is alive now, with its schedule and next scheduled pass (naive
        UTC); a new worker also forgets long-dead ones."""
        now = utcnow()
        state = {"last_seen": now, "schedule": schedule, "next_run": next_run}
        with self._write() as conn:
            seen = conn.execute(update(workers).where(workers.c.owner == owner).values(**state)).rowcount
            if not seen:
                conn.execute(delete(workers).where(workers.c.last_seen < now - timedelta(seconds=FORGET_WORKER_SECONDS)))
                conn.execute(insert(workers).values(owner=owner, started_at=now, **state))

    def retire(self, owner: str) -> None:
        """Worker `owner` stops on purpose: forget it."""
        with self._write() as conn:
            conn.execute(delete(workers).where(workers.c.owner == owner))

    def _live_owners(self, now):
        return select(workers.c.owner).where(workers.c.last_seen >= now - timedelta(seconds=WORKER_STALE_SECONDS))

    def live_workers(self) -> list[str]:
        """Owners of the workers whose heartbeat is recent."""
        with self._read() as conn:
            return list(conn.execute(self._live_owners(utcnow())).scalars())

    def schedules(self) -> list[dict]:
        """Each live worker's owner, schedule and next scheduled pass, the soonest first."""
        query = (select(workers.c.owner, workers.c.schedule, workers.c.next_run)
                 .where(workers.c.owner.in_(self._live_owners(utcnow()).scalar_subquery()))
                 .order_by(workers.c.next_run.is_(None), workers.c.next_run, workers.c.owner))
        with self._read() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def stuck_claims(self) -> StuckClaims | None:
        """Claimed rows whose worker stopped beating, or None when every claim has a live worker."""
        now = utcnow()
        with self._read() as conn:
            abandoned = and_(requests.c.status == "claimed",
                             requests.c.claim_owner.not_in(self._live_owners(now).scalar_subquery()))
            rows, last_expiry = conn.execute(
                select(func.count(), func.max(requests.c.lease_expires)).where(abandoned)
            ).one()
        return StuckClaims(rows, (last_expiry - now).total_seconds()) if rows else None

    # -- "score now": asked by the front, answered by a worker ------------------------------

    def request_scoring(self, actor: str, shadow_version: str | None = None) -> int:
        """Queue a request for a scoring pass, or a shadow pass of `shadow_version` (recorded in the
        history); returns its id."""
        now = utcnow()
        with self._write() as conn:
            request_id = conn.execute(insert(score_requests).values(
                requested_by=actor, requested_at=now, status="queued", shadow_version=shadow_version,
            )).inserted_primary_key[0]
            if shadow_version is None:
                _record(conn, actor, "score", score_request=request_id)
            else:
                _record(conn, actor, "shadow", score_request=request_id, version=shadow_version)
        return request_id

    def take_score_request(self, owner: str) -> ScoreRequest | None:
        """The oldest queued scoring request, now marked running by `owner`; None if there is none."""
        oldest = (select(score_requests.c.id, score_requests.c.shadow_version)
                  .where(score_requests.c.status == "queued").order_by(score_requests.c.id).limit(1))
        with self._read() as conn:  # the cheap look every poll; the write only when there is work
            if conn.execute(oldest).first() is None:
                return None
        with self._write() as conn:
            row = conn.execute(oldest.with_for_update(skip_locked=True)).first()
            if row is not None:
                conn.execute(update(score_requests).where(score_requests.c.id == row.id)
                             .values(status="running", worker=owner))
        return None if row is None else ScoreRequest(row.id, row.shadow_version)

    def withdraw_score_request(self, request_id: int, reason: str) -> bool:
        """Mark a request no worker has started as failed with `reason`; False if a worker took it."""
        with self._write() as conn:
            return bool(conn.execute(
                update(score_requests)
                .where(score_requests.c.id == request_id, score_requests.c.status == "queued")
                .values(status="failed", error=reason, finished_at=utcnow())
            ).rowcount)

    def finish_score_request(self, request_id: int, stats: dict | None = None, error: str | None = None) -> None:
        with self._write() as conn:
            conn.execute(update(score_requests).where(score_requests.c.id == request_id).values(
                status="failed" if error else "done", stats=stats, error=error, finished_at=utcnow()))

    def score_request(self, request_id: int) -> dict | None:
        with self._read() as conn:
            row = conn.execute(select(score_requests).where(score_requests.c.id == request_id)).mappings().first()
        return None if row is None else dict(row)

    # -- shadow passes: a candidate's answers, stored apart and never served -----------------

    def served(self, after_request_id: int, limit: int) -> list[Served]:
        """Up to `limit` requests past `after_request_id` (by id) that have a served prediction, each
        with it and its payload: what a shadow pass answers again."""
        validated = predictions.c.review_status == "validated"
        newest = (select(func.max(predictions.c.id))
                  .where(validated, predictions.c.request_id > after_request_id)
                  .group_by(predictions.c.request_id))
        query = (select(predictions.c.request_id, predictions.c.id, predictions.c.model_version,
                        predictions.c.value, payloads.c.payload)
                 .join(payloads, payloads.c.request_id == predictions.c.request_id)
                 .where(predictions.c.id.in_(newest.scalar_subquery()))
                 .order_by(predictions.c.request_id).limit(limit))
        with self._read() as conn:
            return [Served(*row) for row in conn.execute(query)]

    def store_shadow(self, score_request_id: int, version: str,
                     answers: Sequence[tuple[Served, float | None, str | None]]) -> None:
        """Write one chunk of a shadow pass: (served prediction, the candidate's value or None, why
        it would not be served or None) per request."""
        now = utcnow()
        rows = [{"score_request_id": score_request_id, "request_id": served.request_id,
                 "served_prediction_id": served.prediction_id, "model_version": version, "value": value,
                 "reason": reason, "created_at": now} for served, value, reason in answers]
        if rows:
            with self._write() as conn:
                conn.execute(insert(shadow_predictions), rows)

    def shadow_counts(self, score_request_id: int, agree_within: float) -> dict:
        """What shadow pass `score_request_id` stored, counted in the database: rows, rows whose
        price is within `agree_within` (relative) of the served one, rows the review gate flagged,
        rows the candidate could not predict, and the first of those two kinds with its reason."""
        shadow, served = shadow_predictions, predictions.alias("served")
        agrees = and_(shadow.c.value.is_not(None),
                      func.abs(shadow.c.value - served.c.value) <= agree_within * func.abs(served.c.value))
        mine = shadow.c.score_request_id == score_request_id
        gated = and_(shadow.c.value.is_not(None), shadow.c.reason.is_not(None))
        counted = (func.coalesce(func.sum(case((which, 1), else_=0)), 0) for which in (agrees, gated))
        with self._read() as conn:
            rows, agreed, flagged, unpredicted = conn.execute(
                select(func.count(), *counted, func.count() - func.count(shadow.c.value))
                .select_from(shadow.join(served, served.c.id == shadow.c.served_prediction_id)).where(mine)
            ).one()
            first_flag = conn.execute(select(shadow.c.request_id, shadow.c.reason)
                                      .where(mine, shadow.c.reason.is_not(None))
                                      .order_by(shadow.c.request_id).limit(1)).first()
        return {"rows": rows, "agreed": agreed, "flagged": flagged, "unpredicted": unpredicted,
                "first_flag": None if first_flag is None else f"request {first_flag.request_id}: {first_flag.reason}"}

    # -- reading ----------------------------------------------------------------------------

    def request(self, request_id: int) -> dict | None:
        """One request with its payload (as submitted) and its predictions, newest first."""
        with self._read() as conn:
            row = conn.execute(select(requests).where(requests.c.id == request_id)).mappings().first()
            if row is None:
                return None
            history = conn.execute(
                select(predictions).where(predictions.c.request_id == request_id).order_by(predictions.c.id.desc())
            ).mappings().all()
            payload = conn.execute(select(payloads.c.payload).where(payloads.c.request_id == request_id)).scalar()
        return {**row, "payload": payload, "predictions": [dict(p) for p in history]}

    def counts(self) -> dict[str, int]:
        """Requests per status and predictions per review status (current predictions only)."""
        with self._read() as conn:
            statuses = dict(conn.execute(select(requests.c.status, func.count()).group_by(requests.c.status)).all())
            current = self._current().subquery()
            reviews = dict(
                conn.execute(select(current.c.review_status, func.count()).group_by(current.c.review_status)).all()
            )
        return {**{f"requests_{k}": v for k, v in statuses.items()},
                **{f"review_{k}": v for k, v in reviews.items()}}

    def versions(self) -> list[str]:
        with self._read() as conn:
            return list(conn.execute(select(predictions.c.model_version).distinct().order_by(predictions.c.model_version)).scalars())

    @staticmethod
    def _current():
        """The newest prediction of each request (its current one)."""
        newest = select(func.max(predictions.c.id)).group_by(predictions.c.request_id)
        return select(predictions).where(predictions.c.id.in_(newest.scalar_subquery()))

    def listing(self, filters: Filters, limit: int = 200, offset: int = 0) -> list[dict]:
        """Requests with their current prediction (if any), newest request first."""
        current = self._current().subquery()
        query = (
            select(
                requests.c.id, requests.c.status, requests.c.source, requests.c.submitted_at, requests.c.error,
                current.c.id.label("prediction_id"), current.c.model_version, current.c.value,
                current.c.review_status, current.c.reviewed_by, current.c.gate_reason,
            )
            .select_from(requests.outerjoin(current, current.c.request_id == requests.c.id))
            .order_by(requests.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        query = _filtered(query, filters, current)
        with self._read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def history(self, filters: Filters) -> Iterator[dict]:
        """Every prediction (history included) with its request's status, for the CSV report."""
        current_ids = select(self._current().subquery().c.id)
        query = (
            select(
                predictions.c.request_id, requests.c.status.label("request_status"), requests.c.submitted_at,
                predictions.c.id.label("prediction_id"), predictions.c.run_id, predictions.c.model_version,
                predictions.c.value, predictions.c.created_at, predictions.c.review_status,
                predictions.c.reviewed_by, predictions.c.reviewed_at, predictions.c.gate_reason,
                predictions.c.id.in_(current_ids).label("current"),
            )
            .select_from(predictions.join(requests, requests.c.id == predictions.c.request_id))
            .order_by(predictions.c.request_id, predictions.c.id)
        )
        query = _filtered(query, filters, predictions)
        with self._read() as conn:
            yield from (dict(r) for r in conn.execute(query).mappings())

    def current_values(self, filters: Filters) -> list[tuple[str, float]]:
        """(model version, value) of every current prediction matching the filters, for the chart."""
        current = self._current().subquery()
        query = select(current.c.model_version, current.c.value).join(requests, requests.c.id == current.c.request_id)
        query = _filtered(query, filters, current)
        with self._read() as conn:
            return [tuple(r) for r in conn.execute(query)]
