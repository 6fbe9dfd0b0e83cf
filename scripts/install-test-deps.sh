#!/usr/bin/env bash
# Installs the third-party peers used by the interoperability tests
# (cli/tests/interop.rs): Debian's secsipidx and openssl, and Python's PyJWT and
# cryptography (for tests/interop/pyjwt_peer.py).
#
# Idempotent and quiet: does nothing when everything is already present; runs
# `apt-get update` only when a Debian package is missing. Meant for root on
# Debian 12 (CI and developer machines); non-interactive.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

PYTHON="${PYTHON:-python3}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -E"
    else
        echo "install-test-deps: must run as root (or with sudo available)" >&2
        exit 1
    fi
fi

apt_missing=()
# tshark and wireshark-common (text2pcap): cli/tests/pcap.rs writes a pcapng file with
# text2pcap and checks its captures with tshark's SIP dissector.
for pkg in secsipidx openssl valgrind gcc g++ libc6-dev tshark wireshark-common; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        apt_missing+=("$pkg")
    fi
done

apt_install() {
    local log
    log="$(mktemp)"
    if ! { $SUDO apt-get update -qq && \
           $SUDO apt-get install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "install-test-deps: apt-get install $* failed" >&2
        exit 1
    fi
    rm -f "$log"
}

python_has_deps() {
    "$PYTHON" -c 'import jwt, cryptography.hazmat.primitives.asymmetric.ec' >/dev/null 2>&1
}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    apt_missing+=(python3)
fi

if [ "${#apt_missing[@]}" -gt 0 ]; then
    apt_install "${apt_missing[@]}"
fi

if ! python_has_deps; then
    # pip may be absent on a bare Debian python3.
    if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
        apt_install python3-pip
    fi
    log="$(mktemp)"
    pip_args=(install --quiet --disable-pip-version-check --root-user-action=ignore PyJWT cryptography)
    if ! "$PYTHON" -m pip "${pip_args[@]}" >"$log" 2>&1; then
        if grep -q "externally-managed-environment" "$log"; then
            # Debian's own python3 (PEP 668): allow pip to install for root.
            if ! "$PYTHON" -m pip "${pip_args[@]}" --break-system-packages >"$log" 2>&1; then
                cat "$log" >&2
                rm -f "$log"
                echo "install-test-deps: pip install PyJWT cryptography failed" >&2
                exit 1
            fi
        elif grep -q "no such option: --root-user-action" "$log"; then
            # Old pip without --root-user-action.
            if ! "$PYTHON" -m pip install --quiet --disable-pip-version-check PyJWT cryptography >"$log" 2>&1 \
               && ! "$PYTHON" -m pip install --quiet --disable-pip-version-check --break-system-packages PyJWT cryptography >"$log" 2>&1; then
                cat "$log" >&2
                rm -f "$log"
                echo "install-test-deps: pip install PyJWT cryptography failed" >&2
                exit 1
            fi
        else
            cat "$log" >&2
            rm -f "$log"
            echo "install-test-deps: pip install PyJWT cryptography failed" >&2
            exit 1
        fi
    fi
    rm -f "$log"
    if ! python_has_deps; then
        echo "install-test-deps: PyJWT/cryptography still not importable by $PYTHON" >&2
        exit 1
    fi
fi

for tool in secsipidx openssl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-test-deps: $tool not on PATH after install" >&2
        exit 1
    fi
done

# cbindgen: the C header freshness check (capi/check-header.sh).
if ! command -v cbindgen >/dev/null 2>&1; then
    cargo install cbindgen --locked --quiet
fi
