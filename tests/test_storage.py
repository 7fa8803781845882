"""Storage on SQLite and PostgreSQL: migrations match the models, upserts are idempotent, errors are clear."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from base.errors import UserError
from storage.corpus import load_items
from storage.db import current_revision, open_database, transaction, upsert
from storage.models import Base, Comment, Idea, ImportedItem, Policy


def _head() -> str:
    """The newest revision of storage/migrations (not a literal: revisions are added over time)."""
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS_DIR

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def test_migrations_create_the_schema_the_models_describe(db_url: str) -> None:
    engine = open_database(db_url)
    assert current_revision(engine) == _head()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    # running the migrations again is a no-op
    open_database(db_url)
    assert current_revision(engine) == _head()


def test_agency_replies_migration_keeps_comments_as_citizens_and_goes_back(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from storage.db import _alembic_config, make_engine

    engine = make_engine(db_url)
    command.upgrade(_alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO comment (site, msg_uid, policy_uuid, author, text, html, like_count,"
                " unlike_count, is_deleted, url, first_seen_at, last_seen_at)"
                " VALUES ('join.gov.tw', '1', 'p', '', '支持',"
                " '', 0, 0, :false, '', :now, :now)"
            ),
            {"false": False, "now": datetime(2020, 3, 1, tzinfo=UTC)},
        )
    open_database(db_url)  # to head
    assert current_revision(engine) == _head()
    with transaction(engine) as session:
        assert session.execute(select(Comment.msg_uid, Comment.author_kind)).all() == [("1", "citizen")]
        upsert(
            session,
            Comment,
            [dict(_comment_rows("機關回覆")[0], msg_uid="2", author_kind="agency")],
            keys=["site", "msg_uid"],
            update=["text"],
        )
    with transaction(engine) as session:
        assert [i.item_id for i in load_items(session)] == ["1"]  # the agency reply is not public input
    command.downgrade(_alembic_config(engine), "0001")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM comment")).scalar() == 2
    engine.dispose()


def test_crawl_warnings_migration_keeps_older_runs(sqlite_url: str) -> None:
    """0002 → 0003 adds crawl_run.warnings; runs recorded before it read back with no warnings."""
    from alembic import command
    from sqlalchemy import text

    from storage.db import _alembic_config, make_engine

    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        cfg = _alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")
        connection.execute(
            text(
                "INSERT INTO crawl_run (kind, base_url, spiders, started_at, status, pages, requests, "
                "items_new, items_updated, items_unchanged, errors, message) "
                "VALUES ('crawl', 'https://join.gov.tw', '', "
                "'2026-01-01 00:00:00', 'finished', 1, 1, 0, 0, 0, '[]', '')"
            )
        )
    open_database(sqlite_url).dispose()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT warnings FROM crawl_run")).scalar_one() == "[]"
    engine.dispose()


def _comment_rows(text: str) -> list[dict[str, object]]:
    return [
        {
            "site": "join.gov.tw",
            "msg_uid": str(1000 + n),
            "policy_uuid": "031e9918-59d5-4a1a-b105-96af228f3147",
            "text": f"{text} {n}",
            "created_at": datetime(2020, 2, 21, 8, n, tzinfo=UTC),
        }
        for n in range(5)
    ]


def test_upsert_is_idempotent_and_updates_changed_columns(db_url: str) -> None:
    engine = open_database(db_url)
    for _ in range(2):
        with transaction(engine) as session:
            upsert(
                session,
                Comment,
                _comment_rows("支持資料開放"),
                keys=["site", "msg_uid"],
                update=["text", "created_at"],
            )
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 5
        upsert(session, Comment, _comment_rows("反對"), keys=["site", "msg_uid"], update=["text"])
    with transaction(engine) as session:
        texts = sorted(session.scalars(select(Comment.text)))
        assert texts == [f"反對 {n}" for n in range(5)]
        created = session.scalar(select(Comment.created_at).where(Comment.msg_uid == "1003"))
        assert created is not None
        assert created.replace(tzinfo=UTC) == datetime(2020, 2, 21, 8, 3, tzinfo=UTC)


def test_do_nothing_upsert_keeps_the_first_version(db_url: str) -> None:
    engine = open_database(db_url)
    with transaction(engine) as session:
        upsert(
            session, Policy, [{"site": "join.gov.tw", "uuid": "p1", "title": "first"}], keys=["site", "uuid"]
        )
        upsert(
            session, Policy, [{"site": "join.gov.tw", "uuid": "p1", "title": "second"}], keys=["site", "uuid"]
        )
        upsert(
            session,
            Policy,
            [{"site": "cy.join.gov.tw", "uuid": "p1", "title": "other host"}],
            keys=["site", "uuid"],
        )
    with transaction(engine) as session:
        rows = sorted(session.execute(select(Policy.site, Policy.title)).all())
    assert rows == [("cy.join.gov.tw", "other host"), ("join.gov.tw", "first")]


def _upsert_then_fail(engine: Engine) -> None:
    with transaction(engine) as session:
        upsert(session, Comment, _comment_rows("x"), keys=["site", "msg_uid"])
        raise RuntimeError("interrupted")


def test_a_failed_transaction_leaves_nothing_behind(db_url: str) -> None:
    engine = open_database(db_url)
    with pytest.raises(RuntimeError, match="interrupted"):
        _upsert_then_fail(engine)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 0


def test_corpus_lists_every_kind_in_a_stable_order(db_url: str) -> None:
    engine = open_database(db_url)
    with transaction(engine) as session:
        upsert(
            session,
            Comment,
            [
                *_comment_rows("青年參與"),
                {
                    "site": "join.gov.tw",
                    "msg_uid": "9",
                    "policy_uuid": "p",
                    "text": "使用者已自行刪除留言",
                    "is_deleted": True,
                },
            ],
            keys=["site", "msg_uid"],
        )
        upsert(
            session,
            Idea,
            [{"site": "join.gov.tw", "uuid": "i1", "title": "公投電子連署", "outline": "開放線上連署"}],
            keys=["site", "uuid"],
        )
        upsert(
            session,
            ImportedItem,
            [{"dataset": "import", "item_id": "a", "text": "客語推廣"}],
            keys=["dataset", "item_id"],
        )
    with transaction(engine) as session:
        items = load_items(session)
    assert [(i.kind, i.item_id) for i in items] == [
        ("comment", "1000"),
        ("comment", "1001"),
        ("comment", "1002"),
        ("comment", "1003"),
        ("comment", "1004"),
        ("idea", "i1"),
        ("import", "a"),
    ]
    assert items[5].text == "公投電子連署\n開放線上連署"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("nonsense", "not a valid SQLAlchemy URL"),
        ("mysql://u@localhost/x", "not supported"),
        ("sqlite:////nonexistent-dir/sub/x.db", "does not exist"),
        ("sqlite://", "names no file"),
        ("postgresql://u@127.0.0.1:notaport/x", "not a valid SQLAlchemy URL"),
    ],
)
def test_bad_database_urls_give_one_clear_line(url: str, fragment: str) -> None:
    with pytest.raises(UserError, match=fragment) as info:
        open_database(url)
    assert "\n" not in str(info.value)


@pytest.mark.postgres
def test_unreachable_postgres_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="cannot reach database"):
        open_database("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")


def test_a_crawl_killed_before_closing_its_run_is_marked_interrupted(db_url: str) -> None:
    from storage.crawlstate import close_interrupted_runs, start_crawl_run
    from storage.models import CrawlRun

    engine = open_database(db_url)
    dead = start_crawl_run(engine, base_url="http://127.0.0.1:1", spiders=["policies"])
    assert close_interrupted_runs(engine) == 1
    assert close_interrupted_runs(engine) == 0
    with transaction(engine) as session:
        run = session.get(CrawlRun, dead)
        assert run is not None
        assert run.status == "interrupted"
        assert run.finished_at is not None


def test_the_site_clock_at_the_last_crawl_is_its_date_else_its_end(db_url: str) -> None:
    """Days left and overdue answers count from the site's own time when the last crawl saw it."""
    from storage.models import CrawlRun
    from storage.queries.proposals import site_clock_at_last_crawl

    def run(kind: str, status: str, finished: datetime, site_time: datetime | None) -> CrawlRun:
        return CrawlRun(
            kind=kind, base_url="http://127.0.0.1:1", status=status, finished_at=finished, site_time=site_time
        )

    replica_now, later = datetime(2020, 3, 1, 4, tzinfo=UTC), datetime(2020, 3, 9, tzinfo=UTC)
    engine = open_database(db_url)
    with transaction(engine) as session:
        assert site_clock_at_last_crawl(session) is None  # never crawled: the report's own fallback
        session.add_all(
            [
                run("crawl", "finished", datetime(2026, 1, 2, tzinfo=UTC), datetime(2020, 2, 28, tzinfo=UTC)),
                run("crawl", "finished", datetime(2026, 1, 3, tzinfo=UTC), replica_now),
                run("check", "finished", datetime(2026, 1, 4, tzinfo=UTC), later),
                run("crawl", "interrupted", datetime(2026, 1, 5, tzinfo=UTC), later),
            ]
        )
    with transaction(engine) as session:
        assert site_clock_at_last_crawl(session) == replica_now
        session.add(run("crawl", "partial", datetime(2026, 1, 6, tzinfo=UTC), None))  # recorded before 0005
    with transaction(engine) as session:
        assert site_clock_at_last_crawl(session) == datetime(2026, 1, 6, tzinfo=UTC)
    engine.dispose()
