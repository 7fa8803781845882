"""Alembic environment: runs against the connection handed over by storage.db.upgrade."""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, create_engine

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = config.attributes.get("engine")
        if engine is None:
            url = config.get_main_option("sqlalchemy.url")
            if not url:
                raise RuntimeError("migrations need a connection, an engine or sqlalchemy.url")
            engine = create_engine(url)
        with engine.begin() as conn:
            _run(conn)
    else:
        _run(connection)


def _render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """Migrations name plain SQL types, never the models' Python-side decorators."""
    from storage.models import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
