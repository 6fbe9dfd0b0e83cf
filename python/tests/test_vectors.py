"""Every case of vectors/passport.json through the Python API, as tests/vectors.rs runs
them through the Rust one, and the tokens cross-checked with PyJWT + cryptography."""

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

import cliauth

from conftest import ROOT, load_vectors

FILE = load_vectors()
CASES = FILE["cases"]

# The exception class each error kind maps to (one class per family).
FAMILY = {
    "no_identity": cliauth.IdentityHeaderError,
    "identity_syntax": cliauth.IdentityHeaderError,
    "bad_info": cliauth.BadIdentityInfo,
    "limit": cliauth.LimitExceeded,
    "token_format": cliauth.MalformedToken,
    "json": cliauth.MalformedToken,
    "duplicate_member": cliauth.MalformedToken,
    "header": cliauth.MalformedToken,
    "unsupported_ppt": cliauth.MalformedToken,
    "claims": cliauth.MalformedToken,
    "signature": cliauth.InvalidSignature,
    "stale": cliauth.StaleToken,
    "future": cliauth.StaleToken,
    "orig_mismatch": cliauth.NumberMismatch,
    "dest_mismatch": cliauth.NumberMismatch,
    "tn": cliauth.NumberMismatch,
    "unsupported_alg": cliauth.CredentialError,
}

REASONS = {
    403: "Stale Date",
    428: "Use Identity Header",
    436: "Bad Identity Info",
    437: "Unsupported Credential",
    438: "Invalid Identity Header",
}


def verifier_for(case):
    key = (ROOT / case["key"]).read_bytes()
    config = case.get("config") or {}
    return cliauth.Verifier(key, **config)


def run(case):
    """The overall result of a case (Verdict or VerificationError) and, for
    `identities`, one result per value."""
    v = verifier_for(case)
    call = case["call"]
    args = dict(
        orig=call.get("orig"),
        dest=call.get("dest"),
        now=case.get("now", FILE["now"]),
        call_id="case-" + case["name"],
    )
    method = case["method"]
    try:
        if method == "identity":
            return v.verify(case["identity"], **args), None
        if method == "token":
            return v.verify_token(case["identity"], **args), None
        if method == "compact":
            c = case["compact"]
            return v.verify_compact(case["identity"], c["header"], c["claims"], **args), None
        assert method == "identities", method
        each = v.verify_all(case["identity"], **args)
    except cliauth.VerificationError as e:
        return e, None
    failures = [r for r in each if isinstance(r, cliauth.VerificationError)]
    return (failures[0] if failures else each[0]), each


def check(expect, got, name):
    if expect["valid"]:
        assert isinstance(got, cliauth.Verdict), f"{name}: expected valid, got {got!r}"
        assert got.attest == expect["attest"]
        assert got.ppt == expect["ppt"]
        assert got.orig == expect["orig"]
        assert got.origid == expect["origid"]
        if "div" in expect:
            assert got.div == expect["div"]
        for k in expect.get("extra_claims", []):
            assert k in got.claims, f"{name}: unknown claim {k} not kept"
        assert got.verstat == "TN-Validation-Passed"
        assert got.authority == "key"
        assert got.claims["iat"] == got.iat
        assert got.header["x5u"] == got.x5u
        assert got.to_dict()["valid"] is True
    else:
        assert isinstance(got, cliauth.VerificationError), f"{name}: expected an error, got {got!r}"
        assert (got.kind, got.sip_code) == (expect["kind"], expect["sip_code"]), f"{name}: {got}"
        assert type(got) is FAMILY[got.kind], f"{name}: {type(got).__name__} for {got.kind}"
        assert got.reason == REASONS[got.sip_code]
        assert got.reason_header == f'SIP;cause={got.sip_code};text="{got.reason}"'
        want = "No-TN-Validation" if got.kind == "no_identity" else "TN-Validation-Failed"
        assert got.verstat == want
        assert isinstance(got, cliauth.CliauthError)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case):
    overall, each = run(case)
    check(case["expect"], overall, case["name"])
    if isinstance(overall, (cliauth.Verdict, cliauth.VerificationError)):
        assert overall.call_id == "case-" + case["name"]
    if "each" in case:
        assert each is not None and len(each) == len(case["each"])
        for i, (e, g) in enumerate(zip(case["each"], each)):
            check(e, g, f"{case['name']}[{i}]")


def test_the_file_has_every_family():
    kinds = {c["expect"].get("kind") for c in CASES if not c["expect"]["valid"]}
    assert set(FAMILY) <= kinds
    assert len(CASES) >= 100


def token_of(case):
    """The bare full-form token of a case (None for compact forms)."""
    if case["method"] == "token":
        return case["identity"]
    value = case["identity"]
    if case["method"] == "identities" or value.startswith(".."):
        return None
    try:
        return cliauth.decode(value)["token"]
    except cliauth.VerificationError:
        return None


def pyjwt_decode(token, key_pem):
    key = load_pem_public_key(key_pem) if b"PUBLIC KEY" in key_pem else None
    if key is None:
        from cryptography import x509

        key = x509.load_pem_x509_certificate(key_pem).public_key()
    return jwt.decode_complete(
        token,
        key,
        algorithms=["ES256"],
        options={"verify_iat": False, "verify_exp": False, "verify_nbf": False},
    )


VALID_TOKENS = [
    c
    for c in CASES
    if c["expect"]["valid"] and c["method"] in ("identity", "token") and token_of(c)
]


@pytest.mark.parametrize("case", VALID_TOKENS, ids=[c["name"] for c in VALID_TOKENS])
def test_pyjwt_verifies_every_valid_vector(case):
    """PyJWT (with cryptography) verifies the signature of each valid token and decodes
    the same claims and header as the cliauth Verdict."""
    verdict, _ = run(case)
    decoded = pyjwt_decode(token_of(case), (ROOT / case["key"]).read_bytes())
    assert decoded["payload"] == verdict.claims
    assert decoded["header"]["alg"] == "ES256"
    assert decoded["header"].get("x5u") == verdict.x5u


RAW_VALID = [c for c in CASES if c.get("raw_signature_valid")]


@pytest.mark.parametrize("case", RAW_VALID, ids=[c["name"] for c in RAW_VALID])
def test_pyjwt_agrees_on_interop_signatures(case):
    """The interop tokens cliauth rejects for their claims carry signatures PyJWT accepts."""
    token = token_of(case)
    assert token is not None
    pyjwt_decode(token, (ROOT / case["key"]).read_bytes())


BAD_SIGNATURES = [
    c
    for c in CASES
    if not c["expect"]["valid"] and c["expect"]["kind"] == "signature" and token_of(c)
]


@pytest.mark.parametrize("case", BAD_SIGNATURES, ids=[c["name"] for c in BAD_SIGNATURES])
def test_pyjwt_rejects_what_cliauth_calls_a_bad_signature(case):
    with pytest.raises(jwt.InvalidSignatureError):
        pyjwt_decode(token_of(case), (ROOT / case["key"]).read_bytes())
