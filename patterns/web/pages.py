"""The HTML side of the front: a form for one house and the page showing its price."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template, request

from shared_model import ValidationError, imputed_fields, input_fields, validate_record

from .backend import Accepted, timed_predict

bp = Blueprint("pages", __name__)


@dataclass(frozen=True)
class FormField:
    """One input of the form: the schema's field, the text shown in it, the error beside it."""

    spec: object
    value: str
    error: str | None = None

    @property
    def step(self) -> str:
        return "1" if self.spec.integer else "any"


def shown(spec, value) -> str:
    """A value as the form shows it: whole numbers without '.0'."""
    if value is None:
        return ""
    if spec.kind == "numeric" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def form_fields(values: dict[str, str], errors: dict[str, str] | None = None) -> list[FormField]:
    errors = errors or {}
    return [FormField(spec, values.get(spec.name, ""), errors.get(spec.name)) for spec in input_fields()]


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Field name -> the message shown beside it (numeric fields also say what is expected)."""
    kinds = {spec.name: spec.kind for spec in input_fields()}
    messages = {}
    for error in exc.errors:
        message = error["message"]
        if kinds.get(error["field"]) == "numeric":
            message = f"{message}; expected {error['expected']}"
        messages[error["field"]] = message
    return messages


def render_form(values: dict[str, str], status: int = 200, **context):
    errors = context.pop("errors", None)
    page = render_template("form.html", fields=form_fields(values, errors), **context)
    return page, status


@bp.get("/")
def form():
    return render_form({spec.name: shown(spec, spec.default) for spec in input_fields()})


@bp.post("/")
def submit():
    values = {spec.name: request.form.get(spec.name, "").strip() for spec in input_fields()}
    try:
        record = validate_record(values)
    except ValidationError as exc:
        return render_form(values, 422, errors=field_errors(exc))
    result, elapsed_ms = timed_predict(current_app.extensions["archlab.backend"], [record])
    if isinstance(result, Accepted):
        return render_form(values, 202, tickets=result.tickets)
    return render_form(values, price=result.values[0], model_version=result.model_version, elapsed_ms=elapsed_ms,
                       imputed=imputed_fields(record))
