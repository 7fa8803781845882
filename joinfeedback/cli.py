"""The ``joinfeedback`` command: the composition root that wires replica, crawler, storage, analysis, reports.

Every subcommand is a thin function: parse → call one stage entry point → print what happened. Errors a
user can fix (``UserError``) become one line on stderr and a non-zero exit code; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from base.display import for_display, register_secrets
from base.errors import UserError
from base.site import REAL_SITE
from joinfeedback import __version__
from joinfeedback.config import environment_values
from joinfeedback.ops.logging import setup as setup_logging

if TYPE_CHECKING:  # imported where used, so that `joinfeedback --help` stays quick
    from sqlalchemy import Engine

    from joinfeedback.config import Config
    from storage.items import ItemKey
    from storage.scope import ItemScope

EPILOG_EXAMPLES = """examples:
  joinfeedback demo
  joinfeedback replica --port 8800 --size medium --faults all
  joinfeedback crawl --check
  joinfeedback crawl --base-url http://127.0.0.1:8800 --profile local --db sqlite:///joinfeedback.db
  joinfeedback import comments.csv --db sqlite:///joinfeedback.db
  joinfeedback analyze --commitments my-catalogue.csv --seed 0
  joinfeedback export assignments --db sqlite:///joinfeedback.db --out assignments.csv
  joinfeedback report --out report/
  joinfeedback evaluate --labels gold.csv
  joinfeedback schedule --cron "0 */3 * * *"
  joinfeedback status
  joinfeedback config
"""


# ---------------------------------------------------------------------------------------------- helpers


def _settings(args: argparse.Namespace) -> Config:
    """The effective configuration: TOML file < environment < command-line flags (loaded once per run)."""
    cached: Config | None = getattr(args, "_config", None)
    if cached is not None:
        return cached
    from joinfeedback.config import load_config

    overrides = {
        key: value
        for key, value in {
            "db_url": getattr(args, "db", None),
            "base_url": getattr(args, "base_url", None),
            "profile": getattr(args, "profile", None),
            "report_dir": getattr(args, "out", None) if args.command == "report" else None,
            "catalogue": getattr(args, "commitments", None),
            "seed": getattr(args, "seed", None),
            "embeddings": getattr(args, "embeddings", None),
            "none": getattr(args, "none", None),
            "lang": getattr(args, "lang", None),
            "cron": getattr(args, "cron", None),
            "quiet": True if getattr(args, "quiet", False) else None,
        }.items()
        if value is not None
    }
    config = load_config(Path(args.config) if args.config else None, overrides)
    args._config = config
    register_secrets(config.db_url, config.redis_url, config.base_url)
    return config


def _engine(db_url: str) -> Engine:
    from storage.db import open_database

    return open_database(db_url)


def _reader(db_url: str) -> Engine:
    """An existing joinfeedback database for a command that only reads: never created nor migrated."""
    from storage.db import open_existing

    return open_existing(db_url)


def _regular_file(path: str | Path, what: str) -> Path:
    """Refuse a folder, FIFO or device where a file is read (a FIFO would block the command for ever)."""
    candidate = Path(path)
    if candidate.exists() and not candidate.is_file():
        raise UserError(f"{what} {candidate} is not a regular file")
    return candidate


def _shown(message: str) -> str:
    """Text for the terminal: passwords masked, every line printable."""
    return "\n".join(for_display(line) for line in message.splitlines())


@contextlib.contextmanager
def _locked(engine: Engine, name: str, args: argparse.Namespace, *, shared: bool = False) -> Iterator[None]:
    """One run at a time per database and kind; ``--wait`` (or ``lock_wait``) queues instead of exiting 3."""
    from joinfeedback.ops.lock import run_lock

    cfg = _settings(args)
    with run_lock(engine, name, wait=args.wait or cfg.lock_wait, timeout=cfg.lock_timeout, shared=shared):
        yield


def _say(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(_shown(message))


# ---------------------------------------------------------------------------------------------- commands


def cmd_replica(args: argparse.Namespace) -> int:
    from replica.server import serve_forever

    serve_forever(args.host, args.port, args.seed, args.size, args.faults or "", args.shapes or "")
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    cfg = _settings(args)
    if args.check:  # one page of each type, nothing stored: no database, no lock
        from crawler.check import check_json, run_check

        report = run_check(cfg.base_url, profile=cfg.profile)
        print(check_json(report) if args.json else report.table())
        return 0 if report.ok else 1
    redis_url = args.workers_redis or cfg.redis_url or None
    from crawler.options import CrawlOptions
    from crawler.run import run_crawl, spider_names
    from joinfeedback.ops.frontier import refuse_unusable_frontier
    from storage.scope import policy_ids

    policies = list(policy_ids(args.policy or ()))  # bad input refused before the database is opened
    spiders = spider_names(list(args.spider or cfg.spiders) or None, policies)
    register_secrets(redis_url)
    jobdir = args.jobdir or cfg.jobdir or None
    engine = _engine(cfg.db_url)
    # workers of one shared (Redis) crawl hold the lock together; a second plain crawl is refused
    with _locked(engine, "crawl", args, shared=bool(redis_url)):
        if not redis_url:  # the exclusive lock is ours: any run still "running" belongs to a dead process
            from storage.crawlstate import close_interrupted_runs

            close_interrupted_runs(engine)
        refuse_unusable_frontier(engine, cfg.base_url, redis_url, jobdir)
        engine.dispose()
        summary = run_crawl(
            cfg.base_url,
            cfg.db_url,
            profile=cfg.profile,
            spiders=spiders,
            jobdir=jobdir,
            quiet=cfg.quiet,
            redis_url=redis_url,
            policies=policies or None,
            options=CrawlOptions.from_config(cfg),
        )
    _say(args, str(summary))
    if not summary.ok:  # required data lost: name the pages, even without a terminal
        lines = summary.failure_lines()
        print(
            "\n".join(
                [
                    f"joinfeedback crawl: {summary.status}: required data missing or not fetched on "
                    f"{len(summary.failed_urls)} pages:",
                    *lines,
                ]
            )
            if lines
            else f"joinfeedback crawl: {summary}",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from crawler.importing import import_file

    cfg = _settings(args)
    engine = _engine(cfg.db_url)
    with _locked(engine, "crawl", args):
        summary = import_file(Path(args.file), engine, dataset=args.dataset, encoding=args.encoding)
    _say(args, str(summary))
    return 0


def cmd_reclassify(args: argparse.Namespace) -> int:
    from crawler.reclassify import reclassify_authors

    cfg = _settings(args)
    engine = _engine(cfg.db_url)
    with _locked(engine, "crawl", args):
        summary = reclassify_authors(engine)
    _say(args, str(summary))
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from analysis.run import run_analysis

    cfg = _settings(args)
    if cfg.catalogue and cfg.catalogue.strip().lower() != "none":
        _regular_file(cfg.catalogue, "catalogue")
    if args.examples:
        _regular_file(args.examples, "examples file")
    scope = _scope(args)
    engine = _engine(cfg.db_url)
    with _locked(engine, "analysis", args):
        run_id = run_analysis(
            engine,
            catalogue=cfg.catalogue,
            seed=cfg.seed,
            quiet=cfg.quiet,
            embeddings=cfg.embeddings,
            examples=args.examples,
            scope=scope,
            none=cfg.none,
        )
    _say(args, f"analysis run {run_id} complete ({cfg.db_url})")
    return 0


def cmd_suggest_examples(args: argparse.Namespace) -> int:
    from analysis.assignment.examples import SUGGESTION_HEADER, suggestions
    from reports.exports import write_records

    cfg = _settings(args)
    out = Path(args.out)
    if out.is_file():  # it may be a file of labels being filled in: never replaced unasked
        raise UserError(f"--out {out} already exists: remove it or choose another name (nothing was written)")
    engine = _engine(cfg.db_url)
    rows = suggestions(engine, args.n, _scope(args))
    written = write_records(out, SUGGESTION_HEADER, rows, "csv")
    _say(
        args,
        f"wrote {written} comments to label to {args.out}: fill in commitment_id (or none), then "
        f"joinfeedback analyze --examples {args.out}",
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from reports.exports import export_corpus

    cfg = _settings(args)
    scope = _scope(args)
    engine = _reader(cfg.db_url)
    rows = export_corpus(engine, args.what, Path(args.out), fmt=args.format, scope=scope)
    _say(args, f"wrote {rows} rows to {args.out}")
    return 0


def _review(engine: Engine, scope: ItemScope) -> list[ItemKey]:
    """The items the report's review page asks about: those ``suggest-examples`` picks in ``scope``."""
    from analysis.assignment.examples import SUGGESTED, suggested

    return [placed.key for placed in suggested(engine, SUGGESTED, scope) if placed.key]


def cmd_report(args: argparse.Namespace) -> int:
    from reports.site import build_report

    cfg = _settings(args)
    scope = _scope(args)
    engine = _engine(cfg.db_url)
    with _locked(engine, "analysis", args):
        index = build_report(
            engine,
            Path(cfg.report_dir),
            quiet=cfg.quiet,
            pdf=not args.no_pdf,
            language=cfg.lang,
            scope=scope if not scope.is_everything else None,
            review=_review(engine, scope),
        )
    _say(args, f"report written: {index}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from analysis.evaluate import evaluate

    cfg = _settings(args)
    labels = _regular_file(args.labels, "labels file")
    print(_shown(str(evaluate(_reader(cfg.db_url), labels))))
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from joinfeedback.ops.schedule import run_schedule

    cfg = _settings(args)
    summary = run_schedule(cfg, cfg.cron, max_runs=args.max_runs)
    return summary.exit_code  # 1 when the last chain that ran failed


def cmd_status(args: argparse.Namespace) -> int:
    from joinfeedback.ops.status import status_report

    cfg = _settings(args)
    text, code = status_report(_reader(cfg.db_url), cfg, allow_partial=args.allow_partial)
    print(_shown(text))
    return int(code)


def cmd_config(args: argparse.Namespace) -> int:
    cfg = _settings(args)
    for key, value, origin in cfg.effective_items():
        print(for_display(f"{key} = {value}    # {origin}"))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Replica on a free port → crawl → analyse (bundled catalogue) → report, all local and offline."""
    from analysis.run import run_analysis
    from crawler.options import CrawlOptions
    from crawler.run import run_crawl
    from replica.server import ReplicaServer
    from reports.site import build_report

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    db_url = args.db or f"sqlite:///{out / 'joinfeedback.db'}"
    started = time.monotonic()
    with ReplicaServer(seed=args.seed, size=args.size) as server:
        manifest = server.manifest()
        print(
            f"1/4 replica of join.gov.tw serving {server.base_url} (seed={args.seed}, size={args.size}): "
            f"{manifest['policies']} consultations, {manifest['comments']} comments, "
            f"{manifest['ideas']} proposals"
        )
        engine = _engine(db_url)
        engine.dispose()
        summary = run_crawl(
            server.base_url,
            db_url,
            profile="local",
            quiet=args.quiet,
            options=CrawlOptions.from_config(_settings(args)),
        )
        print(f"2/4 crawled into {db_url}: {summary}")
    engine = _engine(db_url)
    # The demo has no catalogue or seed setting, but sentence embeddings follow the configuration.
    embeddings = _settings(args).embeddings
    run_id = run_analysis(engine, catalogue=None, seed=args.seed, quiet=args.quiet, embeddings=embeddings)
    print(f"3/4 analysis run {run_id} against the bundled 2020 OGP action-plan catalogue")
    from replica.model import OGP_UUID
    from storage.scope import ItemScope

    # The report a facilitator opens: the replica's 2020 OGP consultation alone (the analysis saw it all).
    scope = ItemScope() if args.whole_site else ItemScope((OGP_UUID,))
    index = build_report(
        engine,
        out / "report",
        quiet=args.quiet,
        pdf=not args.no_pdf,
        language=_settings(args).lang,
        scope=scope,
        review=_review(engine, scope),
    )
    print(f"4/4 report written: {index}" + ("" if args.whole_site else f" (consultation {OGP_UUID})"))
    print(f"demo finished in {time.monotonic() - started:.1f} s — open {index} in a browser")
    return 0


# ---------------------------------------------------------------------------------------------- parser


def _add_scope_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--policy",
        action="extend",
        nargs="+",
        metavar="UUID",
        help="only the comments of these consultations (眾開講 uuids); "
        "proposals and imported items belong to none",
    )
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only items written on or after this day (Taipei)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only items written on or before this day (Taipei)")
    p.add_argument(
        "--source",
        choices=("all", "crawled", "imported"),
        help="crawled (comments, proposals), imported (files) or all (default: all)",
    )


def _scope(args: argparse.Namespace) -> ItemScope:
    """The item scope of ``--policy``, ``--since``, ``--until`` and ``--source`` (everything without them)."""
    from datetime import date

    from storage.scope import ItemScope, policy_ids

    def day(flag: str, value: str | None) -> date | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise UserError(f"{flag} {value!r}: expected a day as YYYY-MM-DD") from None

    since, until = day("--since", getattr(args, "since", None)), day("--until", getattr(args, "until", None))
    if since and until and since > until:
        raise UserError(f"--since {since} is after --until {until}")
    policies = policy_ids(getattr(args, "policy", None) or ())
    return ItemScope(policies, since, until, getattr(args, "source", None) or "all")


def _add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang",
        choices=("zh-TW", "en"),
        help="language of every page, table, chart and brief; comments stay as written (default: zh-TW)",
    )


def _add_common(p: argparse.ArgumentParser, *, db: bool = True) -> None:
    if db:
        p.add_argument(
            "--db",
            metavar="URL",
            help="SQLAlchemy URL (default: $JOINFEEDBACK_DB or sqlite:///joinfeedback.db)",
        )
    p.add_argument(
        "--wait", action="store_true", help="wait for another run on the same database instead of exiting"
    )
    p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress output")


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    func: Callable[[argparse.Namespace], int],
    help_text: str,
    example: str,
) -> argparse.ArgumentParser:
    """Add the subcommand ``name``: its help is its description, its example the epilog."""
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=func)
    return p


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "demo",
        cmd_demo,
        "run the whole chain offline: local replica → crawl → analyse → report",
        "joinfeedback demo --out joinfeedback-demo",
    )
    p.add_argument(
        "--out",
        default="joinfeedback-demo",
        help="folder for the database and the report (default: %(default)s)",
    )
    p.add_argument("--db", metavar="URL", help="database (default: a SQLite file in --out)")
    p.add_argument("--seed", type=int, default=1, help="replica and analysis seed (default: %(default)s)")
    p.add_argument("--embeddings", choices=("auto", "on", "off"), help="as for analyze (default: auto)")
    p.add_argument(
        "--size", default="small", help="replica size: small|medium|large or counts (default: %(default)s)"
    )
    p.add_argument("--no-pdf", action="store_true", help="skip the PDF briefs")
    p.add_argument(
        "--whole-site",
        action="store_true",
        help="report on every consultation and proposal (default: the OGP consultation alone)",
    )
    _add_report_options(p)


def _add_replica(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "replica",
        cmd_replica,
        "serve the local replica of join.gov.tw until interrupted",
        "joinfeedback replica --port 8800 --seed 1 --size medium --faults 500=0.05,429=0.05",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8800, help="0 picks a free port (default: %(default)s)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--size",
        default="small",
        help="small|medium|large or counts like policies=20,comments=3000,ideas=150",
    )
    p.add_argument(
        "--faults",
        metavar="SPEC",
        default="",
        help="fault injection, e.g. all or 500=0.05,429=0.05,truncate=0.02 (see docs/site-shapes.md)",
    )
    p.add_argument(
        "--shapes",
        metavar="SPEC",
        default="",
        help="serve recorded real shapes instead of the guessed ones: real, or some of opendata2017, "
        "skeleton, empty_list, strings, sentinel; drop (optional fields left out), no_board "
        "(see docs/site-shapes.md)",
    )


def _add_crawl(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "crawl",
        cmd_crawl,
        "crawl join.gov.tw (or a replica) into the database, incrementally",
        "joinfeedback crawl --base-url http://127.0.0.1:8800 --profile local",
    )
    p.add_argument("--base-url", metavar="URL", help=f"site to crawl (default: {REAL_SITE})")
    p.add_argument(
        "--profile",
        choices=["polite", "local"],
        help="polite (default, for the real site) or local (full speed, for the replica)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="fetch one page of each type politely and report which shape matched and which fields were "
        "found or missing; stores nothing; exit 1 if required data is missing "
        "(run it before the first crawl)",
    )
    p.add_argument("--json", action="store_true", help="with --check: the report as JSON")
    p.add_argument("--spider", action="append", metavar="NAME", help="run only this spider (repeatable)")
    p.add_argument(
        "--policy",
        action="extend",
        nargs="+",
        metavar="UUID",
        help="only these consultations and their comments (proposals belong to none: not crawled then)",
    )
    p.add_argument("--jobdir", metavar="DIR", help="Scrapy JOBDIR for pause/resume")
    p.add_argument(
        "--workers-redis",
        metavar="URL",
        help="share one crawl frontier with other workers through this Redis",
    )
    _add_common(p)


def _add_import(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "import",
        cmd_import,
        "import a CSV (id,text,author,created_at,url) or join.gov.tw open-data JSON file",
        "joinfeedback import comments.csv --db sqlite:///joinfeedback.db",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--dataset", default="import", help="name grouping the imported ids (default: %(default)s)"
    )
    p.add_argument(
        "--encoding",
        metavar="NAME",
        help="the file's encoding when it is not UTF-8/UTF-16 (e.g. big5, cp950)",
    )
    _add_common(p)


def _add_reclassify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "reclassify",
        cmd_reclassify,
        "tell agency replies apart in comments crawled before they were (reads the board pages kept raw)",
        "joinfeedback reclassify --db sqlite:///joinfeedback.db",
    )
    _add_common(p)


def _add_analyze(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "analyze",
        cmd_analyze,
        "assign items to commitments, find themes and campaigns; store a new analysis run",
        "joinfeedback analyze --commitments catalogue.csv --seed 0",
    )
    p.add_argument(
        "--commitments",
        metavar="FILE.csv",
        help="catalogue CSV id,title,description,keywords; 'none' to cluster only "
        "(default: bundled 2020 OGP plan)",
    )
    p.add_argument("--seed", type=int)
    p.add_argument(
        "--embeddings",
        choices=("auto", "on", "off"),
        help="sentence embeddings beside lexical evidence (extra joinfeedback[embeddings]; 400-800 texts/s, "
        "cached): auto = whenever installed, at any corpus size (default: auto)",
    )
    p.add_argument(
        "--none",
        choices=("strict", "balanced", "generous"),
        help="how readily a group of comments is called new to the catalogue (none): when fewer than a "
        "quarter (strict), a third (balanced) or a half (generous) of its comments match better than "
        "unrelated text; each run measures the three on its own data (report: methods) (default: balanced)",
    )
    p.add_argument(
        "--examples",
        metavar="FILE.csv",
        help="comments placed by hand, CSV item_id,commitment_id ('none' allowed; empty rows skipped): "
        "extra evidence for their commitment, kept as labelled, recorded in the run manifest",
    )
    _add_scope_options(p)
    _add_common(p)


def _add_suggest_examples(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "suggest-examples",
        cmd_suggest_examples,
        "list the comments whose labels would help the assignment most, to fill in for analyze --examples",
        "joinfeedback suggest-examples --n 30 --out examples.csv",
    )
    p.add_argument("--n", type=int, default=30, help="how many comments (default: 30)")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="where to write them")
    _add_scope_options(p)
    _add_common(p)


def _add_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "export",
        cmd_export,
        "export the stored comments, proposals or agency responses, or the latest run's assignments",
        "joinfeedback export assignments --db sqlite:///joinfeedback.db --out assignments.csv",
    )
    p.add_argument("what", choices=["comments", "proposals", "responses", "assignments"])
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="default: %(default)s")
    _add_scope_options(p)
    _add_common(p)


def _add_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "report",
        cmd_report,
        "render the static report site and printable briefs from the latest analysis run",
        "joinfeedback report --out report/",
    )
    p.add_argument("--out", metavar="DIR", help="output folder (default: report)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDF briefs")
    _add_report_options(p)
    _add_scope_options(p)
    _add_common(p)


def _add_evaluate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "evaluate",
        cmd_evaluate,
        "score the latest analysis run against gold labels (item_id,gold)",
        "joinfeedback evaluate --labels gold.csv",
    )
    p.add_argument("--labels", required=True, metavar="FILE.csv")
    _add_common(p)


def _add_schedule(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "schedule",
        cmd_schedule,
        "run crawl → analyze → report on a cron expression, in the foreground",
        'joinfeedback schedule --cron "0 */3 * * *" --base-url https://join.gov.tw',
    )
    p.add_argument(
        "--cron", metavar="EXPR", help="5 fields (minute precision) or 6 fields with seconds first"
    )
    p.add_argument("--base-url", metavar="URL")
    p.add_argument("--profile", choices=["polite", "local"])
    p.add_argument("--max-runs", type=int, metavar="N", help="stop after N chains")
    _add_common(p)


def _add_status(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "status",
        cmd_status,
        "last crawl and analysis runs and the next scheduled run; exit 1 if the last crawl failed or was "
        "partial, or the last analysis failed or analysed nothing",
        "joinfeedback status --db sqlite:///joinfeedback.db",
    )
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="exit 0 for a partial crawl or an empty analysis (only failed or dead runs count)",
    )
    _add_common(p)


def _add_config(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "config",
        cmd_config,
        "show the effective configuration and where each value comes from (secrets masked)",
        "joinfeedback config",
    )
    _add_common(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="joinfeedback",
        description="Crawl, store, analyse and report public feedback from join.gov.tw "
        "(公共政策網路參與平臺).",
        epilog=EPILOG_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"joinfeedback {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML configuration file (default: $JOINFEEDBACK_CONFIG or ./joinfeedback.toml)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress output (the default without a terminal)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_demo(sub)
    _add_replica(sub)
    _add_crawl(sub)
    _add_import(sub)
    _add_reclassify(sub)
    _add_analyze(sub)
    _add_suggest_examples(sub)
    _add_export(sub)
    _add_report(sub)
    _add_evaluate(sub)
    _add_schedule(sub)
    _add_status(sub)
    _add_config(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _register_given_secrets(args)
    if not sys.stdout.isatty() and args.command not in {"demo", "config", "status", "evaluate"}:
        args.quiet = True
    try:
        level, fmt = "WARNING", "kv"
        if args.command not in {"replica", "demo"}:
            cfg = _settings(args)
            level, fmt = cfg.log_level, cfg.log_format
        setup_logging(
            level="DEBUG" if args.debug else level, fmt=fmt, quiet=args.quiet, tracebacks=args.debug
        )
        return int(args.func(args))
    except UserError as exc:
        if args.debug:
            raise
        print(f"joinfeedback {args.command}: error: {for_display(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"joinfeedback {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        known = _user_fixable(exc, args)
        if known is not None:
            print(f"joinfeedback {args.command}: error: {for_display(str(known))}", file=sys.stderr)
            return known.exit_code
        first_line = (str(exc).strip().splitlines() or [""])[0]
        print(
            f"joinfeedback {args.command}: unexpected error: {type(exc).__name__}: {for_display(first_line)} "
            f"(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def _register_given_secrets(args: argparse.Namespace) -> None:
    """Passwords given on the command line or in the environment, hidden even before the settings load."""
    register_secrets(
        getattr(args, "db", None),
        getattr(args, "base_url", None),
        getattr(args, "workers_redis", None),
        *environment_values(),
    )


def _user_fixable(exc: Exception, args: argparse.Namespace) -> UserError | None:
    """Database and disk problems a user fixes outside joinfeedback (exit 4, the file named), else None."""
    import errno
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    from storage.db import database_problem

    if isinstance(exc, DBAPIError | sqlite3.Error):
        cfg = getattr(args, "_config", None)
        return database_problem(exc, url=cfg.db_url if cfg is not None else None)
    if isinstance(exc, OSError) and exc.errno in {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
    }:
        where = f" {exc.filename}" if exc.filename else ""
        return UserError(f"cannot use{where}: {exc.strerror}", exit_code=4)
    return None
