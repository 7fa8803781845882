"""A realistic stored analysis (two complete runs, one failed, one running) for report tests and benchmarks.

Rows are written straight through ``storage.db.upsert`` so the report stage can be developed and tested
without running the analysis. Texts are built from the OGP 2020 catalogue's keywords; a few items are
hostile (markup, ``javascript:`` URLs, a right-to-left override) or carry personal data (for redaction).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from storage.db import transaction, upsert
from storage.models import (
    AgencyResponse,
    AnalysisRun,
    Assignment,
    Campaign,
    Cluster,
    Comment,
    Commitment,
    CrawlRun,
    EndorsementSnapshot,
    Idea,
    ImportedItem,
    Policy,
)

TAIPEI = timezone(timedelta(hours=8), "Asia/Taipei")
ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_CSV = ROOT / "analysis" / "data" / "ogp2020.csv"
SITE = "127.0.0.1"
POLICY_UUID = "031e9918-59d5-4a1a-b105-96af228f3147"
BASE = "https://join.gov.tw"

HOSTILE_ID = "c-hostile"
HOSTILE_TEXT = (
    '公投電子連署<script>alert("xss")</script>應該盡快上線<img src=x onerror="alert(1)">'
    '請看<a href="javascript:alert(2)">這裡</a>\u202eevil\u202c結束'
)
PII_ID = "c-pii"
PII_TEXT = "資料開放專法應明定去識別化標準，聯絡我 someone@example.org 或 0912-345-678，身分證 A123456789。"
FORMULA_ID = "c-formula"
FORMULA_TEXT = '=HYPERLINK("http://evil.example","點我")長照人力不足'
CAMPAIGN_TEXT = "我們支持全國性公民投票案電子連署，請中選會盡快建置系統並保障個資安全。"
MINORITY_TEXT = "建議客家議題公共參與也要納入客語直播與字幕，讓長輩也能參加。"
SPARSE_CODES = {"3.3": 0, "5.1": 2}  # commitments with (almost) no input, for the gap map
NONE_THEMES = [
    (
        "none-t0",
        "空氣污染 資訊公開",
        ["空氣污染", "監測", "資訊公開"],
        "希望環保署即時公開空氣污染監測資料，並開放API給民間使用。",
    ),
    (
        "none-t1",
        "長照 人力",
        ["長照", "照服員", "薪資"],
        "長照照服員薪資太低，政府應提出人力培育與留任計畫。",
    ),
    (
        "none-t2",
        "交通安全 行人",
        ["行人", "交通安全", "路口"],
        "路口行人安全需要改善，請交通部檢討標線與號誌設計。",
    ),
]
ACTIONS = ["盡快推動", "擴大辦理", "公開進度", "邀請民間參與", "定期檢討", "編列預算"]
OPINIONS = ["我認為", "建議", "希望", "支持", "擔心", "請政府"]


@dataclass(slots=True)
class FixtureSummary:
    """What the fixture wrote, so tests can assert against known values."""

    latest_run_id: int = 0
    previous_run_id: int = 0
    n_items: int = 0
    commitment_codes: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)


def load_catalogue() -> list[dict[str, str]]:
    with CATALOGUE_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


_KEYWORDS = {row["id"]: row["keywords"].split(";") for row in load_catalogue()}


def _at(day: float) -> datetime:
    return datetime(2020, 2, 21, 9, 0, tzinfo=TAIPEI) + timedelta(days=day)


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def populate(
    engine: Engine, *, n_comments: int = 300, seed: int = 7, keep_texts: bool = True
) -> FixtureSummary:
    """Fill a migrated database with items and a realistic analysis; returns what was written."""
    rng = random.Random(seed)
    catalogue = load_catalogue()
    codes = [row["id"] for row in catalogue]
    keywords = {row["id"]: row["keywords"].split(";") for row in catalogue}
    summary = FixtureSummary(commitment_codes=codes, titles={row["id"]: row["title"] for row in catalogue})
    weights = [1.0 / (rank + 1) ** 0.7 for rank in range(len(codes))]
    dense_codes = [c for c in codes if c not in SPARSE_CODES]
    dense_weights = [w for c, w in zip(codes, weights, strict=True) if c not in SPARSE_CODES]

    # --- items -------------------------------------------------------------------------------------
    items: list[dict[str, Any]] = []  # kind, item_id, text, created_at, status, code, theme

    def add(
        kind: str, item_id: str, text: str, day: float, status: str, code: str | None, theme: str
    ) -> None:
        items.append(
            {
                "kind": kind,
                "item_id": item_id,
                "text": text,
                "at": _at(day),
                "status": status,
                "code": code,
                "theme": theme,
            }
        )

    campaign_n = max(5, n_comments // 12)
    for i in range(n_comments - campaign_n - 4):
        roll = rng.random()
        day = min(13.9, rng.expovariate(0.35))
        if roll < 0.14:
            key, _label, _terms, base = NONE_THEMES[rng.randrange(len(NONE_THEMES))]
            add("comment", f"c{i:06d}", f"{rng.choice(OPINIONS)}：{base}（第{i}則）", day, "none", None, key)
            continue
        code = rng.choices(dense_codes, dense_weights)[0]
        kw = rng.sample(keywords[code], 2)
        theme = f"{code}-t{rng.randrange(3)}"
        text = f"{rng.choice(OPINIONS)}{kw[0]}與{kw[1]}應該{rng.choice(ACTIONS)}。第{i}則意見。"
        status = "uncertain" if roll > 0.92 else "assigned"
        add(
            "comment",
            f"c{i:06d}",
            text,
            day,
            status,
            code if status == "assigned" else None,
            theme if status == "assigned" else "",
        )
    for code, count in SPARSE_CODES.items():
        for j in range(count):
            add(
                "comment",
                f"c-sparse-{code}-{j}",
                f"{keywords[code][0]}的國際交流應該擴大。第{j}則。",
                3.0 + j,
                "assigned",
                code,
                f"{code}-t0",
            )
    for j in range(campaign_n):
        add(
            "comment",
            f"c-camp-{j:05d}",
            CAMPAIGN_TEXT,
            5.0 + j * 0.5 / campaign_n,
            "assigned",
            "2.1",
            "2.1-t0",
        )
    add("comment", HOSTILE_ID, HOSTILE_TEXT, 2.0, "assigned", "2.1", "2.1-t0")
    add("comment", PII_ID, PII_TEXT, 1.0, "assigned", "1.1", "1.1-t0")
    add("comment", FORMULA_ID, FORMULA_TEXT, 4.5, "none", None, "none-t1")
    add("comment", "c-minority", MINORITY_TEXT, 4.0, "assigned", "3.4", "3.4-minority")
    for j in range(20):
        add(
            "import",
            f"imp-{j:03d}",
            f"（座談會紀錄）{rng.choice(OPINIONS)}{rng.choice(keywords['2.2'])}。編號{j}",
            6 + j * 0.2,
            "assigned",
            "2.2",
            "2.2-t1",
        )

    ideas: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    snapshots: list[tuple[str, int, int]] = []
    agencies = ["國家發展委員會", "中央選舉委員會", "內政部", "法務部"]
    for j in range(24):
        uuid = f"idea-{j:04d}-aaaa-bbbb"
        code = dense_codes[j % len(dense_codes)]
        title = f"提議：{keywords[code][0]}制度改革（{j}）"
        outline = f"請{agencies[j % 4]}檢討{keywords[code][1]}相關規定。"
        goal = 5000
        count = int(goal * (0.2 + (j % 6) * 0.19)) if j % 5 else goal + 800 + j * 10
        # passed proposals are old enough for their 2-month answer to be due; open ones are recent
        published = _at(-140 + 3 * j) if count >= goal else _at(-50 + 2 * j)
        passed = published + timedelta(days=20) if count >= goal else None
        ideas.append(
            {
                "site": SITE,
                "uuid": uuid,
                "title": title,
                "outline": outline,
                "content": outline,
                "status": "已成案" if passed else "附議中",
                "proposer": f"提議人{j}",
                "agency": agencies[j % 4] if passed else "",
                "published_at": published,
                "endorse_count": count,
                "endorse_goal": goal,
                "endorse_due_at": published + timedelta(days=60),
                "passed_at": passed,
                "response_due_at": passed + timedelta(days=60) if passed else None,
                "url": f"{BASE}/idea/detail/{uuid}",
            }
        )
        snapshots.append((uuid, max(0, count - 40 * (j % 7)), count))
        if passed:
            responses.append(
                {
                    "site": SITE,
                    "uuid": f"resp-{j}-p",
                    "idea_uuid": uuid,
                    "agency": agencies[j % 4],
                    "responded_at": passed + timedelta(days=10),
                    "is_placeholder": True,
                    "analysis": "本會將於期限內回應。",
                    "url": f"{BASE}/idea/detail/{uuid}",
                }
            )
            if j != 10:  # one passed proposal never gets its formal answer
                late = 75 if j == 15 else 35
                responses.append(
                    {
                        "site": SITE,
                        "uuid": f"resp-{j}-f",
                        "idea_uuid": uuid,
                        "agency": agencies[j % 4],
                        "responded_at": passed + timedelta(days=late),
                        "is_placeholder": False,
                        "analysis": f"研議{keywords[code][1]}修法。",
                        "suggest": "部分採納",
                        "plan": "一年內完成研議。",
                        "url": f"{BASE}/idea/detail/{uuid}",
                    }
                )
        add("idea", uuid, f"{title}\n{outline}", (published - _at(0)).days, "assigned", code, f"{code}-t1")

    # --- write items ---------------------------------------------------------------------------------
    with transaction(engine) as session:
        upsert(
            session,
            Commitment,
            [
                {
                    "catalogue": "ogp2020",
                    "code": r["id"],
                    "title": r["title"],
                    "description": r["description"],
                    "keywords": r["keywords"].split(";"),
                    "position": n,
                }
                for n, r in enumerate(catalogue)
            ],
            keys=["catalogue", "code"],
        )
        upsert(
            session,
            Policy,
            [
                {
                    "site": SITE,
                    "uuid": POLICY_UUID,
                    "title": "開放政府國家行動方案（草案）",
                    "agency": "國家發展委員會",
                    "published_at": _at(0),
                    "closes_at": _at(14),
                    "url": f"{BASE}/policies/detail/{POLICY_UUID}",
                }
            ],
            keys=["site", "uuid"],
        )
        comment_rows = []
        for it in items:
            if it["kind"] != "comment":
                continue
            url = f"{BASE}/policies/detail/{POLICY_UUID}#{it['item_id']}"
            if it["item_id"] == HOSTILE_ID:
                url = "javascript:alert(3)"
            comment_rows.append(
                {
                    "site": SITE,
                    "msg_uid": it["item_id"],
                    "policy_uuid": POLICY_UUID,
                    "text": it["text"],
                    "created_at": it["at"],
                    "url": url,
                    "author": "匿名",
                }
            )
        for chunk in _chunks(comment_rows):
            upsert(session, Comment, chunk, keys=["site", "msg_uid"])
        upsert(
            session,
            ImportedItem,
            [
                {
                    "dataset": "workshop",
                    "item_id": it["item_id"],
                    "text": it["text"],
                    "created_at": it["at"],
                    "url": "",
                    "source_file": "workshop.csv",
                    "source_line": n + 2,
                }
                for n, it in enumerate(i for i in items if i["kind"] == "import")
            ],
            keys=["dataset", "item_id"],
        )
        upsert(session, Idea, ideas, keys=["site", "uuid"])
        upsert(session, AgencyResponse, responses, keys=["site", "uuid"])
        crawl_ids = []
        for n in range(2):
            run = CrawlRun(
                kind="crawl",
                base_url="http://127.0.0.1:8800",
                started_at=_at(14 + n),
                finished_at=_at(14 + n) + timedelta(hours=1),
                status="finished",
            )
            session.add(run)
            session.flush()
            crawl_ids.append(run.id)
        upsert(
            session,
            EndorsementSnapshot,
            [
                {
                    "site": SITE,
                    "idea_uuid": uuid,
                    "crawl_run_id": crawl_ids[n],
                    "observed_at": _at(14 + n),
                    "endorse_count": (before, after)[n],
                }
                for uuid, before, after in snapshots
                for n in range(2)
            ],
            keys=["site", "idea_uuid", "crawl_run_id"],
        )

    # --- analysis runs ----------------------------------------------------------------------------------
    cutoff = _at(9.0)  # the previous run saw only what existed then
    previous_items = [it for it in items if it["at"] <= cutoff]
    summary.previous_run_id = _write_run(engine, previous_items, rng, finished=_at(9.1), seed=0)
    summary.latest_run_id = _write_run(engine, items, rng, finished=_at(16), seed=0)
    with transaction(engine) as session:  # newer runs that must never be shown
        session.add(AnalysisRun(status="failed", catalogue="ogp2020", started_at=_at(17), n_items=1))
        session.add(AnalysisRun(status="running", catalogue="ogp2020", started_at=_at(18), n_items=1))
    summary.n_items = len(items)
    if keep_texts:
        summary.texts = {(it["kind"], it["item_id"]): it["text"] for it in items}
    return summary


def _write_run(
    engine: Engine, items: list[dict[str, Any]], rng: random.Random, *, finished: datetime, seed: int
) -> int:
    """A complete run; its references (duplicates, representatives, exemplar) are bare ids, as runs made
    before item keys hold them (``storage.items.ItemIndex`` reads both forms)."""
    by_theme: dict[str, list[dict[str, Any]]] = {}
    for it in items:
        if it["theme"]:
            by_theme.setdefault(it["theme"], []).append(it)
    with transaction(engine) as session:
        run = AnalysisRun(
            status="running",
            catalogue="ogp2020",
            seed=seed,
            started_at=finished - timedelta(minutes=3),
            n_items=len(items),
            data_hash=f"{len(items):064x}",
        )
        session.add(run)
        session.flush()
        run_id = run.id
        campaign_ids = [it["item_id"] for it in items if it["item_id"].startswith("c-camp-")]
        rows = []
        for it in items:
            camp = it["item_id"].startswith("c-camp-")
            conf = (
                round(0.45 + rng.random() * 0.5, 3)
                if it["status"] == "assigned"
                else round(rng.random() * 0.4, 3)
            )
            rows.append(
                {
                    "run_id": run_id,
                    "item_kind": it["kind"],
                    "item_source": "workshop" if it["kind"] == "import" else SITE,
                    "item_id": it["item_id"],
                    "status": it["status"],
                    "commitment_code": it["code"],
                    "confidence": conf,
                    "candidates": [[it["code"] or "1.1", conf]],
                    "cluster_key": it["theme"] or None,
                    "duplicate_of": campaign_ids[0] if camp and it["item_id"] != campaign_ids[0] else None,
                    "campaign_key": "camp-0001" if camp else None,
                }
            )
        for chunk in _chunks(rows):
            upsert(session, Assignment, chunk, keys=["run_id", "item_kind", "item_source", "item_id"])
        clusters = []
        for key, members in sorted(by_theme.items()):
            scope = "none" if key.startswith("none-") else key.split("-")[0]
            none_theme = next((t for t in NONE_THEMES if t[0] == key), None)
            if none_theme:
                label, terms = none_theme[1], none_theme[2]
            else:  # a label made of catalogue keywords, as a term-based labeller would produce
                words = _KEYWORDS[scope]
                offset = 2 * (int(key[-1]) if key[-1].isdigit() else 3) % len(words)
                terms = [words[(offset + n) % len(words)] for n in range(3)]
                label = " ".join(terms[:2])
            reps = [m["item_id"] for m in members if m["item_id"] not in {HOSTILE_ID, PII_ID}][:3]
            for special in (HOSTILE_ID, PII_ID):
                if any(m["item_id"] == special for m in members):
                    reps.insert(0, special)
            clusters.append(
                {
                    "run_id": run_id,
                    "cluster_key": key,
                    "scope": scope,
                    "label": label,
                    "terms": terms,
                    "size": len(members),
                    "representative_ids": reps[:4],
                    "is_minority": key.endswith("minority"),
                    "centroid": [],
                }
            )
        upsert(session, Cluster, clusters, keys=["run_id", "cluster_key"])
        if campaign_ids:
            stamps = [it["at"] for it in items if it["item_id"].startswith("c-camp-")]
            upsert(
                session,
                Campaign,
                [
                    {
                        "run_id": run_id,
                        "campaign_key": "camp-0001",
                        "size": len(campaign_ids),
                        "exemplar_item_id": campaign_ids[0],
                        "exemplar_text": CAMPAIGN_TEXT,
                        "first_at": min(stamps),
                        "last_at": max(stamps),
                        "is_burst": True,
                        "commitment_code": "2.1",
                    }
                ],
                keys=["run_id", "campaign_key"],
            )
        run.status = "complete"
        run.finished_at = finished
        run.manifest = {
            "seed": seed,
            "catalogue": "ogp2020",
            "n_items": len(items),
            "packages": {"scikit-learn": "1.9.1"},
            "parameters": {"threshold": 0.35, "uncertain_margin": 0.05},
        }
    return run_id
