#!/usr/bin/env bash
# Fails when include/cliauth.h is not what cbindgen generates from capi/src now.
# Run from anywhere; needs cbindgen 0.29.4 (scripts/install-test-deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

# Never a silent pass: without cbindgen the check fails (scripts/install-test-deps.sh
# installs the pinned version).
if ! command -v cbindgen >/dev/null 2>&1; then
    echo "check-header: cbindgen not found: run scripts/install-test-deps.sh" \
        "(cargo install cbindgen --version 0.29.4 --locked)" >&2
    exit 2
fi

tmp="$(mktemp "${TMPDIR:-/tmp}/cliauth.h.XXXXXX")"
log="$(mktemp "${TMPDIR:-/tmp}/cbindgen.log.XXXXXX")"
trap 'rm -f "$tmp" "$log"' EXIT

if ! cbindgen --config capi/cbindgen.toml --crate cliauth-capi --output "$tmp" capi 2>"$log"; then
    cat "$log" >&2
    echo "check-header: cbindgen failed" >&2
    exit 1
fi

if ! diff -u include/cliauth.h "$tmp"; then
    echo "check-header: include/cliauth.h is stale; regenerate it with:" >&2
    echo "  cbindgen --config capi/cbindgen.toml --crate cliauth-capi --output include/cliauth.h capi" >&2
    exit 1
fi
echo "check-header: include/cliauth.h is up to date"
