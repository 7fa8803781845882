"""``crawler.importing.import_file`` on good files: every row stored, idempotent, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from crawler.importing import import_file
from crawler.importing.dates import parse_date
from crawler.importing.opendata_rows import comment_id
from crawler.items import TAIPEI
from storage.db import open_database, session_factory
from storage.models import Comment, CrawlRun, Idea, ImportedItem, Policy, RawPayload
from tests.conftest import dump_database

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def sample_rows(n: int) -> list[dict[str, str]]:
    """Rows with the awkward parts real comments have: commas, quotes, newlines, CJK, emoji."""
    return [
        {
            "id": f"c{i:04d}",
            "text": f'第{i}則意見：開放政府，"資料"要開放。\n第二段 {"😀" if i % 7 == 0 else ""}',
            "author": f"使用者{i % 13}",
            "created_at": f"109/02/{1 + i % 28:02d}"
            if i % 2
            else f"2020-03-{1 + i % 28:02d} 08:{i % 60:02d}:00",
            "url": f"https://example.org/c/{i}",
        }
        for i in range(n)
    ]


def imported(engine: Engine, dataset: str = "import") -> dict[str, ImportedItem]:
    with session_factory(engine)() as session:
        rows = session.scalars(select(ImportedItem).where(ImportedItem.dataset == dataset)).all()
        return {row.item_id: row for row in rows}


def data_tables(url: str) -> dict[str, list[tuple[str, ...]]]:
    """The dump without ``crawl_run``: each import records a run, by design."""
    return {name: rows for name, rows in dump_database(url).items() if name != "crawl_run"}


def as_taipei(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=TAIPEI)).astimezone(TAIPEI)


def test_csv_round_trip_stores_every_row(tmp_path: Path, db_url: str) -> None:
    rows = sample_rows(600)  # above KEY_CHUNK: existing rows are read with two IN lists
    path = write_csv(tmp_path / "comments.csv", rows, ["id", "text", "author", "created_at", "url"])
    engine = open_database(db_url)
    summary = import_file(path, engine)
    assert (summary.format, summary.rows_read, summary.new, summary.updated, summary.unchanged) == (
        "csv",
        600,
        600,
        0,
        0,
    )
    stored = imported(engine)
    assert len(stored) == 600
    for row in rows:
        item = stored[row["id"]]
        assert item.text == row["text"].strip()
        assert item.author == row["author"]
        assert item.url == row["url"]
        assert as_taipei(item.created_at) == parse_date(row["created_at"])
        assert item.source_file == "comments.csv"
    assert stored["c0001"].created_at is not None
    assert as_taipei(stored["c0001"].created_at) == datetime(2020, 2, 2, tzinfo=TAIPEI)  # ROC 109/02/02
    assert stored["c0003"].source_line == 2 + 3 * 2  # header + two physical lines per row

    rows[599]["author"] = "改名的使用者"
    write_csv(path, rows, ["id", "text", "author", "created_at", "url"])
    again = import_file(path, engine)
    assert (again.new, again.updated, again.unchanged) == (0, 1, 599)
    assert imported(engine)["c0599"].author == "改名的使用者"
    engine.dispose()


def test_import_twice_changes_nothing_and_a_changed_text_updates(tmp_path: Path, db_url: str) -> None:
    rows = sample_rows(50)
    path = write_csv(tmp_path / "comments.csv", rows, ["id", "text", "author", "created_at", "url"])
    engine = open_database(db_url)
    first = import_file(path, engine)
    before = data_tables(db_url)
    second = import_file(path, engine)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 50)
    assert data_tables(db_url) == before
    assert first.crawl_run_id != second.crawl_run_id

    rows[7]["text"] = "改過的意見"
    write_csv(path, rows, ["id", "text", "author", "created_at", "url"])
    third = import_file(path, engine)
    assert (third.new, third.updated, third.unchanged) == (0, 1, 49)
    stored = imported(engine)
    assert stored["c0007"].text == "改過的意見"
    assert stored["c0008"].text == rows[8]["text"].strip()
    with session_factory(engine)() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        payloads = session.scalar(select(func.count()).select_from(RawPayload))
    assert [(r.kind, r.status, r.items_new, r.items_updated, r.items_unchanged) for r in runs] == [
        ("import", "finished", 50, 0, 0),
        ("import", "finished", 0, 0, 50),
        ("import", "finished", 0, 1, 49),
    ]
    assert payloads == 2  # the same bytes are stored once
    assert stored["c0007"].raw_payload_id != stored["c0008"].raw_payload_id
    engine.dispose()


def test_raw_file_is_kept_compressed(tmp_path: Path, sqlite_url: str) -> None:
    path = write_csv(tmp_path / "c.csv", sample_rows(3), ["id", "text"])
    engine = open_database(sqlite_url)
    import_file(path, engine)
    with session_factory(engine)() as session:
        payload = session.scalars(select(RawPayload)).one()
    assert zlib.decompress(payload.body_zlib) == path.read_bytes()
    assert payload.size == len(path.read_bytes())
    assert payload.url == path.resolve().as_uri()
    engine.dispose()


def test_columns_in_any_order_and_only_id_text_required(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text("text,id\n好意見,a1\n另一則,a2\n", encoding="utf-8")
    engine = open_database(sqlite_url)
    assert import_file(path, engine).new == 2
    stored = imported(engine)
    assert (stored["a1"].text, stored["a1"].author, stored["a1"].created_at) == ("好意見", "", None)
    engine.dispose()


def test_datasets_keep_the_same_ids_apart(tmp_path: Path, sqlite_url: str) -> None:
    path = write_csv(tmp_path / "c.csv", sample_rows(5), ["id", "text"])
    engine = open_database(sqlite_url)
    import_file(path, engine, dataset="workshop-a")
    assert import_file(path, engine, dataset="workshop-b").new == 5
    assert len(imported(engine, "workshop-a")) == len(imported(engine, "workshop-b")) == 5
    engine.dispose()


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
    ],
)
def test_utf_encodings_are_recognised(tmp_path: Path, sqlite_url: str, encoding: str, prefix: bytes) -> None:
    text = "id,text,author\r\n1,政府資料開放，請加強,王小明\r\n2,第二則 😀,\r\n"
    path = tmp_path / "c.csv"
    path.write_bytes(prefix + text.encode(encoding))
    engine = open_database(sqlite_url)
    assert import_file(path, engine).new == 2
    stored = imported(engine)
    assert (stored["1"].text, stored["1"].author, stored["2"].text) == (
        "政府資料開放，請加強",
        "王小明",
        "第二則 😀",
    )
    engine.dispose()


def test_big5_is_accepted_only_when_named(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "big5.csv"
    path.write_bytes("id,text\n1,臺灣的開放政府\n".encode("big5"))
    engine = open_database(sqlite_url)
    assert import_file(path, engine, encoding="big5").new == 1
    assert imported(engine)["1"].text == "臺灣的開放政府"
    engine.dispose()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-02-21", datetime(2020, 2, 21, tzinfo=TAIPEI)),
        ("2020-02-21 13:05:09", datetime(2020, 2, 21, 13, 5, 9, tzinfo=TAIPEI)),
        ("2020-02-21T05:05:09Z", datetime(2020, 2, 21, 5, 5, 9, tzinfo=UTC)),
        ("2020-02-21T13:05:09+08:00", datetime(2020, 2, 21, 5, 5, 9, tzinfo=UTC)),
        ("2020/2/21", datetime(2020, 2, 21, tzinfo=TAIPEI)),
        ("2020/02/21 13:05", datetime(2020, 2, 21, 13, 5, tzinfo=TAIPEI)),
        ("109/02/21", datetime(2020, 2, 21, tzinfo=TAIPEI)),
        ("109-2-21", datetime(2020, 2, 21, tzinfo=TAIPEI)),
        ("99/12/31", datetime(2010, 12, 31, tzinfo=TAIPEI)),
        ("民國109年2月21日", datetime(2020, 2, 21, tzinfo=TAIPEI)),
        ("109年2月21日 09:30", datetime(2020, 2, 21, 9, 30, tzinfo=TAIPEI)),
        ("2020年2月21日", datetime(2020, 2, 21, tzinfo=TAIPEI)),
        ("  ", None),
    ],
)
def test_dates_people_write(value: str, expected: datetime | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "21/02/2020",
        "Feb 21 2020",
        "109/13/01",
        "2020-02-30",
        "民國2020年1月1日",
        "0001-01-01",
        "yesterday",
        "2020-02-21 25:00",
    ],
)
def test_dates_that_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"date|year"):
        parse_date(value)


# ---------------------------------------------------------------------------------------------- open data


def idea_entry(uuid: str, endorse: object = "5,104", sent: str = "無") -> dict[str, object]:
    """One object of /toOpenData/v2/ey/idea, keys in the site's order (docs/site-shapes.md)."""
    return {
        "publishDate": "2024-01-14 00:01:18",
        "網址": f"https://join.gov.tw/idea/detail/{uuid}",
        "標題": "請政府公開預算資料",
        "提議內容": "<p>公開<br>預算</p>",
        "利益與影響": "透明",
        "附議數量": endorse,
        "附議門檻": 5000,
        "提送日期": sent,
        "關注數量": "12",
        "留言數量": 3,
        "googleAnalytics": 345.0,
        "提議者": "示例使用者",
    }


def test_opendata_ideas_become_idea_rows(tmp_path: Path, db_url: str) -> None:
    entries = [
        idea_entry("0794207b-5f1e-4b8e-a3c9-111111111111"),
        idea_entry("8661d539-aaaa-4b8e-a3c9-222222222222", endorse=120, sent="2024-03-01 10:00:00"),
    ]
    path = tmp_path / "idea.json"
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=2), encoding="utf-8")
    engine = open_database(db_url)
    summary = import_file(path, engine)
    assert (summary.format, summary.rows_read, summary.new) == ("opendata-idea", 2, 2)
    with session_factory(engine)() as session:
        ideas = {i.uuid: i for i in session.scalars(select(Idea))}
    first = ideas["0794207b-5f1e-4b8e-a3c9-111111111111"]
    assert (first.site, first.title, first.endorse_count, first.endorse_goal, first.follower_count) == (
        "join.gov.tw",
        "請政府公開預算資料",
        5104,
        5000,
        12,
    )
    assert first.passed_at is None
    assert as_taipei(first.published_at) == datetime(2024, 1, 14, 0, 1, 18, tzinfo=TAIPEI)
    assert as_taipei(ideas["8661d539-aaaa-4b8e-a3c9-222222222222"].passed_at) == datetime(
        2024, 3, 1, 10, tzinfo=TAIPEI
    )
    before = data_tables(db_url)
    again = import_file(path, engine)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert data_tables(db_url) == before
    engine.dispose()


def test_opendata_import_leaves_crawled_fields_alone(tmp_path: Path, sqlite_url: str) -> None:
    """Status and agency come from the detail page: a later open-data import must not blank them."""
    uuid = "0794207b-5f1e-4b8e-a3c9-111111111111"
    engine = open_database(sqlite_url)
    with session_factory(engine)() as session, session.begin():
        session.add(
            Idea(site="join.gov.tw", uuid=uuid, title="舊標題", status="Completed", agency="國家發展委員會")
        )
    path = tmp_path / "idea.json"
    path.write_text(json.dumps([idea_entry(uuid)], ensure_ascii=False), encoding="utf-8")
    summary = import_file(path, engine)
    assert (summary.new, summary.updated) == (0, 1)
    with session_factory(engine)() as session:
        idea = session.scalars(select(Idea)).one()
    assert (idea.title, idea.status, idea.agency, idea.endorse_count) == (
        "請政府公開預算資料",
        "Completed",
        "國家發展委員會",
        5104,
    )
    engine.dispose()


def test_opendata_policies_current_shape(tmp_path: Path, sqlite_url: str) -> None:
    entries = [
        {
            "標題": "我國第一期開放政府國家行動方案（草案）",
            "網址": "https://join.gov.tw/policies/detail/031e9918-59d5-4a1a-b105-96af228f3147",
            "提議機關": "國家發展委員會",
            "發佈日期": "2020-02-21 00:00:00",
            "下線日期": "2020-03-06 23:59:59",
            "關注數量": "88",
            "留言數量": "131",
        }
    ]
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    engine = open_database(sqlite_url)
    assert import_file(path, engine).format == "opendata-policy"
    with session_factory(engine)() as session:
        policy = session.scalars(select(Policy)).one()
    assert (
        policy.site,
        policy.uuid,
        policy.agency,
        policy.follower_count,
        policy.declared_comment_count,
    ) == ("join.gov.tw", "031e9918-59d5-4a1a-b105-96af228f3147", "國家發展委員會", 88, 131)
    assert as_taipei(policy.closes_at) == datetime(2020, 3, 6, 23, 59, 59, tzinfo=TAIPEI)
    engine.dispose()


def policy_2017(messages: list[dict[str, str]]) -> list[dict[str, object]]:
    return [
        {
            "url": "https://join.gov.tw/policies/detail/b51a8a5e-1b5e-4a6e-9d39-6ba2f1d2c0a7",
            "title": "數位經濟法草案",
            "messages": messages,
        }
    ]


def test_opendata_policies_2017_shape_gives_comments_with_stable_ids(tmp_path: Path, db_url: str) -> None:
    messages = [
        {"createDate": "2017-03-01 10:00:00", "authorName": "示例使用者", "content": "<p>支持</p>"},
        {"createDate": "2017-03-01 11:00:00", "authorName": "示例使用者", "content": "反對"},
        {"createDate": "2017-03-01 11:00:00", "authorName": "示例使用者", "content": "反對"},
    ]
    path = tmp_path / "policy-2017.json"
    path.write_text(json.dumps(policy_2017(messages), ensure_ascii=False), encoding="utf-8")
    engine = open_database(db_url)
    summary = import_file(path, engine)
    assert (summary.format, summary.rows_read, summary.new) == (
        "opendata-policy-2017",
        1,
        4,
    )  # 1 policy + 3 comments
    with session_factory(engine)() as session:
        comments = session.scalars(select(Comment).order_by(Comment.created_at, Comment.msg_uid)).all()
        policy = session.scalars(select(Policy)).one()
    assert policy.uuid == "b51a8a5e-1b5e-4a6e-9d39-6ba2f1d2c0a7"
    assert len(comments) == 3  # two identical messages are still two comments
    assert all(len(c.msg_uid) <= 40 and c.msg_uid.startswith("od-") for c in comments)
    assert comments[0].text == "支持"
    assert {c.policy_uuid for c in comments} == {policy.uuid}
    # open data names only the author: every imported message counts as public input (documented)
    assert {c.author_kind for c in comments} == {"citizen"}
    before = data_tables(db_url)
    assert import_file(path, engine).unchanged == 4
    assert data_tables(db_url) == before
    engine.dispose()


def test_comment_ids_are_deterministic() -> None:
    assert comment_id("p", 0, "x") == comment_id("p", 0, "x")
    assert (
        len(
            {
                comment_id("p", 0, "x"),
                comment_id("p", 1, "x"),
                comment_id("q", 0, "x"),
                comment_id("p", 0, "y"),
            }
        )
        == 4
    )
    assert len(comment_id("031e9918-59d5-4a1a-b105-96af228f3147", 10**6, "x" * 500)) == 40


def test_recorded_fixture_files_import(tmp_path: Path, sqlite_url: str) -> None:
    """The files under tests/fixtures/import/ (small, hand-written in the documented shapes) all import."""
    engine = open_database(sqlite_url)
    formats = {path.name: import_file(path, engine).format for path in sorted(FIXTURES.glob("good-*"))}
    assert formats == {
        "good-comments.csv": "csv",
        "good-idea.json": "opendata-idea",
        "good-policy-2017.json": "opendata-policy-2017",
        "good-policy.json": "opendata-policy",
    }
    engine.dispose()
