"""``AE``: the application entity, with pynetdicom 3.0.4's names, defaults and checks.

Settings are validated when they are set, so a bad value fails at the line that set it,
with the value named. Everything that touches the network is done by the Rust core.
"""

from __future__ import annotations

import logging
import socket
import threading
import warnings
import weakref
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from pydicom.uid import UID

from . import _completion, _core, evt
from .association import Association, wrap
from .pdu_primitives import _check_window
from .presentation import DEFAULT_TRANSFER_SYNTAXES, PresentationContext, build_context

LOGGER = logging.getLogger("fastdimse")

PYNETDICOM_MAXIMUM_PDU = 16382
_MAX_CONTEXTS = 128


def _ae_problem(value: str) -> Optional[str]:
    """What is wrong with `value` as an AE title (pynetdicom's words), or None."""
    from . import _config

    if not value.strip():
        return "must not consist entirely of spaces" if value else "must not be an empty str"
    ok, reason = _config.VALIDATORS["AE"](value)
    return None if ok else reason


def _set_ae(value: object, name: str) -> str:
    """`value` as an AE title setting called `name`, checked as pynetdicom checks it.

    The value is kept as given, padding included (pynetdicom keeps it; leading and trailing
    spaces are not significant, and the core trims them when it compares or encodes). The
    checks are ``_config.VALIDATORS["AE"]``, so a user's replacement applies, and the
    messages are pynetdicom's, which its users match in tests. ``bytes`` is the caller's
    business (a DeprecationWarning then a decode).
    """
    if not isinstance(value, str):
        raise TypeError(f"'{name}' must be str, not '{type(value).__name__}'")
    problem = _ae_problem(value)
    if problem is not None:
        shown = f" '{value}'" if value.strip() else ""
        msg = f"Invalid '{name}' value{shown} - {problem}"
        LOGGER.error(msg)
        raise ValueError(msg)
    return value


def _decode_deprecated(value: object, name: str) -> object:
    """A ``bytes`` AE title as ``str``, with pynetdicom's DeprecationWarning."""
    if isinstance(value, bytes):
        warnings.warn(
            f"The use of bytes with '{name}' is deprecated, use an ASCII str instead",
            DeprecationWarning,
            stacklevel=3,
        )
        return value.decode("ascii", errors="replace")
    return value


def _sop_class_extended(item: Any) -> Tuple[str, bytes]:
    """A SOP class extended negotiation item (ours or pynetdicom's) for the core."""
    uid = item.sop_class_uid
    info = item.service_class_application_information
    if uid is None or info is None:
        raise ValueError(
            "SOP Class UID and Service Class Application Information must be set prior to "
            "Association negotiation"
        )
    return str(uid), bytes(info)


def _sop_class_common_extended(item: Any) -> Tuple[str, str, List[str]]:
    """A SOP class common extended negotiation item (ours or pynetdicom's) for the core."""
    if item.sop_class_uid is None or item.service_class_uid is None:
        raise ValueError(
            "SOP Class UID and Service Class UID must be set prior to Association negotiation"
        )
    related = [str(uid) for uid in item.related_general_sop_class_identification or []]
    return str(item.sop_class_uid), str(item.service_class_uid), related


def _timeout_or_default(name: str, value: object, default: Optional[float]) -> Optional[float]:
    """pynetdicom's timeout setters: None, a non-negative number, or else a warning and
    `default`. (``connection_timeout`` also turns 0 into its default, None: a zero timeout
    would make the connect non-blocking in pynetdicom.)"""
    if value is None:
        return None
    minimum_ok = (lambda v: v > 0) if name == "connection_timeout" else (lambda v: v >= 0)
    if isinstance(value, (int, float)) and minimum_ok(value) and value == value:
        return value  # type: ignore[return-value]
    LOGGER.warning(_TIMEOUT_WARNINGS[name])
    return default


_TIMEOUT_WARNINGS = {
    "acse_timeout": "ACSE timeout set to 30 seconds",
    "dimse_timeout": "dimse_timeout set to 30 s",
    "network_timeout": "network_timeout set to 60 s",
    "connection_timeout": "connection_timeout set to None",
}


def _validate_uid(value: object, name: str) -> UID:
    """A UID setting checked as pynetdicom's ``implementation_class_uid`` setter does."""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if not isinstance(value, str):
        raise TypeError(f"'{name}' must be str, bytes or UID, not '{type(value).__name__}'")
    from pydicom import config

    uid = UID(value, validation_mode=config.IGNORE)
    if not uid:
        raise ValueError(f"Invalid '{name}' value - must not be an empty str")
    if len(uid) > 64 or not uid.is_valid:
        msg = f"Invalid '{name}' value '{uid}'"
        LOGGER.error(msg)
        raise ValueError(msg)
    return uid


def _is_context(item: object) -> bool:
    """A PresentationContext, ours or one shaped as one (pynetdicom's)."""
    return isinstance(item, PresentationContext) or (
        hasattr(item, "abstract_syntax") and hasattr(item, "transfer_syntax")
    )


def _check_requested(contexts: Sequence[Any]) -> None:
    """pynetdicom's checks of a list of requested contexts, with its messages."""
    if len(contexts) > _MAX_CONTEXTS:
        raise ValueError(
            f"The maximum allowed number of requested presentation contexts is {_MAX_CONTEXTS}"
            f", not {len(contexts)}"
        )
    if any(not _is_context(c) for c in contexts):
        raise ValueError("'contexts' must be a list of PresentationContext items")


class ApplicationEntity:
    """A DICOM application entity: requests associations and serves them.

    pynetdicom's ``AE``: the same settings, defaults and checks. Every setting is
    validated when it is set, so a bad value raises at the line that set it.

    Parameters
    ----------
    ae_title : str, optional
        Our AE title, 1 to 16 printable ASCII characters, not only spaces (default
        ``"PYNETDICOM"``, as pynetdicom's). Used as the calling AE title when requesting an
        association, and as the title a server answers to.

    Raises
    ------
    TypeError
        If `ae_title` is not a ``str``.
    ValueError
        If `ae_title` is empty, too long, only spaces or has a character that is not allowed.

    Examples
    --------
    A Verification SCU::

        from fastdimse import AE
        from fastdimse.sop_class import Verification

        ae = AE(ae_title="MY-SCU")
        ae.add_requested_context(Verification)
        assoc = ae.associate("127.0.0.1", 11112)
    """

    def __init__(self, ae_title: str = "PYNETDICOM") -> None:
        self.ae_title = ae_title
        self._acse_timeout: Optional[float] = 30.0
        self._dimse_timeout: Optional[float] = 30.0
        self._network_timeout: Optional[float] = 60.0
        self._connection_timeout: Optional[float] = None
        self._maximum_associations = 10
        self._maximum_pdu_size = PYNETDICOM_MAXIMUM_PDU
        self._require_called_aet = False
        self._io_threads: Optional[int] = None
        self._poll_ceiling_us: Optional[int] = None
        self._require_calling_aet: List[str] = []
        self._implementation_class_uid = UID(_core.IMPLEMENTATION_CLASS_UID)
        self._implementation_version_name: Optional[str] = _core.IMPLEMENTATION_VERSION_NAME
        self._requested_contexts: List[PresentationContext] = []
        self._supported_contexts: Dict[str, PresentationContext] = {}
        self._servers: List[AssociationServer] = []
        self._requested: weakref.WeakSet[Association] = weakref.WeakSet()
        self._lock = threading.Lock()

    # ----- identity ------------------------------------------------------------------------

    @property
    def ae_title(self) -> str:
        """Our AE title (up to 16 ASCII characters, not only spaces), kept as given,
        padding included, as pynetdicom keeps it; the padding is not sent. ``bytes`` is
        decoded with pynetdicom's ``DeprecationWarning``."""
        return self._ae_title

    @ae_title.setter
    def ae_title(self, value: str) -> None:
        self._ae_title = _set_ae(_decode_deprecated(value, "ae_title"), "ae_title")

    @property
    def implementation_class_uid(self) -> UID:
        """The Implementation Class UID sent in association requests and answers
        (fastdimse's own by default). Setting it raises ``ValueError`` for an invalid UID."""
        return self._implementation_class_uid

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: str) -> None:
        self._implementation_class_uid = _validate_uid(value, "implementation_class_uid")
        self._settings_changed()

    @property
    def implementation_version_name(self) -> Optional[str]:
        """The Implementation Version Name sent with the Implementation Class UID, or None to
        send none. Setting it raises ``TypeError`` for a non-str and ``ValueError`` for a
        value that is not 1 to 16 ASCII characters."""
        return self._implementation_version_name

    @implementation_version_name.setter
    def implementation_version_name(self, value: Optional[str]) -> None:
        if value is not None:
            if not isinstance(value, str):
                raise TypeError(
                    f"'implementation_version_name' must be str or None, not "
                    f"'{type(value).__name__}'"
                )
            if not value:
                raise ValueError(
                    "Invalid 'implementation_version_name' value - must not be an empty str"
                )
            from . import _config

            ok, reason = _config.VALIDATORS["AE"](value)
            if not ok:
                msg = f"Invalid 'implementation_version_name' value '{value}' - {reason}"
                LOGGER.error(msg)
                raise ValueError(msg)
        self._implementation_version_name = value
        self._settings_changed()

    # ----- timeouts and limits ---------------------------------------------------------------

    @property
    def acse_timeout(self) -> Optional[float]:
        """Seconds to wait for association negotiation and release (and ARTIM)."""
        return self._acse_timeout

    @acse_timeout.setter
    def acse_timeout(self, value: Optional[float]) -> None:
        self._acse_timeout = _timeout_or_default("acse_timeout", value, 30)
        self._settings_changed("acse_timeout")

    @property
    def dimse_timeout(self) -> Optional[float]:
        """Seconds to wait for a DIMSE response."""
        return self._dimse_timeout

    @dimse_timeout.setter
    def dimse_timeout(self, value: Optional[float]) -> None:
        self._dimse_timeout = _timeout_or_default("dimse_timeout", value, 30)
        self._settings_changed("dimse_timeout")

    @property
    def network_timeout(self) -> Optional[float]:
        """Seconds without anything received before an association is aborted."""
        return self._network_timeout

    @network_timeout.setter
    def network_timeout(self, value: Optional[float]) -> None:
        self._network_timeout = _timeout_or_default("network_timeout", value, 60)
        self._settings_changed("network_timeout")

    @property
    def connection_timeout(self) -> Optional[float]:
        """Seconds to wait for the TCP connection when requesting an association."""
        return self._connection_timeout

    @connection_timeout.setter
    def connection_timeout(self, value: Optional[float]) -> None:
        self._connection_timeout = _timeout_or_default("connection_timeout", value, None)
        self._settings_changed("connection_timeout")

    # ----- fastdimse's own tuning (no pynetdicom equivalent) ----------------------------------

    @property
    def io_threads(self) -> Optional[int]:
        """I/O threads of the process's server runtime, which serves every accepted
        association of every server (``None``: ``FASTDIMSE_WORKERS``, else one per core).

        Read when this AE starts a server. The runtime is started once per process, by
        the first server: a later server that asks for another number raises
        ``ValueError`` naming the number it runs with. Fewer threads are not cheaper
        (docs/migration.md, "Threads and performance").
        """
        return self._io_threads

    @io_threads.setter
    def io_threads(self, value: Optional[int]) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"io_threads must be an int or None, not {value!r}")
        if value is not None and not 1 <= value <= 1024:
            raise ValueError(f"io_threads must be 1 to 1024, not {value}")
        self._io_threads = value

    @property
    def poll_ceiling_us(self) -> Optional[int]:
        """The longest adaptive poll, in microseconds, before a thread waiting on this AE's
        associations sleeps (``None``: ``FASTDIMSE_SPIN_US``, else 100; ``0`` turns
        polling off). Applies to associations started after it is set.

        Why it exists: on a virtual machine, being woken costs about what a loopback round
        trip does, and polling for an answer that is due within microseconds is cheaper
        (docs/migration.md, "Threads and performance").
        """
        return self._poll_ceiling_us

    @poll_ceiling_us.setter
    def poll_ceiling_us(self, value: Optional[int]) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"poll_ceiling_us must be an int or None, not {value!r}")
        if value is not None and not 0 <= value <= 10_000:
            raise ValueError(f"poll_ceiling_us must be 0 to 10000 microseconds, not {value}")
        self._poll_ceiling_us = value
        self._settings_changed()

    @property
    def maximum_associations(self) -> int:
        """Associations a server serves at once; more are rejected (2, 3, 2)."""
        return self._maximum_associations

    @maximum_associations.setter
    def maximum_associations(self, value: int) -> None:
        # pynetdicom's: anything but an int of at least 1 gives 1, with a warning.
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            LOGGER.warning("maximum_associations set to 1")
            value = 1
        self._maximum_associations = value
        self._settings_changed()

    @property
    def maximum_pdu_size(self) -> int:
        """The largest P-DATA-TF PDU we receive (0 = no limit), announced to peers."""
        return self._maximum_pdu_size

    @maximum_pdu_size.setter
    def maximum_pdu_size(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"maximum_pdu_size must be an int, not {value!r}")
        if value < 0:
            # pynetdicom's: a warning, and the value is not changed.
            LOGGER.warning(f"maximum_pdu_size set to {PYNETDICOM_MAXIMUM_PDU}")
            return
        if value > 0xFFFFFFFF:
            # The A-ASSOCIATE item carries 32 bits (PS3.8 D.1.1): pynetdicom would fail
            # when encoding it; we fail here, at the line that set it.
            raise ValueError(f"maximum_pdu_size must be between 0 and 2**32 - 1, not {value}")
        self._maximum_pdu_size = value
        self._settings_changed()

    @property
    def require_called_aet(self) -> bool:
        """Reject (1, 1, 7) requests whose called AE title is not ours."""
        return self._require_called_aet

    @require_called_aet.setter
    def require_called_aet(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"require_called_aet must be a bool, not {value!r}")
        self._require_called_aet = value
        self._settings_changed()

    @property
    def require_calling_aet(self) -> List[str]:
        """If not empty, reject (1, 1, 3) requests from any other calling AE title."""
        return list(self._require_calling_aet)

    @require_calling_aet.setter
    def require_calling_aet(self, value: Sequence[str]) -> None:
        if isinstance(value, (str, bytes)):
            raise TypeError("require_calling_aet must be a list of AE titles, not a single title")
        value = list(value)
        if any(isinstance(v, bytes) for v in value):
            warnings.warn(
                "The use of a list of bytes with 'require_calling_aet' is deprecated, use a "
                "list of ASCII str instead",
                DeprecationWarning,
                stacklevel=2,
            )
        self._require_calling_aet = [
            _set_ae(
                v.decode("ascii", errors="replace") if isinstance(v, bytes) else v,
                "require_calling_aet",
            )
            for v in value
        ]
        self._settings_changed()

    # ----- presentation contexts -------------------------------------------------------------

    @property
    def requested_contexts(self) -> List[PresentationContext]:
        """The contexts proposed when requesting an association."""
        return list(self._requested_contexts)

    @requested_contexts.setter
    def requested_contexts(self, contexts: Sequence[PresentationContext]) -> None:
        if contexts:
            _check_requested(contexts)
        self._requested_contexts = []
        for context in contexts:
            self.add_requested_context(context.abstract_syntax or "", context.transfer_syntax)

    def add_requested_context(
        self,
        abstract_syntax: Union[str, UID],
        transfer_syntax: Union[str, Sequence[str], None] = None,
    ) -> None:
        """Propose `abstract_syntax` in the associations this AE requests.

        Parameters
        ----------
        abstract_syntax : str or pydicom.uid.UID
            The SOP Class UID, e.g. ``Verification`` from :mod:`fastdimse.sop_class`.
        transfer_syntax : str or list of str, optional
            The transfer syntaxes to propose (default: implicit VR little endian, explicit
            VR little endian, deflated explicit VR little endian, explicit VR big endian).

        Raises
        ------
        ValueError
            If 128 contexts are already requested, or a UID is invalid.
        """
        if len(self._requested_contexts) >= _MAX_CONTEXTS:
            raise ValueError(
                "Failed to add the requested presentation context as there are already the "
                "maximum allowed number of requested contexts"
            )
        context = build_context(abstract_syntax, transfer_syntax or DEFAULT_TRANSFER_SYNTAXES)
        self._requested_contexts.append(context)

    def remove_requested_context(
        self,
        abstract_syntax: Union[str, UID],
        transfer_syntax: Union[str, Sequence[str], None] = None,
    ) -> None:
        """Stop proposing `abstract_syntax`, or only some of its transfer syntaxes.

        Parameters
        ----------
        abstract_syntax : str or pydicom.uid.UID
            The SOP Class UID to stop proposing.
        transfer_syntax : str or list of str, optional
            Remove only these transfer syntaxes; a context left with none is removed.

        Raises
        ------
        ValueError
            If no requested context has `abstract_syntax`.
        """
        uid = UID(abstract_syntax)
        if not any(c.abstract_syntax == uid for c in self._requested_contexts):
            raise ValueError(f"No requested context for '{uid}'")
        if transfer_syntax is None:
            self._requested_contexts = [
                c for c in self._requested_contexts if c.abstract_syntax != uid
            ]
            return
        drop = {transfer_syntax} if isinstance(transfer_syntax, str) else set(transfer_syntax)
        kept = []
        for c in self._requested_contexts:
            if c.abstract_syntax == uid:
                c.transfer_syntax = [ts for ts in c.transfer_syntax if ts not in drop]
                if not c.transfer_syntax:
                    continue
            kept.append(c)
        self._requested_contexts = kept

    @property
    def supported_contexts(self) -> List[PresentationContext]:
        """The contexts a server accepts, sorted by abstract syntax."""
        return [self._supported_contexts[k] for k in sorted(self._supported_contexts)]

    @supported_contexts.setter
    def supported_contexts(self, contexts: Sequence[PresentationContext]) -> None:
        if any(not _is_context(c) for c in contexts or ()):
            raise ValueError("'contexts' must be a list of PresentationContext items")
        self._supported_contexts = {}
        for c in contexts:
            self.add_supported_context(
                c.abstract_syntax or "", c.transfer_syntax, c.scu_role, c.scp_role
            )

    def add_supported_context(
        self,
        abstract_syntax: Union[str, UID],
        transfer_syntax: Union[str, Sequence[str], None] = None,
        scu_role: Optional[bool] = None,
        scp_role: Optional[bool] = None,
    ) -> None:
        """Accept `abstract_syntax` in associations this AE's servers are asked for.

        Adding an abstract syntax that is already supported adds the new transfer
        syntaxes to it and replaces its roles.

        Parameters
        ----------
        abstract_syntax : str or pydicom.uid.UID
            The SOP Class UID, e.g. ``Verification``.
        transfer_syntax : str or list of str, optional
            The transfer syntaxes accepted, in our order of preference (default: the four
            that :meth:`add_requested_context` proposes).
        scu_role, scp_role : bool, optional
            The answer to an SCP/SCU Role Selection proposal for this abstract syntax;
            ``None`` (the default) answers with the roles the DICOM default gives.

        Raises
        ------
        TypeError
            If `scu_role` or `scp_role` is neither a ``bool`` nor ``None``.
        ValueError
            If a UID is invalid or 65536 contexts are already supported.
        """
        for name, role in (("scu_role", scu_role), ("scp_role", scp_role)):
            if role is not None and not isinstance(role, bool):
                raise TypeError(f"`{name}` must be None or bool")
        context = build_context(abstract_syntax, transfer_syntax or DEFAULT_TRANSFER_SYNTAXES)
        existing = self._supported_contexts.get(str(context.abstract_syntax))
        if existing is not None:
            for ts in context.transfer_syntax:
                existing.add_transfer_syntax(ts)
            context = existing
        elif len(self._supported_contexts) >= 2**16:
            raise ValueError("too many supported contexts")
        context.scu_role = scu_role
        context.scp_role = scp_role
        self._supported_contexts[str(context.abstract_syntax)] = context

    def remove_supported_context(
        self,
        abstract_syntax: Union[str, UID],
        transfer_syntax: Union[str, Sequence[str], None] = None,
    ) -> None:
        """Stop accepting `abstract_syntax`, or only some of its transfer syntaxes.

        Parameters
        ----------
        abstract_syntax : str or pydicom.uid.UID
            The SOP Class UID to stop accepting.
        transfer_syntax : str or list of str, optional
            Remove only these transfer syntaxes; a context left with none is removed.

        Raises
        ------
        ValueError
            If no supported context has `abstract_syntax`.
        """
        key = str(UID(abstract_syntax))
        if key not in self._supported_contexts:
            raise ValueError(f"No supported context for '{key}'")
        if transfer_syntax is None:
            del self._supported_contexts[key]
            return
        drop = {transfer_syntax} if isinstance(transfer_syntax, str) else set(transfer_syntax)
        context = self._supported_contexts[key]
        context.transfer_syntax = [ts for ts in context.transfer_syntax if ts not in drop]
        if not context.transfer_syntax:
            del self._supported_contexts[key]

    # ----- settings for the core -------------------------------------------------------------

    def _settings_changed(self, timeout: Optional[str] = None) -> None:
        """A setting changed: it reaches what pynetdicom's would reach. Servers accept new
        associations with it (pynetdicom reads the AE when it accepts); a timeout also
        changes every active association, as pynetdicom's AE setters do."""
        if not hasattr(self, "_servers"):
            return  # still in __init__
        with self._lock:
            servers = list(self._servers)
        for server in servers:
            server._reconfigure()
        if timeout is not None:
            value = getattr(self, timeout)
            for assoc in self.active_associations:
                setattr(assoc, timeout, value)

    def _timeouts(self) -> Dict[str, Any]:
        """The settings every association's config carries: timeouts and the poll."""
        return {
            "acse_timeout": self.acse_timeout,
            "dimse_timeout": self.dimse_timeout,
            "network_timeout": self.network_timeout,
            "connection_timeout": self.connection_timeout,
            "poll_ceiling_us": self.poll_ceiling_us,
        }

    def _server_config(
        self, ae_title: str, contexts: Sequence[PresentationContext], tls: Any = None
    ) -> Dict[str, Any]:
        return {
            "tls": tls,
            "ae_title": ae_title,
            "require_called_aet": self.require_called_aet,
            "require_calling_aet": self.require_calling_aet,
            "contexts": [
                (
                    str(c.abstract_syntax),
                    [str(t) for t in c.transfer_syntax],
                    c.scu_role,
                    c.scp_role,
                )
                for c in contexts
            ],
            "maximum_pdu_size": self.maximum_pdu_size,
            "implementation_class_uid": str(self.implementation_class_uid),
            "implementation_version_name": self.implementation_version_name,
            # Any int is accepted, as in pynetdicom; beyond 2**32 it means "no limit" anyway.
            "maximum_associations": min(self.maximum_associations, 2**32),
            **self._timeouts(),
        }

    # ----- requesting --------------------------------------------------------------------------

    def associate(
        self,
        addr: str,
        port: int,
        contexts: Optional[Sequence[PresentationContext]] = None,
        ae_title: str = "ANY-SCP",
        max_pdu: int = PYNETDICOM_MAXIMUM_PDU,
        ext_neg: Optional[Sequence[Any]] = None,
        bind_address: Optional[Tuple[str, int]] = None,
        tls_args: Optional[Any] = None,
        evt_handlers: Optional[Sequence[Any]] = None,
    ) -> Association:
        """Request an association with the AE at `addr`:`port`.

        The GIL is released while the core connects and negotiates.

        Parameters
        ----------
        addr : str
            The peer's IPv4/IPv6 address or host name.
        port : int
            The peer's listen port, 1 to 65535.
        contexts : list of PresentationContext, optional
            The presentation contexts to propose; by default :attr:`requested_contexts`.
        ae_title : str, optional
            The called AE title (default ``"ANY-SCP"``).
        max_pdu : int, optional
            The largest P-DATA-TF PDU we accept, in bytes (0 for no limit; default 16382).
        ext_neg : list, optional
            Extended negotiation items of :mod:`fastdimse.pdu_primitives` (pynetdicom's
            are accepted as well): a ``UserIdentityNegotiation``, an
            ``AsynchronousOperationsWindowNegotiation``, ``SCP_SCU_RoleSelectionNegotiation``,
            ``SOPClassExtendedNegotiation`` and ``SOPClassCommonExtendedNegotiation`` items;
            other items are not sent.
        bind_address : tuple of (str, int), optional
            The local (host, port) to connect from; ``None`` (the default) or ``("", 0)``
            lets the OS choose.
        tls_args : tuple, optional
            ``(ssl_context, server_hostname)`` for DICOM over TLS: an ``ssl.SSLContext``
            built as pynetdicom's documentation builds it (``create_default_context``,
            ``load_cert_chain``, ``load_verify_locations``, ``verify_mode``,
            ``check_hostname``) or a :class:`fastdimse.TLSConfig`, and the name to send as
            SNI and check the certificate against (``None``: none). The handshake is bounded
            by the ACSE timeout; a failed one is logged and gives an aborted association,
            as in pynetdicom. See docs/tls.md.
        evt_handlers : list of tuple, optional
            ``(event, handler)`` or ``(event, handler, args)`` bindings for this association.

        Returns
        -------
        Association
            In whatever state negotiation left it: check ``is_established``,
            ``is_rejected`` and ``is_aborted``. A connection that could not be made (refused,
            unresolvable host, timeout) gives an aborted association, as pynetdicom does.

        Raises
        ------
        TypeError
            If `addr` is neither a ``str`` nor an IPv6 ``(host, flowinfo, scope_id)``,
            `port` is not an ``int``, `bind_address` is not a (host, port) or
            (host, port, flowinfo, scope_id) tuple, or `ae_title` is not a ``str``
            (checked in that order, as pynetdicom checks them).
        ValueError
            If `port` is out of range, `max_pdu` or `ae_title` is invalid, more than 128
            contexts are given, or one is not a PresentationContext, or a SOP class
            (common) extended negotiation item in `ext_neg` lacks a value it needs.
        RuntimeError
            If no presentation context is requested.
        ValueError, TypeError
            If `tls_args` is not ``(context, server_hostname)`` or the context cannot be
            used (a key file that does not load, a context created before fastdimse was
            imported, TLS older than 1.2 required ...): the message names the setting.
        """
        config, handlers, dispatcher = self._request(
            addr, port, contexts, ae_title, max_pdu, ext_neg, tls_args, evt_handlers, bind_address
        )
        try:
            core = _core.associate(_peer_host(addr), port, config, dispatcher)
        except _core.NetworkError as exc:
            return self._failed_association(handlers, exc)
        return self._track(wrap(self, core, handlers))

    async def associate_async(
        self,
        addr: str,
        port: int,
        contexts: Optional[Sequence[PresentationContext]] = None,
        ae_title: str = "ANY-SCP",
        max_pdu: int = PYNETDICOM_MAXIMUM_PDU,
        ext_neg: Optional[Sequence[Any]] = None,
        bind_address: Optional[Tuple[str, int]] = None,
        tls_args: Optional[Any] = None,
        evt_handlers: Optional[Sequence[Any]] = None,
    ) -> Association:
        """:meth:`associate` for asyncio, with the same parameters in the same order.

        Awaits the outcome without blocking the event loop or occupying a thread. Event
        handlers still run on the core's handler threads.

        Returns
        -------
        Association
            As :meth:`associate` returns it.

        Raises
        ------
        TypeError, ValueError, RuntimeError
            As :meth:`associate`, before anything is sent.
        """
        config, handlers, dispatcher = self._request(
            addr, port, contexts, ae_title, max_pdu, ext_neg, tls_args, evt_handlers, bind_address
        )
        core = await _completion.start(
            lambda target: _core.associate_async(_peer_host(addr), port, config, dispatcher, target)
        )
        if isinstance(core, BaseException):
            return self._failed_association(handlers, core)
        return self._track(wrap(self, core, handlers))

    def _track(self, assoc: Association) -> Association:
        """Counts a requested association among :attr:`active_associations` while it
        lives."""
        with self._lock:
            self._requested.add(assoc)
        return assoc

    def _failed_association(
        self, handlers: Dict[Any, Any], error: Optional[BaseException] = None
    ) -> Association:
        # The core has logged why ("Association request failed: ..."); the error is kept
        # as ``_connect_error`` so that echoscu can name the cause (refused, timed out...).
        failed = Association(self, None, handlers)
        failed._failed = True
        failed._connect_error = error
        return failed

    def _request(
        self,
        addr: str,
        port: int,
        contexts: Optional[Sequence[PresentationContext]],
        ae_title: str,
        max_pdu: int,
        ext_neg: Optional[Sequence[Any]],
        tls_args: Optional[Any],
        evt_handlers: Optional[Sequence[Any]],
        bind_address: Optional[Tuple[str, int]] = None,
    ) -> Tuple[Dict[str, Any], Dict[Any, Any], Any]:
        """Checks the arguments of an association request and builds the core's settings.

        The checks run in pynetdicom's order (addr, port, bind_address, the called AE
        title, then the contexts) with its exception types and messages."""
        _peer_host(addr)  # TypeError for a bad addr, first (pynetdicom checks it first)
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError("'port' must be int")
        if not 0 < port < 65536:
            raise ValueError(f"'port' must be an int between 1 and 65535, not {port!r}")
        bind = _bind_address(bind_address)
        if (
            isinstance(max_pdu, bool)
            or not isinstance(max_pdu, int)
            or not 0 <= max_pdu <= 0xFFFFFFFF
        ):
            raise ValueError(f"'max_pdu' must be an int between 0 and 2**32 - 1, not {max_pdu!r}")
        tls = _client_tls(tls_args)
        called = _set_ae(_decode_deprecated(ae_title, "ae_title"), "ae_title")
        requested = list(contexts or self.requested_contexts)
        _check_requested(requested)
        if not requested:
            raise RuntimeError(
                "At least one requested presentation context is required before associating "
                "with a peer"
            )
        handlers: Dict[Any, Any] = {}
        evt.bind_handlers(handlers, evt_handlers)
        identity = None
        window = None
        roles: Dict[str, Tuple[bool, bool]] = {}
        extended: List[Tuple[str, bytes]] = []
        common: List[Tuple[str, str, List[str]]] = []
        for item in ext_neg or ():
            if hasattr(item, "sop_class_uid") and hasattr(item, "scp_role"):
                # SCP/SCU Role Selection: proposed for the contexts of its SOP class. A role
                # left unset is proposed as not wanted (0), as pynetdicom encodes it.
                if item.scu_role is not None or item.scp_role is not None:
                    roles[str(item.sop_class_uid)] = (bool(item.scu_role), bool(item.scp_role))
            elif hasattr(item, "user_identity_type"):
                identity = (
                    int(item.user_identity_type),
                    bytes(item.primary_field or b""),
                    bytes(item.secondary_field or b""),
                    bool(item.positive_response_requested),
                )
            elif hasattr(item, "maximum_number_operations_invoked"):
                # pynetdicom's item or ours: its fields checked as ours are.
                window = (
                    _check_window(
                        "maximum_number_operations_invoked", item.maximum_number_operations_invoked
                    ),
                    _check_window(
                        "maximum_number_operations_performed",
                        item.maximum_number_operations_performed,
                    ),
                )
            elif hasattr(item, "service_class_application_information"):
                extended.append(_sop_class_extended(item))
            elif hasattr(item, "related_general_sop_class_identification"):
                common.append(_sop_class_common_extended(item))
        config = {
            "calling_ae_title": self.ae_title,
            "called_ae_title": called,
            "contexts": [
                (
                    c.context_id,
                    str(c.abstract_syntax),
                    [str(t) for t in c.transfer_syntax],
                    *roles.get(str(c.abstract_syntax), (c.scu_role, c.scp_role)),
                )
                for c in requested
            ],
            "maximum_pdu_size": max_pdu,
            "implementation_class_uid": str(self.implementation_class_uid),
            "implementation_version_name": self.implementation_version_name,
            "user_identity": identity,
            "async_ops_window": window,
            "sop_class_extended": extended,
            "sop_class_common_extended": common,
            "bind_address": bind,
            "tls": tls,
            **self._timeouts(),
        }
        from ._dispatch import Dispatcher

        return config, handlers, Dispatcher(self, handlers)

    # ----- serving -------------------------------------------------------------------------------

    def start_server(
        self,
        address: Tuple[str, int],
        block: bool = True,
        ssl_context: Optional[Any] = None,
        evt_handlers: Optional[Sequence[Any]] = None,
        ae_title: Optional[str] = None,
        contexts: Optional[Sequence[PresentationContext]] = None,
    ) -> Optional[AssociationServer]:
        """Serve associations on `address` = (host, port).

        Parameters
        ----------
        address : tuple of (str, int)
            The local address and port to listen on; port 0 lets the OS choose (read it
            back from ``server_address``).
        block : bool, optional
            ``True`` (the default): serve until the server is shut down (Ctrl-C or SIGTERM
            does it) and return ``None``. ``False``: return the running server at once.
        ssl_context : ssl.SSLContext or TLSConfig, optional
            Serve DICOM over TLS: every accepted connection does the TLS handshake on its
            own association's task, bounded by ARTIM (the ACSE timeout), so a slow or
            garbage handshake holds up nobody else. Peers are verified as the context's
            ``verify_mode`` says (CERT_REQUIRED: a client certificate is required;
            CERT_OPTIONAL: checked if sent; CERT_NONE: not asked). See docs/tls.md.
        evt_handlers : list of tuple, optional
            ``(event, handler)`` or ``(event, handler, args)`` bindings for every
            association the server accepts.
        ae_title : str, optional
            The AE title this server answers to (default: :attr:`ae_title`).
        contexts : list of PresentationContext, optional
            The contexts it accepts (default: :attr:`supported_contexts`).

        Returns
        -------
        AssociationServer or None
            The running server when `block` is ``False``, else ``None``.

        Raises
        ------
        TypeError
            If `address` is not a (host: str, port: int) tuple or an IPv6 (host, port,
            flowinfo, scope_id) one.
        ValueError
            If no presentation context is supported ("No supported Presentation Contexts
            have been defined"), `ae_title` is invalid, or a context has one of
            `scu_role`/`scp_role` set and the other ``None`` (pynetdicom's check).
        ValueError, TypeError
            If `ssl_context` cannot be used (no certificate loaded, a key that does not
            load, a context created before fastdimse was imported ...): the message names
            the setting.
        fastdimse.exceptions.NetworkError
            If the address cannot be bound (in use, not on this machine, port out of range).
        """
        tls = None
        if ssl_context is not None:
            from ._tls import core_config

            tls = core_config(ssl_context, server_side=True)
        if (
            not isinstance(address, tuple)
            or len(address) not in (2, 4)
            or not isinstance(address[0], str)
            or any(isinstance(v, bool) or not isinstance(v, int) for v in address[1:])
        ):
            raise TypeError(
                "'address' must be a (host: str, port: int) tuple or an IPv6 (host, port, "
                f"flowinfo, scope_id) tuple, not {address!r}"
            )
        # pynetdicom's checks, in its order and with its messages.
        if not contexts and not self.supported_contexts:
            msg = "No supported Presentation Contexts have been defined"
            LOGGER.error(msg)
            raise ValueError(msg)
        title = _set_ae(_decode_deprecated(ae_title or self.ae_title, "ae_title"), "ae_title")
        supported = list(contexts or self.supported_contexts)
        inconsistent = [
            str(c.abstract_syntax)
            for c in supported
            if (c.scu_role is None) != (c.scp_role is None)
        ]
        if inconsistent:
            raise ValueError(
                "The following presentation contexts have inconsistent scu_role/scp_role "
                "values (if one is None, both must be):\n  " + "\n  ".join(inconsistent)
            )
        if self.io_threads is not None:
            _core.request_io_threads(self.io_threads)
        server = AssociationServer(self, address, title, supported, evt_handlers, tls)
        with self._lock:
            self._servers.append(server)
        if not block:
            return server
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            LOGGER.info("Interrupted: shutting down the server")
        finally:
            server.shutdown()
        return None

    def shutdown(self) -> None:
        """Stop every server this AE started and abort their associations."""
        with self._lock:
            servers, self._servers = self._servers, []
        for server in servers:
            server.shutdown()

    @property
    def active_associations(self) -> List[Association]:
        """Associations of this AE that are not over yet: those its servers accepted (until
        their connection closes) and those it requested (while alive)."""
        with self._lock:
            servers = list(self._servers)
            requested = list(self._requested)
        accepted = [a for s in servers for a in s.active_associations]
        return accepted + [a for a in requested if a.is_alive()]

    def __str__(self) -> str:
        return f"Application Entity '{self.ae_title}'"


def _client_tls(tls_args: Any) -> Any:
    """The core's TLS configuration for ``tls_args=(context, server_hostname)``, or None."""
    if tls_args is None:
        return None
    if not isinstance(tls_args, tuple) or len(tls_args) != 2:
        raise TypeError(
            f"'tls_args' must be a (ssl_context, server_hostname) tuple, not {tls_args!r}"
        )
    context, hostname = tls_args
    if hostname is not None and not isinstance(hostname, str):
        raise TypeError(f"the server_hostname in 'tls_args' must be str or None, not {hostname!r}")
    from ._tls import core_config

    return core_config(context, server_side=False, server_hostname=hostname)


def _peer_host(addr: object) -> str:
    """The host of `addr`: a str, or pynetdicom's IPv6 ``(host, flowinfo, scope_id)``."""
    if isinstance(addr, str):
        return addr
    if (
        isinstance(addr, tuple)
        and len(addr) == 3
        and isinstance(addr[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in addr[1:])
    ):
        return addr[0]
    raise TypeError("'addr' must be str or tuple[str, int, int]")


def _bind_address(value: object) -> Optional[Tuple[str, int]]:
    """The local (host, port) to connect from; None for the default (None or ("", 0)).

    pynetdicom's IPv6 form ``(host, port, flowinfo, scope_id)`` is accepted; the flow
    label and scope are not used (the host names the interface)."""
    if value is None:
        return None
    if (
        not isinstance(value, (tuple, list))
        or len(value) not in (2, 4)
        or not isinstance(value[0], str)
        or any(isinstance(v, bool) or not isinstance(v, int) for v in value[1:])
    ):
        raise TypeError("'bind_address' must be tuple[str, int] or tuple[str, int, int, int]")
    if not 0 <= value[1] <= 0xFFFF:
        raise ValueError(f"the port of 'bind_address' must be 0 to 65535, not {value[1]}")
    value = (value[0], value[1])
    if value == ("", 0):
        return None
    return (value[0], value[1])


class AddressInformation:
    """An IPv4 or IPv6 address and port (pynetdicom's ``AddressInformation``)."""

    def __init__(self, address: str, port: int, flowinfo: int = 0, scope_id: int = 0) -> None:
        self.address = address
        self.port = port
        self.flowinfo = flowinfo
        self.scope_id = scope_id

    @property
    def is_ipv6(self) -> bool:
        """True for an IPv6 address."""
        import ipaddress

        try:
            return ipaddress.ip_address(self.address.split("%")[0]).version == 6
        except ValueError:
            return False

    @property
    def is_ipv4(self) -> bool:
        """True for an IPv4 address."""
        return not self.is_ipv6

    @property
    def address_family(self) -> int:
        """``socket.AF_INET6`` or ``socket.AF_INET``."""
        return socket.AF_INET6 if self.is_ipv6 else socket.AF_INET

    @property
    def as_tuple(self) -> Tuple[Any, ...]:
        """``(address, port)``, or ``(address, port, flowinfo, scope_id)`` for IPv6."""
        if self.is_ipv6:
            return (self.address, self.port, self.flowinfo, self.scope_id)
        return (self.address, self.port)

    def __repr__(self) -> str:
        return f"AddressInformation({self.address!r}, {self.port})"


class AssociationServer:
    """A running server (pynetdicom's ``ThreadedAssociationServer`` API).

    Attributes
    ----------
    socket : socket.socket
        The listening socket, as pynetdicom's ``server.socket``: its address and options
        are the listener's. It holds a duplicate of the listener's descriptor (the listener
        itself is the Rust core's), so closing it does not stop the server;
        :meth:`shutdown` closes it.
    """

    def __init__(
        self,
        ae: ApplicationEntity,
        address: Tuple[str, int],
        ae_title: str,
        contexts: Sequence[PresentationContext],
        evt_handlers: Optional[Sequence[Any]],
        tls: Any = None,
    ) -> None:
        from ._dispatch import Dispatcher

        self.ae = ae
        self._tls = tls
        self.ae_title = ae_title
        self.contexts = list(contexts)
        self._handlers: Dict[Any, Any] = {}
        evt.bind_handlers(self._handlers, evt_handlers)
        self._dispatcher = Dispatcher(ae, self._handlers)
        self._stopped = threading.Event()
        self._core = _core.CoreServer(
            address[0], address[1], ae._server_config(ae_title, contexts, tls), self._dispatcher
        )
        self._flowinfo, self._scope_id = (address[2], address[3]) if len(address) == 4 else (0, 0)
        fd = self._core.take_listener_fd()
        self.socket: socket.socket = (
            socket.socket(fileno=fd) if fd is not None else _closed_socket(address[0])
        )
        LOGGER.debug(f"Server listening on {self.server_address}")

    @property
    def server_address(self) -> Tuple[str, int]:
        """(host, port) the server listens on."""
        return tuple(self._core.server_address)  # type: ignore[return-value]

    @property
    def address_info(self) -> AddressInformation:
        """Where the server listens, as pynetdicom's ``AddressInformation``: ``address``,
        ``port``, ``is_ipv4``, ``is_ipv6``, ``flowinfo``, ``scope_id``."""
        host, port = self.server_address
        return AddressInformation(host, port, self._flowinfo, self._scope_id)

    @property
    def active_associations(self) -> List[Association]:
        """The associations this server has open now."""
        return [self._dispatcher.association(core) for core in self._core.active_associations()]

    def bind(self, event: Any, handler: Any, args: Optional[List[Any]] = None) -> None:
        """Bind `handler` to `event` for the associations this server accepts from now on
        and, as in pynetdicom, for those already open.

        Parameters
        ----------
        event : evt.NotificationEvent or evt.InterventionEvent
            The event, e.g. ``evt.EVT_C_ECHO``.
        handler : callable
            Called with the :class:`~fastdimse.evt.Event` (and `args`, if given).
        args : list, optional
            Extra positional arguments passed to `handler` after the event.
        """
        active = self.active_associations
        evt._add_handler(event, self._handlers, (handler, args))
        self._push_interest()
        for assoc in active:
            assoc.bind(event, handler, args)

    def unbind(self, event: Any, handler: Any) -> None:
        """Unbind `handler` from `event` for new and open associations (an intervention
        event gets its default handler back). Unbinding what is not bound does nothing."""
        active = self.active_associations
        evt._remove_handler(event, self._handlers, handler)
        self._push_interest()
        for assoc in active:
            assoc.unbind(event, handler)

    def _push_interest(self) -> None:
        self._core.update_interest(
            self._dispatcher.observed,
            self._dispatcher.handles_echo,
            self._dispatcher.handles_user_identity,
            self._dispatcher.handles_sop_class_extended,
        )

    def _reconfigure(self) -> None:
        """The AE's settings changed: new associations start from the new ones."""
        self._core.reconfigure(self.ae._server_config(self.ae_title, self.contexts, self._tls))

    def get_events(self) -> List[Any]:
        """The events that have handlers bound (intervention events always do: their
        default until the user binds one), sorted by name, as pynetdicom's."""
        events = set(self._handlers) | set(evt._INTERVENTION_EVENTS)
        return sorted(events, key=lambda event: event.name)

    def get_handlers(self, event: Any) -> Any:
        """The handlers bound to `event`: a list of (handler, args) for a notification
        event, one (handler, args) for an intervention event (its default when unbound)."""
        if isinstance(event, evt.NotificationEvent):
            return list(self._handlers.get(event, []))
        return self._handlers.get(event, (evt.get_default_handler(event), None))

    def serve_forever(self) -> None:
        """Block (interruptibly) until :meth:`shutdown` is called."""
        # The core's threads block process signals, so Ctrl-C and SIGTERM reach a Python
        # thread; on the main thread they interrupt this wait at once. A signal taken by
        # another Python thread of the application does not wake it, so the wait is
        # bounded: 0.5 s, like pynetdicom's serve_forever, rather than waking an idle
        # server 20 times a second.
        while not self._stopped.wait(0.5):
            pass

    def shutdown(self) -> None:
        """Stop listening, abort the open associations and close :attr:`socket`."""
        self._core.shutdown()
        self.socket.close()
        self._stopped.set()

    def server_close(self) -> None:
        """The same as :meth:`shutdown` (``socketserver``'s name, which pynetdicom keeps)."""
        self.shutdown()

    def __enter__(self) -> AssociationServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _closed_socket(host: str) -> socket.socket:
    """A closed socket of `host`'s family, for a server whose listener is gone."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.close()
    return sock


AE = ApplicationEntity
