"""``run_analysis``: load the corpus, analyse it and store one analysis run atomically."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from sqlalchemy import Engine

from analysis.assignment.decisions import Decision
from analysis.assignment.examples import examples_for_run
from analysis.catalogue import Catalogue, resolve_catalogue
from analysis.duplicates.campaigns import campaigns
from analysis.duplicates.finder import DuplicateFinder
from analysis.manifest import data_hash, run_manifest
from analysis.parallel import in_background
from analysis.pipeline import (
    DEFAULT_PARAMS,
    AnalysisParams,
    PreparedCorpus,
    assign,
    none_mode,
    prepare_normalised,
    sentence_vectors,
)
from analysis.result import AnalysisResult, AssignmentRows, Summary, status_counts, summary_line
from analysis.text import embed
from analysis.text.normalise import normalise_many
from analysis.text.segment import segmenter
from analysis.themes.scopes import Centroid, themes_of_scopes
from base.gc_tuning import gc_paused
from storage import analysis_store
from storage.corpus import TextItem, load_items
from storage.db import session_factory, transaction
from storage.scope import EVERYTHING, ItemScope

PARALLEL_DUPLICATES_MIN_ITEMS = 20000  # below this, duplicates take less time than forking a child


def analyse(
    items: Sequence[TextItem],
    catalogue: Catalogue | None,
    *,
    seed: int = 0,
    previous_clusters: dict[str, list[tuple[str, Centroid]]] | None = None,
    params: AnalysisParams | None = None,
    examples: dict[str, str] | None = None,
    encoder: embed.SentenceEncoder | None = None,
) -> AnalysisResult:
    """The whole analysis on loaded items, without touching the database.

    ``examples``: a facilitator's examples, item key (``TextItem.key.text``) → commitment code or
    ``"none"`` (keys not among ``items`` are ignored here; ``run_analysis`` reports them). ``encoder``: the
    sentence encoder to use when the parameters ask for embeddings (default: one with the user's vector
    cache).
    """
    with gc_paused():
        return _analyse(items, catalogue, seed, previous_clusters or {}, params, examples or {}, encoder)


def _analyse(
    items: Sequence[TextItem],
    catalogue: Catalogue | None,
    seed: int,
    previous_clusters: dict[str, list[tuple[str, Centroid]]],
    params: AnalysisParams | None,
    examples: dict[str, str],
    encoder: embed.SentenceEncoder | None,
) -> AnalysisResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    normalised = normalise_many([it.text for it in items], meanwhile=segmenter)
    prepared = prepare_normalised(normalised, catalogue, params)
    # Sentence vectors serve the assignment and the themes: encoded once (and cached on disk).
    sentence_vectors(prepared, str({**DEFAULT_PARAMS, **(params or {})}["embeddings"]), encoder)
    timings["prepare"] = time.perf_counter() - started
    # Duplicate detection needs only the normalised texts: on a large corpus it runs in a forked
    # child on the second core while this process assigns (single-threaded) and clusters. Started
    # here rather than earlier, because segmentation and vectorising already use both cores.
    with in_background(
        lambda: DuplicateFinder(random_state=seed).fit(normalised),
        fork=len(items) >= PARALLEL_DUPLICATES_MIN_ITEMS,
    ) as pending_duplicates:
        mark = time.perf_counter()
        summary, decisions = _decisions(prepared, items, catalogue, seed, params, examples, encoder)
        timings["assign"] = time.perf_counter() - mark

        mark = time.perf_counter()
        themes = themes_of_scopes(prepared, items, decisions, previous_clusters, seed)
        timings["themes"] = time.perf_counter() - mark

        mark = time.perf_counter()
        finder = pending_duplicates.result()
    found = campaigns(finder, items, decisions)
    timings["duplicates"] = time.perf_counter() - mark

    assignments = AssignmentRows(items, decisions, themes.key_of, found.duplicate_of, found.campaign_of)
    summary.update(
        {
            "n_items": len(items),
            "n_unique_arguments": finder.n_unique_,
            "n_duplicate_groups": len(finder.groups_),
            "n_campaigns": len(found.rows),
            "n_campaign_submissions": sum(c["size"] for c in found.rows),
            "status_counts": status_counts(decisions),
            "n_clusters": len(themes.rows),
            "timings_s": {k: round(v, 3) for k, v in timings.items()},
        }
    )
    return AnalysisResult(assignments, themes.rows, found.rows, summary)


def _decisions(
    prepared: PreparedCorpus,
    items: Sequence[TextItem],
    catalogue: Catalogue | None,
    seed: int,
    params: AnalysisParams | None,
    examples: dict[str, str],
    encoder: embed.SentenceEncoder | None = None,
) -> tuple[Summary, list[Decision]]:
    """Each item's decision, and what the assignment adds to the summary (nothing without a catalogue)."""
    if catalogue is None or not items:
        return Summary(), [Decision("none", None, 1.0 if catalogue is None else 0.0, ()) for _ in items]
    # Each item's key is made only to look up a facilitator's examples (0.5 s for 100 K items).
    placed = (
        {i: examples[key] for i, it in enumerate(items) if (key := it.key.text) in examples}
        if examples
        else {}
    )
    assignment, decisions = assign(
        prepared, catalogue, seed=seed, params=params, encoder=encoder, examples=placed
    )
    summary = Summary(
        none_share=round(assignment.none_share, 4),
        new_topic_groups=assignment.new_groups,
        none_mode=assignment.none_mode,
        none_measured={m: [round(p, 3), round(r, 3)] for m, (p, r) in assignment.none_measured.items()},
        view_weights=dict(zip(assignment.view_names, assignment.view_weights, strict=True)),
        embeddings=embed.MODEL if "semantic" in assignment.view_names else "off",
    )
    return summary, decisions


def _previous_clusters(engine: Engine) -> dict[str, list[tuple[str, Centroid]]]:
    with session_factory(engine)() as session:
        run = analysis_store.latest_complete_run(session)
        if run is None:
            return {}
        out: dict[str, list[tuple[str, Centroid]]] = {}
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
    none: str | None = None,
) -> int:
    """Analyse the stored corpus against a catalogue (bundled by default, a CSV path, or ``"none"``).

    ``examples``: a CSV ``item_id,commitment_id`` of items placed by hand (``analysis.assignment.examples``).

    ``none``: ``strict``, ``balanced`` (``None``: the default) or ``generous``
    (``analysis.assignment.novelty``).

    ``embeddings``: ``auto``, ``on`` or ``off`` (``analysis.text.embed``; ``None``: the default, ``auto``);
    the manifest records the mode asked for (``params``) and what was used (``summary.embeddings``).

    Returns the id of the new, complete run. On any failure the run is marked ``failed`` and the
    previous complete run stays the latest.
    """
    with gc_paused():  # loading and storing 100 K rows allocate as much as analysing them
        return _run_analysis(engine, catalogue, seed, quiet, embeddings, examples, scope, none)


def _store_catalogue(engine: Engine, catalogue: Catalogue) -> None:
    with transaction(engine) as session:
        analysis_store.upsert_commitments(
            session,
            catalogue.name,
            [
                {
                    "code": c.code,
                    "title": c.title,
                    "description": c.description,
                    "keywords": list(c.keywords),
                    "position": position,
                }
                for position, c in enumerate(catalogue.commitments)
            ],
        )


def _items_in_scope(engine: Engine, scope: ItemScope | None) -> list[TextItem]:
    with session_factory(engine)() as session:
        items = load_items(session)
    if scope is not None and not scope.is_everything:  # analyze --policy/--since/--until/--source
        items = [it for it in items if scope.admits(it.kind, it.context, it.created_at)]
    return items


def _params(embeddings: str | None, none: str | None) -> AnalysisParams:
    """The run's parameters; an unknown mode, or embeddings "on" without the extra, fails here."""
    params: AnalysisParams = {
        **DEFAULT_PARAMS,
        "embeddings": embeddings or DEFAULT_PARAMS["embeddings"],
        "none": none_mode(none or DEFAULT_PARAMS["none"]),
    }
    embed.wanted(params["embeddings"])
    return params


def _run_analysis(
    engine: Engine,
    catalogue: str | None,
    seed: int,
    quiet: bool,
    embeddings: str | None,
    examples_path: str | None,
    scope: ItemScope | None = None,
    none: str | None = None,
) -> int:
    resolved = resolve_catalogue(catalogue)
    items = _items_in_scope(engine, scope)
    if not items:  # before anything is stored: an empty run would become the latest
        raise (scope or EVERYTHING).nothing("items to analyse", "nothing analysed, no run stored")
    if resolved is not None:
        _store_catalogue(engine, resolved)
    examples = examples_for_run(examples_path, resolved, items)
    previous = _previous_clusters(engine)
    params = _params(embeddings, none)
    manifest = run_manifest(resolved, seed, params, examples_path, examples, scope)
    catalogue_name = resolved.name if resolved is not None else "none"
    run_id = analysis_store.start_run(engine, catalogue=catalogue_name, seed=seed, manifest=manifest)
    try:
        started = time.perf_counter()
        # a bar while many texts are encoded, on a terminal and unless quiet (as every stage's bars)
        encoder = embed.SentenceEncoder(progress_bar=not quiet and sys.stderr.isatty())
        result = analyse(
            items,
            resolved,
            seed=seed,
            previous_clusters=previous,
            params=params,
            examples=examples,
            encoder=encoder,
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
        print(summary_line(run_id, result.summary, params["embeddings"]), file=sys.stderr)
    return run_id


__all__ = ["analyse", "run_analysis"]
