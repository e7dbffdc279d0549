"""The worker's schedule: a cron expression as users write one, refused with the bad field named,
shown with its next run; "run now" still scores at once while the nightly pass is hours away."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from archlab.cli import main
from async_helpers import ANN, async_module, houses, statuses
from patterns.settings import Settings
from patterns.web.auth import admin_headers
from test_async_score_now import front  # noqa: F401 - the in-process front (a fixture) of the "score now" tests

schedule_module = async_module("schedule")
NIGHTLY = "0 2 * * *"


def next_two_am(now: datetime) -> datetime:
    today = now.replace(hour=2, minute=0, second=0, microsecond=0)
    return today if now < today else today + timedelta(days=1)


@pytest.mark.parametrize("expression, message", [
    ("0 25 * * *", "hour field '25' of '0 25 * * *': "),
    ("61 2 * * *", "minute field '61'"),
    ("0 2 32 * *", "day of month field '32'"),
    ("0 2 * 13 *", "month field '13'"),
    ("0 2 * * 8", "day of week field '8'"),
    ("0 2 * *", "a cron expression has 5 fields (minute hour day-of-month month day-of-week); got 4"),
])
def test_a_malformed_cron_is_refused_with_exit_2_naming_the_field(capsys, expression, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["score", "--schedule", expression])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_worker_process_refuses_it_too():
    done = subprocess.run([sys.executable, "-m", "patterns.async.worker", "--schedule", "0 2 * * mon-fry"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "day of week field 'mon-fry'" in done.stderr


@pytest.mark.parametrize("expression, after, expected", [
    (NIGHTLY, datetime(2026, 11, 25, 14, 0, tzinfo=UTC), datetime(2026, 11, 26, 2, 0, tzinfo=UTC)),
    (NIGHTLY, datetime(2026, 11, 25, 1, 59, tzinfo=UTC), datetime(2026, 11, 25, 2, 0, tzinfo=UTC)),
    # cron numbers the days of the week from Sunday (0 or 7); 2026-11-25 is a Wednesday
    ("0 2 * * 0", datetime(2026, 11, 25, 14, 0, tzinfo=UTC), datetime(2026, 11, 29, 2, 0, tzinfo=UTC)),
    ("0 2 * * 7", datetime(2026, 11, 25, 14, 0, tzinfo=UTC), datetime(2026, 11, 29, 2, 0, tzinfo=UTC)),
    ("0 2 * * 1-5", datetime(2026, 11, 27, 14, 0, tzinfo=UTC), datetime(2026, 11, 30, 2, 0, tzinfo=UTC)),
    ("30 6 * * */2", datetime(2026, 11, 25, 14, 0, tzinfo=UTC), datetime(2026, 11, 26, 6, 30, tzinfo=UTC)),
])
def test_next_run_follows_cron(expression, after, expected):
    assert schedule_module.Cron.parse(expression).next_run(after) == expected


@pytest.fixture
def nightly_worker(front):  # noqa: F811 - the fixture imported above
    """A worker on the nightly schedule, in a thread, once its first heartbeat is in the store."""
    backend, _ = front
    stop = threading.Event()
    job = async_module("job").ScoringJob(backend.store, backend.models)
    thread = threading.Thread(target=job.run_on, args=(schedule_module.Cron.parse(NIGHTLY), stop), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not backend.store.schedules() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield job
    stop.set()
    thread.join(30)


def test_a_nightly_worker_shows_its_next_run_and_scores_at_once_when_asked(front, nightly_worker):  # noqa: F811
    backend, client = front
    expected = next_two_am(datetime.now(UTC))
    [worker] = client.get("/api/async/schedule", headers=ANN).get_json()
    assert worker == {"owner": nightly_worker.owner, "schedule": "cron 0 2 * * * (UTC)",
                      "next_run": expected.strftime("%Y-%m-%dT%H:%M:%SZ")}
    page = client.get("/dashboard", headers=ANN).get_data(as_text=True)
    assert f"{expected:%Y-%m-%d %H:%M:%S} UTC" in page and "cron 0 2 * * * (UTC)" in page
    public = client.get("/status").get_json()["schedules"]  # what a monitor reads, with no credential
    assert public == [{"schedule": worker["schedule"], "next_run": worker["next_run"]}]

    backend.store.submit(houses(3), source="test")
    time.sleep(0.5)  # a few of the worker's polls: it does not score before its time
    assert statuses(backend.store) == {"pending": 3}
    answer = client.post("/api/async/score", json={"timeout": 60}, headers=ANN).get_json()
    assert (answer["status"], answer["claimed"], answer["predicted"]) == ("done", 3, 3)
    assert statuses(backend.store) == {"predicted": 3}
    assert client.get("/api/async/schedule", headers=ANN).get_json()[0]["next_run"] == worker["next_run"]


@pytest.mark.slow
def test_the_system_runs_its_worker_on_a_cron_schedule(home_with_models):
    settings = Settings(home=home_with_models, arch="async")
    system_class = async_module("lab.system").SYSTEM
    with pytest.raises(schedule_module.ScheduleError, match="hour field '24'"):
        system_class(settings=settings, schedule="0 24 * * *")
    with system_class(settings=settings, schedule=NIGHTLY) as system:
        signed = admin_headers(system.settings)
        deadline = time.monotonic() + 60
        while not (shown := requests.get(system.url + "/api/async/schedule", headers=signed, timeout=10).json()):
            assert time.monotonic() < deadline, "the worker never reported its schedule"
            time.sleep(0.1)
        assert [row["schedule"] for row in shown] == ["cron 0 2 * * * (UTC)"]
        status_url = system.submit()
        assert system.run_job_once()["predicted"] == 1  # "run now", hours before 02:00
        assert requests.get(system.url + status_url, headers={"Accept": "application/json"},
                            timeout=10).json()["state"] == "awaiting review"
