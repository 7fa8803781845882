"""Alembic environment: runs against the connection handed over by storage.db.upgrade."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        engine = config.attributes.get("engine") or create_engine(url)
        with engine.begin() as conn:
            _run(conn)
    else:
        _run(connection)


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Migrations name plain SQL types, never the models' Python-side decorators."""
    from storage.models import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:  # type: ignore[no-untyped-def]
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
