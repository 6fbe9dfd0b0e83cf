#!/usr/bin/env bash
# Builds the release libraries and the C harness, then runs the same-run comparison of
# Debian's libsecsipid and cliauth (see README.md).
#
#   bench/compare/run.sh [SECONDS_PER_SAMPLE] [ROUNDS]     (defaults: 1 and 5)
#
# Needs: cargo, cc, Debian's libsecsipid1 (scripts/install-kamailio-deps.sh installs it).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SECONDS_PER_SAMPLE="${1:-1}"
ROUNDS="${2:-5}"
REF=/usr/lib/x86_64-linux-gnu/libsecsipid.so.1

if [ ! -e "$REF" ]; then
    echo "bench/compare: $REF missing: run scripts/install-kamailio-deps.sh" >&2
    exit 2
fi

cd "$ROOT"
cargo build --release -q -p cliauth-secsipid -p cliauth-cli
OURS="$ROOT/target/release/libcliauth_secsipid.so"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cliauth-compare.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
"$ROOT/target/release/cliauth" keygen --out "$WORK/prv.pem" --pub "$WORK/pub.pem" >/dev/null

CFLAGS=(-O2 -Wall -Wextra -pthread)
CAPI=""
# The C API column, when libcliauth and its header exist (capi/ crate).
if [ -f "$ROOT/include/cliauth.h" ] && [ -f "$ROOT/capi/Cargo.toml" ] \
    && cargo build --release -q -p cliauth-capi 2>/dev/null && [ -f "$ROOT/target/release/libcliauth.so" ]; then
    CFLAGS+=(-DHAVE_CLIAUTH_H -I "$ROOT/include" -I "$HERE")
    CAPI="$ROOT/target/release/libcliauth.so"
fi
cc "${CFLAGS[@]}" -o "$WORK/compare" "$HERE/compare.c" -ldl

echo "reference: $REF ($(dpkg-query -W -f='${Package} ${Version}' libsecsipid1 2>/dev/null || echo '?'))"
echo "ours:      $OURS (release)"
[ -n "$CAPI" ] && echo "capi:      $CAPI (release)"
echo "cpu:       $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
echo
"$WORK/compare" "$REF" "$OURS" "$WORK" "$SECONDS_PER_SAMPLE" "$ROUNDS" $CAPI
