"""Compose comment HTML from the phrase banks, returning the text and its ground-truth label."""

from __future__ import annotations

import random

from replica import bank_other as B
from replica.bank_commitments import BY_ID
from replica.model import Label

REGISTERS = ("formal", "casual", "angry", "question")
REGISTER_WEIGHTS = (0.35, 0.4, 0.12, 0.13)


def _paragraphs(rng: random.Random, sentences: list[str], register: str) -> str:
    """Wrap sentences in paragraphs the way the site's editor does (``<p>``, sometimes ``<br>``)."""
    if len(sentences) > 3 and rng.random() < 0.6:
        cut = rng.randint(2, len(sentences) - 1)  # never leave an opener alone in a paragraph
        groups = [sentences[:cut], sentences[cut:]]
    else:
        groups = [sentences]
    if register == "casual" and rng.random() < 0.3:
        return "<p>" + "<br>".join("".join(g) for g in groups) + "</p>"
    return "".join("<p>" + "".join(g) + "</p>" for g in groups)


def _decorate(rng: random.Random, sentences: list[str], register: str) -> list[str]:
    if rng.random() < 0.08:
        sentences[-1] = sentences[-1] + rng.choice(B.ENTITY_SNIPPETS)
    if rng.random() < 0.05:
        sentences[0] = "&nbsp;&nbsp;" + sentences[0]
    if register in {"casual", "angry"} and rng.random() < 0.25:
        sentences[-1] = sentences[-1] + rng.choice(B.EMOJI)
    return sentences


def _frame(rng: random.Random, body: list[str], register: str, long: bool) -> list[str]:
    out = list(body)
    if long or rng.random() < 0.45:
        out.insert(0, rng.choice(B.OPENERS[register]))
    if long or rng.random() < 0.35:
        out.append(rng.choice(B.CLOSERS[register]))
    return out


def _commitment_sentences(rng: random.Random, cid: str, n: int, register: str) -> list[str]:
    bank = BY_ID[cid]
    pool = list(bank.plain) * 2 + list(bank.oblique)  # plain sentences twice as likely
    picked: list[str] = []
    for s in rng.sample(pool, min(n, len(pool))):
        if s not in picked:
            picked.append(s)
    if register == "question" or rng.random() < 0.15:
        picked.append(rng.choice(bank.ask))
    elif rng.random() < 0.4:
        picked.append(rng.choice(bank.suggest))
    return picked


def commitment_comment(rng: random.Random, ids: tuple[str, ...]) -> tuple[str, Label]:
    register = rng.choices(REGISTERS, REGISTER_WEIGHTS)[0]
    length = rng.random()
    long = length > 0.85
    per_topic = 1 if length < 0.3 else (rng.randint(2, 3) if not long else rng.randint(3, 5))
    body: list[str] = []
    for i, cid in enumerate(ids):
        sentences = _commitment_sentences(rng, cid, per_topic, register)
        if i:
            sentences[0] = rng.choice(B.CONNECTORS) + sentences[0]
        body.extend(sentences)
    if long and rng.random() < 0.5:
        theme = rng.choice(("traffic", "health", "housing"))
        body.insert(len(body) // 2, rng.choice(B.THEMES[theme]))  # a digression, still about the commitment
    body = _decorate(rng, _frame(rng, body, register, long), register)
    return _paragraphs(rng, body, register), Label("commitment", tuple(ids))


def offtopic_comment(rng: random.Random, theme: str) -> tuple[str, Label]:
    register = rng.choices(REGISTERS, REGISTER_WEIGHTS)[0]
    sentences = rng.sample(B.THEMES[theme], rng.randint(1, min(3, len(B.THEMES[theme]))))
    body = _decorate(rng, _frame(rng, sentences, register, False), register)
    return _paragraphs(rng, body, register), Label("offtopic", (), theme=theme)


def generic_comment(rng: random.Random) -> tuple[str, Label]:
    text = rng.choice(B.GENERIC)
    if rng.random() < 0.3:
        text += rng.choice(B.EMOJI)
    return f"<p>{text}</p>", Label("generic")


def hostile_comment(index: int) -> tuple[str, Label]:
    return B.HOSTILE[index % len(B.HOSTILE)], Label("hostile")


def reply_comment(rng: random.Random, parent: Label, agency: str | None) -> tuple[str, Label]:
    """A reply; some repeat a point about the parent's commitment and carry its label."""
    if agency is not None:
        return f"<p>{rng.choice(B.AGENCY_REPLIES)}</p>", Label("reply", theme="agency")
    text = rng.choice(B.REPLIES)
    if parent.commitments and rng.random() < 0.4:
        cid = parent.commitments[0]
        bank = BY_ID[cid]
        text += rng.choice(bank.plain + bank.oblique)
        return f"<p>{text}</p>", Label("reply", (cid,))
    return f"<p>{text}</p>", Label("reply")


def campaign_copy(rng: random.Random, campaign: tuple[str, str, str, tuple[str, ...]]) -> tuple[str, Label]:
    """One copy of a form letter with small edits."""
    name, cid, theme, base = campaign
    sentences = list(base)
    if len(sentences) > 2 and rng.random() < 0.2:
        del sentences[rng.randrange(1, len(sentences))]
    for _ in range(rng.randint(0, 2)):
        old, new = rng.choice(B.CAMPAIGN_SWAPS)
        i = rng.randrange(len(sentences))
        sentences[i] = sentences[i].replace(old, new, 1)
    if rng.random() < 0.15:
        sentences.append(rng.choice(B.GENERIC))
    signature = rng.choice(B.CAMPAIGN_SIGNATURES)
    html = "<p>" + "".join(sentences) + "</p>" + (f"<p>{signature}</p>" if signature else "")
    return html, Label("campaign", (cid,) if cid else (), theme=theme, campaign=name)


def deleted_comment() -> str:
    return B.DELETED_TEXT
