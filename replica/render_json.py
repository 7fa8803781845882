"""JSON shapes of the site, key for key as the recorded 2017 samples and the open-data shapes described in
docs/site-shapes.md. Functions return plain dicts/lists; the server serialises them."""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from functools import lru_cache

# open data and boards carry absolute URLs of the real host [V], whatever host serves them
from base.site import REAL_SITE
from replica import bank_ideas as BI
from replica.data import PolicyView, ReplicaData
from replica.documents import Document
from replica.gen_ideas import endorse_count, idea_status, idea_year
from replica.model import (
    DAY_MS,
    ENDORSE_DAYS,
    ENDORSE_GOAL,
    CommentRec,
    IdeaRec,
    PolicyRec,
    ResponseRec,
    taipei_str,
    utc_str,
)
from replica.text import deleted_comment


def envelope(result: list[Document], total: int, page: int, size: int) -> Document:
    """The pager envelope of boards and idea searches [V]."""
    pages = -(-total // size) if size else 0
    return {
        "result": result,
        "firstResult": (page - 1) * size,
        "maxResults": size,
        "totalResults": total,
        "totalPages": pages,
        "currentPage": page,
        "surplusResults": max(0, total - page * size),
        "otherResultCountMap": None,
        "success": True,
    }


def _board(policy: PolicyRec) -> Document:
    return {
        "boardUid": policy.board_uid,
        "title": policy.title,
        "message": "",
        "baseUrl": f"{REAL_SITE}/policies/detail/{policy.uuid}",
        "cdate": policy.published_ms,
        "postSdate": None,
        "postEdate": None,
        "stat": 1,
        "threadId": policy.board_uid,
        "subjectUid": policy.uuid,
        "subjectType": "policy",
        "boardStatus": "Enable",
        "enable": True,
        "disable": False,
    }


# How agencies and the platform appear on real boards (PDIS/join-analyzer archive, 2015–17; see
# crawler.pages.comment_board.author_kind): an EGOV login that is also board admin and names its
# organisation; an EGOV login without admin rights; a board administrator; the platform's own 客服小組.
AGENCY_SHAPES = ("egov_admin", "egov", "admin", "platform")
PLATFORM_ACCOUNT = ("DISQUS-ndcjoin", "公共政策網路參與平臺客服小組")


def agency_shape(c: CommentRec) -> str:
    """Which account an agency reply is posted from: fixed by its msgUid, so every epoch agrees."""
    return AGENCY_SHAPES[zlib.crc32(str(c.msg_uid).encode()) % len(AGENCY_SHAPES)]


def display_name(c: CommentRec) -> str:
    if c.author.is_agency and agency_shape(c) == "platform":
        return PLATFORM_ACCOUNT[1]
    return c.author.name


def _profile(user_uid: str, key: str, value: str) -> Document:
    return {
        "profileUid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"profile:{user_uid}:{key}")),
        "userUid": user_uid,
        "profileId": key,
        "content": value,
    }


def author(c: CommentRec) -> Document:
    """The ``author`` object [V keys]: citizens register as members; agencies in one of the real shapes."""
    base = {
        "userUid": c.author.uid,
        "userId": "example-user",
        "userRegisterFrom": "JOIN",
        "userEmail": "redacted@example.invalid",
        "userStatus": "Y",
        "userProfiles": [],
        "isAdmin": False,
        "openId": "example-user",
        "displayName": c.author.name,
        "profilePicture": None,
    }
    if not c.author.is_agency:
        return base
    agency = c.author.name
    user_uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"agency-account:{agency}"))
    org_id = _organization_code(agency)[0]
    shape = agency_shape(c)
    if shape == "platform":
        user_id, name = PLATFORM_ACCOUNT
        user_uid = str(uuid.uuid5(uuid.NAMESPACE_URL, "agency-account:ndcjoin"))
        return {
            **base,
            "userUid": user_uid,
            "userId": user_id,
            "userRegisterFrom": "DISQUS",
            "openId": "ndcjoin",
            "displayName": name,
        }
    if shape == "admin":
        return {**base, "userUid": user_uid, "userId": f"JOIN-{org_id}", "openId": org_id, "isAdmin": True}
    profiles = [
        _profile(user_uid, "organizationName", agency),
        _profile(user_uid, "userRegisterFrom", "EGOV"),
        _profile(user_uid, "id", org_id.lower()),
        _profile(user_uid, "organizationId", org_id),
    ]
    return {
        **base,
        "userUid": user_uid,
        "userId": f"EGOV-{org_id.lower()}",
        "userRegisterFrom": "EGOV",
        "userProfiles": profiles,
        "isAdmin": shape == "egov_admin",
        "openId": org_id.lower(),
    }


def comment(c: CommentRec, policy: PolicyRec, replies: list[Document], parent_author: str | None) -> Document:
    html = deleted_comment() if c.deleted else c.html
    written_by = author(c)
    return {
        "msgUid": c.msg_uid,
        "userUid": written_by["userUid"],
        "content": html,
        "oriContent": html,
        "parentMsgUid": c.parent_uid,
        "cdate": utc_str(c.created_ms),
        "requestIp": "0.0.0.0",  # noqa: S104 - a placeholder the real site also sends; never stored
        "likeCount": c.like_count,
        "replyCount": len(replies),
        "postId": c.msg_uid,
        "replyMsgUid": None,
        "board": _board(policy),
        "unlikeCount": c.unlike_count,
        "sharedCount": 0,
        "reportCount": 0,
        "inBlackCount": 0,
        "likeActions": None,
        "replyMessages": replies,
        "parentMessageAuthorDisplayName": parent_author,
        "anonymous": False,
        "content4Html": html,
        "displayStyle": "normal",
        "status": "ENABLE",
        "isAnonymous": "N",
        "hasMoreReply": False,
        "canOpenModifyBox": False,
        "isDeleted": c.deleted,
        "isSpam": False,
        "isEnable": True,
        "liked": False,
        "beforeNow": taipei_str(c.created_ms),
        "author": written_by,
    }


def board_page(view: PolicyView, now_ms: int, page: int, size: int) -> Document:
    """Top-level comments newest first, each with its visible replies nested."""
    tops = view.top_level(now_ms)
    total = len(tops)
    newest_first = tops[::-1][(page - 1) * size : page * size]
    result = []
    for c in newest_first:
        replies = [comment(r, view.policy, [], display_name(c)) for r in view.replies(c.msg_uid, now_ms)]
        result.append(comment(c, view.policy, replies, None))
    return envelope(result, total, page, size)


def open_data_policies(data: ReplicaData, now_ms: int) -> list[Document]:
    out: list[Document] = []
    for p in sorted(data.policies, key=lambda p: (p.published_ms, p.uuid)):
        out.append(
            {
                "標題": p.title,
                "網址": f"{REAL_SITE}/policies/detail/{p.uuid}",
                "提議機關": p.agency,
                "發佈日期": taipei_str(p.published_ms),
                "下線日期": taipei_str(p.end_ms),
                "關注數量": p.attention,
                "留言數量": len(data.views[p.uuid].all_messages(now_ms)),
            }
        )
    return out


def open_data_policies_2017(data: ReplicaData, now_ms: int) -> list[Document]:
    """The 2017–18 shape with English keys and the messages embedded [C]."""
    out: list[Document] = []
    for p in sorted(data.policies, key=lambda p: (p.published_ms, p.uuid)):
        msgs = sorted(data.views[p.uuid].all_messages(now_ms), key=lambda m: (m.created_ms, m.msg_uid))
        out.append(
            {
                "url": f"{REAL_SITE}/policies/detail/{p.uuid}",
                "title": p.title,
                "messages": [
                    {
                        "createDate": taipei_str(m.created_ms),
                        "authorName": display_name(m),
                        "content": deleted_comment() if m.deleted else m.html,
                    }
                    for m in msgs
                ],
            }
        )
    return out


def _organization_code(name: str) -> tuple[str, int]:
    """An agency's organisation id and its order among the site's organisations."""
    return BI.AGENCIES.get(name, ("A00000000X", 9000))


@lru_cache(maxsize=64)
def organization(name: str) -> Document:
    org_id, order = _organization_code(name)
    return {
        "orgOrder": order,
        "orgStatus": True,
        "organizationId": org_id,
        "organizationName": name,
        "organizationParent": "",
        "organizationUid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"org:{name}")),
        "updateDate": 1443593081000,
    }


def response(r: ResponseRec) -> Document:
    org = organization(r.agency)
    return {
        "analysis": r.analysis,
        "attachments": "",
        "contentPictureUrl": "",
        "id": r.uuid,
        "ideaId": r.idea_uuid,
        "isReady": True,
        "linkUrls": "",
        "orgId": org["organizationUid"],
        "organization": org,
        "plan": r.plan,
        "reference": r.reference,
        "relateAttachments": [],
        "relateIdeas": [],
        "relatedIdeaIds": "",
        "responseTime": r.response_ms,
        "responseUserName": "",
        "responseUserUid": "",
        "suggest": r.suggest,
        "updateDate": r.update_ms,
    }


def _growth(idea: IdeaRec, now_ms: int, final: int) -> int:
    return int(final * endorse_count(idea, now_ms) / max(1, idea.final_endorse))


def _update_ms(idea: IdeaRec, now_ms: int) -> int:
    times = [idea.approved_ms, *(r.update_ms for r in idea.responses if r.response_ms <= now_ms)]
    if idea.pass_ms is not None and idea.pass_ms <= now_ms:
        times.append(idea.pass_ms)
    if idea.closed_ms is not None and idea.closed_ms <= now_ms:
        times.append(idea.closed_ms)
    return max(t for t in times if t <= now_ms)


def idea_list_entry(idea: IdeaRec, now_ms: int) -> Document:
    """A list object as in idea-list-2017.json (19 keys, alphabetical as recorded)."""
    count = endorse_count(idea, now_ms)
    return {
        "allowAttention": True,
        "approvedTime": idea.approved_ms,
        "attentionCount": _growth(idea, now_ms, idea.attention_final),
        "commentCount": _growth(idea, now_ms, idea.comments_final),
        "declare": False,
        "endorseConfigEnable": True,
        "endorseCount": count,
        "endorseDueDate": idea.approved_ms + ENDORSE_DAYS * DAY_MS,
        "endorseGoal": ENDORSE_GOAL,
        "endorsePeriodDays": 0,
        "entranceType": "ey",
        "expiredOnCooperation": False,
        "id": idea.uuid,
        "needToEndorseCount": max(0, ENDORSE_GOAL - count),
        "publishDate": idea.publish_ms,
        "status": idea_status(idea, now_ms),
        "title": idea.title,
        "urgeFlag": False,
        "version": "EndorseStage_2016",
    }


@dataclass(frozen=True, slots=True)
class IdeaMoment:
    """Where a proposal stands at one moment: its endorsements, its status, and the times of passing the
    threshold and of being closed (rejected or revoked) once the clock has reached them."""

    endorsements: int
    status: str
    passed_ms: int | None
    closed_ms: int | None


def idea_moment(idea: IdeaRec, now_ms: int) -> IdeaMoment:
    passed = idea.pass_ms if idea.pass_ms is not None and idea.pass_ms <= now_ms else None
    closed = idea.closed_ms if idea.closed_ms is not None and idea.closed_ms <= now_ms else None
    return IdeaMoment(endorse_count(idea, now_ms), idea_status(idea, now_ms), passed, closed)


def idea_detail(idea: IdeaRec, now_ms: int) -> Document:
    """``var idea`` as in idea-detail-*.json (51 keys, alphabetical as recorded); empty times are ``""``."""
    moment = idea_moment(idea, now_ms)
    slaves = [organization(a) for a in idea.co_agencies]
    return {
        "advisedTime": moment.passed_ms + 61 * DAY_MS if moment.passed_ms else "",
        "allowAttention": True,
        "approvalOrganization": {"master": organization(idea.agency), "slave": slaves or ""},
        "approvedDueDate": idea.approved_ms + 15 * DAY_MS,
        "approvedTime": idea.approved_ms,
        "attachments": [],
        "attentionCount": _growth(idea, now_ms, idea.attention_final),
        "caseNumber": "",
        "commentCount": _growth(idea, now_ms, idea.comments_final),
        "content": idea.content,
        "contentPictureUrl": "",
        "cooperationEndTime": "",
        "cooperationStartTime": "",
        "decisionComment": "不符合提點子規範，不予成案。" if moment.status == "Rejected" else "",
        "declare": False,
        "disapprovedTime": moment.closed_ms if moment.status == "Rejected" and moment.closed_ms else "",
        "endorseConfigEnable": True,
        "endorseCount": moment.endorsements,
        "endorseDueDate": idea.approved_ms + ENDORSE_DAYS * DAY_MS,
        "endorseGoal": ENDORSE_GOAL,
        "endorsePeriodDays": ENDORSE_DAYS,
        "entranceType": "ey",
        "expiredOnCooperation": False,
        "firstSignedTime": moment.passed_ms or "",
        "govResponses": [response(r) for r in idea.responses if r.response_ms <= now_ms],
        "id": idea.uuid,
        "isDisplayOrg": True,
        "isDisqusClosed": False,
        "isPublic": "Y",
        "isQualified": 1,
        "linkUrls": "",
        "needToEndorseCount": max(0, ENDORSE_GOAL - moment.endorsements),
        "outcome": idea.outcome,
        "outline": idea.outline,
        "proposer": {"id": idea.proposer_uid, "name": "", "nickname": idea.proposer},
        "publishDate": idea.publish_ms,
        "readyTime": idea.publish_ms + 48_000,
        "revokedComment": "提議人自行撤案" if moment.status == "Revoked" else "",
        "revokedTime": moment.closed_ms if moment.status == "Revoked" and moment.closed_ms else "",
        "secondSignedTime": moment.passed_ms or "",
        "slideshareLink": "",
        "slideshareLinkHtml": "",
        "slideshareReadLinkUrl": "",
        "sortedAttachments": [],
        "status": moment.status,
        "title": idea.title,
        "updateDate": _update_ms(idea, now_ms),
        "urgeFlag": False,
        "version": "EndorseStage_2016",
        "videoLink": "",
        "youTubeVideoId": "",
    }


def _strip(html: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", html).replace("&nbsp;", " ").strip()


def open_data_idea(idea: IdeaRec, now_ms: int) -> Document:
    """v2 open-data object, keys in recorded order [C]; numbers sometimes strings; ``提送日期`` may be 無."""
    count = endorse_count(idea, now_ms)
    passed = idea.pass_ms if idea.pass_ms is not None and idea.pass_ms <= now_ms else None

    def num(n: int) -> int | str:
        return str(n) if idea.numbers_as_strings else n

    return {
        "publishDate": taipei_str(idea.publish_ms),
        "網址": f"{REAL_SITE}/idea/detail/{idea.uuid}",
        "標題": idea.title,
        "提議內容": _strip(idea.content),
        "利益與影響": _strip(idea.outcome),
        "附議數量": num(count),
        "附議門檻": num(ENDORSE_GOAL),
        "提送日期": taipei_str(passed) if passed else "無",
        "關注數量": num(_growth(idea, now_ms, idea.attention_final)),
        "留言數量": num(_growth(idea, now_ms, idea.comments_final)),
        "googleAnalytics": _growth(idea, now_ms, idea.views_final),
        "提議者": idea.proposer,
    }


def open_data_ideas(data: ReplicaData, now_ms: int, year: int | None) -> list[Document]:
    ideas = sorted(data.visible_ideas(now_ms), key=lambda i: (i.publish_ms, i.uuid))
    return [open_data_idea(i, now_ms) for i in ideas if year is None or idea_year(i) == year]


def open_data_acts(data: ReplicaData, now_ms: int) -> list[Document]:
    """Programme progress [I: field names invented]; progress moves with the clock."""
    out: list[Document] = []
    for n, (name, agency) in enumerate(BI.ACT_PROGRAMMES):
        progress = min(100, 20 + 7 * n + (now_ms // DAY_MS + data.seed) % 30)
        out.append(
            {
                "計畫名稱": name,
                "主辦機關": agency,
                "網址": f"{REAL_SITE}/acts/detail/{n + 1}",
                "執行進度": f"{progress}%",
                "更新日期": taipei_str(now_ms - (now_ms % DAY_MS)),
            }
        )
    return out
