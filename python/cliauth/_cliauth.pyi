"""Type stubs of the cliauth extension module (cliauth._cliauth)."""

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union, final

from typing_extensions import Self

__version__: str
__all__ = [
    "__version__",
    "CliauthError",
    "VerificationError",
    "IdentityHeaderError",
    "BadIdentityInfo",
    "LimitExceeded",
    "MalformedToken",
    "InvalidSignature",
    "StaleToken",
    "NumberMismatch",
    "CertificateNeeded",
    "CredentialError",
    "AuthorityError",
    "SigningError",
    "InvalidKey",
    "IsupError",
    "keygen",
    "Signer",
    "Signed",
    "Verifier",
    "Verdict",
    "decode",
    "CompactToken",
    "isup_encode",
    "isup_decode",
    "isup_to_identity",
    "isup_iam_new",
    "isup_iam_add",
    "isup_iam_take",
]

_PemOrDer = Union[str, bytes]
_PemInputs = Union[_PemOrDer, List[_PemOrDer]]

class CliauthError(Exception):
    """The base class of every error cliauth raises."""

    kind: str
    sip_code: int
    reason: str
    verstat: str
    reason_header: str
    call_id: Optional[str]
    url: Optional[str]

class VerificationError(CliauthError):
    """A token did not verify (kind, sip_code, reason, verstat, reason_header)."""

class IdentityHeaderError(VerificationError):
    """No Identity header, or one that does not follow the RFC 8224 grammar."""

class BadIdentityInfo(VerificationError):
    """The info parameter or x5u is missing, unusable or inconsistent, or its certificate was not fetched within the fetch budget (436)."""

class LimitExceeded(VerificationError):
    """An input exceeded one of the library's size limits."""

class MalformedToken(VerificationError):
    """JWS syntax, JSON, duplicate members, header, ppt or claims are invalid (438)."""

class InvalidSignature(VerificationError):
    """The signature does not verify (438)."""

class StaleToken(VerificationError):
    """iat is outside the freshness window (403)."""

class NumberMismatch(VerificationError):
    """orig or dest does not match the call, or a number given is invalid (438)."""

class CertificateNeeded(VerificationError):
    """The certificate store has no chain for ``url``: fetch it, add_chain, retry."""

    url: str

class CredentialError(VerificationError):
    """The algorithm, key or certificate chain is not acceptable (437)."""

class AuthorityError(VerificationError):
    """The certificate does not authorise orig, or a claim constraint is violated."""

class SigningError(CliauthError):
    """The data given cannot be signed."""

class InvalidKey(CliauthError):
    """A key, certificate, trust anchor or CRL cannot be read or is not usable."""

class IsupError(CliauthError):
    """An ISUP compact token or message cannot be built, parsed or rebuilt."""

def keygen() -> Tuple[str, str]:
    """A new P-256 key pair: (PKCS#8 private key PEM, public key PEM)."""

@final
class Signed:
    """A signed PASSporT; ``str(signed)`` is the Identity header value."""

    @property
    def token(self) -> str: ...
    @property
    def identity(self) -> str: ...
    @property
    def compact_identity(self) -> str: ...
    @property
    def ppt(self) -> Optional[str]: ...
    @property
    def x5u(self) -> str: ...

@final
class Signer:
    """Signs PASSporTs with one P-256 private key (PEM/DER) for the certificate at x5u."""

    def __new__(cls, key: _PemOrDer, x5u: str) -> Self: ...
    @property
    def x5u(self) -> str: ...
    def public_key_pem(self) -> str: ...
    def sign_shaken(
        self,
        orig: str,
        dest: Union[str, Sequence[str]],
        attest: str = "A",
        origid: Optional[str] = None,
        iat: Optional[int] = None,
    ) -> Signed:
        """Signs a SHAKEN PASSporT (RFC 8588); origid defaults to a new UUID, iat to now."""
    def sign(self, claims: Mapping[str, Any], ppt: Optional[str] = None) -> Signed:
        """Signs claims (a dict as in the token) as a PASSporT of extension ppt."""

@final
class Verdict:
    """The result of a successful verification."""

    @property
    def attest(self) -> Optional[str]: ...
    @property
    def orig(self) -> str: ...
    @property
    def dest(self) -> List[str]: ...
    @property
    def iat(self) -> int: ...
    @property
    def ppt(self) -> Optional[str]: ...
    @property
    def origid(self) -> Optional[str]: ...
    @property
    def x5u(self) -> str: ...
    @property
    def verstat(self) -> str: ...
    @property
    def spc(self) -> Optional[str]: ...
    @property
    def div(self) -> Optional[str]: ...
    @property
    def rcd(self) -> Optional[Dict[str, Any]]: ...
    @property
    def claims(self) -> Dict[str, Any]: ...
    @property
    def header(self) -> Dict[str, Any]: ...
    @property
    def authority(self) -> str: ...
    @property
    def cert_faults(self) -> List[str]: ...
    @property
    def call_id(self) -> Optional[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class Verifier:
    """Verifies PASSporTs with a key, a pinned chain, or trust anchors + a store."""

    def __new__(
        cls,
        key: Optional[_PemOrDer] = None,
        *,
        trust_anchors: Optional[_PemInputs] = None,
        crls: Optional[_PemInputs] = None,
        chain: Optional[_PemOrDer] = None,
        fetch: bool = False,
        fetch_timeout: float = 5.0,
        fetch_allow_http_loopback: bool = False,
        fetch_extra_roots: Optional[List[bytes]] = None,
        max_age: int = 60,
        max_future: int = 10,
        allow_http_x5u: bool = False,
        strict_profile: bool = False,
        now: Optional[int] = None,
    ) -> Self: ...
    def verify(
        self,
        identity: str,
        orig: Optional[str] = None,
        dest: Optional[str] = None,
        now: Optional[int] = None,
        call_id: Optional[str] = None,
    ) -> Verdict:
        """Verifies one Identity header value; raises a VerificationError subclass."""
    def verify_all(
        self,
        field: str,
        orig: Optional[str] = None,
        dest: Optional[str] = None,
        now: Optional[int] = None,
        call_id: Optional[str] = None,
    ) -> List[Union[Verdict, VerificationError]]:
        """Verifies each value of a comma-folded Identity field."""
    def verify_token(
        self,
        token: str,
        orig: Optional[str] = None,
        dest: Optional[str] = None,
        now: Optional[int] = None,
        call_id: Optional[str] = None,
    ) -> Verdict: ...
    def verify_compact(
        self,
        identity: str,
        header: Mapping[str, Any],
        claims: Mapping[str, Any],
        orig: Optional[str] = None,
        dest: Optional[str] = None,
        now: Optional[int] = None,
        call_id: Optional[str] = None,
    ) -> Verdict: ...
    def add_chain(
        self, url: str, pem: _PemOrDer, now: Optional[int] = None, ttl: Optional[int] = None
    ) -> Dict[str, Any]:
        """Validates and stores the chain fetched from url (answers CertificateNeeded)."""
    def remove_chain(self, url: str) -> None: ...
    @property
    def chains(self) -> int: ...
    @property
    def fetches(self) -> bool: ...
    @property
    def config(self) -> Dict[str, Any]: ...

def decode(value: str) -> Dict[str, Any]:
    """Decodes an Identity header value or token without verifying it."""

@final
class CompactToken:
    """A decoded compact ISUP token."""

    @property
    def data(self) -> bytes: ...
    def to_identity(self, orig: Optional[str] = None, dest: Optional[str] = None) -> str: ...
    def __len__(self) -> int: ...
    def __bytes__(self) -> bytes: ...

def isup_encode(
    identity: str,
    orig: Optional[str] = None,
    dest: Optional[str] = None,
    *,
    explicit_numbers: bool = False,
    allow_verbatim: bool = True,
) -> bytes: ...
def isup_decode(data: bytes) -> CompactToken: ...
def isup_to_identity(data: bytes, orig: Optional[str] = None, dest: Optional[str] = None) -> str: ...
def isup_iam_new(calling: str, called: str, national: bool = False) -> bytes: ...
def isup_iam_add(
    iam: bytes, identity: str, country_code: Optional[str] = None
) -> Tuple[bytes, Optional[bytes]]: ...
def isup_iam_take(iam: bytes, sgm: Optional[bytes] = None, country_code: Optional[str] = None) -> str: ...
