"""What a report reads of a large run in a few queries is what the simpler per-fact queries read."""

from __future__ import annotations

from pathlib import Path

from storage.db import open_database, session_factory
from storage.queries import items as item_queries
from storage.queries import runs as run_queries
from tests.report_fixtures import populate


def test_item_facts_are_the_dates_policies_and_engagement(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'facts.db'}")
    populate(engine, n_comments=200)
    with session_factory(engine)() as session:
        run = run_queries.latest_complete_run(session)
        assert run is not None
        facts = item_queries.run_item_facts(session, run.id)
        assert facts.dates == item_queries.run_item_dates(session, run.id)
        assert facts.policy_of == item_queries.run_comment_policies(session, run.id)
        assert facts.engagement == item_queries.run_item_engagement(session, run.id)
        assert len(facts.dates) > len(facts.engagement) > 200  # imported items have no likes
    engine.dispose()
