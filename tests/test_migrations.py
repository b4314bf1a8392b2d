"""The Alembic migrations create exactly the schema the models describe."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import peerwork.models  # noqa: F401
from peerwork import migrate
from peerwork.db import Base, make_engine


@pytest.fixture
def empty_database_url(tmp_path):
    base = os.environ.get("PEERWORK_TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite3")
        return
    url = make_url(base)
    name = f"peerwork_migr_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_head_matches_models_and_downgrade_base_empties(empty_database_url):
    migrate.upgrade(empty_database_url, "head")
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == [], f"models and migrations differ: {differences}"
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()

    migrate.downgrade(empty_database_url, "base")
    engine = make_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
