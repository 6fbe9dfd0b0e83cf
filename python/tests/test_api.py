"""The Python API against PyJWT and cryptography: tokens cliauth signs verify with PyJWT,
tokens PyJWT signs verify with cliauth, keys made by cryptography load in cliauth, and
the error classes carry the SIP mapping."""

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

import cliauth

X5U = "https://cert.example.net/sp.pem"
NOW = 1_750_000_000


def pyjwt_decode(token, public_pem):
    return jwt.decode_complete(
        token,
        serialization.load_pem_public_key(public_pem.encode()),
        algorithms=["ES256"],
        options={"verify_iat": False, "verify_exp": False},
    )


@pytest.fixture(scope="module")
def keys():
    return cliauth.keygen()


@pytest.fixture(scope="module")
def signer(keys):
    return cliauth.Signer(keys[0], X5U)


@pytest.fixture(scope="module")
def verifier(keys):
    return cliauth.Verifier(keys[1])


def test_keygen_makes_keys_cryptography_reads(keys):
    private_pem, public_pem = keys
    priv = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(priv.curve, ec.SECP256R1)
    pub = serialization.load_pem_public_key(public_pem.encode())
    assert pub.public_numbers() == priv.public_key().public_numbers()


def test_sign_shaken_verifies_with_pyjwt(signer, keys):
    signed = signer.sign_shaken("+1 215-555-1212", ["12155551213", "12155551214"], attest="B", iat=NOW)
    assert str(signed) == signed.identity
    assert signed.identity == f"{signed.token};info=<{X5U}>;alg=ES256;ppt=shaken"
    d = pyjwt_decode(signed.token, keys[1])
    assert d["header"] == {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": X5U}
    claims = d["payload"]
    assert claims["attest"] == "B"
    assert claims["orig"] == {"tn": "12155551212"}
    assert claims["dest"] == {"tn": ["12155551213", "12155551214"]}
    assert claims["iat"] == NOW
    assert len(claims["origid"]) == 36
    # Deterministic JSON: sorted keys, no whitespace.
    payload = jwt.utils.base64url_decode(signed.token.split(".")[1])
    assert payload == json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()


def test_cliauth_verifies_what_pyjwt_signs():
    priv = ec.generate_private_key(ec.SECP256R1())
    pub_pem = priv.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {
        "attest": "A",
        "dest": {"tn": ["12155551213"]},
        "iat": now,
        "orig": {"tn": "12155551212"},
        "origid": "123e4567-e89b-12d3-a456-426655440000",
    }
    token = jwt.encode(
        claims, priv, algorithm="ES256", headers={"ppt": "shaken", "typ": "passport", "x5u": X5U}
    )
    v = cliauth.Verifier(pub_pem)
    verdict = v.verify(f"{token};info=<{X5U}>;alg=ES256;ppt=shaken", orig="12155551212", dest="12155551213")
    assert (verdict.attest, verdict.orig, verdict.dest, verdict.iat) == ("A", "12155551212", ["12155551213"], now)
    assert verdict.origid == claims["origid"]
    assert verdict.claims == claims
    # The same token with another key: a bad signature, typed.
    other = cliauth.Verifier(cliauth.keygen()[1])
    with pytest.raises(cliauth.InvalidSignature) as e:
        other.verify(token, now=now)
    assert (e.value.kind, e.value.sip_code) == ("signature", 438)


def test_keys_from_cryptography_in_every_encoding():
    priv = ec.generate_private_key(ec.SECP256R1())
    encodings = [
        priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()),
        priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()),
    ]
    pub_der = priv.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    v = cliauth.Verifier(pub_der)
    for enc in encodings:
        signed = cliauth.Signer(enc, X5U).sign_shaken("12155551212", "12155551213", iat=NOW)
        v.verify(signed.identity, now=NOW)
        # cryptography checks the raw signature over the signing input.
        h, c, s = signed.token.split(".")
        raw = jwt.utils.base64url_decode(s)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        priv.public_key().verify(der, f"{h}.{c}".encode(), ec.ECDSA(hashes.SHA256()))


def test_div_divo_rcd_and_base(signer, verifier, keys):
    shaken = signer.sign_shaken("12155551212", "12155551213", iat=NOW)
    div = signer.sign(
        {"orig": {"tn": "12155551212"}, "dest": {"tn": ["12155551213"]}, "div": {"tn": "12155551299"}, "iat": NOW},
        ppt="div",
    )
    divo = signer.sign(
        {
            "orig": {"tn": "12155551212"},
            "dest": {"tn": ["12155551299"]},
            "div": {"tn": "12155551213"},
            "opt": shaken.token,
            "iat": NOW,
        },
        ppt="div-o",
    )
    rcd = signer.sign(
        {
            "orig": {"tn": "12155551212"},
            "dest": {"tn": ["12155551213"]},
            "rcd": {"nam": "Example Caller"},
            "crn": "Your order has shipped",
            "iat": NOW,
        },
        ppt="rcd",
    )
    base = signer.sign({"orig": {"tn": "12155551212"}, "dest": {"uri": ["sip:bob@example.com"]}, "iat": NOW})
    for signed, ppt in [(div, "div"), (divo, "div-o"), (rcd, "rcd"), (base, None)]:
        assert signed.ppt == ppt
        d = pyjwt_decode(signed.token, keys[1])
        assert d["header"].get("ppt") == ppt
        verdict = verifier.verify(signed.identity, now=NOW)
        assert verdict.ppt == ppt
        assert verdict.claims == d["payload"]
    assert verifier.verify(div.identity, now=NOW).div == "12155551299"
    assert verifier.verify(rcd.identity, now=NOW).rcd == {"nam": "Example Caller"}
    assert verifier.verify(base.identity, now=NOW).dest == ["sip:bob@example.com"]
    # A folded field: shaken and div, each verified.
    both = verifier.verify_all(f"{shaken.identity}, {div.identity}", orig="12155551212", now=NOW)
    assert [v.ppt for v in both] == ["shaken", "div"]


def test_sign_defaults_and_refusals(signer, verifier):
    before = int(time.time())
    s = signer.sign({"orig": {"tn": "12155551212"}, "dest": {"tn": ["12155551213"]}, "attest": "C"}, ppt="shaken")
    verdict = verifier.verify(s.identity)
    assert verdict.iat >= before and len(verdict.origid) == 36 and verdict.attest == "C"
    with pytest.raises(cliauth.SigningError) as e:
        signer.sign({"orig": {"tn": "12155551212"}, "dest": {"tn": ["12155551213"]}}, ppt="div")
    assert "div" in str(e.value)
    with pytest.raises(cliauth.SigningError):
        signer.sign({"orig": {"tn": "+1 215"}, "dest": {"tn": ["1"]}})
    with pytest.raises(cliauth.SigningError):
        signer.sign_shaken("not a number", "12155551213")
    with pytest.raises(ValueError):
        signer.sign_shaken("12155551212", "12155551213", attest="D")
    with pytest.raises(ValueError):
        signer.sign({"orig": {"tn": "1"}, "dest": {"tn": ["2"]}}, ppt="nope")
    with pytest.raises(TypeError):
        signer.sign({"orig": {"tn": "1"}, 5: 1})
    with pytest.raises(TypeError):
        signer.sign({"orig": {"tn": "1"}, "dest": {"tn": ["2"]}, "x": object()})
    with pytest.raises(ValueError):
        signer.sign({"orig": {"tn": "1"}, "dest": {"tn": ["2"]}, "x": 1 << 70})
    deep = {}
    node = deep
    for _ in range(100):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(ValueError):
        signer.sign({"orig": {"tn": "1"}, "dest": {"tn": ["2"]}, "x": deep})
    with pytest.raises(cliauth.SigningError):
        signer.sign({"orig": {"tn": "1"}, "dest": {"tn": ["2"]}, "x": "y" * 20000})


def test_bad_keys_and_urls():
    with pytest.raises(cliauth.InvalidKey) as e:
        cliauth.Signer("junk", X5U)
    assert e.value.kind == "key"
    with pytest.raises(cliauth.InvalidKey):
        cliauth.Verifier(b"\x30\x03\x02\x01\x01")
    with pytest.raises(cliauth.InvalidKey):
        cliauth.Verifier("x" * 100_000)
    with pytest.raises(cliauth.CliauthError):
        cliauth.Signer(cliauth.keygen()[0], "ftp://x/y")
    with pytest.raises(TypeError):
        cliauth.Signer(42, X5U)
    with pytest.raises(ValueError):
        cliauth.Verifier()
    with pytest.raises(ValueError):
        cliauth.Verifier(cliauth.keygen()[1], fetch=True)


def test_errors_carry_the_sip_mapping(signer, verifier):
    identity = signer.sign_shaken("12155551212", "12155551213", iat=NOW).identity
    with pytest.raises(cliauth.StaleToken) as e:
        verifier.verify(identity, now=NOW + 3600, call_id="abc@host")
    err = e.value
    assert (err.kind, err.sip_code, err.reason, err.verstat) == ("stale", 403, "Stale Date", "TN-Validation-Failed")
    assert err.reason_header == 'SIP;cause=403;text="Stale Date"'
    assert err.call_id == "abc@host"
    assert isinstance(err, cliauth.VerificationError) and isinstance(err, cliauth.CliauthError)
    with pytest.raises(cliauth.NumberMismatch) as e:
        verifier.verify(identity, orig="12155550000", now=NOW)
    assert e.value.kind == "orig_mismatch"
    with pytest.raises(cliauth.IdentityHeaderError) as e:
        verifier.verify("", now=NOW)
    assert (e.value.sip_code, e.value.verstat) == (428, "No-TN-Validation")
    with pytest.raises(cliauth.LimitExceeded):
        verifier.verify("a" * 100_000, now=NOW)
    ok = verifier.verify(identity, orig="+1 (215) 555-1212", dest="12155551213", now=NOW + 5, call_id="c1")
    assert ok.call_id == "c1" and ok.spc is None and ok.authority == "key" and ok.cert_faults == []
    json.dumps(ok.to_dict())


def test_compact_form(signer, verifier):
    signed = signer.sign_shaken("12155551212", "12155551213", attest="A", origid="o-1", iat=NOW)
    compact = signed.compact_identity
    assert compact.startswith("..")
    d = cliauth.decode(signed.identity)
    assert d["info"] == X5U and d["ppt"] == "shaken" and d["token"] == signed.token
    verdict = verifier.verify_compact(compact, d["header"], d["claims"], now=NOW)
    assert verdict.origid == "o-1"
    wrong = dict(d["claims"], attest="B")
    with pytest.raises(cliauth.InvalidSignature):
        verifier.verify_compact(compact, d["header"], wrong, now=NOW)
    with pytest.raises(cliauth.MalformedToken):
        verifier.verify(compact, now=NOW)
    with pytest.raises(cliauth.MalformedToken):
        cliauth.decode(compact)


def test_isup_round_trip(signer, verifier):
    identity = signer.sign_shaken("12155551212", "12155551213", iat=NOW).identity
    data = cliauth.isup.encode(identity, "12155551212", "12155551213")
    assert isinstance(data, bytes) and 0 < len(data) < len(identity)
    token = cliauth.isup.decode(data)
    assert len(token) == len(data) and bytes(token) == data == token.data
    assert token.to_identity("12155551212", "12155551213") == identity
    assert cliauth.isup.to_identity(data, "12155551212", "12155551213") == identity
    # orig and dest were left out: without the numbers the token does not rebuild.
    with pytest.raises(cliauth.IsupError):
        cliauth.isup.to_identity(data)
    explicit = cliauth.isup.encode(identity, "12155551212", "12155551213", explicit_numbers=True)
    assert cliauth.isup.to_identity(explicit) == identity
    # The IAM: add the token, take it out, verify what comes back.
    iam = cliauth.isup.iam_new("12155551212", "12155551213")
    with_token, sgm = cliauth.isup.iam_add(iam, identity)
    assert sgm is None and len(with_token) > len(iam)
    back = cliauth.isup.iam_take(with_token, sgm)
    assert back == identity
    assert verifier.verify(back, orig="12155551212", dest="12155551213", now=NOW).attest == "A"
    with pytest.raises(cliauth.IsupError):
        cliauth.isup.iam_take(iam)
    for junk in [b"", b"\x00" * 3000, b"\xff\x00\x01"]:
        with pytest.raises(cliauth.IsupError):
            cliauth.isup.decode(junk)
        with pytest.raises(cliauth.IsupError):
            cliauth.isup.iam_take(junk)
    assert issubclass(cliauth.IsupError, cliauth.CliauthError)


def test_threads_share_one_signer_and_verifier(signer, verifier):
    """Signer and Verifier are shared by a thread pool (the GIL is released inside);
    every result is right."""
    from concurrent.futures import ThreadPoolExecutor

    def work(i):
        orig = f"1215555{i % 10000:04d}"
        identity = signer.sign_shaken(orig, "12155551213", iat=NOW).identity
        verdict = verifier.verify(identity, orig=orig, dest="12155551213", now=NOW, call_id=str(i))
        return verdict.orig == orig and verdict.call_id == str(i)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(work, range(400)))


def test_the_gil_is_released_while_rust_verifies(signer, verifier):
    """While one thread is inside the extension verifying (here 3,000 verifications in
    one call, released the way verify releases it), another thread keeps running Python
    code: it leaves timestamps in the middle of the call. With the GIL held it could not
    run until the call returned."""
    import threading

    identity = signer.sign_shaken("12155551212", "12155551213", iat=NOW).identity
    stamps = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            for _ in range(1000):
                pass
            stamps.append(time.perf_counter())

    t = threading.Thread(target=tick)
    t.start()
    try:
        time.sleep(0.02)
        t0 = time.perf_counter()
        verifier._time_rust_loop(identity, None, None, NOW, 3000)
        t1 = time.perf_counter()
    finally:
        stop.set()
        t.join()
    lo, hi = t0 + 0.25 * (t1 - t0), t0 + 0.75 * (t1 - t0)
    inside = [x for x in stamps if lo < x < hi]
    assert len(inside) > 10, (len(inside), t1 - t0)
