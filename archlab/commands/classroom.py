"""`archlab classroom [--rate N] [--host H] [--port P] [--record FILE] [--replay FILE]`: every registered
architecture live, side by side, in one page; Ctrl-C or SIGTERM stops all of it."""

from __future__ import annotations

import argparse
import signal
import socket
import threading
from pathlib import Path

from ..classroom.access import Access
from ..classroom.board import Board
from ..classroom.broadcast import Broadcaster
from ..classroom.recording import Player, read_recording
from ..classroom.server import ClassroomServer
from ..classroom.session import DEFAULT_RATE, Classroom
from ..errors import UsageError

DEFAULT_PORT = 8765
MAX_RATE = 50.0


def register(subparsers) -> None:
    parser = subparsers.add_parser("classroom", help="every architecture live, side by side, in one page")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE,
                        help=f"requests per second to each architecture (default {DEFAULT_RATE:g}, at most {MAX_RATE:g})")
    parser.add_argument("--host", default="127.0.0.1",
                        help="listen address; any non-loopback one (e.g. 0.0.0.0) serves the page read-only and "
                             "the controls only with the instructor token (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"listen port (default {DEFAULT_PORT})")
    parser.add_argument("--record", type=Path, metavar="FILE", help="write the events and metrics as JSON lines")
    parser.add_argument("--replay", type=Path, metavar="FILE", help="play a recording in the page, no system started")
    parser.add_argument("--speed", type=float, default=1.0, help="replay speed (default 1: as recorded)")
    parser.add_argument("--variants", action="store_true",
                        help="also run the other ways the comparison measures an architecture (the model API over "
                             "gRPC and RabbitMQ)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.rate <= MAX_RATE:
        raise UsageError(f"--rate takes requests per second above 0 and at most {MAX_RATE:g}; got {args.rate:g}")
    if args.speed <= 0:
        raise UsageError(f"--speed takes a positive factor; got {args.speed:g}")
    if args.replay and args.record:
        raise UsageError("--replay plays a recording; --record writes one from live systems: choose one")
    recording = None
    if args.replay:
        try:
            recording = read_recording(args.replay)
        except (OSError, ValueError) as exc:
            raise UsageError(f"--replay: {exc}") from None
    server = listen(args.host, args.port)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    interrupt = signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even started in the background
    classroom = player = None
    try:
        server.serve_in_background()
        print(f"classroom: {page_url(args.host, server.server_address[1])}", flush=True)
        if server.access.token:
            print(f"instructor (controls): {page_url(args.host, server.server_address[1])}?token={server.access.token}",
                  flush=True)
        if recording is not None:
            meta, frames = recording
            player = Player(frames, Board({**meta, "mode": "replay", "controls": "none", "source": args.replay.name}),
                            server.broadcaster, args.speed).start()
            print(f"replaying {args.replay} ({len(frames)} frames); press Ctrl-C to stop", flush=True)
        else:
            classroom = Classroom(server, args.rate, args.record, args.variants)
            classroom.start()
            serving = [name for name, panel in classroom.panels.items() if panel.system is not None]
            print(f"serving: {', '.join(serving)}; press Ctrl-C to stop", flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, interrupt)
        if player is not None:
            player.stop()
        if classroom is not None:
            classroom.close()
        server.close()
    print("stopped", flush=True)
    return 0


def listen(host: str, port: int) -> ClassroomServer:
    """The server bound before anything starts, so a port in use costs nothing."""
    try:
        return ClassroomServer((host, port), Broadcaster(), Access(host))
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); is another classroom running? "
                         "choose another --port") from None


def page_url(host: str, port: int) -> str:
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}/"
