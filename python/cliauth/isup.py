"""ISUP/BICC carriage of PASSporTs (ITU-T Q.3063).

The compact token (ASN.1, unaligned PER) that carries a PASSporT across the TDM part of a
call, and its place in the Initial Address Message:

* :func:`encode` turns an Identity header value into the compact token (bytes);
  :func:`decode` reads one; :func:`to_identity` rebuilds the Identity header value, byte
  for byte as signed, from the token and the IAM's numbers.
* :func:`iam_new` builds a minimal IAM, :func:`iam_add` puts a token into an IAM (the
  outgoing gateway), :func:`iam_take` takes it out and rebuilds the Identity header value
  (the incoming gateway).

Numbers given as ``orig``/``dest`` are telephone numbers as in a PASSporT
(``12155551212``); IAM numbers are digits with a nature of address. Errors raise
:class:`cliauth.IsupError`.
"""

from ._cliauth import (
    CompactToken,
    IsupError,
    isup_decode as decode,
    isup_encode as encode,
    isup_iam_add as iam_add,
    isup_iam_new as iam_new,
    isup_iam_take as iam_take,
    isup_to_identity as to_identity,
)

__all__ = [
    "CompactToken",
    "IsupError",
    "decode",
    "encode",
    "iam_add",
    "iam_new",
    "iam_take",
    "to_identity",
]
