#!/usr/bin/env bash
# Builds every fuzz target and runs each for N seconds (default 60), FUZZ_JOBS at a time.
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]
#
#   FUZZ_JOBS=N   targets run in parallel (default 2: one per core of the CI machine;
#                 each target is one libFuzzer process on one core)
#
# With TARGET names, only those run (all are built). Each target starts from a copy of
# fuzz/seeds/<target>/ (the seeds stay clean), with its dictionary from fuzz/dict/ when it
# has one. Logs go to fuzz/logs/<target>.log, crash inputs to fuzz/artifacts/<target>/.
# Prints one summary line per target and exits non-zero when any target crashes, leaks,
# times out or runs out of memory.
set -uo pipefail

secs="${1:-60}"
shift || true
jobs="${FUZZ_JOBS:-2}"
if ! [[ "$secs" =~ ^[0-9]+$ && "$jobs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: FUZZ_JOBS=N bash fuzz/run.sh [SECONDS] [TARGET...]" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked || exit 1
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
    rustc=(rustc +nightly)
else
    echo "== no nightly toolchain: using RUSTC_BOOTSTRAP=1 with the default toolchain"
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
    rustc=(rustc)
fi

echo "== building fuzz targets"
start=$SECONDS
"${fuzz[@]}" build || exit 1
echo "== built in $((SECONDS - start))s"
triple="$("${rustc[@]}" -vV | sed -n 's/^host: //p')"
bin_dir="$here/target/$triple/release"

dict_for() {
    case "$1" in
        identity_parse | capi_strings) echo dict/identity.dict ;;
        passport_verify) echo dict/json.dict ;;
        passport_decode | token_split) echo dict/token.dict ;;
        key_parse) echo dict/key.dict ;;
        tnauthlist_der | claim_constraints_der | cert_chain | crl_parse | crl_check) echo dict/cert.dict ;;
        isup_number | isup_iam) echo dict/isup.dict ;;
        pcap_capture | sip_message) echo dict/sip.dict ;;
        *) echo "" ;;
    esac
}

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <("${fuzz[@]}" list)
fi
for t in "${targets[@]}"; do
    if [ ! -x "$bin_dir/$t" ]; then
        echo "!! unknown target $t (no $bin_dir/$t)" >&2
        exit 2
    fi
done

# As `cargo fuzz run` sets it (the binaries are run directly, so that targets can run in
# parallel without waiting for cargo's build lock).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p logs

# Runs one target; its exit code goes to $work/<target>.rc.
run_one() {
    local t="$1" corpus="$work/$1" dict
    mkdir -p "$corpus" "artifacts/$t"
    if [ -d "seeds/$t" ]; then
        cp -R "seeds/$t/." "$corpus/"
    fi
    local args=(-max_total_time="$secs" -rss_limit_mb=2048 -timeout=5 -print_final_stats=1
        -artifact_prefix="$here/artifacts/$t/")
    dict="$(dict_for "$t")"
    if [ -n "$dict" ] && [ -f "$dict" ]; then
        args+=(-dict="$here/$dict")
    fi
    echo "== $t: ${secs}s, $(find "$corpus" -type f | wc -l) seeds${dict:+, $dict}"
    "$bin_dir/$t" "${args[@]}" "$corpus" >"logs/$t.log" 2>&1
    echo $? >"$work/$t.rc"
    # Final corpus size, for the summary.
    find "$corpus" -type f | wc -l >"$work/$t.files"
    du -sb "$corpus" | cut -f1 >"$work/$t.bytes"
}

start=$SECONDS
running=0
for t in "${targets[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$t" &
    running=$((running + 1))
done
wait

failed=()
summary=()
for t in "${targets[@]}"; do
    rc="$(cat "$work/$t.rc" 2>/dev/null || echo 99)"
    # The last status line libFuzzer printed (#runs DONE cov: … ft: … corp: …).
    stats="$(grep -E '^#[0-9]+' "logs/$t.log" | tail -n 1)"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -n 1)"
    if [ "$rc" -ne 0 ]; then
        failed+=("$t")
        echo "!! $t FAILED (exit $rc); see fuzz/logs/$t.log and fuzz/artifacts/$t/"
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY' "logs/$t.log" | head -n 5
    fi
    summary+=("$(printf '%-22s rc=%-3s execs=%-10s files=%-5s bytes=%-8s %s' "$t" "$rc" \
        "${execs:-?}" "$(cat "$work/$t.files" 2>/dev/null)" \
        "$(cat "$work/$t.bytes" 2>/dev/null)" "$stats")")
done

echo
echo "== summary (${secs}s per target, $jobs at a time, $((SECONDS - start))s of fuzzing)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "== FAILED: ${failed[*]}"
    exit 1
fi
echo "== all targets ran without a crash"
