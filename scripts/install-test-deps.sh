#!/usr/bin/env bash
# Installs the third-party peers used by the interoperability tests
# (cli/tests/interop.rs): Debian's secsipidx and openssl, and Python's PyJWT and
# cryptography (for tests/interop/pyjwt_peer.py); the C toolchain, valgrind and pkg-config
# of the C API tests (capi/tests/); cbindgen for the header freshness check; for the ISUP
# token, Python's asn1tools and pycrate (tests/isup_asn1_interop.rs,
# tests/interop/asn1_peer.py) and Debian's tshark (tests/isup_wireshark.rs).
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
# python3-venv: the Python package's tests run in a virtual environment
# (scripts/test-python.sh); pkgconf and binutils: the C install test (capi/tests/install.rs);
# tshark and wireshark-common (text2pcap): the ISUP dissection test (tests/isup_wireshark.rs)
# and the capture tests (cli/tests/pcap.rs); redis-server: the shared-state tests, which
# start their own server on loopback (tests/redis_state.rs, cli/tests/state.rs,
# compat/secsipid: src/url.rs, tests/shared_cache.rs and the Kamailio SharedCache run).
for pkg in secsipidx openssl valgrind gcc g++ libc6-dev python3-venv pkgconf binutils tshark wireshark-common redis-server; do
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
    "$PYTHON" -c 'import jwt, cryptography.hazmat.primitives.asymmetric.ec, asn1tools, pycrate_asn1c.asnproc' \
        >/dev/null 2>&1
}

PIP_PACKAGES=(PyJWT cryptography asn1tools pycrate)

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    apt_missing+=(python3)
fi

if [ "${#apt_missing[@]}" -gt 0 ]; then
    # tshark's package asks whether non-root users may capture: no (and no prompt).
    echo "wireshark-common wireshark-common/install-setuid boolean false" \
        | $SUDO debconf-set-selections
    apt_install "${apt_missing[@]}"
fi

if ! python_has_deps; then
    # pip may be absent on a bare Debian python3.
    if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
        apt_install python3-pip
    fi
    log="$(mktemp)"
    pip_args=(install --quiet --disable-pip-version-check --root-user-action=ignore "${PIP_PACKAGES[@]}")
    if ! "$PYTHON" -m pip "${pip_args[@]}" >"$log" 2>&1; then
        if grep -q "externally-managed-environment" "$log"; then
            # Debian's own python3 (PEP 668): allow pip to install for root.
            if ! "$PYTHON" -m pip "${pip_args[@]}" --break-system-packages >"$log" 2>&1; then
                cat "$log" >&2
                rm -f "$log"
                echo "install-test-deps: pip install ${PIP_PACKAGES[*]} failed" >&2
                exit 1
            fi
        elif grep -q "no such option: --root-user-action" "$log"; then
            # Old pip without --root-user-action.
            if ! "$PYTHON" -m pip install --quiet --disable-pip-version-check "${PIP_PACKAGES[@]}" >"$log" 2>&1 \
               && ! "$PYTHON" -m pip install --quiet --disable-pip-version-check --break-system-packages "${PIP_PACKAGES[@]}" >"$log" 2>&1; then
                cat "$log" >&2
                rm -f "$log"
                echo "install-test-deps: pip install ${PIP_PACKAGES[*]} failed" >&2
                exit 1
            fi
        else
            cat "$log" >&2
            rm -f "$log"
            echo "install-test-deps: pip install ${PIP_PACKAGES[*]} failed" >&2
            exit 1
        fi
    fi
    rm -f "$log"
    if ! python_has_deps; then
        echo "install-test-deps: ${PIP_PACKAGES[*]} still not importable by $PYTHON" >&2
        exit 1
    fi
fi

for tool in secsipidx openssl tshark text2pcap redis-server; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-test-deps: $tool not on PATH after install" >&2
        exit 1
    fi
done

# cbindgen: the C header freshness check (capi/check-header.sh, and the capi test
# header_is_current, which fail without it). Pinned: the committed include/cliauth.h is
# this version's output, and newer releases may need a newer rustc than the project's.
CBINDGEN_VERSION=0.29.4
if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --force --quiet
fi
if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
    echo "install-test-deps: cbindgen $CBINDGEN_VERSION not on PATH after install (PATH needs ~/.cargo/bin)" >&2
    exit 1
fi
