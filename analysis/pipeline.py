"""The analysis pipeline on plain texts (no database): normalise → segment → vectorise → assign.

``run.py`` wraps this with loading and storing; benchmarks and the devset script call it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from analysis.assignment.assign import Assignment, Settings, View, assign_corpus
from analysis.assignment.decisions import Decision
from analysis.assignment.novelty import NONE_MODES, NoneMode
from analysis.catalogue import Catalogue
from analysis.parallel import in_background
from analysis.text import embed
from analysis.text.features import LexicalVectorizer
from analysis.text.normalise import normalise, normalise_many
from analysis.text.segment import segmenter
from base.errors import UserError

PARALLEL_NAIVE_MIN_TEXTS = 20000  # distinct texts from which the naive view is fitted in a forked child


class AnalysisParams(TypedDict, total=False):
    """Parameters of the whole analysis (every key in :data:`DEFAULT_PARAMS`; callers give overrides)."""

    word_weight: float
    char_ngram: list[int]
    max_df: float
    keyword_repeat: int
    seed_fraction: float
    uncertain_ratio: float
    prf_weight: float
    none: str
    embeddings: str


# The defaults of the whole analysis, recorded in every run's manifest.
DEFAULT_PARAMS: AnalysisParams = {
    "word_weight": 0.5,
    "char_ngram": [2, 2],
    "max_df": 0.5,
    "keyword_repeat": 2,
    "seed_fraction": 0.5,
    "uncertain_ratio": 0.85,
    "prf_weight": 0.5,
    # How readily a group of comments is called new to the catalogue (analysis.assignment.novelty).
    "none": "balanced",
    # Sentence embeddings (analysis/text/embed.py): "auto" uses them when the optional extra is installed,
    # at any size (each distinct text encoded once, then cached); "on" always (needs the extra); "off"
    # never.
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
    # The naive script's evidence: word TF-IDF (scikit-learn's defaults) of the distinct texts and of
    # each commitment's text (title, description, keywords), in one space; None without a catalogue.
    naive: tuple[sp.csr_matrix, sp.csr_matrix] | None = None
    # Sentence vectors of the distinct texts (rows of unique_X), once encoded (:func:`sentence_vectors`).
    vectors: np.ndarray | None = None

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
    naive_docs: list[list[str]] = []
    # The catalogue's titles and keywords are words of this analysis only (a later run in the same
    # process, with another catalogue, segments as if they had never been added).
    with seg.extra_words(domain_words):
        unique_tokens = seg.cut_many(unique_texts)
        for c in catalogue.commitments if catalogue is not None else []:
            text = normalise(
                commitment_document(c.title, c.description, c.keywords, int(p["keyword_repeat"]))
            )
            cat_docs.append((text, seg.cut(text)))
            naive_docs.append(seg.cut(normalise(c.text)))
    docs = list(zip(unique_texts, unique_tokens, strict=True))
    n_min, n_max = p["char_ngram"]
    vectorizer = LexicalVectorizer(
        word_weight=float(p["word_weight"]), char_ngram=(n_min, n_max), max_df=float(p["max_df"])
    )
    # The naive view's TF-IDF needs only the tokens: on a large corpus it is fitted on the other core.
    with in_background(
        lambda: _naive_rows(unique_tokens, naive_docs) if naive_docs else None,
        fork=len(unique_texts) >= PARALLEL_NAIVE_MIN_TEXTS,
    ) as pending_naive:
        matrix = vectorizer.fit_transform(docs + cat_docs)
        naive = pending_naive.result()
    n = len(docs)
    prototypes = matrix[n:] if cat_docs else None
    return PreparedCorpus(list(normalised), vectorizer, matrix[:n], inverse, prototypes, naive=naive)


def _tokens(document: list[str]) -> list[str]:
    return document


def _naive_rows(tokens: list[list[str]], catalogue: list[list[str]]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Word TF-IDF as the naive script computes it (scikit-learn's defaults, one space for the texts
    and the catalogue), for the naive view."""
    matrix = TfidfVectorizer(analyzer=_tokens, dtype=np.float32).fit_transform(tokens + catalogue)
    rows = sp.csr_matrix(matrix)
    return rows[: len(tokens)], rows[len(tokens) :]


def sentence_vectors(
    prepared: PreparedCorpus, mode: str, encoder: embed.SentenceEncoder | None = None
) -> np.ndarray | None:
    """The sentence vectors of the corpus's distinct texts (kept on ``prepared``, encoded once per run
    for the assignment and the themes), or ``None`` when ``mode`` says not to use them."""
    if not embed.wanted(mode):
        return None
    if prepared.vectors is None:
        encoder = encoder or embed.SentenceEncoder()
        _, first = np.unique(prepared.inverse, return_index=True)
        prepared.vectors = encoder.encode([prepared.texts[i] for i in first.tolist()])
    return prepared.vectors


def embeddings_for(
    prepared: PreparedCorpus, catalogue: Catalogue, mode: str, encoder: embed.SentenceEncoder | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """Sentence vectors of the corpus's distinct texts (rows of ``unique_X``) and of the commitments
    (title and description, as a reader would state them), or ``None`` when ``mode`` says not to."""
    items = sentence_vectors(prepared, mode, encoder)
    if items is None:
        return None
    encoder = encoder or embed.SentenceEncoder()
    commitments = encoder.encode([normalise(f"{c.title}。{c.description}") for c in catalogue.commitments])
    return items, commitments


def corpus_views(prepared: PreparedCorpus, vectors: tuple[np.ndarray, np.ndarray] | None) -> list[View]:
    """The views of a prepared corpus: the naive script's evidence (the word block alone, as the
    catalogue wrote it), words and character bigrams, and sentence vectors when there are any."""
    if prepared.prototypes is None:
        raise ValueError("the corpus was prepared without a catalogue")
    words = slice(0, prepared.vectorizer.n_word_features_)
    views = [
        View(
            "naive",
            prepared.unique_X[:, words],
            prepared.prototypes[:, words],
            feedback=False,
            evidence=False,
        ),
        View("lexical", prepared.unique_X, prepared.prototypes),
    ]
    if vectors is not None:
        views.append(View("semantic", vectors[0], vectors[1]))
    return views


def assign(
    prepared: PreparedCorpus,
    catalogue: Catalogue,
    *,
    seed: int = 0,
    params: AnalysisParams | None = None,
    encoder: embed.SentenceEncoder | None = None,
    examples: dict[int, str] | None = None,
) -> tuple[Assignment, list[Decision]]:
    """Assign every item; ``encoder`` is used when the ``embeddings`` parameter asks for embeddings.

    ``examples``: a facilitator's examples, item index → commitment code or ``"none"``. Each distinct
    text is decided once, weighted by its copies: equal texts get equal decisions (an example's copies
    share its label).
    """
    p: AnalysisParams = {**DEFAULT_PARAMS, **(params or {})}
    vectors = embeddings_for(prepared, catalogue, str(p["embeddings"]), encoder)
    counts = np.bincount(prepared.inverse, minlength=prepared.unique_X.shape[0])
    labels: list[str | None] = [None] * prepared.unique_X.shape[0]
    for item in sorted(examples or {}):
        row = int(prepared.inverse[item])
        labels[row] = labels[row] or (examples or {})[item]
    settings = Settings(
        none=none_mode(str(p["none"])),
        feedback_weight=float(p["prf_weight"]),
        seed_fraction=float(p["seed_fraction"]),
        uncertain_ratio=float(p["uncertain_ratio"]),
        random_state=seed,
    )
    # One BLAS/OpenMP thread: on 2 shared cores the multi-threaded SVD and k-means spend more time
    # spin-waiting than computing (docs/benchmarks.md).
    with threadpool_limits(limits=1):
        result = assign_corpus(corpus_views(prepared, vectors), catalogue.codes, counts, labels, settings)
    return result, [result.decisions[i] for i in prepared.inverse]


def none_mode(value: str) -> NoneMode:
    """``value`` as a ``none`` mode, or a one-line error naming the choices."""
    for mode in NONE_MODES:
        if value == mode:
            return mode
    raise UserError(f"none must be one of {', '.join(NONE_MODES)}, got {value!r}")


__all__ = [
    "DEFAULT_PARAMS",
    "AnalysisParams",
    "PreparedCorpus",
    "assign",
    "commitment_document",
    "corpus_views",
    "embeddings_for",
    "none_mode",
    "prepare",
    "prepare_normalised",
    "sentence_vectors",
]
