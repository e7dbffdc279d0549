"""The OpenAPI 3.1 document of the model service, built from shared_model's field specs.

Generated rather than hand-written, so the documented house schema (kinds, categories, ranges,
defaults, required fields) is always the one the service validates against: every bound and
category comes from shared_model's schema, the one source the validator reads too. It describes
what the service really accepts, not only the tidy form: numbers also as numeric text (as a CSV
file holds them; the text's pattern states the field's range, `range_pattern.py`), a category
code such as MSSubClass also as a number, and "missing" written as null, "", "NA" or "Missing".
tests/test_api_contract.py runs schemathesis against a live service to keep the two in agreement:
a house that fits the document is priced, one that breaks it is refused.
"""

from __future__ import annotations

from functools import cache

from shared_model import REQUIRED_FIELDS, ValidationError, input_fields
from shared_model.config import MISSING_CATEGORY

from .range_pattern import number_text
from .settings import MODEL_FORMATS

OPENAPI_VERSION = "3.1.0"
SERVICE_VERSION = "1"

MISSING_VALUES = [None, "", "NA", MISSING_CATEGORY]


def _field_schema(spec) -> dict:
    if spec.kind == "categorical":
        forms = [{"type": "string", "enum": list(spec.choices)}]
        codes = [int(choice) for choice in spec.choices if choice.isdigit()]
        if codes:
            forms.append({"type": "integer", "enum": codes, "description": "A numeric code may be sent as a number."})
    else:
        kind = "integer" if spec.integer else "number"
        forms = [
            {"type": kind, "minimum": spec.minimum, "maximum": spec.maximum},
            {"type": "string", "pattern": number_text(spec.minimum, spec.maximum, spec.integer),
             "description": f"The same number as decimal text: {kind} from {spec.minimum:g} to {spec.maximum:g}."},
        ]
    if not spec.required:
        forms.append({"enum": MISSING_VALUES, "description": "Missing: the model imputes it."})
    return {"description": spec.label + (" (required)" if spec.required else ""), "default": spec.default,
            "anyOf": forms}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _titled_error(title: str) -> dict:
    return {"allOf": [_ref("Error"), {"properties": {"error": {"const": title}}}]}


def _schemas() -> dict:
    return {
        "House": {
            "type": "object",
            "description": (
                f"One house. {', '.join(REQUIRED_FIELDS)} are required; every other field may be absent or "
                "missing, and the model imputes it (the answer's `imputed` names those fields)."
            ),
            "required": list(REQUIRED_FIELDS),
            "properties": {spec.name: _field_schema(spec) for spec in input_fields()},
            "additionalProperties": False,
        },
        "Predictions": {
            "type": "object",
            "required": ["predictions", "model_version", "model_name", "imputed"],
            "properties": {
                "predictions": {"type": "array", "items": {"type": "number"}, "description": "Prices, in input order."},
                "model_version": {"type": "string", "examples": ["v1"]},
                "model_name": {"type": "string"},
                "imputed": {
                    "type": "array", "items": {"type": "array", "items": {"type": "string"}},
                    "description": "Per house, in input order: the fields it left missing, which the model imputed.",
                },
            },
        },
        "FieldError": {
            "type": "object",
            "required": ["field", "message", "expected", "got"],
            "properties": {
                "field": {"type": "string"},
                "message": {"type": "string"},
                "expected": {"type": "string"},
                "got": {"description": "The value that was sent."},
            },
        },
        "Error": {
            "type": "object",
            "description": "The same shape as the web front's errors.",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "description": "The status's title."},
                "message": {"type": "string", "description": "What was wrong, in one line."},
                "errors": {"type": "array", "items": _ref("FieldError"), "description": "One house: its bad fields."},
                "rows": {
                    "type": "array",
                    "description": "A list of houses: the bad ones by position (from 0) with their bad fields.",
                    "items": {
                        "type": "object",
                        "required": ["index", "errors"],
                        "properties": {"index": {"type": "integer"}, "errors": {"type": "array", "items": _ref("FieldError")}},
                    },
                },
            },
        },
        "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
        "Status": {
            "type": "object",
            "description": "Which stored file the model came from (MODEL_FORMAT) and which runtimes this process imported.",
            "required": ["model_version", "model_format", "state", "libraries_loaded"],
            "properties": {
                "model_version": {"type": ["string", "null"]},
                "model_format": {"enum": [*MODEL_FORMATS, None]},
                "state": {"type": "string", "description": "`ready`, or why there is no model yet."},
                "libraries_loaded": {"type": "object", "additionalProperties": {"type": "boolean"}},
            },
        },
        "Ready": {
            "type": "object",
            "required": ["ready"],
            "properties": {
                "ready": {"type": "boolean"},
                "model_version": {"type": "string"},
                "reason": {"type": "string"},
            },
        },
        "ModelVersion": {
            "type": "object",
            "required": ["name", "version", "digest", "created", "metrics"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "digest": {"type": "string", "description": "SHA-256 of the verified artifact."},
                "created": {"type": "string"},
                "metrics": {"type": "object", "description": "Evaluation metrics recorded at training."},
            },
        },
    }


@cache
def openapi_document() -> dict:
    """The service's OpenAPI document (served at GET /openapi.json)."""
    not_loaded = _error("The model is not loaded yet.")
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "archlab model service",
            "version": SERVICE_VERSION,
            "description": "The house-price model behind its own HTTP API (archlab architecture 2).",
        },
        "paths": {
            "/v1/predict": {
                "post": {
                    "operationId": "predict",
                    "summary": "Predict the price of one house or of a list of houses.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"oneOf": [_ref("House"), {"type": "array", "minItems": 1, "items": _ref("House")}]}
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_ref("Predictions"), "One price per house, and the model that produced them."),
                        "400": _error("The body is not JSON (or nests too deeply), or neither an object nor a non-empty list."),
                        "413": _error("The body is over the size limit."),
                        "422": _json(_titled_error(ValidationError.title),
                                     "Some fields are invalid or a required one is missing; `errors` (or `rows`) "
                                     "lists each. Titled as the web front titles it."),
                        "503": not_loaded,
                    },
                }
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness: the process answers.",
                    "responses": {"200": _json(_ref("Health"), "Alive.")},
                }
            },
            "/ready": {
                "get": {
                    "operationId": "ready",
                    "summary": "Readiness: the model is loaded and predictions can be sent.",
                    "responses": {
                        "200": _json(_ref("Ready"), "Ready."),
                        "503": _json(_ref("Ready"), "Not ready; `reason` says why."),
                    },
                }
            },
            "/status": {
                "get": {
                    "operationId": "status",
                    "summary": "The model's format and the runtimes loaded (with MODEL_FORMAT=onnx, no scikit-learn).",
                    "responses": {"200": _json(_ref("Status"), "The service's state.")},
                }
            },
            "/version": {
                "get": {
                    "operationId": "version",
                    "summary": "The loaded model: name, version, digest, creation time and metrics.",
                    "responses": {"200": _json(_ref("ModelVersion"), "The loaded model."), "503": not_loaded},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {"200": {"description": "The OpenAPI document.", "content": {"application/json": {}}}},
                }
            },
        },
        "components": {"schemas": _schemas()},
    }
