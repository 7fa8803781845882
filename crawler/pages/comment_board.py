"""Comment board JSON ``/joinComments/board/policy/{uuid}?size=M&page=N`` (pager envelope [V]).

Required: the envelope's ``result`` list and each comment's ``msgUid``. Optional (missing: null with a
warning): the pager counts, and a comment's time, text, author and like counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from crawler.items import AuthorKind, Comment
from crawler.pages.common import (
    ChallengePage,
    FieldLog,
    JsonObject,
    LayoutError,
    Missing,
    absent,
    clean,
    html_to_text,
    json_object,
    load_json_body,
    parse_site_datetime,
    required_missing,
    to_int,
)

DELETED_TEXT = "使用者已自行刪除留言"

# Board accounts of the platform and of agencies that carry none of the structural marks below: they
# registered like the public (DISQUS) and are known only by their ``userId``. Each seen in the archive of
# PDIS/join-analyzer @ 133958dc (``archive/comment/<uuid>_1.json``, see benchmarks/devset/README.md).
KNOWN_AGENCY_ACCOUNTS = frozenset(
    {
        "disqus-ndcjoin",  # 公共政策網路參與平臺客服小組, the platform's service desk (07409767, replies)
        "disqus-t3pushtac",  # 「T3」, Taoyuan airport's third-terminal team (68055a5c, top-level answers)
        "disqus-youthgom",  # 「youthgoM」, 文化部's 青年村落 programme, moc.gov.tw address (b51a8a5e, reply)
    }
)
_TRUE_STRINGS = frozenset({"true", "y", "yes", "1"})


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS


def _organization_name(profiles: object) -> str:
    """``organizationName`` from ``userProfiles``: a list of ``{profileId, content}`` entries [V]."""
    if isinstance(profiles, Mapping):  # a flat object would say the same thing; accept it too
        return clean(profiles.get("organizationName"))
    if not isinstance(profiles, list):
        return ""
    for entry in profiles:
        if isinstance(entry, Mapping) and clean(entry.get("profileId")) == "organizationName":
            name = clean(entry.get("content"))
            if name:
                return name
    return ""


def author_kind(author: object) -> AuthorKind:
    """``"agency"`` when a board message was posted by an agency or by the platform, else ``"citizen"``.

    Evidence, all from the 2015–17 boards archived by PDIS/join-analyzer (``author`` of each message):

    - ``userRegisterFrom: "EGOV"`` (``userId: "EGOV-…"``): government staff sign in through the civil-service
      directory; e.g. 體育署's answer on 0cb21ff8 (``displayName: "sa_admin"``).
    - ``isAdmin: true``: the same 體育署 account; board administrators are agency staff.
    - ``userProfiles`` holding ``{"profileId": "organizationName", "content": "體育署"}`` (next to
      ``organizationId``): only agency accounts carry an organisation.
    - a known account id (``KNOWN_AGENCY_ACCOUNTS``): the platform's 客服小組 ``DISQUS-ndcjoin`` and two
      agency teams posted from ordinary DISQUS registrations with no mark of their own.

    Anonymous posts (``userRegisterFrom: null``) and every other registration (DISQUS, GOOGLE, FACEBOOK,
    YAHOO, …) without those marks are the public's. ``userEmail`` is never read.
    """
    if not isinstance(author, Mapping):
        return "citizen"
    registered_from = clean(author.get("userRegisterFrom")).upper()
    user_id = clean(author.get("userId"))
    if registered_from == "EGOV" or user_id.upper().startswith("EGOV-"):
        return "agency"
    if _flag(author.get("isAdmin")):
        return "agency"
    if _organization_name(author.get("userProfiles")):
        return "agency"
    open_id = clean(author.get("openId"))
    candidates = {user_id.lower(), f"{registered_from}-{open_id}".lower() if open_id else ""}
    if candidates & KNOWN_AGENCY_ACCOUNTS:
        return "agency"
    return "citizen"


@dataclass(frozen=True, slots=True)
class CommentPage:
    """One page of a board: its comments (replies flattened after their parent) and the pager."""

    comments: tuple[Comment, ...]
    current_page: int
    total_pages: int | None  # None: the envelope did not say (follow pages while they come back full)
    total_results: int | None
    top_level_count: int
    shape: str = "pager envelope [V]"
    found: tuple[str, ...] = ()
    missing: tuple[Missing, ...] = ()


def _comment(
    raw: JsonObject, policy_uuid: str, url: str, link: str, parent: str | None, log: FieldLog
) -> Comment:
    msg_uid = to_int(raw.get("msgUid"))
    if msg_uid is None:
        raise required_missing(url, "comment id", "msgUid of every comment")
    texts = [raw.get(k) for k in ("content", "oriContent", "content4Html")]
    log.note("content", any(not absent(t) for t in texts), "content, oriContent, content4Html")
    markup = next((t for t in texts if t), "")
    text = html_to_text(markup)
    is_deleted = bool(raw.get("isDeleted")) or text == DELETED_TEXT
    # cdate is UTC [V]; beforeNow is the same instant in Taiwan time, used only when cdate is absent.
    created = parse_site_datetime(raw.get("cdate"), utc=True) or parse_site_datetime(raw.get("beforeNow"))
    log.note("created_at", created is not None, "cdate (UTC), beforeNow")
    author = json_object(raw.get("author"))
    log.note("author", not absent(author.get("displayName")), "author.displayName")
    log.note("like_count", to_int(raw.get("likeCount")) is not None, "likeCount")
    parent_uid = to_int(raw.get("parentMsgUid"))
    return Comment(
        msg_uid=str(msg_uid),
        policy_uuid=policy_uuid,
        text=text,
        url=link,
        html=str(markup),
        author=clean(author.get("displayName")),
        created_at=created,
        parent_msg_uid=str(parent_uid) if parent_uid is not None else parent,
        like_count=to_int(raw.get("likeCount")) or 0,
        unlike_count=to_int(raw.get("unlikeCount")) or 0,
        is_deleted=is_deleted,
        author_kind=author_kind(author),
    )


def _walk(
    raws: object, policy_uuid: str, url: str, link: str, parent: str | None, log: FieldLog
) -> Iterator[Comment]:
    if not isinstance(raws, list):
        return
    for raw in raws:
        if not isinstance(raw, Mapping):
            raise LayoutError(url, "a comment that is not a JSON object")
        comment = _comment(raw, policy_uuid, url, link, parent, log)
        yield comment
        yield from _walk(raw.get("replyMessages"), policy_uuid, url, link, comment.msg_uid, log)


def parse_comment_board(
    body: str | bytes | JsonObject, url: str, policy_uuid: str, *, link: str | None = None
) -> CommentPage:
    """Every comment and reply of one board page. ``body`` may be raw bytes/text or the loaded JSON.
    ``link``: the URL each comment is given (its consultation's page); the board page's ``url`` without it.

    A 503 from Cloudflare can carry a valid JSON body; it is parsed like any other (the caller decides
    whether a status is acceptable). A challenge page raises ChallengePage; a truncated body LayoutError.
    """
    try:
        data = body if isinstance(body, Mapping) else load_json_body(body, url)
    except ChallengePage:
        raise
    except LayoutError as error:  # an HTML page where the JSON should be, or a body cut short
        raise required_missing(
            url, "comment board", f"a JSON envelope with a 'result' list: {error.missing}"
        ) from error
    if not isinstance(data, Mapping) or "result" not in data:
        raise required_missing(url, "comment board", "the JSON envelope's 'result' list")
    if data.get("success") is False:
        raise LayoutError(url, f"board answered success=false ({clean(data.get('message'))[:100]})")
    result = data["result"]
    if not isinstance(result, list):
        raise required_missing(url, "comment board", "'result' as a JSON array")
    log = FieldLog()
    current = to_int(data.get("currentPage"))
    log.note("current_page", current is not None, "currentPage")
    current = current or 1
    total_pages = to_int(data.get("totalPages"))
    log.note("total_pages", total_pages is not None, "totalPages")
    total_results = to_int(data.get("totalResults"))
    log.note("total_results", total_results is not None, "totalResults")
    if not result and total_pages is not None and current <= total_pages and (total_results or 0) > 0:
        raise LayoutError(url, f"page {current} of {total_pages} holds no comments")
    comments = tuple(_walk(result, policy_uuid, url, link or url, None, log))
    reading = log.reading(None, "pager envelope [V]")
    return CommentPage(
        comments,
        current,
        total_pages,
        total_results,
        len(result),
        reading.shape,
        reading.found,
        reading.missing,
    )
