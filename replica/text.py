"""Compose comment HTML from the phrase banks, returning the text and its ground-truth label.

Each composer takes one 64-bit draw from the caller's generator and works from its own generator seeded by
it, so the caller's stream (labels, times, authors) does not depend on how much text a bank holds. Sentences
are templates (``{a|b}`` alternatives, see ``replica.bank_angles``); comments vary in length, order, framing,
who the writer says they are, and the slips people make, so that apart from form letters and very short
remarks two comments rarely read alike.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Sequence
from itertools import accumulate
from typing import TypeVar

from replica import bank_other as B
from replica import bank_voice as V
from replica.bank_angles import ANGLES
from replica.bank_commitments import BY_ID
from replica.bank_themes import THEME_TEMPLATES
from replica.model import Label

REGISTERS = ("formal", "casual", "angry", "question")
REGISTER_WEIGHTS = (0.35, 0.4, 0.12, 0.13)
T = TypeVar("T")
DIGRESSION_THEMES = ("traffic", "health", "housing")

# A template is parsed into nodes (a str, or a tuple of alternatives, each a tuple of nodes), then compiled
# once into slots of finished alternatives so that expanding it is one pick per slot.
Node = str | tuple[tuple["Node", ...], ...]
_COMPILED: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {}
_TOKEN = re.compile(r"[{}|]|[^{}|]+")


def _parse(template: str) -> tuple[Node, ...]:
    tokens = _TOKEN.findall(template)
    pos = 0

    def seq(inside: bool) -> tuple[Node, ...]:
        nonlocal pos
        out: list[Node] = []
        while pos < len(tokens):
            tok = tokens[pos]
            if tok == "{":
                pos += 1
                alternatives = [seq(True)]
                while pos < len(tokens) and tokens[pos] == "|":
                    pos += 1
                    alternatives.append(seq(True))
                pos += 1  # the closing brace
                out.append(tuple(alternatives))
            elif tok in "|}" and inside:
                return tuple(out)
            else:
                out.append(tok)
                pos += 1
        return tuple(out)

    return seq(False)


def _flatten(nodes: tuple[Node, ...]) -> list[str]:
    """Every full expansion of a node sequence (templates nest rarely and shallowly, so this stays small)."""
    out = [""]
    for node in nodes:
        options = [node] if isinstance(node, str) else [x for alt in node for x in _flatten(alt)]
        out = [head + tail for head in out for tail in options]
    return out


def _compile(template: str) -> tuple[tuple[tuple[str, ...], int], ...]:
    slots: list[tuple[str, ...]] = []
    for node in _parse(template):
        options = (node,) if isinstance(node, str) else tuple(x for alt in node for x in _flatten(alt))
        if len(options) == 1 and slots and len(slots[-1]) == 1:
            slots[-1] = (slots[-1][0] + options[0],)  # merge fixed text
        else:
            slots.append(options)
    return tuple((options, len(options)) for options in slots)


def expand(rng: random.Random, template: str) -> str:
    """One sentence from a template: each ``{a|b|…}`` replaced by one of its alternatives."""
    slots = _COMPILED.get(template)
    if slots is None:
        slots = _COMPILED[template] = _compile(template)
    pick = rng.random
    return "".join([o[0] if n == 1 else o[int(pick() * n)] for o, n in slots])


def _choice(rng: random.Random, seq: Sequence[T]) -> T:
    """``rng.choice`` without its rejection sampling (several times faster; a bias of 2**-53 is no matter)."""
    return seq[int(rng.random() * len(seq))]


def _own_rng(rng: random.Random) -> random.Random:
    return random.Random(rng.getrandbits(64))


def _paragraphs(rng: random.Random, sentences: list[str], register: str, long: bool) -> str:
    """Wrap sentences in paragraphs the way the site's editor does (``<p>``, sometimes ``<br>``)."""
    n = len(sentences)
    if long and n >= 5:
        cuts = sorted(rng.sample(range(2, n - 1), min(rng.randint(1, 3), n - 3)))
        groups = [sentences[a:b] for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    elif n > 3 and rng.random() < 0.6:
        cut = rng.randint(2, n - 1)  # never leave an opener alone in a paragraph
        groups = [sentences[:cut], sentences[cut:]]
    else:
        groups = [sentences]
    if register == "casual" and rng.random() < 0.3:
        return "<p>" + "<br>".join("".join(g) for g in groups) + "</p>"
    return "".join("<p>" + "".join(g) + "</p>" for g in groups)


def _slip(rng: random.Random, sentences: list[str], pairs: tuple[tuple[str, str], ...]) -> None:
    """One typo, colloquial spelling or English word in a random sentence, if it fits."""
    i = rng.randrange(len(sentences))
    old, new = _choice(rng, pairs)
    sentences[i] = sentences[i].replace(old, new, 1)


def _casual_punctuation(rng: random.Random, sentence: str) -> str:
    r = rng.random()
    if r < 0.3:
        return sentence.replace("。", _choice(rng, ("～", "…", " ", "！")))
    if r < 0.45:
        return sentence.replace("，", " ")
    return sentence


def _decorate(rng: random.Random, sentences: list[str], register: str) -> list[str]:
    if rng.random() < 0.08:
        _slip(rng, sentences, V.SLIPS)
    if rng.random() < 0.05:
        _slip(rng, sentences, V.ENGLISH)
    if register == "casual":
        sentences = [_casual_punctuation(rng, s) for s in sentences]
    if rng.random() < 0.08:
        sentences[-1] = sentences[-1] + _choice(rng, B.ENTITY_SNIPPETS)
    if rng.random() < 0.05:
        sentences[0] = "&nbsp;&nbsp;" + sentences[0]
    if register in {"casual", "angry"} and rng.random() < 0.25:
        sentences[-1] = sentences[-1] + _choice(rng, B.EMOJI)
    return sentences


def _frame(rng: random.Random, body: list[str], register: str, long: bool) -> list[str]:
    out = list(body)
    if rng.random() < (0.5 if long else 0.18):
        out[0] = expand(rng, _choice(rng, V.PERSONAS)) + out[0]
    elif rng.random() < 0.1:
        out[0] = _choice(rng, V.HEDGES) + out[0]
    if (long and rng.random() < 0.8) or rng.random() < 0.4:
        out.insert(0, expand(rng, _choice(rng, V.OPENERS[register])))
    if (long and rng.random() < 0.8) or rng.random() < 0.35:
        out.append(expand(rng, _choice(rng, V.CLOSERS[register])))
    return out


# Weights of the angles a sentence about a commitment takes (templated angles weigh more: they vary).
ANGLE_WEIGHTS = {
    "plain": 1.6,
    "oblique": 1.2,
    "concern": 1.6,
    "experience": 1.4,
    "critique": 1.2,
    "condition": 1.2,
    "proposal": 1.2,
    "suggest": 0.5,
}
_STATIC = {"plain", "oblique", "suggest", "ask"}


def _angle_pool(cid: str, angle: str) -> tuple[str, ...]:
    if angle in _STATIC:
        return tuple(getattr(BY_ID[cid], angle))
    return ANGLES[cid].get(angle, ())


_ANGLES_OF: dict[str, tuple[tuple[str, ...], list[float]]] = {}


def _pick_angle(rng: random.Random, cid: str) -> str:
    """A weighted angle among those the commitment has sentences for."""
    if cid not in _ANGLES_OF:
        angles = tuple(a for a in ANGLE_WEIGHTS if _angle_pool(cid, a))
        _ANGLES_OF[cid] = angles, list(accumulate(ANGLE_WEIGHTS[a] for a in angles))
    angles, cumulative = _ANGLES_OF[cid]
    return angles[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


def _commitment_sentences(rng: random.Random, cid: str, n: int, register: str) -> list[str]:
    """``n`` sentences on one commitment from different angles, plus a question or proposal sometimes."""
    picked: list[str] = []
    used: set[str] = set()
    templated = False
    for _ in range(n * 3):
        if len(picked) >= n:
            break
        angle = _pick_angle(rng, cid)
        template = _choice(rng, _angle_pool(cid, angle))
        if template in used:
            continue
        used.add(template)
        templated = templated or angle not in _STATIC
        picked.append(expand(rng, template))
    if not templated:  # a fixed sentence alone would repeat across comments: add a varied one
        angle = _choice(rng, ("concern", "experience", "critique", "condition", "proposal"))
        picked.insert(rng.randint(0, len(picked)), expand(rng, _choice(rng, _angle_pool(cid, angle))))
    if register == "question" or rng.random() < 0.15:
        pool = ANGLES[cid]["question"] if rng.random() < 0.75 else BY_ID[cid].ask
        picked.append(expand(rng, _choice(rng, pool)))
    elif rng.random() < 0.3:
        picked.append(expand(rng, _choice(rng, ANGLES[cid]["proposal"] + BY_ID[cid].suggest)))
    if len(picked) > 2 and rng.random() < 0.3:  # people do not always argue in the same order
        head = picked[:-1]
        rng.shuffle(head)
        picked[:-1] = head
    return picked


def commitment_comment(rng: random.Random, ids: tuple[str, ...]) -> tuple[str, Label]:
    r = _own_rng(rng)
    register = r.choices(REGISTERS, REGISTER_WEIGHTS)[0]
    length = r.random()
    long = length > 0.85
    per_topic = 1 if length < 0.35 else (r.randint(2, 3) if not long else r.randint(3, 6))
    body: list[str] = []
    for i, cid in enumerate(ids):
        sentences = _commitment_sentences(r, cid, per_topic, register)
        if i:
            sentences[0] = _choice(r, V.CONNECTORS) + sentences[0]
        body.extend(sentences)
    if long and r.random() < 0.5:
        theme = _choice(r, DIGRESSION_THEMES)
        digression = expand(r, _choice(r, THEME_TEMPLATES[theme]))
        body.insert(len(body) // 2, digression)  # a digression, still about the commitment
    body = _decorate(r, _frame(r, body, register, long), register)
    return _paragraphs(r, body, register, long), Label("commitment", tuple(ids))


def offtopic_comment(rng: random.Random, theme: str) -> tuple[str, Label]:
    r = _own_rng(rng)
    register = r.choices(REGISTERS, REGISTER_WEIGHTS)[0]
    templates = THEME_TEMPLATES[theme]
    long = r.random() < 0.08
    n = r.randint(3, min(6, len(templates))) if long else _choice(r, (1, 2, 2, 2, 3, 3))
    chosen = r.sample(templates, n + 1)
    if n > 1 or r.random() < 0.3:  # a single sentence alone would repeat too often: usually say more
        chosen.pop()
    body = [expand(r, t) for t in chosen]
    body = _decorate(r, _frame(r, body, register, long), register)
    return _paragraphs(r, body, register, long), Label("offtopic", (), theme=theme)


def generic_comment(rng: random.Random) -> tuple[str, Label]:
    r = _own_rng(rng)
    if r.random() < 0.85:
        text = _choice(r, V.GENERIC_SHORT)
    else:
        text = expand(r, _choice(r, V.GENERIC_STANCES)) + expand(r, _choice(r, V.GENERIC_WISHES))
    if r.random() < 0.3:
        text += _choice(r, B.EMOJI)
    return f"<p>{text}</p>", Label("generic")


def hostile_comment(index: int) -> tuple[str, Label]:
    return B.HOSTILE[index % len(B.HOSTILE)], Label("hostile")


def _agency_reply(rng: random.Random, parent: Label, agency: str) -> str:
    parts = [expand(rng, _choice(rng, V.AGENCY_GREETINGS)), expand(rng, _choice(rng, V.AGENCY_THANKS))]
    if parent.commitments and rng.random() < 0.7:
        title = BY_ID[parent.commitments[0]].title
        parts.append(expand(rng, V.AGENCY_ON_COMMITMENT.replace("{title}", title)))
    elif parent.kind == "offtopic" and parent.theme in V.THEME_AGENCIES and rng.random() < 0.7:
        topic, in_charge = V.THEME_AGENCIES[parent.theme]
        on_theme = V.AGENCY_ON_THEME.replace("{topic}", topic).replace("{agency}", in_charge)
        parts.append(expand(rng, on_theme))
    for template in rng.sample(V.AGENCY_ACTIONS, _choice(rng, (1, 1, 2))):
        parts.append(expand(rng, template))
    signature = expand(rng, _choice(rng, V.AGENCY_SIGNATURES))
    html = f"<p>{''.join(parts)}</p>"
    return html + (f"<p>{signature}</p>" if signature else "")


def reply_comment(rng: random.Random, parent: Label, agency: str | None) -> tuple[str, Label]:
    """A reply; some repeat a point about the parent's commitment and carry its label."""
    r = _own_rng(rng)
    if agency is not None:
        return _agency_reply(r, parent, agency), Label("reply", theme="agency")
    if r.random() < 0.15:
        return f"<p>{_choice(r, V.GENERIC_SHORT)}</p>", Label("reply")
    opener = expand(r, _choice(r, V.REPLY_OPENERS))
    if parent.commitments and r.random() < 0.4:
        cid = parent.commitments[0]
        angle = _choice(r, ("concern", "experience", "critique", "condition", "proposal"))
        return f"<p>{opener}{expand(r, _choice(r, ANGLES[cid][angle]))}</p>", Label("reply", (cid,))
    if parent.kind == "offtopic" and parent.theme in THEME_TEMPLATES and r.random() < 0.4:
        point = expand(r, _choice(r, THEME_TEMPLATES[parent.theme]))  # carries on about the parent's theme
        return f"<p>{opener}{point}</p>", Label("reply")
    bodies = [expand(r, t) for t in r.sample(V.REPLY_BODIES, _choice(r, (1, 2, 2, 2, 3)))]
    return f"<p>{opener}{''.join(bodies)}</p>", Label("reply")


def campaign_copy(rng: random.Random, campaign: tuple[str, str, str, tuple[str, ...]]) -> tuple[str, Label]:
    """One copy of a form letter with small edits."""
    name, cid, theme, base = campaign
    sentences = list(base)
    if len(sentences) > 3 and rng.random() < 0.2:  # long letters lose a sentence now and then
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
