"""Every failure becomes a clean page or JSON body with the right status, never a traceback."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from shared_model import ValidationError

from .backend import BackendUnavailable

JSON_PATHS = ("/predict", "/example", "/status", "/health")


def wants_json() -> bool:
    """JSON for the API paths and for clients that send or prefer JSON; HTML for browsers."""
    if request.path in JSON_PATHS or request.is_json:
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def error_response(status: int, title: str, message: str, **details):
    if wants_json():
        return jsonify(error=title, message=message, **details), status
    return render_template("error.html", status=status, title=title, message=message), status


def validation_details(exc: ValidationError) -> dict:
    """Per-field errors for one record, or per-row lists of them for a batch."""
    if exc.row_errors:
        return {"rows": [{"index": index, "errors": errors} for index, errors in sorted(exc.row_errors.items())]}
    return {"errors": exc.errors}


def register(app: Flask) -> None:
    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return error_response(413, "Request too large", f"the request body is over the limit of {limit} bytes")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return error_response(exc.code, exc.name, exc.description)

    @app.errorhandler(ValidationError)
    def invalid(exc):
        return error_response(422, "Invalid input", str(exc), **validation_details(exc))

    @app.errorhandler(BackendUnavailable)
    def unavailable(exc):
        current_app.logger.warning("backend unavailable: %s", exc.message)
        return error_response(503, "Model back end unavailable", exc.message)

    @app.errorhandler(Exception)
    def internal(exc):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "Internal error", "the server hit an unexpected error; it has been logged")
