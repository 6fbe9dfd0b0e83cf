"""cliauth: sign and verify STIR/SHAKEN caller-ID tokens (RFC 8224/8225/8588, ATIS-1000074).

A Python binding of the cliauth Rust library. Quick start::

    import cliauth

    private_pem, public_pem = cliauth.keygen()
    signer = cliauth.Signer(private_pem, "https://cert.example.net/sp.pem")
    identity = signer.sign_shaken("12155551212", "12155551213", attest="A").identity

    verifier = cliauth.Verifier(public_pem)
    verdict = verifier.verify(identity, orig="12155551212", dest="12155551213")
    assert verdict.attest == "A"

Failures raise a subclass of :class:`VerificationError` carrying ``kind``, ``sip_code``,
``reason``, ``verstat`` and ``reason_header``. Signing and verification release the GIL,
so a thread pool scales across cores. ISUP/BICC carriage lives in :mod:`cliauth.isup`.
"""

from ._cliauth import (
    AuthorityError,
    BadIdentityInfo,
    CertificateNeeded,
    CliauthError,
    CredentialError,
    IdentityHeaderError,
    InvalidKey,
    InvalidSignature,
    IsupError,
    LimitExceeded,
    MalformedToken,
    NumberMismatch,
    Signed,
    Signer,
    SigningError,
    StaleToken,
    Verdict,
    VerificationError,
    Verifier,
    __version__,
    decode,
    keygen,
)
from . import isup

__all__ = [
    "AuthorityError",
    "BadIdentityInfo",
    "CertificateNeeded",
    "CliauthError",
    "CredentialError",
    "IdentityHeaderError",
    "InvalidKey",
    "InvalidSignature",
    "IsupError",
    "LimitExceeded",
    "MalformedToken",
    "NumberMismatch",
    "Signed",
    "Signer",
    "SigningError",
    "StaleToken",
    "Verdict",
    "VerificationError",
    "Verifier",
    "__version__",
    "decode",
    "isup",
    "keygen",
]
