"""The one exception the CLI turns into exit code 2 with a readable message.

Only `archlab/commands/*` raise it. Library code (shared_model, patterns, archlab.measure and the
rest) raises standard exceptions (ValueError, LookupError, `shared_model.ModelError`...), so a
notebook or another program calling it gets the usual types; a command catches the ones that mean
"bad input from the user" and re-raises them as UsageError, with what to do instead.
"""


class UsageError(Exception):
    """Bad input from the user: a missing file, an unknown version, an invalid record."""
