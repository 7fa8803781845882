#!/usr/bin/env bash
# Set up joinfeedback in ./.venv (idempotent). `--test` also installs the test tools and Chromium.
# System packages (Debian): fonts-noto-cjk for CJK glyphs in charts and PDF briefs, fonts-symbola for emoji in
# printed quotes, libharfbuzz-subset0 so that WeasyPrint subsets those fonts itself (without it, it falls back
# to fontTools and the demo's PDF briefs take minutes, not seconds); chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

need_apt=()
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need_apt+=(fonts-noto-cjk)
# grep without -q reads to the end: under pipefail, an early exit would fail fc-list with SIGPIPE
fc-list 2>/dev/null | grep -i symbola >/dev/null || need_apt+=(fonts-symbola)  # emoji in printed quotes, not boxes
compgen -G "/usr/lib/*/libharfbuzz-subset.so.0" >/dev/null || compgen -G "/usr/lib/libharfbuzz-subset.so.0" >/dev/null \
  || need_apt+=(libharfbuzz-subset0)  # WeasyPrint's fast font subsetting (it dlopens this library)
if [ "$want_test" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    apt-get update -qq >/dev/null 2>&1 || true
    # apt's chatter (debconf notes) goes to a log, shown only if the install fails
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/tmp/joinfeedback-apt.log 2>&1; then
      cat /tmp/joinfeedback-apt.log >&2
      exit 1
    fi
  else
    echo "setup: warning: please install ${need_apt[*]} (needs root); continuing without" >&2
  fi
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras="postgres,workers,embeddings"
[ "$want_test" = 1 ] && extras="$extras,test"
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-$extras"
if [ ! -e "$stamp" ]; then
  echo "setup: installing joinfeedback[$extras] into .venv (about a minute the first time)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  # setuptools warns about every editable install; the log is shown only if the install fails
  if ! .venv/bin/python -m pip install -q -e ".[$extras]" >.venv/pip-install.log 2>&1; then
    cat .venv/pip-install.log >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
echo "setup: ready (.venv/bin/joinfeedback)"
