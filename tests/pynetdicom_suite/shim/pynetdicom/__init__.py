"""The name ``pynetdicom``, served by fastdimse, for running pynetdicom's own tests.

The harness puts this package first on ``sys.path`` (and on ``PYTHONPATH`` for the apps'
subprocesses). It holds nothing of pynetdicom: its ``tests`` and ``apps/tests`` folders are
copies of the test files the selection rule chose, and every other ``pynetdicom.X`` is
fastdimse's module of the same name (``pynetdicom.events`` is ``fastdimse.evt``):

- ``pynetdicom.X`` is a proxy module whose attribute reads and writes go to ``fastdimse.X``
  (so ``monkeypatch.setattr(pynetdicom._config, ...)`` changes fastdimse's switch);
- a name fastdimse lacks (a module or an attribute) is a :class:`Missing` placeholder: a test
  module that imports it still loads, and a test that uses it fails with
  :class:`FastdimseLacks` naming what is missing;
- **guard**: an audit hook refuses to open any file of the real pynetdicom package (its path
  comes from ``FASTDIMSE_SUITE_REAL``) and records the attempt in ``REACHED`` and in the file
  named by ``FASTDIMSE_SUITE_GUARD_LOG``, which the harness turns into a failure.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types

import fastdimse as _fastdimse

__version__ = _fastdimse.__version__

# Modules whose pynetdicom name differs from fastdimse's.
_RENAMED = {"events": "evt"}
# Sub-packages that live in this folder (the copied tests and the app launchers).
_LOCAL = {"tests", "apps", "__main__"}

REACHED = []


def _probe(name):
    """Names that tools look up to see whether a module defines them (pytest's hooks and
    fixtures, dunders): absent stays absent, never a placeholder."""
    return name.startswith(("__", "pytest_", "setup", "teardown", "setUp", "tearDown"))


class FastdimseLacks(Exception):
    """A test used a pynetdicom name that fastdimse does not have."""


def _lacks(what, action):
    raise FastdimseLacks(f"fastdimse has no {what} ({action})")


class _MissingBase:
    """Base given to a class that subclasses a :class:`Missing` name."""

    _missing = "?"

    def __init__(self, *args, **kwargs):
        _lacks(self._missing, "subclassed")


class Missing:
    """Placeholder for a pynetdicom name fastdimse lacks: any use raises FastdimseLacks."""

    def __init__(self, what):
        object.__setattr__(self, "_what", what)

    def __repr__(self):
        return f"<missing in fastdimse: {self._what}>"

    __str__ = __repr__

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        _lacks(self._what, f"attribute {name!r} read")

    def __setattr__(self, name, value):
        _lacks(self._what, f"attribute {name!r} set")

    def __call__(self, *args, **kwargs):
        _lacks(self._what, "called")

    def __mro_entries__(self, bases):
        return (
            type(
                "Missing_" + self._what.replace(".", "_"), (_MissingBase,), {"_missing": self._what}
            ),
        )

    def _use(self, *args, **kwargs):
        _lacks(self._what, "used")

    __bool__ = __eq__ = __ne__ = __lt__ = __gt__ = __iter__ = __len__ = _use
    __getitem__ = __contains__ = __int__ = __index__ = __hash__ = _use


class _Proxy(types.ModuleType):
    """``pynetdicom.X`` as a view of ``fastdimse.X`` (or of nothing, if fastdimse lacks X)."""

    def __init__(self, name, target):
        super().__init__(name)
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name):
        target = object.__getattribute__(self, "_target")
        if target is not None:
            try:
                return getattr(target, name)
            except AttributeError:
                pass
        if _probe(name):
            raise AttributeError(name)
        return Missing(f"{self.__name__}.{name}")

    def __setattr__(self, name, value):
        target = object.__getattribute__(self, "_target")
        if name.startswith("__") or target is None and name in self.__dict__:
            object.__setattr__(self, name, value)
        elif target is None:
            _lacks(f"{self.__name__}.{name}", "attribute set")
        else:
            setattr(target, name, value)

    def __delattr__(self, name):
        target = object.__getattribute__(self, "_target")
        if name.startswith("__") or target is None:
            object.__delattr__(self, name)
        else:
            delattr(target, name)

    def __dir__(self):
        target = object.__getattribute__(self, "_target")
        return dir(target) if target is not None else []


def _fastdimse_name(short):
    """``fastdimse.<short>`` if fastdimse has that module, else None."""
    name = "fastdimse." + _RENAMED.get(short, short)
    try:
        return name if importlib.util.find_spec(name) is not None else None
    except ImportError:
        return None


class _ProxyLoader(importlib.abc.Loader):
    def create_module(self, spec):
        short = spec.name.split(".", 1)[1]
        target = _fastdimse_name(short)
        return _Proxy(spec.name, importlib.import_module(target) if target else None)

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """Serves ``pynetdicom.X`` (one level below the package) from fastdimse."""

    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if parts[0] != __name__ or len(parts) != 2 or parts[1] in _LOCAL:
            return None
        return importlib.machinery.ModuleSpec(fullname, _ProxyLoader())


def _real_dir():
    """The real pynetdicom package folder (what the guard refuses)."""
    real = os.environ.get("FASTDIMSE_SUITE_REAL")
    if real:
        return os.path.realpath(real)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec(__name__, paths)
    return os.path.realpath(os.path.dirname(spec.origin)) if spec and spec.origin else None


_REAL = _real_dir()


def _guard(event, args):
    """Audit hook: opening a file of the real pynetdicom is refused and recorded."""
    if event != "open" or _REAL is None or not args:
        return
    path = args[0]
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str):
        return
    full = os.path.realpath(path)
    if full == _REAL or full.startswith(_REAL + os.sep):
        REACHED.append(full)
        log = os.environ.get("FASTDIMSE_SUITE_GUARD_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"{os.getpid()} {full}\n")
        raise ImportError(f"harness guard: the real pynetdicom was reached: {full}")


if not any(isinstance(f, _Finder) for f in sys.meta_path):
    sys.meta_path.insert(0, _Finder())
    sys.addaudithook(_guard)


def __getattr__(name):
    """``pynetdicom.<name>``: fastdimse's top-level name, a submodule, or :class:`Missing`."""
    if _probe(name):
        raise AttributeError(name)
    if hasattr(_fastdimse, name) and not isinstance(getattr(_fastdimse, name), types.ModuleType):
        return getattr(_fastdimse, name)
    if name in _LOCAL or _fastdimse_name(name) is not None:
        return importlib.import_module(f"{__name__}.{name}")
    return Missing(f"{__name__}.{name}")
