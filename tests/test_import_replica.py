"""Open-data files as the (replica) site serves them, saved to disk and imported with the real command."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from base.errors import UserError
from crawler.importing import import_file
from replica.server import ReplicaServer
from storage.db import open_database, session_factory
from storage.models import Comment, Idea, Policy
from tests.conftest import dump_database, run_cli

FIXTURES = Path(__file__).parent / "fixtures"


def download(base_url: str, path: str, target: Path) -> Path:
    with urllib.request.urlopen(base_url + path, timeout=30) as response:
        target.write_bytes(response.read())
    return target


def count(url: str, model: type) -> int:
    engine = open_database(url)
    with session_factory(engine)() as session:
        total = int(session.scalar(select(func.count()).select_from(model)) or 0)
    engine.dispose()
    return total


def test_replica_open_data_imports_completely_and_idempotently(tmp_path: Path, db_url: str) -> None:
    with ReplicaServer(seed=3, size="small") as replica:
        manifest = replica.manifest()
        ideas = download(replica.base_url, "/toOpenData/ey/idea", tmp_path / "idea.json")
        policies = download(replica.base_url, "/toOpenData/ey/policy", tmp_path / "policy.json")
        old_policies = download(
            replica.base_url, "/toOpenData/ey/policy?shape=2017", tmp_path / "policy-2017.json"
        )
    messages = sum(len(entry["messages"]) for entry in json.loads(old_policies.read_bytes()))
    assert messages > 0
    for path in (ideas, policies, old_policies):
        result = run_cli("import", str(path), "--db", db_url)
        assert result.returncode == 0, result.stderr
    assert count(db_url, Idea) == manifest["ideas"]
    assert count(db_url, Policy) == manifest["policies"]
    assert count(db_url, Comment) == messages
    # A file does not say where it was downloaded from: the site is the host its 網址 values name.
    hosts = {urlsplit(entry["網址"]).hostname for entry in json.loads(ideas.read_bytes())}
    engine = open_database(db_url)
    with session_factory(engine)() as session:
        assert set(session.scalars(select(Idea.site).distinct())) == hosts
    engine.dispose()

    before = {name: rows for name, rows in dump_database(db_url).items() if name != "crawl_run"}
    for path in (ideas, policies, old_policies):
        assert run_cli("import", str(path), "--db", db_url).returncode == 0
    after = {name: rows for name, rows in dump_database(db_url).items() if name != "crawl_run"}
    assert after == before


def test_a_later_download_updates_what_changed(tmp_path: Path, sqlite_url: str) -> None:
    """Endorsements rise on the replica as time moves on: the next import counts those rows as updated."""
    engine = open_database(sqlite_url)
    with ReplicaServer(seed=4, size="small") as replica:
        first = import_file(download(replica.base_url, "/toOpenData/ey/idea", tmp_path / "1.json"), engine)
        replica.advance(steps=3)
        second = import_file(download(replica.base_url, "/toOpenData/ey/idea", tmp_path / "2.json"), engine)
    assert first.new == first.rows_read
    assert second.updated > 0
    assert second.new + second.updated + second.unchanged == second.rows_read
    engine.dispose()


def crawler_fixture_inputs() -> list[Path]:
    return sorted(FIXTURES.glob("opendata_*/*/input.json"))


def test_crawler_open_data_fixtures_import_or_are_refused_alike(tmp_path: Path, sqlite_url: str) -> None:
    """The crawler's recorded open-data cases (tests/fixtures/opendata_*/): good ones import, ``error_*`` ones
    are refused with one line naming the entry's line, exactly as the parsers refuse them."""
    inputs = crawler_fixture_inputs()
    # every kind of case is there: accepted, refused (error_*) and read leniently by the crawler (crawl_*)
    kinds = {path.parent.name.split("_")[0] for path in inputs}
    assert {"error", "crawl"} < kinds, kinds
    engine = open_database(sqlite_url)
    for path in inputs:
        if path.parent.name.startswith("error_"):
            with pytest.raises(UserError, match=r"line \d+ \(entry \d+\)"):
                import_file(path, engine)
        elif path.parent.name.startswith("crawl_"):  # read leniently by the crawler; the importer may refuse
            refusal = ""
            try:
                import_file(path, engine)
            except UserError as error:
                refusal = str(error)
            assert not refusal or re.search(r"line \d+ \(entry \d+\)", refusal), refusal
        else:
            assert import_file(path, engine).rows_read > 0, path
    engine.dispose()
