"""The WSGI server the front and the model service run on: waitress, set up for slow and idle clients.

waitress reads every request whole in its event loop before a worker thread sees it, so clients
that send nothing, or trickle a header a byte at a time, hold only a socket, never a thread. What
they can exhaust is the connection limit: at waitress's default of 100, 99 idle connections left
no room for a real user for two minutes (its default `channel_timeout`). So here:

- `connection_limit` 1000 (capped below this process's open-file limit), with `poll()` instead of
  `select()`, which cannot watch more than 1024 descriptors;
- idle connections are closed after 30 s without a byte (`channel_timeout`), checked every 5 s;
- `max_request_body_size` is the app's own limit, so a request declaring a 100 MB body is refused
  with 413 from its header, before any of the body is read;
- waitress's own refusals (that 413, a malformed request line) answer in the app's JSON error
  shape, `{"error", "message"}`, instead of waitress's plain text.

A client that keeps trickling bytes is never idle, so no timeout here ends it: more than
`connection_limit` of them still starve the server. That needs a buffering proxy in front (see
docker/README.md); `python -m archlab.bench.slow_clients` measures what a user gets meanwhile.
"""

from __future__ import annotations

import json
import resource

import waitress
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT_S = 30
CLEANUP_INTERVAL_S = 5
SPARE_DESCRIPTORS = 64  # for the listener, log files, outgoing connections and the model's files


class JsonErrorTask(ErrorTask):
    """An error waitress raises before the app runs, in the app's error shape."""

    def execute(self):
        error = self.request.error
        message = error.body
        if error.code == 413:
            message = f"the request body is over the limit of {self.channel.adj.max_request_body_size} bytes"
        body = json.dumps({"error": error.reason, "message": message}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


def connection_limit() -> int:
    """CONNECTION_LIMIT, or fewer if this process may not open that many files."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(1, min(CONNECTION_LIMIT, soft - SPARE_DESCRIPTORS))


def create_server(app, host: str, port: int, *, threads: int, max_body: int, ident: str = "archlab"):
    """A waitress server for `app` on host:port (not yet running: call `.run()`, or drive its loop)."""
    server = waitress.create_server(
        app, host=host, port=port, threads=threads, ident=ident,
        connection_limit=connection_limit(), channel_timeout=CHANNEL_TIMEOUT_S,
        cleanup_interval=CLEANUP_INTERVAL_S, asyncore_use_poll=True, max_request_body_size=max_body,
    )
    server.channel_class = JsonErrorChannel
    return server
