"""The scoring job as a process: `python -m patterns.async.worker` (the same options as `archlab score`).

`--once` scores everything pending and exits; `--every SECONDS` runs a pass on that interval, and
`--schedule CRON` at the times a cron expression names (`"0 2 * * *"`: nightly at 02:00 UTC), until
SIGTERM/SIGINT; either kind also runs a pass whenever the front asks ("score now"). `--workers N` starts N such processes and waits for them: they share the queue
safely through the store's row claiming.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading

from shared_model import ModelError, ModelNotFoundError, ModelStore

from patterns.settings import Settings

from .job import DEFAULT_CHUNK_SIZE, DEFAULT_LEASE_SECONDS, MAX_CHUNK_SIZE, JobStats, ScoringJob
from .schedule import Cron, Every, ScheduleError
from .store import DatabaseUnavailable, Store

CHILD_STOP_TIMEOUT_SECONDS = 30


def _positive(kind, upper=None):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}") from None
        if value <= 0 or (upper is not None and value > upper):
            limit = f" up to {upper}" if upper else ""
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}{limit}, got {text!r}")
        return value

    return parse


def _cron(text: str) -> Cron:
    """A bad expression is a usage error (exit 2) that names the bad field."""
    try:
        return Cron.parse(text)
    except ScheduleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help="score everything pending, then exit (the default)")
    when.add_argument("--every", type=_positive(float), metavar="SECONDS", help="run a pass every SECONDS")
    when.add_argument("--schedule", type=_cron, metavar="CRON",
                      help='run a pass at the times a five-field cron expression names, in UTC '
                           '(e.g. "0 2 * * *": nightly at 02:00)')
    parser.add_argument("--workers", type=_positive(int), default=1, metavar="N", help="worker processes (default 1)")
    parser.add_argument("--version", help="model version for requests not pinned to one by a re-run "
                                          "(default: ARCHLAB_MODEL_VERSION, else the newest)")
    parser.add_argument("--chunk-size", type=_positive(int, MAX_CHUNK_SIZE), default=DEFAULT_CHUNK_SIZE, metavar="N",
                        help=f"requests claimed and written per transaction (default {DEFAULT_CHUNK_SIZE})")
    parser.add_argument("--lease", type=_positive(float), default=DEFAULT_LEASE_SECONDS, metavar="SECONDS",
                        help=f"claims not finished within this return to the queue (default {DEFAULT_LEASE_SECONDS:g})")


def build_job(settings: Settings, version: str | None, chunk_size: int, lease: float) -> ScoringJob:
    """A job on the configured database and model store; an unknown version is refused up front."""
    models = ModelStore(settings.home / "models")
    version = version or settings.model_version
    if version and version not in models.versions():
        raise ModelNotFoundError(f"no model version {version!r} in {settings.home / 'models'}; "
                                 f"available: {', '.join(models.versions()) or 'none (run archlab train)'}")
    store = Store.connect(settings.effective_database_url)
    return ScoringJob(store, models, default_version=version, chunk_size=chunk_size, lease_seconds=lease,
                      model_cost_ms=settings.model_cost_ms)


def _stop_on_signals(stop: threading.Event) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())


def run(args: argparse.Namespace) -> int:
    """Run the job as `args` says; returns an exit code."""
    if args.workers > 1:
        return _run_many(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(message)s")
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # e.g. a bad MODEL_COST_MS: a message, not a traceback
        print(f"python -m patterns.async.worker: {exc}", file=sys.stderr)
        return 2
    job = build_job(settings, args.version, args.chunk_size, args.lease)
    try:
        if schedule := args.schedule or (Every(args.every) if args.every else None):
            stop = threading.Event()
            _stop_on_signals(stop)
            total = job.run_on(schedule, stop)
        else:
            total = job.run_once()
        print(f"worker {job.owner}: {outcome(job, total)}", flush=True)
    finally:
        job.store.close()
    return 0


def outcome(job: ScoringJob, total: JobStats) -> str:
    """The summary, or, when nothing could be claimed, why: rows held by a worker that stopped."""
    stuck = None if total.claimed else job.store.stuck_claims()
    if stuck is None:
        return total.summary()
    return f"nothing scored: {stuck.message()}; they return to the queue then"


def _child_argv(args: argparse.Namespace) -> list[str]:
    argv = [sys.executable, "-m", "patterns.async.worker", "--chunk-size", str(args.chunk_size),
            "--lease", str(args.lease)]
    if args.schedule:
        argv += ["--schedule", args.schedule.expression]
    else:
        argv += ["--every", str(args.every)] if args.every else ["--once"]
    return argv + (["--version", args.version] if args.version else [])


def _run_many(args: argparse.Namespace) -> int:
    children = [subprocess.Popen(_child_argv(args)) for _ in range(args.workers)]
    stop = threading.Event()
    _stop_on_signals(stop)
    try:
        while not stop.is_set() and any(child.poll() is None for child in children):
            stop.wait(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        codes = []
        for child in children:
            try:
                codes.append(child.wait(CHILD_STOP_TIMEOUT_SECONDS))
            except subprocess.TimeoutExpired:
                child.kill()
                codes.append(child.wait())
    return max(codes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.async.worker", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ModelError as exc:
        print(f"worker: error: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:  # a supervising launcher starts it again later
        print(f"worker: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
