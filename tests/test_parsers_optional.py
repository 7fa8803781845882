"""Every optional part of every page type, taken away one at a time: the parser still returns the required
data (the same ids, the same comments and proposals) and names the missing field; only required data missing
is an error (it names the page, the field and what was tried)."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.items import TAIPEI, PolicyListEntry
from crawler.pages.comment_board import parse_comment_board
from crawler.pages.common import FieldLog, LayoutError
from crawler.pages.idea_detail import read_idea_detail
from crawler.pages.idea_list import parse_idea_list
from crawler.pages.opendata import parse_idea_opendata, parse_policy_opendata
from crawler.pages.policy_detail import policy_from_sources, read_policy_detail

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class Page:
    def __init__(self, text: str) -> None:
        self.text = text


def fixture(path: str) -> tuple[str, str]:
    case = FIXTURES / path
    url = json.loads((case / "meta.json").read_text(encoding="utf-8"))["url"]
    body = next(p for p in case.iterdir() if p.name.startswith("input.")).read_text(encoding="utf-8")
    return body, url


# ---- consultation page: HTML parts of the inferred block, and <title>


POLICY_BODY, POLICY_URL = fixture("policy_detail/ogp_2020_with_attachments")
POLICY_PARTS = {
    "title": (r"<title>.*?</title>", "<title></title>"),
    "agency": (r'<li class="org">.*?</li>', ""),
    "published_at": (r'<span class="info-value start">.*?</span>', ""),
    "closes_at": (r'<span class="info-value end">.*?</span>', ""),
    "body": (r'<div class="policy-content">.*?</div>\n', ""),
    "attachments": (r'<ul class="attachments">.*?</ul>', ""),
}


@pytest.mark.parametrize("field", sorted(POLICY_PARTS))
def test_policy_page_without_each_optional_part(field: str) -> None:
    pattern, replacement = POLICY_PARTS[field]
    html = re.sub(pattern, replacement, POLICY_BODY, count=1, flags=re.S)
    if field == "title":  # the title has three homes on the page: take all of them away
        html = re.sub(r"<h1.*?</h1>", "", html, flags=re.S)
    assert html != POLICY_BODY
    reading = read_policy_detail(Page(html), POLICY_URL)
    assert reading.value.uuid == "031e9918-59d5-4a1a-b105-96af228f3147"
    assert [m.field for m in reading.missing] == [field]
    assert reading.missing[0].tried  # says what was looked at
    # the open-data entry fills what it has (title, agency, dates), so those warnings go away
    moment = datetime(2020, 2, 21, tzinfo=TAIPEI)
    entry = PolicyListEntry(
        uuid=reading.value.uuid, title="T", url=POLICY_URL, agency="A", published_at=moment, closes_at=moment
    )
    merged = policy_from_sources(reading, entry)
    assert [m.field for m in merged.missing] == ([field] if field in {"body", "attachments"} else [])


def test_policy_page_without_any_id_is_the_one_failure() -> None:
    with pytest.raises(
        LayoutError, match=r"https://join.gov.tw/: layout changed: required consultation uuid"
    ):
        read_policy_detail(
            Page(POLICY_BODY.replace('data-uuid="031e9918-59d5-4a1a-b105-96af228f3147"', "")),
            "https://join.gov.tw/",
        )


# ---- comment board JSON: pager keys and each comment's optional keys


BOARD_BODY, BOARD_URL = fixture("comment_board/sample_2017_one_page_with_reply")
BOARD = json.loads(BOARD_BODY)
# field -> ("envelope", its key) or ("comments", the keys it is read from in each comment)
BOARD_OPTIONAL: dict[str, tuple[str, str | tuple[str, ...]]] = {
    "current_page": ("envelope", "currentPage"),
    "total_pages": ("envelope", "totalPages"),
    "total_results": ("envelope", "totalResults"),
    "created_at": ("comments", ("cdate", "beforeNow")),
    "author": ("comments", ("author",)),
    "like_count": ("comments", ("likeCount",)),
    "content": ("comments", ("content", "oriContent", "content4Html")),
}


def _strip_comments(comments: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    for comment in comments:
        for key in keys:
            comment.pop(key, None)
        _strip_comments(comment.get("replyMessages") or [], keys)


@pytest.mark.parametrize("field", sorted(BOARD_OPTIONAL))
def test_board_without_each_optional_key(field: str) -> None:
    where, keys = BOARD_OPTIONAL[field]
    data = copy.deepcopy(BOARD)
    if where == "envelope":
        del data[keys]
    else:
        assert isinstance(keys, tuple)
        _strip_comments(data["result"], keys)
    full = parse_comment_board(BOARD_BODY, BOARD_URL, "p")
    page = parse_comment_board(json.dumps(data), BOARD_URL, "p")
    assert [(c.msg_uid, c.parent_msg_uid) for c in page.comments] == [
        (c.msg_uid, c.parent_msg_uid) for c in full.comments
    ]
    assert [m.field for m in page.missing] == [field]


def test_board_without_its_json_names_the_page_and_what_was_tried() -> None:
    with pytest.raises(LayoutError) as info:
        parse_comment_board("<html><body><div id='app'></div></body></html>", BOARD_URL, "p")
    assert BOARD_URL in str(info.value)
    assert "required comment board not found" in str(info.value)
    broken = copy.deepcopy(BOARD)
    del broken["result"][0]["msgUid"]
    with pytest.raises(LayoutError, match="required comment id not found"):
        parse_comment_board(json.dumps(broken), BOARD_URL, "p")


# ---- proposal list: each entry's optional keys and the pager


LIST_BODY, LIST_URL = fixture("idea_list/middle_page")
LIST_OPTIONAL = {
    "title": "title",
    "status": "status",
    "endorse_count": "endorseCount",
    "comment_count": "commentCount",
    "follower_count": "attentionCount",
    "published_at": "publishDate",
    "current_page": "currentPage",
    "total_pages": "totalPages",
    "total_results": "totalResults",
}


def _list_envelope(html: str) -> dict[str, Any]:
    match = re.search(r"var searchResult = (\{.*\});</script>", html)
    assert match
    return dict(json.loads(match.group(1)))


@pytest.mark.parametrize("field", sorted(LIST_OPTIONAL))
def test_list_without_each_optional_key(field: str) -> None:
    envelope = _list_envelope(LIST_BODY)
    key = LIST_OPTIONAL[field]
    if key in envelope:
        del envelope[key]
    for entry in envelope["result"]:
        entry.pop(key, None)
    html = re.sub(
        r"var searchResult = \{.*\};</script>",
        lambda _m: f"var searchResult = {json.dumps(envelope)};</script>",
        LIST_BODY,
    )
    full = parse_idea_list(Page(LIST_BODY), LIST_URL)
    page = parse_idea_list(Page(html), LIST_URL)
    assert [e.uuid for e in page.entries] == [e.uuid for e in full.entries] != []
    assert [m.field for m in page.missing] == [field]


def test_empty_state_saying_one_of_one_is_not_an_error() -> None:
    body, url = fixture("idea_list/empty_state_one_of_one")
    page = parse_idea_list(Page(body), url)
    assert page.entries == ()
    assert page.missing == ()


# ---- proposal page: the embedded object's optional keys


IDEA_BODY, IDEA_URL = fixture("idea_detail/completed_2017_placeholder")
IDEA_OPTIONAL = {
    "title": "title",
    "status": "status",
    "published_at": "publishDate",
    "endorse_count": "endorseCount",
    "endorse_goal": "endorseGoal",
    "endorse_due_at": "endorseDueDate",
    "content": "content",
    "outline": "outline",
    "proposer": "proposer",
    "agency": "approvalOrganization",
    "follower_count": "attentionCount",
    "comment_count": "commentCount",
    "site_updated_at": "updateDate",
    "responses": "govResponses",
}


def _idea_object(html: str) -> dict[str, Any]:
    match = re.search(r"var idea = (\{.*\});\n", html)
    assert match
    return dict(json.loads(match.group(1)))


@pytest.mark.parametrize("field", sorted(IDEA_OPTIONAL))
def test_idea_without_each_optional_key(field: str) -> None:
    idea = _idea_object(IDEA_BODY)
    del idea[IDEA_OPTIONAL[field]]
    html = re.sub(
        r"var idea = \{.*\};\n", lambda _m: f"var idea = {json.dumps(idea, ensure_ascii=False)};\n", IDEA_BODY
    )
    if field == "title":  # also out of <title> and <h1>: the list entry or open data gives it then
        html = re.sub(r"<title>.*?</title>", "<title></title>", html)
        html = re.sub(r"<h1.*?</h1>", "", html)
    reading = read_idea_detail(Page(html), IDEA_URL)
    assert reading.value.uuid == "0794207b-ee73-47c8-880a-4d458173c531"
    assert [m.field for m in reading.missing] == [field]


def test_idea_title_from_the_page_when_the_object_lacks_it() -> None:
    idea = _idea_object(IDEA_BODY)
    del idea["title"]
    html = re.sub(
        r"var idea = \{.*\};\n", lambda _m: f"var idea = {json.dumps(idea, ensure_ascii=False)};\n", IDEA_BODY
    )
    reading = read_idea_detail(Page(html), IDEA_URL)
    assert reading.value.title == "性霸凌"
    assert reading.missing == ()


def test_idea_page_without_its_data_names_the_page() -> None:
    html = re.sub(r"<script>.*?</script>", "", IDEA_BODY, flags=re.S).replace("已附議", "附議")
    with pytest.raises(LayoutError) as info:
        read_idea_detail(Page(html), IDEA_URL)
    assert IDEA_URL in str(info.value)
    assert "required proposal data not found (tried `var idea" in str(info.value)


# ---- open data, as the crawler reads it


POLICY_OD = json.loads(fixture("opendata_policy/current_shape")[0])
IDEA_OD = json.loads(fixture("opendata_idea/v2_strings_and_sentinel")[0])
POLICY_OD_KEYS = {
    "title": "標題",
    "agency": "提議機關",
    "published_at": "發佈日期",
    "closes_at": "下線日期",
    "follower_count": "關注數量",
    "declared_comment_count": "留言數量",
}
IDEA_OD_KEYS = {
    "title": "標題",
    "published_at": "publishDate",
    "content": "提議內容",
    "endorse_count": "附議數量",
    "follower_count": "關注數量",
    "comment_count": "留言數量",
}


@pytest.mark.parametrize(
    ("kind", "field"), [("policy", f) for f in POLICY_OD_KEYS] + [("idea", f) for f in IDEA_OD_KEYS]
)
def test_open_data_without_each_optional_key(kind: str, field: str) -> None:
    rows, keys, parser = (
        (POLICY_OD, POLICY_OD_KEYS, parse_policy_opendata)
        if kind == "policy"
        else (IDEA_OD, IDEA_OD_KEYS, parse_idea_opendata)
    )
    # keep only the first entry: the second already has empty values (「無」, "") for some keys
    data = [{k: v for k, v in rows[0].items() if k != keys[field]}]
    log = FieldLog()
    entries = parser(data, source="od", log=log, skipped=[])
    assert [e.uuid for e in entries] == [parser(rows[:1], source="od")[0].uuid]
    assert [m.field for m in log.missing] == [field]
