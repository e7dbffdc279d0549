"""Every failure becomes a clean page or JSON body with the right status, never a traceback."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from shared_model import ValidationError

from .backend import BackendUnavailable

JSON_PATHS = ("/predict", "/example", "/status", "/health")


def wants_json() -> bool:
    """JSON for the API paths and for clients that send or prefer JSON; HTML for browsers."""
    if request.path in JSON_PATHS or request.is_json:
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def error_response(status: int, title: str, message: str, headers=(), **details):
    """The one error shape: JSON `{error, message, ...details}` or the error page. `headers` the
    status needs are kept (405's Allow, 401's WWW-Authenticate); the body's own type is ours."""
    if wants_json():
        response = make_response(jsonify(error=title, message=message, **details), status)
    else:
        response = make_response(render_template("error.html", status=status, title=title, message=message), status)
    response.headers.extend((name, value) for name, value in headers if name.lower() != "content-type")
    return response


def register(app: Flask) -> None:
    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return error_response(413, "Request too large", f"the request body is over the limit of {limit} bytes")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return error_response(exc.code, exc.name, exc.description, headers=exc.get_headers())

    @app.errorhandler(ValidationError)
    def invalid(exc):
        return error_response(422, exc.title, str(exc), **exc.as_json())

    @app.errorhandler(BackendUnavailable)
    def unavailable(exc):
        current_app.logger.warning("backend unavailable: %s", exc.message)
        return error_response(503, "Model back end unavailable", exc.message)

    @app.errorhandler(Exception)
    def internal(exc):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "Internal error", "the server hit an unexpected error; it has been logged")
