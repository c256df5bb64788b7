"""Presentation contexts: what an AE proposes or supports, and what negotiation settled.

Names and behaviour follow pynetdicom's ``pynetdicom.presentation`` so that code building
contexts by hand keeps working.
"""

from __future__ import annotations

import functools
from typing import List, Optional, Sequence, Union

from pydicom.uid import UID

from .evt import PresentationContextTuple

DEFAULT_TRANSFER_SYNTAXES: List[str] = [
    "1.2.840.10008.1.2",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.2",  # Explicit VR Big Endian
]
"""The transfer syntaxes proposed or supported when none are given (as pynetdicom)."""

_RESULT_NAMES = {
    0: "Accepted",
    1: "User Rejected",
    2: "Provider Rejected",
    3: "Abstract Syntax Not Supported",
    4: "Transfer Syntax(es) Not Supported",
}


def _validate_uid(value: object, what: str) -> UID:
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"{what} must be ASCII, not {value!r}") from None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str or UID, not {type(value).__name__} {value!r}")
    uid = UID(value.rstrip("\x00 "))
    if not uid or len(uid) > 64 or not all(c.isdigit() or c == "." for c in uid):
        raise ValueError(f"{what} '{value}' is not a valid UID")
    return uid


class PresentationContext:
    """One presentation context: ID, abstract syntax, transfer syntaxes, roles, result.

    Usually made by :func:`build_context` or the AE's ``add_requested_context`` /
    ``add_supported_context``, and read back from ``Association.accepted_contexts``.
    Every attribute is checked when it is set.

    Attributes
    ----------
    context_id : int or None
        Odd, 1 to 255.
    abstract_syntax : pydicom.uid.UID or None
        The SOP Class UID.
    transfer_syntax : list of pydicom.uid.UID
        Proposed or supported transfer syntaxes (one after negotiation).
    result : int or None
        The negotiation result (0 accepted, 1 user rejection, 2 no reason, 3 abstract
        syntax not supported, 4 transfer syntaxes not supported), None before negotiation.
    scu_role, scp_role : bool or None
        The SCP/SCU Role Selection values proposed or supported (None: not negotiated).
    """

    def __init__(self) -> None:
        self._context_id: Optional[int] = None
        self._abstract_syntax: Optional[UID] = None
        self._transfer_syntax: List[UID] = []
        self.result: Optional[int] = None
        self.scu_role: Optional[bool] = None
        self.scp_role: Optional[bool] = None
        self._as_scu: Optional[bool] = None
        self._as_scp: Optional[bool] = None

    @property
    def context_id(self) -> Optional[int]:
        """The context ID: odd, 1 to 255."""
        return self._context_id

    @context_id.setter
    def context_id(self, value: Optional[int]) -> None:
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"context_id must be an int, not {value!r}")
            if not 1 <= value <= 255 or value % 2 == 0:
                raise ValueError(
                    f"context_id must be an odd integer between 1 and 255, not {value}"
                )
        self._context_id = value

    @property
    def abstract_syntax(self) -> Optional[UID]:
        """The SOP Class UID. Setting it raises ``TypeError`` for a value that is not a
        str, bytes or UID, and ``ValueError`` for an invalid UID."""
        return self._abstract_syntax

    @abstract_syntax.setter
    def abstract_syntax(self, value: Union[str, bytes, None]) -> None:
        self._abstract_syntax = None if value is None else _validate_uid(value, "abstract_syntax")

    @property
    def transfer_syntax(self) -> List[UID]:
        """The transfer syntax UIDs, in order of preference, without duplicates. Setting it
        takes a list (``TypeError`` for a single UID) and checks each UID (``ValueError``)."""
        return self._transfer_syntax

    @transfer_syntax.setter
    def transfer_syntax(self, value: Sequence[Union[str, bytes]]) -> None:
        if isinstance(value, (str, bytes)):
            raise TypeError("transfer_syntax must be a list of UIDs, not a single UID")
        self._transfer_syntax = []
        for ts in value:
            self.add_transfer_syntax(ts)

    def add_transfer_syntax(self, syntax: Union[str, bytes]) -> None:
        """Append `syntax` unless it is already listed.

        Raises ``TypeError`` for a value that is not a str, bytes or UID, ``ValueError``
        for an invalid UID."""
        uid = _validate_uid(syntax, "transfer syntax")
        if uid not in self._transfer_syntax:
            self._transfer_syntax.append(uid)

    @property
    def as_scu(self) -> Optional[bool]:
        """Whether the local AE may act as SCU on this (negotiated) context."""
        return self._as_scu

    @property
    def as_scp(self) -> Optional[bool]:
        """Whether the local AE may act as SCP on this (negotiated) context."""
        return self._as_scp

    @property
    def status(self) -> str:
        """The negotiation result as text ("Accepted", "Pending", ...)."""
        if self.result is None:
            return "Pending"
        return _RESULT_NAMES.get(self.result, "Unknown")

    @property
    def as_tuple(self) -> PresentationContextTuple:
        """``(context_id, abstract_syntax, transfer_syntax)`` of a negotiated context."""
        ts = self.transfer_syntax[0] if self.transfer_syntax else None
        return PresentationContextTuple(self.context_id, self.abstract_syntax, ts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PresentationContext):
            return NotImplemented
        return (
            self.context_id == other.context_id
            and self.abstract_syntax == other.abstract_syntax
            and self.transfer_syntax == other.transfer_syntax
            and self.result == other.result
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"PresentationContext(context_id={self.context_id}, "
            f"abstract_syntax={self.abstract_syntax!r}, transfer_syntax={self.transfer_syntax!r}"
            + (f", result={self.result}" if self.result is not None else "")
            + ")"
        )

    def __str__(self) -> str:
        lines = [f"ID: {self.context_id}" if self.context_id else "Context"]
        lines.append(
            f"Abstract Syntax: {getattr(self.abstract_syntax, 'name', self.abstract_syntax)}"
        )
        lines.append("Transfer Syntax(es):")
        lines.extend(f"    ={getattr(ts, 'name', ts)}" for ts in self.transfer_syntax)
        if self.result is not None:
            lines.append(f"Result: {self.status}")
        return "\n".join(lines)


def build_context(
    abstract_syntax: Union[str, bytes], transfer_syntax: Union[None, str, Sequence[str]] = None
) -> PresentationContext:
    """A new :class:`PresentationContext` (pynetdicom's ``build_context``).

    Parameters
    ----------
    abstract_syntax : str, bytes or pydicom.uid.UID
        The SOP Class UID.
    transfer_syntax : str or list of str, optional
        One transfer syntax or a list; default: :data:`DEFAULT_TRANSFER_SYNTAXES`.

    Returns
    -------
    PresentationContext
        With no context ID and no result yet.

    Raises
    ------
    TypeError
        If a UID is not a str, bytes or UID.
    ValueError
        If a UID is invalid.
    """
    if transfer_syntax is None:
        transfer_syntax = DEFAULT_TRANSFER_SYNTAXES
    if isinstance(transfer_syntax, (str, bytes)):
        transfer_syntax = [transfer_syntax]  # type: ignore[list-item]
    context = PresentationContext()
    context.abstract_syntax = abstract_syntax
    context.transfer_syntax = list(transfer_syntax)
    return context


@functools.lru_cache(maxsize=1024)
def _reported_uid(value: str) -> UID:
    """pydicom's UID for a value the core reports. Building one runs pydicom's checks, and
    every association with the same peer reports the same few UIDs; UIDs are immutable, so
    they can be shared. Bounded: a peer that proposes new UIDs only evicts old ones."""
    return UID(value)


def _negotiated(
    context_id: int,
    abstract_syntax: str,
    transfer_syntax: Optional[str],
    result: int,
    as_scu: bool,
    as_scp: bool,
) -> PresentationContext:
    """A context as negotiation settled it (built from what the core reports)."""
    context = PresentationContext()
    context.context_id = context_id
    context._abstract_syntax = _reported_uid(abstract_syntax)
    context._transfer_syntax = [_reported_uid(transfer_syntax)] if transfer_syntax else []
    context.result = result
    context._as_scu = as_scu
    context._as_scp = as_scp
    return context


VerificationPresentationContexts: List[PresentationContext] = [build_context("1.2.840.10008.1.1")]
"""The one context the Verification service needs."""
