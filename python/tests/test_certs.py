"""Certificate-backed verification from Python, with a test PKI made by cryptography (not
by cliauth): a pinned chain, the sans-IO CertificateNeeded -> add_chain loop, CRLs, and
the library's own fetcher against a loopback HTTP server."""

import datetime
import http.server
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import cliauth

# TNAuthList (RFC 8226) holding only the service provider code "1234".
TN_AUTH_LIST_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.26")
TN_AUTH_LIST_SPC_1234 = bytes.fromhex("3008a006160431323334")
SHAKEN_POLICY = x509.ObjectIdentifier("2.16.840.1.114569.1.1.3")


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


class Pki:
    """A root CA and an SP certificate for SPC 1234, made with cryptography."""

    def __init__(self, root_name="Python Test STI Root"):
        now = datetime.datetime.now(datetime.timezone.utc)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = (
            x509.CertificateBuilder()
            .subject_name(_name(root_name))
            .issuer_name(_name(root_name))
            .public_key(self.root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.root_key.public_key()), critical=False)
            .sign(self.root_key, hashes.SHA256())
        )
        self.ee_key = ec.generate_private_key(ec.SECP256R1())
        self.ee = (
            x509.CertificateBuilder()
            .subject_name(_name("SHAKEN 1234"))
            .issuer_name(self.root.subject)
            .public_key(self.ee_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.ee_key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root_key.public_key()), critical=False
            )
            .add_extension(x509.CertificatePolicies([x509.PolicyInformation(SHAKEN_POLICY, None)]), critical=False)
            .add_extension(x509.UnrecognizedExtension(TN_AUTH_LIST_OID, TN_AUTH_LIST_SPC_1234), critical=False)
            .sign(self.root_key, hashes.SHA256())
        )
        self.chain_pem = _pem(self.ee) + _pem(self.root)
        self.key_pem = self.ee_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def crl(self, revoked):
        now = datetime.datetime.now(datetime.timezone.utc)
        b = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.subject)
            .last_update(now - datetime.timedelta(hours=1))
            .next_update(now + datetime.timedelta(days=7))
            .add_extension(x509.CRLNumber(1), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root_key.public_key()), critical=False
            )
        )
        for cert in revoked:
            b = b.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(now - datetime.timedelta(hours=1))
                .build()
            )
        return b.sign(self.root_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki():
    return Pki()


URL = "https://cert.example.net/sti/1234.pem"


def test_pinned_chain(pki):
    v = cliauth.Verifier(trust_anchors=_pem(pki.root), chain=pki.chain_pem)
    identity = cliauth.Signer(pki.key_pem, URL).sign_shaken("12155551212", "12155551213").identity
    verdict = v.verify(identity, orig="12155551212", dest="12155551213")
    assert (verdict.spc, verdict.authority) == ("1234", "spc")
    # A chain that does not lead to the anchor is refused when the verifier is built.
    other = Pki("Another Root")
    with pytest.raises(cliauth.CredentialError) as e:
        cliauth.Verifier(trust_anchors=_pem(other.root), chain=pki.chain_pem)
    assert e.value.sip_code == 437 and e.value.kind.startswith("cert_")


def test_certificate_needed_loop(pki):
    """The sans-IO loop: verify raises CertificateNeeded(url), the script fetches the
    chain its own way and hands it over with add_chain, then verify succeeds."""
    v = cliauth.Verifier(trust_anchors=[_pem(pki.root)])
    identity = cliauth.Signer(pki.key_pem, URL).sign_shaken("12155551212", "12155551213").identity
    fetched = {URL: pki.chain_pem}
    for attempt in range(3):
        try:
            verdict = v.verify(identity, orig="12155551212", dest="12155551213")
            break
        except cliauth.CertificateNeeded as need:
            assert (need.url, need.kind, need.sip_code) == (URL, "certificate_needed", 436)
            info = v.add_chain(need.url, fetched[need.url])
            assert info["spc"] == "1234" and "SHAKEN 1234" in info["subject"]
    assert attempt == 1
    assert verdict.spc == "1234" and v.chains == 1
    v.remove_chain(URL)
    assert v.chains == 0
    with pytest.raises(cliauth.CertificateNeeded):
        v.verify(identity)
    # A token signed by a key the certificate does not hold.
    v.add_chain(URL, pki.chain_pem)
    forged = cliauth.Signer(cliauth.keygen()[0], URL).sign_shaken("12155551212", "12155551213").identity
    with pytest.raises(cliauth.InvalidSignature):
        v.verify(forged)
    # Junk and untrusted chains are typed errors, and leave no entry.
    with pytest.raises(cliauth.CredentialError):
        v.add_chain(URL, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    assert v.chains == 0
    with pytest.raises(cliauth.CredentialError) as e:
        v.add_chain(URL, Pki("Another Root").chain_pem)
    assert e.value.kind == "cert_untrusted"
    # Same issuer name, other key: the chain's signature does not verify.
    with pytest.raises(cliauth.CredentialError) as e:
        v.add_chain(URL, Pki().chain_pem)
    assert e.value.kind == "cert_signature"
    with pytest.raises(cliauth.LimitExceeded):
        v.add_chain(URL, b"x" * 1_000_000)
    with pytest.raises(ValueError):
        cliauth.Verifier(cliauth.keygen()[1]).add_chain(URL, pki.chain_pem)


def test_crl_revokes(pki):
    v = cliauth.Verifier(trust_anchors=_pem(pki.root), crls=pki.crl([pki.ee]))
    with pytest.raises(cliauth.CredentialError) as e:
        v.add_chain(URL, pki.chain_pem)
    assert e.value.kind == "cert_revoked"
    fine = cliauth.Verifier(trust_anchors=_pem(pki.root), crls=[pki.crl([])])
    fine.add_chain(URL, pki.chain_pem)


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""
    hits = 0

    def do_GET(self):
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/pem-certificate-chain")
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("Cache-Control", "max-age=3600")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_fetcher_fetches_and_caches(pki):
    _Handler.body = pki.chain_pem
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/sti/1234.pem"
        v = cliauth.Verifier(
            trust_anchors=_pem(pki.root),
            fetch=True,
            fetch_allow_http_loopback=True,
            fetch_timeout=5.0,
            allow_http_x5u=True,
        )
        assert v.fetches
        signer = cliauth.Signer(pki.key_pem, url)
        for _ in range(3):
            identity = signer.sign_shaken("12155551212", "12155551213").identity
            assert v.verify(identity, orig="12155551212").spc == "1234"
        assert _Handler.hits == 1 and v.chains == 1
        # Without the loopback permission the fetcher refuses http (436), no request made.
        strict = cliauth.Verifier(trust_anchors=_pem(pki.root), fetch=True, allow_http_x5u=True)
        with pytest.raises(cliauth.BadIdentityInfo):
            strict.verify(identity)
        assert _Handler.hits == 1
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_timeout_is_a_deadline(pki):
    """A server that accepts and never answers costs at most the configured timeout."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/x.pem"
        v = cliauth.Verifier(
            trust_anchors=_pem(pki.root), fetch=True, fetch_allow_http_loopback=True, fetch_timeout=0.5, allow_http_x5u=True
        )
        identity = cliauth.Signer(pki.key_pem, url).sign_shaken("12155551212", "12155551213").identity
        start = time.monotonic()
        with pytest.raises(cliauth.BadIdentityInfo):
            v.verify(identity)
        assert time.monotonic() - start < 3
    finally:
        listener.close()
