"""Bad input, case by case, through the real command line: one line on stderr naming the problem and where,
an exit code ≠ 0, no traceback, and a database exactly as it was before."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.importing import import_file
from storage.db import open_database
from tests.conftest import ROOT, dump_database, run_cli

GOOD_CSV = "id,text,author,created_at\n1,既有的意見,示例使用者,109/02/21\n2,另一則,,2020-02-22\n".encode()
IDEA_URL = "https://join.gov.tw/idea/detail/0b5a4c1e-7f2d-4c59-9a8e-5d1f3c2b1a00"


def idea(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "publishDate": "2024-01-14 00:01:18",
        "網址": IDEA_URL,
        "標題": "提議",
        "提議內容": "內容",
        "利益與影響": "",
        "附議數量": "12",
        "附議門檻": 5000,
        "提送日期": "無",
        "關注數量": 1,
        "留言數量": 0,
        "googleAnalytics": 1,
        "提議者": "",
    }
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


def as_json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode()


@dataclass(frozen=True)
class Case:
    name: str
    content: bytes | None  # None: see ``kind``
    fragment: str  # must appear in the one line on stderr
    exit_code: int = 2
    filename: str = "input.csv"
    kind: str = "file"  # file | directory | missing
    args: tuple[str, ...] = ()


CASES = [
    # --- the file itself
    Case("missing file", None, "no such file", kind="missing"),
    Case("directory", None, "is a directory", kind="directory"),
    Case("empty file", b"", "file is empty"),
    Case("only blank lines", b"\n \r\n\t\n", "file is empty"),
    # --- encodings
    Case("big5 bytes", "id,text\n1,臺灣的開放政府\n".encode("big5"), "iconv -f big5"),
    Case("not utf-8, not big5", b"id,text\n1,abc\x80\x80def\n", "line 2: not valid UTF-8"),
    Case("latin-1 bytes", "id,text\n1,café crème\n".encode("latin-1"), "line 2: not valid UTF-8"),
    Case(
        "truncated utf-16",
        codecs.BOM_UTF16_LE + "id,text\n1,好\n".encode("utf-16-le")[:-1],
        "not valid utf-16-le",
    ),
    Case(
        "unpaired utf-16 surrogate",
        codecs.BOM_UTF16_LE + "id,text\n1,".encode("utf-16-le") + b"\x00\xd8a\x00",
        "line 2: not valid utf-16-le",
    ),
    Case("NUL byte", b"id,text\n1,a\x00b\n", "line 2: contains a NUL byte"),
    Case("unknown --encoding", GOOD_CSV, "unknown encoding 'klingon'", args=("--encoding", "klingon")),
    Case(
        "wrong --encoding",
        "id,text\n1,開放\n".encode(),
        "line 2: not valid ascii",
        args=("--encoding", "ascii"),
    ),
    # --- CSV structure
    Case("header only", b"id,text,author\n", "has a header but no data rows"),
    Case("missing text column", b"id,author\n1,x\n", "line 1: missing required column(s) text"),
    Case("missing id column", b"text\nhello\n", "line 1: missing required column(s) id"),
    Case("unknown column", b"id,text,likes\n1,a,3\n", 'line 1: unknown column(s) "likes"'),
    Case("header name not exact", b"ID,Text\n1,a\n", 'unknown column(s) "ID", "Text"'),
    Case("repeated column", b"id,text,text\n1,a,b\n", "text appear more than once"),
    Case("blank lines before header", b"\n\nid,text\n1,a\n", "line 3: the file starts with blank lines"),
    Case("extra field", b"id,text\n1,a\n2,b,c\n", "line 3: 3 fields but the header has 2"),
    Case("missing field", b"id,text,author\n1,a,x\n2,b\n", "line 3: 2 fields but the header has 3"),
    Case("unterminated quote", b'id,text\n1,"never closed\n2,b\n', "line 2: broken CSV"),
    Case("empty text", b"id,text\n1,a\n2,  \n", 'line 3: column "text" is empty'),
    Case("empty id", b"id,text\n,a\n", 'line 2: column "id" is empty'),
    Case("duplicate id", b"id,text\n1,a\n2,b\n1,c\n", 'line 4: duplicate id "1" (first on line 2)'),
    Case(
        "duplicate id after multi-line record",
        b'id,text\nx,"a\nb"\nx,c\n',
        'line 4: duplicate id "x" (first on line 2)',
    ),
    Case(
        "unknown date format",
        b"id,text,created_at\n1,a,21/02/2020\n",
        'line 2: column "created_at": unrecognised date',
    ),
    Case(
        "impossible ROC date",
        "id,text,created_at\n1,a,109/13/01\n2,b,民國109年2月30日\n".encode(),
        'line 2: column "created_at": impossible date',
    ),
    Case("implausible year", b"id,text,created_at\n1,a,0001-01-01\n", "implausible year"),
    Case(
        "huge text",
        b"id,text\n1," + "長".encode() * 400_000 + b"\n",
        'line 2: column "text" is 1.1 MB, over the 1 MB',
    ),
    Case("id too long", b"id,text\n" + b"i" * 201 + b",a\n", 'line 2: column "id" is 201 characters long'),
    Case(
        "author too long", b"id,text,author\n1,a," + b"x" * 201 + b"\n", 'column "author" is 201 characters'
    ),
    Case("empty --dataset", GOOD_CSV, "--dataset: must not be empty", args=("--dataset", " ")),
    # --- open-data JSON
    Case("truncated JSON", as_json([idea()])[:-40], "broken JSON", filename="idea.json"),
    Case(
        "JSON syntax error position",
        b'[\n {"\xe6\xa8\x99\xe9\xa1\x8c": "x",}\n]',
        "line 2, column 13: broken JSON",
        filename="idea.json",
    ),
    Case("JSON object, not array", as_json(idea()), "expected a JSON array", filename="idea.json"),
    Case("empty JSON array", b"[]", "the JSON array is empty", filename="idea.json"),
    Case(
        "JSON array of numbers",
        b"[1, 2]",
        "line 1 (entry 1): expected an object, got int",
        filename="idea.json",
    ),
    Case("unknown JSON shape", as_json([{"foo": 1}]), "not a join.gov.tw open-data shape", filename="x.json"),
    Case(
        "idea without 網址",
        as_json([idea(), idea(網址=None)]),
        "line 16 (entry 2): 網址: missing",
        filename="idea.json",
    ),
    Case(
        "idea without 標題",
        as_json([idea(標題=None)]),
        "line 2 (entry 1): 標題: missing",
        filename="idea.json",
    ),
    Case(
        "idea endorsements not a number",
        as_json([idea(附議數量="很多")]),
        "附議數量: not a number",
        filename="idea.json",
    ),
    Case(
        "idea 網址 not absolute",
        as_json([idea(網址="/idea/detail/0b5a4c1e-7f2d")]),
        "not an absolute http(s) URL",
        filename="idea.json",
    ),
    Case(
        "duplicate idea",
        as_json([idea(), idea(標題="again")]),
        "line 16 (entry 2): duplicate 網址",
        filename="idea.json",
    ),
    Case(
        "NaN in JSON",
        b'[{"\xe7\xb6\xb2\xe5\x9d\x80": NaN}]',
        "NaN is not a number JSON allows",
        filename="idea.json",
    ),
    Case(
        "NUL escape in JSON",
        as_json([idea(標題="a\u0000b")]),
        "title contains a NUL character",
        filename="idea.json",
    ),
    Case(
        "lone surrogate in JSON",
        b'[{"\xe7\xb6\xb2\xe5\x9d\x80": "' + IDEA_URL.encode() + b'", "\xe6\xa8\x99\xe9\xa1\x8c": "\\ud800", '
        b'"\xe9\x99\x84\xe8\xad\xb0\xe6\x95\xb8\xe9\x87\x8f": 1}]',
        "unpaired UTF-16 surrogate",
        filename="idea.json",
    ),
    Case(
        "endorsements out of range",
        as_json([idea(附議數量=2**40)]),
        "endorse_count 1099511627776 is out of range",
        filename="idea.json",
    ),
    Case("deeply nested JSON", b"[" * 100_000 + b"]" * 100_000, "nested too deeply", filename="x.json"),
    Case(
        "2017 policy messages not a list",
        as_json(
            [{"url": "https://join.gov.tw/policies/detail/b51a8a5e-1b5e", "title": "t", "messages": "x"}]
        ),
        "messages: expected an array",
        filename="policy.json",
    ),
]


@pytest.fixture(scope="module")
def template_db() -> Iterator[Path]:
    """A database that already holds an import: a bad file must leave it exactly so."""
    folder = Path(tempfile.mkdtemp(prefix="jf-bad-input-"))
    good = folder / "good.csv"
    good.write_bytes(GOOD_CSV)
    engine = open_database(f"sqlite:///{folder / 'template.db'}")
    import_file(good, engine)
    engine.dispose()
    yield folder / "template.db"
    shutil.rmtree(folder, ignore_errors=True)


def assert_one_clean_line(result: subprocess.CompletedProcess[str], exit_code: int, fragment: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == exit_code, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "unexpected error" not in lines[0], lines[0]
    assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_import_file(case: Case, tmp_path: Path, template_db: Path) -> None:
    database = tmp_path / "joinfeedback.db"
    shutil.copy(template_db, database)
    url = f"sqlite:///{database}"
    before = dump_database(url)
    target = tmp_path / case.filename
    if case.kind == "file":
        assert case.content is not None
        target.write_bytes(case.content)
    elif case.kind == "directory":
        target.mkdir()
    result = run_cli("import", str(target), "--db", url, *case.args)
    line = assert_one_clean_line(result, case.exit_code, case.fragment)
    assert str(target) in line
    assert dump_database(url) == before


def test_every_case_is_rejected_by_the_function_too(tmp_path: Path, template_db: Path) -> None:
    """The same table, in process (fast, and shows the error type is UserError, not something else)."""
    from base.errors import UserError

    database = tmp_path / "joinfeedback.db"
    shutil.copy(template_db, database)
    engine = open_database(f"sqlite:///{database}")
    before = dump_database(f"sqlite:///{database}")
    for case in CASES:
        target = tmp_path / case.name.replace(" ", "_") / case.filename
        target.parent.mkdir()
        if case.kind == "file":
            target.write_bytes(case.content or b"")
        elif case.kind == "directory":
            target.mkdir()
        options = dict(zip(case.args[::2], case.args[1::2], strict=True))
        with pytest.raises(UserError) as caught:
            import_file(
                target, engine, dataset=options.get("--dataset", "import"), encoding=options.get("--encoding")
            )
        assert case.fragment in str(caught.value), case.name
        assert "\n" not in str(caught.value), case.name
    assert dump_database(f"sqlite:///{database}") == before
    engine.dispose()


def test_unreadable_file(tmp_path: Path, template_db: Path) -> None:
    """Permission denied is one line too. Root reads anything, so as root the command runs without the
    capabilities that bypass file modes (``setpriv``), which makes mode 000 count."""
    database = tmp_path / "joinfeedback.db"
    shutil.copy(template_db, database)
    url = f"sqlite:///{database}"
    secret = tmp_path / "secret.csv"
    secret.write_bytes(GOOD_CSV)
    secret.chmod(0o000)
    before = dump_database(url)
    command = [sys.executable, "-m", "joinfeedback", "import", str(secret), "--db", url]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        command = [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert_one_clean_line(result, 2, "cannot be read (permission denied)")
    assert dump_database(url) == before


def test_cli_runs_from_the_repository() -> None:
    """Guards the table above: if the CLI cannot start, every case would fail for the wrong reason."""
    result = run_cli("import", "--help", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "--encoding" in result.stdout


# ------------------------------------------------------------------------------------ the other user inputs


@dataclass(frozen=True)
class CommandCase:
    """A bad value for another input: database URLs, command-line arguments, catalogues, configuration.

    ``args`` may use ``{db}`` (a copy of the template database), ``{dir}`` (the test folder) and ``{good}``
    (a valid comments CSV); ``files`` are written into the folder first, which is the working directory.
    """

    name: str
    args: tuple[str, ...]
    fragment: str
    exit_code: int = 2
    files: tuple[tuple[str, bytes], ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    usage_allowed: bool = False  # argparse prints its usage lines before the one error line


CATALOGUE_HEADER = b"id,title,description,keywords\n"
COMMAND_CASES = [
    # --- database URLs
    CommandCase(
        "db nonsense scheme",
        ("import", "{good}", "--db", "nonsense://"),
        "backend 'nonsense' is not supported",
        4,
    ),
    CommandCase(
        "db unsupported backend", ("import", "{good}", "--db", "mysql://u@h/d"), "backend 'mysql'", 4
    ),
    CommandCase(
        "db not a URL", ("import", "{good}", "--db", "://nothing"), "is not a valid SQLAlchemy URL", 4
    ),
    CommandCase(
        "db folder missing",
        ("import", "{good}", "--db", "sqlite:////nonexistent/dir/x.db"),
        "does not exist",
        4,
    ),
    CommandCase(
        "db unreachable postgres",
        ("import", "{good}", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/test"),
        "cannot reach database",
        4,
    ),
    # --- command-line arguments
    CommandCase(
        "import without FILE", ("import",), "the following arguments are required: FILE", usage_allowed=True
    ),
    CommandCase(
        "unknown option",
        ("import", "{good}", "--bogus"),
        "unrecognized arguments: --bogus",
        usage_allowed=True,
    ),
    CommandCase("unknown command", ("frobnicate",), "invalid choice: 'frobnicate'", usage_allowed=True),
    # --- catalogue CSVs (analyze --commitments)
    CommandCase(
        "catalogue missing", ("analyze", "--commitments", "{dir}/none.csv", "--db", "{db}"), "cannot read"
    ),
    CommandCase(
        "catalogue empty",
        ("analyze", "--commitments", "cat.csv", "--db", "{db}"),
        "empty",
        files=(("cat.csv", b""),),
    ),
    CommandCase(
        "catalogue wrong header",
        ("analyze", "--commitments", "cat.csv", "--db", "{db}"),
        "line 1: header must be exactly id,title,description,keywords",
        files=(("cat.csv", b"id,text\n1,a\n"),),
    ),
    CommandCase(
        "catalogue in Big5",
        ("analyze", "--commitments", "cat.csv", "--db", "{db}"),
        "line 2: not valid UTF-8",
        files=(("cat.csv", CATALOGUE_HEADER + "A,開放資料,,\n".encode("big5")),),
    ),
    CommandCase(
        "catalogue duplicate id",
        ("analyze", "--commitments", "cat.csv", "--db", "{db}"),
        "line 3, column id: duplicate id 'A' (first on line 2)",
        files=(("cat.csv", CATALOGUE_HEADER + b"A,t,,\nA,u,,\n"),),
    ),
    # --- configuration (joinfeedback.toml in the working directory, --config, JOINFEEDBACK_*)
    CommandCase(
        "config not TOML",
        ("import", "{good}", "--db", "{db}"),
        "not valid TOML",
        files=(("joinfeedback.toml", b"[[broken\n"),),
    ),
    CommandCase(
        "config unknown key",
        ("import", "{good}", "--db", "{db}"),
        "unknown key 'no_such_key'",
        files=(("joinfeedback.toml", b"no_such_key = 1\n"),),
    ),
    CommandCase(
        "config wrong type",
        ("import", "{good}", "--db", "{db}"),
        "seed must be an integer",
        files=(("joinfeedback.toml", b'seed = "abc"\n'),),
    ),
    CommandCase(
        "config not UTF-8",
        ("import", "{good}", "--db", "{db}"),
        "joinfeedback.toml",
        files=(("joinfeedback.toml", b"\xff\xfe\x00"),),
    ),
    CommandCase(
        "--config missing",
        ("--config", "{dir}/nope.toml", "import", "{good}", "--db", "{db}"),
        "does not exist",
    ),
    CommandCase(
        "environment variable wrong type",
        ("import", "{good}", "--db", "{db}"),
        "JOINFEEDBACK_SEED: seed must be an integer",
        env=(("JOINFEEDBACK_SEED", "abc"),),
    ),
]


@pytest.mark.parametrize("case", COMMAND_CASES, ids=[case.name for case in COMMAND_CASES])
def test_bad_command_input(case: CommandCase, tmp_path: Path, template_db: Path) -> None:
    database = tmp_path / "joinfeedback.db"
    shutil.copy(template_db, database)
    url = f"sqlite:///{database}"
    (tmp_path / "good.csv").write_bytes("id,text\n100,新的一則意見\n".encode())
    for name, content in case.files:
        (tmp_path / name).write_bytes(content)
    before = dump_database(url)
    fill = {"db": url, "dir": str(tmp_path), "good": str(tmp_path / "good.csv")}
    args = [arg.format(**fill) for arg in case.args]
    env = {key: value for key, value in os.environ.items() if not key.startswith("JOINFEEDBACK_")}
    result = run_cli(*args, env={**env, **dict(case.env)}, cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    if case.usage_allowed:  # argparse: "usage: …" (possibly wrapped) and then the one error line
        assert lines, result.stderr
        assert lines[0].startswith("usage:"), result.stderr
        lines = lines[-1:]
    assert_one_clean_line(
        subprocess.CompletedProcess(result.args, result.returncode, result.stdout, "\n".join(lines)),
        case.exit_code,
        case.fragment,
    )
    assert dump_database(url) == before


def test_database_url_with_a_bad_port(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_bytes(GOOD_CSV)
    result = run_cli(
        "import", str(tmp_path / "good.csv"), "--db", "postgresql://postgres@127.0.0.1:notaport/test"
    )
    assert_one_clean_line(result, 4, "not a valid")
