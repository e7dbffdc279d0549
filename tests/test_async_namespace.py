"""A run's own PostgreSQL namespace when the user's URL selects a schema (`?options=-csearch_path%3D
name`, how a shared database gives each application its own): the run's new database gets that
schema, a role that may not create databases gets a schema of its own in place of it, and a role
that may create neither is told so (exit code 2 from `archlab compare`, never a traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from async_helpers import async_module
from launch_helpers import postgres_databases, writable_home

pytestmark = pytest.mark.slow  # real PostgreSQL databases, roles and a CLI run

database_module = async_module("database")


def tables_in(url: str, schema: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                                    {"s": schema}).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def limited_role(postgres_url):
    """make(may_create_schemas) -> a role without CREATEDB (with or without CREATE on the database)
    and its URL's user part; every role made is dropped afterwards, with what it owns."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    database, made = make_url(postgres_url).database, []

    def make(may_create_schemas: bool) -> str:
        role = f"archlab_test_role_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN NOCREATEDB"))
            if may_create_schemas:
                conn.execute(text(f'GRANT CREATE ON DATABASE "{database}" TO {role}'))
        made.append(role)
        return role

    yield make
    with admin.connect() as conn:
        for role in made:
            conn.execute(text(f'REVOKE ALL ON DATABASE "{database}" FROM {role}'))
            conn.execute(text(f"DROP OWNED BY {role} CASCADE"))
            conn.execute(text(f"DROP ROLE {role}"))
    admin.dispose()


def test_a_run_gets_a_database_of_its_own_holding_the_schema_the_url_selects(postgres_url, postgres_schema_url):
    selected = database_module.selected_schema(postgres_schema_url)
    database = database_module.own_database(postgres_schema_url, "schema-url")
    try:
        assert isinstance(database, database_module.PostgresDatabase) and database.breakable
        assert database_module.selected_schema(database.url) == selected
        async_module("store").Store.connect(database.url).close()  # no "no schema has been selected"
        assert "archlab_requests" in tables_in(database.url, selected)
        assert tables_in(postgres_schema_url, selected) == set()  # the user's schema is left alone
    finally:
        database.remove()
    assert database.name not in postgres_databases(postgres_url)


@pytest.mark.parametrize("selects_schema", [False, True], ids=["plain-url", "schema-url"])
def test_a_role_that_may_not_create_databases_gets_a_schema_of_its_own_in_place_of_the_selected_one(
        postgres_url, postgres_schema_url, limited_role, selects_schema):
    url = make_url(postgres_schema_url if selects_schema else postgres_url)
    url = url.set(username=limited_role(may_create_schemas=True))
    options = (url.query.get("options", "") + " -cstatement_timeout=60000").strip()
    url = url.update_query_dict({"options": options}).render_as_string(hide_password=False)
    database = database_module.own_database(url, "schema-url")
    try:
        assert isinstance(database, database_module.PostgresSchema)
        assert not database.breakable and "not stopped by archlab" in database.how  # the database is shared
        assert database_module.selected_schema(database.url) == database.name
        assert "-cstatement_timeout=60000" in make_url(database.url).query["options"]  # the user's other options
        async_module("store").Store.connect(database.url).close()
        assert "archlab_requests" in tables_in(postgres_url, database.name)
    finally:
        database.remove()
    assert tables_in(postgres_url, database.name) == set()


def test_a_role_that_may_create_no_namespace_is_told_so_with_exit_code_2(
        postgres_schema_url, limited_role, faulty_home, tmp_path):
    url = make_url(postgres_schema_url).set(username=limited_role(may_create_schemas=False))
    url = url.render_as_string(hide_password=False)
    with pytest.raises(database_module.NamespaceUnavailable, match="CREATEDB, or CREATE on database"):
        database_module.own_database(url, "schema-url")

    home = writable_home(faulty_home, tmp_path / "home")  # v1, v2 and v3: the run trains nothing
    env = {**os.environ, "ARCHLAB_HOME": str(home), "DATABASE_URL": url}
    result = subprocess.run([sys.executable, "-m", "archlab", "compare", "--quick", "--only", "async"],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("archlab compare: error: a system could not start")
    assert "cannot create a database or a schema of its own for the run" in last and "permission denied" in last
