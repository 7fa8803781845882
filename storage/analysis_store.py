"""Writing and reading analysis runs: the only SQL of the analysis stage.

A run is created ``running`` in its own transaction; its results and the switch to ``complete`` are
written together in one later transaction, so a half-written run is never ``complete``. Readers only
look at complete runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from storage.db import transaction, upsert
from storage.models import AnalysisRun, Assignment, Campaign, Cluster, Commitment, utcnow

_BATCH = 5000


def upsert_commitments(session: Session, catalogue: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows with ``code, title, description, keywords, position``; keyed by (catalogue, code)."""
    upsert(
        session,
        Commitment,
        [{**row, "catalogue": catalogue} for row in rows],
        keys=["catalogue", "code"],
        update=["title", "description", "keywords", "position"],
    )


def commitments_for_catalogue(session: Session, catalogue: str) -> list[Commitment]:
    return list(
        session.scalars(
            select(Commitment)
            .where(Commitment.catalogue == catalogue)
            .order_by(Commitment.position, Commitment.code)
        )
    )


def start_run(engine: Engine, *, catalogue: str, seed: int, manifest: Mapping[str, Any] | None = None) -> int:
    """Record a new run as ``running`` (committed at once, so a crash leaves a visible non-complete run)."""
    with transaction(engine) as session:
        run = AnalysisRun(status="running", catalogue=catalogue, seed=seed, manifest=dict(manifest or {}))
        session.add(run)
        session.flush()
        return int(run.id)


def _insert_batched(session: Session, model: Any, rows: Iterable[Mapping[str, Any]], run_id: int) -> int:
    count = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append({**row, "run_id": run_id})
        if len(batch) >= _BATCH:
            session.execute(insert(model.__table__), batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(insert(model.__table__), batch)
        count += len(batch)
    return count


def complete_run(
    engine: Engine,
    run_id: int,
    *,
    assignments: Iterable[Mapping[str, Any]],
    clusters: Iterable[Mapping[str, Any]],
    campaigns: Iterable[Mapping[str, Any]],
    manifest: Mapping[str, Any],
    data_hash: str,
    n_items: int,
) -> None:
    """Write every result row and mark the run ``complete``, all in one transaction (all or nothing)."""
    with transaction(engine) as session:
        _insert_batched(session, Cluster, clusters, run_id)
        _insert_batched(session, Campaign, campaigns, run_id)
        written = _insert_batched(session, Assignment, assignments, run_id)
        if written != n_items:
            raise RuntimeError(f"analysis run {run_id}: {written} assignments for {n_items} items")
        session.execute(
            update(AnalysisRun)
            .where(AnalysisRun.id == run_id)
            .values(
                status="complete",
                finished_at=utcnow(),
                manifest=dict(manifest),
                data_hash=data_hash,
                n_items=n_items,
            )
        )


def fail_run(engine: Engine, run_id: int, message: str) -> None:
    """Mark a run ``failed`` (its partial results were rolled back with their transaction)."""
    with transaction(engine) as session:
        run = session.get(AnalysisRun, run_id)
        if run is not None and run.status != "complete":
            run.status = "failed"
            run.finished_at = utcnow()
            run.manifest = {**(run.manifest or {}), "error": message[:2000]}


def latest_complete_run(session: Session) -> AnalysisRun | None:
    return session.scalars(
        select(AnalysisRun).where(AnalysisRun.status == "complete").order_by(AnalysisRun.id.desc()).limit(1)
    ).first()


def previous_complete_run(session: Session, run_id: int) -> AnalysisRun | None:
    """The complete run before ``run_id`` (for "what changed since last time")."""
    return session.scalars(
        select(AnalysisRun)
        .where(AnalysisRun.status == "complete", AnalysisRun.id < run_id)
        .order_by(AnalysisRun.id.desc())
        .limit(1)
    ).first()


def get_run(session: Session, run_id: int) -> AnalysisRun | None:
    return session.get(AnalysisRun, run_id)


def assignments_for_run(session: Session, run_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.run_id == run_id)
            .order_by(Assignment.item_kind, Assignment.item_id)
        )
    )


def clusters_for_run(session: Session, run_id: int) -> list[Cluster]:
    return list(
        session.scalars(
            select(Cluster).where(Cluster.run_id == run_id).order_by(Cluster.scope, Cluster.cluster_key)
        )
    )


def campaigns_for_run(session: Session, run_id: int) -> list[Campaign]:
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.run_id == run_id)
            .order_by(Campaign.size.desc(), Campaign.campaign_key)
        )
    )


__all__ = [
    "assignments_for_run",
    "campaigns_for_run",
    "clusters_for_run",
    "commitments_for_catalogue",
    "complete_run",
    "fail_run",
    "get_run",
    "latest_complete_run",
    "previous_complete_run",
    "start_run",
    "upsert_commitments",
]
