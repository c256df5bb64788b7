"""fastdimse: DICOM Verification (C-ECHO) networking with pynetdicom's API on a Rust core.

Change ``from pynetdicom import AE, evt`` to ``from fastdimse import AE, evt``.
"""

from . import evt
from ._core import __version__
from ._logging import debug_logger
from ._tls import TLSConfig  # importing _tls starts recording SSLContext loads
from .ae import AE, ApplicationEntity, AssociationServer
from .association import Association
from .presentation import (
    DEFAULT_TRANSFER_SYNTAXES,
    PresentationContext,
    VerificationPresentationContexts,
    build_context,
)

__all__ = [
    "AE",
    "ApplicationEntity",
    "Association",
    "AssociationServer",
    "DEFAULT_TRANSFER_SYNTAXES",
    "PresentationContext",
    "TLSConfig",
    "VerificationPresentationContexts",
    "__version__",
    "build_context",
    "debug_logger",
    "evt",
]
