"""The async system's database as a component it can take down without harming anyone else.

- `SqliteFile`: a file of its own. Down = the file (and its -wal/-shm companions) moved aside, which
  every later connection notices at once: the store opens it with `mode=rw`, never re-creating it.
- `PostgresDatabase`: a database of its own on a shared server, created for one run. Down =
  connections to it refused and its sessions ended; the server and its other databases stay up.
  When the user's URL selects a schema (`?options=-csearch_path%3Dname`, how a shared database
  gives each application its own), that schema is created in the new database too.
- `PostgresSchema`: where the role may not create databases, a schema of its own on the user's
  database (in place of the schema the URL selects); that database is shared, so it is reported
  and never taken down.
- `SharedDatabase`: the user's own DATABASE_URL outside any run: reported, never taken down.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from patterns.launch.contract import PartUnavailable

SQLITE_SUFFIXES = ("", "-wal", "-shm")
SEARCH_PATH = re.compile(r"-c\s*search_path=(\S+)")  # in libpq's `options`: -csearch_path=a,b


class NamespaceUnavailable(PartUnavailable):
    """A run's own database or schema cannot be created; the message says which, where and why."""


def selected_schema(url: str) -> str | None:
    """The schema `url` creates tables in (the first of its search_path), None if it selects none."""
    found = SEARCH_PATH.search(make_url(url).query.get("options", ""))
    return found.group(1).split(",")[0].strip('"') if found else None


def with_search_path(url: str, schema: str) -> str:
    """`url` with its search_path set to `schema` alone; its other options kept."""
    parsed = make_url(url)
    options = SEARCH_PATH.sub("", parsed.query.get("options", "")).strip()
    options = f"{options} -csearch_path={schema}".strip()
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


class SqliteFile:
    breakable = True
    how = "its SQLite file is moved aside: every connection fails, as in an outage"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(make_url(url).database).expanduser().resolve()
        self.aside = self.path.with_name(self.path.name + ".down")

    def take_down(self) -> None:
        self.aside.mkdir(exist_ok=True)
        for suffix in SQLITE_SUFFIXES:
            source = self.path.with_name(self.path.name + suffix)
            if source.exists():
                source.rename(self.aside / source.name)

    def bring_up(self) -> None:
        """The write-ahead log and its index first, the main file last: a connection that opens the
        file the moment it is back must find its log there, or it starts a new one beside it."""
        if self.aside.is_dir():
            for suffix in reversed(SQLITE_SUFFIXES):
                moved = self.aside / (self.path.name + suffix)
                if moved.exists():
                    moved.rename(self.path.with_name(moved.name))
            self.aside.rmdir()

    def remove(self) -> None:
        self.bring_up()
        for suffix in SQLITE_SUFFIXES:
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)


def _run(url: str, *statements: str) -> None:
    """Run `statements` in autocommit on the server of `url` (CREATE/ALTER/DROP DATABASE cannot run
    in a transaction), on a connection of its own that is closed afterwards."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


class PostgresDatabase:
    breakable = True
    how = ("connections to its own PostgreSQL database are refused and its sessions ended; "
           "the server and its other databases stay up")

    def __init__(self, server_url: str, name: str) -> None:
        self.server_url, self.name = server_url, name
        self.url = make_url(server_url).set(database=name).render_as_string(hide_password=False)

    def create(self) -> None:
        """The database, and in it the schema the URL selects, if any."""
        _run(self.server_url, f'CREATE DATABASE "{self.name}"')
        if schema := selected_schema(self.url):
            try:
                _run(self.url, f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            except BaseException:
                self.remove()
                raise

    def take_down(self) -> None:
        _run(self.server_url, f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS false',
             f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()")

    def bring_up(self) -> None:
        _run(self.server_url, f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true')

    def remove(self) -> None:
        self.take_down()
        _run(self.server_url, f'DROP DATABASE IF EXISTS "{self.name}"')


class PostgresSchema:
    breakable = False

    def __init__(self, server_url: str, name: str) -> None:
        self.server_url, self.name = server_url, name
        parsed = make_url(server_url)
        self.url = with_search_path(server_url, name)
        self.how = (f"a schema of its own ({name}) on the shared database {parsed.database}: "
                    "the database is not stopped by archlab")

    def create(self) -> None:
        _run(self.server_url, f'CREATE SCHEMA "{self.name}"')

    def remove(self) -> None:
        _run(self.server_url, f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')


class SharedDatabase:
    breakable = False

    def __init__(self, url: str) -> None:
        self.url = url
        self.how = (f"the database at {make_url(url).render_as_string(hide_password=True)} is the user's, "
                    "shared with other users: not stopped by archlab")

    def remove(self) -> None:
        """Outside a run there is nothing of archlab's own to remove."""


def own_database(url: str, namespace: str | None):
    """The database component for `url`: a run (`namespace`) on PostgreSQL gets a database of its
    own (or a schema, when the role may not create databases); SQLite is always a file of its own.
    NamespaceUnavailable when neither can be created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SqliteFile(url)
    if namespace is None:
        return SharedDatabase(url)
    name = f"archlab_{namespace.replace('-', '_')}_{uuid.uuid4().hex[:6]}"
    database = PostgresDatabase(url, name)
    try:
        try:
            database.create()
        except ProgrammingError:  # no CREATEDB privilege
            database = PostgresSchema(url, name)
            database.create()
    except SQLAlchemyError as exc:
        why = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        hint = f" (the role needs CREATEDB, or CREATE on database {parsed.database!r})" \
            if isinstance(exc, ProgrammingError) else ""
        raise NamespaceUnavailable(f"cannot create a database or a schema of its own for the run {namespace!r} "
                                   f"on {parsed.render_as_string(hide_password=True)}: {why}{hint}") from None
    return database
