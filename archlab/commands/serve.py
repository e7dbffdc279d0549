"""`archlab serve ARCH [--port N] [--version V] [--instances N] [--schedule CRON]`: run one architecture until Ctrl-C or SIGTERM, then stop it all."""

from __future__ import annotations

import argparse
import inspect
import signal
import threading

from shared_model.store import check_version_name

from patterns.launch.architectures import ARCHITECTURES, launch, system_class
from patterns.launch.process import ProcessFailed
from patterns.settings import Settings

from ..errors import UsageError

# How often the foreground loop checks that the components are still alive.
WATCH_INTERVAL = 1.0


def register(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="start one architecture's processes and serve its web front")
    parser.add_argument("arch", choices=ARCHITECTURES, help="which architecture to run")
    parser.add_argument("--port", type=int, default=None, help="port of the web front (default: a free one)")
    parser.add_argument("--version", default=None,
                        help="model version to start on (default: ARCHLAB_MODEL_VERSION, else the newest stored)")
    parser.add_argument("--instances", type=int, default=None, metavar="N",
                        help="how many of what the architecture scales (the component it scales on its own, "
                             "else the whole app); default 1")
    parser.add_argument("--schedule", default=None, metavar="CRON",
                        help='for an architecture whose workers run on a schedule: its cron schedule in UTC, '
                             'e.g. "0 2 * * *" (nightly at 02:00)')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = {"port": args.port}
    if args.version is not None:
        options["version"] = check_version_name(args.version)
    if args.instances is not None:
        if args.instances < 1:
            raise UsageError(f"--instances takes a positive number; got {args.instances}")
        scaled = system_class(args.arch).scale_options(args.instances)
        if scaled is None:
            raise UsageError(f"--instances: the {args.arch} architecture runs as one instance (nothing in it scales); "
                             "leave --instances out")
        options.update(scaled)
    if args.schedule is not None:
        scheduled = [arch for arch in ARCHITECTURES if "schedule" in inspect.signature(system_class(arch)).parameters]
        if args.arch not in scheduled:
            raise UsageError(f"--schedule applies to the {' and '.join(scheduled)} architecture only (its worker's "
                             "cron schedule)")
        options["schedule"] = args.schedule
    try:  # the system refuses a malformed option before anything starts, naming the field that is wrong
        system = launch(args.arch, **options)
    except ValueError as exc:
        raise UsageError(f"--schedule: {exc}" if args.schedule is not None else str(exc)) from None
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        with system:
            urls = getattr(system, "front_urls", [system.url])
            print(f"{args.arch} is running: {' '.join(urls)}", flush=True)
            pids = ", ".join(f"{name} (pid {pid})" for name, pid in system.pids().items())
            print(f"components: {pids}", flush=True)
            token = system.settings.admin_token
            if token and token != Settings.from_env().admin_token:  # made for this run: the user needs it
                print(f"admin token for this run (basic auth as 'admin', or Bearer): {token}", flush=True)
            print("press Ctrl-C to stop", flush=True)
            restarts = {name: process.restarts for name, process in system.components.items()}
            while not stop.wait(WATCH_INTERVAL):
                for name, process in system.components.items():
                    if process.restarts != restarts.get(name, 0):
                        restarts[name] = process.restarts
                        print(f"{name} exited on its own and was started again (pid {process.pid})", flush=True)
                # A supervised component that crashed is being restarted: only the others end the run.
                dead = [name for name, process in system.components.items()
                        if not process.running and not process.supervised]
                if dead:
                    print(f"stopping: component(s) exited on their own: {', '.join(dead)}", flush=True)
                    return 1
    except KeyboardInterrupt:
        pass
    except (ProcessFailed, ConnectionError) as exc:  # a component refused to start, or a part is out of reach
        raise UsageError(f"could not start the {args.arch} system: {exc}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("stopped", flush=True)
    return 0
