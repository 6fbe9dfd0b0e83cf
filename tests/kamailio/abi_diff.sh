#!/usr/bin/env bash
# Differential check of the libsecsipid ABI: runs abi_probe.c against Debian's
# libsecsipid.so.1 and against ours, and compares every return code.
#
#   abi_diff.sh OUR_LIB [REFERENCE_LIB]
#
# Differences listed in EXPECTED below are deliberate (cliauth is stricter or fixes a
# crash); any other difference fails. The edge cases that crash Debian's library
# (NULL pointers, "name" without "=", negative lengths) are run one per process: ours
# must answer each without crashing.
#
# Needs: cc, openssl; python3 for the HTTP cases (skipped without it). Loopback only.
set -euo pipefail

OURS="$(readlink -f "$1")"
REF="${2:-/usr/lib/x86_64-linux-gnu/libsecsipid.so.1}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/abi-diff.XXXXXX")"
HTTP_PID=""
cleanup() {
    if [ -n "$HTTP_PID" ]; then kill "$HTTP_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# case name -> why the codes differ on purpose
declare -A EXPECTED=(
    [get_identity/plus-numbers]="numbers are signed in canonical form (no + or separators)"
    [get_identity/attest-X]="attestation must be A, B or C"
    [get_identity/empty-numbers]="orig and dest must be telephone numbers"
    [get_identity/empty-x5u]="x5u must be a URL (libsecsipid substitutes https://127.0.0.1/cert.pem)"
    [check/future-iat]="iat may be at most expire seconds in the future"
    [check_full/upper-ALG]="SIP parameter names are case-insensitive (RFC 3261)"
    [check_full/hdr-ppt]="ppt div is supported: the token then lacks its div claim (-231)"
    [check_full/hdr-minimal]="a PASSporT header must carry alg and x5u"
    [check_full/info-fetch-404]="cheap checks come before the key download: info differs from x5u (-205) without a fetch; libsecsipid fetches first (its 404: -403)"
)

F="$WORK/fx"
mkdir -p "$F"
(
    cd "$F"
    openssl ecparam -name prime256v1 -genkey -noout -out ec.pem 2>/dev/null
    openssl ec -in ec.pem -pubout -out ec-pub.pem 2>/dev/null
    openssl pkcs8 -topk8 -nocrypt -in ec.pem -out ec-pk8.pem
    openssl req -new -x509 -key ec.pem -out cert.pem -days 30 -subj /CN=probe 2>/dev/null
    # notAfter one day before notBefore: expired whatever "now" is.
    openssl req -new -key ec.pem -subj /CN=old -out old.csr 2>/dev/null
    openssl x509 -req -in old.csr -signkey ec.pem -days -1 -out expired.pem 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out other.pem 2>/dev/null
    openssl ec -in other.pem -pubout -out other-pub.pem 2>/dev/null
    openssl genrsa -out rsa.pem 1024 2>/dev/null
    openssl rsa -in rsa.pem -pubout -out rsa-pub.pem 2>/dev/null
    echo garbage >junk.pem
)

cc -O1 -Wall -o "$WORK/abi_probe" "$HERE/abi_probe.c" -ldl

if command -v python3 >/dev/null 2>&1; then
    PORT=$((20000 + RANDOM % 20000))
    python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$F" >/dev/null 2>&1 &
    HTTP_PID=$!
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
        sleep 0.1
    done
    export PROBE_HTTP_BASE="http://127.0.0.1:$PORT"
fi

timeout 120 "$WORK/abi_probe" "$REF" "$F" >"$WORK/ref.txt"
timeout 120 "$WORK/abi_probe" "$OURS" "$F" >"$WORK/ours.txt"

fail=0
same=0
while read -r name code _; do
    theirs="$(awk -v n="$name" '$1 == n { print $2; exit }' "$WORK/ours.txt")"
    if [ -z "$theirs" ]; then
        echo "MISSING  $name"
        fail=$((fail + 1))
    elif [ "$theirs" = "$code" ]; then
        same=$((same + 1))
        # Signed output (normalised: iat, origid and the signature blanked) must match too.
        if [ "$code" -gt 0 ] 2>/dev/null; then
            a="$(awk -v n="$name" '$1 == n { $1 = ""; $2 = ""; print; exit }' "$WORK/ref.txt")"
            b="$(awk -v n="$name" '$1 == n { $1 = ""; $2 = ""; print; exit }' "$WORK/ours.txt")"
            if [ "$a" != "$b" ]; then
                echo "OUTPUT   $name differs:"
                echo "    libsecsipid: $a"
                echo "    ours:        $b"
                fail=$((fail + 1))
            fi
        fi
    elif [ -n "${EXPECTED[$name]:-}" ]; then
        echo "expected $name: libsecsipid $code, ours $theirs (${EXPECTED[$name]})"
    else
        echo "DIFFER   $name: libsecsipid $code, ours $theirs"
        fail=$((fail + 1))
    fi
done <"$WORK/ref.txt"

# Edge cases, one per process: libsecsipid crashes on some; ours must not.
n=0
edges=0
while :; do
    set +e
    out="$(timeout 20 "$WORK/abi_probe" "$OURS" "$F" "$n" 2>&1)"
    rc=$?
    set -e
    if [ "$out" = "END" ]; then break; fi
    if [ "$rc" -ne 0 ]; then
        echo "CRASH    edge case $n (exit $rc): $out"
        fail=$((fail + 1))
    fi
    edges=$((edges + 1))
    n=$((n + 1))
done

echo "abi_diff: $same codes identical, ${#EXPECTED[@]} deliberate differences listed, $edges edge cases survived, $fail failures"
[ "$fail" -eq 0 ]
