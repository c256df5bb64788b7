"""pynetdicom's service primitives (``pynetdicom.pdu_primitives``).

Two kinds live here, with pynetdicom's names, checks and messages:

* The user information items an application proposes in ``AE.associate(ext_neg=[...])`` and
  reads back on ``Association.requestor`` / ``Association.acceptor``:
  :class:`UserIdentityNegotiation`, :class:`AsynchronousOperationsWindowNegotiation`,
  :class:`SCP_SCU_RoleSelectionNegotiation`, :class:`SOPClassExtendedNegotiation`,
  :class:`SOPClassCommonExtendedNegotiation`, and the notifications every association
  carries (:class:`MaximumLengthNotification`, :class:`ImplementationClassUIDNotification`,
  :class:`ImplementationVersionNameNotification`). Each one's ``from_primitive()`` gives
  the :mod:`fastdimse.pdu_items` sub-item whose ``encode()`` is its bytes on the wire.
* The ACSE/DUL service primitives of PS3.8 section 7 (:class:`A_ASSOCIATE`,
  :class:`A_RELEASE`, :class:`A_ABORT`, :class:`A_P_ABORT`, :class:`P_DATA`), as value
  objects with checked parameters. fastdimse's core builds and reads the PDUs itself from
  the AE's settings, so nothing in fastdimse consumes these; they are here for code that
  builds or inspects them, and :mod:`fastdimse.pdu` encodes and decodes whole PDUs.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type, Union

from pydicom import config
from pydicom.uid import UID

from . import pdu_items
from .presentation import PresentationContext, _set_uid

LOGGER = logging.getLogger(__name__)

_IDENTITY_TYPES = {1: "Username", 2: "Username and passcode", 3: "Kerberos", 4: "SAML", 5: "JWT"}

_UidValue = Union[str, bytes, UID, None]


class ServiceParameter:
    """Base of the user information items: two items are equal when they are of the same
    class and hold the same values (as pynetdicom compares them); items are not hashable."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, self.__class__):
            return other.__dict__ == self.__dict__
        return False

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]


# ----- ACSE / DUL service primitives (PS3.8 section 7) -----------------------------------------

_USER_INFORMATION_CLASSES = frozenset(
    {
        "MaximumLengthNotification",
        "ImplementationClassUIDNotification",
        "ImplementationVersionNameNotification",
        "AsynchronousOperationsWindowNegotiation",
        "SCP_SCU_RoleSelectionNegotiation",
        "SOPClassExtendedNegotiation",
        "SOPClassCommonExtendedNegotiation",
        "UserIdentityNegotiation",
    }
)

_RESULTS = {0: "Accepted", 1: "Rejected Permanent", 2: "Rejected Transient"}
_SOURCES = {1: "Service User", 2: "Service Provider (ACSE)", 3: "Service Provider (Presentation)"}
# (result source, diagnostic) -> reason, PS3.8 table 9-21.
_REASONS: Dict[int, Dict[int, str]] = {
    1: {
        1: "No reason given",
        2: "Application context name not supported",
        3: "Calling AE title not recognised",
        7: "Called AE title not recognised",
        **{n: "Reserved" for n in (4, 5, 6, 8, 9, 10)},
    },
    2: {1: "No reason given", 2: "Protocol version not supported"},
    3: {
        1: "Temporary congestion",
        2: "Local limit exceeded",
        **{n: "Reserved" for n in (0, 3, 4, 5, 6, 7)},
    },
}


def _received_uid(value: str) -> UID:
    """A UID as a peer sent it, unchecked (pydicom would warn about a bad one)."""
    return UID(value, validation_mode=config.IGNORE)


def _error(exc_type: Type[Exception], message: str) -> Exception:
    """`message` logged as an error (as pynetdicom logs its setter failures), then the
    exception to raise."""
    LOGGER.error(message)
    return exc_type(message)


def _one_of(value: Optional[int], allowed: Tuple[int, ...], name: str) -> Optional[int]:
    """`value` if it is None or one of `allowed`; otherwise pynetdicom's log line and
    exception for the A_ASSOCIATE field `name` (their wordings differ)."""
    if value is not None and value not in allowed:
        LOGGER.error(f"A_ASSOCIATE.{name} set to an unknown value")
        raise ValueError(f"Unknown A_ASSOCIATE.{name} value")
    return value


def _address(value: Any, name: str) -> Any:
    """A presentation address: None, or an object with ``address`` and ``port``
    (pynetdicom's ``transport.AddressInformation``)."""
    if value is None or (hasattr(value, "address") and hasattr(value, "port")):
        return value
    raise _error(
        TypeError,
        f"'A_ASSOCIATE.{name}' must be an AddressInformation instance or None, not "
        f"{type(value).__name__}",
    )


def _contexts(value: Any, name: str) -> List[PresentationContext]:
    """A list of presentation contexts; other items are dropped with a warning."""
    if not isinstance(value, list):
        raise _error(TypeError, f"A_ASSOCIATE.{name} must be a list")
    kept = [item for item in value if type(item).__name__ == "PresentationContext"]
    if len(kept) != len(value):
        LOGGER.warning(
            f"Attempted to set A_ASSOCIATE.{name} to a list which includes one or more "
            "invalid items"
        )
    return kept


class A_ASSOCIATE:
    """The A-ASSOCIATE service primitive (PS3.8 7.1.1): request, indication, response and
    confirmation of an association.

    Parameters are checked when set (``TypeError`` for a wrong type, ``ValueError`` for a
    value outside PS3.8's table). The fixed parameters (``mode``,
    ``presentation_requirements``, ``session_requirements``) and the responding ones (the
    called AE title and address) are read-only.

    Attributes
    ----------
    application_context_name : pydicom.uid.UID or None
    calling_ae_title, called_ae_title : str
        "DEFAULT" until set; a title may not be empty or all spaces.
    user_information : list
        The user information items (``MaximumLengthNotification`` ... ``UserIdentityNegotiation``).
    result : int or None
        0 accepted, 1 rejected (permanent), 2 rejected (transient).
    result_source : int or None
        1 service user, 2 service provider (ACSE), 3 service provider (presentation).
    diagnostic : int or None
        The rejection reason: 1, 2, 3 or 7.
    calling_presentation_address, called_presentation_address : object or None
        An object with ``address`` and ``port`` (pynetdicom's ``AddressInformation``).
    presentation_context_definition_list : list of PresentationContext
        The proposed contexts.
    presentation_context_definition_results_list : list of PresentationContext
        The contexts as answered.
    """

    def __init__(self) -> None:
        self._application_context_name: Optional[UID] = None
        self._calling_ae_title = "DEFAULT"
        self._called_ae_title = "DEFAULT"
        self._user_information: List[Any] = []
        self._result: Optional[int] = None
        self._result_source: Optional[int] = None
        self._diagnostic: Optional[int] = None
        self._calling_presentation_address: Any = None
        self._called_presentation_address: Any = None
        self._presentation_context_definition_list: List[PresentationContext] = []
        self._presentation_context_definition_results_list: List[PresentationContext] = []

    @property
    def application_context_name(self) -> Optional[UID]:
        """The application context name (DICOM's is 1.2.840.10008.3.1.1.1). Set it to a
        str, bytes, UID or None; ``TypeError`` for another type, ``ValueError`` for an
        invalid UID (``_config.ENFORCE_UID_CONFORMANCE`` applies)."""
        return self._application_context_name

    @application_context_name.setter
    def application_context_name(self, value: _UidValue) -> None:
        self._application_context_name = _set_uid(value, "Application Context Name")

    @property
    def calling_ae_title(self) -> str:
        """The requestor's AE title. Setting a non-str raises ``TypeError``; an empty,
        all-space or invalid title ``ValueError``."""
        return self._calling_ae_title

    @calling_ae_title.setter
    def calling_ae_title(self, value: str) -> None:
        from .ae import _set_ae

        self._calling_ae_title = _set_ae(value, "Calling AE Title")

    @property
    def called_ae_title(self) -> str:
        """The AE title the request is addressed to. Setting a non-str raises
        ``TypeError``; an empty, all-space or invalid title ``ValueError``."""
        return self._called_ae_title

    @called_ae_title.setter
    def called_ae_title(self, value: str) -> None:
        from .ae import _set_ae

        self._called_ae_title = _set_ae(value, "Called AE Title")

    @property
    def responding_ae_title(self) -> str:
        """The responding AE title: the called AE title (read-only)."""
        return self.called_ae_title

    @property
    def user_information(self) -> List[Any]:
        """The user information items. Set it to a list: items of another class are
        dropped (and logged); anything but a list raises ``TypeError``."""
        return self._user_information

    @user_information.setter
    def user_information(self, value: List[Any]) -> None:
        if not isinstance(value, list):
            raise _error(TypeError, "A_ASSOCIATE.user_information must be a list")
        kept = [item for item in value if type(item).__name__ in _USER_INFORMATION_CLASSES]
        if len(kept) != len(value):
            LOGGER.info(
                "Attempted to set A_ASSOCIATE.user_information to a list which includes an "
                "unsupported item"
            )
        self._user_information = kept

    @property
    def result(self) -> Optional[int]:
        """0 accepted, 1 rejected (permanent), 2 rejected (transient), or None. Another
        value raises ``ValueError``."""
        return self._result

    @result.setter
    def result(self, value: Optional[int]) -> None:
        self._result = _one_of(value, (0, 1, 2), "result")

    @property
    def result_source(self) -> Optional[int]:
        """1 service user, 2 service provider (ACSE), 3 service provider (presentation), or
        None. Another value raises ``ValueError``."""
        return self._result_source

    @result_source.setter
    def result_source(self, value: Optional[int]) -> None:
        self._result_source = _one_of(value, (1, 2, 3), "result_source")

    @property
    def diagnostic(self) -> Optional[int]:
        """The rejection reason (1, 2, 3 or 7; its meaning depends on the source), or None.
        Another value raises ``ValueError``."""
        return self._diagnostic

    @diagnostic.setter
    def diagnostic(self, value: Optional[int]) -> None:
        self._diagnostic = _one_of(value, (1, 2, 3, 7), "diagnostic")

    @property
    def result_str(self) -> str:
        """The result in words; "(no value available)" (and a warning) when unset or
        unknown."""
        if self.result not in _RESULTS:
            LOGGER.warning(f"Invalid A-ASSOCIATE 'Result' {self.result}")
            return "(no value available)"
        return _RESULTS[self.result]  # type: ignore[index]

    @property
    def source_str(self) -> str:
        """The result source in words; "(no value available)" (and a warning) when unset or
        unknown."""
        if self.result_source not in _SOURCES:
            LOGGER.warning(f"Invalid A-ASSOCIATE 'Result Source' {self.result_source}")
            return "(no value available)"
        return _SOURCES[self.result_source]  # type: ignore[index]

    @property
    def reason_str(self) -> str:
        """The rejection reason in words, from the result source and diagnostic;
        "(no value available)" (and a warning) when that pair has no meaning."""
        reason = _REASONS.get(self.result_source or 0, {}).get(self.diagnostic or -1)
        if reason is None:
            LOGGER.warning(
                f"Invalid A-ASSOCIATE 'Result Source' {self.result_source} and/or "
                f"'Diagnostic' {self.diagnostic} values"
            )
            return "(no value available)"
        return reason

    @property
    def calling_presentation_address(self) -> Any:
        """The requestor's address: None, or an object with ``address`` and ``port``
        (pynetdicom's ``AddressInformation``); anything else raises ``TypeError``."""
        return self._calling_presentation_address

    @calling_presentation_address.setter
    def calling_presentation_address(self, value: Any) -> None:
        self._calling_presentation_address = _address(value, "calling_presentation_address")

    @property
    def called_presentation_address(self) -> Any:
        """The acceptor's address: None, or an object with ``address`` and ``port``
        (pynetdicom's ``AddressInformation``); anything else raises ``TypeError``."""
        return self._called_presentation_address

    @called_presentation_address.setter
    def called_presentation_address(self, value: Any) -> None:
        self._called_presentation_address = _address(value, "called_presentation_address")

    @property
    def responding_presentation_address(self) -> Any:
        """The responding address: the called presentation address (read-only)."""
        return self.called_presentation_address

    @property
    def presentation_context_definition_list(self) -> List[PresentationContext]:
        """The proposed presentation contexts. Set it to a list: items that are not
        presentation contexts are dropped with a warning; anything but a list raises
        ``TypeError``."""
        return self._presentation_context_definition_list

    @presentation_context_definition_list.setter
    def presentation_context_definition_list(self, value: List[PresentationContext]) -> None:
        self._presentation_context_definition_list = _contexts(
            value, "presentation_context_definition_list"
        )

    @property
    def presentation_context_definition_results_list(self) -> List[PresentationContext]:
        """The presentation contexts as answered. Set it to a list: items that are not
        presentation contexts are dropped with a warning; anything but a list raises
        ``TypeError``."""
        return self._presentation_context_definition_results_list

    @presentation_context_definition_results_list.setter
    def presentation_context_definition_results_list(
        self, value: List[PresentationContext]
    ) -> None:
        self._presentation_context_definition_results_list = _contexts(
            value, "presentation_context_definition_results_list"
        )

    @property
    def mode(self) -> str:
        """Always "normal" (PS3.8 7.1.1.1; read-only)."""
        return "normal"

    @property
    def presentation_requirements(self) -> str:
        """Always "Presentation Kernel" (read-only)."""
        return "Presentation Kernel"

    @property
    def session_requirements(self) -> str:
        """Always "" (read-only)."""
        return ""

    @property
    def maximum_length_received(self) -> Optional[int]:
        """The value of the :class:`MaximumLengthNotification` in ``user_information``, or
        None without one. Setting it sets that item's value, adding the item if there is
        none."""
        for item in self._user_information:
            if isinstance(item, MaximumLengthNotification):
                return item.maximum_length_received
        return None

    @maximum_length_received.setter
    def maximum_length_received(self, value: int) -> None:
        items = [i for i in self._user_information if isinstance(i, MaximumLengthNotification)]
        if not items:
            items = [MaximumLengthNotification()]
            self._user_information.append(items[0])
        for item in items:
            item.maximum_length_received = value

    @property
    def implementation_class_uid(self) -> UID:
        """The UID of the :class:`ImplementationClassUIDNotification` in
        ``user_information``; reading it raises ``ValueError`` when there is none or it has
        no UID. Setting it sets that item's UID, adding the item if there is none."""
        for item in self._user_information:
            if isinstance(item, ImplementationClassUIDNotification):
                if item.implementation_class_uid is None:
                    break
                return item.implementation_class_uid
        raise _error(ValueError, "Implementation Class UID has not been set")

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: _UidValue) -> None:
        items = [
            i
            for i in self._user_information
            if isinstance(i, ImplementationClassUIDNotification)
        ]
        if not items:
            items = [ImplementationClassUIDNotification()]
            self._user_information.append(items[0])
        for item in items:
            item.implementation_class_uid = value

    def __repr__(self) -> str:
        return (
            f"<A_ASSOCIATE {self._calling_ae_title!r} -> {self._called_ae_title!r}, "
            f"result={self._result}>"
        )


class A_RELEASE:
    """The A-RELEASE service primitive (PS3.8 7.2).

    Attributes
    ----------
    reason : str
        Always "normal" (read-only).
    result : str or None
        None in a request or indication, "affirmative" in a response or confirmation.
    """

    def __init__(self) -> None:
        self._result: Optional[str] = None

    @property
    def reason(self) -> str:
        """Always "normal" (read-only)."""
        return "normal"

    @property
    def result(self) -> Optional[str]:
        """None or "affirmative"; another value raises ``ValueError``."""
        return self._result

    @result.setter
    def result(self, value: Optional[str]) -> None:
        if value is not None and value != "affirmative":
            raise _error(ValueError, "A_RELEASE.result must be None or 'affirmative'")
        self._result = value

    def __repr__(self) -> str:
        return f"<A_RELEASE result={self._result!r}>"


class A_ABORT:
    """The A-ABORT service primitive (PS3.8 7.3).

    Attributes
    ----------
    abort_source : int
        0 service user, 1 reserved, 2 service provider. Reading it before it is set raises
        ``ValueError``.
    """

    def __init__(self) -> None:
        self._abort_source: Optional[int] = None

    @property
    def abort_source(self) -> int:
        """0 (upper layer service user), 1 (reserved) or 2 (upper layer service provider).
        Reading it unset, or setting another value, raises ``ValueError``."""
        if self._abort_source is None:
            raise _error(ValueError, "A_ABORT.abort_source value not set")
        return self._abort_source

    @abort_source.setter
    def abort_source(self, value: Optional[int]) -> None:
        if value not in (0, 1, 2, None):
            raise _error(ValueError, f"Invalid A-ABORT 'Source' value '{value}'")
        self._abort_source = value

    def __repr__(self) -> str:
        return f"<A_ABORT source={self._abort_source}>"


class A_P_ABORT:
    """The A-P-ABORT service primitive (PS3.8 7.4): an abort by the service provider.

    Attributes
    ----------
    provider_reason : int
        0 not specified, 1 unrecognised PDU, 2 unexpected PDU, 4 unrecognised PDU
        parameter, 5 unexpected PDU parameter, 6 invalid PDU parameter value. Reading it
        before it is set raises ``ValueError``.
    """

    def __init__(self) -> None:
        self._provider_reason: Optional[int] = None

    @property
    def provider_reason(self) -> int:
        """0, 1, 2, 4, 5 or 6 (PS3.8 table 9-26). Reading it unset, or setting another
        value, raises ``ValueError``."""
        if self._provider_reason is None:
            LOGGER.error("A_ABORT.provider_reason parameter not set")
            raise ValueError("A_ABORT.provider_reason value not set")
        return self._provider_reason

    @provider_reason.setter
    def provider_reason(self, value: Optional[int]) -> None:
        if value not in (0, 1, 2, 4, 5, 6, None):
            raise _error(
                ValueError, "Attempted to set A_P_ABORT.provider_reason to an invalid value"
            )
        self._provider_reason = value

    def __repr__(self) -> str:
        return f"<A_P_ABORT reason={self._provider_reason}>"


class P_DATA:
    """The P-DATA service primitive (PS3.8 7.6): presentation data values to send or
    received.

    Attributes
    ----------
    presentation_data_value_list : list of [int, bytes]
        ``[context ID, PDV value]`` pairs, the value starting with its message control
        header byte.
    """

    def __init__(self) -> None:
        self._presentation_data_value_list: List[List[Any]] = []

    @property
    def presentation_data_value_list(self) -> List[List[Any]]:
        """The ``[context ID, value]`` pairs. Setting anything but a list of two-item
        ``[int, bytes]`` lists raises ``TypeError``."""
        return self._presentation_data_value_list

    @presentation_data_value_list.setter
    def presentation_data_value_list(self, value: List[List[Any]]) -> None:
        if not isinstance(value, list):
            raise TypeError("P_DATA.presentation_data_value_list should be a list of [int, bytes]")
        for pdv in value:
            if not isinstance(pdv, list) or len(pdv) != 2:
                raise TypeError(
                    "P_DATA.presentation_data_value_list should be a list of [ID, PDV]"
                )
            if not isinstance(pdv[0], int) or not isinstance(pdv[1], bytes):
                raise TypeError(
                    "P_DATA.presentation_data_value_list should be a list of [int, bytes]"
                )
        self._presentation_data_value_list = value

    def __str__(self) -> str:
        """Each PDV: its context, length, message control header bits and what they
        mean."""
        lines = ["P-DATA"]
        for context_id, data in self._presentation_data_value_list:
            header = data[0] if data else 0
            kind = "Command" if header & 0x01 else "Dataset"
            last = "last" if header & 0x02 else "not the last"
            lines.append(f"  Context ID: {context_id}")
            lines.append(f"  Value Length: {len(data)} bytes")
            lines.append(f"  Message Control Header Byte: {header:08b}")
            lines.append(f"    {kind} information, {last} fragment of the DIMSE message")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return f"<P_DATA {len(self._presentation_data_value_list)} PDV(s)>"


# ----- user information items --------------------------------------------------------------


class MaximumLengthNotification(ServiceParameter):
    """Maximum length notification (PS3.8 D.1, PS3.7 D.3.3.1): the largest P-DATA-TF PDU
    its sender receives, 0 meaning no limit. fastdimse sends the AE's
    ``maximum_pdu_size`` in it.

    Attributes
    ----------
    maximum_length_received : int
        16382 by default.
    """

    def __init__(self) -> None:
        self._maximum_length_received = 16382

    @property
    def maximum_length_received(self) -> int:
        """The length in bytes (0 = no limit). Setting a non-int raises ``TypeError``, a
        negative one ``ValueError``."""
        return self._maximum_length_received

    @maximum_length_received.setter
    def maximum_length_received(self, value: int) -> None:
        if not isinstance(value, int):
            raise _error(TypeError, "Maximum Length Received must be numerical")
        if value < 0:
            raise _error(ValueError, "Maximum Length Received must be greater than 0")
        self._maximum_length_received = value

    def from_primitive(self) -> pdu_items.MaximumLengthSubItem:
        """The sub-item (51H) to encode.

        Returns
        -------
        fastdimse.pdu_items.MaximumLengthSubItem
        """
        return pdu_items.MaximumLengthSubItem(
            maximum_length_received=self.maximum_length_received
        )

    def __str__(self) -> str:
        """The length, as pynetdicom prints it."""
        return (
            "Maximum Length Negotiation\n"
            f"  Maximum length received: {self.maximum_length_received:d} bytes\n"
        )


class ImplementationClassUIDNotification(ServiceParameter):
    """Implementation class UID notification (PS3.7 D.3.3.2): which implementation sent
    the request or answer. fastdimse sends the AE's ``implementation_class_uid``.

    Attributes
    ----------
    implementation_class_uid : pydicom.uid.UID or None
    """

    def __init__(self) -> None:
        self._implementation_class_uid: Optional[UID] = None

    @property
    def implementation_class_uid(self) -> Optional[UID]:
        """The UID. Set it to a str, bytes, UID or None; ``TypeError`` for another type,
        ``ValueError`` for an invalid UID (``_config.ENFORCE_UID_CONFORMANCE`` applies)."""
        return self._implementation_class_uid

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: _UidValue) -> None:
        self._implementation_class_uid = _set_uid(value, "Implementation Class UID")

    def from_primitive(self) -> pdu_items.ImplementationClassUIDSubItem:
        """The sub-item (52H) to encode.

        Returns
        -------
        fastdimse.pdu_items.ImplementationClassUIDSubItem

        Raises
        ------
        ValueError
            If no UID is set.
        """
        if self.implementation_class_uid is None:
            raise _error(
                ValueError,
                "The Implementation Class UID must be set prior to requesting Association",
            )
        return pdu_items.ImplementationClassUIDSubItem(
            implementation_class_uid=self.implementation_class_uid
        )

    def __str__(self) -> str:
        """The UID, as pynetdicom prints it."""
        return (
            "Implementation Class UID\n"
            f"  Implementation class UID: {self.implementation_class_uid}\n"
        )


class ImplementationVersionNameNotification(ServiceParameter):
    """Implementation version name notification (PS3.7 D.3.3.2), optional. fastdimse sends
    the AE's ``implementation_version_name``.

    Attributes
    ----------
    implementation_version_name : str or None
        At most 16 characters.
    """

    def __init__(self) -> None:
        self._implementation_version_name: Optional[str] = None

    @property
    def implementation_version_name(self) -> Optional[str]:
        """The name. Set it to a str or None: ``TypeError`` for another type, ``ValueError``
        for a name ``_config.VALIDATORS["AE"]`` refuses (longer than 16 characters, not
        ASCII...)."""
        return self._implementation_version_name

    @implementation_version_name.setter
    def implementation_version_name(self, value: Optional[str]) -> None:
        if value is not None:
            if not isinstance(value, str):
                raise TypeError(
                    "'Implementation Version Name' must be str or None, not "
                    f"'{type(value).__name__}'"
                )
            if value:
                from . import _config

                ok, reason = _config.VALIDATORS["AE"](value)
                if not ok:
                    raise _error(
                        ValueError,
                        f"Invalid 'Implementation Version Name' value '{value}' - {reason}",
                    )
        self._implementation_version_name = value

    def from_primitive(self) -> pdu_items.ImplementationVersionNameSubItem:
        """The sub-item (55H) to encode.

        Returns
        -------
        fastdimse.pdu_items.ImplementationVersionNameSubItem

        Raises
        ------
        ValueError
            If no name is set.
        """
        if self.implementation_version_name is None:
            raise ValueError("Implementation Version Name must be set prior to Association")
        return pdu_items.ImplementationVersionNameSubItem(
            implementation_version_name=self.implementation_version_name
        )

    def __str__(self) -> str:
        """The name, as pynetdicom prints it."""
        return (
            "Implementation Version Name\n"
            f"  Implementation version name: {self.implementation_version_name}\n"
        )



def _check_field(name: str, value: object) -> Optional[bytes]:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"{name} must be bytes, str or None, not {value!r}")
    if len(value) > 0xFFFF:
        raise ValueError(f"{name} is {len(value)} bytes long; at most 65535 fit in the PDU")
    return bytes(value)


class UserIdentityNegotiation(ServiceParameter):
    """User identity negotiation (PS3.7 D.3.3.7): the request's identity and, in the
    acceptor's answer, the server response.

    Proposed with ``AE.associate(ext_neg=[item])``; an SCP sees the request as
    ``event.assoc.requestor.user_identity`` and answers it from an ``EVT_USER_ID``
    handler. Every field is checked when it is set.

    Attributes
    ----------
    user_identity_type : int or None
        1 username, 2 username and passcode, 3 Kerberos, 4 SAML, 5 JWT.
    positive_response_requested : bool
        Whether the requestor asks for a server response (default False).
    primary_field, secondary_field : bytes or None
        The identity (username, ticket, assertion, token) and, for type 2, the passcode.
    server_response : bytes or None
        The acceptor's answer, in an A-ASSOCIATE-AC.
    """

    def __init__(self) -> None:
        self._user_identity_type: Optional[int] = None
        self._positive_response_requested: bool = False
        self._primary_field: Optional[bytes] = None
        self._secondary_field: Optional[bytes] = None
        self._server_response: Optional[bytes] = None

    @property
    def user_identity_type(self) -> Optional[int]:
        """1 username, 2 username and passcode, 3 Kerberos, 4 SAML, 5 JWT (or None).
        Setting another value raises ``ValueError``."""
        return self._user_identity_type

    @user_identity_type.setter
    def user_identity_type(self, value: Optional[int]) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"user_identity_type must be an int or None, not {value!r}")
        if value is not None and value not in _IDENTITY_TYPES:
            raise ValueError(f"user_identity_type must be one of 1-5, not {value!r}")
        self._user_identity_type = value

    @property
    def positive_response_requested(self) -> bool:
        """Whether the requestor asks for the server response (a bool)."""
        return self._positive_response_requested

    @positive_response_requested.setter
    def positive_response_requested(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"positive_response_requested must be a bool, not {value!r}")
        self._positive_response_requested = value

    @property
    def primary_field(self) -> Optional[bytes]:
        """The username, Kerberos ticket, SAML assertion or JSON web token, or None.

        Set it to bytes, a str (encoded as UTF-8) or None; ``TypeError`` for another type,
        ``ValueError`` for more than 65535 bytes."""
        return self._primary_field

    @primary_field.setter
    def primary_field(self, value: Optional[bytes]) -> None:
        self._primary_field = _check_field("primary_field", value)

    @property
    def secondary_field(self) -> Optional[bytes]:
        """The passcode (user identity type 2 only), or None.

        Set it to bytes, a str (encoded as UTF-8) or None; ``TypeError`` for another type,
        ``ValueError`` for more than 65535 bytes."""
        return self._secondary_field

    @secondary_field.setter
    def secondary_field(self, value: Optional[bytes]) -> None:
        self._secondary_field = _check_field("secondary_field", value)

    @property
    def server_response(self) -> Optional[bytes]:
        """The acceptor's response to a request that asked for one, or None.

        Set it to bytes, a str (encoded as UTF-8) or None; ``TypeError`` for another type,
        ``ValueError`` for more than 65535 bytes."""
        return self._server_response

    @server_response.setter
    def server_response(self, value: Optional[bytes]) -> None:
        self._server_response = _check_field("server_response", value)

    def from_primitive(
        self,
    ) -> Union[pdu_items.UserIdentitySubItemRQ, pdu_items.UserIdentitySubItemAC]:
        """The sub-item to encode: the answer (59H) when ``server_response`` is set, else
        the request (58H).

        Returns
        -------
        fastdimse.pdu_items.UserIdentitySubItemRQ or fastdimse.pdu_items.UserIdentitySubItemAC

        Raises
        ------
        ValueError
            For a request without a user identity type or primary field, or of type 2
            without a secondary field (the passcode).
        """
        if self.server_response is not None:
            return pdu_items.UserIdentitySubItemAC(server_response=self.server_response)
        if self.user_identity_type is None or self.primary_field is None:
            raise _error(
                ValueError,
                "User Identity Type and Primary Field must be set prior to Association "
                "negotiation",
            )
        if self.user_identity_type == 2 and not self.secondary_field:
            raise _error(ValueError, "Secondary Field must be set when User Identity is 2")
        return pdu_items.UserIdentitySubItemRQ(
            user_identity_type=self.user_identity_type,
            positive_response_requested=int(self.positive_response_requested),
            primary_field=self.primary_field,
            secondary_field=self.secondary_field or b"",
        )

    def __repr__(self) -> str:
        kind = _IDENTITY_TYPES.get(self.user_identity_type or 0, "response")
        return f"<UserIdentityNegotiation {kind}>"

    def __str__(self) -> str:
        """The parameters, one per line, as pynetdicom prints them (in its debug logs)."""
        lines = ["User Identity Parameters"]
        if self.server_response is None:
            lines.append(f"  User identity type: {self.user_identity_type}")
            lines.append(f"  Positive response requested: {self.positive_response_requested}")
            lines.append(f"  Primary field: {self.primary_field!r}")
            lines.append(f"  Secondary field: {self.secondary_field!r}")
        else:
            lines.append(f"  Server response: {self.server_response!r}")
        return "\n".join(lines) + "\n"


def _check_window(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {value!r}")
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{name} must be between 0 (no limit) and 65535, not {value!r}")
    return value


class AsynchronousOperationsWindowNegotiation(ServiceParameter):
    """Asynchronous operations window negotiation (PS3.7 D.3.3.3): how many requests
    each side may have outstanding at once, 0 meaning no limit and 1 the synchronous
    default.

    Proposed with ``AE.associate(ext_neg=[item])``, it lets one association carry several
    echoes at a time (``send_c_echo_async`` under ``asyncio.gather``, or from several
    threads) when the acceptor allows it. fastdimse's SCP allows up to 16; pynetdicom's
    answers nothing (or (1, 1) with an ``EVT_ASYNC_OPS`` handler bound) and DCMTK's
    nothing, which all mean one at a time.
    """

    def __init__(self) -> None:
        self._invoked = 1
        self._performed = 1

    @property
    def maximum_number_operations_invoked(self) -> int:
        """How many requests the requestor may have outstanding (0 = no limit; default 1).
        Setting it raises ``TypeError`` for a non-int, ``ValueError`` outside 0-65535."""
        return self._invoked

    @maximum_number_operations_invoked.setter
    def maximum_number_operations_invoked(self, value: int) -> None:
        self._invoked = _check_window("maximum_number_operations_invoked", value)

    @property
    def maximum_number_operations_performed(self) -> int:
        """How many of the acceptor's requests the requestor performs at once (0 = no
        limit; default 1). Setting it raises ``TypeError`` for a non-int, ``ValueError``
        outside 0-65535."""
        return self._performed

    @maximum_number_operations_performed.setter
    def maximum_number_operations_performed(self, value: int) -> None:
        self._performed = _check_window("maximum_number_operations_performed", value)

    def from_primitive(self) -> pdu_items.AsynchronousOperationsWindowSubItem:
        """The sub-item (53H) to encode.

        Returns
        -------
        fastdimse.pdu_items.AsynchronousOperationsWindowSubItem
        """
        return pdu_items.AsynchronousOperationsWindowSubItem(
            maximum_number_operations_invoked=self._invoked,
            maximum_number_operations_performed=self._performed,
        )

    def __repr__(self) -> str:
        return (
            f"<AsynchronousOperationsWindowNegotiation invoked={self._invoked} "
            f"performed={self._performed}>"
        )

    def __str__(self) -> str:
        """The window, as pynetdicom prints it (in its debug logs)."""
        return (
            "Asynchronous Operations Window\n"
            f"  Maximum number operations invoked: {self._invoked}\n"
            f"  Maximum number operations performed: {self._performed}\n"
        )


class SCP_SCU_RoleSelectionNegotiation(ServiceParameter):
    """SCP/SCU role selection (PS3.7 D.3.3.4) for one SOP class: as a proposal, the roles
    the requestor asks for; as an answer, the ones the acceptor agrees to.

    Built by :func:`fastdimse.presentation.build_role` and returned by
    :func:`fastdimse.presentation.negotiate_as_acceptor`.
    """

    def __init__(self) -> None:
        self._sop_class_uid: Optional[UID] = None
        self._scu_role: Optional[bool] = None
        self._scp_role: Optional[bool] = None

    @property
    def sop_class_uid(self) -> Optional[UID]:
        """The SOP class (abstract syntax) the roles are for."""
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: _UidValue) -> None:
        self._sop_class_uid = _set_uid(value, "SOP Class UID")

    @property
    def scu_role(self) -> Optional[bool]:
        """Whether the requestor may be SCU (None: not set)."""
        return self._scu_role

    @scu_role.setter
    def scu_role(self, value: Optional[bool]) -> None:
        if not isinstance(value, (bool, type(None))):
            raise TypeError("SCU Role must be boolean")
        self._scu_role = value

    @property
    def scp_role(self) -> Optional[bool]:
        """Whether the requestor may be SCP (None: not set)."""
        return self._scp_role

    @scp_role.setter
    def scp_role(self, value: Optional[bool]) -> None:
        if not isinstance(value, (bool, type(None))):
            raise TypeError("SCP Role must be boolean")
        self._scp_role = value

    def from_primitive(self) -> pdu_items.SCP_SCU_RoleSelectionSubItem:
        """The sub-item (54H) to encode; an unset role is sent as 0 (not proposed).

        Returns
        -------
        fastdimse.pdu_items.SCP_SCU_RoleSelectionSubItem

        Raises
        ------
        ValueError
            If no SOP class UID is set, or neither role is.
        """
        if self.sop_class_uid is None:
            raise _error(ValueError, "'sop_class_uid' must be set prior to Association")
        if not self.scu_role and not self.scp_role:
            raise _error(
                ValueError,
                f"SCU and SCP Roles cannot both be unsupported for '{self.sop_class_uid}'",
            )
        return pdu_items.SCP_SCU_RoleSelectionSubItem(
            sop_class_uid=self.sop_class_uid,
            scu_role=int(bool(self.scu_role)),
            scp_role=int(bool(self.scp_role)),
        )

    def __repr__(self) -> str:
        return (
            f"<SCP_SCU_RoleSelectionNegotiation {self.sop_class_uid} "
            f"scu_role={self.scu_role} scp_role={self.scp_role}>"
        )


class SOPClassExtendedNegotiation(ServiceParameter):
    """SOP class extended negotiation (PS3.7 D.3.3.5): service class application
    information for one SOP class, as the service class (PS3.4) defines it.

    Proposed with ``AE.associate(ext_neg=[item])``, one per SOP class. An SCP sees the
    proposals as ``event.app_info`` in an ``EVT_SOP_EXTENDED`` handler (and as
    ``assoc.requestor.sop_class_extended``) and answers with the ``{SOP Class UID:
    information}`` dict the handler returns; the requestor reads the answers as
    ``assoc.acceptor.sop_class_extended``.

    Attributes
    ----------
    sop_class_uid : pydicom.uid.UID or None
    service_class_application_information : bytes or None
        Sent as it is.
    """

    def __init__(self) -> None:
        self._sop_class_uid: Optional[UID] = None
        self._service_class_application_information: Optional[bytes] = None

    @property
    def sop_class_uid(self) -> Optional[UID]:
        """The SOP class the information is for. Set it to a str, bytes, UID or None;
        ``TypeError`` for another type, ``ValueError`` for an invalid UID
        (``_config.ENFORCE_UID_CONFORMANCE`` applies)."""
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: _UidValue) -> None:
        self._sop_class_uid = _set_uid(value, "SOP Class UID")

    @property
    def service_class_application_information(self) -> Optional[bytes]:
        """The information, bytes or None; another type raises ``TypeError``."""
        return self._service_class_application_information

    @service_class_application_information.setter
    def service_class_application_information(self, value: Optional[bytes]) -> None:
        if value is not None and not isinstance(value, bytes):
            raise _error(
                TypeError, "Service Class Application Information should be a bytes object"
            )
        self._service_class_application_information = value

    @classmethod
    def _received(cls, sop_class_uid: str, app_info: bytes) -> SOPClassExtendedNegotiation:
        """An item as a peer sent it, its UID unchecked (see
        ``SOPClassCommonExtendedNegotiation._received``)."""
        item = cls()
        item._sop_class_uid = _received_uid(sop_class_uid)
        item._service_class_application_information = bytes(app_info)
        return item

    def from_primitive(self) -> pdu_items.SOPClassExtendedNegotiationSubItem:
        """The sub-item (56H) to encode.

        Returns
        -------
        fastdimse.pdu_items.SOPClassExtendedNegotiationSubItem

        Raises
        ------
        ValueError
            If the SOP class UID or the information is not set.
        """
        if self.sop_class_uid is None or self.service_class_application_information is None:
            raise _error(
                ValueError,
                "SOP Class UID and Service Class Application Information must be set "
                "prior to Association negotiation",
            )
        return pdu_items.SOPClassExtendedNegotiationSubItem(
            sop_class_uid=self.sop_class_uid,
            service_class_application_information=self.service_class_application_information,
        )

    def __repr__(self) -> str:
        info = self._service_class_application_information
        return f"<SOPClassExtendedNegotiation {self._sop_class_uid} {info!r}>"


class SOPClassCommonExtendedNegotiation(ServiceParameter):
    """SOP class common extended negotiation (PS3.7 D.3.3.6): the service class of a SOP
    class, and the general SOP classes it specialises.

    Proposed with ``AE.associate(ext_neg=[item])``, one per SOP class. An SCP sees the
    proposals as ``event.items`` (``{SOP Class UID: item}``) in an ``EVT_SOP_COMMON``
    handler and as ``assoc.requestor.sop_class_common_extended``. The acceptor never
    answers them (D.3.3.6 defines no answer), so the handler's return value is only
    checked.

    Attributes
    ----------
    sop_class_uid, service_class_uid : pydicom.uid.UID or None
    related_general_sop_class_identification : list of pydicom.uid.UID
        Possibly empty.
    """

    def __init__(self) -> None:
        self._sop_class_uid: Optional[UID] = None
        self._service_class_uid: Optional[UID] = None
        self._related_general_sop_class_identification: List[UID] = []

    @property
    def sop_class_uid(self) -> Optional[UID]:
        """The (specialised) SOP class. Set it to a str, bytes, UID or None; ``TypeError``
        for another type, ``ValueError`` for an invalid UID
        (``_config.ENFORCE_UID_CONFORMANCE`` applies)."""
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: _UidValue) -> None:
        self._sop_class_uid = _set_uid(value, "SOP Class UID")

    @property
    def service_class_uid(self) -> Optional[UID]:
        """The service class the SOP class belongs to (str, bytes, UID or None, checked as
        ``sop_class_uid``)."""
        return self._service_class_uid

    @service_class_uid.setter
    def service_class_uid(self, value: _UidValue) -> None:
        self._service_class_uid = _set_uid(value, "Service Class UID")

    @property
    def related_general_sop_class_identification(self) -> List[UID]:
        """The general SOP classes. Set it to a list of str, bytes or UID: anything but a
        list, or an item of another type, raises ``TypeError``; an invalid UID
        ``ValueError``."""
        return self._related_general_sop_class_identification

    @related_general_sop_class_identification.setter
    def related_general_sop_class_identification(self, value: Sequence[_UidValue]) -> None:
        message = (
            "Related General SOP Class Identification must be a list of pydicom.uid.UID, "
            "str or bytes"
        )
        if not isinstance(value, list):
            raise _error(TypeError, message)
        uids: List[UID] = []
        for item in value:
            if not isinstance(item, (str, bytes)):
                raise _error(TypeError, message)
            uid = _set_uid(item, "Related General SOP Class Identification")
            assert uid is not None  # only None gives None
            uids.append(uid)
        self._related_general_sop_class_identification = uids

    @classmethod
    def _received(
        cls, sop_class_uid: str, service_class_uid: str, related: Sequence[str]
    ) -> SOPClassCommonExtendedNegotiation:
        """An item as a peer sent it: its UIDs are kept unchecked, so that a handler sees
        what arrived even when ``_config.ENFORCE_UID_CONFORMANCE`` would refuse it."""
        item = cls()
        item._sop_class_uid = _received_uid(sop_class_uid)
        item._service_class_uid = _received_uid(service_class_uid)
        item._related_general_sop_class_identification = [_received_uid(u) for u in related]
        return item

    def from_primitive(self) -> pdu_items.SOPClassCommonExtendedNegotiationSubItem:
        """The sub-item (57H) to encode.

        Returns
        -------
        fastdimse.pdu_items.SOPClassCommonExtendedNegotiationSubItem

        Raises
        ------
        ValueError
            If the SOP class UID or the service class UID is not set.
        """
        if self.sop_class_uid is None or self.service_class_uid is None:
            raise _error(
                ValueError,
                "SOP Class UID and Service Class UID must be set prior to Association "
                "negotiation",
            )
        return pdu_items.SOPClassCommonExtendedNegotiationSubItem(
            sop_class_uid=self.sop_class_uid,
            service_class_uid=self.service_class_uid,
            related_general_sop_class_identification=list(
                self.related_general_sop_class_identification
            ),
        )

    def __repr__(self) -> str:
        return (
            f"<SOPClassCommonExtendedNegotiation {self._sop_class_uid} "
            f"service={self._service_class_uid} "
            f"related={[str(u) for u in self._related_general_sop_class_identification]}>"
        )


__all__ = [
    "ServiceParameter",
    "A_ASSOCIATE",
    "A_RELEASE",
    "A_ABORT",
    "A_P_ABORT",
    "P_DATA",
    "MaximumLengthNotification",
    "ImplementationClassUIDNotification",
    "ImplementationVersionNameNotification",
    "AsynchronousOperationsWindowNegotiation",
    "SCP_SCU_RoleSelectionNegotiation",
    "SOPClassExtendedNegotiation",
    "SOPClassCommonExtendedNegotiation",
    "UserIdentityNegotiation",
]
