"""Who may act on the async front: reviewers and the admin sign in; other sites and forms cannot.

Every state-changing route answers 401 without a credential, 403 from a foreign Origin, 415 for a
body that is not declared JSON (what a cross-site form can send); with a credential the action
happens and the history records the credential's name, whatever the body claims.
"""

from __future__ import annotations

import json

import pytest

from async_helpers import ANN, REVIEWERS, async_module, basic_auth, csrf_token, houses
from patterns.settings import Settings
from patterns.web import create_app
from patterns.web.auth import Accounts

ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
JSON_ROUTES = [("/api/async/review", {"prediction_ids": [1], "decision": "validated"}),
               ("/api/async/rerun", {"version": "v1"}),
               ("/api/async/score", {"wait": False})]
FORM_ROUTES = [("/dashboard/review", {"row": "1:1", "decision": "validated"}),
               ("/dashboard/rerun", {"version": "v1", "scope": "all"}),
               ("/dashboard/score", {})]


def front(home, database_url, **credentials):
    settings = async_module("settings").AsyncSettings(home=home, arch="async", database_url=database_url, **credentials)
    backend = async_module("backend").create_backend(settings)
    return backend, create_app(backend, settings=settings).test_client()


@pytest.fixture
def scored(database_url, home_with_models):
    """A front with reviewers and an admin token, and one scored house awaiting review."""
    backend, client = front(home_with_models, database_url, reviewers=REVIEWERS, admin_token=ADMIN_TOKEN)
    backend.store.submit(houses(1), source="test")
    async_module("job").ScoringJob(backend.store, backend.models).run_once()
    yield backend, client
    backend.close()


def nothing_recorded(backend) -> bool:
    return backend.store.recent_actions() == [] and backend.store.request(1)["predictions"][0]["review_status"] == "pending"


@pytest.mark.parametrize("path, body", JSON_ROUTES + FORM_ROUTES)
def test_without_a_credential_is_401_with_a_sign_in_challenge(scored, path, body):
    backend, client = scored
    for headers in ({}, basic_auth("ann", "wrong"), {"Authorization": "Bearer wrong"}):
        refused = client.post(path, json=body, headers=headers) if path.startswith("/api") else \
            client.post(path, data=body, headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Basic")
    assert nothing_recorded(backend)


def test_reading_the_dashboard_and_listing_needs_a_reviewer_too(scored):
    """They show predictions before review; a user sees only their own request's served answer."""
    _, client = scored
    for path in ("/dashboard", "/dashboard/report.csv", "/api/async/requests"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=ANN).status_code == 200
    assert client.get("/requests/1", headers={"Accept": "application/json"}).status_code == 200


@pytest.mark.parametrize("path, body", JSON_ROUTES)
def test_a_foreign_origin_is_refused_even_with_a_credential(scored, path, body):
    backend, client = scored
    for header in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/page"}):
        refused = client.post(path, json=body, headers={**ANN, **header})
        assert refused.status_code == 403 and "another site" in refused.get_json()["message"]
    assert nothing_recorded(backend)
    same_site = client.post("/api/async/review", json={"prediction_ids": [1], "decision": "validated"},
                            headers={**ANN, "Origin": "http://localhost"})
    assert same_site.status_code == 200


@pytest.mark.parametrize("path, body", JSON_ROUTES)
def test_a_body_not_declared_json_is_refused(scored, path, body):
    """A cross-site <form enctype="text/plain"> can carry a JSON-looking body, never the JSON type."""
    backend, client = scored
    refused = client.post(path, data=json.dumps(body), content_type="text/plain", headers=ANN)
    assert refused.status_code == 415
    assert nothing_recorded(backend)


@pytest.mark.parametrize("path, body", JSON_ROUTES)
def test_a_body_nested_too_deeply_is_a_400_never_a_500(scored, path, body):
    backend, client = scored
    refused = client.post(path, data="[" * 100_000, content_type="application/json", headers=ANN)
    assert refused.status_code == 400
    assert nothing_recorded(backend)


@pytest.mark.parametrize("path, body", FORM_ROUTES)
def test_a_dashboard_form_without_its_csrf_token_is_refused(scored, path, body):
    backend, client = scored
    assert client.post(path, data=body, headers=ANN).status_code == 400
    assert client.post(path, data={**body, "csrf_token": "forged"}, headers=ANN).status_code == 400
    assert nothing_recorded(backend)


def test_the_reviewer_is_the_credential_not_the_form_field(scored):
    backend, client = scored
    token = csrf_token(client.get("/dashboard", headers=ANN).get_data(as_text=True))
    done = client.post("/dashboard/review", headers=ANN, data={
        "row": "1:1", "decision": "rejected", "reviewer": "mallory", "csrf_token": token})
    assert done.status_code == 303
    assert backend.store.request(1)["predictions"][0]["reviewed_by"] == "ann"
    via_api = client.post("/api/async/review", headers=ADMIN,
                          json={"prediction_ids": [1], "decision": "validated", "reviewer": "mallory"})
    assert via_api.get_json() == {"updated": 1}
    rerun = client.post("/api/async/rerun", headers=basic_auth("bob", "bob-secret"), json={"version": "v1"})
    assert rerun.status_code == 200

    history = [(a["actor"], a["action"], a["detail"].get("decision")) for a in backend.store.recent_actions()]
    assert history == [("bob", "rerun", None), ("admin", "review", "validated"), ("ann", "review", "rejected")]
    page = client.get("/dashboard", headers=ANN).get_data(as_text=True)
    assert "mallory" not in page and "<td>bob</td>" in page


def test_admin_by_basic_auth_so_a_browser_can_sign_in(scored):
    _, client = scored
    page = client.get("/dashboard", headers=basic_auth("admin", ADMIN_TOKEN))
    assert "signed in as <strong>admin</strong> (admin)" in page.get_data(as_text=True)


def test_with_no_credential_configured_every_guarded_route_is_403(database_url, home_with_models):
    backend, client = front(home_with_models, database_url)
    try:
        refused = client.post("/api/async/rerun", json={"version": "v1"}, headers=ANN)
        assert refused.status_code == 403 and "ARCHLAB_ADMIN_TOKEN" in refused.get_json()["message"]
        assert client.get("/dashboard", headers=ANN).status_code == 403
    finally:
        backend.close()


def test_a_malformed_reviewers_setting_is_refused_at_start():
    for setting in ("ann", "ann:", ":pw", "admin:pw"):
        with pytest.raises(ValueError, match="ARCHLAB_REVIEWERS: expected name:password"):
            Accounts.from_settings(Settings(reviewers=setting))
    assert Accounts.from_settings(Settings(reviewers=" ann:a:b , bob:c")).reviewers == {"ann": "a:b", "bob": "c"}
