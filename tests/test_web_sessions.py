"""The front's sessions and CSRF check cost a JSON call nothing, and still work where they are used:
a session cookie is read back and saved, and the CSRF check runs on every unsafe request when the
app asks for the default check."""

from flask import session

from patterns.web import create_app
from shared_model import example_record


def test_a_json_call_with_other_cookies_gets_no_session_cookie_and_no_vary(client):
    client.set_cookie("theme", "dark")
    answer = client.post("/predict", json=example_record())
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", "")


def test_a_session_a_view_writes_is_signed_into_the_cookie_and_read_back(app, client):
    def remember():
        session["seen"] = 1
        return "remembered"

    app.add_url_rule("/remember", "remember", remember)
    app.add_url_rule("/recall", "recall", lambda: str(session.get("seen")))
    first = client.get("/remember")
    assert "session=" in first.headers["Set-Cookie"] and "Cookie" in first.headers["Vary"]
    assert client.get("/recall").get_data(as_text=True) == "1"
    client.set_cookie("session", "forged")  # a session cookie with no valid signature: an empty session
    assert client.get("/recall").get_data(as_text=True) == "None"


def test_with_the_default_check_asked_for_an_unsafe_request_without_a_csrf_token_is_refused(fake_backend):
    client = create_app(fake_backend, test_config={"TESTING": True, "WTF_CSRF_CHECK_DEFAULT": True}).test_client()
    answer = client.post("/predict", json=example_record())
    assert answer.status_code == 400 and "CSRF token is missing" in answer.get_json()["message"]


def test_without_it_json_calls_are_not_asked_for_a_csrf_token(client):
    assert client.post("/predict", json=example_record()).status_code == 200
