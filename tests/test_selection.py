"""One rule for selections (``--policy``, ``--since``, ``--until``, ``--source``) across the commands.

A consultation id that is not a uuid is bad input (exit 2); a well-formed selection that holds nothing
says so in one line, exits 1 and stores or writes nothing; an upper-case uuid is the same consultation.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from joinfeedback.cli import build_parser
from storage import analysis_store
from storage.db import open_database, transaction, upsert
from storage.models import AnalysisRun, Comment, Policy
from storage.scope import ItemScope, NothingSelected, policy_ids
from tests.conftest import dump_database, run_cli
from tests.report_fixtures import POLICY_UUID, populate

UNKNOWN_UUID = "0f0f0f0f-1111-4222-8333-444455556666"


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Comments of one consultation, proposals and imported items, and two complete runs."""
    folder = tmp_path_factory.mktemp("selection")
    engine = open_database(f"sqlite:///{folder / 'jf.db'}")
    populate(engine, n_comments=120)
    engine.dispose()
    return folder / "jf.db"


@pytest.fixture
def database(populated: Path, tmp_path: Path) -> str:
    copy = tmp_path / "jf.db"
    shutil.copy(populated, copy)
    return f"sqlite:///{copy}"


def one_line(result: subprocess.CompletedProcess[str], exit_code: int, *fragments: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == exit_code, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_policy_ids_are_checked_and_given_one_form() -> None:
    upper = POLICY_UUID.upper()
    assert policy_ids([upper, POLICY_UUID]) == (POLICY_UUID,)
    assert ItemScope((upper,)).admits("comment", POLICY_UUID, None)
    assert ItemScope((POLICY_UUID,)).admits("comment", upper, None)
    for bad in ("nope", POLICY_UUID[:-1], "{" + POLICY_UUID + "}", POLICY_UUID.replace("-", "")):
        with pytest.raises(Exception, match="not a consultation id") as caught:
            policy_ids([bad])
        assert getattr(caught.value, "exit_code", None) == 2
    refusal = ItemScope((UNKNOWN_UUID,)).nothing("items", "nothing done")
    assert isinstance(refusal, NothingSelected)
    assert refusal.exit_code == 1
    assert str(refusal) == f"--policy {UNKNOWN_UUID} selects no items: nothing done"


@pytest.mark.parametrize(
    ("args", "exit_code", "fragment"),
    [
        (("--policy", "nope"), 2, "--policy 'nope': not a consultation id"),
        (("--policy", UNKNOWN_UUID), 1, f"--policy {UNKNOWN_UUID} selects no items"),
        (("--since", "2031-01-01"), 1, "--since 2031-01-01 selects no items"),
        (("--policy", POLICY_UUID, "--source", "imported"), 1, "selects no items"),
    ],
    ids=["malformed id", "unknown id", "empty period", "consultation and imported files"],
)
def test_analyze_refuses_an_empty_or_malformed_selection_and_stores_nothing(
    database: str, args: tuple[str, ...], exit_code: int, fragment: str
) -> None:
    before = dump_database(database)
    result = run_cli("analyze", "--db", database, "--embeddings", "off", *args)
    one_line(result, exit_code, fragment)
    assert dump_database(database) == before  # no run, no catalogue, nothing


def test_analyze_refuses_a_source_with_no_items(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crawled-only.db'}"
    engine = open_database(url)
    with transaction(engine) as session:
        upsert(
            session, Policy, [{"site": "127.0.0.1", "uuid": POLICY_UUID, "title": "t"}], keys=["site", "uuid"]
        )
        upsert(
            session,
            Comment,
            [{"site": "127.0.0.1", "msg_uid": "1", "policy_uuid": POLICY_UUID, "text": "開放資料"}],
            keys=["site", "msg_uid"],
        )
    engine.dispose()
    before = dump_database(url)
    result = run_cli("analyze", "--db", url, "--embeddings", "off", "--source", "imported")
    one_line(result, 1, "--source imported selects no items", "no run stored")
    assert dump_database(url) == before


@pytest.mark.parametrize(
    ("what", "args", "exit_code", "fragment"),
    [
        ("comments", ("--policy", UNKNOWN_UUID), 1, f"--policy {UNKNOWN_UUID} selects no comments"),
        ("comments", ("--policy", "x" * 36), 2, "not a consultation id"),
        ("proposals", ("--policy", POLICY_UUID), 1, "selects no proposals"),
        ("responses", ("--until", "2000-01-01"), 1, "selects no responses"),
        ("assignments", ("--since", "2031-01-01"), 1, "selects no item of analysis run"),
    ],
)
def test_export_refuses_an_empty_selection_and_writes_no_file(
    database: str, tmp_path: Path, what: str, args: tuple[str, ...], exit_code: int, fragment: str
) -> None:
    out = tmp_path / "out.csv"
    one_line(run_cli("export", what, "--db", database, "--out", str(out), *args), exit_code, fragment)
    assert not out.exists()


def test_an_upper_case_uuid_selects_the_consultation(database: str, tmp_path: Path) -> None:
    lower, upper = tmp_path / "lower.csv", tmp_path / "upper.csv"
    for out, uuid in ((lower, POLICY_UUID), (upper, POLICY_UUID.upper())):
        result = run_cli("export", "comments", "--db", database, "--out", str(out), "--policy", uuid)
        assert result.returncode == 0, result.stderr
    assert upper.read_bytes() == lower.read_bytes()
    assert len(lower.read_text(encoding="utf-8").splitlines()) > 100
    report = run_cli(
        "report", "--db", database, "--out", str(tmp_path / "r"), "--no-pdf", "--policy", POLICY_UUID.upper()
    )
    assert report.returncode == 0, report.stderr


def test_report_of_an_unknown_consultation_says_so(database: str, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = run_cli("report", "--db", database, "--out", str(out), "--no-pdf", "--policy", UNKNOWN_UUID)
    one_line(result, 1, f"--policy {UNKNOWN_UUID} selects no item of analysis run", "no report written")
    assert not out.exists()


def test_suggest_examples_from_a_run_of_nothing_writes_nothing(tmp_path: Path) -> None:
    """A run of 0 items (as the previous release stored for an empty selection)."""
    url = f"sqlite:///{tmp_path / 'empty-run.db'}"
    engine = open_database(url)
    run_id = analysis_store.start_run(engine, catalogue="ogp2020", seed=0)
    analysis_store.complete_run(
        engine, run_id, assignments=[], clusters=[], campaigns=[], manifest={}, data_hash="", n_items=0
    )
    engine.dispose()
    out = tmp_path / "examples.csv"
    result = run_cli("suggest-examples", "--db", url, "--out", str(out))
    one_line(result, 1, f"analysis run #{run_id} holds no item to suggest")
    assert not out.exists()


def test_suggest_examples_never_replaces_an_existing_file(database: str, tmp_path: Path) -> None:
    out = tmp_path / "examples.csv"
    out.write_text("item_id,commitment_id\nc000001,1.1\n", encoding="utf-8")
    before = out.read_bytes()
    one_line(run_cli("suggest-examples", "--db", database, "--out", str(out)), 2, "already exists")
    assert out.read_bytes() == before
    fresh = tmp_path / "fresh.csv"
    assert run_cli("suggest-examples", "--db", database, "--out", str(fresh)).returncode == 0
    assert fresh.read_text(encoding="utf-8").startswith("item_id,")


def test_an_empty_selection_in_process_is_refused_before_a_run_starts(tmp_path: Path) -> None:
    from analysis.run import run_analysis

    url = f"sqlite:///{tmp_path / 'none.db'}"
    engine = open_database(url)
    with pytest.raises(NothingSelected, match="the database holds no items to analyse"):
        run_analysis(engine, embeddings="off")
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(AnalysisRun)) == 0  # not even a failed one
    engine.dispose()


@pytest.mark.parametrize(
    "command",
    [
        ("analyze",),
        ("report",),
        ("export", "comments", "--out", "x.csv"),
        ("suggest-examples", "--out", "x.csv"),
        ("crawl",),
    ],
)
def test_policy_given_twice_selects_both(command: tuple[str, ...]) -> None:
    """``--policy A --policy B`` is the same selection as ``--policy A B``, not B alone."""
    parser = build_parser()
    twice = parser.parse_args([*command, "--policy", POLICY_UUID, "--policy", UNKNOWN_UUID])
    once = parser.parse_args([*command, "--policy", POLICY_UUID, UNKNOWN_UUID])
    assert twice.policy == once.policy == [POLICY_UUID, UNKNOWN_UUID]
