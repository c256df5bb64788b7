"""Which of pynetdicom's own tests measure fastdimse: a rule that reads test source only.

The rule never looks at a result. It works in two steps:

1. **By file** (``FILES``): a test file is in scope when the feature it tests is one fastdimse
   implements (Verification, association, AE configuration, events, presentation negotiation,
   primitives, status, logging, the echoscu/echoscp apps and ``python -m``). Every other file
   of the wheel is listed in ``EXCLUDED_FILES`` with the reason.
2. **By test** (``test_reasons``): inside a selected file, a test is left out when its source
   (the test function, the setup/teardown and class attributes of its class and bases, its
   decorators, and every module-level function, class or constant it references,
   transitively) references something in ``FORBIDDEN``: another service's SOP classes,
   primitives, events or calls; pynetdicom internals (DUL, state machine, transport,
   ACSE, DIMSE provider, PDU encoding, private modules and attributes). The reason of the
   first rule that matches is recorded.

``python tests/pynetdicom_suite/run.py --list`` prints what this selects, with counts per
file and per reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple

# Test files of the wheel (relative to the pynetdicom package) that are in scope.
FILES: Tuple[str, ...] = (
    "tests/test_ae.py",
    "tests/test_assoc.py",
    "tests/test_assoc_user.py",
    "tests/test_cli.py",
    "tests/test_dimse_c.py",
    "tests/test_events.py",
    "tests/test_logging.py",
    "tests/test_presentation.py",
    "tests/test_primitives.py",
    "tests/test_service_class.py",
    "tests/test_service_verification.py",
    "tests/test_status.py",
    "apps/tests/test_echoscp.py",
    "apps/tests/test_echoscu.py",
    "tests/test_transport.py",
)

# Every other test file of the wheel, with why it is out of scope.
EXCLUDED_FILES: Dict[str, str] = {
    "tests/test_acse.py": "internals: ACSE provider",
    "tests/test_assoc_n.py": "other services: DIMSE-N",
    "tests/test_dimse_msg.py": "internals: DIMSE message encoding",
    "tests/test_dimse_n.py": "other services: DIMSE-N primitives",
    "tests/test_dimse_provider.py": "internals: DIMSE provider",
    "tests/test_dsutils.py": "internals: dataset encoding helpers",
    "tests/test_dul.py": "internals: DUL provider",
    "tests/test_environment.py": "pynetdicom packaging: its CI environment",
    "tests/test_fsm.py": "internals: state machine",
    "tests/test_pdu.py": "internals: PDU classes",
    "tests/test_pdu_items.py": "internals: PDU item classes",
    "tests/test_service_n.py": "other services: DIMSE-N",
    "tests/test_service_non_patient.py": "other services: non-patient objects",
    "tests/test_service_qr.py": "other services: query/retrieve",
    "tests/test_service_relevant_patient.py": "other services: relevant patient query",
    "tests/test_service_storage.py": "other services: storage",
    "tests/test_service_substance_admin.py": "other services: substance administration",
    "tests/test_sop.py": "other services: the SOP class registry of every service",
    "tests/test_timer.py": "internals: ARTIM timer",
    "tests/test_utils.py": "pynetdicom.utils helpers (not part of the Verification API)",
    "tests/test_validators.py": "internals: private _validators module",
    "apps/tests/test_common.py": "other services: the apps' shared dataset helpers",
    "apps/tests/test_findscu.py": "other services: findscu app",
    "apps/tests/test_getscu.py": "other services: getscu app",
    "apps/tests/test_movescu.py": "other services: movescu app",
    "apps/tests/test_qrscp_db.py": "other services: qrscp app",
    "apps/tests/test_qrscp_echo.py": "other services: qrscp app",
    "apps/tests/test_qrscp_find.py": "other services: qrscp app",
    "apps/tests/test_qrscp_get.py": "other services: qrscp app",
    "apps/tests/test_qrscp_move.py": "other services: qrscp app",
    "apps/tests/test_qrscp_store.py": "other services: qrscp app",
    "apps/tests/test_storescp.py": "other services: storescp app",
    "apps/tests/test_storescu.py": "other services: storescu app",
}

OTHER_SERVICES = "other services"
INTERNALS = "internals"
PRIVATE = "private attribute or name"
OUTSIDE = "needs an outside route"

# Addresses a test may associate with in a private network namespace (loopback only).
LOOPBACK_HOSTS = {"", "localhost", "0.0.0.0", "::", "::1"}

# Modules whose names mark a test as using pynetdicom internals when a test references a name
# imported from them (or imports them itself).
INTERNAL_MODULES: Dict[str, str] = {
    "pynetdicom.acse": "ACSE provider",
    "pynetdicom.dimse": "DIMSE provider",
    "pynetdicom.dimse_messages": "DIMSE message classes",
    "pynetdicom.dsutils": "dataset encoding helpers",
    "pynetdicom.dul": "DUL provider",
    "pynetdicom.fsm": "state machine",
    "pynetdicom.pdu": "PDU classes",
    "pynetdicom.pdu_items": "PDU item classes",
    "pynetdicom.service_class_n": "DIMSE-N service classes",
    "pynetdicom.timer": "ARTIM timer",
    "pynetdicom.transport": "transport",
    "pynetdicom.utils": "pynetdicom.utils helpers",
    "pynetdicom._globals": "private module _globals",
    "pynetdicom._handlers": "private module _handlers",
    "pynetdicom._validators": "private module _validators",
    "pynetdicom.tests.encoded_dimse_msg": "encoded DIMSE messages (internals' fixtures)",
    "pynetdicom.tests.encoded_dimse_n_msg": "encoded DIMSE-N messages",
    "pynetdicom.tests.encoded_pdu_items": "encoded PDUs (internals' fixtures)",
    "pynetdicom.tests.parrot": "parrot: a raw-socket peer built on pynetdicom's PDU classes",
}

# The only SOP class of pynetdicom.sop_class that fastdimse serves.
SOP_CLASS_ALLOWED = {"Verification", "SOPClass", "uid_to_service_class", "uid_to_sop_class"}

# Names and attributes that mark another service or an internal.
_OTHER_SERVICE_RE = re.compile(
    r"^(send_(c_(store|find|get|move)|n_\w+)|EVT_(C_(STORE|FIND|GET|MOVE)|N_\w+)"
    r"|(C_(STORE|FIND|GET|MOVE)|N_(ACTION|CREATE|DELETE|EVENT_REPORT|GET|SET))"
    r"|\w+PresentationContexts|\w+ServiceClass|\w+_STATUS|\w+Storage\w*"
    r"|\w+QueryRetrieve\w*|\w+InformationModel\w*)$"
)
_OTHER_SERVICE_ALLOWED = {
    "VerificationPresentationContexts",
    "VerificationServiceClass",
    "ServiceClass",
    "VERIFICATION_SERVICE_CLASS_STATUS",
    "GENERAL_STATUS",
}
# Event properties that only other services' requests have (as attributes: ``event.dataset``).
_OTHER_SERVICE_EVENT_ATTRS = {
    "dataset",
    "file_meta",
    "encoded_dataset",
    "identifier",
    "move_destination",
    "action_information",
    "action_type",
    "attribute_list",
    "attribute_identifiers",
    "event_information",
    "event_type",
    "modification_list",
}
_INTERNAL_ATTRS = {
    "dul": "DUL provider",
    "acse": "ACSE provider",
    "dimse": "DIMSE provider",
    "fsm": "state machine",
    "state_machine": "state machine",
    "transport": "transport",
    "DummyDIMSE": "a stand-in for the DIMSE provider",
    "DummyAssoc": "a stand-in association",
    "DummyDUL": "a stand-in DUL provider",
    "DummyFSM": "a stand-in state machine",
    "ServiceUser": "ServiceUser built by hand around pynetdicom's A_ASSOCIATE",
    "attempt": "the service classes' reply helper around the DIMSE provider",
}
# Private names that pynetdicom users set; tests that use them stay in scope.
_PRIVATE_ALLOWED = {"_config"}


@dataclass
class Selection:
    """What the rule selected: test ids (without parameters) and why others were left out."""

    selected: List[str] = field(default_factory=list)
    excluded: Dict[str, str] = field(default_factory=dict)  # test id -> reason
    files_excluded: Dict[str, str] = field(default_factory=dict)
    per_file: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # selected, excluded


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in _PRIVATE_ALLOWED


def _resolve_module(module: Optional[str], level: int, package: str) -> str:
    """Absolute name of an ``ImportFrom``'s module (pynetdicom tests use relative imports)."""
    if level == 0:
        return module or ""
    parts = package.split(".")
    base = parts[: len(parts) - level + 1]
    return ".".join(base + ([module] if module else []))


class _ModuleIndex:
    """Module-level names of one test file: where imports come from and what defs hold."""

    def __init__(self, tree: ast.Module, package: str) -> None:
        self.imported: Dict[str, str] = {}  # local name -> "module.name" or module
        self.defs: Dict[str, ast.AST] = {}
        self.classes: Dict[str, ast.ClassDef] = {}
        self.package = package
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                mod = _resolve_module(node.module, node.level, package)
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = f"{mod}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imported[alias.asname or alias.name.split(".")[0]] = alias.name
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs[node.name] = node
                if isinstance(node, ast.ClassDef):
                    self.classes[node.name] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.defs[target.id] = node


def _reason_for_import(full: str) -> Optional[str]:
    """Why a name imported as ``full`` (module.name) marks a test, or None."""
    for mod, what in INTERNAL_MODULES.items():
        if full == mod or full.startswith(mod + "."):
            return f"{INTERNALS}: {what}"
    if full.startswith("pynetdicom.sop_class."):
        name = full.rsplit(".", 1)[1]
        if name not in SOP_CLASS_ALLOWED:
            return f"{OTHER_SERVICES}: SOP class {name}"
    if full.startswith("pynetdicom."):
        name = full.rsplit(".", 1)[1]
        if _is_private(name):
            return f"{PRIVATE}: {full}"
    return None


def _reason_for_name(name: str, is_attr: bool) -> Optional[str]:
    """Why an identifier or attribute name marks a test, or None.

    Private names count only as attributes (``assoc._x``); a test module's own helpers may
    start with an underscore, and names imported from pynetdicom are judged by their import.
    """
    if name in _INTERNAL_ATTRS:
        return f"{INTERNALS}: {_INTERNAL_ATTRS[name]}"
    if name not in _OTHER_SERVICE_ALLOWED and _OTHER_SERVICE_RE.match(name):
        return f"{OTHER_SERVICES}: {name}"
    if is_attr and name in _OTHER_SERVICE_EVENT_ATTRS:
        return f"{OTHER_SERVICES}: event.{name}"
    if is_attr and _is_private(name):
        return f"{PRIVATE}: {name}"
    return None


def _outside_host(call: ast.Call) -> Optional[str]:
    """The host of ``x.associate("host", ...)`` when it is not a loopback address."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "associate"):
        return None
    if not call.args or not isinstance(call.args[0], ast.Constant):
        return None
    host = call.args[0].value
    if not isinstance(host, str) or host in LOOPBACK_HOSTS or host.startswith("127."):
        return None
    return host


def _scan(nodes: Iterable[ast.AST], index: _ModuleIndex) -> Optional[str]:
    """First reason found in ``nodes`` or in the module-level defs they reference."""
    seen: Set[str] = set()
    todo: List[ast.AST] = list(nodes)
    while todo:
        for node in ast.walk(todo.pop(0)):
            name: Optional[str] = None
            if isinstance(node, ast.Name):
                name = node.id
            elif isinstance(node, ast.Attribute):
                name = node.attr
                if node.attr.startswith("__"):
                    continue
            elif isinstance(node, ast.ImportFrom):
                mod = _resolve_module(node.module, node.level, index.package)
                for alias in node.names:
                    reason = _reason_for_import(f"{mod}.{alias.name}")
                    if reason:
                        return reason
                continue
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    reason = _reason_for_import(alias.name)
                    if reason:
                        return reason
                continue
            elif isinstance(node, ast.keyword) and node.arg:
                name = node.arg  # f(tls_args=...)
            elif isinstance(node, ast.Call) and _outside_host(node):
                return f"{OUTSIDE}: associate({_outside_host(node)!r})"
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                # monkeypatch.setattr("pynetdicom.dul.X", ...) and the like
                if node.value.startswith("pynetdicom."):
                    reason = _reason_for_import(node.value)
                    if reason:
                        return reason
                continue
            if name is None:
                continue
            reason = _reason_for_name(name, isinstance(node, ast.Attribute))
            if reason:
                return reason
            if name in index.imported:
                reason = _reason_for_import(index.imported[name])
                if reason:
                    return reason
            if name in index.defs and name not in seen:
                seen.add(name)
                todo.append(index.defs[name])
    return None


def _class_methods(cls: ast.ClassDef, index: _ModuleIndex) -> Tuple[Dict[str, ast.AST], list]:
    """Methods by name (bases defined in the module first) and class-level statements."""
    methods: Dict[str, ast.AST] = {}
    other: list = []
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in index.classes:
            base_methods, base_other = _class_methods(index.classes[base.id], index)
            methods.update(base_methods)
            other.extend(base_other)
    other.extend(cls.decorator_list)
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            methods[node.name] = node
        elif not isinstance(node, ast.ClassDef):
            other.append(node)
    return methods, other


_FIXTURE_METHODS = (
    "setup_method",
    "teardown_method",
    "setup_class",
    "teardown_class",
    "setup",
    "teardown",
)


def _select_class(
    cls: ast.ClassDef, prefix: str, index: _ModuleIndex, out: Dict[str, Optional[str]]
) -> None:
    methods, other = _class_methods(cls, index)
    shared = other + [methods[m] for m in _FIXTURE_METHODS if m in methods]
    shared_reason = _scan(shared, index)
    for name, node in methods.items():
        if name.startswith("test"):
            out[f"{prefix}::{name}"] = shared_reason or _scan([node], index)
    for node in cls.body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            _select_class(node, f"{prefix}::{node.name}", index, out)


def select_file(path: Path, rel: str) -> Dict[str, Optional[str]]:
    """Test id (``pynetdicom/<rel>::Class::test``) -> reason it is left out, or None."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = "pynetdicom." + ".".join(Path(rel).parent.parts)
    index = _ModuleIndex(tree, package)
    out: Dict[str, Optional[str]] = {}
    file_id = f"pynetdicom/{rel}"
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            _select_class(node, f"{file_id}::{node.name}", index, out)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            out[f"{file_id}::{node.name}"] = _scan([node], index)
    return out


def select(package_dir: Path) -> Selection:
    """Apply the rule to the pynetdicom package at ``package_dir``."""
    result = Selection()
    files = sorted(p.relative_to(package_dir).as_posix() for p in package_dir.rglob("test_*.py"))
    for rel in files:
        if rel not in FILES:
            result.files_excluded[rel] = EXCLUDED_FILES.get(rel, "not listed (new in this wheel)")
            continue
        chosen = excluded = 0
        for test_id, reason in select_file(package_dir / rel, rel).items():
            if reason is None:
                result.selected.append(test_id)
                chosen += 1
            else:
                result.excluded[test_id] = reason
                excluded += 1
        result.per_file[rel] = (chosen, excluded)
    return result


def reason_group(reason: str) -> str:
    """The category of a reason (the part before the colon)."""
    return reason.split(":", 1)[0]
