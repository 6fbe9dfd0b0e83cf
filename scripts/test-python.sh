#!/usr/bin/env bash
# The Python package's tests: builds the wheel of python/ with maturin, installs it in a
# new virtual environment together with pytest, PyJWT and cryptography (the interop
# peers), and runs the pytest suite (python/tests: every case of vectors/passport.json,
# PyJWT cross-checks, certificates, ISUP) and mypy's stubtest on the type stubs. Any
# failure fails the script.
#
# Needs python3 with the venv module (Debian: python3-venv, installed by
# scripts/install-test-deps.sh) and network access to PyPI for the pip packages.
# The wheel is built with the dev profile (it shares compiled dependencies with
# `cargo test`); `pip install ./python` builds the release wheel users get.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="target/python-test-venv"
WHEELS="target/python-test-wheels"

rm -rf "$VENV" "$WHEELS"
"$PYTHON" -m venv "$VENV"
pip_install() {
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}
pip_install "maturin>=1.9.4,<2" pytest PyJWT cryptography mypy

"$VENV/bin/maturin" build --quiet --profile dev -m python/Cargo.toml -o "$WHEELS"
shopt -s nullglob
wheels=("$WHEELS"/cliauth-*-abi3-*.whl)
if [ "${#wheels[@]}" -ne 1 ]; then
    echo "test-python: expected one abi3 wheel in $WHEELS, found ${#wheels[@]}" >&2
    exit 1
fi
pip_install --no-deps "${wheels[0]}"

# Run from the repository root with the installed package (not python/cliauth, which has
# no compiled extension): the pytest script does not put the working directory on
# sys.path.
"$VENV/bin/pytest" -q -p no:cacheprovider python/tests

# The type stubs match the compiled module (every class, function and signature).
(cd "$VENV" && bin/python -m mypy.stubtest cliauth._cliauth)
echo "python: OK"
