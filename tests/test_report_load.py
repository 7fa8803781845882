"""What a report reads of a large run in a few queries is what the simpler per-fact queries read."""

from __future__ import annotations

import os
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from base.errors import UserError
from reports import reading_apart
from reports.rundata import argument_of, load_run, shared_arguments
from storage.db import open_database, session_factory, transaction
from storage.items import ItemIndex
from storage.models import Assignment
from storage.queries import items as item_queries
from storage.queries import runs as run_queries
from storage.run_rows import StoredAssignment
from storage.scope import ItemScope
from tests.report_fixtures import populate


def test_the_assignments_carry_their_items_dates_policies_and_engagement(db_url: str) -> None:
    engine = open_database(db_url)
    populate(engine, n_comments=200)
    with session_factory(engine)() as session:
        run = run_queries.latest_complete_run(session)
        assert run is not None
        rows = run_queries.assignments(session, run.id)
        dates = item_queries.run_item_dates(session, run.id)
        policy_of = item_queries.run_comment_policies(session, run.id)
        engagement = item_queries.run_item_engagement(session, run.id)
    engine.dispose()
    assert [r.kind for r in rows] == sorted(r.kind for r in rows)  # by kind, each in (source, id) order
    assert {r.key: r.created_at for r in rows if r.created_at is not None} == dates
    assert {r.key: r.policy_uuid for r in rows if r.policy_uuid is not None} == policy_of
    assert {r.key: (r.likes, r.endorsements) for r in rows if r.kind != "import"} == engagement
    assert len(dates) > len(engagement) > 200  # imported items have no likes


def _read_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading_apart, "READ_APART_FROM", 0)
    monkeypatch.setattr(reading_apart, "several_cores", lambda: True)  # whatever the machine's cores


@pytest.mark.parametrize("scope", [None, ItemScope(since=date(2020, 2, 23)), ItemScope(source="imported")])
def test_a_large_runs_items_read_by_two_processes_are_those_read_by_one(
    db_url: str, scope: ItemScope | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second half of the comments read by a forked child, and sent back with each repeated text once:
    the same items, facts and order (proposals and imported items after the comments, as read here)."""
    engine = open_database(db_url)
    populate(engine, n_comments=200)
    with session_factory(engine)() as session:
        here = load_run(session, scope)
        _read_apart(monkeypatch)
        apart = load_run(session, scope)
    engine.dispose()
    assert apart.assignments == here.assignments
    assert [r.key for r in apart.assignments] == [r.key for r in here.assignments]
    assert apart.members == here.members
    assert apart.new_item_keys == here.new_item_keys


def test_a_runs_comments_cut_at_a_share_follow_each_other_into_the_whole(db_url: str) -> None:
    engine = open_database(db_url)
    populate(engine, n_comments=400)
    with session_factory(engine)() as session:
        run = run_queries.latest_complete_run(session)
        assert run is not None
        cut = run_queries.comment_key_at(session, run.id, 0.6)
        assert cut is not None
        assert run_queries.comment_key_at(session, run.id, 0.6, smallest=10_000) is None
        whole = list(run_queries.assignment_rows(session, run.id))
        head = list(run_queries.assignment_rows(session, run.id, stop=cut))
        rest = list(run_queries.assignment_rows(session, run.id, start=cut))
    engine.dispose()
    assert head + rest == whole
    comments = sum(1 for row in whole if row[0] == "comment")
    assert len(head) == round(comments * 0.6)  # the first 60 % of the comments; the rest, then the others
    assert {row[0] for row in head} == {"comment"}


def test_a_read_child_that_dies_is_an_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'jf.db'}")
    populate(engine, n_comments=200)
    serial = run_queries.assignment_rows

    def dies_in_the_child(session: Session, run_id: int, **part: Any) -> Any:
        if part.get("start") is not None:  # the child's part
            os._exit(9)
        return serial(session, run_id, **part)

    monkeypatch.setattr(run_queries, "assignment_rows", dies_in_the_child)
    _read_apart(monkeypatch)
    with session_factory(engine)() as session, pytest.raises(UserError) as failed:
        load_run(session)
    engine.dispose()
    message = str(failed.value)
    assert message.startswith("analysis run #")
    assert "could not be read: its child process " in message
    assert "ended with exit code 9 before sending its result; no report written" in message


@pytest.mark.parametrize("apart", [False, True], ids=["here", "forked"])
@pytest.mark.parametrize("scope", [None, ItemScope(since=date(2020, 2, 23)), ItemScope(source="imported")])
def test_changes_since_the_previous_run_are_those_of_every_placement(
    db_url: str, scope: ItemScope | None, apart: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compared here, or (a large run) by a forked child while the run's items are read: the same."""
    if apart:
        monkeypatch.setattr(reading_apart, "CHANGES_APART_FROM", 0)
        monkeypatch.setattr(reading_apart, "several_cores", lambda: True)
    engine = open_database(db_url)
    summary = populate(engine, n_comments=200)
    latest = summary.latest_run_id
    with transaction(engine) as session:  # placed otherwise: another status, no commitment, another one
        for item_id, values in (
            ("c000001", {"status": "uncertain"}),
            ("c000002", {"commitment_code": None}),
            ("c000003", {"commitment_code": "5.1"}),
            ("imp-001", {"commitment_code": "1.1"}),
        ):
            where = (Assignment.run_id == latest) & (Assignment.item_id == item_id)
            session.execute(update(Assignment).where(where).values(**values))
    with session_factory(engine)() as session:
        data = load_run(session, scope)
        before = run_queries.placements(session, summary.previous_run_id)
    engine.dispose()
    now = {r.key: (r.status, r.commitment_code) for r in data.assignments}
    common = now.keys() & before.keys()
    assert data.new_item_keys == now.keys() - before.keys()
    assert data.steering is not None
    assert data.steering.compared == len(common)
    assert data.steering.moved == sum(1 for key in common if now[key] != before[key]) > 0


def _row(item_id: str, duplicate_of: str | None = None, campaign: str | None = None) -> StoredAssignment:
    return StoredAssignment(
        "comment", "join.gov.tw", item_id, "assigned", "1.1", 0.5, None, duplicate_of, campaign
    )


def test_only_the_arguments_items_share_are_named_and_counted() -> None:
    """``shared_arguments`` names and counts what ``argument_of`` over every item did: each item's argument
    and how many items in scope make it (a group's first counted with its copies, in scope or not)."""
    every = [
        _row("a"),  # its own argument
        _row("b", duplicate_of="comment:join.gov.tw:b"),  # the first of its group: its own
        _row("c", duplicate_of="comment:join.gov.tw:b"),  # a copy of b
        _row("d", duplicate_of="b"),  # a copy of b, named by its bare id (runs stored before keys)
        _row("e", duplicate_of="comment:join.gov.tw:x"),  # a copy of x, out of scope below
        _row("f", duplicate_of="comment:join.gov.tw:gone"),  # its first unknown: its own argument
        _row("x"),
        _row("k1", campaign="k"),
        _row("k2", duplicate_of="comment:join.gov.tw:k1", campaign="k"),
        _row("m", duplicate_of="comment:join.gov.tw:k1"),  # a near-duplicate of a campaign's letter
    ]
    refs = ItemIndex(r.key for r in every)
    for rows in (every, [r for r in every if r.item_id not in {"x", "b"}]):
        old = {r.key: argument_of(r, refs) for r in rows}
        old_sizes = Counter(old.values())
        shared, sizes = shared_arguments(rows, refs)
        assert {k: shared.get(k) or f"item {k.text}" for k in old} == old
        assert {k: sizes.get(name, 1) for k, name in old.items()} == {k: old_sizes[n] for k, n in old.items()}
        assert len(shared) == 6  # c, d, e, k1, k2, m: the others make their own
