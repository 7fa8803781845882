"""Nothing a careless or hostile user does loses their files or leaks their secrets.

One section per kind of harm: report output ownership (1, 2), file names from ids (3), secrets (4), hostile
bytes in messages (5), exit codes (6), no side effects from reading (7), crawl frontier errors (8),
``status`` as a monitor (9), schema creation by concurrent processes (10).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from base.display import for_display, printable, redact, register_secrets
from base.errors import UserError
from reports.overview import slug
from reports.site import build_report
from storage.db import open_database, transaction
from storage.models import AnalysisRun, CrawlRun
from tests.conftest import mounted_tmpfs, run_cli
from tests.report_fixtures import populate

GOOD_CSV = "id,text\n1,開放資料應該更容易下載\n2,公共運輸補助不足\n".encode()


def one_line(result: subprocess.CompletedProcess[str], exit_code: int, fragment: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == exit_code, result.stderr
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0], lines[0]
    assert "unexpected error" not in lines[0]
    assert "Traceback" not in result.stderr
    assert printable(lines[0]) == lines[0], lines[0]
    return lines[0]


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("JOINFEEDBACK_")}
    env["JOINFEEDBACK_EMBEDDINGS"] = "off"
    return {**env, **extra}


def folder_state(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()
    }


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database with a complete analysis run (the report fixtures' realistic one)."""
    folder = tmp_path_factory.mktemp("analysed")
    url = f"sqlite:///{folder / 'jf.db'}"
    engine = open_database(url)
    populate(engine, n_comments=60)
    engine.dispose()
    return url


def build(url: str, out: Path) -> Path:
    engine = open_database(url)
    try:
        return build_report(engine, out, quiet=True, pdf=False)
    finally:
        engine.dispose()


def staging_leftovers(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [
                p.name for p in folder.iterdir() if ".building-" in p.name or p.name.startswith(".joinf")
            ]
    return found


# --------------------------------------------------------------------- 1. the report owns only its own files


def test_report_refuses_a_folder_whose_only_claim_is_a_report_json(analysed: str, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "data").mkdir(parents=True)
    (project / "data" / "report.json").write_text("{}", encoding="utf-8")
    (project / "thesis.md").write_text("thesis", encoding="utf-8")
    before = folder_state(project)
    result = run_cli("report", "--db", analysed, "--out", str(project), "--no-pdf", env=clean_env())
    one_line(result, 2, "holds no earlier report")
    assert folder_state(project) == before
    assert not staging_leftovers(tmp_path, project)


def test_report_out_the_working_directory_refuses_a_project_folder(analysed: str, tmp_path: Path) -> None:
    (tmp_path / "thesis.md").write_text("thesis", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "report.json").write_text('{"pages": [], "tables": []}', encoding="utf-8")
    before = folder_state(tmp_path)
    result = run_cli(
        "report", "--db", analysed, "--out", str(tmp_path), "--no-pdf", cwd=tmp_path, env=clean_env()
    )
    line = one_line(result, 2, "thesis.md")
    assert "nothing was changed" in line
    assert folder_state(tmp_path) == before


def test_a_file_added_to_a_report_folder_is_never_deleted(analysed: str, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(analysed, out)
    manifest = json.loads((out / "data" / "report.json").read_text(encoding="utf-8"))
    assert "index.html" in manifest["files"]
    assert "data/report.json" not in manifest["files"]
    assert sorted(folder_state(out)) == sorted([*manifest["files"], "data/report.json"])
    (out / "commitments" / "my-notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UserError, match=r"commitments/my-notes\.txt") as caught:
        build(analysed, out)
    assert caught.value.exit_code == 2
    assert (out / "commitments" / "my-notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    "notes", ["notes.txt", "commitments/my-notes.md", "briefs/thesis.docx", "data/x.xlsx"]
)
def test_a_hand_edited_manifest_never_makes_a_report_delete_a_user_s_file(
    analysed: str, tmp_path: Path, notes: str
) -> None:
    """Each file a manifest lists is checked against the names a report gives its files: a listed user's
    file is refused as foreign, not replaced (nor deleted, as one the new report does not write)."""
    out = tmp_path / "site"
    build(analysed, out)
    manifest = json.loads((out / "data" / "report.json").read_text(encoding="utf-8"))
    (out / notes).write_text("mine", encoding="utf-8")
    manifest["files"].append(notes)
    (out / "data" / "report.json").write_text(json.dumps(manifest), encoding="utf-8")
    before = folder_state(out)
    result = run_cli("report", "--db", analysed, "--out", str(out), "--no-pdf", env=clean_env())
    one_line(result, 2, f"holds files the earlier report did not write (first: {notes})")
    assert folder_state(out) == before
    assert (out / notes).read_text(encoding="utf-8") == "mine"


def test_a_report_replaces_its_own_files_and_keeps_an_earlier_report_format(
    analysed: str, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build(analysed, out)
    first = folder_state(out)
    # a report written before manifests listed "files": accepted, its pages, tables and briefs replaced
    manifest = json.loads((out / "data" / "report.json").read_text(encoding="utf-8"))
    del manifest["files"]
    (out / "data" / "report.json").write_text(json.dumps(manifest), encoding="utf-8")
    build(analysed, out)
    assert folder_state(out) == first
    assert not staging_leftovers(tmp_path, out)


# ------------------------------------------------------------ 2. a symlink, the working directory, a mount


def test_report_through_a_symlink_updates_the_target_and_keeps_the_link(
    analysed: str, tmp_path: Path
) -> None:
    real = tmp_path / "www" / "report"
    real.mkdir(parents=True)
    link = tmp_path / "current"
    link.symlink_to(real, target_is_directory=True)
    build(analysed, link)
    build(analysed, link)  # the second build replaces the first through the link
    assert link.is_symlink()
    assert link.resolve() == real.resolve()
    assert (real / "index.html").is_file()
    assert not staging_leftovers(tmp_path, tmp_path / "www", real)


def test_report_into_the_working_directory(analysed: str, tmp_path: Path) -> None:
    out = tmp_path / "here"
    out.mkdir()
    for _ in range(2):  # new (empty) folder, then an update of the report it holds
        result = run_cli("report", "--db", analysed, "--out", ".", "--no-pdf", cwd=out, env=clean_env())
        assert result.returncode == 0, result.stderr
    assert (out / "index.html").is_file()
    assert not staging_leftovers(tmp_path, out)
    # the folder itself was updated in place: still the same directory (a shell in it keeps working)
    assert out.stat().st_ino == os.stat(out).st_ino


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    yield from mounted_tmpfs(tmp_path / "volume", "8m", "cannot mount a tmpfs here (needs root)")


def test_report_onto_a_mount_point(analysed: str, tmpfs: Path) -> None:
    build(analysed, tmpfs)
    first = folder_state(tmpfs)
    build(analysed, tmpfs)
    assert folder_state(tmpfs) == first
    assert os.path.ismount(tmpfs)
    assert not staging_leftovers(tmpfs.parent, tmpfs)


# -------------------------------------------------------------------------- 3. one file name per commitment


def test_file_names_from_ids_are_injective_and_case_safe() -> None:
    assert slug("1.1") == "c-1-1"
    assert slug("a.2") == "c-a-2"
    codes = ["A", "a", "1.1", "1-1", "1_1", "1..1", "承諾一", "承諾二", "../x", "X", "c-1-1"]
    names = [slug(code) for code in codes]
    assert len({name.lower() for name in names}) == len(codes), names
    assert all(name == name.lower() and "/" not in name for name in names)


# ------------------------------------------------------------------------------------ 4. passwords hidden


CANARY = "Cn4ry/p w0rd"  # a slash and a space: what a mask that stops at a delimiter lets through
CANARY_Q = "QueryCn4ry77"


def test_redact_masks_every_form_of_a_password() -> None:
    for text in (
        f"postgresql://u:{CANARY}@host:notaport/db",
        f"'mysql://user:{CANARY}@h/d': backend",
        f"redis://:{CANARY_Q}@127.0.0.1:6379/0",
        f"redis://{CANARY_Q}@127.0.0.1:6379/0",
        f"postgresql://u@h/db?sslmode=require&password={CANARY_Q}",
        f"http://user:{CANARY_Q}@127.0.0.1:8800/x?token={CANARY_Q}",
    ):
        shown = redact(text)
        assert CANARY not in shown, shown
        assert CANARY_Q not in shown, shown
        assert "***" in shown
    assert redact("sqlite:///joinfeedback.db") == "sqlite:///joinfeedback.db"


@pytest.mark.parametrize("password", ["Cn4ry@q7", "p@ss", "Cn4ry@k9@zz"])
def test_a_password_with_an_unencoded_at_sign_leaks_no_tail(tmp_path: Path, password: str) -> None:
    """URL parsers end such a password at its first "@" and take the rest for the host, which the driver
    then quotes ("failed to resolve host 'q7@db.invalid'")."""
    (tmp_path / "good.csv").write_bytes(GOOD_CSV)
    url = f"postgresql+psycopg://jf:{password}@db.invalid/x"
    result = run_cli("import", "good.csv", "--db", url, cwd=tmp_path, env=clean_env())
    line = one_line(result, 4, "cannot reach database")
    for piece in password.split("@"):
        assert f"{piece}@" not in line, line
        assert f"'{piece}" not in line, line
    assert "***@db.invalid" in line


def _pg_canary_url(pg_url: str) -> str:
    """The same PostgreSQL database with the canary as password (the test server trusts local users)."""
    scheme, rest = pg_url.split("://", 1)
    user_host = rest.split("@", 1)
    host_db = user_host[1] if len(user_host) == 2 else user_host[0]
    from urllib.parse import quote

    return f"{scheme}://postgres:{quote(CANARY, safe='')}@{host_db}?password={CANARY_Q}"


@pytest.mark.postgres
def test_a_canary_password_never_reaches_output_or_files(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from joinfeedback.cli import main

    url = _pg_canary_url(pg_url)
    (tmp_path / "good.csv").write_bytes(GOOD_CSV)
    outputs: list[str] = []

    def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        done = run_cli(*args, env=clean_env(JOINFEEDBACK_LOG_LEVEL="DEBUG", **env), cwd=tmp_path)
        outputs.extend([done.stdout, done.stderr])
        return done

    # errors: a bad port, an unsupported backend, an unreachable Redis frontier, a bad redis_url setting
    cli("import", "good.csv", "--db", f"postgresql://u:{CANARY}@127.0.0.1:notaport/db")
    cli("import", "good.csv", "--db", f"mysql://u:{CANARY}@127.0.0.1/db")
    cli("import", "good.csv", "--db", f"postgresql://u:{CANARY}@127.0.0.1:1/db")
    cli("config", "--db", url, JOINFEEDBACK_REDIS_URL=f"redis://:{CANARY}@127.0.0.1:1/0")
    cli("config", JOINFEEDBACK_REDIS_URL=f"http://:{CANARY}@127.0.0.1:1/0")
    cli(
        "crawl",
        "--db",
        url,
        "--base-url",
        f"http://user:{CANARY}@127.0.0.1:9",
        "--workers-redis",
        f"redis://:{CANARY}@127.0.0.1:1/0",
    )
    # the whole chain on a database whose URL holds the canary
    assert cli("import", "good.csv", "--db", url).returncode == 0
    (tmp_path / "more.csv").write_bytes(GOOD_CSV.replace(b"\n1,", b"\n3,").replace(b"\n2,", b"\n4,"))
    assert cli("import", "more.csv", "--db", url, JOINFEEDBACK_LOG_FORMAT="json").returncode == 0
    with transaction(open_database(pg_url)) as session:
        session.add(CrawlRun(base_url=f"http://user:{CANARY}@127.0.0.1:9", status="finished", errors=[]))
    # analyze "on a terminal": the summary line names the database
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("JOINFEEDBACK_EMBEDDINGS", "off")
    code = main(["analyze", "--db", url, "--commitments", "none", "--seed", "1"])
    captured = capsys.readouterr()
    outputs.extend([captured.out, captured.err])
    assert code == 0, captured.err
    assert "analysis run" in captured.out
    assert "***" in captured.out
    cli("status", "--db", url)
    cli("status", "--db", url, "--allow-partial")
    cli("export", "assignments", "--db", url, "--out", "assignments.csv")
    cli("report", "--db", url, "--out", "site", "--no-pdf")
    cli("evaluate", "--db", url, "--labels", "good.csv")
    cli("config", "--db", url)
    joined = "\n".join(outputs)
    assert "***" in joined
    for secret in (CANARY, CANARY_Q, "Cn4ry%2Fp%20w0rd", "Cn4ry"):
        assert secret not in joined, [o for o in outputs if secret in o][:1]
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    # what the crawl command stored for status: its site without the password (the row added above by
    # hand keeps it, and status masked it all the same)
    with transaction(open_database(pg_url)) as session:
        stored = [
            run.base_url for run in session.scalars(select(CrawlRun).where(CrawlRun.status == "failed"))
        ]
    assert stored == ["http://user:***@127.0.0.1:9"], stored


# ------------------------------------------------------------------------ 5. one printable line, always


def test_printable_escapes_controls_and_bidi() -> None:
    hostile = "id\n joinfeedback: ok\x1b[2J\u202etxt.exe\u2066\r\t\x85\u2028"
    shown = printable(hostile)
    assert "\n" not in shown
    assert "\x1b" not in shown
    assert "\u202e" not in shown
    assert "\x85" not in shown
    assert "\\n" in shown
    assert "\\x1b" in shown
    assert "\\u202e" in shown
    assert printable("開放資料 1.1") == "開放資料 1.1"
    register_secrets()
    assert for_display("a\nb") == "a\\nb"


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("newline.csv", b'id,text\n"a\nfake: ok",text\n', "line 2"),
        ("escape.csv", b"id,text\n\x1b[2Jx,text\n", "line 2"),
        ("bidi.csv", "id,text\nab\u202ecd,text\n".encode(), "line 2"),
    ],
)
def test_import_refuses_ids_with_control_characters(
    tmp_path: Path, name: str, content: bytes, fragment: str
) -> None:
    (tmp_path / name).write_bytes(content)
    url = f"sqlite:///{tmp_path / 'jf.db'}"
    result = run_cli("import", name, "--db", url, cwd=tmp_path, env=clean_env())
    line = one_line(result, 2, fragment)
    assert "control or bidirectional character" in line
    assert "\x1b" not in result.stderr
    assert "\u202e" not in result.stderr


def test_open_data_with_a_newline_key_gives_one_line(tmp_path: Path) -> None:
    (tmp_path / "od.json").write_text(json.dumps([{"\n forged: line": 1, "\x1b[2J": 2}]), encoding="utf-8")
    result = run_cli(
        "import", "od.json", "--db", f"sqlite:///{tmp_path / 'jf.db'}", cwd=tmp_path, env=clean_env()
    )
    one_line(result, 2, "od.json")
    assert "\x1b" not in result.stderr


# ------------------------------------------------------------------------------------------ 6. exit codes


def test_a_file_that_is_not_a_database_is_exit_4_and_named(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_bytes(GOOD_CSV)
    (tmp_path / "notes.db").write_bytes(b"these are my notes, not a database\n" * 200)
    before = (tmp_path / "notes.db").read_bytes()
    for args in (("import", "good.csv"), ("status",), ("export", "assignments", "--out", "x.csv")):
        result = run_cli(*args, "--db", f"sqlite:///{tmp_path / 'notes.db'}", cwd=tmp_path, env=clean_env())
        line = one_line(result, 4, "notes.db")
        assert "not" in line
        assert "database" in line
    assert (tmp_path / "notes.db").read_bytes() == before


def test_read_only_databases_exit_4_and_locked_ones_3(tmp_path: Path) -> None:
    from storage.db import database_problem

    path = tmp_path / "jf.db"
    open_database(f"sqlite:///{path}").dispose()
    # read-only: what SQLite says when the file (or its folder) cannot be written (root ignores chmod)
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as read_only:
        reader.execute("CREATE TABLE x (a)")
    reader.close()
    problem = database_problem(read_only.value, url=f"sqlite:///{path}")
    assert problem is not None
    assert problem.exit_code == 4
    assert str(path) in str(problem)
    assert "read-only" in str(problem)
    # locked by another SQLite program
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as locked:
        other.execute("CREATE TABLE y (a)")
    holder.execute("ROLLBACK")
    holder.close()
    other.close()
    problem = database_problem(locked.value, url=f"sqlite:///{path}")
    assert problem is not None
    assert problem.exit_code == 3  # a held lock, as README promises
    assert "locked by another program" in str(problem)


@pytest.fixture
def held_database(tmp_path: Path) -> Iterator[Path]:
    """A joinfeedback database another SQLite program holds in an exclusive transaction."""
    path = tmp_path / "jf.db"
    open_database(f"sqlite:///{path}").dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    yield path
    holder.execute("ROLLBACK")
    holder.close()


def test_a_locked_database_is_waited_for_once(held_database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run lock's record is written once: when it cannot be, nothing is cleared (a second write would
    wait SQLite's busy timeout again, and the message says one wait)."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from joinfeedback.ops.lock import run_lock
    from storage import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    engine = db.make_engine(f"sqlite:///{held_database}")
    writes: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        verb = statement.split()[0].upper()
        if "run_lock" in statement and verb in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(verb)

    with pytest.raises(OperationalError, match="database is locked"), run_lock(engine, "analysis"):
        pass
    engine.dispose()
    assert writes == ["INSERT"]


def test_import_into_a_locked_database_exits_3(held_database: Path, tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_bytes(GOOD_CSV)
    result = run_cli(
        "import", "good.csv", "--db", f"sqlite:///{held_database}", cwd=tmp_path, env=clean_env()
    )
    line = one_line(result, 3, "is locked by another program (waited 30 s)")
    assert str(held_database) in line


def test_negative_seed_and_nan_lock_timeout_are_bad_input(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jf.db'}"
    (tmp_path / "good.csv").write_bytes(GOOD_CSV)
    assert run_cli("import", "good.csv", "--db", url, cwd=tmp_path, env=clean_env()).returncode == 0
    one_line(run_cli("analyze", "--seed", "-1", "--db", url, cwd=tmp_path, env=clean_env()), 2, "seed")
    for value in ("nan", "inf", "-1"):
        result = run_cli("analyze", "--db", url, cwd=tmp_path, env=clean_env(JOINFEEDBACK_LOCK_TIMEOUT=value))
        one_line(result, 2, "lock_timeout")
    engine = open_database(url)
    with transaction(engine) as session:
        assert not session.scalars(select(AnalysisRun)).all()  # no failed run left behind
    engine.dispose()


def test_export_on_a_full_disk_keeps_the_previous_file(analysed: str, tmpfs: Path) -> None:
    out = tmpfs / "assignments.csv"
    assert (
        run_cli("export", "assignments", "--db", analysed, "--out", str(out), env=clean_env()).returncode == 0
    )
    before = out.read_bytes()
    with (tmpfs / "filler").open("wb") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
        except OSError:
            pass
    result = run_cli("export", "assignments", "--db", analysed, "--out", str(out), env=clean_env())
    one_line(result, 4, "assignments.csv")
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmpfs.iterdir()) == ["assignments.csv", "filler"]


# ----------------------------------------------------------------------------- 7. reading changes nothing


def test_status_export_and_config_never_create_a_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    one_line(run_cli("status", "--db", url, cwd=tmp_path, env=clean_env()), 4, "typo.db")
    one_line(
        run_cli("export", "assignments", "--db", url, "--out", "a.csv", cwd=tmp_path, env=clean_env()),
        4,
        "typo.db",
    )
    assert run_cli("config", "--db", url, cwd=tmp_path, env=clean_env()).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_status_leaves_another_applications_database_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE notes (body TEXT)")
    other.execute("INSERT INTO notes VALUES ('keep me')")
    other.commit()
    other.close()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    line = one_line(
        run_cli("status", "--db", f"sqlite:///{path}", cwd=tmp_path, env=clean_env()), 4, "other.db"
    )
    assert "not a joinfeedback database" in line
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_a_fifo_catalogue_or_labels_file_is_refused_at_once(analysed: str, tmp_path: Path) -> None:
    fifo = tmp_path / "catalogue.csv"
    os.mkfifo(fifo)
    result = run_cli("analyze", "--commitments", str(fifo), "--db", analysed, env=clean_env(), timeout=60)
    one_line(result, 2, "not a regular file")
    result = run_cli("evaluate", "--labels", str(fifo), "--db", analysed, env=clean_env(), timeout=60)
    one_line(result, 2, "not a regular file")


def test_export_replaces_the_file_only_when_complete(
    analysed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports import exports

    out = tmp_path / "assignments.csv"
    out.write_text("previous export\n", encoding="utf-8")
    engine = open_database(analysed)
    real_writerow_csv = exports.write_csv

    def failing(path: Path, header, rows, **options: bool) -> int:
        real_writerow_csv(path, header, list(rows)[:3], **options)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports, "write_csv", failing)
    with pytest.raises(UserError) as caught:
        exports.export_assignments(engine, out)
    engine.dispose()
    assert caught.value.exit_code == 4
    assert out.read_text(encoding="utf-8") == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assignments.csv"]


# ------------------------------------------------------------------------- 8. a crawl without its frontier


def _crawl_runs(url: str) -> list[CrawlRun]:
    engine = open_database(url)
    try:
        with transaction(engine) as session:
            runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            session.expunge_all()
            return runs
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("frontier", "exit_code", "fragment", "run_message"),
    [
        pytest.param(
            ("--workers-redis", "redis://127.0.0.1:1/0"),
            4,
            "cannot reach the Redis frontier redis://127.0.0.1:1/0",
            "Redis frontier",
            id="redis-unreachable",
        ),
        pytest.param(
            ("--jobdir", "{tmp}/job"), 2, "is a file, not a folder", "jobdir", id="jobdir-is-a-file"
        ),
    ],
)
def test_a_crawl_whose_frontier_is_unusable_fails_in_one_line(
    tmp_path: Path, frontier: tuple[str, str], exit_code: int, fragment: str, run_message: str
) -> None:
    url = f"sqlite:///{tmp_path / 'jf.db'}"
    (tmp_path / "job").write_text("not a folder", encoding="utf-8")  # only the jobdir case points at it
    option, value = frontier
    result = run_cli(
        "crawl",
        "--db",
        url,
        "--base-url",
        "http://127.0.0.1:9",
        "--profile",
        "local",
        option,
        value.format(tmp=tmp_path),
        env=clean_env(),
        timeout=120,
    )
    one_line(result, exit_code, fragment)
    runs = _crawl_runs(url)
    assert [run.status for run in runs] == ["failed"]
    assert run_message in (runs[0].message or "")


# ------------------------------------------------------------------------------ 9. status as a monitor


T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def test_status_fires_for_a_partial_crawl_and_an_empty_analysis(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jf.db'}"
    engine = open_database(url)
    with transaction(engine) as session:
        session.add(
            CrawlRun(
                base_url="http://127.0.0.1:8800",
                status="partial",
                pages=0,
                requests=72,
                started_at=T0,
                finished_at=T0 + timedelta(minutes=1),
                errors=[{"url": "http://127.0.0.1:8800/x", "error": "e"}],
            )
        )
    engine.dispose()
    result = run_cli("status", "--db", url, env=clean_env())
    assert result.returncode == 1, result.stdout
    assert "status: FAILED — crawl #1 partial: 1 URLs given up on, 0 pages from 72 requests" in result.stdout
    assert run_cli("status", "--db", url, "--allow-partial", env=clean_env()).returncode == 0
    engine = open_database(url)
    with transaction(engine) as session:
        session.add(
            CrawlRun(base_url="http://127.0.0.1:8800", status="finished", started_at=T0 + timedelta(hours=1))
        )
        session.add(AnalysisRun(status="complete", n_items=0, started_at=T0 + timedelta(hours=2)))
    engine.dispose()
    result = run_cli("status", "--db", url, env=clean_env())
    assert result.returncode == 1
    assert "analysis #1 analysed no item" in result.stdout.splitlines()[-1]
    assert run_cli("status", "--db", url, "--allow-partial", env=clean_env()).returncode == 0


# ------------------------------------------------------------- 10. schema creation by concurrent processes

OPEN_DB = "import sys; from storage.db import open_database; open_database(sys.argv[1]).dispose()"


def _open_together(url: str, n: int = 3) -> list[subprocess.CompletedProcess[str]]:
    root = Path(__file__).resolve().parents[1]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_DB, url],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


def test_processes_creating_a_new_sqlite_database_together_all_succeed(tmp_path: Path) -> None:
    for attempt in range(4):
        url = f"sqlite:///{tmp_path / f'new{attempt}.db'}"
        for result in _open_together(url):
            assert result.returncode == 0, result.stderr[-500:]


@pytest.mark.postgres
def test_processes_creating_a_new_postgres_schema_together_all_succeed(pg_url: str) -> None:
    for result in _open_together(pg_url):
        assert result.returncode == 0, result.stderr[-500:]


def test_two_imports_started_together_on_a_new_database(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_bytes(GOOD_CSV)
    url = f"sqlite:///{tmp_path / 'jf.db'}"
    command = [sys.executable, "-m", "joinfeedback", "import", "good.csv", "--db", url]
    processes = [
        subprocess.Popen(command, cwd=tmp_path, env=clean_env(), stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    codes = []
    for process in processes:
        _, err = process.communicate(timeout=120)
        codes.append((process.returncode, err))
    assert sorted(code for code, _ in codes)[0] == 0, codes
    for code, err in codes:
        assert code in {0, 3}, err
        assert "already exists" not in err
