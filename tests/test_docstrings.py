"""Every public name of the pynetdicom-compatible API has a docstring (help() and IDEs show
it), and the entry points document their parameters and what they raise."""

from __future__ import annotations

import importlib
import inspect
from typing import List

import pytest

MODULES = [
    "fastdimse",
    "fastdimse.ae",
    "fastdimse.association",
    "fastdimse.dimse",
    "fastdimse.dimse_primitives",
    "fastdimse.evt",
    "fastdimse.exceptions",
    "fastdimse.pdu",
    "fastdimse.pdu_items",
    "fastdimse.pdu_primitives",
    "fastdimse.presentation",
    "fastdimse.service_class",
    "fastdimse.sop_class",
    "fastdimse.status",
]


def undocumented(module_name: str) -> List[str]:
    module = importlib.import_module(module_name)
    missing = [] if module.__doc__ else [module_name]
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not obj.__doc__:
            missing.append(f"{module_name}.{name}")
        if not inspect.isclass(obj):
            continue
        for attr, value in vars(obj).items():
            if attr.startswith("_"):
                continue
            func = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
            if inspect.isfunction(func) and not func.__doc__:
                missing.append(f"{module_name}.{name}.{attr}")
    return missing


@pytest.mark.parametrize("module_name", MODULES)
def test_public_names_have_docstrings(module_name: str) -> None:
    assert undocumented(module_name) == []


@pytest.mark.parametrize(
    "qualname",
    [
        "ae.ApplicationEntity",
        "ae.ApplicationEntity.associate",
        "ae.ApplicationEntity.start_server",
        "ae.ApplicationEntity.add_requested_context",
        "ae.ApplicationEntity.add_supported_context",
        "association.Association.send_c_echo",
        "association.Association.send_c_cancel",
        "presentation.build_context",
    ],
)
def test_entry_points_document_parameters_and_errors(qualname: str) -> None:
    module_name, _, path = qualname.partition(".")
    obj = importlib.import_module(f"fastdimse.{module_name}")
    for part in path.split("."):
        obj = getattr(obj, part)
    doc = inspect.getdoc(obj) or ""
    assert "Parameters" in doc and "Raises" in doc, qualname
