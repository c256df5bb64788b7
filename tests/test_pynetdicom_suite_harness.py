"""The pynetdicom-suite harness itself: its shim serves fastdimse, its guard refuses the real
pynetdicom, and its selection rule reads source only (tests/pynetdicom_suite/README.md).

These run in a few subprocesses and take well under a second each; the suite itself is the
``== pynetdicom suite`` stage of ``scripts/test.sh``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parent / "pynetdicom_suite"
sys.path.insert(0, str(SUITE))

import selection  # noqa: E402


def _real_dir() -> Path:
    import pynetdicom

    return Path(pynetdicom.__file__).resolve().parent


def _run_with_shim(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(SUITE / "shim"),
        FASTDIMSE_SUITE_REAL=str(_real_dir()),
        FASTDIMSE_SUITE_GUARD_LOG=str(tmp_path / "guard.log"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_shim_serves_fastdimse_modules(tmp_path: Path) -> None:
    proc = _run_with_shim(
        """
        import fastdimse, fastdimse.evt, fastdimse.presentation
        import pynetdicom
        from pynetdicom import AE, evt, _config
        from pynetdicom.events import Event
        from pynetdicom.presentation import negotiate_as_acceptor
        assert AE is fastdimse.AE
        assert evt.EVT_C_ECHO is fastdimse.evt.EVT_C_ECHO and Event is fastdimse.evt.Event
        assert negotiate_as_acceptor is fastdimse.presentation.negotiate_as_acceptor
        _config.ENFORCE_UID_CONFORMANCE = True     # writes go to fastdimse's module
        import fastdimse._config
        assert fastdimse._config.ENFORCE_UID_CONFORMANCE is True
        print("ok")
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_names_fastdimse_lacks_fail_when_used(tmp_path: Path) -> None:
    proc = _run_with_shim(
        """
        from pynetdicom.transport import AssociationServer   # loads: a placeholder
        try:
            AssociationServer()
        except Exception as exc:
            print(type(exc).__name__, exc)
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        "FastdimseLacks fastdimse has no pynetdicom.transport.AssociationServer (called)"
    )


def test_guard_refuses_the_real_pynetdicom(tmp_path: Path) -> None:
    real_ae = _real_dir() / "ae.py"
    proc = _run_with_shim(
        f"""
        import runpy
        import pynetdicom
        try:
            runpy.run_path({str(real_ae)!r})
        except ImportError as exc:
            print("refused:", exc)
        print(len(pynetdicom.REACHED))
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "refused: harness guard: the real pynetdicom was reached" in proc.stdout
    assert int(proc.stdout.split()[-1]) >= 1
    assert str(real_ae) in (tmp_path / "guard.log").read_text()


def test_selection_reads_source_only(tmp_path: Path) -> None:
    """The rule's reasons for a small made-up test file."""
    source = textwrap.dedent(
        """
        from pynetdicom import AE, _config
        from pynetdicom.sop_class import Verification, CTImageStorage
        from pynetdicom.transport import AssociationServer

        def helper():
            return CTImageStorage

        class TestThings:
            def test_echo(self):
                _config.LOG_HANDLER_LEVEL = "none"
                AE().add_requested_context(Verification)

            def test_storage(self):
                helper()

            def test_transport(self):
                AssociationServer

            def test_private(self):
                AE()._servers

            def test_tls(self):
                AE().associate("localhost", 11112, tls_args=None)

            def test_outside(self):
                AE().associate("8.8.8.8", 11112)
        """
    )
    path = tmp_path / "test_made_up.py"
    path.write_text(source)
    reasons = selection.select_file(path, "tests/test_made_up.py")
    base = "pynetdicom/tests/test_made_up.py::TestThings::"
    assert reasons == {
        base + "test_echo": None,
        base + "test_storage": "other services: CTImageStorage",
        base + "test_transport": "internals: transport",
        base + "test_private": "private attribute or name: _servers",
        base + "test_tls": None,  # TLS is in scope now that fastdimse has it
        base + "test_outside": "needs an outside route: associate('8.8.8.8')",
    }


@pytest.mark.parametrize("rel", selection.FILES)
def test_selected_files_exist_in_the_wheel(rel: str) -> None:
    assert (_real_dir() / rel).is_file()
