"""Routing: a request path to a rendered response (status, content type, bytes), cached per epoch.

No sockets here; ``replica.server`` does HTTP and applies faults around these responses.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, urlsplit

from replica import render_html, render_json
from replica.data import ReplicaData
from replica.gen_ideas import GROUPS, STATUS_GROUP, idea_status
from replica.model import CLOCK_START_MS, STEP_MS
from replica.shapes import DROP_COMMENT, DROP_LIST_ENTRY, ShapeSpec

JSON_TYPE = "application/json;charset=UTF-8"
HTML_TYPE = "text/html;charset=UTF-8"
ROBOTS = b"User-agent: *\nDisallow: /_replica/\n"
CACHE_LIMIT = 50_000

ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("robots", re.compile(r"/robots\.txt")),
    ("replica", re.compile(r"/_replica/.*")),
    ("opendata_policy", re.compile(r"/toOpenData/ey/policy")),
    ("opendata_idea_v2", re.compile(r"/toOpenData/v2/ey/idea")),
    ("opendata_idea", re.compile(r"/toOpenData/ey/idea")),
    ("opendata_act", re.compile(r"/toOpenData/ey/act")),
    ("policy_detail", re.compile(r"/policies/detail/([0-9a-f-]{36})")),
    ("board", re.compile(r"/joinComments/board/policy/([0-9a-f-]{36})")),
    ("idea_list", re.compile(r"/idea/index/search/([A-Za-z]+)")),
    ("idea_detail", re.compile(r"/idea/detail/([0-9a-f-]{36})")),
    ("file", re.compile(r"/files/([0-9a-f-]{36})/([\w.-]+)")),
)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def classify(path: str) -> tuple[str, tuple[str, ...]]:
    for kind, pattern in ROUTES:
        m = pattern.fullmatch(path)
        if m:
            return kind, m.groups()
    return "other", ()


def json_response(value: object, status: int = 200) -> Response:
    return Response(status, JSON_TYPE, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def html_response(text: str, status: int = 200) -> Response:
    return Response(status, HTML_TYPE, text.encode())


def not_found(what: str) -> Response:
    return Response(404, HTML_TYPE, f"<html><body><h1>404</h1><p>{what}</p></body></html>".encode())


def bad_request(what: str) -> Response:
    return json_response({"success": False, "message": what}, 400)


def _int_param(query: dict[str, list[str]], name: str, default: int) -> int | None:
    values = query.get(name)
    if not values:
        return default
    try:
        value = int(values[0])
    except ValueError:
        return None
    return value if value >= 1 else None


class Site:
    """The pages of one replica, rendered on demand from its data and cached until the clock moves."""

    def __init__(self, data: ReplicaData, shapes: ShapeSpec | None = None) -> None:
        self.data = data
        self.shapes = shapes or ShapeSpec()
        self.ideas = {i.uuid: i for i in data.ideas}
        self.policies = {p.uuid: p for p in data.policies}
        self._cache: dict[tuple[int, bool, str], Response] = {}
        self._lock = threading.Lock()

    def set_shapes(self, shapes: ShapeSpec) -> None:
        with self._lock:
            self.shapes = shapes
            self._cache.clear()

    def advance(self, steps: int) -> None:
        with self._lock:
            self.data.advance(steps)
            self._cache.clear()

    def render(self, kind: str, groups: tuple[str, ...], url: str, changed: bool) -> Response:
        epoch = self.data.epoch
        key = (epoch, changed, url)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        now = CLOCK_START_MS + epoch * STEP_MS  # from the epoch read once, even if advance() runs meanwhile
        response = self._render(kind, groups, urlsplit(url), now, changed)
        if response.status == 200:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = response
        return response

    def _render(
        self, kind: str, groups: tuple[str, ...], parts: SplitResult, now: int, changed: bool
    ) -> Response:
        query = parse_qs(parts.query)
        shapes, url = self.shapes, parts.geturl()
        if kind == "opendata_policy":
            if query.get("shape") == ["2017"] or (
                query.get("shape") != ["current"] and "opendata2017" in shapes
            ):
                rows = render_json.open_data_policies_2017(self.data, now)
            else:
                rows = render_json.open_data_policies(self.data, now)
            return json_response(shapes.opendata_policies(rows, url))
        if kind in {"opendata_idea_v2", "opendata_idea"}:
            year = None
            if kind == "opendata_idea_v2" and query.get("year"):
                if not query["year"][0].isdigit():
                    return bad_request("year must be YYYY")
                year = int(query["year"][0])
            return json_response(
                shapes.opendata_ideas(render_json.open_data_ideas(self.data, now, year), url)
            )
        if kind == "opendata_act":
            return json_response(render_json.open_data_acts(self.data, now))
        if kind == "policy_detail":
            policy = self.policies.get(groups[0])
            if policy is None:
                return not_found("policy")
            if "skeleton" in shapes and not changed:
                return html_response(render_html.policy_skeleton(policy))
            return html_response(render_html.policy_detail(policy, changed, shapes.policy_page_omits(url)))
        if kind == "board":
            view = self.data.views.get(groups[0])
            page, size = _int_param(query, "page", 1), _int_param(query, "size", 10)
            if view is None:
                return not_found("policy")
            if page is None or size is None:
                return bad_request("page and size must be positive integers")
            if "no_board" in shapes:  # the board moved: the path serves the site's HTML shell
                return html_response(render_html.policy_skeleton(view.policy))
            board = render_json.board_page(view, now, page, size)
            return json_response(shapes.envelope(board, url, DROP_COMMENT))
        if kind == "idea_list":
            return self._idea_list(groups[0], query, now, changed)
        if kind == "idea_detail":
            idea = self.ideas.get(groups[0])
            if idea is None or idea.approved_ms > now:
                return not_found("idea")
            return html_response(render_html.idea_page(idea, now, changed, lambda obj: shapes.idea(obj, url)))
        if kind == "file" and groups[0] in self.policies:
            return Response(200, "application/octet-stream", f"replica attachment {groups[1]}\n".encode())
        return not_found(parts.path)

    def _idea_list(self, status: str, query: dict[str, list[str]], now: int, changed: bool) -> Response:
        if status not in GROUPS:
            return not_found(f"status {status}")
        page, size = _int_param(query, "page", 1), _int_param(query, "size", 10)
        if page is None or size is None:
            return bad_request("page and size must be positive integers")
        ideas = [i for i in self.data.visible_ideas(now) if STATUS_GROUP[idea_status(i, now)] == status]
        ideas.sort(key=lambda i: (-i.publish_ms, i.uuid))
        rows = [render_json.idea_list_entry(i, now) for i in ideas[(page - 1) * size : page * size]]
        envelope = render_json.envelope(rows, len(ideas), page, size)
        envelope = self.shapes.envelope(
            envelope, f"/idea/index/search/{status}?page={page}&size={size}", DROP_LIST_ENTRY
        )
        return html_response(render_html.idea_list(status, envelope, changed))
