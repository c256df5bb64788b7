"""fastdimse's exceptions: one hierarchy, raised from the Rust core and the Python layer.

``FastDimseError`` is the base. ``PDUDecodeError`` and ``CommandSetError`` are raised for
bytes (or values) that cannot be decoded (or encoded); ``AssociationError`` for an
operation the association's state does not allow; ``NetworkError`` for socket failures.
Bad arguments from Python code raise ``TypeError``/``ValueError`` naming the value.
"""

from ._core import (
    AssociationError,
    CommandSetError,
    FastDimseError,
    NetworkError,
    PDUDecodeError,
)

__all__ = [
    "AssociationError",
    "CommandSetError",
    "FastDimseError",
    "NetworkError",
    "PDUDecodeError",
]
