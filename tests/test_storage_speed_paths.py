"""The fast storage paths of the analysis stage give exactly what the plain ORM and Core paths gave.

``load_items`` selects columns instead of ORM objects and ``complete_run`` hands value tuples to the
driver (``executemany`` on SQLite, ``COPY`` on PostgreSQL). Each test compares against the simple
way, written out here, on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, Table, Text, cast, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from base.taiwan import TAIPEI
from storage import analysis_store
from storage.corpus import TextItem, load_items
from storage.db import open_database, session_factory, transaction, upsert
from storage.models import AnalysisRun, Assignment, Campaign, Cluster, Comment, Idea, ImportedItem

AWKWARD = "tab\there, new\nline, back\\slash, \\N, 'quote\" 中文 \u2028 end"


def reference_items(session: Session, *, include_deleted: bool = False) -> list[TextItem]:
    """``load_items`` as it was, through ORM objects: the behaviour the fast version must keep."""
    items: list[TextItem] = []
    comments = select(Comment).order_by(Comment.site, Comment.msg_uid)
    if not include_deleted:
        comments = comments.where(Comment.is_deleted.is_(False))
    for c in session.scalars(comments):
        if c.text.strip():
            items.append(
                TextItem("comment", c.msg_uid, c.text, c.url, c.created_at, c.author, c.policy_uuid, c.site)
            )
    for i in session.scalars(select(Idea).order_by(Idea.site, Idea.uuid)):
        text = "\n".join(part for part in (i.title, i.outline) if part)
        if text.strip():
            items.append(TextItem("idea", i.uuid, text, i.url, i.published_at, i.proposer, source=i.site))
    for m in session.scalars(select(ImportedItem).order_by(ImportedItem.dataset, ImportedItem.item_id)):
        items.append(
            TextItem("import", m.item_id, m.text, m.url, m.created_at, m.author, m.dataset, m.dataset)
        )
    return items


def fill_corpus(engine: Engine) -> None:
    start = datetime(2020, 2, 21, 9, 30, tzinfo=TAIPEI)
    comments = [
        {
            "site": site,
            "msg_uid": f"{n:03d}",
            "policy_uuid": f"p{n % 3}",
            "author": f"user{n}",
            "text": ["支持", "   ", "", AWKWARD, "使用者已自行刪除留言"][n % 5],
            "created_at": None if n % 4 == 0 else start + timedelta(minutes=n),
            "is_deleted": n % 5 == 4,
            "url": f"https://{site}/c/{n}",
        }
        for site in ("join.gov.tw", "cy.join.gov.tw")
        for n in range(20)
    ]
    ideas: list[dict[str, Any]] = [
        {"site": "join.gov.tw", "uuid": "i2", "title": "標題", "outline": "", "proposer": "甲"},
        {"site": "join.gov.tw", "uuid": "i1", "title": "", "outline": "大綱", "published_at": start},
        {"site": "join.gov.tw", "uuid": "i3", "title": " ", "outline": ""},
        {"site": "cy.join.gov.tw", "uuid": "i0", "title": "公投", "outline": "連署", "url": "u"},
    ]
    imported = [
        {"dataset": dataset, "item_id": f"m{n}", "text": f"匯入 {n}", "author": "乙", "created_at": start}
        for dataset in ("b", "a")
        for n in (3, 1, 2)
    ] + [{"dataset": "a", "item_id": "m0", "text": "  "}]
    with transaction(engine) as session:
        upsert(session, Comment, comments, keys=["site", "msg_uid"])
        for idea in ideas:  # different optional columns: one statement each
            upsert(session, Idea, [idea], keys=["site", "uuid"])
        upsert(session, ImportedItem, imported, keys=["dataset", "item_id"])


@pytest.mark.parametrize("include_deleted", [False, True])
def test_load_items_gives_what_the_orm_version_gave(db_url: str, include_deleted: bool) -> None:
    engine = open_database(db_url)
    fill_corpus(engine)
    with session_factory(engine)() as session:
        expected = reference_items(session, include_deleted=include_deleted)
    with session_factory(engine)() as session:
        items = load_items(session, include_deleted=include_deleted)
    assert items == expected
    assert [i.kind for i in items].count("idea") == 3
    stamps = [i.created_at for i in items if i.created_at is not None]
    assert stamps, "the corpus has timestamps to check"
    assert all(t.utcoffset() == timedelta(0) for t in stamps), "times come back tz-aware, in UTC"
    assert datetime(2020, 2, 21, 1, 30, tzinfo=UTC) in stamps
    engine.dispose()


def result_rows(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows like the analysis gives, with shared candidate lists, NULLs and awkward text."""
    shared = [["C1", 0.5], ["C2", 0.1 + 0.2]]
    assignments = [
        {
            "item_kind": "import" if i % 7 else "comment",
            "item_source": "workshop" if i % 7 else "join.gov.tw",
            "item_id": f"x{i:05d}",
            "status": ("assigned", "none", "uncertain")[i % 3],
            "commitment_code": None if i % 3 == 1 else "C1",
            "confidence": i / (n + 1),
            "candidates": shared if i % 2 else [[f"C{i % 9}", i / 3], ["中", 1e-7]],
            "cluster_key": None if i % 5 == 0 else f"t{i % 4}",
            "duplicate_of": f"x{i - 1:05d}" if i % 11 == 0 and i else None,
            "campaign_key": "c-1" if i % 13 == 0 else None,
        }
        for i in range(n)
    ]
    clusters = [
        {
            "cluster_key": f"t{k}",
            "scope": "none" if k == 0 else "C1",
            "label": AWKWARD if k == 1 else f"主題 {k}",
            "terms": [["開放", 0.25], ["資料", 0.125]],
            "size": 10 + k,
            "representative_ids": ["x00001", "x00002"],
            "is_minority": k == 2,
            "centroid": [],
        }
        for k in range(4)
    ]
    first = datetime(2020, 2, 21, 9, tzinfo=TAIPEI)
    campaigns = [
        {
            "campaign_key": "c-1",
            "size": 3,
            "exemplar_item_id": "x00000",
            "exemplar_text": AWKWARD,
            "first_at": first,
            "last_at": first + timedelta(hours=30),
            "is_burst": True,
            "commitment_code": None,
        },
        {
            "campaign_key": "c-2",
            "size": 2,
            "exemplar_item_id": "x00013",
            "exemplar_text": "",
            "first_at": None,
            "last_at": None,
            "is_burst": False,
            "commitment_code": "C2",
        },
    ]
    return assignments, clusters, campaigns


def stored_rows(engine: Engine, run_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every column but ``id`` and ``run_id``, JSON also as its stored text, in a stable order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with session_factory(engine)() as session:
        for model, json_columns in (
            (Assignment, ["candidates"]),
            (Cluster, ["terms", "representative_ids", "centroid"]),
            (Campaign, []),
        ):
            table = model.__table__
            assert isinstance(table, Table)
            columns = [c for c in table.columns if c.name not in {"id", "run_id"}]
            texts = [cast(table.c[name], Text) for name in json_columns]
            query = select(*columns, *texts).where(table.c.run_id == run_id).order_by(*columns[:3])
            out[table.name] = [tuple(row) for row in session.execute(query)]
    return out


def core_insert_run(engine: Engine, assignments: Any, clusters: Any, campaigns: Any) -> int:
    """The rows written the plain way: ``insert(table)`` executemany with ``run_id`` merged in."""
    run_id = analysis_store.start_run(engine, catalogue="t", seed=0)
    with transaction(engine) as session:
        for model, rows in ((Cluster, clusters), (Campaign, campaigns), (Assignment, assignments)):
            table = model.__table__
            assert isinstance(table, Table)
            session.execute(insert(table), [{**row, "run_id": run_id} for row in rows])
    return run_id


def test_complete_run_stores_what_the_core_insert_stored(db_url: str) -> None:
    engine = open_database(db_url)
    n = analysis_store._BATCH + 321  # more than one batch
    assignments, clusters, campaigns = result_rows(n)
    expected = stored_rows(engine, core_insert_run(engine, assignments, clusters, campaigns))
    run_id = analysis_store.start_run(engine, catalogue="t", seed=0)
    analysis_store.complete_run(
        engine,
        run_id,
        assignments=iter(assignments),
        clusters=clusters,
        campaigns=campaigns,
        manifest={"m": 1},
        data_hash="h",
        n_items=n,
    )
    got = stored_rows(engine, run_id)
    assert len(got["assignment"]) == n
    assert got == expected
    campaign = got["campaign"][0]
    assert campaign[4] == datetime(2020, 2, 21, 1, tzinfo=UTC), "first_at stored as the same instant"
    assert campaign[3] == AWKWARD
    with session_factory(engine)() as session:
        run = session.get(AnalysisRun, run_id)
        assert run is not None
        assert (run.status, run.n_items, run.data_hash, run.manifest) == ("complete", n, "h", {"m": 1})
    engine.dispose()


def fresh_candidates(n: int) -> Iterator[dict[str, Any]]:
    """Rows made one at a time and dropped after use: list ids get reused by later lists.

    Each also names a run of its own, which the run being written overrides (no such run exists)."""
    for i in range(n):
        yield {
            "run_id": 999_999,
            "item_kind": "import",
            "item_id": f"g{i:05d}",
            "status": "assigned",
            "commitment_code": "C1",
            "confidence": 0.5,
            "candidates": [[f"C{i}", i]],
            "cluster_key": None,
            "duplicate_of": None,
            "campaign_key": None,
        }


def test_generated_rows_keep_their_own_json(db_url: str) -> None:
    engine = open_database(db_url)
    n = 4 * analysis_store._BATCH + 7
    run_id = analysis_store.start_run(engine, catalogue="t", seed=0)
    analysis_store.complete_run(
        engine,
        run_id,
        assignments=fresh_candidates(n),
        clusters=[],
        campaigns=[],
        manifest={},
        data_hash="h",
        n_items=n,
    )
    with session_factory(engine)() as session:
        got = {a.item_id: a.candidates for a in analysis_store.assignments_for_run(session, run_id)}
    assert got == {row["item_id"]: row["candidates"] for row in fresh_candidates(n)}
    with session_factory(engine)() as session:
        assert session.scalars(select(Assignment.run_id).distinct()).all() == [run_id]
    engine.dispose()


def test_rows_leaving_out_defaulted_columns_get_the_defaults(db_url: str) -> None:
    engine = open_database(db_url)
    run_id = analysis_store.start_run(engine, catalogue="t", seed=0)
    # No confidence, candidates…: their Python defaults apply; the row's own run_id is overridden.
    rows = [
        {"item_kind": "import", "item_id": f"d{i}", "status": "none", "run_id": 999_999} for i in range(3)
    ]
    analysis_store.complete_run(
        engine,
        run_id,
        assignments=rows,
        clusters=[],
        campaigns=[],
        manifest={},
        data_hash="h",
        n_items=3,
    )
    with session_factory(engine)() as session:
        stored = analysis_store.assignments_for_run(session, run_id)
    assert [(a.item_id, a.confidence, a.candidates, a.commitment_code) for a in stored] == [
        ("d0", 0.0, [], None),
        ("d1", 0.0, [], None),
        ("d2", 0.0, [], None),
    ]
    engine.dispose()


def test_a_failure_in_a_later_batch_leaves_nothing_of_the_run(db_url: str) -> None:
    engine = open_database(db_url)
    assignments, clusters, campaigns = result_rows(analysis_store._BATCH + 10)
    assignments.append(dict(assignments[-1]))  # the same item twice: the unique key fails, in batch two
    run_id = analysis_store.start_run(engine, catalogue="t", seed=0)
    with pytest.raises(IntegrityError):
        analysis_store.complete_run(
            engine,
            run_id,
            assignments=assignments,
            clusters=clusters,
            campaigns=campaigns,
            manifest={},
            data_hash="h",
            n_items=len(assignments),
        )
    assert stored_rows(engine, run_id) == {"assignment": [], "cluster": [], "campaign": []}
    with session_factory(engine)() as session:
        run = session.get(AnalysisRun, run_id)
        assert run is not None
        assert run.status == "running"
    engine.dispose()
