"""The analysis pipeline on plain texts (no database): normalise → segment → vectorise → assign.

``run.py`` wraps this with loading and storing; benchmarks and the devset script call it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from analysis.assignment.assign import CommitmentAssigner, Decision
from analysis.catalogue import Catalogue
from analysis.text import embed
from analysis.text.features import LexicalVectorizer
from analysis.text.normalise import normalise, normalise_many
from analysis.text.segment import segmenter


class AnalysisParams(TypedDict, total=False):
    """Parameters of the whole analysis (every key in :data:`DEFAULT_PARAMS`; callers give overrides)."""

    word_weight: float
    char_ngram: list[int]
    max_df: float
    keyword_repeat: int
    n_iter: int
    seed_fraction: float
    none_share: float | str
    seed_quantile: float
    uncertain_ratio: float
    C: float
    prf_weight: float
    prf_rounds: int
    embedding_prf: float
    embeddings: str


# The defaults of the whole analysis, recorded in every run's manifest.
DEFAULT_PARAMS: AnalysisParams = {
    "word_weight": 0.5,
    "char_ngram": [2, 2],
    "max_df": 0.5,
    "keyword_repeat": 2,
    "n_iter": 0,
    "seed_fraction": 0.5,
    "none_share": "auto",
    "seed_quantile": 0.5,
    "uncertain_ratio": 0.85,
    "C": 4.0,
    "prf_weight": 0.5,
    "prf_rounds": 1,
    # Feedback in the embedding space (CommitmentAssigner.embedding_prf): each commitment's sentence
    # vector moves towards the items that match it in both views.
    "embedding_prf": 0.3,
    # Sentence embeddings (analysis/text/embed.py): "auto" uses them when the optional extra is installed,
    # at any size (each distinct text encoded once, then cached); "on" always (needs the extra); "off"
    # never. Figures: docs/benchmarks.md and README (benchmarks/generalisation.py).
    "embeddings": "auto",
}


@dataclass(slots=True)
class PreparedCorpus:
    """Normalised texts and the fitted lexical space.

    ``unique_X`` has one row per distinct normalised text (catalogue rows are in ``prototypes``);
    ``inverse`` gives each item's row in it, so the items' matrix is ``X == unique_X[inverse]``.
    """

    texts: list[str]
    vectorizer: LexicalVectorizer
    unique_X: sp.csr_matrix
    inverse: np.ndarray
    prototypes: sp.csr_matrix | None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def X(self) -> sp.csr_matrix:
        """One row per item (built on demand: the analysis itself works on the distinct rows)."""
        return self.unique_X[self.inverse] if self.inverse.size else self.unique_X[:0]


def commitment_document(entry_title: str, description: str, keywords: Sequence[str], repeat: int) -> str:
    """The text a commitment is matched by: its keywords count ``repeat`` times (they are chosen words)."""
    parts = [entry_title, entry_title, description]
    for _ in range(repeat):
        parts.extend(keywords)
    return " ".join(parts)


def prepare(
    texts: Sequence[str], catalogue: Catalogue | None, params: AnalysisParams | None = None
) -> PreparedCorpus:
    """Normalise and segment every text and the catalogue, then fit one lexical space on both."""
    return prepare_normalised(normalise_many(texts), catalogue, params)


def prepare_normalised(
    normalised: Sequence[str], catalogue: Catalogue | None, params: AnalysisParams | None = None
) -> PreparedCorpus:
    """:func:`prepare` for texts already normalised with ``analysis.text.normalise.normalise_many``."""
    p: AnalysisParams = {**DEFAULT_PARAMS, **(params or {})}
    seg = segmenter()
    domain_words = []
    if catalogue is not None:
        domain_words = [c.title for c in catalogue.commitments]
        domain_words += [k for c in catalogue.commitments for k in c.keywords]
    # Vectorise each distinct text once (form letters and repeated short answers are common), then
    # expand back: rows of equal texts are equal.
    index_of: dict[str, int] = {}
    inverse = np.fromiter(
        (index_of.setdefault(t, len(index_of)) for t in normalised), dtype=np.int64, count=len(normalised)
    )
    unique_texts = list(index_of)
    cat_docs: list[tuple[str, list[str]]] = []
    # The catalogue's titles and keywords are words of this analysis only (a later run in the same
    # process, with another catalogue, segments as if they had never been added).
    with seg.extra_words(domain_words):
        unique_tokens = seg.cut_many(unique_texts)
        for c in catalogue.commitments if catalogue is not None else []:
            text = normalise(
                commitment_document(c.title, c.description, c.keywords, int(p["keyword_repeat"]))
            )
            cat_docs.append((text, seg.cut(text)))
    docs = list(zip(unique_texts, unique_tokens, strict=True))
    n_min, n_max = p["char_ngram"]
    vectorizer = LexicalVectorizer(
        word_weight=float(p["word_weight"]), char_ngram=(n_min, n_max), max_df=float(p["max_df"])
    )
    matrix = vectorizer.fit_transform(docs + cat_docs)
    n = len(docs)
    prototypes = matrix[n:] if cat_docs else None
    return PreparedCorpus(list(normalised), vectorizer, matrix[:n], inverse, prototypes)


def embeddings_for(
    prepared: PreparedCorpus, catalogue: Catalogue, mode: str, encoder: embed.SentenceEncoder | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """Sentence vectors of the corpus's distinct texts (rows of ``unique_X``) and of the commitments
    (title and description, as a reader would state them), or ``None`` when ``mode`` says not to."""
    if not embed.wanted(mode):
        return None
    encoder = encoder or embed.SentenceEncoder()
    _, first = np.unique(prepared.inverse, return_index=True)
    items = encoder.encode([prepared.texts[i] for i in first.tolist()])
    commitments = encoder.encode([normalise(f"{c.title}。{c.description}") for c in catalogue.commitments])
    return items, commitments


def assign(
    prepared: PreparedCorpus,
    catalogue: Catalogue,
    *,
    seed: int = 0,
    params: AnalysisParams | None = None,
    encoder: embed.SentenceEncoder | None = None,
    examples: dict[int, str] | None = None,
) -> tuple[CommitmentAssigner, list[Decision]]:
    """Fit and decide; ``encoder`` is used when the ``embeddings`` parameter asks for embeddings.

    ``examples``: a facilitator's examples, item index → commitment code or ``"none"``.
    """
    p: AnalysisParams = {**DEFAULT_PARAMS, **(params or {})}
    vectors = embeddings_for(prepared, catalogue, str(p["embeddings"]), encoder)
    assigner = CommitmentAssigner(
        prototypes=prepared.prototypes,
        codes=catalogue.codes,
        prototype_embeddings=None if vectors is None else vectors[1],
        n_iter=int(p["n_iter"]),
        seed_fraction=float(p["seed_fraction"]),
        none_share=p["none_share"],
        seed_quantile=float(p["seed_quantile"]),
        uncertain_ratio=float(p["uncertain_ratio"]),
        C=float(p["C"]),
        prf_weight=float(p["prf_weight"]),
        prf_rounds=int(p["prf_rounds"]),
        embedding_prf=float(p["embedding_prf"]),
        random_state=seed,
    )
    # One BLAS/OpenMP thread: on 2 shared cores the multi-threaded SVD and k-means inside the
    # assigner spend more time spin-waiting than computing (docs/benchmarks.md).
    with threadpool_limits(limits=1):
        return _fit_decide(assigner, prepared, None if vectors is None else vectors[0], examples or {})


def _fit_decide(
    assigner: CommitmentAssigner,
    prepared: PreparedCorpus,
    embeddings: np.ndarray | None,
    examples: dict[int, str],
) -> tuple[CommitmentAssigner, list[Decision]]:
    # Fitted and decided once per distinct text, each weighted by its number of copies (repeated
    # texts weigh in the score distributions that set ``none``): a decision depends on the row
    # alone, so equal rows get equal decisions (an example's copies share its label).
    counts = np.bincount(prepared.inverse, minlength=prepared.unique_X.shape[0])
    labels: list[str | None] | None = None
    if examples:
        labels = [None] * prepared.unique_X.shape[0]
        for item in sorted(examples):
            row = int(prepared.inverse[item])
            labels[row] = labels[row] or examples[item]
    unique_decisions = assigner.fit_decide(
        prepared.unique_X, labels, sample_weight=counts, embeddings=embeddings
    )
    return assigner, [unique_decisions[i] for i in prepared.inverse]


__all__ = [
    "DEFAULT_PARAMS",
    "AnalysisParams",
    "PreparedCorpus",
    "assign",
    "commitment_document",
    "embeddings_for",
    "prepare",
    "prepare_normalised",
]
