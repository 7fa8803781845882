"""One identity per item (kind, source, the source's id), on a database made by the previous release.

``tests/fixtures/previous_release/joinfeedback.db`` was made by the release before item keys
(``make.sh`` beside it says how and what it holds): a crawl, two imports whose ids collide with each
other and with a crawled comment, two complete analyses and one that release could not finish. On
PostgreSQL the same rows are loaded into a database created by that release's migrations (0001–0003,
unchanged since), then both are migrated by ``open_database`` as a user's would be.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, insert, select, text

from storage import analysis_store
from storage.db import open_database, session_factory
from storage.models import Base
from tests.conftest import run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "previous_release"
SITE = "127.0.0.1"


def _collided_uid() -> str:
    """The crawled comment whose msgUid the workshop file reused as an id."""
    with sqlite3.connect(FIXTURE / "joinfeedback.db") as conn:
        ids = {row[0] for row in conn.execute("SELECT item_id FROM imported_item WHERE dataset = 'workshop'")}
        uids = {row[0] for row in conn.execute("SELECT msg_uid FROM comment")}
    (uid,) = ids & uids
    return str(uid)


def _copy_rows(source: Engine, target: Engine) -> None:
    """Every row of the fixture into ``target`` (at the same schema revision), in foreign-key order."""
    old = MetaData()
    old.reflect(source)
    new = MetaData()
    new.reflect(target)
    with source.connect() as reading, target.begin() as writing:
        writing.execute(text("SET TIME ZONE 'UTC'"))  # SQLite holds UTC wall times
        for model_table in Base.metadata.sorted_tables:
            name = model_table.name
            if name not in old.tables:
                continue
            rows = [dict(row._mapping) for row in reading.execute(select(old.tables[name]))]
            if rows:
                writing.execute(insert(new.tables[name]), rows)
            if "id" in new.tables[name].c and name != "run_lock":
                sequence = f"pg_get_serial_sequence('{name}', 'id')"
                writing.execute(text(f"SELECT setval({sequence}, coalesce(max(id), 1)) FROM {name}"))
        versions: list[str] = list(reading.execute(text("SELECT version_num FROM alembic_version")).scalars())
        assert versions == ["0003"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def previous_release(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The previous release's database, not yet migrated."""
    copy = tmp_path / "joinfeedback.db"
    shutil.copy(FIXTURE / "joinfeedback.db", copy)
    if request.param == "sqlite":
        return f"sqlite:///{copy}"
    from alembic import command

    from storage.db import _alembic_config, make_engine

    url = str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    command.upgrade(_alembic_config(engine), "0003")
    source = create_engine(f"sqlite:///{copy}")
    _copy_rows(source, engine)
    source.dispose()
    engine.dispose()
    return url


def snapshot(url: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table as it is stored: its columns and its rows (sorted), read without the models."""
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name, table in meta.tables.items():
            columns = [c.name for c in table.columns]
            out[name] = (columns, sorted((tuple(row) for row in conn.execute(select(table))), key=repr))
    engine.dispose()
    return out


def _gained(
    before: tuple[list[str], list[tuple[Any, ...]]], after: tuple[list[str], list[tuple[Any, ...]]], name: str
) -> list[Any]:
    """The values of the column ``name`` a table gained, checking that nothing else in it changed."""
    columns, rows = after
    at = columns.index(name)
    assert columns[:at] + columns[at + 1 :] == before[0]
    assert sorted((row[:at] + row[at + 1 :] for row in rows), key=repr) == before[1]
    return [row[at] for row in rows]


def test_the_migration_loses_and_changes_nothing_stored(previous_release: str) -> None:
    before = snapshot(previous_release)
    open_database(previous_release).dispose()  # what every command does first: migrate to head
    after = snapshot(previous_release)
    assert after.pop("alembic_version")[1] == [("0005",)]
    before.pop("alembic_version")
    assignment, crawl_run = after.pop("assignment"), after.pop("crawl_run")
    old_assignment, old_crawl_run = before.pop("assignment"), before.pop("crawl_run")
    assert after == before  # every other table, row for row and value for value
    # the site's clock was not recorded then: those runs count days from their end, as they did
    assert _gained(old_crawl_run, crawl_run, "site_time") == [None] * len(old_crawl_run[1])
    sources = _gained(old_assignment, assignment, "item_source")
    kinds = [row[assignment[0].index("item_kind")] for row in assignment[1]]
    # every item named by where it came from: the import that existed when the run was made
    named = set(zip(kinds, sources, strict=True))
    assert named == {("comment", SITE), ("idea", SITE), ("import", "workshop")}


def _export(url: str, out: Path) -> list[dict[str, str]]:
    result = run_cli("export", "assignments", "--db", url, "--out", str(out))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_previous_release_s_run_exports_as_it_did(previous_release: str, tmp_path: Path) -> None:
    """The latest run (one consultation's comments) has the same rows as that release exported; only the
    item ids are now keys."""
    with (FIXTURE / "assignments-before.csv").open(encoding="utf-8", newline="") as handle:
        expected = list(csv.DictReader(handle))
    open_database(previous_release).dispose()  # export only reads: a writing command migrates first
    rows = _export(previous_release, tmp_path / "after.csv")
    assert all(row["item_id"].startswith(f"comment:{SITE}:") for row in rows)
    bare = [{**row, "item_id": row["item_id"].removeprefix(f"comment:{SITE}:")} for row in rows]
    assert bare == expected


@pytest.fixture
def analysed(previous_release: str) -> str:
    """The migrated database analysed again, colliding ids and all (the previous release failed here)."""
    result = run_cli("analyze", "--db", previous_release, "--embeddings", "off", "--seed", "0")
    assert result.returncode == 0, result.stderr
    return previous_release


def test_items_with_one_id_in_two_sources_stay_apart(analysed: str, tmp_path: Path) -> None:
    uid = _collided_uid()
    rows = _export(analysed, tmp_path / "a.csv")
    keys = [row["item_id"] for row in rows]
    assert len(keys) == len(set(keys))
    for key in ("import:workshop:w1", "import:survey:w1", f"comment:{SITE}:{uid}", f"import:workshop:{uid}"):
        assert key in keys, key
    texts = {row["item_id"]: row["text"] for row in rows}
    assert texts["import:workshop:w1"] != texts["import:survey:w1"]


def test_examples_and_labels_name_items_by_key(analysed: str, tmp_path: Path) -> None:
    ambiguous = tmp_path / "ambiguous.csv"
    ambiguous.write_text("item_id,commitment_id\nw3,none\nw1,none\n", encoding="utf-8")
    result = run_cli("analyze", "--db", analysed, "--embeddings", "off", "--examples", str(ambiguous))
    assert result.returncode == 2, result.stderr
    assert "line 3, column item_id: item id 'w1' names 2 items" in result.stderr
    assert "import:survey:w1, import:workshop:w1" in result.stderr
    keyed = tmp_path / "keyed.csv"
    keyed.write_text("item_id,commitment_id\nimport:survey:w1,none\nw3,none\n", encoding="utf-8")
    result = run_cli("analyze", "--db", analysed, "--embeddings", "off", "--examples", str(keyed))
    assert result.returncode == 0, result.stderr
    engine = open_database(analysed)
    with session_factory(engine)() as session:
        run = analysis_store.latest_complete_run(session)
        assert run is not None
        examples: Any = run.manifest["examples"]  # a JSON document
    engine.dispose()
    assert examples["placed"] == {"import:survey:w1": "none", "import:workshop:w3": "none"}

    labels = tmp_path / "labels.csv"
    labels.write_text("item_id,gold\nw1,none\n", encoding="utf-8")
    result = run_cli("evaluate", "--db", analysed, "--labels", str(labels))
    assert result.returncode == 2, result.stderr
    assert "line 2, column item_id: item id 'w1' names 2 items" in result.stderr
    labels.write_text("item_id,gold\nimport:survey:w1,none\nw3,1.1\n", encoding="utf-8")
    result = run_cli("evaluate", "--db", analysed, "--labels", str(labels))
    assert result.returncode == 0, result.stderr
    assert ": 2 labelled items" in result.stdout


def test_a_gold_label_outside_the_catalogue_is_refused(analysed: str, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("item_id,gold\nw3,1.1\nw2,9.9\n", encoding="utf-8")
    result = run_cli("evaluate", "--db", analysed, "--labels", str(labels))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "line 3, column gold: '9.9' is not in the catalogue" in result.stderr
    assert result.stdout == ""


def test_suggested_examples_come_back_by_key(analysed: str, tmp_path: Path) -> None:
    out = tmp_path / "examples.csv"
    assert run_cli("suggest-examples", "--db", analysed, "--n", "4", "--out", str(out)).returncode == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert all(row["item_id"].split(":")[0] in {"comment", "idea", "import"} for row in rows)
    filled = tmp_path / "filled.csv"
    with filled.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "commitment_id"])
        writer.writerows([row["item_id"], "none"] for row in rows)
    result = run_cli("analyze", "--db", analysed, "--embeddings", "off", "--examples", str(filled))
    assert result.returncode == 0, result.stderr
