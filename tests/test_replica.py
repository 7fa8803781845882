"""The local replica of join.gov.tw: real HTTP on 127.0.0.1, walked with the standard library."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
import urllib.robotparser
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from base.errors import UserError
from replica.bank_commitments import COMMITMENTS
from replica.bank_other import CAMPAIGNS, DELETED_TEXT
from replica.data import generate, parse_size
from replica.faults import FaultSpec
from replica.model import DAY_MS, OGP_TITLE, OGP_UUID, TAIPEI
from replica.server import ReplicaServer

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "join-samples"
STATUSES = ("ENDORSING", "ADVICE", "COMPLETED", "CLOSED")


def fetch(
    base: str, path: str, method: str = "GET", timeout: float = 10
) -> tuple[int, dict[str, str], bytes, bool]:
    """(status, headers, body, complete): ``complete`` is False when the connection dropped mid-body."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        try:
            return resp.status, headers, resp.read(), True
        except http.client.IncompleteRead as exc:
            return resp.status, headers, exc.partial, False
    finally:
        conn.close()


def get_json(base: str, path: str) -> Any:
    status, _, body, _ = fetch(base, path)
    assert status == 200, (path, status)
    return json.loads(body)


def get_html(base: str, path: str) -> str:
    status, _, body, _ = fetch(base, path)
    assert status == 200, (path, status)
    return body.decode()


def embedded(html: str, var: str) -> Any:
    m = re.search(rf"var {var} = (\{{.*?\}});</script>", html, re.S)
    assert m, f"no var {var}"
    return json.loads(m.group(1))


def uuid_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def replica() -> Any:
    with ReplicaServer(seed=3, size="small") as server:
        yield server


def walk_board(base: str, uuid: str, size: int = 50) -> list[dict[str, Any]]:
    """All top-level comments of a consultation, page by page."""
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        env = get_json(base, f"/joinComments/board/policy/{uuid}?size={size}&page={page}")
        out.extend(env["result"])
        if page >= env["totalPages"]:
            return out
        page += 1


def walk_ideas(base: str, status: str, size: int = 25) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        env = embedded(get_html(base, f"/idea/index/search/{status}?page={page}&size={size}"), "searchResult")
        out.extend(env["result"])
        if page >= env["totalPages"]:
            return out
        page += 1


# --- data generation -------------------------------------------------------------------------------


def test_generation_is_deterministic_and_seed_dependent() -> None:
    a, b, c = generate(5, "small"), generate(5, "small"), generate(6, "small")
    assert a.label_records() == b.label_records()
    assert a.manifest() == b.manifest()
    html_a = [m.html for p in a.policies for m in p.top_level]
    assert html_a == [m.html for p in b.policies for m in p.top_level]
    assert html_a != [m.html for p in c.policies for m in p.top_level]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("small", (12, 800, 80)),
        ("medium", (60, 6000, 400)),
        ("large", (200, 30000, 2000)),
        ("policies=5,comments=100,ideas=10", (5, 100, 10)),
        ({"policies": 3, "comments": 0, "ideas": 7}, (3, 0, 7)),
    ],
)
def test_sizes_give_the_requested_counts(size: Any, expected: tuple[int, int, int]) -> None:
    m: dict[str, Any] = generate(2, size).manifest()
    assert (m["policies"], m["comments"], m["ideas"]) == expected
    assert m["replies"] + m["top_level_comments"] == m["comments"]


@pytest.mark.parametrize("bad", ["huge", "policies=x", "policies=0", "comments=5,colour=3"])
def test_bad_size_is_a_user_error(bad: str) -> None:
    with pytest.raises(UserError, match="replica size"):
        parse_size(bad)


def test_reference_consultation_has_most_comments_and_heavy_tail() -> None:
    for size in ("small", "large"):
        data = generate(1, size)
        counts = {p.uuid: len(data.views[p.uuid].all_messages(data.now_ms)) for p in data.policies}
        assert max(counts, key=counts.__getitem__) == OGP_UUID
        assert 0 in counts.values()  # some consultations get nothing
        ogp = next(p for p in data.policies if p.uuid == OGP_UUID)
        assert ogp.title == OGP_TITLE
        assert ogp.agency == "國家發展委員會"


def test_ground_truth_covers_commitments_campaigns_and_hostile_text() -> None:
    data = generate(1, "small")
    labels = data.labels
    manifest: dict[str, Any] = data.manifest()
    assert len(labels) == manifest["comments"] + manifest["ideas"]
    kinds = Counter(label.kind for label in labels.values())
    assert {"commitment", "offtopic", "generic", "campaign", "hostile", "reply", "deleted"} <= set(kinds)
    written_for = Counter(c for label in labels.values() for c in label.commitments)
    assert set(written_for) == {c.id for c in COMMITMENTS}
    assert any(len(label.commitments) == 2 for label in labels.values())
    campaigns = Counter(label.campaign for label in labels.values() if label.campaign)
    assert set(campaigns) == {c[0] for c in CAMPAIGNS}
    assert all(10 <= n <= 60 for n in campaigns.values())
    ogp = data.views[OGP_UUID].all_messages(data.now_ms)
    copies = sorted(m.created_ms for m in ogp if m.label.campaign == CAMPAIGNS[0][0])
    assert copies[-1] - copies[0] <= 3 * 3600_000  # posted in a burst
    texts = " ".join(m.html for m in ogp)
    for payload in ("<script>alert(1)</script>", "onerror=alert(1)", "javascript:", "\u202e"):
        assert payload in texts
    assert all(m.html == DELETED_TEXT for m in ogp if m.deleted)


# --- served shapes ---------------------------------------------------------------------------------


def test_shapes_match_the_real_samples(replica: ReplicaServer) -> None:
    base = replica.base_url
    sample_board = json.loads((SAMPLES / "policy-comments-board-2017.json").read_text())
    env = get_json(base, f"/joinComments/board/policy/{OGP_UUID}?size=2000&page=1")
    assert list(env) == list(sample_board)
    sample_comment = sample_board["result"][0]
    with_reply = next(c for c in env["result"] if c["replyMessages"])
    assert list(with_reply) == list(sample_comment)
    assert list(with_reply["replyMessages"][0]) == list(sample_comment["replyMessages"][0])
    assert list(with_reply["author"]) == list(sample_comment["author"])
    assert list(with_reply["board"]) == list(sample_comment["board"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", with_reply["cdate"])

    sample_list = json.loads((SAMPLES / "idea-list-2017.json").read_text())
    entry = walk_ideas(base, "COMPLETED")[0]
    assert list(entry) == list(sample_list[0])
    sample_detail = json.loads((SAMPLES / "idea-detail-completed-2017.json").read_text())
    idea = embedded(get_html(base, f"/idea/detail/{entry['id']}"), "idea")
    assert list(idea) == list(sample_detail)
    assert list(idea["govResponses"][0]) == list(sample_detail["govResponses"][0])
    assert list(idea["approvalOrganization"]["master"]) == list(
        sample_detail["approvalOrganization"]["master"]
    )


def test_agency_replies_are_served_in_every_real_account_shape(replica: ReplicaServer) -> None:
    """EGOV logins (with and without admin rights) naming their organisation, a board administrator, and
    the platform's DISQUS-ndcjoin 客服小組: the shapes of the real archive (see comment_board.author_kind)."""
    from crawler.pages.comment_board import author_kind

    base = replica.base_url
    seen: Counter[tuple[str, bool, bool]] = Counter()
    agency = 0
    for p in get_json(base, "/toOpenData/ey/policy"):
        for top in walk_board(base, uuid_of(p["網址"])):
            for message in [top, *top["replyMessages"]]:
                who = message["author"]
                if author_kind(who) == "citizen":
                    assert (who["userRegisterFrom"], who["isAdmin"], who["userProfiles"]) == (
                        "JOIN",
                        False,
                        [],
                    )
                    continue
                agency += 1
                org = [e["content"] for e in who["userProfiles"] if e["profileId"] == "organizationName"]
                seen[(who["userRegisterFrom"], who["isAdmin"], bool(org))] += 1
                if who["userId"] == "DISQUS-ndcjoin":
                    assert who["displayName"] == "公共政策網路參與平臺客服小組"
    truth: dict[str, Any] = replica.manifest()
    assert agency == truth["agency_replies"] > 0
    assert set(seen) == {
        ("EGOV", True, True),
        ("EGOV", False, True),
        ("JOIN", True, False),
        ("DISQUS", False, False),
    }


def test_open_data_shapes(replica: ReplicaServer) -> None:
    base = replica.base_url
    policies = get_json(base, "/toOpenData/ey/policy")
    assert list(policies[0]) == ["標題", "網址", "提議機關", "發佈日期", "下線日期", "關注數量", "留言數量"]
    old = get_json(base, "/toOpenData/ey/policy?shape=2017")
    assert list(old[0]) == ["url", "title", "messages"]
    assert all(list(m) == ["createDate", "authorName", "content"] for p in old for m in p["messages"])
    assert [len(p["messages"]) for p in old] == [p["留言數量"] for p in policies]
    ideas = get_json(base, "/toOpenData/ey/idea")
    assert list(ideas[0]) == [
        "publishDate",
        "網址",
        "標題",
        "提議內容",
        "利益與影響",
        "附議數量",
        "附議門檻",
        "提送日期",
        "關注數量",
        "留言數量",
        "googleAnalytics",
        "提議者",
    ]
    assert [i["publishDate"] for i in ideas] == sorted(i["publishDate"] for i in ideas)
    assert {type(i["附議數量"]) for i in ideas} == {int, str}  # numbers sometimes as strings
    assert "無" in {i["提送日期"] for i in ideas}
    assert get_json(base, "/toOpenData/ey/act")


def test_policy_detail_markup(replica: ReplicaServer) -> None:
    html = get_html(replica.base_url, f"/policies/detail/{OGP_UUID}")
    assert f"<title>{OGP_TITLE}｜公共政策網路參與平臺</title>" in html
    assert f'<div id="policyDetail" class="policy_detail" data-uuid="{OGP_UUID}">' in html
    assert '<span class="info-value start">2020-02-21</span>' in html
    assert '<span class="info-value end">2020-03-06</span>' in html
    assert '<span class="info-value">國家發展委員會</span>' in html
    assert 'id="boardContainer"' in html
    assert 'id="moreMsgBtn"' in html
    assert 'class="attachment"' in html


# --- counts: the manifest equals what the endpoints serve ------------------------------------------


def assert_manifest_matches_endpoints(base: str) -> None:
    manifest = get_json(base, "/_replica/manifest")
    policies = get_json(base, "/toOpenData/ey/policy")
    assert len(policies) == manifest["policies"]
    messages = deleted = replies = 0
    for p in policies:
        tops = walk_board(base, uuid_of(p["網址"]))
        n = len(tops) + sum(len(c["replyMessages"]) for c in tops)
        assert n == p["留言數量"]
        times = [c["cdate"] for c in tops]
        assert times == sorted(times, reverse=True)  # newest first
        messages += n
        replies += sum(len(c["replyMessages"]) for c in tops)
        deleted += sum(c["isDeleted"] for c in tops) + sum(
            r["isDeleted"] for c in tops for r in c["replyMessages"]
        )
    assert (messages, deleted, replies) == (
        manifest["comments"],
        manifest["comments_deleted"],
        manifest["replies"],
    )

    by_status = {s: walk_ideas(base, s) for s in STATUSES}
    assert {s: len(v) for s, v in by_status.items()} == manifest["ideas_by_status"]
    assert sum(map(len, by_status.values())) == manifest["ideas"]
    responses = 0
    for entries in by_status.values():
        for e in entries:
            responses += len(embedded(get_html(base, f"/idea/detail/{e['id']}"), "idea")["govResponses"])
    assert responses == manifest["agency_responses"]
    all_ideas = get_json(base, "/toOpenData/ey/idea")
    assert len(all_ideas) == manifest["ideas"]
    years = {int(i["publishDate"][:4]) for i in all_ideas}
    assert sum(len(get_json(base, f"/toOpenData/v2/ey/idea?year={y}")) for y in years) == manifest["ideas"]


def test_manifest_counts_equal_what_is_served(replica: ReplicaServer) -> None:
    assert_manifest_matches_endpoints(replica.base_url)


def test_pagination_edges(replica: ReplicaServer) -> None:
    base = replica.base_url
    policies = get_json(base, "/toOpenData/ey/policy")
    empty = next(p for p in policies if p["留言數量"] == 0)
    env = get_json(base, f"/joinComments/board/policy/{uuid_of(empty['網址'])}")
    assert (env["result"], env["totalResults"], env["totalPages"], env["currentPage"]) == ([], 0, 0, 1)

    n = get_json(base, f"/joinComments/board/policy/{OGP_UUID}?size=1")["totalResults"]
    one = get_json(base, f"/joinComments/board/policy/{OGP_UUID}?size={n}&page=1")
    assert (len(one["result"]), one["totalPages"], one["surplusResults"]) == (n, 1, 0)
    assert get_json(base, f"/joinComments/board/policy/{OGP_UUID}?size={n}&page=2")["result"] == []

    size = 7 if n % 7 else 8
    pages = -(-n // size)
    last = get_json(base, f"/joinComments/board/policy/{OGP_UUID}?size={size}&page={pages}")
    assert len(last["result"]) == n - (pages - 1) * size
    assert last["currentPage"] == pages
    past = get_json(base, f"/joinComments/board/policy/{OGP_UUID}?size={size}&page={pages + 5}")
    assert past["result"] == []
    assert past["totalResults"] == n
    ids = [
        c["msgUid"]
        for page in range(1, pages + 1)
        for c in get_json(base, f"/joinComments/board/policy/{OGP_UUID}?size={size}&page={page}")["result"]
    ]
    assert len(ids) == len(set(ids)) == n

    assert fetch(base, f"/joinComments/board/policy/{OGP_UUID}?page=0")[0] == 400
    assert fetch(base, f"/joinComments/board/policy/{OGP_UUID}?size=abc")[0] == 400
    assert fetch(base, "/joinComments/board/policy/00000000-0000-4000-8000-000000000000")[0] == 404
    assert fetch(base, "/idea/index/search/NOPE")[0] == 404
    listing = get_html(base, "/idea/index/search/CLOSED?page=2&size=5")
    assert '<form id="naviPageForm"><span class="page-info">2 / ' in listing
    assert listing.count('<div class="list_item">') == 5
    assert re.search(r'<h4><a href="/idea/detail/[0-9a-f-]{36}">', listing)
    beyond = embedded(get_html(base, "/idea/index/search/CLOSED?page=999&size=5"), "searchResult")
    assert beyond["result"] == []


def test_robots_txt_allows_all_but_replica(replica: ReplicaServer) -> None:
    status, headers, body, _ = fetch(replica.base_url, "/robots.txt")
    assert status == 200
    assert headers["content-type"].startswith("text/plain")
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(body.decode().splitlines())
    assert parser.can_fetch("joinfeedback", f"{replica.base_url}/policies/detail/{OGP_UUID}")
    assert parser.can_fetch("joinfeedback", f"{replica.base_url}/toOpenData/ey/policy")
    assert not parser.can_fetch("joinfeedback", f"{replica.base_url}/_replica/manifest")


def test_labels_endpoint(replica: ReplicaServer) -> None:
    rows = get_json(replica.base_url, "/_replica/labels")
    manifest = get_json(replica.base_url, "/_replica/manifest")
    kinds = Counter(r["item_kind"] for r in rows)
    assert kinds == {"comment": manifest["comments"], "idea": manifest["ideas"]}
    assert {r["item_id"] for r in rows if r["item_kind"] == "comment"} == {
        k[1] for k in replica.data.labels if k[0] == "comment"
    }


def test_idea_rules(replica: ReplicaServer) -> None:
    """60-day window from approval, 5,000 to pass, answers within two months, placeholder first."""
    base = replica.base_url
    for status in ("ADVICE", "COMPLETED"):
        for e in walk_ideas(base, status):
            idea = embedded(get_html(base, f"/idea/detail/{e['id']}"), "idea")
            assert idea["endorseDueDate"] - idea["approvedTime"] == 60 * DAY_MS
            assert idea["endorseCount"] >= 5000
            assert idea["firstSignedTime"] != ""
            assert idea["firstSignedTime"] <= idea["endorseDueDate"]
            times = [r["responseTime"] for r in idea["govResponses"]]
            assert times == sorted(times)
            assert all(t - idea["firstSignedTime"] <= 61 * DAY_MS for t in times)
            if status == "COMPLETED":
                assert "前發布正式回應時說明" not in idea["govResponses"][-1]["plan"]
            placeholders = [r for r in idea["govResponses"] if "前發布正式回應時說明" in r["plan"]]
            assert placeholders in ([], idea["govResponses"][:1])
    for e in walk_ideas(base, "CLOSED"):
        assert e["status"] in {"FirstFailed", "Rejected", "Revoked"}
        assert e["endorseCount"] < 5000


# --- determinism of what is served -----------------------------------------------------------------


def _sample_paths(base: str) -> list[str]:
    policies = get_json(base, "/toOpenData/ey/policy")
    ideas = get_json(base, "/toOpenData/ey/idea")
    paths = [
        "/toOpenData/ey/policy",
        "/toOpenData/ey/policy?shape=2017",
        "/toOpenData/ey/idea",
        "/toOpenData/v2/ey/idea?year=2019",
        "/toOpenData/ey/act",
        "/idea/index/search/ENDORSING?page=1&size=20",
    ]
    for p in policies[:6]:
        paths += [
            f"/policies/detail/{uuid_of(p['網址'])}",
            f"/joinComments/board/policy/{uuid_of(p['網址'])}?size=20&page=1",
        ]
    paths += [f"/idea/detail/{uuid_of(i['網址'])}" for i in ideas[:10]]
    return paths


def test_same_seed_serves_identical_bytes_and_other_seeds_differ() -> None:
    with ReplicaServer(seed=11) as a, ReplicaServer(seed=11) as b, ReplicaServer(seed=12) as c:
        paths = _sample_paths(a.base_url)
        assert [fetch(a.base_url, p)[2] for p in paths] == [fetch(b.base_url, p)[2] for p in paths]
        assert fetch(a.base_url, "/toOpenData/ey/policy")[2] != fetch(c.base_url, "/toOpenData/ey/policy")[2]
        assert (
            fetch(a.base_url, f"/joinComments/board/policy/{OGP_UUID}")[2]
            != fetch(c.base_url, f"/joinComments/board/policy/{OGP_UUID}")[2]
        )


# --- time ------------------------------------------------------------------------------------------


def test_advance_changes_counts_as_the_manifest_says() -> None:
    with ReplicaServer(seed=4, size="policies=8,comments=400,ideas=60") as server:
        base = server.base_url
        before: dict[str, Any] = server.manifest()
        before_ogp = get_json(base, f"/joinComments/board/policy/{OGP_UUID}?size=1")["totalResults"]
        before_open = {e["id"]: e["endorseCount"] for e in walk_ideas(base, "ENDORSING")}
        after: dict[str, Any] = server.advance(3)
        assert after["epoch"] == 3
        assert after["clock"] > before["clock"]
        assert after["comments"] > before["comments"]
        assert get_json(base, f"/joinComments/board/policy/{OGP_UUID}?size=1")["totalResults"] > before_ogp
        later = {e["id"]: e["endorseCount"] for e in walk_ideas(base, "ENDORSING")}
        assert any(later[i] > n for i, n in before_open.items() if i in later)
        assert all(later[i] >= n for i, n in before_open.items() if i in later)
        assert_manifest_matches_endpoints(base)
        status, _, body, _ = fetch(base, "/_replica/advance?steps=40", method="POST")
        moved = json.loads(body)
        assert status == 200
        assert moved["epoch"] == 43
        assert moved["agency_responses"] > after["agency_responses"]
        assert moved["ideas"] >= after["ideas"]
        assert_manifest_matches_endpoints(base)
        assert fetch(base, "/_replica/advance")[0] == 405


def test_date_header_is_the_replica_clock() -> None:
    """Every answer is dated by the clock its pages are rendered at (2020 here), not by the wall clock."""
    with ReplicaServer(seed=4, size="policies=3,comments=20,ideas=8", faults="500=1") as server:
        base = server.base_url
        clock = datetime.fromtimestamp(server.data.now_ms / 1000, UTC)
        assert clock.year == 2020
        for path in ("/toOpenData/ey/idea", "/robots.txt", "/idea/detail/no-such-idea", "/_replica/manifest"):
            assert parsedate_to_datetime(fetch(base, path)[1]["date"]) == clock, path
        status, headers, _, _ = fetch(base, f"/policies/detail/{OGP_UUID}")
        assert status == 500  # an injected fault is dated alike
        assert parsedate_to_datetime(headers["date"]) == clock
        server.advance(2)
        later = parsedate_to_datetime(fetch(base, "/toOpenData/ey/idea")[1]["date"])
        assert later - clock == timedelta(milliseconds=2 * DAY_MS)
        assert later.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M:%S") == server.manifest()["clock"]


# --- faults ----------------------------------------------------------------------------------------


def test_fault_spec_parsing() -> None:
    spec = FaultSpec.parse("all,maxfail=3,layout=after:10,permanent=0.1,hang_seconds=2")
    names = dict(spec.rates)
    assert "hang" not in names
    assert "500" in names
    assert "challenge" in names
    assert (spec.maxfail, spec.layout_after, spec.permanent, spec.hang_seconds) == (3, 10, 0.1, 2.0)
    for bad in ("boom=0.1", "500=x", "500=0.8,503=0.8"):
        with pytest.raises(UserError, match="replica faults"):
            FaultSpec.parse(bad)


def _statuses_until_ok(base: str, path: str, limit: int = 6) -> list[int]:
    out = []
    for _ in range(limit):
        status = fetch(base, path)[0]
        out.append(status)
        if status == 200:
            break
    return out


@pytest.mark.parametrize(("spec", "status"), [("500=1", 500), ("503=1", 503), ("429=1", 429)])
def test_error_faults_are_transient_up_to_maxfail(spec: str, status: int) -> None:
    with ReplicaServer(seed=1, faults=spec) as server:
        path = f"/policies/detail/{OGP_UUID}"
        assert _statuses_until_ok(server.base_url, path) == [status, status, 200]
        server.set_faults(spec + ",maxfail=3")
        assert _statuses_until_ok(server.base_url, "/toOpenData/ey/policy") == [status] * 3 + [200]
        assert fetch(server.base_url, "/robots.txt")[0] == 200
        assert fetch(server.base_url, "/_replica/manifest")[0] == 200
        stats: dict[str, Any] = server.stats()
        assert stats["faults"][str(status)] == 3  # counters restart with set_faults


def test_429_says_when_to_retry_and_503_sometimes_carries_json() -> None:
    with ReplicaServer(seed=1, faults="429=1") as server:
        assert fetch(server.base_url, "/toOpenData/ey/act")[1]["retry-after"] == "1"
    with ReplicaServer(seed=1, faults="503=1,maxfail=1") as server:
        bodies = [
            fetch(server.base_url, f"/idea/detail/{i.uuid}")[2] for i in server.data.visible_ideas()[:20]
        ]

        def parses(body: bytes) -> bool:
            try:
                json.loads(body)
                return True
            except ValueError:
                return False

        assert {parses(b) for b in bodies} == {True, False}


def test_challenge_malformed_and_truncate_are_observable() -> None:
    with ReplicaServer(seed=1, faults="challenge=1,maxfail=1") as server:
        seen = set()
        for idea in server.data.visible_ideas()[:12]:
            status, headers, body, _ = fetch(server.base_url, f"/idea/detail/{idea.uuid}")
            assert b"<title>Just a moment...</title>" in body
            assert headers["cf-mitigated"] == "challenge"
            seen.add(status)
        assert seen == {200, 503}
    with ReplicaServer(seed=1, faults="malformed=1,maxfail=1") as server:
        status, _, body, _ = fetch(server.base_url, "/toOpenData/ey/policy")
        assert status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
        html = fetch(server.base_url, f"/idea/detail/{server.data.ideas[0].uuid}")[2].decode()
        assert "</html>" not in html
        with pytest.raises((AssertionError, ValueError)):
            embedded(html, "idea")
        assert json.loads(fetch(server.base_url, "/toOpenData/ey/policy")[2])  # the second try is fine
    with ReplicaServer(seed=1, faults="truncate=1,maxfail=1") as server:
        kinds = set()
        for idea in server.data.visible_ideas()[:20]:
            status, headers, body, complete = fetch(server.base_url, f"/idea/detail/{idea.uuid}")
            assert status == 200
            assert "</html>" not in body.decode(errors="replace")
            kinds.add("dropped" if not complete else "short")
            if complete:
                assert int(headers["content-length"]) == len(body)
        assert kinds == {"dropped", "short"}


def test_slow_and_hang_delay_the_response() -> None:
    with ReplicaServer(seed=1, faults="slow=1,maxfail=1") as server:
        started = time.monotonic()
        assert fetch(server.base_url, "/toOpenData/ey/act")[0] == 200
        assert time.monotonic() - started >= 0.5  # a functional lower bound, not a speed claim
    with ReplicaServer(seed=1, faults="hang=1,maxfail=1,hang_seconds=3") as server:
        with pytest.raises((TimeoutError, socket.timeout)):
            fetch(server.base_url, "/toOpenData/ey/act", timeout=0.5)
        assert fetch(server.base_url, "/toOpenData/ey/act")[0] == 200


def test_layout_switches_for_good_after_n_requests() -> None:
    with ReplicaServer(seed=1, faults="layout=after:3") as server:
        base = server.base_url
        idea = server.data.ideas[0].uuid
        for _ in range(3):
            assert "var idea = " in get_html(base, f"/idea/detail/{idea}")
        assert server.manifest()["layout_changed"] is False
        changed = get_html(base, f"/idea/detail/{idea}")
        assert "var idea" not in changed
        assert "detail-join-num" not in changed
        assert "endorse-summary" in changed
        policy = get_html(base, f"/policies/detail/{OGP_UUID}")
        assert "policy-title" not in policy
        assert "pd-heading" in policy
        listing = get_html(base, "/idea/index/search/CLOSED")
        assert "searchResult" not in listing
        assert "list_item" not in listing
        assert get_json(base, "/toOpenData/ey/policy")  # JSON is unchanged
        assert server.manifest()["layout_changed"] is True


def test_permanent_failures_are_listed_and_always_fail() -> None:
    with ReplicaServer(seed=1, faults="permanent=0.3") as server:
        manifest: dict[str, Any] = server.manifest()
        failing: list[str] = manifest["permanent_failures"]
        assert failing
        for path in failing[:5]:
            assert [fetch(server.base_url, path)[0] for _ in range(4)] == [500] * 4
        assert any(p.startswith("/joinComments/board/policy/") for p in failing)
        board = next(p for p in failing if p.startswith("/joinComments/"))
        assert fetch(server.base_url, board + "?size=5&page=2")[0] == 500
        ok = next(
            f"/policies/detail/{p.uuid}"
            for p in server.data.policies
            if f"/policies/detail/{p.uuid}" not in failing
        )
        assert fetch(server.base_url, ok)[0] == 200


def test_faults_are_deterministic_given_the_seed() -> None:
    spec = "all=0.1,slow=0,maxfail=2"
    with (
        ReplicaServer(seed=8, faults=spec) as a,
        ReplicaServer(seed=8, faults=spec) as b,
        ReplicaServer(seed=8) as clean,
    ):
        paths = _sample_paths(clean.base_url)
        seq_a = [fetch(a.base_url, p)[0::3] for p in paths for _ in range(3)]
        seq_b = [fetch(b.base_url, p)[0::3] for p in paths for _ in range(3)]
        assert seq_a == seq_b
        stats_a: dict[str, Any] = a.stats()
        assert sum(stats_a["faults"].values()) > 0
        assert stats_a["faults"] == b.stats()["faults"]


def test_faulted_responses_never_corrupt_later_ones() -> None:
    """Each request faults until its URL had ``maxfail``; then pages are byte-identical to a clean run."""
    spec = "malformed=0.3,truncate=0.3,500=0.2,challenge=0.2,maxfail=2"
    with ReplicaServer(seed=8, faults=spec) as faulty, ReplicaServer(seed=8) as clean:
        paths = _sample_paths(clean.base_url)
        first = [fetch(faulty.base_url, p) for p in paths]
        second = [fetch(faulty.base_url, p) for p in paths]
        for path, one, two in zip(paths, first, second, strict=True):
            expected = fetch(clean.base_url, path)[2]
            assert one[2] != expected, path
            assert two[2] != expected, path
        for path in paths:
            status, _, body, complete = fetch(faulty.base_url, path)
            assert (status, complete) == (200, True)
            assert body == fetch(clean.base_url, path)[2], path
        faulty_stats: dict[str, Any] = faulty.stats()
        assert sum(faulty_stats["faults"].values()) == 2 * len(paths)
