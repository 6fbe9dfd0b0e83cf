#!/usr/bin/env python3
"""An independent PASSporT peer built on PyJWT + cryptography, used by cli/tests/interop.rs.

Subcommands
  keygen DIR
      Writes a new P-256 key as DIR/key-pkcs8.pem (PKCS#8), DIR/key-sec1.pem
      (SEC1 "EC PRIVATE KEY") and DIR/pub.pem (SubjectPublicKeyInfo).
  sign --key K --x5u U --orig TN --dest TN[,TN...] --attest A --iat N [--origid ID]
       [--ppt P] [--extra JSON] [--sort-headers]
      Prints one SHAKEN PASSporT (compact JWS) made by PyJWT. The claims are
      inserted in a deliberately unsorted order (orig, dest, iat, attest, origid,
      then --extra members) and PyJWT serialises them in that order, so the token
      is NOT in RFC 8225 deterministic form: a verifier must check the bytes it
      received. Header order is typ, alg, ppt, x5u unless --sort-headers.
  verify --pub P --token T [--ppt P] [--header]
      T may be a bare token or an Identity header value (parameters after the
      first ';' are ignored). Verifies the ES256 signature with PyJWT (PyJWT's own
      time-based checks are off: iat freshness is the caller's business), checks
      the typ and ppt header fields itself, and prints the claims as compact JSON
      with sorted keys (with --header: {"header":...,"claims":...}). Exit 0 when
      valid, 1 when not (reason on stderr), 2 on usage errors.
"""

import argparse
import json
import os
import sys

try:
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
except ImportError as exc:  # pragma: no cover - reported to the Rust test
    sys.stderr.write(
        "pyjwt_peer: missing Python module (%s); run scripts/install-test-deps.sh\n" % exc
    )
    sys.exit(3)


def cmd_keygen(args):
    os.makedirs(args.dir, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    outputs = {
        "key-pkcs8.pem": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "key-sec1.pem": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
        "pub.pem": key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        ),
    }
    for name, data in outputs.items():
        with open(os.path.join(args.dir, name), "wb") as f:
            f.write(data)
    return 0


def cmd_sign(args):
    with open(args.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        sys.stderr.write("pyjwt_peer: key is not a P-256 private key\n")
        return 2
    claims = {}
    claims["orig"] = {"tn": args.orig}
    claims["dest"] = {"tn": [d for d in args.dest.split(",") if d]}
    claims["iat"] = args.iat
    claims["attest"] = args.attest
    if args.origid is not None:
        claims["origid"] = args.origid
    if args.extra:
        extra = json.loads(args.extra)
        if not isinstance(extra, dict):
            sys.stderr.write("pyjwt_peer: --extra must be a JSON object\n")
            return 2
        claims.update(extra)
    headers = {"typ": "passport", "ppt": args.ppt, "x5u": args.x5u}
    token = jwt.encode(
        claims, key, algorithm="ES256", headers=headers, sort_headers=args.sort_headers
    )
    if isinstance(token, bytes):  # PyJWT 1.x
        token = token.decode("ascii")
    print(token)
    return 0


def fail(msg):
    sys.stderr.write("pyjwt_peer: invalid: %s\n" % msg)
    return 1


def cmd_verify(args):
    with open(args.pub, "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    token = args.token.strip().split(";", 1)[0].strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        return fail("bad header: %s" % exc)
    if header.get("alg") != "ES256":
        return fail("alg is %r" % header.get("alg"))
    if header.get("typ") != "passport":
        return fail("typ is %r" % header.get("typ"))
    if header.get("ppt") != args.ppt:
        return fail("ppt is %r, expected %r" % (header.get("ppt"), args.ppt))
    try:
        claims = jwt.decode(
            token,
            pub,
            algorithms=["ES256"],
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
                "require": [],
            },
        )
    except jwt.PyJWTError as exc:
        return fail("%s: %s" % (type(exc).__name__, exc))
    if args.header:
        out = {"header": header, "claims": claims}
    else:
        out = claims
    print(json.dumps(out, sort_keys=True, separators=(",", ":")))
    return 0


def main(argv):
    p = argparse.ArgumentParser(prog="pyjwt_peer")
    sub = p.add_subparsers(dest="cmd", required=True)

    k = sub.add_parser("keygen")
    k.add_argument("dir")
    k.set_defaults(func=cmd_keygen)

    s = sub.add_parser("sign")
    s.add_argument("--key", required=True)
    s.add_argument("--x5u", required=True)
    s.add_argument("--orig", required=True)
    s.add_argument("--dest", required=True)
    s.add_argument("--attest", required=True)
    s.add_argument("--iat", required=True, type=int)
    s.add_argument("--origid")
    s.add_argument("--ppt", default="shaken")
    s.add_argument("--extra", help="JSON object of additional claims")
    s.add_argument("--sort-headers", action="store_true")
    s.set_defaults(func=cmd_sign)

    v = sub.add_parser("verify")
    v.add_argument("--pub", required=True)
    v.add_argument("--token", required=True)
    v.add_argument("--ppt", default="shaken")
    v.add_argument("--header", action="store_true")
    v.set_defaults(func=cmd_verify)

    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
