"""The review page without a browser: which items it lists, the re-run line it shows, the script its
Content-Security-Policy admits, and the counts of examples and moved items on the overview. The browser
half (choose, reload, download, re-run) is tests/test_browser_review.py."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest

from analysis.assignment.examples import suggested
from analysis.catalogue import BUNDLED, load_catalogue
from analysis.manifest import catalogue_option
from reports.review import analyze_command
from reports.site import build_report
from storage.db import open_database
from storage.queries.runs import RunInfo
from tests.report_fixtures import POLICY_UUID, populate

ITEM = re.compile(r'<li class="review-item" id="r-\d+" data-item-id="([^"]+)">')


def _run(seed: int, manifest: dict[str, object]) -> RunInfo:
    return RunInfo(3, None, None, "plan", seed, "0" * 64, 10, manifest)


def test_rerun_line_repeats_the_runs_catalogue_seed_embeddings_and_scope() -> None:
    run = _run(
        7,
        {
            "catalogue_option": "/data/my plan.csv",
            "params": {"embeddings": "off"},
            "scope": {"policies": [POLICY_UUID], "since": "2020-01-01"},
        },
    )
    assert analyze_command(run) == (
        "joinfeedback analyze --examples examples.csv --commitments '/data/my plan.csv' --seed 7 "
        f"--embeddings off --policy {POLICY_UUID} --since 2020-01-01"
    )
    bundled = _run(0, {"catalogue_option": "", "params": {"embeddings": "auto"}})
    assert analyze_command(bundled) == "joinfeedback analyze --examples examples.csv --seed 0"
    # a run recorded before its manifest named the option: its catalogue file, as given then
    older = _run(1, {"catalogue": "plan", "catalogue_source": "plan.csv"})
    assert (
        analyze_command(older)
        == "joinfeedback analyze --examples examples.csv --commitments plan.csv --seed 1"
    )


def test_manifest_names_the_catalogue_option_a_rerun_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert catalogue_option(load_catalogue(BUNDLED)) == ""
    assert catalogue_option(None) == "none"
    (tmp_path / "plan.csv").write_bytes(BUNDLED.read_bytes())
    monkeypatch.chdir(tmp_path)
    assert catalogue_option(load_catalogue("plan.csv")) == str(tmp_path / "plan.csv")  # from any folder


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("review")
    engine = open_database(f"sqlite:///{folder / 'jf.db'}")
    populate(engine)
    engine.dispose()
    return folder


def test_review_page_lists_what_suggest_examples_picks(database: Path) -> None:
    engine = open_database(f"sqlite:///{database / 'jf.db'}")
    picked = suggested(engine, 30)
    build_report(engine, database / "site", quiet=True, pdf=False, review=[p.key for p in picked if p.key])
    build_report(engine, database / "plain", quiet=True, pdf=False)
    engine.dispose()
    site = database / "site"
    html = (site / "review.html").read_text(encoding="utf-8")
    assert ITEM.findall(html) == [p.item_id for p in picked]
    codes = [c.code for c in load_catalogue(BUNDLED).commitments]
    first = html.split("<select", 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]*)"', first) == ["", *codes, "none"]
    # the page's one script, and only it, may run
    script = html.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    assert f"script-src 'sha256-{digest}'" in html
    assert html.count("<script") == 1
    for page in ("index.html", "methods.html", "gaps.html", "commitments/c-1-1.html"):
        text = (site / page).read_text(encoding="utf-8")
        assert "review.html" in text, page
        assert "<script" not in text, page
        assert "script-src" not in text, page
    # without the picks, no review page and no link to one
    assert not (database / "plain" / "review.html").exists()
    assert "review.html" not in (database / "plain" / "index.html").read_text(encoding="utf-8")


def _copy(database: Path, folder: Path) -> Path:
    copy = folder / "copy.db"
    copy.write_bytes((database / "jf.db").read_bytes())
    return copy


LATEST = "(SELECT max(id) FROM analysis_run WHERE status = 'complete')"


def test_overview_and_methods_count_the_items_that_moved(database: Path, tmp_path: Path) -> None:
    """The fixture's two runs place every item alike; seven items of the latest run are then placed
    elsewhere (three to another commitment, four to none), and the latest run is given two examples."""
    copy = _copy(database, tmp_path)
    with sqlite3.connect(copy) as connection:
        rows = connection.execute(
            f"SELECT item_kind, item_id, commitment_code FROM assignment WHERE run_id = {LATEST} "
            "AND status = 'assigned' AND item_kind = 'comment' ORDER BY item_id LIMIT 7"
        ).fetchall()
        for n, (kind, item_id, code) in enumerate(rows):
            status, moved_to = ("assigned", "5.1" if code != "5.1" else "1.1") if n < 3 else ("none", None)
            connection.execute(
                f"UPDATE assignment SET status = ?, commitment_code = ? WHERE run_id = {LATEST} "
                "AND item_kind = ? AND item_id = ?",
                (status, moved_to, kind, item_id),
            )
        examples = json.dumps({"placed": {rows[0][1]: "5.1", rows[3][1]: "none"}})
        connection.execute(
            "UPDATE analysis_run SET manifest = json_set(manifest, '$.examples', json(?)) "
            f"WHERE id = {LATEST}",
            (examples,),
        )
        compared = connection.execute(
            "SELECT count(*) FROM assignment a JOIN assignment b ON a.item_kind = b.item_kind "
            f"AND a.item_id = b.item_id WHERE a.run_id = {LATEST} AND b.run_id = (SELECT max(id) "
            f"FROM analysis_run WHERE status = 'complete' AND id < {LATEST}) AND NOT EXISTS (SELECT 1 "
            "FROM comment c WHERE a.item_kind = 'comment' AND c.msg_uid = a.item_id "
            "AND c.author_kind = 'agency')"
        ).fetchone()[0]
    engine = open_database(f"sqlite:///{copy}")
    build_report(engine, tmp_path / "site", quiet=True, pdf=False)
    build_report(engine, tmp_path / "en", quiet=True, pdf=False, language="en")
    engine.dispose()
    for page in ("index.html", "methods.html"):
        html = (tmp_path / "site" / page).read_text(encoding="utf-8")
        assert f'data-examples="2" data-moved="7" data-compared="{compared}"' in html, page
        assert "本次分析由 2 則人工標註的範例引導。" in html
        assert f"兩次都分析到的 {compared} 則意見中，有 7 則改變了歸類" in html
    english = (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    assert "Examples placed by a facilitator that steered this analysis: 2." in english
    assert f"another status or commitment: 7 of the {compared} both analysed." in english


def test_a_run_without_catalogue_asks_for_one(database: Path, tmp_path: Path) -> None:
    copy = _copy(database, tmp_path)
    with sqlite3.connect(copy) as connection:
        connection.execute(f"UPDATE analysis_run SET catalogue = 'none' WHERE id = {LATEST}")
    engine = open_database(f"sqlite:///{copy}")
    keys = [p.key for p in suggested(engine, 5) if p.key]
    build_report(engine, tmp_path / "site", quiet=True, pdf=False, language="en", review=keys)
    engine.dispose()
    html = (tmp_path / "site" / "review.html").read_text(encoding="utf-8")
    assert "This analysis used no catalogue, so examples cannot steer it" in html
    assert "<select" not in html
    assert "<script" not in html
