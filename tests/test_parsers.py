"""Every page parser against its recorded fixtures (tests/fixtures/<page_type>/<case>/).

Cases named ``error_*`` must raise; their ``expected.json`` names the exception and a fragment of its
message. Set ``UPDATE_FIXTURES=1`` to rewrite ``expected.json`` from the parsers (then review the diff).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from crawler.pages.comment_board import parse_comment_board
from crawler.pages.common import ChallengePage, FieldLog, LayoutError, parse_site_datetime, to_int
from crawler.pages.idea_detail import read_idea_detail
from crawler.pages.idea_list import parse_idea_list
from crawler.pages.opendata import OpenDataError, parse_idea_opendata, parse_policy_opendata
from crawler.pages.policy_detail import read_policy_detail

UPDATE = os.environ.get("UPDATE_FIXTURES") == "1"

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def file_response(case_dir: Path) -> TextResponse:
    """The fixture's input as a response carrying its real URL (and status, for a recorded 503)."""
    meta = json.loads((case_dir / "meta.json").read_text(encoding="utf-8"))
    path = next(p for p in sorted(case_dir.iterdir()) if p.name.startswith("input."))
    body = path.read_bytes()
    cls = HtmlResponse if path.suffix == ".html" else TextResponse
    content_type = (
        b"text/html; charset=utf-8" if path.suffix == ".html" else b"application/json;charset=UTF-8"
    )
    return cls(
        url=meta["url"],
        body=body,
        encoding="utf-8",
        status=int(meta.get("status", 200)),
        headers={"Content-Type": content_type},
        request=Request(meta["url"]),
    )


def meta_of(case_dir: Path) -> dict[str, Any]:
    return dict(json.loads((case_dir / "meta.json").read_text(encoding="utf-8")))


def to_plain(value: Any) -> Any:
    """Items as JSON-ready values; datetimes keep their offset so a timezone slip shows in the diff."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "_type": type(value).__name__,
            **{f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def cases(page_type: str) -> list[Path]:
    return sorted(p for p in (FIXTURES / page_type).iterdir() if p.is_dir())


def _board(case: Path) -> Any:
    response = file_response(case)
    return parse_comment_board(response.body, response.url, meta_of(case)["policy_uuid"])


def _opendata(parser: Callable[..., Any]) -> Callable[[Path], Any]:
    """Strict (as the importer reads files) unless the case is named ``crawl_*`` (as the crawler reads the
    site: only the URL required, missing fields listed)."""

    def run(case: Path) -> Any:
        response = file_response(case)
        if not case.name.startswith("crawl_"):
            return parser(json.loads(response.text), source=response.url)
        log, skipped = FieldLog(), list[OpenDataError]()
        entries = parser(json.loads(response.text), source=response.url, log=log, skipped=skipped)
        return {"entries": entries, "missing": log.missing, "skipped": [str(e) for e in skipped]}

    return run


PARSERS: dict[str, Callable[[Path], Any]] = {
    "comment_board": _board,
    "idea_detail": lambda case: read_idea_detail(file_response(case), meta_of(case)["url"]),
    "idea_list": lambda case: parse_idea_list(file_response(case), meta_of(case)["url"]),
    "policy_detail": lambda case: read_policy_detail(file_response(case), meta_of(case)["url"]),
    "opendata_policy": _opendata(parse_policy_opendata),
    "opendata_idea": _opendata(parse_idea_opendata),
}
ALL_CASES = [pytest.param(kind, case, id=f"{kind}/{case.name}") for kind in PARSERS for case in cases(kind)]


@pytest.mark.parametrize(("kind", "case"), ALL_CASES)
def test_fixture(kind: str, case: Path) -> None:
    expected_path = case / "expected.json"
    try:
        outcome: Any = {"result": to_plain(PARSERS[kind](case))}
    except Exception as exc:
        outcome = {"error": type(exc).__name__, "message": str(exc)}
    if UPDATE or not expected_path.exists():
        expected_path.write_text(json.dumps(outcome, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote missing {expected_path}; review it")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert case.name.startswith("error_") == ("error" in expected), "error cases must raise, others must not"
    assert outcome == expected


def test_deleted_comment_and_reply_kept_with_flags() -> None:
    page = _board(Path(__file__).parent / "fixtures/comment_board/last_page_deleted_entities_emoji_long")
    deleted, reply = page.comments
    assert deleted.is_deleted
    assert deleted.text == "使用者已自行刪除留言"
    assert reply.parent_msg_uid == deleted.msg_uid == "1712345678901"
    assert reply.text.startswith("同意 & 支持 <開放政府> 😀🇹🇼 謝謝👍")
    assert len(reply.text) > 4000
    assert reply.like_count == 12
    assert reply.unlike_count == 0
    assert reply.created_at is not None
    assert reply.created_at.isoformat() == "2020-03-06T00:30:00+08:00"
    assert (page.current_page, page.total_pages) == (3, 3)


def test_comment_time_is_utc_cdate_shown_in_taipei() -> None:
    page = _board(Path(__file__).parent / "fixtures/comment_board/sample_2017_one_page_with_reply")
    # cdate "2015-09-15 01:44:02" UTC equals beforeNow "2015-09-15 09:44:02" in Taiwan.
    assert page.comments[0].created_at.isoformat() == "2015-09-15T09:44:02+08:00"
    assert [c.parent_msg_uid for c in page.comments] == [None, page.comments[0].msg_uid]
    assert "userEmail" not in json.dumps(to_plain(page))
    assert "0.0.0.0" not in json.dumps(to_plain(page))


def test_placeholder_response_detected() -> None:
    idea = PARSERS["idea_detail"](
        Path(__file__).parent / "fixtures/idea_detail/completed_2017_placeholder"
    ).value
    assert idea.status == "Completed"
    assert idea.responses[0].is_placeholder
    assert idea.responses[0].agency == "教育部"


def test_embedded_json_preferred_over_html() -> None:
    fixtures = Path(__file__).parent / "fixtures/idea_detail"
    rich = PARSERS["idea_detail"](fixtures / "advice_2017").value
    bare = PARSERS["idea_detail"](fixtures / "html_fallback_no_embedded_json").value
    assert (rich.uuid, rich.title, rich.endorse_count) == (bare.uuid, bare.title, bare.endorse_count)
    assert rich.agency == "法務部"
    assert bare.agency == ""


@pytest.mark.parametrize("kind", ["comment_board", "idea_detail", "policy_detail"])
def test_challenge_is_its_own_error(kind: str) -> None:
    with pytest.raises(ChallengePage, match="challenge"):
        PARSERS[kind](Path(__file__).parent / f"fixtures/{kind}/error_challenge")


def test_layout_error_names_url() -> None:
    case = Path(__file__).parent / "fixtures/idea_list/error_layout_changed"
    with pytest.raises(LayoutError) as info:
        PARSERS["idea_list"](case)
    assert meta_of(case)["url"] in str(info.value)
    assert "#searchResult" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (5104, 5104),
        ("5104", 5104),
        ("1,204", 1204),
        ("", None),
        ("無", None),
        (None, None),
        (True, None),
        ("12.0", 12),
        ("abc", None),
    ],
)
def test_to_int(raw: Any, expected: int | None) -> None:
    assert to_int(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-02-21 10:00:00", "2020-02-21T10:00:00+08:00"),
        ("2019/7/1", "2019-07-01T00:00:00+08:00"),
        (1474901061000, "2016-09-26T22:44:21+08:00"),
        ("1474901061000", "2016-09-26T22:44:21+08:00"),
        ("", None),
        ("無", None),
        ("2020-02-30", None),
    ],
)
def test_parse_site_datetime(raw: Any, expected: str | None) -> None:
    value = parse_site_datetime(raw)
    assert (value.isoformat() if value else None) == expected


AGENCY_CASE = Path(__file__).parent / "fixtures/comment_board/agency_accounts_2015_2016"


def test_agency_accounts_seen_in_the_archive_are_agency_replies() -> None:
    page = _board(AGENCY_CASE)
    kinds = {c.msg_uid: c.author_kind for c in page.comments}
    assert {uid for uid, kind in kinds.items() if kind == "agency"} == {
        "1470389942380",  # 體育署: EGOV + isAdmin + organizationName (recorded)
        "1952245736",  # the platform's DISQUS-ndcjoin 客服小組 (recorded)
        "2258216768",  # 文化部's DISQUS-youthgom (recorded)
        "2301984258",  # the airport's DISQUS-T3pushTAC, top-level (recorded)
        "1470800000001",  # EGOV alone
        "1470800000002",  # isAdmin alone
        "1470800000003",  # organizationName alone
    }
    # anonymous, GOOGLE with profile entries, and a citizen calling himself 客服小組 stay citizens
    assert kinds["1470972093313"] == kinds["1470790385476"] == kinds["1470800000004"] == "citizen"
    assert "userEmail" not in json.dumps(to_plain(page))


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ({"userRegisterFrom": "EGOV", "isAdmin": False, "userProfiles": []}, "agency"),
        ({"userId": "EGOV-someone", "userRegisterFrom": None}, "agency"),
        ({"userRegisterFrom": "DISQUS", "isAdmin": True}, "agency"),
        ({"userRegisterFrom": "JOIN", "isAdmin": "true"}, "agency"),
        ({"userProfiles": [{"profileId": "organizationName", "content": "國家發展委員會"}]}, "agency"),
        ({"userProfiles": {"organizationName": "內政部"}}, "agency"),
        ({"userId": "DISQUS-ndcjoin", "userRegisterFrom": "DISQUS"}, "agency"),
        ({"userId": None, "userRegisterFrom": "DISQUS", "openId": "ndcjoin"}, "agency"),
        ({"userRegisterFrom": "DISQUS", "isAdmin": False, "userProfiles": []}, "citizen"),
        ({"userProfiles": [{"profileId": "organizationName", "content": ""}]}, "citizen"),
        ({"userRegisterFrom": None, "userId": None, "isAdmin": "N"}, "citizen"),
        ({"displayName": "公共政策網路參與平臺客服小組", "userId": "DISQUS-someone-else"}, "citizen"),
        (None, "citizen"),
        ("not an object", "citizen"),
    ],
)
def test_author_kind_rule(author: Any, expected: str) -> None:
    from crawler.pages.comment_board import author_kind

    assert author_kind(author) == expected
