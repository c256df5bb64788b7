"""User information primitives passed in ``AE.associate(ext_neg=[...])`` and reported on
``Association.requestor`` / ``Association.acceptor`` (pynetdicom's names)."""

from __future__ import annotations

from typing import Optional, Union

from pydicom.uid import UID

_IDENTITY_TYPES = {1: "Username", 2: "Username and passcode", 3: "Kerberos", 4: "SAML", 5: "JWT"}


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


class UserIdentityNegotiation:
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


class AsynchronousOperationsWindowNegotiation:
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


class SCP_SCU_RoleSelectionNegotiation:
    """SCP/SCU role selection (PS3.7 D.3.3.4) for one SOP class: as a proposal, the roles
    the requestor asks for; as an answer, the ones the acceptor agrees to.

    Built by :func:`fastdimse.presentation.build_role` and returned by
    :func:`fastdimse.presentation.negotiate_as_acceptor`. Equal items compare equal, as
    pynetdicom's primitives do.
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
    def sop_class_uid(self, value: Union[str, bytes, None]) -> None:
        from .presentation import _set_uid

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

    def __eq__(self, other: object) -> bool:
        if isinstance(other, self.__class__):
            return other.__dict__ == self.__dict__
        return False

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"<SCP_SCU_RoleSelectionNegotiation {self.sop_class_uid} "
            f"scu_role={self.scu_role} scp_role={self.scp_role}>"
        )


__all__ = [
    "AsynchronousOperationsWindowNegotiation",
    "SCP_SCU_RoleSelectionNegotiation",
    "UserIdentityNegotiation",
]
