"""SOP classes: UIDs that know which service class serves them.

Only the Verification SOP class is served here; any other UID maps to the base
:class:`~fastdimse.service_class.ServiceClass`, which serves nothing.
"""

from __future__ import annotations

from typing import Optional, Type, cast

from pydicom.uid import UID

from fastdimse.service_class import VERIFICATION_UID, ServiceClass, VerificationServiceClass


class SOPClass(UID):
    """A :class:`pydicom.uid.UID` that also names the service class serving it."""

    _service_class: Optional[Type[ServiceClass]] = None

    def __new__(cls, val: str) -> SOPClass:
        if isinstance(val, SOPClass):
            return val
        return cast(SOPClass, super().__new__(cls, val))

    @property
    def service_class(self) -> Type[ServiceClass]:
        """The service class that serves this SOP class."""
        return self._service_class or ServiceClass


def uid_to_service_class(uid: str) -> Type[ServiceClass]:
    """Return the service class that serves the SOP Class `uid`.

    Parameters
    ----------
    uid : str
        A SOP Class UID.

    Returns
    -------
    type
        :class:`~fastdimse.service_class.VerificationServiceClass` for Verification, else
        the base :class:`~fastdimse.service_class.ServiceClass` (only Verification is
        served here).
    """
    if uid == VERIFICATION_UID:
        return VerificationServiceClass
    return ServiceClass


def _make_sop_class(uid: str) -> SOPClass:
    sop_class = SOPClass(uid)
    sop_class._service_class = uid_to_service_class(uid)
    return sop_class


Verification: SOPClass = _make_sop_class(VERIFICATION_UID)
"""``1.2.840.10008.1.1``, the Verification SOP Class."""


def uid_to_sop_class(uid: str) -> SOPClass:
    """Return the :class:`SOPClass` for `uid`.

    Parameters
    ----------
    uid : str
        A SOP Class UID.

    Returns
    -------
    SOPClass
        :data:`Verification` for its UID, else a new SOPClass whose ``service_class`` is the
        base :class:`~fastdimse.service_class.ServiceClass`.
    """
    if uid == VERIFICATION_UID:
        return Verification
    return _make_sop_class(uid)


__all__ = ["SOPClass", "Verification", "uid_to_service_class", "uid_to_sop_class"]
