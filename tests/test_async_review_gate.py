"""The review gate on SQLite and PostgreSQL: the faulty v3's predictions are rejected as the job stores
them, never served, listed on the dashboard with their reason, and answered again by a re-run with v2.

The models are real (v3 is trained by shared_model's documented faulty recipe, prices x10); the test
plays the worker (`work`) and the reviewer through the front's API, as in test_async_web.py.
"""

from __future__ import annotations

import csv
import io

import pytest

from async_helpers import ANN, REVIEWERS, async_module, houses
from patterns.web import create_app
from shared_model import ModelStore, example_record, validate_record

JSON = {"Accept": "application/json"}
gate_module = async_module("gate")


@pytest.fixture
def home_with_v3(home_with_models, faulty_home):
    """v1 and v2 of the session, and the faulty v3 (served only when asked for by name)."""
    ModelStore(home_with_models / "models").write("v3", ModelStore(faulty_home / "models").files("v3"))
    return home_with_models


@pytest.fixture
def backend(database_url, home_with_v3):
    settings = async_module("settings").AsyncSettings(home=home_with_v3, arch="async", database_url=database_url, reviewers=REVIEWERS)
    created = async_module("backend").create_backend(settings)
    yield created
    created.close()


@pytest.fixture
def client(backend):
    return create_app(backend, settings=backend.settings).test_client()


def work(backend, version=None):
    """One pass of the scoring job, as a worker process started with `--version` runs it."""
    return async_module("job").ScoringJob(backend.store, backend.models, default_version=version).run_once()


def submit(client, record) -> str:
    return client.post("/predict", json=record).get_json()["tickets"][0]["status_url"]


def validate_pending(client) -> int:
    ids = [row["prediction_id"] for row in client.get("/api/async/requests?review=pending", headers=ANN).get_json()]
    if not ids:
        return 0
    return client.post("/api/async/review", json={"decision": "validated", "prediction_ids": ids},
                       headers=ANN).get_json()["updated"]


def rerun(client, version) -> int:
    answer = client.post("/api/async/rerun", json={"version": version}, headers=ANN).get_json()
    return answer["run_id"]


def test_v3_is_rejected_never_served_listed_with_its_reason_and_answered_after_the_rollback(client, backend):
    record = example_record()
    models = ModelStore(backend.settings.home / "models")
    good, bad = models.load("v2").predict_one(record), models.load("v3").predict_one(record)
    assert bad > 5 * good  # the faulty recipe's prices are in the wrong unit

    served_before = submit(client, record)  # answered and validated with v2 before v3 went out
    work(backend, "v2")
    assert validate_pending(client) == 1
    run_id = rerun(client, "v3")  # the bad model rolled out: every stored request re-run with it
    only_v3 = submit(client, record)  # a new house, scored by a worker put on v3 (`--version v3`)

    stats = work(backend, "v3")
    assert (stats.predicted, stats.rejected) == (2, 2)
    assert client.get(f"/api/async/runs/{run_id}", headers=ANN).get_json()["reviews"] == {"rejected": 1}
    assert validate_pending(client) == 0  # nothing of v3's reaches a reviewer's queue, let alone a user

    for status_url, shown in ((served_before, "v2"), (only_v3, None)):
        answer = client.get(status_url, headers=JSON).get_json()
        assert answer["state"] == "rejected"
        assert "rejected by the review gate: the price is outside the sale prices model v3's training saw" \
            in answer["message"]
        assert (answer["prediction"] or {}).get("model_version") == shown  # v2's earlier answer, or none
        page = client.get(status_url).get_data(as_text=True)
        assert "rejected by the review gate" in page and f"{bad:,.0f}" not in page
        assert str(round(bad)) not in str(answer)
    assert client.get(served_before, headers=JSON).get_json()["prediction"]["value"] == pytest.approx(good)

    dashboard = client.get("/dashboard", headers=ANN).get_data(as_text=True)
    rejected_section = dashboard.split('<section id="rejected">')[1].split("</section>")[0]
    assert '<strong id="rejected-count">2</strong>' in rejected_section
    assert rejected_section.count("outside the sale prices model v3&#39;s training saw") == 2
    assert rejected_section.count(f"<td>{gate_module.GATE_REVIEWER}</td>") == 2
    report = list(csv.DictReader(io.StringIO(client.get("/dashboard/report.csv", headers=ANN).get_data(as_text=True))))
    assert sum(1 for row in report if row["review_status"] == "rejected" and row["gate_reason"]) == 2

    rerun(client, "v2")  # the rollback: the same re-run, with the good version
    stats = work(backend, "v2")
    assert (stats.predicted, stats.rejected) == (2, 0)  # compared with v2's last answer, not v3's rejected one
    assert validate_pending(client) == 2
    for status_url in (served_before, only_v3):
        answer = client.get(status_url, headers=JSON).get_json()
        assert (answer["state"], answer["prediction"]["model_version"]) == ("available", "v2")
        assert answer["prediction"]["value"] == pytest.approx(good)
    assert '<strong id="rejected-count">0</strong>' in client.get("/dashboard", headers=ANN).get_data(as_text=True)


def test_a_person_can_still_validate_what_the_gate_rejected(client, backend):
    status_url = submit(client, example_record())
    assert work(backend, "v3").rejected == 1
    [row] = client.get("/api/async/requests?review=rejected", headers=ANN).get_json()
    assert row["reviewed_by"] == gate_module.GATE_REVIEWER and "outside the sale prices" in row["gate_reason"]
    client.post("/api/async/review", json={"decision": "validated", "prediction_ids": [row["prediction_id"]]},
                headers=ANN)
    answer = client.get(status_url, headers=JSON).get_json()
    assert (answer["state"], answer["prediction"]["model_version"]) == ("available", "v3")
    assert answer["prediction"]["value"] == pytest.approx(row["value"])


def test_a_jump_of_more_than_three_times_the_previous_answer_is_rejected(backend):
    """The previous answers are written through the store, as a worker with another model would."""
    store = backend.store
    record = houses(1)
    ids = store.submit(record * 2, source="test")
    v2 = ModelStore(backend.settings.home / "models").load("v2").predict_one(validate_record(record[0]))
    claims = store.claim("earlier worker", limit=2, lease_seconds=60)
    store.finish("earlier worker", [(claims[0], "v1", v2 / 3.5, None), (claims[1], "v1", v2 / 2.5, None)], [])

    store.rerun("v2", ids, source="test")
    assert work(backend).rejected == 1
    jumped, steady = (store.request(i)["predictions"][0] for i in ids)
    assert (jumped["review_status"], jumped["reviewed_by"]) == ("rejected", gate_module.GATE_REVIEWER)
    assert jumped["gate_reason"] == "the price is 3.5x what model v1 predicted for this request (allowed: 1/3x to 3x)"
    assert (steady["review_status"], steady["gate_reason"]) == ("pending", None)


@pytest.mark.parametrize("ratio, rejected", [(3.0, False), (3.01, True), (1 / 3, False), (0.33, True)])
def test_the_jump_rule_allows_up_to_three_times_either_way(home_with_models, ratio, rejected):
    gate = gate_module.ReviewGate(ModelStore(home_with_models / "models").metadata("v2"))
    previous = gate_module.Previous("v1", 150_000.0)
    assert (gate.reason(150_000.0 * ratio, previous) is not None) is rejected
    assert gate.reason(150_000.0 * ratio, None) is None  # the first answer has nothing to jump from
