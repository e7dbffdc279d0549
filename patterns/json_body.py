"""Parsing a request body as JSON, the same way for the front, the model service and its worker.

`json.loads` raises RecursionError, not ValueError, on a body of thousands of nested `[`: left
alone it escapes every `except ValueError` and becomes a 500 (or kills the RabbitMQ worker).
Here every body that is not usable JSON is one ValueError whose message says what to send.
"""

from __future__ import annotations

import json

NOT_JSON = "the body is not valid JSON; send one house as an object or several as a list"
TOO_DEEP = "the body nests JSON arrays or objects too deeply; a house is one flat object of field values"


class MalformedBody(ValueError):
    """A body that is not JSON (or too deeply nested to parse): the answer is a 400."""


def parse_json(data: bytes | str):
    """The parsed body, or MalformedBody saying what was wrong and what is expected."""
    try:
        return json.loads(data)
    except RecursionError:
        raise MalformedBody(TOO_DEEP) from None
    except ValueError:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not UTF-8/16/32
        raise MalformedBody(NOT_JSON) from None


def json_or_none(data: bytes | str):
    """The parsed body, or None when it is not usable JSON: for a route that answers its own 400."""
    try:
        return parse_json(data)
    except MalformedBody:
        return None
