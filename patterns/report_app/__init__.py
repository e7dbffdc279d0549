"""A second application on the same model: a pricing report (`python -m patterns.report_app`).

It is not the front: no form, no /predict, one job (GET /report prices a fixed portfolio of
houses). What it shares with the front is only how an architecture reaches its model,
`patterns.web.backend.load_backend(settings)`: with the API it calls the same model service, with
streaming it follows the same topic, embedded it loads the model package from its own
environment, async it stores requests and reads their reviewed answers. So what a second consumer
costs in each architecture is observed, not described.

Routes: GET /report, GET /status (the model version its last report used, and the same `runtime`
as the front's), GET /health, and POST /admin/settings (the admin, on loopback) to re-create its
back end from changed settings, as a deployment re-points a consumer when the service it calls moved.
"""

from __future__ import annotations

import os

from flask import Flask, current_app, jsonify, request
from werkzeug.test import Client

from patterns.settings import Settings
from patterns.web import auth, errors
from patterns.web.backend import Backend, BackendUnavailable, load_backend
from patterns.web.json_api import runtime

from .report import PricingReport

LOOPBACK = ("127.0.0.1", "::1")
MAX_CONTENT_LENGTH = 64 * 1024  # its only body is a few settings


def create_report_app(backend: Backend | None = None, settings: Settings | None = None) -> Flask:
    app = Flask(__name__)  # its own error page (templates/error.html): it has no form to go back to
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    settings = settings or Settings.from_env()
    auth.init_app(app, settings)
    backend = backend if backend is not None else load_backend(settings)
    app.extensions["archlab.report"] = PricingReport(backend, answer_reader(backend, settings))

    @app.get("/health")
    def health():
        return jsonify(status="ok", app="report")

    @app.get("/report")
    def report():
        return jsonify(current_app.extensions["archlab.report"].read())

    @app.get("/status")
    def status():
        report = current_app.extensions["archlab.report"]
        versions = report.model_versions
        return jsonify(app="report", architecture=report.backend.architecture, runtime=runtime(),
                       model_version=versions[-1] if versions else None, model_versions=versions)

    @app.post("/admin/settings")
    @auth.signed_in(auth.ADMIN)
    @auth.json_only
    def change_settings():
        if request.remote_addr not in LOOPBACK:
            return errors.error_response(403, "Forbidden", "the admin route only answers on loopback")
        body = request.get_json(silent=True)
        changes = body.get("env") if isinstance(body, dict) else None
        if not isinstance(changes, dict) or not all(isinstance(v, str) for v in changes.values()):
            return errors.error_response(400, "Bad request", 'send {"env": {"NAME": "value", ...}}: the changed settings')
        changed = Settings.from_env({**os.environ, **changes})
        backend = load_backend(changed)
        current_app.extensions["archlab.report"].use(backend, answer_reader(backend, changed)).close()
        return jsonify(changed=sorted(changes))

    errors.register(app)
    return app


def answer_reader(backend: Backend, settings: Settings):
    """How the report reads an answer that comes later: GET its status URL from the back end's own
    routes, mounted in this process only (the report app does not serve the dashboard or the
    reviewers' API: it is not the front)."""
    routes = Flask(__name__)
    auth.init_app(routes, settings)
    routes.extensions["archlab.backend"] = backend
    if (blueprint := backend.blueprint()) is not None:
        routes.register_blueprint(blueprint)
    client = Client(routes)

    def follow(ticket: dict) -> dict:
        response = client.get(ticket["status_url"], headers={"Accept": "application/json"})
        answer = response.get_json(silent=True) or {}
        if response.status_code != 200:
            raise BackendUnavailable(f"request {ticket['id']}: {answer.get('message', response.status)}")
        return answer

    return follow

