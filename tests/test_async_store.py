"""The async request store on SQLite and PostgreSQL: schema, claiming, leases, history, review."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, create_engine, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from async_helpers import async_module, houses, predictions_per_request, statuses

schema = async_module("schema")
store_module = async_module("store")
EXPIRED = -1.0  # a lease that has already run out when the next claim looks


def test_schema_is_created_once_and_recorded(database_url, store):
    again = store_module.Store.connect(database_url)  # a second start migrates nothing
    with again.engine.connect() as conn:
        versions = conn.execute(select(schema.schema_version.c.version)).scalars().all()
    again.close()
    assert versions == [schema.SCHEMA_VERSION]


def test_a_newer_schema_is_refused(database_url, store):
    with store.engine.begin() as conn:
        conn.execute(insert(schema.schema_version).values(version=schema.SCHEMA_VERSION + 1,
                                                          applied_at=schema.utcnow()))
    with pytest.raises(store_module.DatabaseUnavailable, match="newer than this archlab"):
        store_module.Store.connect(database_url)


def version_1_database(url: str) -> None:
    """A database as archlab's schema version 1 left it: unprefixed tables, one scored request."""
    runs, requests, payloads, predictions = schema.request_tables(MetaData(), "")
    engine = create_engine(url)
    with engine.begin() as conn:
        schema.schema_version.create(conn)
        runs.metadata.create_all(conn)
        now = schema.utcnow()
        conn.execute(insert(schema.schema_version).values(version=1, applied_at=now))
        conn.execute(insert(runs).values(id=1, kind="submit", source="web", created_at=now))
        conn.execute(insert(requests), [{"id": i, "source": "web", "submitted_at": now, "status": status,
                                         "run_id": 1, "attempts": 1} for i, status in ((1, "predicted"), (2, "pending"))])
        conn.execute(insert(payloads), [{"request_id": i, "payload": house} for i, house in enumerate(houses(2), 1)])
        conn.execute(insert(predictions).values(id=1, request_id=1, run_id=1, model_version="v1", value=123_456.0,
                                                created_at=now, review_status="validated", reviewed_by="ann"))
    engine.dispose()


def test_a_version_1_database_keeps_its_data_under_prefixed_names(database_url):
    version_1_database(database_url)
    store = store_module.Store.connect(database_url)
    try:
        assert sorted(inspect(store.engine).get_table_names()) == [
            "archlab_actions", "archlab_predictions", "archlab_request_payloads", "archlab_requests", "archlab_runs",
            "archlab_schema_version", "archlab_score_requests", "archlab_shadow_predictions", "archlab_workers"]
        served = store.request(1)
        assert (served["status"], served["predictions"][0]["value"], served["predictions"][0]["reviewed_by"]) == (
            "predicted", 123_456.0, "ann")
        [claim] = store.claim("w", limit=10, lease_seconds=60)
        assert (claim.request_id, claim.payload) == (2, houses(2)[1])
        assert store.submit(houses(1), source="test") == [3]  # ids go on after the copied ones
        with store.engine.connect() as conn:
            assert conn.execute(select(schema.schema_version.c.version)).scalars().all() == [1, 2, 3, 4, 5, 6]
    finally:
        store.close()


def older_database(database_url: str, version: int, dropped: tuple[tuple[str, str], ...]) -> None:
    """A database of an older `version`: today's tables less the columns it did not have yet."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        schema.migrate(conn)
        for table, column in dropped:
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(update(schema.schema_version).values(version=version))
    engine.dispose()


def test_a_version_3_database_gains_the_gate_and_schedule_columns(database_url):
    """Version 3 had no review gate, schedules nor claim times."""
    older_database(database_url, 3, (("archlab_predictions", "gate_reason"), ("archlab_workers", "schedule"),
                                     ("archlab_workers", "next_run"), ("archlab_predictions", "claimed_at")))
    store = store_module.Store.connect(database_url)
    try:
        store.submit(houses(1), source="test")
        [claim] = store.claim("w", limit=1, lease_seconds=60)
        store.finish("w", [(claim, "v3", 9e6, "the price is outside")], [])
        store.beat("w", "cron 0 2 * * * (UTC)", schema.utcnow())
        assert store.request(1)["predictions"][0]["gate_reason"] == "the price is outside"
        assert store.schedules()[0]["schedule"] == "cron 0 2 * * * (UTC)"
        with store.engine.connect() as conn:
            assert conn.execute(select(schema.schema_version.c.version)).scalars().all() == [3, 4, 5, 6]
    finally:
        store.close()


def test_a_version_4_database_keeps_its_predictions_and_records_claim_times_from_then_on(database_url):
    older_database(database_url, 4, (("archlab_predictions", "claimed_at"),))
    engine = create_engine(database_url)
    with engine.begin() as conn:  # a prediction stored by version 4
        run = conn.execute(insert(schema.runs).values(kind="submit", source="old", created_at=schema.utcnow()))
        request = conn.execute(insert(schema.requests).values(
            source="old", submitted_at=schema.utcnow(), status="predicted", run_id=run.inserted_primary_key[0]))
        conn.execute(insert(schema.payloads).values(request_id=request.inserted_primary_key[0], payload=houses(1)[0]))
        conn.execute(text("INSERT INTO archlab_predictions (request_id, run_id, model_version, value, created_at, "
                          "review_status) VALUES (1, 1, 'v1', 100000.0, '2026-01-01 00:00:00', 'validated')"))
    engine.dispose()
    store = store_module.Store.connect(database_url)
    try:
        store.submit(houses(1), source="test")
        [claim] = store.claim("w", limit=1, lease_seconds=60)
        store.finish("w", [(claim, "v2", 2e5, None)], [])
        old, new = store.request(1)["predictions"][0], store.request(2)["predictions"][0]
        assert (old["value"], old["claimed_at"]) == (100000.0, None)  # unknown, not invented
        assert new["claimed_at"] == claim.claimed_at <= new["created_at"]
    finally:
        store.close()


def test_sqlite_database_that_is_gone_is_reported_not_recreated(home_with_models):
    store = store_module.Store.connect(f"sqlite:///{home_with_models / 'async.db'}")
    (home_with_models / "async.db").rename(home_with_models / "moved.db")
    with pytest.raises(store_module.DATABASE_DOWN_ERRORS):
        store.counts()
    assert not (home_with_models / "async.db").exists()


def test_claims_never_overlap_and_respect_the_limit(store):
    ids = store.submit(houses(10), source="test")
    first = store.claim("a", limit=4, lease_seconds=60)
    second = store.claim("b", limit=100, lease_seconds=60)
    assert [c.request_id for c in first] == ids[:4]
    assert [c.request_id for c in second] == ids[4:]
    assert store.claim("c", limit=100, lease_seconds=60) == []
    assert first[0].payload == houses(1)[0]  # the original record comes back unchanged


def test_a_claim_returns_only_its_own_rows_while_the_owner_still_holds_older_ones(store):
    records = houses(6)
    ids = store.submit(records, source="test")
    first = store.claim("a", limit=3, lease_seconds=60)  # never finished (its write failed, say)
    second = store.claim("a", limit=3, lease_seconds=120)
    assert [c.request_id for c in first] == ids[:3]
    assert [(c.request_id, c.payload) for c in second] == list(zip(ids[3:], records[3:]))


def test_expired_lease_returns_rows_and_the_late_owner_writes_nothing(store):
    store.submit(houses(3), source="test")
    stale = store.claim("dead", limit=3, lease_seconds=EXPIRED)
    fresh = store.claim("alive", limit=3, lease_seconds=60)
    assert [c.request_id for c in fresh] == [c.request_id for c in stale]

    late = store.finish("dead", [(c, "v1", 1.0, None) for c in stale], [])
    done = store.finish("alive", [(c, "v1", 2.0, None) for c in fresh], [])

    assert (late.predicted, late.lost) == (0, 3)
    assert (done.predicted, done.lost) == (3, 0)
    assert set(predictions_per_request(store).values()) == {1}


def test_a_dead_workers_claims_are_released_by_its_prefix_only(store):
    """What a supervisor does when it sees its worker die: only rows claimed under that worker's
    prefix return to the queue, at once; rows of other workers (even a prefix that merely starts
    alike) and rows the dead worker finished stay as they are."""
    store.submit(houses(6), source="test")
    finished = store.claim("sup-1/host:10:aa", limit=1, lease_seconds=60)
    store.finish("sup-1/host:10:aa", [(c, "v1", 1.0, None) for c in finished], [])
    dead = store.claim("sup-1/host:10:aa", limit=2, lease_seconds=60)
    alike = store.claim("sup-10/host:11:bb", limit=1, lease_seconds=60)
    unsupervised = store.claim("host:12:cc", limit=1, lease_seconds=60)
    store.beat("sup-1/host:10:aa")

    assert store.release_claims_of("sup-1") == 2
    assert statuses(store) == {"predicted": 1, "claimed": 2, "pending": 3}
    assert "sup-1/host:10:aa" not in store.live_workers()
    others = {c.request_id for c in alike + unsupervised}
    again = {c.request_id for c in store.claim("next", limit=10, lease_seconds=60)}
    assert len(again) == 3 and again >= {c.request_id for c in dead} and not again & others


def test_two_predictions_from_the_same_run_are_impossible(store):
    [request_id] = store.submit(houses(1), source="test")
    [claim] = store.claim("a", limit=1, lease_seconds=60)
    store.finish("a", [(claim, "v1", 1.0, None)], [])
    row = {"request_id": request_id, "run_id": claim.run_id, "model_version": "v1", "value": 2.0,
           "created_at": schema.utcnow(), "review_status": "pending"}
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert(schema.predictions).values(**row))


def test_a_request_whose_worker_keeps_dying_is_failed(store):
    store.submit(houses(1), source="test")
    for _ in range(store_module.MAX_ATTEMPTS):
        assert store.claim("crashing", limit=1, lease_seconds=EXPIRED)
    assert store.claim("next", limit=1, lease_seconds=60) == []
    [row] = store.listing(store_module.Filters(status="failed"))
    assert "gave up" in row["error"]


def test_failures_are_recorded_per_row(store):
    store.submit(houses(2), source="test")
    good, bad = store.claim("a", limit=2, lease_seconds=60)
    result = store.finish("a", [(good, "v1", 100_000.0, None)], [(bad, "GrLivArea: is not a number")])
    assert (result.predicted, result.failed) == (1, 1)
    assert statuses(store) == {"predicted": 1, "failed": 1}
    assert store.request(bad.request_id)["error"] == "GrLivArea: is not a number"


def test_rerun_keeps_history_and_review_marks_predictions(store):
    ids = store.submit(houses(2), source="test")
    claims = store.claim("a", limit=2, lease_seconds=60)
    store.finish("a", [(c, "v1", 100.0, None) for c in claims], [])
    first = store.request(ids[0])["predictions"][0]
    assert store.review([first["id"]], "validated", "ann") == 1

    run_id, queued = store.rerun("v2", [ids[0]], source="test")
    assert queued == 1
    [claim] = store.claim("a", limit=10, lease_seconds=60)
    assert (claim.request_id, claim.run_id, claim.version) == (ids[0], run_id, "v2")
    store.finish("a", [(claim, "v2", 200.0, None)], [])

    history = store.request(ids[0])["predictions"]
    assert [(p["model_version"], p["value"], p["review_status"]) for p in history] == [
        ("v2", 200.0, "pending"), ("v1", 100.0, "validated")]
    assert history[1]["reviewed_by"] == "ann"
    report = list(store.history(store_module.Filters()))
    assert [(r["request_id"], r["model_version"], r["current"]) for r in report] == [
        (ids[0], "v1", False), (ids[0], "v2", True), (ids[1], "v1", True)]
    assert store.versions() == ["v1", "v2"]
    assert store.listing(store_module.Filters(version="v2"))[0]["id"] == ids[0]


def test_review_refuses_unknown_decisions(store):
    with pytest.raises(ValueError, match="validated"):
        store.review([1], "maybe", "ann")
