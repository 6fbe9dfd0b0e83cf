#!/usr/bin/env bash
# The whole test suite, on a fresh machine or an old one: installs what the interop tests
# need (Debian's secsipidx, openssl, valgrind, Kamailio with its secsipid module, SIPp;
# Python's PyJWT and cryptography), then runs every test of the workspace (unit,
# integration, interop, vectors, C API under valgrind/ASan, Kamailio, doc tests), the
# quickstart, and the Python package's pytest suite (scripts/test-python.sh: builds the
# wheel, installs it in a virtual environment with PyJWT and cryptography).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
bash scripts/install-kamailio-deps.sh

cargo test --workspace --all-targets --all-features
cargo test --workspace --doc --all-features
cargo run -q --example quickstart >/dev/null
echo "quickstart: OK"

bash scripts/test-python.sh
