"""The Upper Layer PDU codec from Python.

>>> from fastdimse import pdu
>>> p = pdu.decode(data)          # any of the 7 PDU types, header included
>>> p.name, p.called_ae_title     # fields by name (see ``p.fields``)
>>> p.encode() == data            # byte for byte, reserved bytes included

Decoding is done in Rust; a ``PDU`` converts its fields to Python values only when they
are first read. ``PDU.from_fields(dict)`` builds one from a dict shaped like ``fields``.
Malformed input raises :class:`fastdimse.exceptions.PDUDecodeError` naming the PDU, the
item and the offset.
"""

from __future__ import annotations

from typing import List, Tuple

from . import _core

PDU = _core.PDU

A_ASSOCIATE_RQ = 0x01
A_ASSOCIATE_AC = 0x02
A_ASSOCIATE_RJ = 0x03
P_DATA_TF = 0x04
A_RELEASE_RQ = 0x05
A_RELEASE_RP = 0x06
A_ABORT = 0x07


def decode(data: bytes) -> PDU:
    """Decode one whole PDU (its 6-byte header included).

    Parameters
    ----------
    data : bytes
        Exactly one PDU.

    Returns
    -------
    PDU
        Its type, name and fields (read as attributes or as the ``fields`` dict).

    Raises
    ------
    fastdimse.exceptions.PDUDecodeError
        If `data` is not one valid PDU; the message names the PDU, the item and the offset.
    """
    return _core.decode_pdu(data)


def from_fields(fields: dict) -> PDU:
    """Build a PDU from a dict shaped like ``PDU.fields`` (``pdu_type`` included).

    Returns
    -------
    PDU
        Ready to ``encode()``.

    Raises
    ------
    KeyError
        If a required field is missing.
    TypeError
        If a field has the wrong type.
    ValueError
        If a value is out of range (an unknown ``pdu_type`` among them).
    """
    return _core.PDU.from_fields(fields)


def split(stream: bytes) -> Tuple[List[bytes], bytes]:
    """Split a byte stream into whole PDUs by their 6-byte headers.

    Parameters
    ----------
    stream : bytes
        Bytes as read from a socket: any number of PDUs, the last possibly incomplete.

    Returns
    -------
    tuple of (list of bytes, bytes)
        The whole PDUs (not decoded) and the bytes left over after them.
    """
    pdus, rest = _core.split_pdus(stream)
    return list(pdus), bytes(rest)


__all__ = ["PDU", "decode", "from_fields", "split"]
