"""The exceptions of shared_model. Callers catch `ModelError`; bad input is `ValidationError`.

`ValidationError` also owns its two renderings, so the CLI, the front, the model service and the
async job say the same thing about the same bad input: `as_json()` (the HTTP body's details,
rebuilt on the other side of a wire by `from_json`) and `describe()` / `row_lines()` (text).
"""

from __future__ import annotations

from collections.abc import Mapping


def describe(errors: list[dict], brief: bool = False) -> str:
    """One record's field errors on one line: what was wrong, what is expected, what was sent
    (`brief`: what was wrong only, for a summary whose details travel beside it)."""
    if brief:
        return "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return "; ".join(f"{e['field']}: {e['message']} (expected {e['expected']}, got {e['got']!r})" for e in errors)


def row_lines(row_errors: Mapping[int, list[dict]], first: int = 1, label: str = "row", brief: bool = False) -> list[str]:
    """One line per invalid row, numbered from `first` (1 for the data rows of a file)."""
    return [f"{label} {index + first}: {describe(errors, brief)}" for index, errors in sorted(row_errors.items())]


class ModelError(Exception):
    """Base class of every error shared_model raises on purpose."""


class ValidationError(ModelError, ValueError):
    """Input that does not fit the schema.

    `errors` lists problems of one record as dicts ``{field, message, expected, got}``;
    `row_errors` maps a batch row index (from 0, as in a JSON list) to such a list.
    """

    SHOWN_ROWS = 5
    # The title of the 422 that carries it, the same from the web front and the model service:
    # it says what went wrong, where the standard phrase ("Unprocessable Entity") says only the code.
    title = "Invalid input"

    def __init__(self, errors: list[dict] | None = None, row_errors: dict[int, list[dict]] | None = None):
        self.errors = errors or []
        self.row_errors = row_errors or {}
        super().__init__(self._summary())

    def _summary(self) -> str:
        if self.row_errors:
            shown = dict(sorted(self.row_errors.items())[: self.SHOWN_ROWS])
            parts = row_lines(shown, first=0, label="index", brief=True)
            more = len(self.row_errors) - len(parts)
            return "invalid houses: " + " | ".join(parts) + (f" | and {more} more" if more > 0 else "")
        return "invalid house: " + describe(self.errors, brief=True)

    def as_json(self) -> dict:
        """The details of an HTTP error body: ``{"errors": [...]}`` for one record, or
        ``{"rows": [{"index": i, "errors": [...]}]}`` for a list (index from 0)."""
        if self.row_errors:
            return {"rows": [{"index": index, "errors": errors} for index, errors in sorted(self.row_errors.items())]}
        return {"errors": self.errors}

    @classmethod
    def from_json(cls, body: Mapping) -> ValidationError:
        """The error `as_json` described (what a client of the model service raises on a 422)."""
        rows = body.get("rows")
        if isinstance(rows, list):
            return cls(row_errors={row["index"]: list(row["errors"]) for row in rows})
        return cls(list(body.get("errors") or []))


class ModelNotFoundError(ModelError, LookupError):
    """No such model version in the store (or no recipe to train it)."""


class IntegrityError(ModelError):
    """An artifact that is unsigned, tampered with or truncated. It is never unpickled."""


class IncompatibleModelError(ModelError):
    """A verified artifact built with library versions whose pickles this runtime cannot trust."""
