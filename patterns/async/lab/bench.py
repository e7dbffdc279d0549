"""Throughput of the scoring job: `python -m patterns.async.lab.bench --rows 20000 [--workers 2]`.

Fills a fresh database (a new SQLite file under ARCHLAB_HOME/bench/ unless --database-url) with
copies of the shipped new houses, then times the job from the first claim until the queue is
empty. Each worker process loads its model before a common start line, so the number is the
job's rate, not Python's start-up time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import sys
import time

from shared_model import ModelStore, input_fields
from shared_model.data import new_houses_records

from ..job import DEFAULT_CHUNK_SIZE, ScoringJob
from ..settings import AsyncSettings
from ..store import Store

START_TIMEOUT_SECONDS = 120


def new_houses(rows: int) -> list[dict]:
    """`rows` requests: the shipped new houses (model columns only, cells as read) over and over."""
    names = {spec.name for spec in input_fields()}
    houses = [{k: v for k, v in row.items() if k in names} for row in new_houses_records()]
    return list(itertools.islice(itertools.cycle(houses), rows))


def fill(store: Store, rows: int, source: str = "bench") -> None:
    store.submit(new_houses(rows), source=source)


def _worker(url: str, home: str, chunk_size: int, start, results) -> None:
    store = Store.connect(url)
    models = ModelStore(f"{home}/models")
    job = ScoringJob(store, models, chunk_size=chunk_size)
    job.model(models.latest())  # load before the start line
    start.wait(START_TIMEOUT_SECONDS)
    began = time.perf_counter()
    stats = job.run_once()
    results.put((began, time.perf_counter(), stats.claimed))
    store.close()


def measure(url: str, home: str, rows: int, chunk_size: int = DEFAULT_CHUNK_SIZE, workers: int = 1) -> dict:
    """Score `rows` fresh requests with `workers` processes; returns rows/s and the details."""
    store = Store.connect(url)
    fill(store, rows)
    store.close()
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(workers + 1), context.Queue()
    processes = [context.Process(target=_worker, args=(url, home, chunk_size, start, results))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    try:
        start.wait(START_TIMEOUT_SECONDS)
        outcomes = [results.get(timeout=START_TIMEOUT_SECONDS) for _ in processes]
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
    seconds = max(end for _, end, _ in outcomes) - min(began for began, _, _ in outcomes)
    scored = sum(n for *_, n in outcomes)
    return {"rows": scored, "workers": workers, "chunk_size": chunk_size, "seconds": round(seconds, 3),
            "rows_per_second": round(scored / seconds, 1), "per_worker": [n for *_, n in outcomes]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.async.lab.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", help="default: a new SQLite file under ARCHLAB_HOME/bench/")
    args = parser.parse_args(argv)
    settings = AsyncSettings.from_env()
    url = args.database_url
    if url is None:
        folder = settings.home / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        url = f"sqlite:///{folder / f'async-{stamp}.db'}"
    print(json.dumps(measure(url, str(settings.home), args.rows, args.chunk_size, args.workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
