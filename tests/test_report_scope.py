"""One consultation at a time (--policy, --since, --until, --source) and the corpus exports."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from reports.exports import export_corpus
from reports.site import build_report
from storage.db import open_database
from storage.scope import ItemScope, NothingSelected
from tests.conftest import run_cli
from tests.report_fixtures import POLICY_UUID, FixtureSummary, populate

TAIPEI = timezone(timedelta(hours=8))
UNKNOWN = "0f0f0f0f-1111-4222-8333-444455556666"


def test_scope_admits_by_consultation_period_and_source() -> None:
    at = datetime(2020, 2, 21, 23, 30, tzinfo=TAIPEI)
    assert ItemScope().admits("import", None, None)
    one = ItemScope(("p1",))
    assert one.admits("comment", "p1", at)
    assert not one.admits("comment", "p2", at)
    assert not one.admits("idea", None, at)
    assert not one.admits("import", "p1", at)
    day = ItemScope(since=date(2020, 2, 21), until=date(2020, 2, 21))
    assert day.admits("comment", "p1", at)
    assert day.admits("comment", "p1", at.astimezone(UTC))  # 15:30 UTC is still the 21st in Taipei
    assert not day.admits("comment", "p1", at + timedelta(hours=1))
    assert not day.admits("comment", "p1", None)
    assert not ItemScope(source="imported").admits("comment", "p1", at)
    assert not ItemScope(source="crawled").admits("import", None, at)
    with pytest.raises(ValueError, match="source"):
        ItemScope(source="other")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, FixtureSummary, Path]:
    folder = tmp_path_factory.mktemp("scope")
    url = f"sqlite:///{folder / 'jf.db'}"
    engine = open_database(url)
    summary = populate(engine)
    engine.dispose()
    return url, summary, folder


def test_report_for_one_consultation(database: tuple[str, FixtureSummary, Path]) -> None:
    url, _, folder = database
    engine = open_database(url)
    build_report(engine, folder / "one", quiet=True, pdf=False, scope=ItemScope((POLICY_UUID,)))
    build_report(engine, folder / "all", quiet=True, pdf=False)
    engine.dispose()
    one, everything = folder / "one", folder / "all"
    index = (one / "index.html").read_text(encoding="utf-8")
    assert "data-scope" in index
    assert f"consultations/p-{POLICY_UUID}.html" in index
    page = (one / "consultations" / f"p-{POLICY_UUID}.html").read_text(encoding="utf-8")
    assert "開放政府國家行動方案" in page
    assert "commitments/c-" in page
    listing = json.loads((one / "data" / "consultations.json").read_text(encoding="utf-8"))["rows"]
    assert [r["uuid"] for r in listing] == [POLICY_UUID]
    for brief in (one / "commitments").glob("*.html"):  # proposals belong to no consultation
        assert 'data-kind="idea"' not in brief.read_text(encoding="utf-8")
    assert "data-scope" not in (everything / "index.html").read_text(encoding="utf-8")
    marker = json.loads((one / "data" / "report.json").read_text(encoding="utf-8"))
    assert marker["scope"] == {"policies": [POLICY_UUID]}


def test_a_scope_with_nothing_in_it_is_a_user_error(database: tuple[str, FixtureSummary, Path]) -> None:
    url, _, folder = database
    result = run_cli("report", "--db", url, "--out", str(folder / "empty"), "--no-pdf", "--policy", "nope")
    assert result.returncode == 2
    assert "not a consultation id" in result.stderr


def test_export_corpus_in_scope_as_csv_and_json(database: tuple[str, FixtureSummary, Path]) -> None:
    url, _, folder = database
    engine = open_database(url)
    n_comments = export_corpus(engine, "comments", folder / "c.json", fmt="json")
    rows = json.loads((folder / "c.json").read_text(encoding="utf-8"))
    assert len(rows) == n_comments > 0
    assert {r["policy_uuid"] for r in rows} == {POLICY_UUID}
    assert "author" not in rows[0]
    with pytest.raises(NothingSelected, match="selects no comments"):
        export_corpus(engine, "comments", folder / "none.csv", scope=ItemScope((UNKNOWN,)))
    assert not (folder / "none.csv").exists()
    assert export_corpus(engine, "proposals", folder / "p.csv") > 0
    with pytest.raises(NothingSelected, match="selects no proposals"):  # they belong to no consultation
        export_corpus(engine, "proposals", folder / "p1.csv", scope=ItemScope((POLICY_UUID,)))
    assert export_corpus(engine, "responses", folder / "r.csv") > 0
    n_all = export_corpus(engine, "assignments", folder / "a.csv")
    n_one = export_corpus(
        engine, "assignments", folder / "a1.json", fmt="json", scope=ItemScope((POLICY_UUID,))
    )
    assert 0 < n_one < n_all
    with (folder / "p.csv").open(encoding="utf-8") as handle:
        assert "endorse_count" in next(csv.reader(handle))
    engine.dispose()


def test_cli_report_in_english_for_one_consultation_and_export(
    database: tuple[str, FixtureSummary, Path],
) -> None:
    url, _, folder = database
    out = folder / "cli-en"
    result = run_cli(
        "report", "--db", url, "--out", str(out), "--no-pdf", "--lang", "en", "--policy", POLICY_UUID
    )
    assert result.returncode == 0, result.stderr
    assert 'lang="en"' in (out / "index.html").read_text(encoding="utf-8")
    result = run_cli(
        "export",
        "comments",
        "--db",
        url,
        "--out",
        str(folder / "cli.json"),
        "--format",
        "json",
        "--since",
        "2020-02-22",
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads((folder / "cli.json").read_text(encoding="utf-8"))
    days = [datetime.fromisoformat(r["created_at"]).astimezone(TAIPEI).date() for r in rows]
    assert days
    assert min(days) >= date(2020, 2, 22)
    bad = run_cli("export", "comments", "--db", url, "--out", str(folder / "x.csv"), "--since", "22/02/2020")
    assert bad.returncode == 2
    assert "YYYY-MM-DD" in bad.stderr
