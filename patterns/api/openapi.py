"""The OpenAPI 3.1 document of the model service, built from shared_model's field specs.

Generated rather than hand-written, so the documented house schema (kinds, categories, ranges,
defaults) is always the one the service validates against.
"""

from __future__ import annotations

from functools import cache

from shared_model import input_fields

OPENAPI_VERSION = "3.1.0"
SERVICE_VERSION = "1"


def _field_schema(spec) -> dict:
    schema = {"description": spec.label, "default": spec.default}
    if spec.kind == "categorical":
        schema.update(type=["string", "null"], enum=[*spec.choices, None])
    else:
        schema.update(
            type=["integer" if spec.integer else "number", "null"], minimum=spec.minimum, maximum=spec.maximum
        )
    return schema


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _schemas() -> dict:
    return {
        "House": {
            "type": "object",
            "description": "One house. Every field is optional: a missing (null or absent) value is imputed.",
            "properties": {spec.name: _field_schema(spec) for spec in input_fields()},
            "additionalProperties": False,
        },
        "Predictions": {
            "type": "object",
            "required": ["predictions", "model_version", "model_name"],
            "properties": {
                "predictions": {"type": "array", "items": {"type": "number"}, "description": "Prices, in input order."},
                "model_version": {"type": "string", "examples": ["v1"]},
                "model_name": {"type": "string"},
            },
        },
        "FieldError": {
            "type": "object",
            "required": ["field", "message", "expected", "got"],
            "properties": {
                "index": {"type": "integer", "description": "Position in the submitted list (list input only)."},
                "field": {"type": "string"},
                "message": {"type": "string"},
                "expected": {"type": "string"},
                "got": {"description": "The value that was sent."},
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string"},
                "details": {"type": "array", "items": _ref("FieldError")},
            },
        },
        "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
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
                        "400": _error("The body is not JSON, or neither an object nor a non-empty list."),
                        "413": _error("The body is over the size limit."),
                        "422": _error("Some fields are invalid; `details` lists each one."),
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
