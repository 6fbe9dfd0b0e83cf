#!/usr/bin/env bash
# Installs what the real-softswitch test (tests/kamailio/, driven by
# compat/secsipid/tests/kamailio.rs) and the same-run comparison (bench/compare/) need:
#
#   kamailio                    the SIP server (5.6 on Debian 12)
#   kamailio-secsipid-modules   its secsipid.so / secsipid_proc.so modules
#   libsecsipid1                Debian's libsecsipid.so.1 (the reference; pulled in by the modules)
#   libsecsipid-dev             its header secsipid.h (the ABI our compat crate implements)
#   sip-tester                  SIPp, the SIP traffic generator
#   secsipidx                   Debian's CLI on libsecsipid (reference behaviour)
#   gcc, libc6-dev              to build the C harnesses (abi_probe.c, bench/compare)
#   openssl                     test keys for the ABI differential check (abi_diff.sh)
#   procps                      pgrep, to find Kamailio's worker processes
#   redis-server, python3       the SharedCache run (two children sharing downloads through
#                               Redis; python3 serves the keys over http)
#
# Idempotent and non-interactive: does nothing when every package is installed, and runs
# `apt-get update` only when something is missing. Needs root (or sudo).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

PKGS=(kamailio kamailio-secsipid-modules libsecsipid1 libsecsipid-dev sip-tester secsipidx gcc libc6-dev
      openssl procps redis-server python3)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -E"
    else
        echo "install-kamailio-deps: must run as root (or with sudo available)" >&2
        exit 1
    fi
fi

missing=()
for pkg in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "install-kamailio-deps: installing ${missing[*]}" >&2
log="$(mktemp)"
# The kamailio package's postinst must not start a system-wide daemon on this machine.
# policy-rc.d (exit 101) tells invoke-rc.d not to start services during the install.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    made_policy=1
fi
cleanup() {
    if [ "$made_policy" = 1 ]; then $SUDO rm -f "$policy"; fi
    rm -f "$log"
}
trap cleanup EXIT

if ! { timeout 600 $SUDO apt-get update -qq && \
       timeout 900 $SUDO apt-get install -y -qq --no-install-recommends \
           -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
           "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-kamailio-deps: apt-get install ${missing[*]} failed" >&2
    exit 1
fi

for tool in kamailio sipp secsipidx cc openssl pgrep; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-kamailio-deps: $tool not on PATH after install" >&2
        exit 1
    fi
done
for f in /usr/lib/x86_64-linux-gnu/kamailio/modules/secsipid.so \
         /usr/lib/x86_64-linux-gnu/kamailio/modules/secsipid_proc.so; do
    if [ ! -e "$f" ]; then
        # Other architectures: look the module directory up instead of failing outright.
        if ! ls /usr/lib/*/kamailio/modules/"$(basename "$f")" >/dev/null 2>&1; then
            echo "install-kamailio-deps: $(basename "$f") not found after install" >&2
            exit 1
        fi
    fi
done
