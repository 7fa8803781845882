"""Engines, sessions, migrations and idempotent upserts: the only place that knows the SQL dialects."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.dml import Insert

from base.display import redact
from base.errors import UserError
from storage.advisory import serialize_migrations
from storage.models import Base

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_DB_URL = "sqlite:///joinfeedback.db"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class StorageError(UserError):
    """A database problem worth one clear line to the user."""

    exit_code = 4


def resolve_db_url(url: str | None) -> str:
    """The URL given, else the SQLite file in the working directory. (``--db`` and ``JOINFEEDBACK_DB`` reach
    here through the configuration, the one reader of the settings.)"""
    return url or DEFAULT_DB_URL


BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_reader_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """For commands that only read: nothing that changes the file (``journal_mode=WAL`` would)."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def make_engine(url: str | None = None, *, allow_memory: bool = False, read_only: bool = False) -> Engine:
    """Build an engine for a SQLAlchemy URL, with a clear error for a malformed or unsupported one."""
    resolved = resolve_db_url(url)
    shown = redact(resolved)
    try:
        parsed = make_url(resolved)
    except (ArgumentError, ValueError) as exc:  # ValueError: e.g. a port that is not a number
        raise StorageError(f"database URL {shown!r} is not a valid SQLAlchemy URL") from exc
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise StorageError(
            f"database URL {shown!r}: backend {backend!r} is not supported (sqlite or postgresql)"
        )
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and not allow_memory and parsed.database in {None, "", ":memory:"}:
        raise StorageError(
            f"database URL {shown!r} names no file: the data would be lost when the command "
            "ends (use sqlite:///path/to/file.db)"
        )
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        parent = Path(parsed.database).expanduser().resolve().parent
        if not parent.is_dir():
            raise StorageError(f"database URL {shown!r}: folder {parent} does not exist")
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StorageError(
            f"database URL {shown!r}: driver missing ({exc}); install joinfeedback[postgres]"
        ) from exc
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_reader_pragmas if read_only else _sqlite_pragmas)
    return engine


def describe(engine: Engine) -> str:
    """The database as a user would name it: the SQLite file, or the URL without its password."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        return f"file {engine.url.database}"
    return redact(engine.url.render_as_string(hide_password=True))


LOCKED_EXIT_CODE = 3  # as for a run lock another run holds (joinfeedback.ops.lock)
_LOCKED = "is locked by another program (waited {busy} s): close the other program or run the command later"
# SQLite's messages for problems of the file or its disk, which a user fixes outside joinfeedback
_SQLITE_PROBLEMS = (
    ("readonly database", "is read-only: give the user write access to the file and its folder"),
    ("database is locked", _LOCKED),
    ("database table is locked", _LOCKED),
    ("disk is full", "cannot be written: the disk is full; free space and run the command again"),
    ("disk i/o error", "cannot be written: the disk failed (full, removed or read-only?)"),
    ("not a database", "is not a SQLite database (or is encrypted): check the --db path"),
    ("malformed", "is damaged (database disk image is malformed): restore it from a backup"),
    ("unable to open database file", "cannot be opened: check that the file and its folder are accessible"),
)


def database_problem(
    exc: BaseException, engine: Engine | None = None, url: str | None = None
) -> StorageError | None:
    """The one-line error for a database problem a user can fix, naming the file; else None. Exit 4, but 3
    for a database another program holds locked (as for a run lock another run holds)."""
    original = getattr(exc, "orig", None) or exc
    message = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    lowered = message.lower()
    if engine is not None:
        where = describe(engine)
    elif url:
        where = redact(url)
    else:
        where = "the database"
    for needle, explanation in _SQLITE_PROBLEMS:
        if needle in lowered:
            return StorageError(
                f"database {where} {explanation.format(busy=BUSY_TIMEOUT_MS // 1000)} ({message})",
                exit_code=LOCKED_EXIT_CODE if explanation is _LOCKED else None,
            )
    return None


def _failed_to_answer(exc: DBAPIError, engine: Engine) -> StorageError:
    """The error for a database that failed while being opened: a problem of the file a user can fix, else
    that it could not be reached."""
    problem = database_problem(exc, engine)
    if problem is not None:
        return problem
    return StorageError(f"cannot reach database {describe(engine)}: {str(exc.orig).strip().splitlines()[0]}")


def _alembic_config(engine: Engine | None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates it on an empty database)."""
    from alembic import command

    try:
        if table_exists(engine, "alembic_version") and current_revision(engine) == head_revision():
            return  # nothing to do, and no write lock to take (a read-only file stays usable)
        with engine.begin() as connection:
            serialize_migrations(connection)  # two processes opening a fresh database must not race
            cfg = _alembic_config(engine)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except DBAPIError as exc:
        raise _failed_to_answer(exc, engine) from exc


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def open_database(url: str | None = None, *, migrate: bool = True) -> Engine:
    """Engine for ``url`` with the schema migrated to head."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return engine


def open_existing(url: str | None = None) -> Engine:
    """Engine for a joinfeedback database that exists already, for commands that only read.

    Creates nothing and changes nothing: a missing SQLite file, a database of another application and a
    schema of another joinfeedback version are each a ``StorageError`` that names the database.
    """
    engine = make_engine(url, read_only=True)
    if engine.dialect.name == "sqlite" and engine.url.database:
        path = Path(engine.url.database).expanduser()
        if not path.exists():
            raise StorageError(f"database file {path} does not exist (check --db; nothing was created)")
        if not path.is_file():
            raise StorageError(f"database {path} is not a regular file")
    try:
        found = current_revision(engine) if table_exists(engine, "alembic_version") else None
    except DBAPIError as exc:
        raise _failed_to_answer(exc, engine) from exc
    head = head_revision()
    if found is None:
        raise StorageError(
            f"database {describe(engine)} is not a joinfeedback database (no schema version): "
            "check --db; nothing was changed"
        )
    if found != head:
        raise StorageError(
            f"database {describe(engine)} has schema version {found!r}, this joinfeedback expects {head!r}: "
            "run a command that writes (crawl, import or analyze) with the matching joinfeedback "
            "to migrate it"
        )
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed at the end, or rolled back whole on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session


def table_exists(engine: Engine, name: str) -> bool:
    return inspect(engine).has_table(name)


UPSERT_CHUNK = 5000  # rows per executemany call


def upsert(
    session: Session,
    model: type[Base],
    rows: Sequence[Mapping[str, object]],
    *,
    keys: Iterable[str],
    update: Iterable[str] | None = None,
) -> None:
    """Insert ``rows``; on a natural-key conflict update the ``update`` columns (or do nothing).

    executemany statements, far faster than ORM adds (docs/benchmarks.md). On SQLite the rows go to the
    driver as value tuples, each value bound as its column type binds it: SQLAlchemy's per-row parameter
    handling cost more than SQLite's writing (docs/benchmarks.md).
    """
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    table = model.__table__
    assert isinstance(table, Table)  # every model maps one table
    connection = session.connection()
    dialect = connection.dialect
    statement: postgresql.Insert | sqlite.Insert = (
        postgresql.insert(table) if dialect.name == "postgresql" else sqlite.insert(table)
    )
    key_cols = list(keys)
    update_cols = list(update or [])
    if update_cols:
        statement = statement.on_conflict_do_update(
            index_elements=key_cols,
            set_={col: statement.excluded[col] for col in update_cols},
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=key_cols)
    # executemany needs one set of keys per statement: rows that omit optional columns go in their own
    # batch. Each batch goes in chunks, because the parameters of a call are built for all its rows at once:
    # for a million rows, that list alone outweighed the rows.
    batches: dict[tuple[str, ...], list[Mapping[str, object]]] = {}
    for row in rows:
        batches.setdefault(tuple(sorted(row)), []).append(row)
    for names, batch in batches.items():
        write = _driver_writer(connection, table, statement, names) if dialect.name == "sqlite" else None
        for start in range(0, len(batch), UPSERT_CHUNK):
            chunk = batch[start : start + UPSERT_CHUNK]
            if write is not None:
                write(chunk)
            else:
                session.execute(statement, chunk)


def _driver_writer(
    connection: Connection, table: Table, statement: Insert, names: Sequence[str]
) -> Callable[[Sequence[Mapping[str, object]]], None] | None:
    """A function writing rows (each naming exactly ``names``) through the driver's executemany, each value
    bound by its column type's processor; None when the Core statement must do it: a column left out has a
    Python-side default to fill in, or a name is no column."""
    if any(name not in table.c for name in names):
        return None
    if any(column.key not in names and column.default is not None for column in table.columns):
        return None
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(names))
    order = list(compiled.positiontup or ())
    if sorted(order) != sorted(names):  # parameters renamed (an escaped column name): let Core bind them
        return None
    binds = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order]

    def write(rows: Sequence[Mapping[str, object]]) -> None:
        columns = []
        for name, bind in zip(order, binds, strict=True):
            values = [row[name] for row in rows]
            columns.append(values if bind is None else list(map(_repeats_bound_once(bind), values)))
        connection.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))

    return write


def _repeats_bound_once(bind: Callable[[object], object]) -> Callable[[object], object]:
    """``bind`` that binds a value once while the same object comes again (a batch's rows share their
    "seen at" time): the rows are not changed while they are written."""
    last: list[object] = [object(), None]

    def bound(value: object) -> object:
        if value is not last[0]:
            last[0], last[1] = value, bind(value)
        return last[1]

    return bound


__all__ = [
    "DEFAULT_DB_URL",
    "StorageError",
    "current_revision",
    "database_problem",
    "describe",
    "head_revision",
    "make_engine",
    "open_database",
    "open_existing",
    "resolve_db_url",
    "session_factory",
    "table_exists",
    "transaction",
    "upgrade",
    "upsert",
]
