#!/usr/bin/env bash
# The issue 12 scale measurement: `cliauth sign --batch` on 100,000 calls and
# `cliauth pcap` on a capture of 100,000 INVITEs, release build, peak RSS by
# /usr/bin/time -v; compare the signing rate with `cargo bench --bench passport --
# ring/sign_raw` run in the same session. Usage: bash bench/load/run.sh [N]
set -euo pipefail
N="${1:-100000}"
cd "$(dirname "$0")/../.."
cargo build --release -q -p cliauth-cli
BIN="$PWD/target/release/cliauth"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
cd "$W"
"$BIN" keygen --out key.pem --pub pub.pem
python3 -c "
import json
for i in range($N):
    print(json.dumps({'orig': '12155551212', 'dest': '12155551213', 'attest': 'A', 'iat': 1700000000, 'origid': 'load-%d' % i}))
" > calls.jsonl
for t in 1 2; do
    /usr/bin/time -v "$BIN" sign --key key.pem --x5u https://cert.example.net/sp.pem \
        --batch calls.jsonl --threads "$t" > ids.txt 2> time.txt
    echo "sign --batch, $N calls, --threads $t: $(grep -E 'Elapsed' time.txt | awk '{print $NF}') elapsed," \
         "$(grep -E 'User time|System time' time.txt | awk '{s += $NF} END {printf "%.2f", s}') s CPU (user+sys)," \
         "$(grep 'Maximum resident' time.txt | awk '{print $NF}') KiB peak RSS"
done
python3 "$OLDPWD/bench/load/make_capture.py" capture.pcap < ids.txt
ls -l capture.pcap | awk '{print "capture bytes: " $5}'
/usr/bin/time -v "$BIN" pcap capture.pcap --pubkey pub.pem > verdicts.jsonl 2> time.txt || true
echo "pcap, $N INVITEs: $(grep -c '"valid":true' verdicts.jsonl) valid," \
     "$(grep -E 'Elapsed' time.txt | awk '{print $NF}') elapsed," \
     "$(grep -E 'User time|System time' time.txt | awk '{s += $NF} END {printf "%.2f", s}') s CPU (user+sys)," \
     "$(grep 'Maximum resident' time.txt | awk '{print $NF}') KiB peak RSS"
