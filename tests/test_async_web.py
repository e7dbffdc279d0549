"""The front in async mode on SQLite and PostgreSQL: 202 + status URL, review, dashboard, report.

The front never scores: here the test plays the worker (`work`), as `archlab score --once` would.
Reviewers sign in with HTTP basic auth (the access rules themselves are in test_async_auth.py).
"""

from __future__ import annotations

import csv
import io

import pytest

from async_helpers import ANN, REVIEWERS, async_module, csrf_token, houses
from patterns.settings import Settings
from patterns.web import create_app
from shared_model import REQUIRED_FIELDS, ModelStore, example_record, input_fields

JSON = {"Accept": "application/json"}


def make_backend(home, database_url):
    return async_module("backend").create_backend(settings(home, database_url))


def settings(home, database_url) -> Settings:
    return async_module("settings").AsyncSettings(home=home, arch="async", database_url=database_url, reviewers=REVIEWERS)


@pytest.fixture
def backend(database_url, home_with_models):
    created = make_backend(home_with_models, database_url)
    yield created
    created.close()


@pytest.fixture
def client(backend):
    return create_app(backend, settings=backend.settings).test_client()


def submit(client, records) -> list[dict]:
    response = client.post("/predict", json=records)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["tickets"]


def work(backend):
    """One pass of the scoring job, as a worker process runs it."""
    return async_module("job").ScoringJob(backend.store, backend.models).run_once()


def test_submit_score_review_serve(client, backend, home_with_models):
    [ticket] = submit(client, example_record())
    assert ticket["status_url"] == f"/requests/{ticket['id']}"

    queued = client.get(ticket["status_url"], headers=JSON).get_json()
    assert (queued["state"], queued["prediction"]) == ("queued", None)

    assert work(backend).predicted == 1
    waiting = client.get(ticket["status_url"], headers=JSON).get_json()
    assert (waiting["status"], waiting["state"], waiting["prediction"]) == ("predicted", "awaiting review", None)
    assert "awaiting review" in client.get(ticket["status_url"]).get_data(as_text=True)

    [row] = client.get("/api/async/requests", headers={**JSON, **ANN}).get_json()
    reviewed = client.post("/api/async/review", json={"prediction_ids": [row["prediction_id"]],
                                                       "decision": "validated"}, headers=ANN)
    assert reviewed.get_json() == {"updated": 1}

    served = client.get(ticket["status_url"], headers=JSON).get_json()
    expected = ModelStore(home_with_models / "models").load("v2").predict_one(example_record())
    assert served["state"] == "available"
    assert served["prediction"]["value"] == pytest.approx(expected)
    assert served["prediction"]["model_version"] == "v2"
    page = client.get(ticket["status_url"]).get_data(as_text=True)
    assert f"{expected:,.0f}" in page


def test_a_rejected_prediction_is_not_served(client, backend):
    [ticket] = submit(client, example_record())
    work(backend)
    [row] = client.get("/api/async/requests", headers=ANN).get_json()
    client.post("/api/async/review", json={"prediction_ids": [row["prediction_id"]], "decision": "rejected"},
                headers=ANN)
    answer = client.get(ticket["status_url"], headers=JSON).get_json()
    assert (answer["state"], answer["prediction"]) == ("rejected", None)


def test_the_status_names_the_fields_the_model_fills_in(client, backend):
    """As the synchronous answers do (`imputed`): here for a house given with its required fields only."""
    given = {name: example_record()[name] for name in REQUIRED_FIELDS}
    [full, bare] = submit(client, [example_record(), given])
    assert client.get(full["status_url"], headers=JSON).get_json()["imputed"] == []
    imputed = client.get(bare["status_url"], headers=JSON).get_json()["imputed"]
    assert set(imputed) == {spec.name for spec in input_fields()} - set(REQUIRED_FIELDS)
    assert client.post("/predict", json=given).get_json()["imputed"] == [imputed]  # what the 202 said
    assert "Not given, filled in by the model: " + ", ".join(imputed) in client.get(bare["status_url"]).get_data(
        as_text=True)


def test_form_submission_answers_202_with_the_ticket(client):
    values = {k: "" if v is None else str(v) for k, v in example_record().items()}
    response = client.post("/", data=values)
    assert response.status_code == 202
    assert "/requests/1" in response.get_data(as_text=True)


def test_unknown_request_is_404(client):
    assert client.get("/requests/999", headers=JSON).status_code == 404


def test_bad_review_and_rerun_input_names_the_field(client):
    missing = client.post("/api/async/review", json={"prediction_ids": [1]}, headers=ANN)
    assert missing.status_code == 422
    assert missing.get_json()["errors"][0]["field"] == "decision"
    wrong = client.post("/api/async/review", json={"prediction_ids": "x", "decision": "validated"}, headers=ANN)
    assert wrong.get_json()["errors"][0]["field"] == "prediction_ids"
    unknown = client.post("/api/async/rerun", json={"version": "v9"}, headers=ANN)
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "version"
    assert client.get("/dashboard?status=lost", headers=ANN).status_code == 422
    waits = client.post("/api/async/score", json={"timeout": "soon"}, headers=ANN)
    assert waits.status_code == 422 and waits.get_json()["errors"][0]["field"] == "timeout"


def test_json_calls_get_no_session_while_the_dashboard_keeps_its_csrf_session(client):
    assert "Set-Cookie" not in client.post("/predict", json=houses(1)[0]).headers
    assert "session=" in client.get("/dashboard", headers=ANN).headers.get("Set-Cookie", "")


def test_dashboard_review_rerun_chart_and_report(client, backend):
    tickets = submit(client, houses(3))  # real houses: some have missing values
    assert work(backend).predicted == 3
    rows = client.get("/api/async/requests", headers=ANN).get_json()
    first = next(r for r in rows if r["id"] == tickets[0]["id"])

    page = client.get("/dashboard", headers=ANN).get_data(as_text=True)
    assert "<svg" in page and "histogram of 3 predicted prices" in page
    assert f'value="{first["id"]}:{first["prediction_id"]}"' in page
    assert "signed in as <strong>ann</strong>" in page
    token = csrf_token(page)

    done = client.post("/dashboard/review", headers=ANN, data={
        "row": [f"{first['id']}:{first['prediction_id']}"], "decision": "validated", "csrf_token": token})
    assert done.status_code == 303 and "1+predictions+marked+validated" in done.headers["Location"]

    rerun = client.post("/dashboard/rerun", headers=ANN, data={"version": "v1", "scope": "all", "csrf_token": token})
    assert rerun.status_code == 303 and "3+requests+queued+for+v1" in rerun.headers["Location"]
    work(backend)

    filtered = client.get("/dashboard?version=v1&review=pending", headers=ANN).get_data(as_text=True)
    assert filtered.count('name="row"') == 3
    report = client.get("/dashboard/report.csv", headers=ANN)
    assert report.mimetype == "text/csv"
    lines = list(csv.DictReader(io.StringIO(report.get_data(as_text=True))))
    assert len(lines) == 6
    mine = [(r["model_version"], r["review_status"], r["current"]) for r in lines
            if r["request_id"] == str(first["id"])]
    assert mine == [("v2", "validated", "False"), ("v1", "pending", "True")]
    assert [r["reviewed_by"] for r in lines if r["review_status"] == "validated"] == ["ann"]

    # The end user still sees the validated v2 value while the v1 re-run awaits review.
    answer = client.get(tickets[0]["status_url"], headers=JSON).get_json()
    assert (answer["state"], answer["prediction"]["model_version"]) == ("awaiting review", "v2")


def test_database_down_is_503_and_status_says_so(home_with_models):
    """A test can take only a SQLite file away (moved, as AsyncSystem.stop_component does)."""
    db = home_with_models / "async.db"
    backend = make_backend(home_with_models, f"sqlite:///{db}")
    client = create_app(backend, settings=backend.settings).test_client()
    db.rename(home_with_models / "away.db")
    try:
        refused = client.post("/predict", json=example_record())
        assert refused.status_code == 503
        assert "not stored" in refused.get_json()["message"]
        assert client.get("/status").get_json()["database_ok"] is False
        assert client.get("/dashboard", headers=ANN).status_code == 503
    finally:
        (home_with_models / "away.db").rename(db)
    assert client.post("/predict", json=example_record()).status_code == 202
    backend.close()
