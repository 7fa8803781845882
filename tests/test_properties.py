"""Property tests: any input either works or is refused with the project's clear error type.

- the import path: any bytes, any CSV, any JSON, any open-data-shaped JSON → an import or a one-line
  ``UserError``; never another exception, never a partial write;
- the crawler's parsers (``crawler/pages/``, open data included): any input parses or raises their
  own error type (``OpenDataError``, ``LayoutError``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from parsel import Selector
from sqlalchemy import Engine, select

from base.errors import UserError
from crawler.importing import import_file
from crawler.importing.dates import parse_date
from crawler.pages.comment_board import parse_comment_board
from crawler.pages.common import LayoutError
from crawler.pages.idea_detail import idea_from_json, parse_idea_detail
from crawler.pages.idea_list import parse_idea_list
from crawler.pages.opendata import OpenDataError, parse_idea_opendata, parse_policy_opendata
from crawler.pages.policy_detail import parse_policy_detail
from storage.db import open_database, session_factory
from storage.models import ImportedItem
from tests.conftest import dump_database

# Each example of the import properties is a real import into a real database: fewer, but real.
# JOINFEEDBACK_PROPERTY_SCALE=10 runs ten times as many examples (for a bug hunt, not for CI).
SCALE = max(1, int(os.environ.get("JOINFEEDBACK_PROPERTY_SCALE", "1")))
SETTINGS = settings(
    max_examples=60 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PARSER_SETTINGS = settings(max_examples=300 * SCALE, deadline=None)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
UUIDS = st.uuids().map(str)
# Values the site really sends mixed with anything at all, so both the happy and the odd paths run.
site_numbers = (
    st.integers(-5, 10**6) | st.integers(0, 10**6).map(str) | st.sampled_from(["", "無", "5,104", "1e3", "-"])
)
site_dates = st.sampled_from(
    ["2024-01-14 00:01:18", "無", "", "2020/02/21", "109/02/21", "1582624800000"]
) | st.text(max_size=20)


def site_or_any(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy | json_values


def as_is(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy


def idea_entries(value: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Objects of /toOpenData/v2/ey/idea; ``value`` wraps each value strategy (realistic, or anything)."""
    return st.fixed_dictionaries(
        {
            "網址": value(UUIDS.map(lambda u: f"https://join.gov.tw/idea/detail/{u}") | st.text(max_size=40)),
            "標題": value(st.text(min_size=1, max_size=40)),
        },
        optional={
            "publishDate": value(site_dates),
            "提議內容": value(st.text(max_size=80)),
            "利益與影響": value(st.text(max_size=40)),
            "附議數量": value(site_numbers),
            "附議門檻": value(site_numbers),
            "提送日期": value(site_dates),
            "關注數量": value(site_numbers),
            "留言數量": value(site_numbers),
            "googleAnalytics": value(site_numbers),
            "提議者": value(st.text(max_size=20)),
        },
    )


def policy_entries(value: Any) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "標題": value(st.text(min_size=1, max_size=40)),
            "網址": value(UUIDS.map(lambda u: f"https://join.gov.tw/policies/detail/{u}")),
        },
        optional={
            "提議機關": value(st.text(max_size=20)),
            "發佈日期": value(site_dates),
            "下線日期": value(site_dates),
            "關注數量": value(site_numbers),
            "留言數量": value(site_numbers),
        },
    )


def policy_2017_entries(value: Any) -> st.SearchStrategy[dict[str, Any]]:
    messages = st.lists(
        st.fixed_dictionaries(
            {"content": value(st.text(max_size=60))},
            optional={"createDate": value(site_dates), "authorName": value(st.text(max_size=20))},
        ),
        max_size=4,
    )
    return st.fixed_dictionaries(
        {
            "url": value(UUIDS.map(lambda u: f"https://join.gov.tw/policies/detail/{u}")),
            "title": value(st.text(min_size=1, max_size=40)),
        },
        optional={"messages": value(messages)},
    )


# Realistic entries (values as the site sends them) and fuzzed ones (any JSON value in any field).
opendata_documents = st.one_of(
    *(
        st.lists(shape(wrap), min_size=1, max_size=5)
        for shape in (idea_entries, policy_entries, policy_2017_entries)
        for wrap in (as_is, site_or_any)
    ),
    json_values,
)


def attempt(function: Any, *args: Any, **kwargs: Any) -> Any:
    """The function's result, or the exception it raised (so the test can say which kinds are allowed)."""
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        return exc


class ImportBench:
    """One database for all examples of a test; every example checks the all-or-nothing rule."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder = folder
        self.url = url
        self.engine: Engine = open_database(url)
        self.counter = 0

    def attempt(self, content: bytes, suffix: str = ".csv", **options: Any) -> bool:
        self.counter += 1
        path = self.folder / f"input-{self.counter}{suffix}"
        path.write_bytes(content)
        before = dump_database(self.engine)
        try:
            summary = import_file(path, self.engine, **options)
        except UserError as exc:
            message = str(exc)
            assert "\n" not in message, message
            assert message.startswith(str(path)), message
            assert dump_database(self.engine) == before, "a refused file changed the database"
            return False
        assert summary.new + summary.updated + summary.unchanged >= summary.rows_read
        return True


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def bench(request: pytest.FixtureRequest) -> Iterator[ImportBench]:
    with tempfile.TemporaryDirectory(prefix="jf-properties-") as folder:
        url = (
            f"sqlite:///{folder}/properties.db"
            if request.param == "sqlite"
            else str(request.getfixturevalue("pg_url"))
        )
        bench = ImportBench(Path(folder), url)
        yield bench
        bench.engine.dispose()


@SETTINGS
@given(content=st.binary(max_size=300))
@example(content=b"")
@example(content=b"\xff\xfe")
@example(content=b"id,text\n1,\x00\n")
@example(content=b"id,text\r1,a\r2,b")
def test_any_bytes_import_or_are_refused(bench: ImportBench, content: bytes) -> None:
    bench.attempt(content)


csv_fields = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
csv_values = csv_fields | st.sampled_from(["109/02/21", "民國109年2月21日", "2020-02-21 10:00:00", "x", " "])
usable_headers = st.sets(st.sampled_from(["author", "created_at", "url"])).flatmap(
    lambda extra: st.permutations(["id", "text", *sorted(extra)])
)
any_headers = st.lists(
    st.sampled_from(["id", "text", "author", "created_at", "url", "extra", ""]), min_size=1, max_size=6
)


@SETTINGS
@given(data=st.data(), header=usable_headers | any_headers, bom=st.booleans())
def test_any_csv_imports_or_is_refused(
    bench: ImportBench, data: st.DataObject, header: list[str], bom: bool
) -> None:
    width = st.just(len(header)) | st.integers(0, 7)
    rows = data.draw(
        st.lists(width.flatmap(lambda n: st.lists(csv_values, min_size=n, max_size=n)), max_size=6)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    bench.attempt((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))


# ids are echoed in messages and file names: control characters, line breaks and bidi controls are refused
usable_ids = st.text(
    st.characters(
        exclude_categories=("Cc", "Cs", "Zl", "Zp"),
        exclude_characters="\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    min_size=1,
    max_size=10,
)


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(usable_ids, st.text(min_size=1, max_size=40)),
        min_size=1,
        max_size=8,
        unique_by=lambda row: row[0].strip(),
    )
)
def test_valid_csv_stores_exactly_its_rows(bench: ImportBench, rows: list[tuple[str, str]]) -> None:
    """When every id and text is usable the import succeeds and stores each row as written (trimmed)."""
    assume(all(i.strip() and t.strip() and "\x00" not in i + t for i, t in rows))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "text"])
    writer.writerows(rows)
    dataset = f"p{bench.counter}"
    assert bench.attempt(buffer.getvalue().encode("utf-8"), dataset=dataset)
    with session_factory(bench.engine)() as session:
        query = select(ImportedItem.item_id, ImportedItem.text).where(ImportedItem.dataset == dataset)
        stored = dict(session.execute(query).all())
    assert stored == {i.strip(): t.strip() for i, t in rows}


@SETTINGS
@given(document=json_values)
@example(document=[{"\n": 0}])  # found by exploration: the refusal listed the keys with a raw line break
def test_any_json_imports_or_is_refused(bench: ImportBench, document: Any) -> None:
    bench.attempt(json.dumps(document, ensure_ascii=False).encode(), suffix=".json")


@SETTINGS
@given(document=opendata_documents, ascii_only=st.booleans())
def test_any_opendata_shaped_json_imports_or_is_refused(
    bench: ImportBench, document: Any, ascii_only: bool
) -> None:
    bench.attempt(json.dumps(document, ensure_ascii=ascii_only, indent=1).encode(), suffix=".json")


@PARSER_SETTINGS
@given(value=st.text(max_size=30) | site_dates)
def test_any_date_text_parses_or_raises_value_error(value: str) -> None:
    outcome = attempt(parse_date, value)
    if isinstance(outcome, Exception):
        assert isinstance(outcome, ValueError), repr(outcome)
        assert str(outcome)
    else:
        assert outcome is None or outcome.tzinfo is not None


# ------------------------------------------------------------------------------------------ crawler parsers


@PARSER_SETTINGS
@given(document=opendata_documents)
@example(
    document=[
        {
            "標題": "0",
            "網址": "https://join.gov.tw/policies/detail/e3e70682-c209-4cac",
            "發佈日期": -62135596800001,
        }
    ]
)
def test_opendata_parsers_return_items_or_raise_opendata_error(document: Any) -> None:
    for parser in (parse_idea_opendata, parse_policy_opendata):
        outcome = attempt(parser, document, source="fuzz.json")
        if isinstance(outcome, Exception):
            assert isinstance(outcome, OpenDataError), repr(outcome)
            assert "\n" not in str(outcome)


PAGE_URL = "https://join.gov.tw/idea/detail/0794207b-1111-2222-3333-444444444444"
html_pieces = st.sampled_from(
    [
        "<html>",
        "</html>",
        "<title>提議｜公共政策網路參與平臺</title>",
        '<div id="policyDetail" data-uuid="x">',
        '<h1 class="policy-title">',
        "</h1>",
        '<div class="policy-content">',
        "</div>",
        "var idea = ",
        "var searchResult = ",
        "{",
        "}",
        '"id": "x", ',
        '"title": "t", ',
        '"publishDate": 1582624800000, ',
        '"govResponses": [',
        "]",
        ";",
        '<div class="detail-join-num">已附議 12／尚餘 3 日</div>',
        '<div id="searchResult">',
        '<div class="list_item">',
        '<h4><a href="/idea/detail/abc">x</a></h4>',
        '<form id="naviPageForm">1 / 3</form>',
        "<script>",
        "</script>",
    ]
) | st.text(max_size=20)


@PARSER_SETTINGS
@given(pieces=st.lists(html_pieces, max_size=25))
def test_page_parsers_return_items_or_raise_layout_error(pieces: list[str]) -> None:
    selector = Selector(text="".join(pieces) or "<html></html>")
    for parse in (parse_idea_detail, parse_idea_list, parse_policy_detail):
        outcome = attempt(parse, selector, PAGE_URL)
        if isinstance(outcome, Exception):
            assert isinstance(outcome, LayoutError), repr(outcome)
            assert PAGE_URL in str(outcome)


@PARSER_SETTINGS
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "id",
                "title",
                "outline",
                "content",
                "outcome",
                "status",
                "publishDate",
                "endorseCount",
                "endorseGoal",
                "endorseDueDate",
                "attentionCount",
                "commentCount",
                "secondSignedTime",
                "approvedDueDate",
                "advisedTime",
                "proposer",
                "approvalOrganization",
                "govResponses",
                "updateDate",
            ]
        ),
        json_values,
        max_size=12,
    )
)
@example(data={"title": "t", "id": "x", "publishDate": -62135596800001})
def test_embedded_idea_json_parses_or_raises_layout_error(data: dict[str, Any]) -> None:
    outcome = attempt(idea_from_json, data, PAGE_URL)
    assert not isinstance(outcome, Exception) or isinstance(outcome, LayoutError), repr(outcome)


@PARSER_SETTINGS
@given(
    body=json_values
    | st.fixed_dictionaries(
        {
            "result": st.lists(
                st.dictionaries(
                    st.sampled_from(
                        [
                            "msgUid",
                            "content",
                            "content4Html",
                            "cdate",
                            "parentMsgUid",
                            "replyMessages",
                            "likeCount",
                            "unlikeCount",
                            "isDeleted",
                            "author",
                        ]
                    ),
                    json_values,
                    max_size=8,
                ),
                max_size=3,
            )
        },
        optional={"totalResults": json_scalars, "totalPages": json_scalars, "currentPage": json_scalars},
    )
)
def test_comment_board_parses_or_raises_layout_error(body: Any) -> None:
    url = "https://join.gov.tw/joinComments/board/policy/p?size=20&page=1"
    # The parser takes the body as text or as already-decoded JSON (a mapping): both are tried.
    for payload in (json.dumps(body), *([body] if isinstance(body, dict) else [])):
        outcome = attempt(parse_comment_board, payload, url, "p")
        assert not isinstance(outcome, Exception) or isinstance(outcome, LayoutError), repr(outcome)
