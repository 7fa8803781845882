"""One consultation at a time (--policy, --since, --until, --source) and the corpus exports."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from reports.exports import export_corpus
from reports.site import build_report
from storage.db import open_database
from storage.scope import ItemScope, NothingSelected, taipei_day
from tests.conftest import run_cli
from tests.report_fixtures import POLICY_UUID, FixtureSummary, populate

TAIPEI = timezone(timedelta(hours=8))
UNKNOWN = "0f0f0f0f-1111-4222-8333-444455556666"


def test_taipei_day_of_a_utc_time_is_that_of_its_taipei_time() -> None:
    start = datetime(2019, 12, 31, tzinfo=UTC)
    for quarter in range(4 * 24 * 40):  # forty days, every quarter of an hour
        moment = start + timedelta(minutes=15 * quarter)
        assert taipei_day(moment) == moment.astimezone(TAIPEI).date()
        assert taipei_day(moment.astimezone(TAIPEI)) == moment.astimezone(TAIPEI).date()
    assert taipei_day(datetime(2020, 2, 29, 16, tzinfo=UTC)) == date(2020, 3, 1)


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
    assert "本報告範圍：分析 #2 的全部項目" in (everything / "index.html").read_text(encoding="utf-8")
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


# ------------------------------------------------------------------ one scope for every page of a report

PREVIOUS_RELEASE = Path(__file__).parent / "fixtures" / "previous_release" / "joinfeedback.db"
OTHER_UUID = "c03cc315-c717-4fd2-b3c8-ff03a2378346"  # the fixture's second consultation with comments


def _table(report: Path, name: str) -> list[dict[str, str]]:
    with (report / "data" / f"{name}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _assert_every_page_says(report: Path, words: str) -> None:
    pages = [*report.rglob("*.html"), *(report / "briefs").glob("*.md")]
    assert len(pages) > 5
    for page in pages:
        assert words in page.read_text(encoding="utf-8"), page


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A crawl of three consultations (one of them without comments), agency replies and proposals, whose
    latest run analysed one consultation (the previous release's fixture, migrated)."""
    copy = tmp_path_factory.mktemp("crawled") / "jf.db"
    shutil.copy(PREVIOUS_RELEASE, copy)
    open_database(f"sqlite:///{copy}").dispose()
    return copy


def test_a_run_of_one_consultation_is_reported_in_its_scope(crawled: Path, tmp_path: Path) -> None:
    url, report = f"sqlite:///{crawled}", tmp_path / "report"
    result = run_cli("report", "--db", url, "--out", str(report), "--no-pdf")
    assert result.returncode == 0, result.stderr
    assert json.loads((report / "data" / "report.json").read_text(encoding="utf-8"))["scope"] == {
        "policies": [POLICY_UUID]
    }
    assert sum(int(row["count"]) for row in _table(report, "coverage")) == 56  # the run's items
    over_time = _table(report, "over_time")
    assert sum(int(row["count"]) for row in over_time) == 56  # the run's comments, nothing else
    assert {row["policy_uuid"] for row in _table(report, "agency_replies")} == {POLICY_UUID}
    assert [row["uuid"] for row in _table(report, "consultations")] == [POLICY_UUID]
    assert _table(report, "proposals") == []
    assert "data-out-of-scope" in (report / "proposals.html").read_text(encoding="utf-8")
    asked = run_cli(
        "report", "--db", url, "--out", str(tmp_path / "other"), "--no-pdf", "--policy", OTHER_UUID
    )
    assert asked.returncode == 1, asked.stderr
    assert f"--policy {OTHER_UUID} selects no item of analysis run" in asked.stderr
    assert f"the run analysed only --policy {POLICY_UUID}" in asked.stderr
    _assert_every_page_says(
        report, "本報告範圍：政策討論「大家一起來寫「臺灣開放政府國家行動方案」！」的留言"
    )


def test_a_consultation_s_report_of_a_whole_run_shows_nothing_of_the_others(
    crawled: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "jf.db"
    shutil.copy(crawled, copy)
    url = f"sqlite:///{copy}"
    assert run_cli("analyze", "--db", url, "--embeddings", "off").returncode == 0
    whole, one = tmp_path / "whole", tmp_path / "one"
    assert run_cli("report", "--db", url, "--out", str(whole), "--no-pdf").returncode == 0
    result = run_cli("report", "--db", url, "--out", str(one), "--no-pdf", "--policy", OTHER_UUID)
    assert result.returncode == 0, result.stderr
    counted = sum(int(row["count"]) for row in _table(one, "over_time"))
    listing = _table(one, "consultations")
    assert [row["uuid"] for row in listing] == [OTHER_UUID]
    assert counted == int(listing[0]["raw"])  # the chart counts that consultation's comments only
    assert sum(int(row["count"]) for row in _table(whole, "over_time")) > counted
    assert {row["policy_uuid"] for row in _table(one, "agency_replies")} == {OTHER_UUID}
    assert {row["policy_uuid"] for row in _table(whole, "agency_replies")} == {POLICY_UUID, OTHER_UUID}
    assert _table(one, "proposals") == []
    assert _table(one, "agency_responses") == []
    assert len(_table(whole, "proposals")) == 8
    assert "data-out-of-scope" not in (whole / "proposals.html").read_text(encoding="utf-8")
    _assert_every_page_says(whole, "本報告範圍：分析 #4 的全部項目")
    _assert_every_page_says(one, "「全民健康保險法」部分條文修正草案")


def test_a_period_scopes_the_proposals_too(crawled: Path, tmp_path: Path) -> None:
    copy = tmp_path / "jf.db"
    shutil.copy(crawled, copy)
    url = f"sqlite:///{copy}"
    assert run_cli("analyze", "--db", url, "--embeddings", "off").returncode == 0
    report = tmp_path / "since"
    result = run_cli("report", "--db", url, "--out", str(report), "--no-pdf", "--since", "2019-01-01")
    assert result.returncode == 0, result.stderr
    engine = open_database(url)
    with engine.connect() as conn:
        published = [
            day
            for (day,) in conn.exec_driver_sql("SELECT published_at FROM idea")
            if str(day) >= "2018-12-31"
        ]
    engine.dispose()
    proposals = _table(report, "proposals")
    assert 0 < len(proposals) <= len(published) < 8
    for row in _table(report, "over_time"):
        assert row["date"] >= "2018-12-31"  # weekly buckets start on a Monday
