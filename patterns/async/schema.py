"""The tables of the async store and their migrations, tracked in a schema-version table.

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
    select,
)
from sqlalchemy.engine import Connection

SCHEMA_VERSION = 1

REQUEST_STATUSES = ("pending", "claimed", "predicted", "failed")
REVIEW_STATUSES = ("pending", "validated", "rejected")

metadata = MetaData()

schema_version = Table(
    "archlab_schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime, nullable=False),
)

# One row per submission batch or re-run; a request is scored at most once per run.
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # "submit" or "rerun"
    Column("model_version", String(64)),  # None: the worker's default version
    Column("source", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# The small, often-updated state of each request. Its payload lives apart (below), so claiming and
# finishing rewrite a few bytes per row rather than the whole record.
requests = Table(
    "requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(64), nullable=False),
    Column("submitted_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("claim_owner", String(128)),
    Column("lease_expires", DateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Index("ix_requests_status_id", "status", "id"),
)

payloads = Table(
    "request_payloads",
    metadata,
    Column("request_id", Integer, ForeignKey("requests.id"), primary_key=True),
    Column("payload", JSON, nullable=False),  # the original record, as submitted; never updated
)

predictions = Table(
    "predictions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("value", Float, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("review_status", String(16), nullable=False, default="pending"),
    Column("reviewed_by", String(128)),
    Column("reviewed_at", DateTime),
    # History grows with every run, but one run can never leave two predictions for a request.
    UniqueConstraint("request_id", "run_id", name="uq_predictions_request_run"),
    Index("ix_predictions_request", "request_id"),
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _create_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[runs, requests, payloads, predictions])


# version -> step that brings the schema from version-1 to version. Append, never edit.
MIGRATIONS = {1: _create_v1}


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
    for version in range(current + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](conn)
        conn.execute(schema_version.insert().values(version=version, applied_at=utcnow()))
    return SCHEMA_VERSION
