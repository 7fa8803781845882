"""How fast the replica serves, against how fast Scrapy can consume pages on this machine.

The replica runs in its own process; a client process hits a mix of paths (open data, policy pages, comment
boards at several page sizes, proposal lists and details) from threads with keep-alive ``http.client``
connections. The reference is ``scrapy bench`` run in the same script (Scrapy's ceiling on this machine);
the ratio says how many such crawlers one replica can feed.

    .venv/bin/python benchmarks/bench_replica.py [--size medium] [--seconds 10] [--threads 8] [--no-scrapy]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit

SCRAPY_BENCH_DOCUMENTED = 3300.0  # pages/min, shared/docs/dependencies.md (3,000–3,600 here)


def start_replica(size: str, seed: int) -> tuple[subprocess.Popen[str], str]:
    code = (
        "import sys; from replica.server import serve_forever; "
        f"serve_forever('127.0.0.1', 0, {seed}, {size!r}, '')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"(http://\S+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"replica did not start: {line!r}")
    return proc, match.group(1)


def get(conn: http.client.HTTPConnection, path: str) -> bytes:
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"{path}: {resp.status}")
    return body


def path_mix(base: str) -> list[str]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    policies = json.loads(get(conn, "/toOpenData/ey/policy"))
    ideas = json.loads(get(conn, "/toOpenData/ey/idea"))
    conn.close()
    paths = ["/toOpenData/ey/policy", "/toOpenData/v2/ey/idea?year=2019", "/toOpenData/ey/act"]
    for p in policies:
        uid = p["網址"].rsplit("/", 1)[1]
        paths.append(f"/policies/detail/{uid}")
        pages = max(1, -(-int(p["留言數量"]) // 50))
        paths += [f"/joinComments/board/policy/{uid}?size=50&page={n}" for n in range(1, min(pages, 20) + 1)]
    for status in ("ENDORSING", "ADVICE", "COMPLETED", "CLOSED"):
        paths += [f"/idea/index/search/{status}?page={n}&size=20" for n in range(1, 6)]
    paths += [f"/idea/detail/{i['網址'].rsplit('/', 1)[1]}" for i in ideas]
    return paths


def hammer(base: str, paths: list[str], seconds: float, threads: int) -> tuple[int, int, float]:
    """Requests and bytes served in ``seconds`` by ``threads`` keep-alive clients walking the mix."""
    parts = urlsplit(base)
    counts = [0] * threads
    sizes = [0] * threads
    deadline = time.monotonic() + seconds

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        i = n * 7919
        while time.monotonic() < deadline:
            sizes[n] += len(get(conn, paths[i % len(paths)]))
            counts[n] += 1
            i += 1
        conn.close()

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts), sum(sizes), time.monotonic() - started


def scrapy_bench() -> float | None:
    """Pages/min of ``scrapy bench`` (responses received / elapsed time), or None if it fails.

    Run outside the project directory: the project's polite settings (download delay) would apply.
    """
    with tempfile.TemporaryDirectory() as empty:
        try:
            out = subprocess.run(
                [sys.executable, "-m", "scrapy", "bench", "-s", "CLOSESPIDER_TIMEOUT=10"],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
                cwd=empty,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
    log = out.stderr + out.stdout
    count = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if not (count and elapsed):
        return None
    return int(count.group(1)) / float(elapsed.group(1)) * 60


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-scrapy", action="store_true", help="use the documented scrapy bench figure")
    args = parser.parse_args()

    proc, base = start_replica(args.size, args.seed)
    try:
        paths = path_mix(base)
        cold_n, _, cold_t = hammer(base, paths, min(3.0, args.seconds), args.threads)  # fills the page cache
        n, nbytes, elapsed = hammer(base, paths, args.seconds, args.threads)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rate = n / elapsed
    reference = None if args.no_scrapy else scrapy_bench()
    source = "scrapy bench, measured now" if reference else "scrapy bench, documented"
    reference = reference or SCRAPY_BENCH_DOCUMENTED
    print(f"replica size={args.size}: {len(paths)} distinct paths, {args.threads} keep-alive client threads")
    print(f"  first pass (cache filling): {cold_n / cold_t:8.0f} requests/s")
    print(
        f"  steady state:               {rate:8.0f} requests/s  ({rate * 60:,.0f}/min, "
        f"{nbytes / elapsed / 1e6:.1f} MB/s)"
    )
    print(f"  {source}:  {reference / 60:8.0f} pages/s     ({reference:,.0f}/min)")
    print(f"  ratio replica / scrapy:      {rate * 60 / reference:8.1f}x")


if __name__ == "__main__":
    main()
