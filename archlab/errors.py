"""The one exception the CLI turns into exit code 2 with a readable message."""


class UsageError(Exception):
    """Bad input from the user: a missing file, an unknown version, an invalid record."""
