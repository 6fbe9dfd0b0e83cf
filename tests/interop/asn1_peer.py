#!/usr/bin/env python3
"""Independent ASN.1 codecs for the ISUP compact token (tests/isup_asn1_interop.rs).

Compiles asn/CliAuthToken.asn, as published, with two ASN.1 compilers we did not write
(asn1tools and pycrate) and, for each of them:

* decodes every token given (unaligned PER, hex), prints its value in the neutral JSON
  form below and re-encodes it (hex);
* encodes every value given in that JSON form (hex).

Input (stdin, JSON): {"module": "<path>", "decode": [{"name", "hex"}],
                      "encode": [{"name", "value"}]}
Output (stdout, JSON): {"<codec>": {"decode": [{"name", "value", "hex"} | {"name", "error"}],
                                    "encode": [{"name", "hex"} | {"name", "error"}]}}

The neutral JSON form of a value: a SEQUENCE is an object of its present components (a
DEFAULT component equal to its default is left out), a CHOICE is {"<alternative>": value},
an OCTET STRING is lower-case hex, strings, integers, booleans and ENUMERATED identifiers
are themselves. An OCTET STRING (CONTAINING CompactPassport) is hex like any other.

Exit status 3 (with a message on stderr) when a codec is not installed.
"""

import copy
import importlib.util
import json
import os
import sys
import tempfile

INSTALL_HINT = "run scripts/install-test-deps.sh (pip install asn1tools pycrate)"

try:
    import asn1tools
    from pycrate_asn1c.asnproc import PycrateGenerator, compile_text, generate_modules
except ImportError as e:  # pragma: no cover - reported to the Rust test
    sys.stderr.write(f"asn1_peer: {e}; {INSTALL_HINT}\n")
    sys.exit(3)

TYPE = "CompactPassport"
# Components whose DEFAULT is FALSE.
DEFAULT_FALSE = {"typAbsent"}
# OCTET STRING components holding an encoded CompactPassport.
CONTAINING = {"opt"}


def neutral(v, encode_contained):
    """The neutral JSON form of a decoded value."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if x is None or (k in DEFAULT_FALSE and x is False):
                continue
            if k in CONTAINING and not isinstance(x, (bytes, bytearray)):
                # pycrate decodes the contained value; take its encoding instead.
                x = encode_contained(x)
            out[k] = neutral(x, encode_contained)
        return out
    if isinstance(v, tuple):
        name, x = v
        return {name: neutral(x, encode_contained)}
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, list):
        return [neutral(x, encode_contained) for x in v]
    return v


# Which JSON strings are OCTET STRINGs (hex) rather than character strings.
OCTETS = {"verbatim", "uuid", "signature", "opt"}


def native(v, key=None):
    """A codec value from the neutral JSON form."""
    if isinstance(v, dict):
        if key in ("header", "claims", "origid", "orig"):
            ((name, x),) = v.items()
            return (name, native(x, name))
        return {k: native(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [native(x) for x in v]
    if isinstance(v, str) and key in OCTETS:
        return bytes.fromhex(v)
    return v


class Asn1tools:
    name = "asn1tools"

    def __init__(self, text):
        self.spec = asn1tools.compile_string(text, "uper")

    def decode(self, b):
        v = self.spec.decode(TYPE, b)
        return v, self.spec.encode(TYPE, v)

    def encode(self, v):
        return self.spec.encode(TYPE, v)


class Pycrate:
    name = "pycrate"

    def __init__(self, text):
        compile_text(text)
        self.dir = tempfile.TemporaryDirectory()
        path = os.path.join(self.dir.name, "cliauth_token_pycrate.py")
        generate_modules(PycrateGenerator, path)
        # pycrate's type objects hold their value: a contained CompactPassport (the opt
        # component) is encoded with a second copy of the module, never with the object
        # being encoded.
        self.t, self.inner = (self.load(path, f"cliauth_token_pycrate{i}") for i in (0, 1))

    @staticmethod
    def load(path, name):
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.CliAuthToken.CompactPassport

    def decode(self, b):
        self.t.from_uper(b)
        v = copy.deepcopy(self.t.get_val())
        return v, self.encode(v)

    def encode(self, v):
        v = copy.deepcopy(v)
        kind, claims = v["claims"]
        if kind == "rebuilt" and isinstance(claims.get("opt"), tuple):
            claims["opt"] = self.encode_contained(claims["opt"])
        self.t.set_val(v)
        return self.t.to_uper()

    def encode_contained(self, v):
        # ('CompactPassport', value) as pycrate gives a CONTAINING component (never
        # nested further: a nested token carries no opt of its own).
        _, inner = v
        self.inner.set_val(inner)
        return self.inner.to_uper()


def run(codec, req):
    enc_contained = getattr(codec, "encode_contained", None)
    out = {"decode": [], "encode": []}
    for case in req.get("decode", []):
        try:
            v, re = codec.decode(bytes.fromhex(case["hex"]))
            out["decode"].append(
                {"name": case["name"], "value": neutral(v, enc_contained), "hex": re.hex()}
            )
        except Exception as e:  # a codec error is a test result, not a crash
            out["decode"].append({"name": case["name"], "error": f"{type(e).__name__}: {e}"})
    for case in req.get("encode", []):
        try:
            b = codec.encode(native(case["value"]))
            out["encode"].append({"name": case["name"], "hex": b.hex()})
        except Exception as e:
            out["encode"].append({"name": case["name"], "error": f"{type(e).__name__}: {e}"})
    return out


def main():
    req = json.load(sys.stdin)
    with open(req["module"], encoding="utf-8") as f:
        text = f.read()
    result = {}
    for cls in (Asn1tools, Pycrate):
        result[cls.name] = run(cls(text), req)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
