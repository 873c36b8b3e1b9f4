#!/usr/bin/env bash
# Vendor the QR decoder the scan page's camera uses where the browser has no BarcodeDetector:
# the npm package `qr` (Paul Miller, MIT OR Apache-2.0), plain ES modules, copied as published
# (no build step) into collecte/web/static/vendor/qr/ with its licences and a NOTICE naming the
# version and the SHA-256 of each file. Not run at install time: run it by hand to upgrade,
# then run the browser tests (tests/browser/test_offline_scanning.py decodes a camera feed).
#
#   scripts/vendor-qr-decoder.sh            # the version pinned below
#   scripts/vendor-qr-decoder.sh 0.7.1      # another release
set -euo pipefail
VERSION="${1:-0.7.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/collecte/web/static/vendor/qr"
FILES=(index.js decode.js LICENSE LICENSE-MIT)
command -v npm >/dev/null || { echo "npm is needed (Node.js) to fetch the package" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# npm pack downloads the published tarball and checks it against the registry's integrity hash.
(cd "$work" && npm pack "qr@$VERSION" --silent >/dev/null && tar xzf "qr-$VERSION.tgz")
mkdir -p "$DEST"
rm -f "$DEST"/*
for file in "${FILES[@]}"; do
    cp "$work/package/$file" "$DEST/$file"
done
{
    echo "qr $VERSION — https://www.npmjs.com/package/qr (source: https://github.com/paulmillr/qr)"
    echo "Copyright (c) 2023 Paul Miller (https://paulmillr.com). Licence: MIT OR Apache-2.0"
    echo "(both texts beside this file: LICENSE-MIT, LICENSE)."
    echo
    echo "The files of the published package, unchanged: decode.js (the decoder and its"
    echo "BarcodeDetector class) and index.js (the tables it shares with the encoder). The scan page"
    echo "imports decode.js only where the browser has no BarcodeDetector of its own."
    echo "Vendored by scripts/vendor-qr-decoder.sh; run it again to change the version."
    echo
    echo "SHA-256:"
    (cd "$DEST" && sha256sum index.js decode.js | sed 's/^/  /')
} > "$DEST/NOTICE"
echo "qr $VERSION vendored into ${DEST#"$ROOT/"}"
