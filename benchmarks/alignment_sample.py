"""Response-alignment audit against hand labels: (theme, agency response) pairs from a demo database and
the real 2017 samples, the audit's verdict beside a person's.

    .venv/bin/joinfeedback demo --out /tmp/jf-demo --no-pdf        # any analysed database with responses
    .venv/bin/python benchmarks/alignment_sample.py draw --db sqlite:////tmp/jf-demo/joinfeedback.db \\
        > benchmarks/labels/alignment_sample.csv                     # then fill ``gold`` by hand
    .venv/bin/python benchmarks/alignment_sample.py score           # agreement of ``verdict`` with ``gold``

``draw`` pairs every response of the replica with its proposal's own ask (the title's words) and the
two largest themes of the commitment the proposal was assigned to, and each response of the real 2017
proposals (tests/fixtures/join-samples/) with the proposal's own asks (its numbered points, or its
outline); placeholder responses are pairs too (gold ``placeholder``). ``gold`` is one of matched /
partly / not_addressed / placeholder, judged by
reading the response for the theme's comments' concern, without looking at ``verdict``.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.text.normalise import normalise
from analysis.text.segment import segmenter
from reports.alignment import align, is_placeholder, response_text
from storage.db import open_database, session_factory
from storage.queries import exports as export_queries
from storage.queries import proposals as proposal_queries
from storage.queries import runs as run_queries

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "benchmarks" / "labels" / "alignment_sample.csv"
SAMPLES_2017 = ROOT / "tests" / "fixtures" / "join-samples"
FIELDS = ("source", "proposal", "theme", "terms", "response", "verdict", "gold")
THEMES_PER_RESPONSE = 2


def _verdict(label: str, terms: list[str], text: str, proposal: str = "") -> str:
    return "placeholder" if is_placeholder(text) else align(label, terms, text, proposal=proposal).verdict


def draw_replica(db_url: str) -> list[dict[str, str]]:
    engine = open_database(db_url)
    out = []
    with session_factory(engine)() as session:
        run = run_queries.latest_complete_run(session)
        assert run is not None, "analyse the database first"
        code_of = {
            r.item_id: r.commitment_code for r in run_queries.assignments(session, run.id) if r.kind == "idea"
        }
        clusters = [
            c for c in run_queries.clusters(session, run.id) if not c.is_support and not c.is_minority
        ]
        titles = {p.uuid: p.title for p in proposal_queries.proposals(session)}
        for record in export_queries.export_responses(session):
            idea = str(record["idea_uuid"])
            text = response_text([str(record[k] or "") for k in ("analysis", "suggest", "plan", "reference")])
            title = titles.get(idea, idea)
            # the proposal's own ask (its title, segmented), then its commitment's largest themes
            asks = [("", [w for w in segmenter().cut(normalise(title)) if len(w) >= 2][:6])]
            asks += [(c.label, list(c.terms)) for c in clusters if c.scope == code_of.get(idea)][
                :THEMES_PER_RESPONSE
            ]
            for label, terms in asks:
                out.append(
                    {
                        "source": f"replica:{code_of.get(idea)}",
                        "proposal": title,
                        "theme": label or f"(proposal) {title}",
                        "terms": " ".join(terms[:6]),
                        "response": text[:600],
                        "verdict": _verdict(label, terms, text, title),
                        "gold": "",
                    }
                )
    return out


def draw_2017() -> list[dict[str, str]]:
    out = []
    for path in sorted(SAMPLES_2017.glob("idea-detail-*.json")):
        idea = json.loads(path.read_text(encoding="utf-8"))
        idea = idea.get("idea", idea)
        content = re.sub(r"<[^>]+>|&nbsp;", " ", idea.get("content") or idea.get("outline") or "")
        asks = [a.strip() for a in re.split(r"[一二三四五六七八九十]\s*[.、]", content)[1:] if a.strip()]
        asks = asks or [re.sub(r"<[^>]+>", "", idea.get("outline") or "")]
        for response in idea.get("govResponses") or []:
            text = response_text(
                [response.get(k) or "" for k in ("analysis", "suggest", "plan", "reference")]
            )
            for ask in asks:
                words = list(re.findall(r"[\u4e00-\u9fff]{2,4}", ask))[:6]
                out.append(
                    {
                        "source": f"2017:{path.stem}",
                        "proposal": idea.get("title", ""),
                        "theme": ask[:40],
                        "terms": " ".join(words),
                        "response": text[:600],
                        "verdict": _verdict("", words, text, idea.get("title", "")),
                        "gold": "",
                    }
                )
    return out


def rescore(path: Path) -> None:
    """Recompute ``verdict`` of every row of a sample with today's audit, keeping the hand labels."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        terms = row["terms"].split()
        label = (
            "" if row["theme"].startswith("(proposal)") or row["source"].startswith("2017") else row["theme"]
        )
        row["verdict"] = _verdict(label, terms, row["response"], row["proposal"])
    with path.open("w", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def score(path: Path) -> str:
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["gold"]]
    agree = sum(r["verdict"] == r["gold"] for r in rows)
    pairs = Counter((r["gold"], r["verdict"]) for r in rows)
    lines = [
        f"{len(rows)} labelled pairs; the audit agrees with the hand label on {agree} "
        f"({agree / max(1, len(rows)):.0%})"
    ]
    lines += [f"  gold {g:<14} audit {v:<14} {n}" for (g, v), n in sorted(pairs.items())]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("draw")
    d.add_argument("--db", required=True)
    s = sub.add_parser("score")
    s.add_argument("sample", nargs="?", type=Path, default=SAMPLE)
    r = sub.add_parser("rescore", help="recompute the audit's verdicts of a labelled sample")
    r.add_argument("sample", nargs="?", type=Path, default=SAMPLE)
    args = parser.parse_args()
    if args.command == "rescore":
        rescore(args.sample)
    if args.command == "draw":
        writer = csv.DictWriter(sys.stdout, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(draw_replica(args.db) + draw_2017())
    if args.command in ("score", "rescore"):
        print(score(args.sample))


if __name__ == "__main__":
    main()
