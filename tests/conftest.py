"""Shared fixtures: databases (SQLite file, and PostgreSQL when reachable), the local replica, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Property tests: in CI (and in scripts/test.sh) every run tries the same examples, so a red run is a change
# in the code, not a lucky draw; nothing is read from or written to an examples database, and no timing
# health check can fail a slow machine. ``explore`` draws new random examples on every run and remembers
# failures in .hypothesis/; what it finds becomes an explicit @example (README, Development).
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "default"))
PG_ADMIN_URL = os.environ.get("JOINFEEDBACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("JOINFEEDBACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"


def _redis_available() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:
        return f"Redis not reachable at {REDIS_URL}: {str(exc).splitlines()[0]}"


def require_service(reason: str | None) -> None:
    """Skip with a reason when a server is absent, except in CI, where its absence is a failure."""
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this service: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _lexical_session() -> Iterator[None]:
    """The suite analyses with lexical evidence only, so that it neither depends on the optional
    embeddings extra nor spends minutes encoding replica texts (the product's default is ``auto``).
    Session-wide, so that module-scoped fixtures that analyse see it too; child ``joinfeedback``
    processes see it through ``JOINFEEDBACK_EMBEDDINGS``."""
    from analysis import pipeline

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JOINFEEDBACK_EMBEDDINGS", "off")
        patch.setitem(pipeline.DEFAULT_PARAMS, "embeddings", "off")
        yield


@pytest.fixture(autouse=True)
def _embeddings_when_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests marked ``embeddings`` get the product's default back, with a cache folder of their own."""
    if request.node.get_closest_marker("embeddings"):
        from analysis import pipeline

        monkeypatch.delenv("JOINFEEDBACK_EMBEDDINGS", raising=False)
        monkeypatch.setitem(pipeline.DEFAULT_PARAMS, "embeddings", "auto")
        monkeypatch.setenv("XDG_CACHE_HOME", str(request.getfixturevalue("tmp_path") / "cache"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'joinfeedback.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    require_service(_pg_available())
    name = f"jf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'joinfeedback.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def redis_url() -> Iterator[str]:
    require_service(_redis_available())
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the real ``joinfeedback`` command in a subprocess (as a user would)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("JOINFEEDBACK_DB", None) if env is None or "JOINFEEDBACK_DB" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "joinfeedback", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli():
    return run_cli


def mounted_tmpfs(mount_point: Path, size: str, refusal: str) -> Iterator[Path]:
    """A tmpfs of ``size`` at ``mount_point`` for a fixture to yield from (mounting needs root, as in CI's
    container); skips with ``refusal`` and mount's reason where it cannot mount, unmounts afterwards."""
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"{refusal}: {done.stderr.strip()[:200]}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def dump_database(url: Any) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table of the schema, as sorted reprs: equal dumps mean nothing was written.

    ``url`` is a database URL or an open Engine (reused, not disposed).
    """
    from sqlalchemy import Engine
    from sqlalchemy import inspect as sa_inspect

    from storage.models import Base

    engine = url if isinstance(url, Engine) else create_engine(url)
    try:
        present = set(sa_inspect(engine).get_table_names())
        dump: dict[str, list[tuple[str, ...]]] = {}
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name in present:
                    dump[table.name] = sorted(
                        tuple(repr(v) for v in row) for row in conn.execute(table.select())
                    )
        return dump
    finally:
        if engine is not url:
            engine.dispose()


@pytest.fixture
def db_dump():
    """``db_dump(url)``: a canonical dump of a database, to compare before and after a command."""
    return dump_database


def wait_for_comment_rows(db_url: str, process: subprocess.Popen[str], deadline: float) -> None:
    """Block until the crawling ``process`` has stored its first comment (or ended, or time is up)."""
    from sqlalchemy import func, select

    from storage.models import Comment

    engine = create_engine(db_url)
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with engine.connect() as conn:
                    if conn.execute(select(func.count()).select_from(Comment)).scalar_one() > 0:
                        return
            except Exception:  # schema not created yet
                pass
            time.sleep(0.05)
    finally:
        engine.dispose()
