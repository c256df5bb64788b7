"""User information primitives passed in ``AE.associate(ext_neg=[...])`` and reported on
``Association.requestor`` / ``Association.acceptor`` (pynetdicom's names)."""

from __future__ import annotations

from typing import Optional

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
    acceptor's answer, the server response."""

    def __init__(self) -> None:
        self._user_identity_type: Optional[int] = None
        self.positive_response_requested: bool = False
        self._primary_field: Optional[bytes] = None
        self._secondary_field: Optional[bytes] = None
        self._server_response: Optional[bytes] = None

    @property
    def user_identity_type(self) -> Optional[int]:
        """1 username, 2 username and passcode, 3 Kerberos, 4 SAML, 5 JWT."""
        return self._user_identity_type

    @user_identity_type.setter
    def user_identity_type(self, value: Optional[int]) -> None:
        if value is not None and value not in _IDENTITY_TYPES:
            raise ValueError(f"user_identity_type must be one of 1-5, not {value!r}")
        self._user_identity_type = value

    @property
    def primary_field(self) -> Optional[bytes]:
        return self._primary_field

    @primary_field.setter
    def primary_field(self, value: Optional[bytes]) -> None:
        self._primary_field = _check_field("primary_field", value)

    @property
    def secondary_field(self) -> Optional[bytes]:
        return self._secondary_field

    @secondary_field.setter
    def secondary_field(self, value: Optional[bytes]) -> None:
        self._secondary_field = _check_field("secondary_field", value)

    @property
    def server_response(self) -> Optional[bytes]:
        return self._server_response

    @server_response.setter
    def server_response(self, value: Optional[bytes]) -> None:
        self._server_response = _check_field("server_response", value)

    def __repr__(self) -> str:
        kind = _IDENTITY_TYPES.get(self.user_identity_type or 0, "response")
        return f"<UserIdentityNegotiation {kind}>"


__all__ = ["UserIdentityNegotiation"]
