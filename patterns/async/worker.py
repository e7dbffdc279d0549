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
import uuid

from shared_model import ModelError, ModelNotFoundError, ModelStore

from .job import DEFAULT_CHUNK_SIZE, DEFAULT_LEASE_SECONDS, MAX_CHUNK_SIZE, JobStats, ScoringJob, new_owner
from .schedule import Cron, Every, ScheduleError
from .settings import AsyncSettings
from .store import DATABASE_DOWN_ERRORS, DatabaseUnavailable, Store

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
    parser.add_argument("--owner-prefix", metavar="ID",
                        help="claim rows as ID/<host:pid:random>: set by a supervisor, which then returns a dead "
                             "worker's claims to the queue at once instead of after the lease")


def build_job(settings: AsyncSettings, version: str | None, chunk_size: int, lease: float,
              owner_prefix: str | None = None) -> ScoringJob:
    """A job on the configured database and model store; an unknown version is refused up front."""
    models = ModelStore(settings.home / "models")
    version = version or settings.model_version
    if version and version not in models.versions():
        raise ModelNotFoundError(f"no model version {version!r} in {settings.home / 'models'}; "
                                 f"available: {', '.join(models.versions()) or 'none (run archlab train)'}")
    store = Store.connect(settings.effective_database_url)
    return ScoringJob(store, models, default_version=version, chunk_size=chunk_size, lease_seconds=lease,
                      owner=new_owner(owner_prefix), model_cost_ms=settings.model_cost_ms)


def _stop_on_signals(stop: threading.Event) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())


def run(args: argparse.Namespace) -> int:
    """Run the job as `args` says; returns an exit code."""
    if args.workers > 1:
        return _run_many(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(message)s")
    try:
        settings = AsyncSettings.from_env()
    except ValueError as exc:  # e.g. a bad MODEL_COST_MS: a message, not a traceback
        print(f"python -m patterns.async.worker: {exc}", file=sys.stderr)
        return 2
    job = build_job(settings, args.version, args.chunk_size, args.lease, args.owner_prefix)
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


def _child_argv(args: argparse.Namespace, owner_prefix: str) -> list[str]:
    argv = [sys.executable, "-m", "patterns.async.worker", "--chunk-size", str(args.chunk_size),
            "--lease", str(args.lease), "--owner-prefix", owner_prefix]
    if args.schedule:
        argv += ["--schedule", args.schedule.expression]
    else:
        argv += ["--every", str(args.every)] if args.every else ["--once"]
    return argv + (["--version", args.version] if args.version else [])


def _run_many(args: argparse.Namespace) -> int:
    """Start the workers, each claiming under a prefix of its own, and wait for them; a worker that
    dies (a crash, a SIGKILL) has its claims returned to the queue at once for the others."""
    group = args.owner_prefix or new_owner()
    prefixes = [f"{group}/{uuid.uuid4().hex[:8]}" for _ in range(args.workers)]
    children = {subprocess.Popen(_child_argv(args, prefix)): prefix for prefix in prefixes}
    running = set(children)
    stop = threading.Event()
    _stop_on_signals(stop)
    try:
        while not stop.is_set() and running:
            for child in [child for child in running if child.poll() is not None]:
                running.discard(child)
                if child.returncode != 0:
                    print(f"worker pool: worker {child.pid} exited with code {child.returncode}; "
                          f"{release_claims(children[child])}", flush=True)
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


def release_claims(owner_prefix: str, database_url: str | None = None) -> str:
    """Return the claims made under `owner_prefix` to the queue (its workers are dead: the caller
    saw them die); says what happened. If the database cannot be reached, their lease returns them."""
    try:
        store = Store.connect(database_url or AsyncSettings.from_env().effective_database_url)
        try:
            released = store.release_claims_of(owner_prefix)
        finally:
            store.close()
    except (DatabaseUnavailable, *DATABASE_DOWN_ERRORS) as exc:
        return f"could not return the dead worker's claims (their lease will): {exc}"
    return f"returned the dead worker's {released} claimed rows to the queue"


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
