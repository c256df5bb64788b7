"""User information sub-items, as ``from_primitive()`` of the
:mod:`fastdimse.pdu_primitives` items returns them (pynetdicom's ``pdu_items`` names).

Each holds the values of one sub-item of the A-ASSOCIATE-RQ/AC user information item
(PS3.8 9.3.2.3, 9.3.3.3 and Annex D; PS3.7 Annex D.3.3) under pynetdicom's attribute
names. ``encode()`` gives its bytes from the Rust PDU codec (the one the core puts on the
wire), so there is no second encoder to disagree with it; ``to_primitive()`` gives the
primitive back.

>>> from fastdimse.pdu_primitives import MaximumLengthNotification
>>> MaximumLengthNotification().from_primitive().encode().hex()
'5100000400003ffe'
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Tuple

from pydicom.uid import UID

from . import _core


class UserInformationSubItem:
    """Base of the sub-item classes: its field values as attributes, its bytes from
    ``encode()``.

    Two sub-items are equal when they are of the same class and hold the same values.
    """

    item_type: ClassVar[int] = 0
    """The sub-item type byte (51H to 59H)."""
    _fields: ClassVar[Tuple[str, ...]] = ()

    def __init__(self, **values: Any) -> None:
        for name in self._fields:
            setattr(self, name, values.pop(name, None))
        if values:
            raise TypeError(
                f"{type(self).__name__} has no field {', '.join(map(repr, values))}"
            )

    def _core_fields(self) -> Dict[str, Any]:
        """The dict ``fastdimse._core.encode_user_item`` takes."""
        raise NotImplementedError

    def encode(self) -> bytes:
        """The encoded sub-item: type, reserved byte, 16-bit length and value.

        Returns
        -------
        bytes
            As it goes on the wire, inside the user information item.

        Raises
        ------
        TypeError
            If a field holds a value of the wrong type.
        ValueError
            If a value does not fit its field (a number out of range, a value longer than
            its length field allows).
        """
        fields = self._core_fields()
        fields["item_type"] = self.item_type
        return _core.encode_user_item(fields)

    @property
    def item_length(self) -> int:
        """The value of the sub-item's length field: its length without the 4-byte
        header."""
        return len(self.encode()) - 4

    def __len__(self) -> int:
        return len(self.encode())

    def to_primitive(self) -> Any:
        """The :mod:`fastdimse.pdu_primitives` item with this sub-item's values.

        Returns
        -------
        object
            A new primitive of the matching class.
        """
        raise NotImplementedError

    def _values(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if type(other) is type(self):
            return self._values() == other._values()  # type: ignore[attr-defined]
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"<{type(self).__name__} 0x{self.item_type:02X} {values}>"


def _uid_text(value: Optional[str]) -> str:
    return "" if value is None else str(value)


class MaximumLengthSubItem(UserInformationSubItem):
    """Maximum length sub-item (51H, PS3.8 D.1): the largest P-DATA-TF PDU the sender
    receives, 0 meaning no limit.

    Attributes
    ----------
    maximum_length_received : int
    """

    item_type = 0x51
    _fields = ("maximum_length_received",)
    maximum_length_received: int

    def _core_fields(self) -> Dict[str, Any]:
        return {"maximum_length_received": self.maximum_length_received}

    def to_primitive(self) -> Any:
        """A :class:`~fastdimse.pdu_primitives.MaximumLengthNotification` with this value.

        Returns
        -------
        fastdimse.pdu_primitives.MaximumLengthNotification
        """
        from .pdu_primitives import MaximumLengthNotification

        primitive = MaximumLengthNotification()
        primitive.maximum_length_received = self.maximum_length_received
        return primitive


class ImplementationClassUIDSubItem(UserInformationSubItem):
    """Implementation class UID sub-item (52H, PS3.7 D.3.3.2).

    Attributes
    ----------
    implementation_class_uid : pydicom.uid.UID
    """

    item_type = 0x52
    _fields = ("implementation_class_uid",)
    implementation_class_uid: UID

    def _core_fields(self) -> Dict[str, Any]:
        return {"implementation_class_uid": _uid_text(self.implementation_class_uid)}

    def to_primitive(self) -> Any:
        """An :class:`~fastdimse.pdu_primitives.ImplementationClassUIDNotification` with
        this UID.

        Returns
        -------
        fastdimse.pdu_primitives.ImplementationClassUIDNotification
        """
        from .pdu_primitives import ImplementationClassUIDNotification

        primitive = ImplementationClassUIDNotification()
        primitive.implementation_class_uid = self.implementation_class_uid
        return primitive


class ImplementationVersionNameSubItem(UserInformationSubItem):
    """Implementation version name sub-item (55H, PS3.7 D.3.3.2).

    Attributes
    ----------
    implementation_version_name : str
    """

    item_type = 0x55
    _fields = ("implementation_version_name",)
    implementation_version_name: str

    def _core_fields(self) -> Dict[str, Any]:
        return {"implementation_version_name": self.implementation_version_name or ""}

    def to_primitive(self) -> Any:
        """An :class:`~fastdimse.pdu_primitives.ImplementationVersionNameNotification` with
        this name.

        Returns
        -------
        fastdimse.pdu_primitives.ImplementationVersionNameNotification
        """
        from .pdu_primitives import ImplementationVersionNameNotification

        primitive = ImplementationVersionNameNotification()
        primitive.implementation_version_name = self.implementation_version_name
        return primitive


class AsynchronousOperationsWindowSubItem(UserInformationSubItem):
    """Asynchronous operations window sub-item (53H, PS3.7 D.3.3.3).

    Attributes
    ----------
    maximum_number_operations_invoked, maximum_number_operations_performed : int
        0 means no limit.
    """

    item_type = 0x53
    _fields = ("maximum_number_operations_invoked", "maximum_number_operations_performed")
    maximum_number_operations_invoked: int
    maximum_number_operations_performed: int

    def _core_fields(self) -> Dict[str, Any]:
        return {
            "max_operations_invoked": self.maximum_number_operations_invoked,
            "max_operations_performed": self.maximum_number_operations_performed,
        }

    def to_primitive(self) -> Any:
        """An :class:`~fastdimse.pdu_primitives.AsynchronousOperationsWindowNegotiation`
        with this window.

        Returns
        -------
        fastdimse.pdu_primitives.AsynchronousOperationsWindowNegotiation
        """
        from .pdu_primitives import AsynchronousOperationsWindowNegotiation

        primitive = AsynchronousOperationsWindowNegotiation()
        primitive.maximum_number_operations_invoked = self.maximum_number_operations_invoked
        primitive.maximum_number_operations_performed = self.maximum_number_operations_performed
        return primitive


class SCP_SCU_RoleSelectionSubItem(UserInformationSubItem):
    """SCP/SCU role selection sub-item (54H, PS3.7 D.3.3.4).

    Attributes
    ----------
    sop_class_uid : pydicom.uid.UID
    scu_role, scp_role : int
        1 when the role is proposed (or, in an answer, accepted), 0 otherwise.
    """

    item_type = 0x54
    _fields = ("sop_class_uid", "scu_role", "scp_role")
    sop_class_uid: UID
    scu_role: int
    scp_role: int

    def _core_fields(self) -> Dict[str, Any]:
        return {
            "sop_class_uid": _uid_text(self.sop_class_uid),
            "scu_role": int(self.scu_role or 0),
            "scp_role": int(self.scp_role or 0),
        }

    def to_primitive(self) -> Any:
        """An :class:`~fastdimse.pdu_primitives.SCP_SCU_RoleSelectionNegotiation` with these
        roles (as booleans).

        Returns
        -------
        fastdimse.pdu_primitives.SCP_SCU_RoleSelectionNegotiation
        """
        from .pdu_primitives import SCP_SCU_RoleSelectionNegotiation

        primitive = SCP_SCU_RoleSelectionNegotiation()
        primitive.sop_class_uid = self.sop_class_uid
        primitive.scu_role = bool(self.scu_role)
        primitive.scp_role = bool(self.scp_role)
        return primitive


class SOPClassExtendedNegotiationSubItem(UserInformationSubItem):
    """SOP class extended negotiation sub-item (56H, PS3.7 D.3.3.5).

    Attributes
    ----------
    sop_class_uid : pydicom.uid.UID
    service_class_application_information : bytes
        Defined by the service class (PS3.4); sent as it is.
    """

    item_type = 0x56
    _fields = ("sop_class_uid", "service_class_application_information")
    sop_class_uid: UID
    service_class_application_information: bytes

    def _core_fields(self) -> Dict[str, Any]:
        return {
            "sop_class_uid": _uid_text(self.sop_class_uid),
            "service_class_application_information": bytes(
                self.service_class_application_information or b""
            ),
        }

    def to_primitive(self) -> Any:
        """A :class:`~fastdimse.pdu_primitives.SOPClassExtendedNegotiation` with these
        values.

        Returns
        -------
        fastdimse.pdu_primitives.SOPClassExtendedNegotiation
        """
        from .pdu_primitives import SOPClassExtendedNegotiation

        primitive = SOPClassExtendedNegotiation()
        primitive.sop_class_uid = self.sop_class_uid
        primitive.service_class_application_information = (
            self.service_class_application_information
        )
        return primitive


class SOPClassCommonExtendedNegotiationSubItem(UserInformationSubItem):
    """SOP class common extended negotiation sub-item (57H, version 0, PS3.7 D.3.3.6).

    Attributes
    ----------
    sop_class_uid, service_class_uid : pydicom.uid.UID
    related_general_sop_class_identification : list of pydicom.uid.UID
    """

    item_type = 0x57
    _fields = ("sop_class_uid", "service_class_uid", "related_general_sop_class_identification")
    sop_class_uid: UID
    service_class_uid: UID
    related_general_sop_class_identification: List[UID]

    def _core_fields(self) -> Dict[str, Any]:
        return {
            "sop_class_uid": _uid_text(self.sop_class_uid),
            "service_class_uid": _uid_text(self.service_class_uid),
            "related_general_sop_class_uids": [
                str(uid) for uid in self.related_general_sop_class_identification or []
            ],
        }

    def to_primitive(self) -> Any:
        """A :class:`~fastdimse.pdu_primitives.SOPClassCommonExtendedNegotiation` with these
        values.

        Returns
        -------
        fastdimse.pdu_primitives.SOPClassCommonExtendedNegotiation
        """
        from .pdu_primitives import SOPClassCommonExtendedNegotiation

        primitive = SOPClassCommonExtendedNegotiation()
        primitive.sop_class_uid = self.sop_class_uid
        primitive.service_class_uid = self.service_class_uid
        primitive.related_general_sop_class_identification = list(
            self.related_general_sop_class_identification or []
        )
        return primitive


class UserIdentitySubItemRQ(UserInformationSubItem):
    """User identity sub-item of a request (58H, PS3.7 D.3.3.7.1).

    Attributes
    ----------
    user_identity_type : int
        1 username, 2 username and passcode, 3 Kerberos, 4 SAML, 5 JWT.
    positive_response_requested : int
        1 when the requestor asks for a server response, else 0.
    primary_field, secondary_field : bytes
        The identity and (type 2) the passcode.
    """

    item_type = 0x58
    _fields = (
        "user_identity_type",
        "positive_response_requested",
        "primary_field",
        "secondary_field",
    )
    user_identity_type: int
    positive_response_requested: int
    primary_field: bytes
    secondary_field: bytes

    def _core_fields(self) -> Dict[str, Any]:
        return {
            "user_identity_type": self.user_identity_type,
            "positive_response_requested": int(self.positive_response_requested or 0),
            "primary_field": bytes(self.primary_field or b""),
            "secondary_field": bytes(self.secondary_field or b""),
        }

    def to_primitive(self) -> Any:
        """A :class:`~fastdimse.pdu_primitives.UserIdentityNegotiation` request with these
        values.

        Returns
        -------
        fastdimse.pdu_primitives.UserIdentityNegotiation
        """
        from .pdu_primitives import UserIdentityNegotiation

        primitive = UserIdentityNegotiation()
        primitive.user_identity_type = self.user_identity_type
        primitive.positive_response_requested = bool(self.positive_response_requested)
        primitive.primary_field = self.primary_field
        primitive.secondary_field = self.secondary_field
        return primitive


class UserIdentitySubItemAC(UserInformationSubItem):
    """User identity sub-item of an answer (59H, PS3.7 D.3.3.7.2).

    Attributes
    ----------
    server_response : bytes
    """

    item_type = 0x59
    _fields = ("server_response",)
    server_response: bytes

    def _core_fields(self) -> Dict[str, Any]:
        return {"server_response": bytes(self.server_response or b"")}

    def to_primitive(self) -> Any:
        """A :class:`~fastdimse.pdu_primitives.UserIdentityNegotiation` answer with this
        server response.

        Returns
        -------
        fastdimse.pdu_primitives.UserIdentityNegotiation
        """
        from .pdu_primitives import UserIdentityNegotiation

        primitive = UserIdentityNegotiation()
        primitive.server_response = self.server_response
        return primitive


__all__ = [
    "UserInformationSubItem",
    "MaximumLengthSubItem",
    "ImplementationClassUIDSubItem",
    "ImplementationVersionNameSubItem",
    "AsynchronousOperationsWindowSubItem",
    "SCP_SCU_RoleSelectionSubItem",
    "SOPClassExtendedNegotiationSubItem",
    "SOPClassCommonExtendedNegotiationSubItem",
    "UserIdentitySubItemRQ",
    "UserIdentitySubItemAC",
]
