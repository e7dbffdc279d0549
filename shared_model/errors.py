"""The exceptions of shared_model. Callers catch `ModelError`; bad input is `ValidationError`."""

from __future__ import annotations


class ModelError(Exception):
    """Base class of every error shared_model raises on purpose."""


class ValidationError(ModelError, ValueError):
    """Input that does not fit the schema.

    `errors` lists problems of one record as dicts ``{field, message, expected, got}``;
    `row_errors` maps a batch row index to such a list.
    """

    def __init__(self, errors: list[dict] | None = None, row_errors: dict[int, list[dict]] | None = None):
        self.errors = errors or []
        self.row_errors = row_errors or {}
        super().__init__(self._summary())

    def _summary(self) -> str:
        if self.row_errors:
            parts = [
                f"row {row}: " + "; ".join(f"{e['field']}: {e['message']}" for e in errs)
                for row, errs in sorted(self.row_errors.items())[:5]
            ]
            more = len(self.row_errors) - len(parts)
            return "invalid rows: " + " | ".join(parts) + (f" | and {more} more rows" if more > 0 else "")
        return "invalid record: " + "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)


class ModelNotFoundError(ModelError, LookupError):
    """No such model version in the store (or no recipe to train it)."""


class IntegrityError(ModelError):
    """An artifact that is unsigned, tampered with or truncated. It is never unpickled."""


class IncompatibleModelError(ModelError):
    """A verified artifact built with library versions whose pickles this runtime cannot trust."""
