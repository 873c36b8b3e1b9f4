#!/usr/bin/env bash
# Fails when the tables changed without a migration: auto-generating one into a scratch copy of
# migrations/ must find nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r migrations/collecte "$tmp/collecte"
before=$(ls "$tmp/collecte" | wc -l)
COLLECTE_MIGRATIONS_DIR="$tmp/collecte" COLLECTE_DATABASE_URL="sqlite:///$tmp/drift.sqlite3" \
    PICCOLO_CONF=collecte.db.piccolo_conf \
    .venv/bin/piccolo migrations new collecte --auto >"$tmp/out.txt" 2>&1 || true
after=$(ls "$tmp/collecte" | wc -l)
if [ "$after" != "$before" ]; then
    echo "The tables changed but no migration was committed (make one with:" >&2
    echo "  PICCOLO_CONF=collecte.db.piccolo_conf .venv/bin/piccolo migrations new collecte --auto)" >&2
    exit 1
fi
echo "Migrations up to date."
