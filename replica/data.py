"""``generate(seed, size)``: the replica's whole data set, and what of it is visible at an epoch.

All records, including those that appear later, are generated once; ``advance`` moves the clock by whole
days, so new comments, rising endorsements and agency responses show up deterministically.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter
from dataclasses import dataclass, field

from base.errors import UserError
from replica import gen_ideas, gen_policies
from replica.documents import Document
from replica.model import CLOCK_START_MS, DAY_MS, STEP_MS, CommentRec, IdeaRec, Label, PolicyRec, taipei_str

SIZES: dict[str, dict[str, int]] = {
    "small": {"policies": 12, "comments": 800, "ideas": 80},
    "medium": {"policies": 60, "comments": 6000, "ideas": 400},
    "large": {"policies": 200, "comments": 30000, "ideas": 2000},
}
REPLY_SHARE = 0.12
FUTURE_DAYS = 90


def parse_size(size: str | dict[str, int]) -> tuple[str, dict[str, int]]:
    """(canonical name, counts) for ``small|medium|large`` or ``policies=20,comments=3000,ideas=150``."""
    if isinstance(size, dict):
        counts = dict(size)
    elif size in SIZES:
        return size, dict(SIZES[size])
    else:
        counts = {}
        for part in filter(None, (p.strip() for p in str(size).split(","))):
            key, _, value = part.partition("=")
            if not value.strip().isdigit():
                raise UserError(f"replica size: {part!r} is not name=count (in {size!r})")
            counts[key.strip()] = int(value)
    unknown = set(counts) - {"policies", "comments", "ideas"}
    if unknown:
        raise UserError(
            f"replica size: unknown key(s) {sorted(unknown)} (use small, medium, large "
            "or policies=N,comments=N,ideas=N)"
        )
    full = {**SIZES["small"], **counts}
    if full["policies"] < 1:
        raise UserError("replica size: policies must be at least 1 (the reference consultation)")
    return ",".join(f"{k}={full[k]}" for k in ("policies", "comments", "ideas")), full


@dataclass(slots=True)
class PolicyView:
    """Index of one consultation's comments by time, to cut what is visible at a moment quickly."""

    policy: PolicyRec
    top_times: list[int] = field(default_factory=list)
    reply_times: dict[int, list[int]] = field(default_factory=dict)

    def top_level(self, now_ms: int) -> list[CommentRec]:
        return self.policy.top_level[: bisect.bisect_right(self.top_times, now_ms)]

    def replies(self, parent_uid: int, now_ms: int) -> list[CommentRec]:
        times = self.reply_times.get(parent_uid)
        if not times:
            return []
        return self.policy.replies[parent_uid][: bisect.bisect_right(times, now_ms)]

    def all_messages(self, now_ms: int) -> list[CommentRec]:
        out: list[CommentRec] = []
        for c in self.top_level(now_ms):
            out.append(c)
            out.extend(self.replies(c.msg_uid, now_ms))
        return out


@dataclass(slots=True)
class ReplicaData:
    seed: int
    size: str
    policies: list[PolicyRec]
    ideas: list[IdeaRec]
    epoch: int = 0
    views: dict[str, PolicyView] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for p in self.policies:
            view = PolicyView(p, [c.created_ms for c in p.top_level])
            view.reply_times = {uid: [r.created_ms for r in rs] for uid, rs in p.replies.items()}
            self.views[p.uuid] = view

    @property
    def now_ms(self) -> int:
        return CLOCK_START_MS + self.epoch * STEP_MS

    def advance(self, steps: int = 1) -> None:
        if steps < 0:
            raise UserError(f"replica advance: steps must be >= 0, got {steps}")
        self.epoch += steps

    def visible_ideas(self, now_ms: int | None = None) -> list[IdeaRec]:
        now = self.now_ms if now_ms is None else now_ms
        return [i for i in self.ideas if i.approved_ms <= now]

    def manifest(self, now_ms: int | None = None) -> Document:
        now = self.now_ms if now_ms is None else now_ms
        messages = [m for v in self.views.values() for m in v.all_messages(now)]
        ideas = self.visible_ideas(now)
        by_status = Counter(gen_ideas.STATUS_GROUP[gen_ideas.idea_status(i, now)] for i in ideas)
        return {
            "policies": len(self.policies),
            "comments": len(messages),
            "comments_deleted": sum(m.deleted for m in messages),
            "replies": sum(m.parent_uid is not None for m in messages),
            "top_level_comments": sum(m.parent_uid is None for m in messages),
            "agency_replies": sum(m.author.is_agency for m in messages),
            "ideas": len(ideas),
            "agency_responses": sum(1 for i in ideas for r in i.responses if r.response_ms <= now),
            "ideas_by_status": {g: by_status.get(g, 0) for g in gen_ideas.GROUPS},
            "epoch": self.epoch,
            "seed": self.seed,
            "size": self.size,
            "clock": taipei_str(now),
        }

    @property
    def labels(self) -> dict[tuple[str, str], Label]:
        """Ground truth of every visible item, keyed by (item_kind, item_id) as the analysis names items."""
        now = self.now_ms
        out: dict[tuple[str, str], Label] = {}
        for view in self.views.values():
            for m in view.all_messages(now):
                out[("comment", str(m.msg_uid))] = m.label
        for idea in self.visible_ideas(now):
            out[("idea", idea.uuid)] = idea.label
        return out

    def label_records(self) -> list[Document]:
        """``labels`` as JSON-ready rows (served at ``/_replica/labels``)."""
        rows: list[Document] = []
        for (kind, item_id), label in self.labels.items():
            rows.append(
                {
                    "item_kind": kind,
                    "item_id": item_id,
                    "kind": label.kind,
                    "commitments": list(label.commitments),
                    "theme": label.theme,
                    "campaign": label.campaign,
                }
            )
        return rows


def generate(seed: int, size: str | dict[str, int] = "small") -> ReplicaData:
    name, counts = parse_size(size)
    rng = random.Random(f"joinfeedback-replica:{seed}")
    p_rng, c_rng, i_rng = (random.Random(f"{seed}:{part}:{rng.random()}") for part in ("p", "c", "i"))
    policies = gen_policies.make_policies(p_rng, counts["policies"])
    _comments(c_rng, policies, counts["comments"])
    ideas = gen_ideas.make_ideas(i_rng, counts["ideas"], FUTURE_DAYS)
    return ReplicaData(seed=seed, size=name, policies=policies, ideas=ideas)


def _comments(rng: random.Random, policies: list[PolicyRec], total: int) -> None:
    n_policies = len(policies)
    ogp_share = 0.4 if n_policies <= 20 else (0.25 if n_policies <= 100 else 0.15)
    scale = 0 if total < 3000 else (1 if total < 15000 else 2)
    authors = gen_policies.make_authors(rng, max(20, total // 3))
    uids = gen_policies.UidAllocator()
    n_replies = round(total * REPLY_SHARE)
    tops = gen_policies.top_level_counts(rng, policies, total - n_replies, ogp_share)
    for policy, n_top in zip(policies, tops, strict=True):
        lo, hi = policy.start_ms, min(policy.end_ms, CLOCK_START_MS)
        extras = gen_policies.ogp_extras(rng, policy, n_top, scale) if policy.theme == "ogp" else []
        gen_policies.fill_comments(rng, policy, n_top, lo, hi, authors, uids, extras)
    if not any(p.top_level for p in policies):
        n_replies = 0
    gen_policies.add_replies(rng, policies, n_replies, None, CLOCK_START_MS, authors, uids)
    # What arrives after epoch 0: on consultations still open, at their recent daily rate.
    future_replies = 0
    for policy in policies:
        if policy.end_ms <= CLOCK_START_MS:
            continue
        elapsed_days = max(1.0, (CLOCK_START_MS - policy.start_ms) / DAY_MS)
        rate = max(0.5, len(policy.top_level) / elapsed_days * 0.6)
        days_left = (policy.end_ms - CLOCK_START_MS) // DAY_MS + 1
        n_future = int(rate * days_left * rng.uniform(0.6, 1.2))
        hi = min(policy.end_ms, CLOCK_START_MS + FUTURE_DAYS * DAY_MS)
        gen_policies.fill_comments(rng, policy, n_future, CLOCK_START_MS + 1000, hi, authors, uids, [])
        future_replies += round(n_future * REPLY_SHARE)
    gen_policies.add_replies(
        rng,
        policies,
        future_replies,
        CLOCK_START_MS + 1000,
        CLOCK_START_MS + FUTURE_DAYS * DAY_MS,
        authors,
        uids,
    )
