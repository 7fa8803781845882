"""A small synthetic Traditional-Chinese consultation for the analysis tests (written for them)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")

CATALOGUE_CSV = """id,title,description,keywords
A,政府資料開放,推動政府資料開放與資料集品質，讓民間加值運用開放資料。,資料開放;開放資料;資料集;API;加值運用
B,青年政策參與,擴大青年參與公共政策，青年諮詢委員會與校園公民教育。,青年;學生;校園;青諮會;公民教育
C,政治獻金透明化,公開政治獻金資料，候選人與政黨收支可查詢。,政治獻金;候選人;政黨;捐款;收支
"""

PHRASES: dict[str, list[str]] = {
    "A": [
        "政府應該開放更多資料集",
        "開放資料的格式要機器可讀",
        "希望資料開放平台提供API",
        "資料集更新太慢影響加值運用",
        "各機關的開放資料品質不一",
        "開放資料可以幫助公民科技社群",
    ],
    "B": [
        "青年參與政策的管道太少",
        "校園應該加強公民教育",
        "青諮會的委員應該更多元",
        "學生很少有機會表達意見",
        "希望青年能參與地方政策討論",
        "青年世代需要更多參與公共事務",
    ],
    "C": [
        "政治獻金的資料應該可以下載",
        "候選人的收支要公開透明",
        "政黨捐款應該即時揭露",
        "政治獻金法需要修正",
        "選舉經費的金流要公開查詢",
        "捐款給候選人的紀錄要數位化",
    ],
    "none": [
        "捷運站附近的停車位不夠",
        "夜市的垃圾問題很嚴重",
        "颱風天應該停班停課",
        "公園的遊樂設施需要維修",
        "路燈常常壞掉沒人修",
        "市場的攤販占用人行道",
    ],
}

FORM_LETTER = "我強烈要求政府立即公開所有政治獻金的完整資料，讓全民監督候選人的每一筆收支！"


def make_items(
    n_per_topic: int = 12, *, seed: int = 0, campaign: int = 0, start: datetime | None = None
) -> list[dict[str, Any]]:
    """ImportedItem rows: sentences combined per topic, plus ``campaign`` copies of a form letter."""
    rng = random.Random(seed)
    start = start or datetime(2020, 2, 21, 9, 0, tzinfo=TAIPEI)
    rows: list[dict[str, Any]] = []
    for topic, phrases in PHRASES.items():
        for i in range(n_per_topic):
            text = "，".join(rng.sample(phrases, 2)) + "。"
            rows.append(
                {
                    "dataset": "test",
                    "item_id": f"{topic}-{i:03d}",
                    "text": text,
                    "created_at": start + timedelta(hours=len(rows)),
                }
            )
    for i in range(campaign):
        suffix = "" if i % 2 else "。"
        rows.append(
            {
                "dataset": "test",
                "item_id": f"form-{i:03d}",
                "text": FORM_LETTER + suffix,
                "created_at": start + timedelta(days=3, minutes=i),
            }
        )
    return rows


def gold_of(item_id: str) -> str:
    topic = item_id.split("-")[0]
    return {"form": "C"}.get(topic, topic)


def write_catalogue(path: Path) -> Path:
    path.write_text(CATALOGUE_CSV, encoding="utf-8")
    return path
