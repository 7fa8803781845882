"""Several crawl workers on one frontier: wall time of N workers against one, on the same replica.

    .venv/bin/python benchmarks/bench_workers.py                    # medium replica, 1 vs 2 workers
    .venv/bin/python benchmarks/bench_workers.py --size small --workers 1 2 3

Needs Redis and PostgreSQL (JOINFEEDBACK_TEST_REDIS_URL / JOINFEEDBACK_TEST_PG_URL, defaults as in
tests/conftest.py). Every configuration crawls a fresh replica (same seed) into a fresh database through the
shared Redis frontier with the ``local`` profile, so only the number of workers differs. Printed: seconds,
requests per worker, requests in total (equal for every N: each page once) and the speed-up against N=1.
On the replica the bound is CPU (parsing, storing), not politeness; on the real site workers multiply load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from replica.server import ReplicaServer  # noqa: E402
from storage.db import open_database  # noqa: E402

PG_ADMIN_URL = os.environ.get("JOINFEEDBACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("JOINFEEDBACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKER = """
import json, sys
from crawler.options import CrawlOptions
from crawler.run import run_crawl
from joinfeedback.config import load_config
options = CrawlOptions.from_config(load_config())  # the crawl key and worker count from the environment
summary = run_crawl(
    sys.argv[1], sys.argv[2], profile="local", quiet=True, redis_url=sys.argv[3], options=options
)
print(json.dumps({"status": summary.status, "requests": summary.requests}))
"""


def crawl_with(workers: int, size: str, seed: int) -> tuple[float, list[int]]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"jf_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = admin.url.set(database=name).render_as_string(hide_password=False)
    open_database(db_url).dispose()
    env = {k: v for k, v in os.environ.items() if k != "JOINFEEDBACK_DB"}
    env |= {"JOINFEEDBACK_CRAWL_KEY": f"bench-{name}", "JOINFEEDBACK_WORKERS_WAIT_FOR": str(workers)}
    try:
        with ReplicaServer(seed=seed, size=size, faults="") as replica:
            started = time.monotonic()
            processes = [
                subprocess.Popen(
                    [sys.executable, "-c", WORKER, replica.base_url, db_url, REDIS_URL],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(workers)
            ]
            results = []
            for process in processes:
                out, err = process.communicate(timeout=3600)
                if process.returncode != 0:
                    raise SystemExit(f"worker failed:\n{err[-2000:]}")
                results.append(json.loads(out.strip().splitlines()[-1]))
            elapsed = time.monotonic() - started
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return elapsed, [r["requests"] for r in results]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"replica size={args.size} seed={args.seed}; cores: {os.cpu_count()}")
    reference: float | None = None
    for n in args.workers:
        seconds, per_worker = crawl_with(n, args.size, args.seed)
        reference = reference or seconds
        print(
            f"{n} worker(s): {seconds:6.1f} s  requests per worker {per_worker} (total {sum(per_worker)})  "
            f"speed-up vs {args.workers[0]}: {reference / seconds:.2f}×"
        )


if __name__ == "__main__":
    main()
