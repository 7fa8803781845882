"""Generate consultations and their comments: heavy-tailed counts, replies, deletions, campaigns."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime

from replica import bank_other as B
from replica import text
from replica.bank_commitments import COMMITMENTS
from replica.model import (
    AGENCY_UID_PREFIX,
    CLOCK_START_MS,
    DAY_MS,
    OGP_TITLE,
    OGP_UUID,
    TAIPEI,
    Author,
    CommentRec,
    Label,
    PolicyRec,
    ms,
)

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = "志明家豪怡君淑芬雅婷俊傑宗翰美玲建宏佩珊冠宇欣怡承恩"
HANDLES = (
    "taipei_walker",
    "opendata_fan",
    "g0v_friend",
    "kaohsiung88",
    "civic.tech",
    "matcha",
    "hakka_boy",
    "ntu_student",
    "mama_bear",
    "old_engineer",
    "formosa",
    "nightowl",
)
COMMITMENT_IDS = tuple(c.id for c in COMMITMENTS)
OFFTOPIC = ("traffic", "pension", "air", "health", "housing", "platform")
EARLIEST_MS = ms(datetime(2015, 3, 1, tzinfo=TAIPEI))


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def make_authors(rng: random.Random, n: int) -> list[Author]:
    authors = []
    for i in range(n):
        r = rng.random()
        if r < 0.55:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2])
        elif r < 0.85:
            name = f"{rng.choice(HANDLES)}{rng.randint(1, 999) if rng.random() < 0.6 else ''}"
        else:
            name = f"匿名{i}"
        authors.append(Author(new_uuid(rng), name))
    return authors


class UidAllocator:
    """msgUid is epoch-ms-sized since 2021: derive it from the creation time, unique by bumping."""

    def __init__(self) -> None:
        self.used: set[int] = set()

    def __call__(self, created_ms: int) -> int:
        uid = created_ms
        while uid in self.used:
            uid += 1
        self.used.add(uid)
        return uid


def make_policies(rng: random.Random, count: int) -> list[PolicyRec]:
    """The OGP reference consultation first, then others over 2015–2020; about one in seven still open."""
    policies = [_ogp_policy(rng)]
    subjects = list(B.POLICY_SUBJECTS)
    rng.shuffle(subjects)
    for i in range(1, count):
        theme, agency, stem = subjects[(i - 1) % len(subjects)]
        round_no = (i - 1) // len(subjects)
        title = stem if round_no == 0 else f"{stem}（第{round_no + 1}次預告）"
        days = rng.choice((14, 30, 60, 60))
        if rng.random() < 0.15:  # open now: a window around the clock start
            start = CLOCK_START_MS - rng.randint(2, 40) * DAY_MS
            days = 60
        else:
            start = rng.randint(EARLIEST_MS, CLOCK_START_MS - 70 * DAY_MS)
        start -= start % 60_000
        uid = new_uuid(rng)
        body = (
            f"<p>{agency}為{title.strip('「」')}，特公開徵詢各界意見。</p>"
            f"<p>本案預告期間為{days}日，歡迎踴躍提供意見。</p>"
        )
        policies.append(
            PolicyRec(
                uuid=uid,
                title=title,
                agency=agency,
                theme=theme,
                body_html=body,
                published_ms=start,
                start_ms=start,
                end_ms=start + days * DAY_MS - 1000,
                attention=rng.randint(5, 400),
                board_uid=rng.randint(4_000_000_000, 4_299_999_999),
                attachments=((f"/files/{uid}/draft.pdf", "草案條文對照表.pdf"),),
            )
        )
    return policies


def _ogp_policy(rng: random.Random) -> PolicyRec:
    start = ms(datetime(2020, 2, 21, 10, 0, tzinfo=TAIPEI))
    end = ms(datetime(2020, 3, 6, 23, 59, 59, tzinfo=TAIPEI))
    items = "".join(f"<li>{c.id} {c.title}</li>" for c in COMMITMENTS)
    body = (
        "<p>為落實開放政府精神，國家發展委員會邀請各界共同檢視「臺灣開放政府國家行動方案」草案，"
        "草案共提出五大面向、十二項承諾事項如下：</p>"
        f"<ol>{items}</ol><p>歡迎就各項承諾提出意見，我們將彙整後於諮詢會議中討論。</p>"
    )
    return PolicyRec(
        uuid=OGP_UUID,
        title=OGP_TITLE,
        agency="國家發展委員會",
        theme="ogp",
        body_html=body,
        published_ms=start,
        start_ms=start,
        end_ms=end,
        attention=rng.randint(800, 1500),
        board_uid=4_150_000_000,
        attachments=(
            (f"/files/{OGP_UUID}/nap-draft.pdf", "臺灣開放政府國家行動方案草案.pdf"),
            (f"/files/{OGP_UUID}/commitments.odt", "承諾事項表.odt"),
        ),
    )


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` by ``weights`` with largest remainders (deterministic, sums exactly)."""
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def top_level_counts(
    rng: random.Random, policies: list[PolicyRec], total: int, ogp_share: float
) -> list[int]:
    """Heavy tail: about a third of the other consultations get nothing, the rest a Zipf share."""
    n_other = len(policies) - 1
    weights = [0.0] * n_other
    ranks = list(range(1, n_other + 1))
    rng.shuffle(ranks)
    empty = set(rng.sample(range(n_other), max(1, round(0.3 * n_other)) if n_other > 1 else 0))
    for i in range(n_other):
        if i not in empty:
            weights[i] = 1.0 / ranks[i] ** 1.2
    other_sum = sum(weights)
    ogp_weight = max(1.5 * max(weights, default=0.0), ogp_share / (1 - ogp_share) * other_sum, 1.0)
    return allocate(total, [ogp_weight, *weights])


def comment_maker(rng: random.Random, policy: PolicyRec) -> Callable[[], tuple[str, Label]]:
    """What an ordinary comment on this consultation is about."""
    if policy.theme == "ogp":

        def ogp() -> tuple[str, Label]:
            r = rng.random()
            if r < 0.62:
                ids = rng.sample(COMMITMENT_IDS, 2) if rng.random() < 0.15 else [rng.choice(COMMITMENT_IDS)]
                return text.commitment_comment(rng, tuple(ids))
            if r < 0.86:
                return text.offtopic_comment(rng, rng.choice(OFFTOPIC))
            return text.generic_comment(rng)

        return ogp
    if policy.theme.startswith("c"):
        cid = policy.theme[1:]

        def on_commitment() -> tuple[str, Label]:
            r = rng.random()
            if r < 0.6:
                return text.commitment_comment(rng, (cid,))
            if r < 0.8:
                return text.offtopic_comment(rng, rng.choice(OFFTOPIC))
            return text.generic_comment(rng)

        return on_commitment

    def themed() -> tuple[str, Label]:
        r = rng.random()
        if r < 0.7:
            return text.offtopic_comment(rng, policy.theme)
        if r < 0.9:
            return text.generic_comment(rng)
        return text.offtopic_comment(rng, rng.choice(OFFTOPIC))

    return themed


def fill_comments(
    rng: random.Random,
    policy: PolicyRec,
    n_top: int,
    lo_ms: int,
    hi_ms: int,
    authors: list[Author],
    uids: UidAllocator,
    extras: list[tuple[str, Label, int]],
) -> None:
    """Add ``n_top`` top-level comments in [lo_ms, hi_ms]; ``extras`` (html, label, time) count among them."""
    make = comment_maker(rng, policy)
    rows = list(extras)
    for _ in range(max(0, n_top - len(extras))):
        html, label = make()
        rows.append((html, label, rng.randint(lo_ms, hi_ms)))
    for html, label, created in rows:
        # hostile payloads and form letters stay visible: tests and analysis rely on seeing them
        deleted = rng.random() < 0.03 and label.kind not in {"hostile", "campaign"}
        rec = CommentRec(
            msg_uid=uids(created),
            policy_uuid=policy.uuid,
            parent_uid=None,
            html=text.deleted_comment() if deleted else html,
            author=rng.choice(authors),
            created_ms=created,
            like_count=int(rng.paretovariate(1.5)) - 1,
            unlike_count=int(rng.paretovariate(2.5)) - 1,
            deleted=deleted,
            label=Label("deleted") if deleted else label,
        )
        policy.top_level.append(rec)
    policy.top_level.sort(key=lambda c: (c.created_ms, c.msg_uid))


def add_replies(
    rng: random.Random,
    policies: list[PolicyRec],
    n: int,
    lo_ms: int | None,
    hi_ms: int,
    authors: list[Author],
    uids: UidAllocator,
) -> None:
    """Attach ``n`` replies created in [lo_ms, hi_ms] (and before each board closes) to top-level comments."""

    def earliest(c: CommentRec) -> int:
        return max(c.created_ms + 60_000, lo_ms or 0)

    parents = [(p, c) for p in policies for c in p.top_level if earliest(c) < min(p.end_ms, hi_ms)]
    if not parents:
        return
    for _ in range(n):
        policy, parent = rng.choice(parents)
        first, limit = earliest(parent), min(policy.end_ms, hi_ms)
        created = first + rng.randint(9 * 60_000, 3 * DAY_MS)
        if created > limit:
            created = rng.randint(first, limit)
        agency = policy.agency if rng.random() < 0.2 else None
        html, label = text.reply_comment(rng, parent.label, agency)
        deleted = agency is None and rng.random() < 0.03
        author = (
            Author(f"{AGENCY_UID_PREFIX}{policy.agency}", policy.agency) if agency else rng.choice(authors)
        )
        rec = CommentRec(
            msg_uid=uids(created),
            policy_uuid=policy.uuid,
            parent_uid=parent.msg_uid,
            html=text.deleted_comment() if deleted else html,
            author=author,
            created_ms=created,
            like_count=int(rng.paretovariate(2.0)) - 1,
            unlike_count=0,
            deleted=deleted,
            label=Label("deleted") if deleted else label,
        )
        policy.replies.setdefault(parent.msg_uid, []).append(rec)
    for replies in (r for p in policies for r in p.replies.values()):
        replies.sort(key=lambda c: (c.created_ms, c.msg_uid))


def ogp_extras(
    rng: random.Random, policy: PolicyRec, n_top: int, size_scale: int
) -> list[tuple[str, Label, int]]:
    """Form-letter bursts and hostile payloads on the reference consultation, if it has room for them."""
    lo, hi = policy.start_ms, min(policy.end_ms, CLOCK_START_MS)
    extras: list[tuple[str, Label, int]] = []
    copy_range = {0: (10, 20), 1: (15, 40), 2: (25, 60)}[size_scale]
    budget = n_top // 3
    for campaign in B.CAMPAIGNS:
        copies = rng.randint(*copy_range)
        if copies > budget:
            copies = budget if budget >= 5 else 0
        budget -= copies
        burst = rng.randint(lo, hi - 3 * 3600_000)
        for _ in range(copies):
            html, label = text.campaign_copy(rng, campaign)
            extras.append((html, label, burst + rng.randint(0, 3 * 3600_000)))
    if n_top - len(extras) >= 30:
        for i in range(len(B.HOSTILE)):
            html, label = text.hostile_comment(i)
            extras.append((html, label, rng.randint(lo, hi)))
    return extras
