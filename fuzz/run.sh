#!/usr/bin/env bash
# Builds every fuzz target and runs each for N seconds (default 60), one after the other.
#
#   bash fuzz/run.sh [SECONDS]
#
# Each target starts from a copy of fuzz/seeds/<target>/ (the seeds stay clean), with its
# dictionary from fuzz/dict/ when it has one. Logs go to fuzz/logs/<target>.log, crash
# inputs to fuzz/artifacts/<target>/. Exits non-zero when any target crashes, leaks,
# times out or runs out of memory.
set -uo pipefail

secs="${1:-60}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked || exit 1
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    echo "== no nightly toolchain: using RUSTC_BOOTSTRAP=1 with the default toolchain"
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi

echo "== building fuzz targets"
"${fuzz[@]}" build || exit 1

dict_for() {
    case "$1" in
        identity_parse) echo dict/identity.dict ;;
        passport_verify) echo dict/json.dict ;;
        passport_decode | token_split) echo dict/token.dict ;;
        key_parse) echo dict/key.dict ;;
        *) echo "" ;;
    esac
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p logs
failed=()
summary=()
for t in $("${fuzz[@]}" list); do
    corpus="$work/$t"
    mkdir -p "$corpus"
    if [ -d "seeds/$t" ]; then
        cp -R "seeds/$t/." "$corpus/"
    fi
    args=(-max_total_time="$secs" -rss_limit_mb=2048 -timeout=5 -print_final_stats=1)
    dict="$(dict_for "$t")"
    if [ -n "$dict" ] && [ -f "$dict" ]; then
        args+=(-dict="$here/$dict")
    fi
    echo "== $t: ${secs}s, $(find "$corpus" -type f | wc -l) seeds${dict:+, $dict}"
    "${fuzz[@]}" run "$t" "$corpus" -- "${args[@]}" >"logs/$t.log" 2>&1
    rc=$?
    # The last status line libFuzzer printed (#runs DONE cov: … ft: …).
    stats="$(grep -E '^#[0-9]+' "logs/$t.log" | tail -n 1)"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -n 1)"
    if [ "$rc" -ne 0 ]; then
        failed+=("$t")
        echo "!! $t FAILED (exit $rc); see fuzz/logs/$t.log and fuzz/artifacts/$t/"
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY' "logs/$t.log" | head -n 5
    fi
    summary+=("$(printf '%-22s rc=%-3s execs=%-10s %s' "$t" "$rc" "${execs:-?}" "$stats")")
done

echo
echo "== summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "== FAILED: ${failed[*]}"
    exit 1
fi
echo "== all targets ran without a crash"
