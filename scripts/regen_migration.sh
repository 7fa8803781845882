#!/usr/bin/env bash
# Regenerate the initial migration from storage/models.py (allowed while 0.1 is unreleased; after a
# release add a new revision instead: `alembic -c ... revision --autogenerate`).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f storage/migrations/versions/0001_initial_schema.py
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from alembic.config import Config
cfg = Config()
cfg.set_main_option("script_location", "storage/migrations")
cfg.set_main_option("sqlalchemy.url", f"sqlite:///{sys.argv[1]}/gen.db")
command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
PY
sed -i '/^Create Date:/d' storage/migrations/versions/0001_initial_schema.py
rm -rf "$tmp"
echo "regenerated storage/migrations/versions/0001_initial_schema.py"
