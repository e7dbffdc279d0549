"""Floors: the least each kind of work can cost on this machine, measured in the same run.

Each architecture's figure is shown beside the floor for its kind of work, so a reader sees how
far it is from the physical limit rather than an absolute number that depends on the laptop:

- `model_arithmetic`: the fitted linear model as one numpy dot product (embedded);
- `http_constant`: a loopback HTTP round trip to waitress answering a constant (model API);
- `kafka_roundtrip`: a bare produce-to-consume round trip on a broker (streaming updates);
- `db_transaction`: an empty claim-and-write transaction on a database (async job).
"""

from __future__ import annotations

import math
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from patterns.launch.process import ManagedProcess, free_port

from .load import run_load
from .stats import Summary, summarize


@dataclass
class Floor:
    """Samples of one floor in milliseconds; `failed` counts attempts that got no answer."""

    name: str
    description: str
    samples_ms: list[float] = field(default_factory=list)
    failed: int = 0

    def summary(self) -> Summary:
        return summarize(self.samples_ms)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "samples_ms": self.samples_ms,
            "failed": self.failed,
            "summary_ms": self.summary().to_dict(),
        }


def linear_form(compiled, record: Mapping) -> tuple[np.ndarray, np.ndarray, float]:
    """(coefficients, feature vector, intercept) of a `CompiledLinearModel` for one cleaned record.

    The vector holds log1p of each numeric value (or of its fill value) and a one-hot indicator
    per known category, so `exp(x @ coef + intercept)` is the model's price for the record.
    """
    coefs, xs = [], []
    for name, (weight, fill) in compiled.numeric.items():
        value = record.get(name)
        coefs.append(weight)
        xs.append(fill if value is None else math.log1p(value))
    for name, table in compiled.categorical.items():
        for category, weight in table.items():
            coefs.append(weight)
            xs.append(1.0 if record.get(name) == category else 0.0)
    return np.array(coefs), np.array(xs), compiled.intercept


def model_arithmetic_floor(model, record: Mapping, count: int = 10_000) -> Floor:
    """Time `exp(x @ coef + intercept)` per call: the model's arithmetic with no feature extraction."""
    coef, x, intercept = linear_form(model.compiled, record)
    expected = model.predict_one(dict(record))
    price = math.exp(float(x @ coef) + intercept)
    if not math.isclose(price, expected, rel_tol=1e-9):
        raise ValueError(f"linear form of {model.version} gives {price}, the model gives {expected}")
    samples = []
    clock = time.perf_counter_ns
    for _ in range(count):
        started = clock()
        math.exp(float(x @ coef) + intercept)
        samples.append((clock() - started) / 1e6)
    return Floor(
        "model_arithmetic",
        f"numpy dot product of the {coef.size} fitted coefficients of model {model.version}, in process",
        samples,
    )


def http_constant_floor(
    json: object = None, count: int = 2000, duration_s: float = 30.0, concurrency: int = 1
) -> Floor:
    """Loopback HTTP round trips (POSTing `json`) to a waitress process answering a constant."""
    port = free_port()
    argv = [sys.executable, "-m", "archlab.measure.constant_server", "--port", str(port)]
    with ManagedProcess("floor-http-constant", argv, port=port, health_path="/") as server:
        result = run_load(
            server.url + "/predict",
            count=count,
            duration_s=duration_s,
            concurrency=concurrency,
            method="POST",
            json=json,
            label="floor: HTTP constant",
        )
    return Floor(
        "http_constant",
        f"loopback HTTP POST to waitress answering a constant ({result.mode}, {concurrency} client)",
        result.latencies_ms(),
        len(result.failures),
    )


def kafka_roundtrip_floor(bootstrap_servers: str, count: int = 200, timeout_s: float = 30.0) -> Floor:
    """Produce one message and wait until a consumer reads it, `count` times, on a 1-partition topic."""
    from kafka import KafkaConsumer, KafkaProducer

    from patterns.streaming.topic import ensure_topic, model_partition

    topic = f"archlab.floor.{uuid.uuid4().hex[:12]}"
    ensure_topic(bootstrap_servers, topic)  # one partition, as the model topic
    producer = consumer = None
    try:
        producer = KafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=False, acks=1, linger_ms=0)
        consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, fetch_max_wait_ms=10, enable_auto_commit=False)
        partition = model_partition(topic)
        consumer.assign([partition])
        consumer.seek_to_end(partition)
        consumer.position(partition)
        deadline = time.monotonic() + timeout_s
        samples, failed = [], 0
        for i in range(count):
            if time.monotonic() >= deadline:
                break
            payload = str(i).encode()
            started = time.perf_counter()
            producer.send(topic, payload, partition=partition.partition).get(timeout=max(0.1, deadline - time.monotonic()))
            if _consume(consumer, payload, deadline):
                samples.append((time.perf_counter() - started) * 1000.0)
            else:
                failed += 1
        return Floor(
            "kafka_roundtrip",
            f"produce then consume one message on a 1-partition topic at {bootstrap_servers}",
            samples,
            failed,
        )
    finally:
        for client in (consumer, producer):
            if client is not None:
                client.close()


def _consume(consumer, payload: bytes, deadline: float) -> bool:
    """Poll until `payload` arrives (True) or the deadline passes (False)."""
    while time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=100).values():
            if any(record.value == payload for record in records):
                return True
    return False


def db_transaction_floor(database_url: str, count: int = 500, batch: int = 1) -> Floor:
    """Claim `batch` pending rows and write their results in one committed transaction, `count` times.

    `batch=1` is the cost of one transaction; a larger batch is the floor for a batch job's
    rows per second (batch * 1000 / p50). Runs on a scratch table (`archlab_floor_<random>`)
    that is dropped afterwards.
    """
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    table = sa.Table(
        f"archlab_floor_{uuid.uuid4().hex[:12]}",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("result", sa.Float),
    )
    try:
        table.create(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": i, "state": "pending"} for i in range(count * batch)])
        claim = (
            sa.select(table.c.id)
            .where(table.c.state == "pending")
            .order_by(table.c.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        write = (
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values(state="done", result=sa.bindparam("value"))
        )
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            with engine.begin() as conn:
                ids = conn.execute(claim).scalars().all()
                if len(ids) != batch:
                    raise RuntimeError(f"claimed {len(ids)} of {batch} rows from the scratch table {table.name}")
                conn.execute(write, [{"row_id": row_id, "value": 0.0} for row_id in ids])
            samples.append((time.perf_counter() - started) * 1000.0)
        return Floor(
            "db_transaction",
            f"claim {batch} row{'s' if batch > 1 else ''} and write the results, one transaction, "
            f"on {engine.url.get_backend_name()}",
            samples,
        )
    finally:
        table.drop(engine, checkfirst=True)
        engine.dispose()
