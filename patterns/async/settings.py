"""The async architecture's own settings (docs/DESIGN.md, "Settings"): the request store's database."""

from __future__ import annotations

from dataclasses import dataclass

from patterns.settings import Settings, setting


def own_sqlite_file(url: str | None, namespace: str, settings: Settings) -> str | None:
    """A run's own SQLite file under `$ARCHLAB_HOME/runs/<namespace>/`; a PostgreSQL URL is kept
    (a database of its own there is the async system's job: it creates and drops it)."""
    if url is None or url.startswith("sqlite"):
        return f"sqlite:///{settings.home / 'runs' / namespace / 'async.db'}"
    return url


@dataclass(frozen=True)
class AsyncSettings(Settings):
    database_url: str | None = setting("DATABASE_URL", namespaced=own_sqlite_file)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'async.db'}"
