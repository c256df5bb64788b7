"""Presentation contexts: what an AE proposes or supports, and what negotiation settled.

Names and behaviour follow pynetdicom's ``pynetdicom.presentation`` so that code building
contexts by hand keeps working.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple, Union

from pydicom import config
from pydicom.uid import UID

from . import _config
from .evt import PresentationContextTuple

if TYPE_CHECKING:
    from .pdu_primitives import SCP_SCU_RoleSelectionNegotiation

DEFAULT_TRANSFER_SYNTAXES: List[str] = [
    "1.2.840.10008.1.2",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.2",  # Explicit VR Big Endian
]
"""The transfer syntaxes proposed or supported when none are given (as pynetdicom)."""

ALL_TRANSFER_SYNTAXES: List[str] = [
    *DEFAULT_TRANSFER_SYNTAXES,
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.92",
    "1.2.840.10008.1.2.4.93",
    "1.2.840.10008.1.2.4.94",
    "1.2.840.10008.1.2.4.95",
    "1.2.840.10008.1.2.4.100",
    "1.2.840.10008.1.2.4.100.1",
    "1.2.840.10008.1.2.4.101",
    "1.2.840.10008.1.2.4.101.1",
    "1.2.840.10008.1.2.4.102",
    "1.2.840.10008.1.2.4.102.1",
    "1.2.840.10008.1.2.4.103",
    "1.2.840.10008.1.2.4.103.1",
    "1.2.840.10008.1.2.4.104",
    "1.2.840.10008.1.2.4.104.1",
    "1.2.840.10008.1.2.4.105",
    "1.2.840.10008.1.2.4.105.1",
    "1.2.840.10008.1.2.4.106",
    "1.2.840.10008.1.2.4.106.1",
    "1.2.840.10008.1.2.4.107",
    "1.2.840.10008.1.2.4.108",
    "1.2.840.10008.1.2.4.110",
    "1.2.840.10008.1.2.4.111",
    "1.2.840.10008.1.2.4.112",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
    "1.2.840.10008.1.2.4.204",
    "1.2.840.10008.1.2.4.205",
    "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.7.1",
    "1.2.840.10008.1.2.7.2",
    "1.2.840.10008.1.2.7.3",
    "1.2.840.10008.1.2.8.1",
]
"""The transfer syntaxes of PS3.5 10 and annex A that pynetdicom 3.0.4 lists as
``ALL_TRANSFER_SYNTAXES``, in the same order."""

_RESULT_NAMES = {
    None: "Pending",
    0: "Accepted",
    1: "User Rejected",
    2: "Provider Rejected",
    3: "Abstract Syntax Not Supported",
    4: "Transfer Syntax(es) Not Supported",
}

LOGGER = logging.getLogger(__name__)


def _set_uid(value: object, name: str) -> Optional[UID]:
    """A UID for `name` from str/bytes/UID (None stays None), as pynetdicom checks it:
    not empty, then ``_config.VALIDATORS["UI"]`` (ValueError), then a warning when the UID
    does not conform to PS3.5 9.1."""
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"Invalid '{name}' value - must be ASCII") from None
    if not isinstance(value, str):
        raise TypeError(
            f"'{name}' must be str, bytes, UID or None, not '{value.__class__.__name__}'"
        )
    uid = UID(value, validation_mode=config.IGNORE)
    if not uid:
        raise ValueError(f"Invalid '{name}' value - must not be an empty str")
    ok, reason = _config.VALIDATORS["UI"](uid)
    if not ok:
        message = f"Invalid '{name}' value '{uid}' - {reason}"
        LOGGER.error(message)
        raise ValueError(message)
    if not uid.is_valid:
        LOGGER.warning(f"Non-conformant '{name}' value '{uid}'")
    return uid


def _uid_name(uid: Optional[UID]) -> str:
    return str(getattr(uid, "name", uid))


class PresentationContext:
    """One presentation context: ID, abstract syntax, transfer syntaxes, roles, result.

    As pynetdicom's: ``scu_role``/``scp_role`` are what the acceptor answers to a role
    selection proposal (None: no answer), ``as_scu``/``as_scp`` what negotiation settled
    for the local AE; equal contexts hash equally.

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
        self._scu_role: Optional[bool] = None
        self._scp_role: Optional[bool] = None
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
                raise TypeError(f"'context_id' must be an int, not {value!r}")
            if not 1 <= value <= 255 or value % 2 == 0:
                raise ValueError("'context_id' must be an odd integer between 1 and 255, inclusive")
        self._context_id = value

    @property
    def abstract_syntax(self) -> Optional[UID]:
        """The SOP Class UID. Setting it raises ``TypeError`` for a value that is not a
        str, bytes or UID, and ``ValueError`` for an invalid UID."""
        return self._abstract_syntax

    @abstract_syntax.setter
    def abstract_syntax(self, value: Union[str, bytes, None]) -> None:
        self._abstract_syntax = _set_uid(value, "abstract_syntax")

    @property
    def transfer_syntax(self) -> List[UID]:
        """The transfer syntax UIDs, in order of preference, without duplicates. Setting it
        takes a list (``TypeError`` for a single UID) and checks each UID (``ValueError``)."""
        return self._transfer_syntax

    @transfer_syntax.setter
    def transfer_syntax(self, value: List[Union[str, bytes]]) -> None:
        if not isinstance(value, list):
            raise TypeError("'transfer_syntax' must be a list")
        self._transfer_syntax = []
        for ts in value:
            self.add_transfer_syntax(ts)

    def add_transfer_syntax(self, syntax: Union[str, bytes, None]) -> None:
        """Append `syntax` unless it is already listed (None is ignored; a value that is
        not str or bytes is logged and ignored, as pynetdicom does)."""
        if syntax is None:
            return
        if isinstance(syntax, bytes):
            try:
                syntax = syntax.decode("ascii")
            except UnicodeDecodeError:
                raise ValueError("'transfer_syntax' contains an invalid UID") from None
        if not isinstance(syntax, str):
            LOGGER.error("Attempted to add an invalid transfer syntax")
            return
        uid = UID(syntax, validation_mode=config.IGNORE)
        if uid and not _config.VALIDATORS["UI"](uid)[0]:
            LOGGER.error("'transfer_syntax' contains an invalid UID")
            raise ValueError("'transfer_syntax' contains an invalid UID")
        if uid and not uid.is_valid:
            LOGGER.warning(f"The Transfer Syntax Name '{uid}' is non-conformant")
        if not uid or uid in self._transfer_syntax:
            return
        if not uid.is_valid:
            LOGGER.warning("A non-conformant UID has been added to 'transfer_syntax'")
        if not uid.is_private and not uid.is_transfer_syntax and uid not in ALL_TRANSFER_SYNTAXES:
            LOGGER.warning(
                f"A UID has been added to 'transfer_syntax' that is not a transfer syntax: '{uid}'"
            )
        self._transfer_syntax.append(uid)

    @property
    def scu_role(self) -> Optional[bool]:
        """As acceptor: True to accept a requestor's proposal to be SCU, False to refuse it,
        None (default) to send no role selection answer."""
        return self._scu_role

    @scu_role.setter
    def scu_role(self, value: Optional[bool]) -> None:
        if not isinstance(value, (bool, type(None))):
            raise TypeError("'scu_role' must be a bool or None")
        self._scu_role = value

    @property
    def scp_role(self) -> Optional[bool]:
        """As acceptor: True to accept a requestor's proposal to be SCP, False to refuse it,
        None (default) to send no role selection answer."""
        return self._scp_role

    @scp_role.setter
    def scp_role(self, value: Optional[bool]) -> None:
        if not isinstance(value, (bool, type(None))):
            raise TypeError("'scp_role' must be a bool or None")
        self._scp_role = value

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
        return _RESULT_NAMES.get(self.result, "Unknown")

    @property
    def as_tuple(self) -> PresentationContextTuple:
        """``(context_id, abstract_syntax, transfer_syntax)`` of a negotiated context."""
        return PresentationContextTuple(
            self.context_id, self.abstract_syntax, self.transfer_syntax[0]
        )

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, PresentationContext):
            return self.__dict__ == other.__dict__
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(
            (
                self.abstract_syntax,
                self.context_id,
                tuple(self.transfer_syntax),
                self.as_scp,
                self.as_scu,
            )
        )

    def __repr__(self) -> str:
        """The abstract syntax's name, as pynetdicom's."""
        return _uid_name(self.abstract_syntax)

    def __str__(self) -> str:
        lines = []
        if self.context_id is not None:
            lines.append(f"ID: {self.context_id}")
        if self.abstract_syntax is not None:
            lines.append(f"Abstract Syntax: {_uid_name(self.abstract_syntax)}")
        lines.append("Transfer Syntax(es):")
        if self.transfer_syntax:
            lines.extend(f"    ={_uid_name(ts)}" for ts in self.transfer_syntax)
        else:
            lines.append("    (none)")
        if self.result is not None:
            lines.append(f"Result: {self.status}")
        if self.as_scu is not None and self.as_scp is not None:
            roles = {
                (True, False): "SCU only",
                (True, True): "SCU and SCP",
                (False, True): "SCP only",
                (False, False): "(none)",
            }
            lines.append(f"Role: {roles[(bool(self.as_scu), bool(self.as_scp))]}")
        return "\n".join(lines)


RoleProposals = Optional[Dict[str, Tuple[Optional[bool], Optional[bool]]]]


def role_outcome(
    proposed: Tuple[Optional[bool], Optional[bool]],
    answered: Tuple[Optional[bool], Optional[bool]],
) -> Tuple[bool, bool, bool, bool]:
    """SCP/SCU role selection (PS3.7 D.3.3.4): the requestor's proposal (scu, scp) and the
    acceptor's answer give (requestor SCU, requestor SCP, acceptor SCU, acceptor SCP).

    Without a complete proposal and answer the default roles hold (requestor SCU, acceptor
    SCP). Otherwise the requestor has a role only when it proposed it and the acceptor
    agreed, and the acceptor takes the opposite role of each.
    """
    if None in proposed or None in answered:
        return (True, False, False, True)
    rq_scu = bool(proposed[0] and answered[0])
    rq_scp = bool(proposed[1] and answered[1])
    return (rq_scu, rq_scp, rq_scp, rq_scu)


def _rejected(rq_context: PresentationContext, result: int) -> PresentationContext:
    context = PresentationContext()
    context.context_id = rq_context.context_id
    context.abstract_syntax = rq_context.abstract_syntax
    context.transfer_syntax = [rq_context.transfer_syntax[0]]
    context.result = result
    return context


def negotiate_as_acceptor(
    rq_contexts: List[PresentationContext],
    ac_contexts: List[PresentationContext],
    roles: RoleProposals = None,
) -> Tuple[List[PresentationContext], List[SCP_SCU_RoleSelectionNegotiation]]:
    """The acceptor's answer to proposed contexts, as pynetdicom's function of that name.

    `rq_contexts` are the requestor's proposals, `ac_contexts` the contexts this AE supports
    (one per abstract syntax; their ``scu_role``/``scp_role`` answer role proposals), and
    `roles` the requestor's role proposals ``{SOP class UID: (scu, scp)}``. Returns the
    results (by context ID: accepted with the first supported transfer syntax in the
    acceptor's order, or rejected 1, 3 or 4) and the role selection answers to send (by
    SOP class UID). A context accepted with neither role for the acceptor is rejected (1).
    """
    from .pdu_primitives import SCP_SCU_RoleSelectionNegotiation

    roles = roles or {}
    if not rq_contexts:
        return [], []
    if not ac_contexts:
        return [_rejected(cx, 0x03) for cx in rq_contexts], []

    supported = {cx.abstract_syntax: cx for cx in ac_contexts}
    results: Dict[Tuple[Optional[int], Optional[UID]], PresentationContext] = {}
    answers: Dict[UID, SCP_SCU_RoleSelectionNegotiation] = {}
    for rq_context in rq_contexts:
        key = (rq_context.context_id, rq_context.abstract_syntax)
        ac_context = supported.get(rq_context.abstract_syntax)
        if ac_context is None:
            context = _rejected(rq_context, 0x03)
            context._as_scu = context._as_scp = False
            results[key] = context
            continue
        common = [ts for ts in ac_context.transfer_syntax if ts in rq_context.transfer_syntax]
        if not common:
            context = _rejected(rq_context, 0x04)
            context._as_scu = context._as_scp = False
            results[key] = context
            continue
        context = PresentationContext()
        context.context_id = rq_context.context_id
        context.abstract_syntax = rq_context.abstract_syntax
        context.transfer_syntax = [common[0]]
        context.result = 0x00
        answer = (ac_context.scu_role, ac_context.scp_role)
        proposed = roles.get(rq_context.abstract_syntax)  # type: ignore[arg-type]
        if None in answer:
            context._as_scu, context._as_scp = False, True
        else:
            outcome = role_outcome(proposed or (None, None), answer)
            context._as_scu, context._as_scp = outcome[2], outcome[3]
        if not context.as_scu and not context.as_scp:
            context.result = 0x01
        results[key] = context
        if context.result == 0x00 and proposed is not None and None not in answer:
            item = SCP_SCU_RoleSelectionNegotiation()
            item.sop_class_uid = context.abstract_syntax
            # An acceptor may not agree to a role that was not proposed (PS3.7 D.3.3.4).
            item.scu_role = False if proposed[0] is False else ac_context.scu_role
            item.scp_role = False if proposed[1] is False else ac_context.scp_role
            answers[context.abstract_syntax] = item  # type: ignore[index]

    ordered = sorted(results.values(), key=lambda cx: cx.context_id or 0)
    return ordered, [answers[uid] for uid in sorted(answers)]


def negotiate_as_requestor(
    rq_contexts: List[PresentationContext],
    ac_contexts: List[PresentationContext],
    roles: RoleProposals = None,
) -> List[PresentationContext]:
    """The requestor's view of the acceptor's answer, as pynetdicom's function of that name.

    `rq_contexts` are the contexts proposed, `ac_contexts` the acceptor's results (context
    ID, result, transfer syntax) and `roles` its role selection answers ``{SOP class UID:
    (scu, scp)}``. Returns every proposed context by context ID, with the result, the
    abstract syntax and the roles the local AE may take; a context the acceptor did not
    answer is rejected (2).
    """
    roles = roles or {}
    if not rq_contexts:
        raise ValueError("Requestor contexts are required")
    answered = {cx.context_id: cx for cx in ac_contexts}
    output = []
    for rq_context in {cx.context_id: cx for cx in rq_contexts}.values():
        context = PresentationContext()
        context.context_id = rq_context.context_id
        context.abstract_syntax = rq_context.abstract_syntax
        context._as_scu = context._as_scp = False
        ac_context = answered.get(rq_context.context_id)
        if ac_context is None:
            context.transfer_syntax = [rq_context.transfer_syntax[0]]
            context.result = 0x02
        else:
            if ac_context.transfer_syntax:
                context.transfer_syntax = [ac_context.transfer_syntax[0]]
            context.result = ac_context.result
            answer = roles.get(context.abstract_syntax, (None, None))  # type: ignore[arg-type]
            if ac_context.result == 0x00 and None not in answer:
                outcome = role_outcome((rq_context.scu_role, rq_context.scp_role), answer)
                context._as_scu, context._as_scp = outcome[0], outcome[1]
            else:
                context._as_scu, context._as_scp = True, False
        output.append(context)
    return sorted(output, key=lambda cx: cx.context_id or 0)


def negotiate_unrestricted(
    rq_contexts: List[PresentationContext],
    ac_contexts: List[PresentationContext],
    roles: RoleProposals = None,
) -> Tuple[List[PresentationContext], List[SCP_SCU_RoleSelectionNegotiation]]:
    """Acceptor negotiation that accepts any abstract syntax it does not serve, as
    pynetdicom's function of that name does for an unrestricted storage SCP.

    Contexts for SOP classes fastdimse serves (Verification) are negotiated by
    :func:`negotiate_as_acceptor`; every other one is accepted with its first proposed
    transfer syntax and both roles (a role proposal gets both roles it asked for).
    """
    from .pdu_primitives import SCP_SCU_RoleSelectionNegotiation
    from .sop_class import Verification

    roles = roles or {}
    served = [cx for cx in rq_contexts if cx.abstract_syntax == Verification]
    others = [cx for cx in rq_contexts if cx.abstract_syntax != Verification]
    results, answers = negotiate_as_acceptor(served, ac_contexts, roles)
    extra: Dict[UID, SCP_SCU_RoleSelectionNegotiation] = {}
    for rq_context in others:
        context = PresentationContext()
        context.context_id = rq_context.context_id
        context.abstract_syntax = rq_context.abstract_syntax
        context.transfer_syntax = [rq_context.transfer_syntax[0]]
        context.result = 0x00
        context._as_scu = context._as_scp = True
        proposed = roles.get(rq_context.abstract_syntax)  # type: ignore[arg-type]
        if proposed is not None:
            outcome = role_outcome(proposed, (True, True))
            context._as_scu, context._as_scp = outcome[2], outcome[3]
            item = SCP_SCU_RoleSelectionNegotiation()
            item.sop_class_uid = rq_context.abstract_syntax
            item.scu_role = bool(proposed[0])
            item.scp_role = bool(proposed[1])
            extra[rq_context.abstract_syntax] = item  # type: ignore[index]
        results.append(context)
    results.sort(key=lambda cx: cx.context_id or 0)
    answers_by_uid = {item.sop_class_uid: item for item in answers}
    answers_by_uid.update(extra)
    return results, [answers_by_uid[uid] for uid in sorted(answers_by_uid)]


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


def build_role(
    uid: Union[str, bytes], scu_role: bool = False, scp_role: bool = False
) -> SCP_SCU_RoleSelectionNegotiation:
    """An SCP/SCU role selection item proposing `scu_role`/`scp_role` for the SOP class
    `uid` (pass it in ``ext_neg``, as with pynetdicom)."""
    from .pdu_primitives import SCP_SCU_RoleSelectionNegotiation

    role = SCP_SCU_RoleSelectionNegotiation()
    role.sop_class_uid = UID(uid.decode("ascii") if isinstance(uid, bytes) else uid)
    role.scu_role = scu_role
    role.scp_role = scp_role
    return role


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
