"""HTML pages: policy detail, idea list, idea detail, in the contract's layout and in a "changed" layout
(renamed classes, no embedded ``var idea``) that the ``layout`` fault switches to."""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape

from replica.documents import Document, documents
from replica.gen_ideas import endorse_count
from replica.model import DAY_MS, ENDORSE_DAYS, IdeaRec, PolicyRec, taipei_date, taipei_str
from replica.render_json import idea_detail

SUFFIX = "｜公共政策網路參與平臺"


def script_json(value: object) -> str:
    """JSON safe inside ``<script>``: ``</`` cannot close the element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh-Hant-TW"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


KNOCKOUT_BOARD = (
    '<div id="boardContainer"><noscript>沒有 Javascript 無法參與討論</noscript>\n'
    '  <div class="message_show" data-bind="foreach: messages"><div class="message-paragraph" '
    'data-bind="attr: {id: \'mcb_\' + msgUid}"><span data-bind="html: content4Html"></span></div>'
    '<span class="message-date" data-bind="text: beforeNow"></span></div>\n'
    '  <button id="moreMsgBtn">查看更多留言</button>\n</div>'
)


def policy_skeleton(p: PolicyRec) -> str:
    """The 2021 Knockout page as documented [V class names]: nothing but the title and the empty board."""
    return _page(
        p.title + SUFFIX, f'<div id="app">{KNOCKOUT_BOARD}</div>\n<script src="/js/knockout.js"></script>'
    )


def policy_detail(p: PolicyRec, changed: bool = False, omit: frozenset[str] = frozenset()) -> str:
    """The contract's page [I]; ``omit`` leaves parts out (the ``drop`` shape): title, h1, org, period,
    content, attachments."""
    start, end = taipei_date(p.start_ms), taipei_date(p.end_ms)
    files = "".join(
        f'<li><a class="attachment" href="{escape(href)}">{escape(name)}</a></li>'
        for href, name in p.attachments
    )
    if changed:
        body = (
            f'<main id="policyMain" class="pd-v2" data-id="{p.uuid}">\n'
            f'  <h2 class="pd-heading">{escape(p.title)}</h2>\n'
            f'  <dl class="pd-meta"><dt>機關</dt><dd class="pd-org">{escape(p.agency)}</dd>'
            f'<dt>期間</dt><dd class="pd-period">{start} 至 {end}</dd></dl>\n'
            f'  <section class="pd-body">{p.body_html}</section>\n'
            f'  <ul class="pd-files">{files.replace("attachment", "pd-file")}</ul>\n</main>\n'
            '<div id="commentBoard" data-subject="policy"><div class="msg-item"></div>'
            '<button id="loadMoreComments">載入更多</button></div>'
        )
        return _page(p.title + SUFFIX, body)
    parts = {
        "h1": f'  <h1 class="policy-title">{escape(p.title)}</h1>\n',
        "org": f'    <li class="org">提議機關：<span class="info-value">{escape(p.agency)}</span></li>\n',
        "period": f'    <li class="period">討論期間：<span class="info-value start">{start}</span> ~ '
        f'<span class="info-value end">{end}</span></li>\n',
        "content": f'  <div class="policy-content">{p.body_html}</div>\n',
        "attachments": f'  <ul class="attachments">{files}</ul>\n',
    }
    kept = {name: ("" if name in omit else text) for name, text in parts.items()}
    body = (
        f'<div id="policyDetail" class="policy_detail" data-uuid="{p.uuid}">\n'
        f'{kept["h1"]}  <ul class="policy-info">\n{kept["org"]}{kept["period"]}  </ul>\n'
        f"{kept['content']}{kept['attachments']}</div>\n"
        '<div id="boardContainer"><noscript>沒有 Javascript 無法參與討論</noscript>\n'
        '  <div class="message_show" data-bind="foreach: messages"></div>\n'
        '  <button id="moreMsgBtn">查看更多留言</button>\n</div>'
    )
    return _page("" if "title" in omit else p.title + SUFFIX, body)


def idea_list(status: str, envelope: Document, changed: bool = False) -> str:
    items = []
    for e in documents(envelope["result"]):
        title, href = escape(str(e.get("title", ""))), f"/idea/detail/{e['id']}"
        published = e.get("publishDate")  # the drop shape may leave it out
        date = taipei_date(published) if isinstance(published, int) else ""
        count = e.get("endorseCount", "")
        if changed:
            items.append(
                f'<article class="idea-card"><h3><a href="{href}">{title}</a></h3>'
                f'<time>{date}</time><span class="endorse-num">{count}</span></article>'
            )
        else:
            items.append(
                f'<div class="list_item"><h4><a href="{href}">{title}</a></h4>'
                f'<span class="date">{date}</span><span class="show_3_1">{count}</span></div>'
            )
    pager = (
        f"{envelope['currentPage']} / {envelope['totalPages']}"
        if "currentPage" in envelope and "totalPages" in envelope
        else ""
    )
    if changed:
        body = (
            f'<section id="ideaResults" data-status="{status}">\n' + "\n".join(items) + "\n</section>\n"
            f'<nav class="pager"><span>{pager}</span></nav>'
        )
    else:
        body = (
            f"<script>var searchResult = {script_json(envelope)};</script>\n"
            f'<div id="searchResult" data-status="{status}">\n' + "\n".join(items) + "\n</div>\n"
            f'<form id="naviPageForm"><span class="page-info">{pager}</span></form>'
        )
    return _page("提點子" + SUFFIX, body)


def _organization_name(response: Document) -> str:
    organization = response.get("organization")  # the drop shape may leave it out
    return str(organization.get("organizationName", "")) if isinstance(organization, dict) else ""


def _responses_html(idea: Document) -> str:
    out = []
    for r in documents(idea["govResponses"]):
        responded = r.get("responseTime")
        out.append(
            f'<div class="gov-response" data-id="{r["id"]}">'
            f"<h5>{escape(_organization_name(r))}"
            f" {taipei_str(responded) if isinstance(responded, int) else ''}</h5>"
            f'<div class="analysis">{r.get("analysis", "")}</div>'
            f'<div class="suggest">{r.get("suggest", "")}</div><div class="plan">{r["plan"]}</div>'
            f'<div class="reference">{r["reference"]}</div></div>'
        )
    return "".join(out)


def idea_page(
    idea: IdeaRec,
    now_ms: int,
    changed: bool = False,
    shape: Callable[[Document], Document] | None = None,
) -> str:
    """``shape`` may leave optional keys of the embedded object out (the ``drop`` shape)."""
    obj = idea_detail(idea, now_ms)
    if shape is not None and not changed:
        obj = shape(obj)
    remaining = max(0, -(-(idea.approved_ms + ENDORSE_DAYS * DAY_MS - now_ms) // DAY_MS))
    count = endorse_count(idea, now_ms)
    if changed:
        body = (
            f'<main class="proposal" data-id="{idea.uuid}" data-status="{obj["status"]}">'
            f'<h2 class="proposal-title">{escape(idea.title)}</h2>'
            f'<p class="endorse-summary">附議人數 {count} 人，剩餘 {remaining} 天</p>'
            f'<section class="proposal-body">{idea.content}</section>'
            f'<section class="proposal-outcome">{idea.outcome}</section>'
            f'<section class="responses">{_responses_html(obj)}</section></main>'
        )
        return _page(idea.title, body)
    body = (
        f"<script>var idea = {script_json(obj)};</script>\n"
        f'<div class="idea-detail" data-id="{idea.uuid}">\n'
        f'  <h1 class="idea-title">{escape(idea.title)}</h1>\n'
        f'  <div class="detail-join-num">已附議 {count}／尚餘 {remaining} 日</div>\n'
        f'  <div class="idea-outline">{escape(idea.outline)}</div>\n'
        f'  <div class="idea-content">{idea.content}</div>\n'
        f'  <div class="idea-outcome">{idea.outcome}</div>\n'
        f'  <div class="gov-responses">{_responses_html(obj)}</div>\n</div>'
    )
    return _page(idea.title, body)
