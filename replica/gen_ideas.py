"""Generate proposals (提點子): endorsement trajectories, outcomes and agency responses.

Rules followed [V/C]: the 60-day endorsement window starts when the proposal is approved for publication;
reaching 5,000 endorsements passes it (``firstSignedTime``); the agency must answer within two months
(``advisedTime`` holds that deadline); it often first posts a placeholder promising the formal answer by
that date, then the formal answer.
"""

from __future__ import annotations

import math
import random
from datetime import datetime

from replica import bank_ideas as BI
from replica.bank_commitments import BY_ID
from replica.gen_policies import EARLIEST_MS, make_authors, new_uuid
from replica.model import (
    CLOCK_START_MS,
    DAY_MS,
    ENDORSE_DAYS,
    ENDORSE_GOAL,
    TAIPEI,
    Author,
    ClosedStatus,
    IdeaRec,
    Label,
    ResponseRec,
    roc_date,
)

CURVE_EXPONENT = 2.5
RESPONSE_WINDOW_MS = 61 * DAY_MS


def endorse_fraction(x: float) -> float:
    """Share of the final count reached after fraction ``x`` of the window: fast start, slow end."""
    x = min(1.0, max(0.0, x))
    return 1.0 - float((1.0 - x) ** CURVE_EXPONENT)


def endorse_count(idea: IdeaRec, now_ms: int) -> int:
    x = (now_ms - idea.approved_ms) / (ENDORSE_DAYS * DAY_MS)
    if idea.closed_ms is not None and now_ms >= idea.closed_ms:
        x = (idea.closed_ms - idea.approved_ms) / (ENDORSE_DAYS * DAY_MS)
    return int(idea.final_endorse * endorse_fraction(x))


def _pass_time(approved_ms: int, final: int) -> int | None:
    if final < ENDORSE_GOAL:
        return None
    x = 1.0 - float((1.0 - ENDORSE_GOAL / final) ** (1.0 / CURVE_EXPONENT))
    t = approved_ms + math.ceil(x * ENDORSE_DAYS * DAY_MS / 1000) * 1000
    while int(final * endorse_fraction((t - approved_ms) / (ENDORSE_DAYS * DAY_MS))) < ENDORSE_GOAL:
        t += 1000
    return t


def _final_endorsements(rng: random.Random) -> int:
    """Heavy tail: median in the low hundreds, about 6 % pass, a rare few reach tens of thousands."""
    return max(1, min(40_000, int(rng.lognormvariate(5.6, 1.9))))


def _responses(rng: random.Random, idea_uuid: str, agency: str, pass_ms: int) -> tuple[ResponseRec, ...]:
    deadline = pass_ms + RESPONSE_WINDOW_MS
    out: list[ResponseRec] = []
    if rng.random() < 0.7:
        t = pass_ms + rng.randint(5, 20) * DAY_MS + rng.randint(0, DAY_MS)
        promise = BI.PLACEHOLDER.format(roc_date=roc_date(deadline))
        out.append(
            ResponseRec(
                new_uuid(rng),
                idea_uuid,
                agency,
                t,
                t + rng.randint(60_000, 3600_000),
                rng.choice(BI.RESPONSE_ANALYSIS),
                promise,
                promise,
                promise,
                True,
            )
        )
    t = pass_ms + rng.randint(25, 58) * DAY_MS + rng.randint(0, DAY_MS)
    out.append(
        ResponseRec(
            new_uuid(rng),
            idea_uuid,
            agency,
            t,
            t + rng.randint(60_000, 3600_000),
            rng.choice(BI.RESPONSE_ANALYSIS),
            rng.choice(BI.RESPONSE_SUGGEST),
            rng.choice(BI.RESPONSE_PLAN),
            rng.choice(BI.RESPONSE_REFERENCE),
            False,
        )
    )
    return tuple(out)


def _content(rng: random.Random, outline: str, theme: str) -> str:
    paras = [outline, *rng.sample(BI.PARAGRAPHS, rng.randint(1, 3))]
    if theme.startswith("c") and theme[1:] in BY_ID:
        paras.insert(1, rng.choice(BY_ID[theme[1:]].plain))
    return "".join(f"<p>{p}</p>\n" for p in paras)


# Fixed cases so every status exists even in a tiny replica: (days approved before the clock, final count,
# closed status). The third passes a few days after epoch 0, so advance() visibly changes its status.
FIXED_CASES: tuple[tuple[float, int, ClosedStatus], ...] = (
    (150, 9_800, ""),  # Completed (placeholder then formal)
    (45, 7_200, ""),  # passed ~25 days ago: Advice
    (40, 5_150, ""),  # endorsing, passes ~5 days after epoch 0
    (200, 1_200, ""),  # FirstFailed
    (20, 300, "Revoked"),
    (30, 80, "Rejected"),
)


def make_ideas(rng: random.Random, count: int, future_days: int) -> list[IdeaRec]:
    """``count`` proposals visible at epoch 0, plus a few approved during the next ``future_days``."""
    authors = make_authors(rng, max(10, count))
    ideas: list[IdeaRec] = []
    n_future = max(1, count // 12)
    for i in range(count + n_future):
        closed: ClosedStatus
        if i < len(FIXED_CASES) and i < count:
            days_ago, final, closed = FIXED_CASES[i]
            approved = CLOCK_START_MS - int(days_ago * DAY_MS) + rng.randint(0, 3600_000)
        elif i >= count:
            approved = CLOCK_START_MS + rng.randint(1, future_days * DAY_MS)
            final, closed = _final_endorsements(rng), ""
        else:
            if rng.random() < 0.22:
                approved = CLOCK_START_MS - rng.randint(1, ENDORSE_DAYS * DAY_MS - 1)
            else:
                approved = rng.randint(EARLIEST_MS + 180 * DAY_MS, CLOCK_START_MS - ENDORSE_DAYS * DAY_MS)
            final = _final_endorsements(rng)
            r = rng.random()
            closed = "Revoked" if r < 0.04 else ("Rejected" if r < 0.07 else "")
        ideas.append(_idea(rng, approved, final, closed, authors))
    return ideas


def _idea(
    rng: random.Random, approved: int, final: int, closed: ClosedStatus, authors: list[Author]
) -> IdeaRec:
    agency, theme, stem, outline, benefit = rng.choice(BI.IDEAS)
    title = rng.choice(BI.IDEA_TITLE_VARIANTS).format(t=stem)
    uid = new_uuid(rng)
    publish = approved - rng.randint(3600_000, 5 * DAY_MS)
    closed_ms = approved + rng.randint(1, 15) * DAY_MS if closed else None
    if closed:
        final = min(final, ENDORSE_GOAL - 1)
    pass_ms = _pass_time(approved, final)
    co = tuple(a for a in rng.sample(list(BI.AGENCIES), 2) if a != agency)[: rng.randint(0, 1)]
    author = rng.choice(authors)
    commitments = (theme[1:],) if theme.startswith("c") else ()
    return IdeaRec(
        uuid=uid,
        title=title,
        outline=outline,
        content=_content(rng, outline, theme),
        outcome=f"<p>{benefit}</p>\n",
        agency=agency,
        co_agencies=co,
        proposer_uid=author.uid,
        proposer=author.name if rng.random() < 0.85 else "",
        publish_ms=publish,
        approved_ms=approved,
        final_endorse=final,
        pass_ms=pass_ms,
        closed_status=closed,
        closed_ms=closed_ms,
        attention_final=int(final * rng.uniform(0.03, 0.12)) + rng.randint(0, 20),
        comments_final=int(rng.paretovariate(1.3)) - 1,
        views_final=int(final * rng.uniform(3, 12)) + 50,
        numbers_as_strings=rng.random() < 0.3,
        responses=_responses(rng, uid, agency, pass_ms) if pass_ms else (),
        label=Label("idea", commitments, theme="" if commitments else theme),
    )


def idea_status(idea: IdeaRec, now_ms: int) -> str:
    """The site's status word at ``now_ms`` (FirstSigned, SecondSigned, Advice, Completed, FirstFailed, …)."""
    if idea.closed_ms is not None and now_ms >= idea.closed_ms:
        return idea.closed_status
    if idea.pass_ms is not None and now_ms >= idea.pass_ms:
        formal = [r for r in idea.responses if not r.placeholder]
        if formal and formal[0].response_ms <= now_ms:
            return "Completed"
        return "SecondSigned" if now_ms - idea.pass_ms < 2 * DAY_MS else "Advice"
    if now_ms < idea.approved_ms + ENDORSE_DAYS * DAY_MS:
        return "FirstSigned"
    return "FirstFailed"


STATUS_GROUP = {
    "FirstSigned": "ENDORSING",
    "SecondSigned": "ADVICE",
    "Advice": "ADVICE",
    "Completed": "COMPLETED",
    "FirstFailed": "CLOSED",
    "SecondFailed": "CLOSED",
    "Rejected": "CLOSED",
    "Revoked": "CLOSED",
}
GROUPS = ("ENDORSING", "ADVICE", "COMPLETED", "CLOSED")


def idea_year(idea: IdeaRec) -> int:
    return datetime.fromtimestamp(idea.publish_ms / 1000, TAIPEI).year
