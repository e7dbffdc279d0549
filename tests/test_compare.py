"""`archlab compare --quick` end to end: real systems, real faults, the report on disk, nothing left running."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def processes_using(home: Path) -> list[int]:
    """Pids whose environment names this ARCHLAB_HOME: anything the comparison left running."""
    marker = f"ARCHLAB_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def comparison(trained_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("compare-home")
    (home / "models").symlink_to(trained_home / "models")
    env = {**os.environ, "ARCHLAB_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    result = subprocess.run([sys.executable, "-m", "archlab", "compare", "--quick"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = Path(result.stdout.strip().splitlines()[-1])
    return home, folder, json.loads((folder / "results.json").read_text()), result


def test_last_line_is_the_report_folder_with_every_file(comparison):
    home, folder, _, _ = comparison
    assert folder.parent == home / "reports"
    assert (home / "reports" / "latest").resolve() == folder.resolve()
    for name in ("index.html", "results.json", "latency.png", "update_timelines.png", "coupling.png"):
        assert (folder / name).stat().st_size > 0


def test_progress_is_shown_on_stderr(comparison):
    stderr = comparison[3].stderr
    for arch in ("embedded", "api", "streaming", "async"):
        assert f"[compare] {arch}: done" in stderr


def test_every_update_reaches_v2_and_counts_what_it_cost(comparison):
    architectures = comparison[2]["architectures"]
    assert set(architectures) == {"embedded", "api", "streaming", "async"}
    for name, arch in architectures.items():
        update = arch["update"]
        assert (update["from_version"], update["to_version"]) == ("v1", "v2"), name
        assert update["converged_s"] is not None, f"{name} never served v2 to every request"
        assert update["timeline"][-1]["version"] == "v2", name
    assert architectures["embedded"]["update"]["restarted"] == ["web"]
    assert architectures["embedded"]["update"]["failed"] > 0  # the restart is downtime users see
    assert architectures["api"]["update"]["restarted"] == ["model-service"]
    assert architectures["streaming"]["update"]["restarted"] == []
    assert architectures["streaming"]["update"]["failed"] == 0


def test_faults_record_what_users_really_got(comparison):
    architectures = comparison[2]["architectures"]
    api_down = architectures["api"]["faults"]["model-service"]
    assert api_down["failed"] == api_down["requests"] > 0 and set(api_down["statuses"]) == {"503"}
    assert "model-service" not in architectures["embedded"]["faults"]  # nothing to stop: it is in-process
    broker_down = architectures["streaming"]["faults"]["broker"]
    assert broker_down["failed"] == 0 and broker_down["user_sees"].startswith("200")
    assert set(architectures["async"]["faults"]["worker"]["statuses"]) == {"202"}
    assert set(architectures["async"]["faults"]["database"]["statuses"]) == {"503"}
    for arch in architectures.values():
        assert set(arch["faults"]["web"]["statuses"]) == {"no answer"}


def test_coupling_facts_are_measured_from_the_running_apps(comparison):
    architectures = comparison[2]["architectures"]
    carries = {name: arch["app_carries_model"] for name, arch in architectures.items()}
    assert carries == {"embedded": True, "api": False, "streaming": True, "async": False}


def test_targets_are_reported_as_ratios_not_asserted(comparison):
    targets = comparison[2]["targets"]
    assert set(targets) >= {"embedded_over_http_floor", "api_over_embedded", "streaming_propagation_s",
                            "async_job_rows_per_s"}
    assert all(t["measured"] is not None for t in targets.values())
    assert {"model_arithmetic", "http_constant", "kafka_roundtrip", "db_transaction"} <= set(comparison[2]["floors"])


def test_nothing_is_left_running(comparison):
    assert processes_using(comparison[0]) == []
