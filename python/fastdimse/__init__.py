"""fastdimse: DICOM Verification (C-ECHO) networking with pynetdicom's API on a Rust core.

Change ``from pynetdicom import AE, evt`` to ``from fastdimse import AE, evt``.
"""

from pydicom.uid import UID

from . import _core, evt
from ._core import __version__
from ._logging import debug_logger
from ._tls import TLSConfig  # importing _tls starts recording SSLContext loads
from .ae import AE, ApplicationEntity, AssociationServer
from .association import Association
from .presentation import (
    ALL_TRANSFER_SYNTAXES,
    DEFAULT_TRANSFER_SYNTAXES,
    PresentationContext,
    VerificationPresentationContexts,
    build_context,
    build_role,
)

PYNETDICOM_IMPLEMENTATION_UID: UID = UID(_core.IMPLEMENTATION_CLASS_UID)
"""fastdimse's own Implementation Class UID, under pynetdicom's name for the constant (what
an AE announces unless told otherwise)."""

PYNETDICOM_IMPLEMENTATION_VERSION: str = _core.IMPLEMENTATION_VERSION_NAME
"""fastdimse's own Implementation Version Name, under pynetdicom's name for the constant."""

__all__ = [
    "AE",
    "ALL_TRANSFER_SYNTAXES",
    "ApplicationEntity",
    "Association",
    "AssociationServer",
    "DEFAULT_TRANSFER_SYNTAXES",
    "PYNETDICOM_IMPLEMENTATION_UID",
    "PYNETDICOM_IMPLEMENTATION_VERSION",
    "PresentationContext",
    "TLSConfig",
    "VerificationPresentationContexts",
    "__version__",
    "build_context",
    "build_role",
    "debug_logger",
    "evt",
]
