"""``Association``: one association, requested by our AE or accepted by our server.

The Rust core owns the socket and the protocol; this object reports its state, runs the
SCU operations (``send_c_echo``, ``send_c_cancel``, ``release``, ``abort``) with the GIL
released while they wait, and holds the event handlers bound to the association.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Union

from pydicom.dataset import Dataset
from pydicom.uid import UID

from . import _completion, _core, evt
from ._status_dataset import status_dataset
from .dimse import DIMSEServiceProvider
from .pdu_primitives import UserIdentityNegotiation
from .presentation import PresentationContext, _negotiated
from .status import code_to_category

if TYPE_CHECKING:  # pragma: no cover
    from .ae import ApplicationEntity

LOGGER = logging.getLogger("fastdimse")

VERIFICATION = "1.2.840.10008.1.1"


class ServiceUser:
    """One end of an association: its AE title, address and negotiated parameters.

    An :class:`Association` has two, ``requestor`` and ``acceptor``; applications read them
    and do not create them.

    Attributes
    ----------
    assoc : Association
        The association this user belongs to.
    mode : str
        ``"requestor"`` or ``"acceptor"``.
    ae_title : str
        The user's AE title as negotiated ("" before negotiation).
    address : str
        Its IP address.
    port : int or None
        Its TCP port.
    maximum_length : int or None
        The largest P-DATA-TF PDU it receives, as it announced (0 = no limit).
    implementation_class_uid, implementation_version_name : str or None
        What it announced in its association request or answer.
    user_identity : UserIdentityNegotiation or None
        The requestor's user identity item, or the acceptor's response to it.
    """

    def __init__(self, assoc: Association, mode: str) -> None:
        self.assoc = assoc
        self.mode = mode
        self.ae_title: str = ""
        self.address: str = ""
        self.port: Optional[int] = None
        self.maximum_length: Optional[int] = None
        self.implementation_class_uid: Optional[str] = None
        self.implementation_version_name: Optional[str] = None
        self.user_identity: Optional[UserIdentityNegotiation] = None
        #: (maximum operations invoked, performed) this user sent in its asynchronous
        #: operations window item; (1, 1), the synchronous default, if it sent none.
        self.asynchronous_operations: Tuple[int, int] = (1, 1)
        #: The requestor's proposed presentation contexts (with their IDs), as sent.
        self.requested_contexts: List[PresentationContext] = []
        #: Extended negotiation items the requestor sent (user identity, asynchronous
        #: window, SOP class extended and common extended negotiation).
        self.extended_negotiation: List[Any] = []
        #: The SOP class common extended negotiation items the requestor sent, as
        #: ``{SOP Class UID: SOPClassCommonExtendedNegotiation}`` (empty for the acceptor:
        #: they are never answered).
        self.sop_class_common_extended: Dict[UID, Any] = {}
        #: The SOP class extended negotiation items this user sent (the requestor's
        #: proposals, the acceptor's answers), as ``{SOP Class UID: information}``.
        self.sop_class_extended: Dict[UID, bytes] = {}
        self._primitive: Optional[AssociateRequest] = None

    @property
    def is_requestor(self) -> bool:
        """True if this user requested the association."""
        return self.mode == "requestor"

    @property
    def is_acceptor(self) -> bool:
        """True if this user accepted (or was asked for) the association."""
        return self.mode == "acceptor"

    @property
    def primitive(self) -> Optional[AssociateRequest]:
        """The requestor's A-ASSOCIATE request as pynetdicom's primitive reads
        (``called_ae_title``, ``calling_ae_title``,
        ``presentation_context_definition_list``, ``maximum_length_received``,
        ``implementation_class_uid``, ``implementation_version_name``), once negotiation
        has run; None on the acceptor's side and before negotiation."""
        return self._primitive

    @property
    def info(self) -> Dict[str, Any]:
        """``ae_title``, ``address``, ``port`` and ``mode`` (pynetdicom's shape), plus
        ``pdv_size`` (the maximum length) once negotiated."""
        known = bool(self.address)
        info: Dict[str, Any] = {
            "ae_title": self.ae_title,
            "address": self.address if known else None,
            "port": self.port if known else None,
            "mode": self.mode,
        }
        if self.maximum_length is not None and self.assoc._core is not None:
            info["pdv_size"] = self.maximum_length
        return info

    def __repr__(self) -> str:
        return f"<ServiceUser {self.mode} {self.ae_title!r} {self.address}:{self.port}>"


class AssociateRequest:
    """What an A-ASSOCIATE request carried, with the names of pynetdicom's ``A_ASSOCIATE``
    primitive (read-only use: the core built or decoded the PDU)."""

    def __init__(
        self,
        calling_ae_title: str,
        called_ae_title: str,
        contexts: List[PresentationContext],
        maximum_length: Optional[int],
        implementation_class_uid: Optional[str],
        implementation_version_name: Optional[str],
    ) -> None:
        self.calling_ae_title = calling_ae_title
        self.called_ae_title = called_ae_title
        self.presentation_context_definition_list = contexts
        self.maximum_length_received = maximum_length
        self.implementation_class_uid = implementation_class_uid
        self.implementation_version_name = implementation_version_name
        self.application_context_name = "1.2.840.10008.3.1.1.1"

    def __repr__(self) -> str:
        return (
            f"<A-ASSOCIATE request {self.calling_ae_title!r} -> {self.called_ae_title!r}, "
            f"{len(self.presentation_context_definition_list)} context(s)>"
        )


def _timeout(name: str, value: object) -> Optional[float]:
    """A timeout as the core takes it: None, or a non-negative number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or None, not {value!r}")
    if value < 0 or value != value:
        raise ValueError(f"{name} must be non-negative, not {value!r}")
    return float(value)


def _live_timeout(name: str, doc: str) -> Any:
    """A timeout property of :class:`Association`: stored as ``_<name>``, checked as the core
    takes it, and pushed to the live association's core when set."""
    attr = f"_{name}"

    def get(self: Association) -> Optional[float]:
        return getattr(self, attr)  # type: ignore[no-any-return]

    def set_(self: Association, value: Optional[float]) -> None:
        setattr(self, attr, _timeout(name, value))
        self._push_timeouts()

    get.__doc__ = doc  # what help() and the docstring check read
    return property(get, set_, doc=doc)


class Association:
    """An association with a peer AE (pynetdicom's ``Association`` API).

    Returned by :meth:`AE.associate <fastdimse.ae.ApplicationEntity.associate>` (we are the
    requestor) or handed to event handlers as ``event.assoc`` (our server accepted it);
    applications do not construct it. A context manager: leaving the ``with`` block
    releases an established association.

    Parameters
    ----------
    ae : ApplicationEntity
        The AE that requested or accepted it.
    core : object
        The Rust core's association, or None for a request that never connected.
    handlers : dict, optional
        The event handlers bound to it.

    Attributes
    ----------
    ae : ApplicationEntity
        As given.
    requestor, acceptor : ServiceUser
        The two ends, with their AE titles, addresses and negotiated parameters.
    acse_timeout, dimse_timeout, network_timeout, connection_timeout : float or None
        The AE's timeouts when the association was made, in seconds.
    dimse : DIMSEServiceProvider
        pynetdicom's DIMSE provider object (message IDs and timeouts).
    """

    def __init__(
        self, ae: ApplicationEntity, core: Any, handlers: Optional[Dict[Any, Any]] = None
    ) -> None:
        # pynetdicom's signature is Association(ae, mode): a mode gives an association that
        # has not connected (as pynetdicom's before request()); the AE passes the core's.
        if isinstance(core, str):
            if core not in ("requestor", "acceptor"):
                raise ValueError(
                    "Invalid association `mode` value, must be either 'requestor' or "
                    "'acceptor'"
                )
            self._mode = core
            core = None
        else:
            self._mode = "requestor" if core is None else str(core.mode)
        self.ae = ae
        self._core = core
        self._handlers: Dict[Any, Any] = dict(handlers or {})
        self.dimse = DIMSEServiceProvider(self)
        # The core started from the AE's values; the setters below change them live.
        self._acse_timeout = ae.acse_timeout
        self._dimse_timeout = ae.dimse_timeout
        self._network_timeout = ae.network_timeout
        self._connection_timeout = ae.connection_timeout
        self._network_timeout_response = "A-ABORT"
        self._accepted: Optional[List[PresentationContext]] = None
        self._contexts_by_id: Optional[Dict[int, PresentationContext]] = None
        self._rejected: Optional[List[PresentationContext]] = None
        self._next_msg_id = 1
        self._failed = False
        #: Why the TCP connection of a failed request could not be made (set by the AE).
        self._connect_error: Optional[BaseException] = None
        self.requestor = ServiceUser(self, "requestor")
        self.acceptor = ServiceUser(self, "acceptor")
        self._fill_users()

    # ----- timeouts: read by the core when they apply -----------------------------------

    def _push_timeouts(self) -> None:
        if self._core is not None:
            self._core.set_timeouts(
                self._acse_timeout,
                self._dimse_timeout,
                self._network_timeout,
                self._connection_timeout,
            )

    acse_timeout = _live_timeout(
        "acse_timeout",
        """Seconds to wait for an association or release answer (and ARTIM); ``None``
        waits forever. Setting it changes this live association.""",
    )
    dimse_timeout = _live_timeout(
        "dimse_timeout",
        """Seconds to wait for a DIMSE response; applies from the next request sent.""",
    )
    network_timeout = _live_timeout(
        "network_timeout",
        """Seconds without anything received before the association is ended (see
        :attr:`network_timeout_response`); applies at once.""",
    )
    connection_timeout = _live_timeout(
        "connection_timeout",
        """Seconds to wait for the TCP connection (only used while connecting).""",
    )

    @property
    def network_timeout_response(self) -> str:
        """What the network timeout does: ``"A-ABORT"`` (default) aborts the association,
        ``"A-RELEASE"`` asks to release it (aborting if no answer within the ACSE timeout).
        """
        return self._network_timeout_response

    @network_timeout_response.setter
    def network_timeout_response(self, value: str) -> None:
        self._network_timeout_response = value
        if self._core is not None:
            self._core.set_release_on_idle(value == "A-RELEASE")

    # ----- state -----------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """ "requestor" if our AE requested the association, "acceptor" if it accepted it."""
        return self._mode

    @property
    def is_requestor(self) -> bool:
        """True if our AE requested the association."""
        return self.mode == "requestor"

    @property
    def is_acceptor(self) -> bool:
        """True if our AE's server accepted it."""
        return self.mode == "acceptor"

    @property
    def _state(self) -> str:
        if self._core is None:
            return "aborted" if self._failed else "idle"
        return str(self._core.state)

    @property
    def is_established(self) -> bool:
        """True while the association can carry DIMSE messages."""
        return self._state == "established"

    @property
    def is_rejected(self) -> bool:
        """True if the acceptor rejected the request (see :attr:`rejection`)."""
        return self._state == "rejected"

    @property
    def is_aborted(self) -> bool:
        """True if the association was aborted (by either side, or by a timeout or a
        protocol error), or if the connection could not be made at all."""
        return self._state == "aborted" or self._failed

    @property
    def is_released(self) -> bool:
        """True once the association has been released normally."""
        return self._state == "released"

    def _can_send_dimse(self) -> bool:
        """Established, or releasing, and neither released nor aborted: what the service
        classes check before they answer, in one read of the core's state instead of three.

        Releasing counts: a response still due when the peer's A-RELEASE-RQ arrives is sent
        before the A-RELEASE-RP (PS3.8 AR-7, Sta8); the core refuses it in the one releasing
        state where P-DATA may not be sent (Sta7, after our own A-RELEASE-RQ)."""
        return self._state in ("established", "releasing") and not self._failed

    def is_alive(self) -> bool:
        """True until the association has ended (pynetdicom's thread-like check)."""
        return self._state in ("negotiating", "established", "releasing")

    @property
    def native_id(self) -> Optional[int]:
        """The core's ID of this association (there is no thread per association)."""
        return None if self._core is None else int(self._core.id)

    @property
    def name(self) -> str:
        """``"Association-<native_id>"`` (pynetdicom's thread name has this place)."""
        return f"Association-{self.native_id}"

    @property
    def local(self) -> Dict[str, Any]:
        """Our end's ``ae_title``, ``address``, ``port``, ``mode`` (pynetdicom's dict)."""
        return (self.acceptor if self.is_acceptor else self.requestor).info

    @property
    def remote(self) -> Dict[str, Any]:
        """The peer's ``ae_title``, ``address``, ``port``, ``mode`` (pynetdicom's dict)."""
        return (self.requestor if self.is_acceptor else self.acceptor).info

    # ----- negotiated parameters ---------------------------------------------------------

    def _fill_users(self) -> None:
        if self._core is None:
            return
        info = self._core.info()
        local_user, peer_user = (
            (self.requestor, self.acceptor)
            if self.is_requestor
            else (self.acceptor, self.requestor)
        )
        local_user.address, local_user.port = self._core.local_address
        peer_user.address, peer_user.port = self._core.peer_address
        local_user.ae_title = self.ae.ae_title
        local_user.implementation_class_uid = self.ae.implementation_class_uid
        local_user.implementation_version_name = self.ae.implementation_version_name
        local_user.maximum_length = self.ae.maximum_pdu_size
        if info is None:
            return
        local_user.ae_title = info["local_ae_title"]
        peer_user.ae_title = info["peer_ae_title"]
        local_user.maximum_length = info["local_max_pdu_length"]
        peer_user.maximum_length = info["peer_max_pdu_length"]
        peer_user.implementation_class_uid = info["peer_implementation_class_uid"]
        peer_user.implementation_version_name = info["peer_implementation_version_name"]
        identity = info["user_identity"]
        if identity is not None:
            rq = UserIdentityNegotiation()
            rq.user_identity_type, rq.primary_field, rq.secondary_field = identity[:3]
            rq.positive_response_requested = identity[3]
            self.requestor.user_identity = rq
        for user, key in (
            (self.requestor, "proposed_async_ops_window"),
            (self.acceptor, "async_ops_window"),
        ):
            if info[key] is not None:
                invoked, performed = info[key]
                user.asynchronous_operations = (int(invoked), int(performed))
        request = info.get("request")
        if request is not None:
            calling, called, proposed = request
            contexts = []
            for ctx_id, abstract, transfer_syntaxes in proposed:
                context = PresentationContext()
                context.context_id = ctx_id
                context.abstract_syntax = abstract
                context.transfer_syntax = list(transfer_syntaxes)
                contexts.append(context)
            self.requestor.requested_contexts = contexts
            self.requestor._primitive = AssociateRequest(
                calling,
                called,
                contexts,
                self.requestor.maximum_length,
                self.requestor.implementation_class_uid,
                self.requestor.implementation_version_name,
            )
            extended: List[Any] = []
            if self.requestor.user_identity is not None:
                extended.append(self.requestor.user_identity)
            if info["proposed_async_ops_window"] is not None:
                from .pdu_primitives import AsynchronousOperationsWindowNegotiation

                item = AsynchronousOperationsWindowNegotiation()
                invoked, performed = info["proposed_async_ops_window"]
                item.maximum_number_operations_invoked = int(invoked)
                item.maximum_number_operations_performed = int(performed)
                extended.append(item)
            extended.extend(self._fill_sop_class_extended(info))
            self.requestor.extended_negotiation = extended
        if info["user_identity_response"] is not None:
            ac = UserIdentityNegotiation()
            ac.server_response = info["user_identity_response"]
            self.acceptor.user_identity = ac
        self._accepted = []
        self._rejected = []
        for ctx_id, abstract, ts, result, as_scu, as_scp in info["contexts"]:
            context = _negotiated(ctx_id, abstract, ts, result, as_scu, as_scp)
            (self._accepted if result == 0 else self._rejected).append(context)

    def _fill_sop_class_extended(self, info: Dict[str, Any]) -> List[Any]:
        """Fills the users' SOP class (common) extended negotiation from the core's `info`;
        returns the requestor's items."""
        from .pdu_primitives import (
            SOPClassCommonExtendedNegotiation,
            SOPClassExtendedNegotiation,
            _received_uid,
        )

        items: List[Any] = []
        proposed: Dict[UID, bytes] = {}
        for sop_class, app_info in info.get("sop_class_extended", ()):
            items.append(SOPClassExtendedNegotiation._received(sop_class, app_info))
            proposed[_received_uid(sop_class)] = bytes(app_info)
        common: Dict[UID, Any] = {}
        for sop_class, service_class, related in info.get("sop_class_common_extended", ()):
            common_item = SOPClassCommonExtendedNegotiation._received(
                sop_class, service_class, related
            )
            items.append(common_item)
            common[_received_uid(sop_class)] = common_item
        answered = {
            _received_uid(sop_class): bytes(app_info)
            for sop_class, app_info in info.get("accepted_sop_class_extended", ())
        }
        self.requestor.sop_class_extended = proposed
        self.requestor.sop_class_common_extended = common
        self.acceptor.sop_class_extended = answered
        return items

    def _refresh(self) -> None:
        if self._accepted is None:
            self._fill_users()

    @property
    def accepted_contexts(self) -> List[PresentationContext]:
        """The presentation contexts the acceptor accepted."""
        self._refresh()
        return list(self._accepted or [])

    @property
    def rejected_contexts(self) -> List[PresentationContext]:
        """The presentation contexts the acceptor rejected (with their result)."""
        self._refresh()
        return list(self._rejected or [])

    @property
    def peer_certificate(self) -> Optional[Dict[str, Any]]:
        """Who the peer's TLS certificate names, for handlers that authorise by it, shaped
        as ``ssl.SSLSocket.getpeercert()`` gives it: ``subject`` (a tuple of RDNs, each a
        tuple of ``(name, value)``), ``subjectAltName`` (``(("DNS", ...), ("IP Address",
        ...))``), plus ``subject_rfc4514`` (``"CN=client,O=Hospital"``); ``None`` over plain
        TCP or when the peer sent no certificate. (pynetdicom users read ``getpeercert()``
        on the association's socket.)"""
        if self._core is None:
            return None
        return self._core.peer_certificate  # type: ignore[no-any-return]

    @property
    def peer_certificate_subject(self) -> Optional[str]:
        """The peer's TLS certificate subject as an RFC 4514 string (``"CN=modality,O=..."``),
        or ``None``."""
        cert = self.peer_certificate
        return None if cert is None else str(cert["subject_rfc4514"])

    @property
    def rejection(self) -> Optional[Tuple[int, int, int]]:
        """``(result, source, reason)`` of the A-ASSOCIATE-RJ, if rejected."""
        return None if self._core is None else self._core.rejection

    # ----- handlers ------------------------------------------------------------------------

    def bind(
        self, event: Any, handler: Callable[..., Any], args: Optional[List[Any]] = None
    ) -> None:
        """Bind `handler` to `event` for this association; it applies at once, also while
        the association is established.

        Parameters
        ----------
        event : evt.NotificationEvent or evt.InterventionEvent
            The event, e.g. ``evt.EVT_C_ECHO`` or ``evt.EVT_RELEASED``.
        handler : callable
            Called with the :class:`~fastdimse.evt.Event` (then `args`, if given).
        args : list, optional
            Extra positional arguments for `handler`.
        """
        evt._add_handler(event, self._handlers, (handler, args))
        self._push_interest()

    def unbind(self, event: Any, handler: Callable[..., Any]) -> None:
        """Unbind `handler` from `event` for this association, at once (an intervention
        event gets its default handler back). Unbinding what is not bound does nothing."""
        evt._remove_handler(event, self._handlers, handler)
        self._push_interest()

    def _push_interest(self) -> None:
        """Tells the core which events this association's handlers now observe."""
        if self._core is None:
            return
        from ._dispatch import handles_echo, observed_mask

        self._core.update_interest(observed_mask(self._handlers), handles_echo(self._handlers))

    def get_handlers(self, event: Any) -> Any:
        """The ``(handler, args)`` bindings of `event`: a list for a notification event, one
        pair for an intervention event (its default handler if none is bound)."""
        if isinstance(event, evt.NotificationEvent):
            return list(self._handlers.get(event, []))
        bound = self._handlers.get(event)
        if bound is None:
            return (evt.get_default_handler(event), None)
        return bound

    # ----- SCU operations ------------------------------------------------------------------

    def _verification_context(self) -> PresentationContext:
        for context in self.accepted_contexts:
            if context.abstract_syntax == VERIFICATION and context.as_scu is not False:
                return context
        raise ValueError(
            "No presentation context for 'Verification SOP Class' has been accepted by the "
            "peer for the SCU role"
        )

    def send_c_echo(self, msg_id: int = 1) -> Dataset:
        """Send a C-ECHO-RQ and return the response's status as a Dataset.

        The GIL is released while the core waits for the response.

        Parameters
        ----------
        msg_id : int, optional
            The request's Message ID, 0 to 65535 (default 1).

        Returns
        -------
        pydicom.dataset.Dataset
            ``Status`` and any ``ErrorComment``, ``ErrorID`` or ``OffendingElement`` the
            peer sent. Empty if no valid response came (DIMSE timeout, abort, closed
            connection); the association is then aborted.

        Raises
        ------
        RuntimeError
            If the association is not established.
        ValueError
            If `msg_id` is out of range or already used by a request in flight, or the
            peer accepted no Verification context for our SCU role.
        fastdimse.exceptions.AssociationError
            If the request would exceed the negotiated asynchronous operations window.
        """
        context = self._check_echo(msg_id)
        return self._echo_result(self._core.echo(msg_id, context.context_id))

    async def send_c_echo_async(self, msg_id: int = 1) -> Dataset:
        """:meth:`send_c_echo` for asyncio: the event loop keeps running while the request
        is in flight, and no thread waits for it.

        One association carries as many echoes at once as its asynchronous operations
        window allows (``ext_neg=[AsynchronousOperationsWindowNegotiation()]``, 1 without
        it), each with its own `msg_id`; one more raises :class:`AssociationError`.

        Parameters
        ----------
        msg_id : int, optional
            The request's Message ID, 0 to 65535 (default 1).

        Returns
        -------
        pydicom.dataset.Dataset
            As :meth:`send_c_echo` returns it (empty if no valid response came).

        Raises
        ------
        RuntimeError, ValueError, fastdimse.exceptions.AssociationError
            As :meth:`send_c_echo`.
        """
        context = self._check_echo(msg_id)
        core = self._core
        outcome = await _completion.start(
            lambda target: core.echo_async(msg_id, target, context.context_id)
        )
        return self._echo_result(outcome)

    def _check_echo(self, msg_id: int) -> PresentationContext:
        if not self.is_established:
            raise RuntimeError(
                "The association with a peer SCP must be established before sending a "
                "C-ECHO request"
            )
        if not isinstance(msg_id, int) or isinstance(msg_id, bool) or not 0 <= msg_id <= 0xFFFF:
            raise ValueError(f"msg_id must be an int between 0 and 65535, not {msg_id!r}")
        return self._verification_context()

    @staticmethod
    def _echo_result(outcome: Optional[Tuple[int, bytes]]) -> Dataset:
        if outcome is None:
            return Dataset()
        status, command = outcome
        if _core.has_status_details(command):
            from .dimse_primitives import status_dataset_from_command

            elements = {tag: value for tag, _keyword, _vr, value in _core.decode_command(command)}
            rsp = status_dataset_from_command(elements)
        else:
            # Only a Status, which the core has already read and checked: the same Dataset
            # for a fraction of the cost, and every echo pays it.
            rsp = status_dataset(status)
        if LOGGER.isEnabledFor(logging.INFO):
            LOGGER.info(f"Received Echo Response (Status: {code_to_category(status)})")
        return rsp

    def send_c_cancel(
        self, msg_id: int, context_id: Optional[int] = None, query_model: Optional[str] = None
    ) -> None:
        """Send a C-CANCEL-RQ for the request `msg_id` on `context_id`.

        Parameters
        ----------
        msg_id : int
            The Message ID of the request to cancel, 0 to 65535.
        context_id : int, optional
            The presentation context to send it on; by default the first accepted one.
        query_model : str, optional
            Accepted for pynetdicom compatibility and not used (no query services here).

        Raises
        ------
        RuntimeError
            If the association is not established.
        ValueError
            If `msg_id` is out of range or no context was accepted.
        """
        if not self.is_established:
            raise RuntimeError(
                "The association with a peer SCP must be established before sending a "
                "C-CANCEL request"
            )
        if not isinstance(msg_id, int) or isinstance(msg_id, bool) or not 0 <= msg_id <= 0xFFFF:
            raise ValueError(f"msg_id must be an int between 0 and 65535, not {msg_id!r}")
        if context_id is None:
            contexts = self.accepted_contexts
            if not contexts:
                raise ValueError("No accepted presentation context to send the C-CANCEL on")
            context_id = int(contexts[0].context_id or 1)
        self._core.send_cancel(msg_id, context_id)

    def release(self) -> None:
        """Release the association (A-RELEASE), waiting for the peer's answer (at most the
        ACSE timeout; the association is aborted if none comes). Does nothing unless the
        association is established."""
        if self._core is None or not self.is_established:
            return
        self._core.release()

    def abort(self) -> None:
        """Abort the association (A-ABORT, service-user source). Does nothing once it has
        ended."""
        if self._core is None or not self.is_alive():
            return
        self._core.abort()

    async def release_async(self) -> None:
        """:meth:`release` for asyncio: awaits the peer's answer without blocking the event
        loop. Does nothing unless the association is established."""
        if self._core is None or not self.is_established:
            return
        await _completion.start(self._core.release_async)

    def __enter__(self) -> Association:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.is_established:
            self.release()

    def __repr__(self) -> str:
        return f"<Association #{self.native_id} {self.mode} {self._state}>"


def wrap(
    ae: ApplicationEntity, core: Any, handlers: Optional[Dict[Any, Any]] = None
) -> Association:
    """The one Association object of `core`, created on first use."""
    existing = core.user
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    return core.attach_user(Association(ae, core, handlers))  # type: ignore[no-any-return]


AssociationType = Union[Association]
