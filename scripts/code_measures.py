"""Measures two code-health figures: the longest functions and the uses of ``Any``.

    python scripts/code_measures.py            # the packages' figures, and functions of 60+ lines
    python scripts/code_measures.py --check    # exit 1: a function of 60 lines or more, or 50 Any

A function's length runs from its ``def`` line to its last line, decorators excluded
(``ast``: end_lineno - lineno + 1).
An ``Any`` is a name token ``Any`` outside ``import`` lines; a ``# type: ignore`` is counted beside it.
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
import tokenize
from pathlib import Path

PACKAGES = ("joinfeedback", "base", "crawler", "storage", "analysis", "reports", "replica")
MAX_FUNCTION_LINES = 59
MAX_ANY = 49


def function_lengths(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.end_lineno - node.lineno + 1, f"{path}:{node.lineno} {node.name}")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None
    ]


def any_uses(path: Path) -> tuple[int, int]:
    source = path.read_text(encoding="utf-8")
    anys = ignores = 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string == "Any":
            if not token.line.lstrip().startswith(("from ", "import ")):
                anys += 1
        elif token.type == tokenize.COMMENT and "type: ignore" in token.string:
            ignores += 1
    return anys, ignores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a limit is exceeded")
    parser.add_argument("packages", nargs="*", default=list(PACKAGES))
    args = parser.parse_args(argv)
    files = sorted(p for pkg in args.packages for p in Path(pkg).rglob("*.py"))
    lengths = sorted((row for p in files for row in function_lengths(p)), reverse=True)
    anys = ignores = 0
    for path in files:
        a, i = any_uses(path)
        anys, ignores = anys + a, ignores + i
    for length, where in lengths:
        if length > MAX_FUNCTION_LINES:
            print(f"{length:4d}  {where}")
    longest = lengths[0] if lengths else (0, "-")
    print(f"functions: {len(lengths)}; longest: {longest[0]} lines ({longest[1]})")
    print(f"Any: {anys}; type: ignore: {ignores}")
    too_long = longest[0] > MAX_FUNCTION_LINES
    if args.check and (too_long or anys > MAX_ANY):
        print(
            f"code_measures: limits are {MAX_FUNCTION_LINES} lines a function, {MAX_ANY} Any", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
