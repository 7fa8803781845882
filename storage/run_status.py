"""Read queries behind ``joinfeedback status``: the latest crawl and analysis runs."""

from __future__ import annotations

from sqlalchemy import Engine, select

from storage.db import transaction
from storage.models import AnalysisRun, CrawlRun, RunKind


def latest_crawl_runs(engine: Engine, *, kind: RunKind = "crawl", limit: int = 1) -> list[CrawlRun]:
    """The newest crawl runs (detached rows), newest first."""
    with transaction(engine) as session:
        query = (
            select(CrawlRun)
            .where(CrawlRun.kind == kind)
            .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
            .limit(limit)
        )
        return list(session.scalars(query))


def latest_analysis_runs(engine: Engine, *, limit: int = 1) -> list[AnalysisRun]:
    """The newest analysis runs, whatever their status, newest first."""
    with transaction(engine) as session:
        query = (
            select(AnalysisRun).order_by(AnalysisRun.started_at.desc(), AnalysisRun.id.desc()).limit(limit)
        )
        return list(session.scalars(query))


__all__ = ["latest_analysis_runs", "latest_crawl_runs"]
