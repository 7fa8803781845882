"""Agency replies on consultation boards: shown as what they are, beside the agency responses, never as
public input (they are left out of every count, theme and quote; see ``storage.corpus.load_items``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from reports.i18n import Translator
from reports.model import Column, Table, fmt_day
from reports.rundata import RunData
from reports.textsafety import excerpt
from storage.queries.consultations import AgencyReplyRow

REPLY_CHARS = 160


def replies_by_commitment(data: RunData) -> dict[str, list[AgencyReplyRow]]:
    """Each commitment's agency replies: those answering a comment the run assigned to it."""
    answered = {reply.parent_msg_uid or "" for reply in data.agency_replies}  # a few: not every comment
    code_of = {
        row.item_id: row.commitment_code
        for row in data.assignments
        if row.item_id in answered
        and row.kind == "comment"
        and row.status == "assigned"
        and row.commitment_code
    }
    by_code: dict[str, list[AgencyReplyRow]] = defaultdict(list)
    for reply in data.agency_replies:
        code = code_of.get(reply.parent_msg_uid or "")
        if code:
            by_code[code].append(reply)
    return by_code


def agency_reply_table(name: str, title: str, replies: Sequence[AgencyReplyRow], t: Translator) -> Table:
    """One row per reply: the account that posted it, when, and the start of its text (linked)."""
    rows = []
    for reply in replies:
        text, cut = excerpt(reply.text, REPLY_CHARS)
        rows.append(
            {
                "account": reply.author,
                "date": fmt_day(reply.created_at),
                "reply": text + ("…" if cut else ""),
                "url": reply.url,
                "msg_uid": reply.msg_uid,
                "in_reply_to": reply.parent_msg_uid or "",
                "policy_uuid": reply.policy_uuid,
            }
        )
    return Table(
        name,
        title,
        (
            Column("account", t("col_agency_account")),
            Column("date", t("col_date")),
            Column("reply", t("col_agency_reply"), link_key="url"),
        ),
        tuple(rows),
        export_only=("msg_uid", "in_reply_to", "policy_uuid"),
    )


__all__ = ["REPLY_CHARS", "agency_reply_table", "replies_by_commitment"]
