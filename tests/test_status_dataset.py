"""The status-only Dataset of every ``send_c_echo``: cloned for speed, never different from
what pydicom's constructor makes, and built by the constructor whenever that cannot be
made sure of."""

from __future__ import annotations

import copy
import pickle

import pydicom
import pytest
from fastdimse import _status_dataset
from pydicom.dataset import Dataset

STATUSES = [0x0000, 0x0001, 0x0107, 0x0110, 0x0122, 0xA700, 0xC000, 0xFE00, 0xFFFF]


def _constructed(status: int) -> Dataset:
    ds = Dataset()
    ds.Status = status
    return ds


# pydicom releases the clone was checked against (2.4.4 and 3.0.2 when it was written).
VERIFIED_PYDICOM = ("2.4.", "3.0.")


def test_the_installed_pydicom_gets_the_cloning_builder() -> None:
    """On the pydicom releases it was verified with, the clone is what runs. If this fails,
    such a release holds something new in a fresh Dataset: results stay right (the
    constructor is used, as the tests below check) but every echo pays ~9 µs more. A
    release not verified yet is not failed for it: the tests below hold for either
    builder."""
    if not pydicom.__version__.startswith(VERIFIED_PYDICOM):
        pytest.skip(f"pydicom {pydicom.__version__} is not among {VERIFIED_PYDICOM}")
    assert _status_dataset._fast_builder() is not None


@pytest.mark.parametrize("status", STATUSES)
def test_a_status_dataset_is_what_the_constructor_makes(status: int) -> None:
    got, want = _status_dataset.status_dataset(status), _constructed(status)
    assert type(got) is Dataset
    assert got == want
    assert got.Status == status
    assert [(e.tag, e.VR, e.value) for e in got] == [(0x00000900, "US", status)]
    assert vars(got).keys() == vars(want).keys()
    assert str(got) == str(want)
    assert pickle.loads(pickle.dumps(got)) == want
    assert copy.deepcopy(got) == want


def test_status_datasets_share_no_state() -> None:
    """Each result is the caller's to change: nothing done to one, through the API or to
    any container it holds, shows in the next."""
    first = _status_dataset.status_dataset(0)
    first.Status = 0xC000
    first.ErrorComment = "changed"
    first.add_new(0x00091010, "LO", "private")
    first.private_block(0x0011, "CREATOR", create=True)
    first[0x00000900].value = 0xA700
    for obj in (first, first[0x00000900]):
        for value in vars(obj).values():
            if isinstance(value, dict):
                value["mutated"] = True
            elif isinstance(value, list):
                value.append(1)
            elif isinstance(value, set):
                value.add(1)
    second = _status_dataset.status_dataset(0)
    want = _constructed(0)
    assert second == want
    assert len(second) == 1
    assert vars(second) == vars(want)
    assert vars(second[0x00000900]) == vars(want[0x00000900])


def test_an_attribute_of_unknown_type_makes_it_use_the_constructor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pydicom whose fresh Dataset holds something this cannot copy safely (here: `str`,
    the type of its character set, treated as unknown) gets the constructor, with the same
    results."""
    monkeypatch.setattr(
        _status_dataset, "_SHARED", tuple(t for t in _status_dataset._SHARED if t is not str)
    )
    assert _status_dataset._fast_builder() is None
    monkeypatch.setattr(_status_dataset, "_build", None)
    for status in STATUSES:
        assert _status_dataset.status_dataset(status) == _constructed(status)
    assert _status_dataset._build is _status_dataset._slow


def test_a_clone_that_differs_from_the_constructor_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check on first use compares with the constructor: a pydicom that also records
    something per element (here: an extra attribute on each constructed DataElement) fails
    it, and the constructor is used."""
    from pydicom import dataelem

    original = dataelem.DataElement.__init__
    prototype_made = []

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        if prototype_made:
            self.__dict__["_extra"] = 1
        prototype_made.append(True)

    monkeypatch.setattr(dataelem.DataElement, "__init__", init)
    assert _status_dataset._fast_builder() is None
