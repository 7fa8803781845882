#!/usr/bin/env bash
# Static checks, run by scripts/test.sh before pytest (needs `bash scripts/setup.sh --test` first):
# ruff lint and format, mypy (packages strict; tests and benchmarks with their own, looser settings), the
# import contracts (the layers of docs/architecture.md and no cycle, [tool.importlinter] in pyproject.toml) and
# the code measures (no function of 60 lines or more in the packages, fewer than 50 `Any`). Exits 1 if any fails.
set -uo pipefail
cd "$(dirname "$0")/.."
packages=(joinfeedback base crawler storage analysis reports replica)
failed=()
run() {
  local name=$1
  shift
  if ! "$@"; then failed+=("$name"); fi
}
# lint-imports has no quiet mode: show its report only when a contract is broken
quietly() {
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out"
    return 1
  fi
}
run "ruff check" .venv/bin/ruff check --quiet .
run "ruff format" .venv/bin/ruff format --check --quiet .
# one run: the packages strict, tests and benchmarks under the looser override in pyproject.toml
run "mypy" .venv/bin/mypy "${packages[@]}" tests benchmarks scripts
if [ -x .venv/bin/lint-imports ]; then
  run "import contracts" quietly .venv/bin/lint-imports --no-logo
else
  echo "check: .venv/bin/lint-imports is missing (import-linter, in the test extras): bash scripts/setup.sh --test" >&2
  failed+=("import contracts")
fi
run "code measures" .venv/bin/python scripts/code_measures.py --check "${packages[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  printf 'check: failed: %s\n' "$(IFS=,; echo "${failed[*]}")" >&2
  exit 1
fi
echo "check: ruff, mypy, the import contracts and the code measures pass"
