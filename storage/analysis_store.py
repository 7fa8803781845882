"""Writing and reading analysis runs: the only SQL of the analysis stage.

A run is created ``running`` in its own transaction; its results and the switch to ``complete`` are
written together in one later transaction, so a half-written run is never ``complete``. Readers only
look at complete runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice
from operator import itemgetter

from sqlalchemy import JSON, Column, Connection, Dialect, Engine, Table, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from storage.db import transaction, upsert
from storage.models import AnalysisRun, Assignment, Base, Campaign, Cluster, Commitment, utcnow

_BATCH = 5000


def upsert_commitments(session: Session, catalogue: str, rows: Sequence[Mapping[str, object]]) -> None:
    """Rows with ``code, title, description, keywords, position``; keyed by (catalogue, code)."""
    upsert(
        session,
        Commitment,
        [{**row, "catalogue": catalogue} for row in rows],
        keys=["catalogue", "code"],
        update=["title", "description", "keywords", "position"],
    )


def commitments_for_catalogue(session: Session, catalogue: str) -> list[Commitment]:
    return list(
        session.scalars(
            select(Commitment)
            .where(Commitment.catalogue == catalogue)
            .order_by(Commitment.position, Commitment.code)
        )
    )


def start_run(
    engine: Engine, *, catalogue: str, seed: int, manifest: Mapping[str, object] | None = None
) -> int:
    """Record a new run as ``running`` (committed at once, so a crash leaves a visible non-complete run)."""
    with transaction(engine) as session:
        run = AnalysisRun(status="running", catalogue=catalogue, seed=seed, manifest=dict(manifest or {}))
        session.add(run)
        session.flush()
        return int(run.id)


def _insert_batched(
    session: Session, model: type[Base], rows: Iterable[Mapping[str, object]], run_id: int
) -> int:
    """Insert ``rows`` into ``model``'s table, each with ``run_id``; return how many were written.

    With ``session.execute(insert(table), batch)``, SQLAlchemy's per-row parameter handling (plus a dict
    copy per row to add ``run_id``) cost more than the inserting itself (figures: docs/benchmarks.md).
    So the rows go to the driver directly, column by column: each value bound exactly as
    its column type binds it (the type's own processor: JSON serialised, times made UTC), written by
    SQLite's ``executemany`` or PostgreSQL's ``COPY`` in the session's transaction. Rows that leave a
    column to its Python default, or name a column the table lacks, and other drivers take the plain
    Core insert, which handles those itself.
    """
    table = model.__table__
    assert isinstance(table, Table)  # every model maps one table
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    remaining = chain([first], iterator)
    keys = [key for key in first if key != "run_id"] + ["run_id"]  # run_id wins, as in {**row, "run_id": …}
    connection = session.connection()
    driver = _driver_writer(connection, table, keys) if _fast_path_applies(table, keys) else None
    if driver is None:
        return _insert_core(session, table, remaining, run_id)
    names, write = driver
    columns = [_column_values(table.c[name], connection.dialect) for name in names if name != "run_id"]
    at = names.index("run_id")
    count = 0
    for batch in _batches(remaining):
        values = [column(batch) for column in columns]
        values.insert(at, [run_id] * len(batch))
        write(list(zip(*values, strict=True)))
        count += len(batch)
    return count


def _fast_path_applies(table: Table, keys: Sequence[str]) -> bool:
    """Every key is a column, and no column left out has a Python-side default to fill in."""
    if any(key not in table.c for key in keys):
        return False  # the Core insert raises its usual error
    return all(column.key in keys or column.default is None for column in table.columns)


def _column_values(
    column: Column[object], dialect: Dialect
) -> Callable[[Sequence[Mapping[str, object]]], list[object]]:
    """A function giving one column's values for a batch of rows, bound as the column type binds them."""
    get = itemgetter(column.key)
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return lambda batch: list(map(get, batch))
    bound = _once_per_object(process) if isinstance(column.type, JSON) else process
    return lambda batch: list(map(bound, map(get, batch)))


def _once_per_object(process: Callable[[object], object]) -> Callable[[object], object]:
    """``process`` applied once per distinct object.

    The analysis gives items with equal texts one shared candidates list, so a form letter's copies
    serialise their JSON once. ``keep`` holds every object seen, so that no other object can take its
    id while the cache lives: one insert, over rows that are not changed while they are written.
    """
    seen: dict[int, object] = {}
    keep: list[object] = []

    def once(value: object) -> object:
        bound = seen.get(id(value), keep)
        if bound is keep:
            keep.append(value)
            bound = seen[id(value)] = process(value)
        return bound

    return once


def _driver_writer(
    connection: Connection, table: Table, keys: Sequence[str]
) -> tuple[list[str], Callable[[list[tuple[object, ...]]], None]] | None:
    """The column order and a function writing value tuples in it through the driver; None: use Core."""
    dialect = connection.dialect
    if dialect.name == "sqlite":
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        sql = compiled.string

        def executemany(rows: list[tuple[object, ...]]) -> None:
            connection.exec_driver_sql(sql, rows)

        names = list(compiled.positiontup or ())
        return (names, executemany) if sorted(names) == sorted(keys) else None  # else: escaped names
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        preparer = dialect.identifier_preparer
        columns = ", ".join(preparer.format_column(table.c[key]) for key in keys)
        copy_sql = f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN"

        def copy(rows: list[tuple[object, ...]]) -> None:
            cursor = connection.connection.cursor()
            try:
                with cursor.copy(copy_sql) as stream:
                    for row in rows:
                        stream.write_row(row)
            except dialect.loaded_dbapi.Error as error:  # as SQLAlchemy would raise it: IntegrityError…
                raise DBAPIError.instance(copy_sql, None, error, dialect.loaded_dbapi.Error) from error
            finally:
                cursor.close()

        return list(keys), copy
    return None


def _batches(rows: Iterable[Mapping[str, object]]) -> Iterator[list[Mapping[str, object]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


def _insert_core(session: Session, table: Table, rows: Iterable[Mapping[str, object]], run_id: int) -> int:
    """The plain SQLAlchemy insert, batched; it applies the columns' Python defaults."""
    count = 0
    for batch in _batches(rows):
        session.execute(insert(table), [{**row, "run_id": run_id} for row in batch])
        count += len(batch)
    return count


def complete_run(
    engine: Engine,
    run_id: int,
    *,
    assignments: Iterable[Mapping[str, object]],
    clusters: Iterable[Mapping[str, object]],
    campaigns: Iterable[Mapping[str, object]],
    manifest: Mapping[str, object],
    data_hash: str,
    n_items: int,
) -> None:
    """Write every result row and mark the run ``complete``, all in one transaction (all or nothing)."""
    with transaction(engine) as session:
        _insert_batched(session, Cluster, clusters, run_id)
        _insert_batched(session, Campaign, campaigns, run_id)
        written = _insert_batched(session, Assignment, assignments, run_id)
        if written != n_items:
            raise RuntimeError(f"analysis run {run_id}: {written} assignments for {n_items} items")
        session.execute(
            update(AnalysisRun)
            .where(AnalysisRun.id == run_id)
            .values(
                status="complete",
                finished_at=utcnow(),
                manifest=dict(manifest),
                data_hash=data_hash,
                n_items=n_items,
            )
        )


def fail_run(engine: Engine, run_id: int, message: str) -> None:
    """Mark a run ``failed`` (its partial results were rolled back with their transaction)."""
    with transaction(engine) as session:
        run = session.get(AnalysisRun, run_id)
        if run is not None and run.status != "complete":
            run.status = "failed"
            run.finished_at = utcnow()
            run.manifest = {**(run.manifest or {}), "error": message[:2000]}


def latest_complete_run(session: Session) -> AnalysisRun | None:
    return session.scalars(
        select(AnalysisRun).where(AnalysisRun.status == "complete").order_by(AnalysisRun.id.desc()).limit(1)
    ).first()


def previous_complete_run(session: Session, run_id: int) -> AnalysisRun | None:
    """The complete run before ``run_id`` (for "what changed since last time")."""
    return session.scalars(
        select(AnalysisRun)
        .where(AnalysisRun.status == "complete", AnalysisRun.id < run_id)
        .order_by(AnalysisRun.id.desc())
        .limit(1)
    ).first()


def assignments_for_run(session: Session, run_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.run_id == run_id)
            .order_by(Assignment.item_kind, Assignment.item_source, Assignment.item_id)
        )
    )


def clusters_for_run(session: Session, run_id: int) -> list[Cluster]:
    return list(
        session.scalars(
            select(Cluster).where(Cluster.run_id == run_id).order_by(Cluster.scope, Cluster.cluster_key)
        )
    )


def campaigns_for_run(session: Session, run_id: int) -> list[Campaign]:
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.run_id == run_id)
            .order_by(Campaign.size.desc(), Campaign.campaign_key)
        )
    )


__all__ = [
    "assignments_for_run",
    "campaigns_for_run",
    "clusters_for_run",
    "commitments_for_catalogue",
    "complete_run",
    "fail_run",
    "latest_complete_run",
    "previous_complete_run",
    "start_run",
    "upsert_commitments",
]
