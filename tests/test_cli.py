"""The command line as a user runs it: help, the import → analyze → export chain, the demo."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

SUBCOMMANDS = [
    "demo",
    "replica",
    "crawl",
    "import",
    "reclassify",
    "analyze",
    "export",
    "report",
    "evaluate",
    "schedule",
    "status",
    "config",
]


def test_help_lists_every_subcommand() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert f"    {name} " in result.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help_with_an_example(name: str) -> None:
    result = run_cli(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "example:" in result.stdout
    assert f"joinfeedback {name}" in result.stdout


def test_every_subcommand_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in SUBCOMMANDS:
        assert f"joinfeedback {name}" in readme, name


def _devset_csv(path: Path, limit: int = 300) -> list[str]:
    """A CSV in the import format from the real, labelled Pol.is comments (CC0) in benchmarks/devset."""
    with (ROOT / "benchmarks/devset/polis/comments.csv").open(encoding="utf-8") as src:
        rows = list(csv.DictReader(src))[:limit]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "text"])
        for row in rows:
            writer.writerow([row["id"], row["text"]])
    return [row["id"] for row in rows]


def test_import_analyze_export_keeps_every_row(tmp_path: Path, sqlite_url: str) -> None:
    ids = _devset_csv(tmp_path / "comments.csv")
    assert len(ids) == 300
    imported = run_cli("import", str(tmp_path / "comments.csv"), "--db", sqlite_url)
    assert imported.returncode == 0, imported.stderr
    again = run_cli("import", str(tmp_path / "comments.csv"), "--db", sqlite_url)
    assert again.returncode == 0, again.stderr
    analysed = run_cli("analyze", "--db", sqlite_url, "--seed", "3")
    assert analysed.returncode == 0, analysed.stderr
    out = tmp_path / "assignments.csv"
    exported = run_cli("export", "assignments", "--db", sqlite_url, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == [
            "item_id",
            "text",
            "status",
            "commitment_id",
            "confidence",
            "cluster_id",
            "cluster_label",
        ]
        rows = list(reader)
    assert sorted(r["item_id"] for r in rows) == sorted(
        f"import:import:{i}" for i in ids
    )  # keys: kind:dataset:id
    for row in rows:
        assert row["status"] in {"assigned", "none", "uncertain"}
        # An uncertain item keeps its best commitment; only none has no commitment.
        assert (row["commitment_id"] != "") == (row["status"] != "none")
        assert 0.0 <= float(row["confidence"]) <= 1.0


def test_analyze_without_catalogue_only_clusters(tmp_path: Path, sqlite_url: str) -> None:
    _devset_csv(tmp_path / "comments.csv", limit=120)
    assert run_cli("import", str(tmp_path / "comments.csv"), "--db", sqlite_url).returncode == 0
    analysed = run_cli("analyze", "--db", sqlite_url, "--commitments", "none")
    assert analysed.returncode == 0, analysed.stderr
    out = tmp_path / "a.csv"
    assert run_cli("export", "assignments", "--db", sqlite_url, "--out", str(out)).returncode == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 120
    assert {r["status"] for r in rows} == {"none"}
    assert any(r["cluster_id"] for r in rows)


def test_unexpected_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    result = run_cli("import", str(tmp_path / "missing.csv"), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "missing.csv" in result.stderr


@pytest.mark.slow
def test_demo_runs_the_whole_chain_offline(tmp_path: Path) -> None:
    result = run_cli("demo", "--out", str(tmp_path / "demo"), "--no-pdf", cwd=tmp_path, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    index = tmp_path / "demo" / "report" / "index.html"
    assert index.is_file()
    assert "report written" in result.stdout
    html = index.read_text(encoding="utf-8")
    assert "政府資料開放與運用法制化" in html
