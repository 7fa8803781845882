"""The review page: the comments whose labels would help the assignment most, each with where the run
placed it and a choice of commitment (or ``none``), kept in the browser and downloaded as the
``examples.csv`` that ``joinfeedback analyze --examples`` reads.

Which comments to ask about is the analysis's choice (``analysis.assignment.examples.suggested``, the same as
``suggest-examples``): the command line passes their keys in, and this page only shows them.
"""

from __future__ import annotations

import base64
import hashlib
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from sqlalchemy.orm import Session

from reports.i18n import DEFAULT_LANGUAGE, Translator
from reports.model import Quote
from reports.quotes import QuoteBook
from reports.rundata import RunData
from storage.items import ItemKey
from storage.queries import runs as run_queries
from storage.queries.runs import RunInfo
from storage.run_rows import StoredAssignment
from storage.scope import ItemScope

REVIEW_PAGE = "review.html"
NONE = "none"
SCRIPT = (resources.files("reports") / "templates" / "review.js").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One comment to label: ``item_id`` is the id ``--examples`` reads; ``choice`` the label the run was
    given for it (empty when it was not an example)."""

    anchor: str
    item_id: str
    quote: Quote
    status: str
    commitment: str | None
    placed: str  # the commitment the run placed it under, as the page shows it (empty for none)
    confidence: float
    choice: str


@dataclass(frozen=True, slots=True)
class ReviewPage:
    suggested: tuple[ReviewItem, ...]
    earlier: tuple[ReviewItem, ...]  # the run's own examples in this report's scope, to keep or change
    kept: tuple[tuple[str, str], ...]  # the run's examples outside the scope: written to the file as they are
    options: tuple[tuple[str, str], ...]  # (commitment code or "none", its label)
    storage_key: str
    analyze_command: str
    report_command: str
    script: str = SCRIPT

    @property
    def script_hash(self) -> str:
        """The Content-Security-Policy source that lets this page's own script, and nothing else, run."""
        digest = hashlib.sha256(self.script.encode("utf-8")).digest()
        return "sha256-" + base64.b64encode(digest).decode("ascii")

    def link_for(self, code: str | None) -> tuple[str, int] | None:
        """The anchor of the first suggested comment the run placed under ``code`` (``None``: fits no
        commitment), and how many suggested comments it placed there."""
        placed = [item for item in self.suggested if (item.commitment or NONE) == (code or NONE)]
        return (placed[0].anchor, len(placed)) if placed else None


def scope_options(described: object) -> list[str]:
    """Command-line options for a scope as ``ItemScope.describe`` writes it (in a manifest or a report)."""
    return ItemScope.described(described).flags().split() if isinstance(described, Mapping) else []


def catalogue_option(manifest: Mapping[str, object]) -> str:
    """The ``--commitments`` value of the run (empty: the bundled catalogue; ``none``: no catalogue)."""
    option = manifest.get("catalogue_option")
    if isinstance(option, str):
        return option
    if manifest.get("catalogue") == NONE:
        return NONE
    return str(manifest.get("catalogue_source") or "")  # recorded before the manifest named the option


def analyze_command(run: RunInfo) -> str:
    """The ``analyze`` line that re-runs this run's analysis with the examples file: same catalogue,
    seed, embeddings and scope."""
    words = ["joinfeedback", "analyze", "--examples", "examples.csv"]
    option = catalogue_option(run.manifest)
    if option:
        words += ["--commitments", option]
    words += ["--seed", str(run.seed)]
    params = run.manifest.get("params")
    embeddings = params.get("embeddings") if isinstance(params, Mapping) else None
    if embeddings and embeddings != "auto":
        words += ["--embeddings", str(embeddings)]
    return shlex.join(words + scope_options(run.manifest.get("scope")))


def report_command(data: RunData, language: str) -> str:
    words = ["joinfeedback", "report"]
    if language != DEFAULT_LANGUAGE:
        words += ["--lang", language]
    return shlex.join(words + data.scope.flags().split())


def storage_key(run: RunInfo) -> str:
    """The browser's key for the choices made on this run's page: another run, or another database's
    run of the same number, has another key (every ``file://`` page shares one localStorage)."""
    fingerprint = f"{run.id}\x1f{run.started_at}\x1f{run.data_hash}\x1f{run.catalogue}"
    return "joinfeedback-review-" + hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:16]


def _items(
    keys: Sequence[ItemKey],
    rows: Mapping[ItemKey, StoredAssignment],
    book: QuoteBook,
    start: int,
    *,
    examples: Mapping[ItemKey, str],
    titles: Mapping[str, str],
) -> list[ReviewItem]:
    items: list[ReviewItem] = []
    for key in keys:
        quote, row = book.get(key), rows[key]
        if quote is None:  # no stored text to show: nothing to judge it by
            continue
        items.append(
            ReviewItem(
                f"r-{start + len(items)}",
                key.text,
                quote,
                row.status,
                row.commitment_code,
                titles.get(row.commitment_code or "", row.commitment_code or ""),
                row.confidence,
                examples.get(key, ""),
            )
        )
    return items


def build_review(
    session: Session, data: RunData, book: QuoteBook, t: Translator, suggested: Sequence[ItemKey]
) -> ReviewPage:
    """The page for ``suggested`` (in the analysis's order; keys outside the report's items are left
    out) and the run's own examples; quotes come from ``book`` and are verified with the others."""
    rows = {r.key: r for r in data.assignments}
    examples = data.steering.examples if data.steering else {}  # written keys (bare ids in older runs)
    placed = {key: code for written, code in examples.items() if (key := data.refs.find(written))}
    asked = [key for key in dict.fromkeys(suggested) if key in rows]
    earlier = [key for key in placed if key in rows and key not in set(asked)]
    book.load(session, asked + earlier)
    titles = {c.code: f"{c.code} {t.commitment_title(c.title)}" for c in data.commitments}
    shown = _items(asked, rows, book, 1, examples=placed, titles=titles)
    kept_before = _items(earlier, rows, book, len(shown) + 1, examples=placed, titles=titles)
    on_page = {item.item_id for item in shown + kept_before}
    catalogue = run_queries.commitments(session, data.run.catalogue) if data.run.catalogue != NONE else []
    options = [(c.code, titles[c.code]) for c in catalogue]
    return ReviewPage(
        suggested=tuple(shown),
        earlier=tuple(kept_before),
        kept=tuple(
            (written, code)
            for written, code in examples.items()
            if (key := data.refs.find(written)) is None or key.text not in on_page
        ),
        options=(*options, (NONE, t("review_none_option"))) if options else (),
        storage_key=storage_key(data.run),
        analyze_command=analyze_command(data.run),
        report_command=report_command(data, t.language),
    )


__all__ = [
    "REVIEW_PAGE",
    "ReviewItem",
    "ReviewPage",
    "analyze_command",
    "build_review",
    "catalogue_option",
    "report_command",
    "scope_options",
    "storage_key",
]
