"""DIMSE command sets as pydicom Datasets, and the per-association DIMSE provider.

The codec itself is Rust (``fastdimse._core``); this module only turns its elements into a
:class:`pydicom.dataset.Dataset` of group 0000 and back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag

from . import _core
from .dimse_primitives import C_ECHO, primitive_to_command_elements

if TYPE_CHECKING:  # pragma: no cover
    from .association import Association

_VR = {tag: vr for tag, _keyword, vr in _core.command_dictionary()}


def decode(data: bytes) -> Dataset:
    """Decode a command set (Implicit VR Little Endian, group 0000) into a Dataset.

    CommandGroupLength is included, as on the wire. Raises
    :class:`fastdimse.exceptions.CommandSetError` for malformed bytes.
    """
    # The elements are pydicom's own raw elements, as its reader makes them from a file:
    # each value is converted (and checked) when first read. The core has already checked
    # the structure. A tag outside the command dictionary stays UN with its bytes (pydicom
    # would give a retired one its old VR, which a command set no longer defines).
    elements = {}
    for tag, vr, value, offset in _core.split_command(data):
        key = BaseTag(tag)
        if vr == "UN":
            elements[key] = DataElement(key, vr, value)
        else:
            elements[key] = RawDataElement(key, vr, len(value), value, offset, True, True)
    return Dataset(elements)


def encode(ds: Dataset) -> bytes:
    """Encode a Dataset of group-0000 elements as a command set.

    CommandGroupLength is computed (any value in `ds` is ignored). Raises ``ValueError``
    naming the element for a value that cannot be encoded.
    """
    pairs = []
    for elem in ds:
        tag = int(elem.tag)
        if tag >> 16:
            raise ValueError(f"{elem.keyword or elem.tag} is not a command element (group 0000)")
        value = elem.value
        vr = _VR.get(tag)
        if vr == "AT":
            # pydicom gives an empty AT as None, one tag as a tag, several as a MultiValue.
            if value is None:
                value = []
            elif isinstance(value, (list, tuple, MultiValue)):
                value = [int(v) for v in value]
            else:
                value = int(value)
        elif vr in ("UI", "AE", "LO") and value is None:
            value = ""
        pairs.append((tag, value))
    return bytes(_core.encode_command(pairs))


def _plain_response(rsp: C_ECHO) -> bool:
    """True for a C-ECHO-RSP the core encodes alone: no Error Comment, an ASCII UID."""
    if rsp.Status is None or rsp.MessageIDBeingRespondedTo is None:
        return False
    if rsp.ErrorComment is not None:
        return False
    uid = rsp.AffectedSOPClassUID
    return uid is None or str(uid).isascii()


class DIMSEServiceProvider:
    """The DIMSE provider of one association, as a service class sees it.

    ``send_msg`` hands a response primitive to the Rust core, which encodes, fragments
    and writes it; ``is_cancelled`` asks the core's cancel tracker.
    """

    def __init__(self, assoc: Association) -> None:
        self._assoc = assoc

    @property
    def assoc(self) -> Association:
        """The association this provider sends on."""
        return self._assoc

    @property
    def dimse_timeout(self) -> Optional[float]:
        """The association's DIMSE timeout, in seconds (None: wait for ever)."""
        return self._assoc.dimse_timeout

    def send_msg(self, primitive: Any, context_id: int) -> None:
        """Encode and send `primitive` on `context_id`.

        Parameters
        ----------
        primitive : dimse_primitives.C_ECHO or dimse_primitives.C_CANCEL
            The message; for a C_ECHO response its Status and MessageIDBeingRespondedTo
            must be set.
        context_id : int
            The accepted presentation context to send it on.

        Raises
        ------
        ValueError
            If an element of the message cannot be encoded.
        fastdimse.exceptions.AssociationError
            If the association can no longer send (released or aborted).
        """
        if type(primitive) is C_ECHO and _plain_response(primitive):
            # What nearly every handled echo sends: the core builds the same bytes itself,
            # about 1 µs of the 11 µs a handled C-ECHO spends on its handler thread.
            uid = primitive.AffectedSOPClassUID
            self._assoc._core.send_echo_rsp(
                context_id,
                primitive.MessageIDBeingRespondedTo,
                primitive.Status,
                None if uid is None else str(uid),
            )
            return
        pairs = primitive_to_command_elements(primitive)
        command = bytes(_core.encode_command(pairs))
        self._assoc._core.send_command(context_id, command)

    def is_cancelled(self, msg_id: int) -> bool:
        """Whether a C-CANCEL-RQ for `msg_id` arrived while that request was being
        handled: True once, then False (the cancellation is consumed).

        Parameters
        ----------
        msg_id : int
            The Message ID of the request in progress.
        """
        return bool(self._assoc._core.is_cancelled(msg_id))
