"""The tables of the async store and their migrations, tracked in a schema-version table.

Every name archlab creates starts with `archlab_` (tables, and indexes, which PostgreSQL keeps in
the same namespace), so the store can live in a schema another application also uses. A new
database gets the current tables at once; an older one is brought forward by `MIGRATIONS`.

All times are naive UTC (`utcnow()`): SQLite has no time zones, and one convention for both
databases keeps lease comparisons exact.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection

SCHEMA_VERSION = 6
PREFIX = "archlab_"

REQUEST_STATUSES = ("pending", "claimed", "predicted", "failed")
REVIEW_STATUSES = ("pending", "validated", "rejected")
SCORE_REQUEST_STATUSES = ("queued", "running", "done", "failed")

metadata = MetaData()

schema_version = Table(
    "archlab_schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime, nullable=False),
)


def request_tables(meta: MetaData, prefix: str) -> tuple[Table, Table, Table, Table]:
    """runs, requests, payloads, predictions, named with `prefix` (version 1 had none)."""
    # One row per submission batch or re-run; a request is scored at most once per run.
    runs = Table(
        f"{prefix}runs",
        meta,
        Column("id", Integer, primary_key=True),
        Column("kind", String(16), nullable=False),  # "submit", "rerun" (some requests) or "rerun-all"
        Column("model_version", String(64)),  # None: the worker's default version
        Column("source", String(64), nullable=False),
        Column("created_at", DateTime, nullable=False),
    )
    # The small, often-updated state of each request. Its payload lives apart (below), so claiming
    # and finishing rewrite a few bytes per row rather than the whole record.
    requests = Table(
        f"{prefix}requests",
        meta,
        Column("id", Integer, primary_key=True),
        Column("source", String(64), nullable=False),
        Column("submitted_at", DateTime, nullable=False),
        Column("status", String(16), nullable=False, default="pending"),
        Column("run_id", Integer, ForeignKey(f"{prefix}runs.id"), nullable=False),
        Column("claim_owner", String(128)),
        Column("lease_expires", DateTime),
        Column("attempts", Integer, nullable=False, default=0),
        Column("error", Text),
        Index(f"ix_{prefix}requests_status_id", "status", "id"),
    )
    payloads = Table(
        f"{prefix}request_payloads",
        meta,
        Column("request_id", Integer, ForeignKey(f"{prefix}requests.id"), primary_key=True),
        Column("payload", JSON, nullable=False),  # the original record, as submitted; never updated
    )
    predictions = Table(
        f"{prefix}predictions",
        meta,
        Column("id", Integer, primary_key=True),
        Column("request_id", Integer, ForeignKey(f"{prefix}requests.id"), nullable=False),
        Column("run_id", Integer, ForeignKey(f"{prefix}runs.id"), nullable=False),
        Column("model_version", String(64), nullable=False),
        Column("value", Float, nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("review_status", String(16), nullable=False, default="pending"),
        Column("reviewed_by", String(128)),
        Column("reviewed_at", DateTime),
        # History grows with every run, but one run can never leave two predictions for a request.
        UniqueConstraint("request_id", "run_id", name=f"uq_{prefix}predictions_request_run"),
        Index(f"ix_{prefix}predictions_request", "request_id"),
    )
    return runs, requests, payloads, predictions


runs, requests, payloads, predictions = request_tables(metadata, PREFIX)
# Version 4: why the review gate (`gate.py`) rejected a prediction; kept when a person overrides it.
# Added here, not in request_tables, which also describes version 1's tables for migrating them.
predictions.append_column(Column("gate_reason", Text))
# Version 5: when the job claimed the request for this prediction, so an answer's time splits into
# waiting for the schedule (submitted -> claimed), scoring (claimed -> created) and review.
predictions.append_column(Column("claimed_at", DateTime))

# Each scoring worker says it is alive here (a heartbeat thread), so a claim whose owner stopped
# beating can be told apart from one a worker is busy with.
workers = Table(
    "archlab_workers",
    metadata,
    Column("owner", String(128), primary_key=True),  # the claim owner, ScoringJob.owner
    Column("started_at", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("schedule", String(128)),  # version 4: when it runs passes ("cron 0 2 * * * (UTC)"), None: once
    Column("next_run", DateTime),  # version 4: its next scheduled pass
)

# "Score now": the front queues a row, a worker runs a pass for it and writes the pass's stats.
score_requests = Table(
    "archlab_score_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("requested_by", String(128), nullable=False),
    Column("requested_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),  # SCORE_REQUEST_STATUSES
    Column("worker", String(128)),
    Column("finished_at", DateTime),
    Column("stats", JSON),
    Column("error", Text),
    # version 6: the candidate model version of a shadow pass (`shadow.py`); None: an ordinary pass
    Column("shadow_version", String(64)),
    Index("ix_archlab_score_requests_status_id", "status", "id"),
)

# Version 6: what a candidate model would have answered for each served request, scored by a shadow
# pass (one "score now" request with a `shadow_version`). Its own table, which no route that
# serves a prediction reads: a user can never be given a shadow price. Kept per shadow pass, as the
# record of what the candidate would have done.
shadow_predictions = Table(
    "archlab_shadow_predictions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("score_request_id", Integer, ForeignKey("archlab_score_requests.id"), nullable=False),
    Column("request_id", Integer, ForeignKey("archlab_requests.id"), nullable=False),
    Column("served_prediction_id", Integer, ForeignKey("archlab_predictions.id"), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("value", Float),  # None: the candidate could not predict it (`reason` says why)
    Column("reason", Text),  # why it would not be served: the review gate's reason, or the failure
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("score_request_id", "request_id", name="uq_archlab_shadow_predictions_pass_request"),
)

# Who did what: every review, re-run and "score now", with the credential's name.
actions = Table(
    "archlab_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(32), nullable=False),  # "review", "rerun", "score", "shadow"
    Column("detail", JSON, nullable=False),
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _add_prefix(conn: Connection) -> None:
    """Version 2: copy the unprefixed tables of version 1 into `archlab_*` ones, then drop them."""
    old = request_tables(MetaData(), "")
    new = (runs, requests, payloads, predictions)
    metadata.create_all(conn, tables=list(new))
    for source, target in zip(old, new, strict=True):
        names = [column.name for column in source.columns]
        conn.execute(insert(target).from_select(names, select(*source.columns)))
    for source in reversed(old):
        source.drop(conn)
    if conn.dialect.name == "postgresql":  # explicit ids were copied: move each id sequence past them
        for table in (runs, requests, predictions):
            next_id = conn.execute(select(func.coalesce(func.max(table.c.id), 0) + 1)).scalar()
            conn.execute(text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :next, false)"),
                         {"table": table.name, "next": next_id})


def _add_workers_and_actions(conn: Connection) -> None:
    """Version 3: worker heartbeats, "score now" requests and the actions history."""
    metadata.create_all(conn, tables=[workers, score_requests, actions])


def _add_missing_columns(conn: Connection, wanted: tuple[tuple[Table, tuple[str, ...]], ...]) -> None:
    """Add today's definition of each wanted column where it is missing: versions 2 and 3 create
    their tables from today's definitions, so a database migrated from an older one has them already."""
    for table, names in wanted:
        present = {column["name"] for column in inspect(conn).get_columns(table.name)}
        for name in names:
            if name not in present:
                column = table.c[name]
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} "
                                  f"{column.type.compile(dialect=conn.dialect)}"))


def _add_gate_and_schedule(conn: Connection) -> None:
    """Version 4: the review gate's reason on predictions, each worker's schedule and next run."""
    _add_missing_columns(conn, ((predictions, ("gate_reason",)), (workers, ("schedule", "next_run"))))


def _add_claimed_at(conn: Connection) -> None:
    """Version 5: when each prediction's request was claimed (older predictions keep None: unknown)."""
    _add_missing_columns(conn, ((predictions, ("claimed_at",)),))


def _add_shadow(conn: Connection) -> None:
    """Version 6: shadow passes: a new table and a new nullable column; no stored row is touched."""
    metadata.create_all(conn, tables=[shadow_predictions])
    _add_missing_columns(conn, ((score_requests, ("shadow_version",)),))


# version -> step that brings the schema from version-1 to version. Append, never edit.
MIGRATIONS = {2: _add_prefix, 3: _add_workers_and_actions, 4: _add_gate_and_schedule, 5: _add_claimed_at,
              6: _add_shadow}


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer archlab; this one must not write to it."""


def migrate(conn: Connection) -> int:
    """Bring the schema up to SCHEMA_VERSION inside the caller's (locked) transaction."""
    schema_version.create(conn, checkfirst=True)
    current = conn.execute(select(schema_version.c.version).order_by(schema_version.c.version.desc())).scalar() or 0
    if current > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"the database schema is version {current}, newer than this archlab's {SCHEMA_VERSION}; upgrade archlab"
        )
    if current == 0:  # a new database: today's tables at once, never a generic name even for a moment
        metadata.create_all(conn, tables=[t for t in metadata.sorted_tables if t is not schema_version])
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION, applied_at=utcnow()))
        return SCHEMA_VERSION
    for version in range(current + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](conn)
        conn.execute(schema_version.insert().values(version=version, applied_at=utcnow()))
    return SCHEMA_VERSION
