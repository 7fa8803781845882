"""What a report reads of a large run in a few queries is what the simpler per-fact queries read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update

from reports.rundata import load_run
from storage.db import open_database, session_factory, transaction
from storage.models import Assignment
from storage.queries import items as item_queries
from storage.queries import runs as run_queries
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


@pytest.mark.parametrize("scope", [None, ItemScope(since=date(2020, 2, 23)), ItemScope(source="imported")])
def test_changes_since_the_previous_run_are_those_of_every_placement(
    tmp_path: Path, scope: ItemScope | None
) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'changes.db'}")
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
