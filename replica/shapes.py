"""Shape variants: the replica serves the real shapes recorded so far instead of (or besides) the contract's
guesses, and can leave optional fields out, so the crawler is tested on what the real site may serve.

``joinfeedback replica --shapes SPEC`` / ``ReplicaServer(shapes=SPEC)``; ``SPEC`` is comma-separated names:

- ``opendata2017``: ``/toOpenData/ey/policy`` serves the 2017 shape (English keys ``url``, ``title``,
  ``messages``) [C]
- ``skeleton``: consultation pages are the Knockout skeleton: ``<title>``, ``#boardContainer``,
  ``<noscript>`` only [V]
- ``empty_list``: no closed proposals, so the CLOSED list state is empty; empty states say "1 / 1"
  (``totalPages: 1``)
- ``strings``: every number in the open data is a string (``"153"``) [C]
- ``sentinel``: 「無」 for absent values in the open data (agency, closing date, proposer, 提送日期) [C]
- ``drop``: each optional field of each page is left out with probability ½ (from the seed and the URL)
- ``no_board``: the comment board path serves an HTML page instead of its JSON (required data missing)
- ``real``: ``opendata2017,skeleton,empty_list,strings,sentinel``: only the shapes recorded from the real
  site

Ids, the board envelope's ``result`` and the embedded ``var idea`` (required by the crawler) are never
dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from base.errors import UserError
from replica.documents import Document, documents
from replica.faults import unit

NAMES = ("opendata2017", "skeleton", "empty_list", "strings", "sentinel", "drop", "no_board")
REAL = ("opendata2017", "skeleton", "empty_list", "strings", "sentinel")
SENTINEL = "無"

# Optional fields the ``drop`` variant may leave out, per page kind (ids and required lists never).
DROP_OPENDATA_POLICY = ("標題", "title", "提議機關", "發佈日期", "下線日期", "關注數量", "留言數量")
DROP_OPENDATA_IDEA = (
    "標題",
    "publishDate",
    "提議內容",
    "利益與影響",
    "附議數量",
    "附議門檻",
    "提送日期",
    "關注數量",
    "留言數量",
    "提議者",
)
DROP_PAGER = ("currentPage", "totalPages", "totalResults")
DROP_COMMENT = ("cdate", "beforeNow", "author", "likeCount", "content")
DROP_LIST_ENTRY = ("title", "status", "endorseCount", "commentCount", "attentionCount", "publishDate")
DROP_IDEA = (
    "title",
    "status",
    "publishDate",
    "endorseCount",
    "endorseGoal",
    "endorseDueDate",
    "content",
    "outline",
    "outcome",
    "proposer",
    "approvalOrganization",
    "attentionCount",
    "commentCount",
    "updateDate",
)
DROP_RESPONSE = ("organization", "responseTime", "analysis", "suggest")
POLICY_PAGE_PARTS = ("title", "h1", "org", "period", "content", "attachments")


@dataclass(frozen=True, slots=True)
class ShapeSpec:
    names: frozenset[str] = frozenset()
    seed: int = 1
    text: str = ""

    @classmethod
    def parse(cls, spec: str | None, seed: int = 1) -> ShapeSpec:
        names: set[str] = set()
        for raw in filter(None, (p.strip().lower() for p in (spec or "").split(","))):
            if raw == "real":
                names.update(REAL)
            elif raw in NAMES:
                names.add(raw)
            else:
                raise UserError(
                    f"replica shapes: unknown shape {raw!r} in {spec!r} (known: {', '.join(NAMES)}, real)"
                )
        return cls(frozenset(names), seed, spec or "")

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def dropped(self, url: str, *where: object) -> bool:
        """Whether the ``drop`` variant leaves this field of this page out (deterministic)."""
        return "drop" in self.names and unit(self.seed, "drop", url, *where) < 0.5

    def _without(
        self, value: Mapping[str, object], keys: tuple[str, ...], url: str, *where: object
    ) -> Document:
        return {k: v for k, v in value.items() if not (k in keys and self.dropped(url, *where, k))}

    def opendata_policies(self, rows: list[Document], url: str) -> list[Document]:
        out = []
        for index, row in enumerate(rows):
            row = dict(row)
            if "strings" in self.names:
                row.update(
                    {k: str(v) for k, v in row.items() if isinstance(v, int) and not isinstance(v, bool)}
                )
            if "sentinel" in self.names and "提議機關" in row:
                if index % 2:
                    row["提議機關"] = SENTINEL
                if index % 3 == 1:
                    row["下線日期"] = SENTINEL
            out.append(self._without(row, DROP_OPENDATA_POLICY, url, index))
        return out

    def opendata_ideas(self, rows: list[Document], url: str) -> list[Document]:
        out = []
        for index, row in enumerate(rows):
            row = dict(row)
            if "strings" in self.names:
                row.update(
                    {
                        k: str(v)
                        for k, v in row.items()
                        if isinstance(v, int | float) and not isinstance(v, bool)
                    }
                )
            if "sentinel" in self.names and index % 2:
                row["提議者"] = SENTINEL
            out.append(self._without(row, DROP_OPENDATA_IDEA, url, index))
        return out

    def envelope(self, envelope: Document, url: str, entry_keys: tuple[str, ...]) -> Document:
        """A board or list envelope: pager keys and entries' optional keys (replies too) may go."""
        if "empty_list" in self.names and not envelope["result"] and envelope["totalResults"] == 0:
            envelope = {**envelope, "totalPages": 1}

        def entry(value: Document, path: str) -> Document:
            kept = self._without(value, entry_keys, url, path)
            if isinstance(kept.get("replyMessages"), list):
                replies = documents(kept["replyMessages"])
                kept["replyMessages"] = [entry(r, f"{path}/{n}") for n, r in enumerate(replies)]
            return kept

        result = [entry(r, str(n)) for n, r in enumerate(documents(envelope["result"]))]
        return {**self._without(envelope, DROP_PAGER, url, "pager"), "result": result}

    def idea(self, idea: Document, url: str) -> Document:
        kept = self._without(idea, DROP_IDEA, url, "idea")
        kept["govResponses"] = [
            self._without(r, DROP_RESPONSE, url, "response", n)
            for n, r in enumerate(documents(idea["govResponses"]))
        ]
        return kept

    def policy_page_omits(self, url: str) -> frozenset[str]:
        return frozenset(part for part in POLICY_PAGE_PARTS if self.dropped(url, "page", part))


__all__ = ["NAMES", "REAL", "ShapeSpec"]
