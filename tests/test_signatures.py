"""`AE.associate` and `AE.associate_async` take pynetdicom 3.0.4's parameters: the same
names, in the same order, of the same kind, with the same defaults, so a call written for one
works unchanged with the others (positionally too)."""

from __future__ import annotations

import inspect
from typing import List, Tuple

import pytest
from fastdimse import AE


def shape(func: object) -> List[Tuple[str, object, object]]:
    """(name, kind, default) of every parameter: annotations are left out, as ours are
    spelled for Python 3.9 and pynetdicom's are not."""
    return [
        (p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()
    ]


def test_associate_async_takes_associates_parameters() -> None:
    assert shape(AE.associate_async) == shape(AE.associate)


def test_associate_matches_pynetdicom() -> None:
    pynetdicom = pytest.importorskip("pynetdicom")
    assert shape(AE.associate) == shape(pynetdicom.AE.associate)


def test_ae_constructor_matches_pynetdicom() -> None:
    pynetdicom = pytest.importorskip("pynetdicom")
    assert shape(AE.__init__) == shape(pynetdicom.AE.__init__)
    # help(AE) shows the constructor's parameters and what they mean.
    assert "ae_title" in (AE.__doc__ or "")
