"""Logger placement: fastdimse's records keep their own names ("fastdimse", "fastdimse.*") but
the "fastdimse" logger is a child of "pynetdicom", so code written for pynetdicom that
configures logging.getLogger("pynetdicom") (levels, handlers, pytest's caplog, debug_logger)
controls fastdimse too, records from the Rust core included. Co-existence with the real
pynetdicom in one process, imported before or after, is checked in subprocesses."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from typing import Any, Callable, Iterator, List, Tuple

import fastdimse
import pytest
from fastdimse import AE
from fastdimse._logging import LOG_FORMAT

VERIFICATION = "1.2.840.10008.1.1"


def _state(logger: logging.Logger) -> Tuple[int, List[logging.Handler], bool]:
    return logger.level, list(logger.handlers), logger.propagate


@pytest.fixture(autouse=True)
def restore_loggers() -> Iterator[None]:
    """Each test leaves the "pynetdicom" and "fastdimse" loggers as it found them."""
    loggers = [logging.getLogger("pynetdicom"), logging.getLogger("fastdimse")]
    saved = [_state(lg) for lg in loggers]
    yield
    for lg, (level, handlers, propagate) in zip(loggers, saved):
        lg.handlers = handlers
        lg.propagate = propagate
        lg.setLevel(level)  # clears Python's and the core's cached levels


@pytest.fixture
def quiet() -> None:
    """Both loggers without a level of their own, "pynetdicom" at WARNING (as the root's
    default), and the core's level cache cleared, as in a fresh process."""
    logging.getLogger("fastdimse").setLevel(logging.NOTSET)
    logging.getLogger("pynetdicom").setLevel(logging.WARNING)
    fastdimse._core.reset_log_cache()


def from_core(record: logging.LogRecord) -> bool:
    """A record logged by the Rust core (the bridge names a Rust source file)."""
    return record.pathname.endswith(".rs")


def round_trip_to_a_new_server() -> int:
    """A round trip (`round_trip`) to a server started for it, with the logging set up as
    it is now (the server's "Listening on" DEBUG record included); returns its port."""
    ae = AE()
    ae.add_supported_context(VERIFICATION)
    server = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        round_trip(server)
    finally:
        server.shutdown()
    return int(server.server_address[1])


def round_trip(server: Any) -> None:
    """One association to `server`, established and released: the core logs
    "Association Accepted" and "Association Released" (INFO) on the way."""
    ae = AE(ae_title="LOGSCU")
    ae.add_requested_context(VERIFICATION)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 5
    assoc = ae.associate("127.0.0.1", server.server_address[1])
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0
    assoc.release()
    assert assoc.is_released


@pytest.fixture
def server(fastdimse_server: Callable[..., Any]) -> Any:
    return fastdimse_server()


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, core_only: bool = False) -> List[str]:
        return [r.getMessage() for r in self.records if from_core(r) or not core_only]


# ---------------------------------------------------------------------------------------------
# placement


def test_fastdimse_logger_is_a_child_of_pynetdicom() -> None:
    parent = logging.getLogger("pynetdicom")
    ours = logging.getLogger("fastdimse")
    assert ours.parent is parent
    assert parent.parent is logging.getLogger()
    # Module loggers hang below "fastdimse" as usual.
    assert logging.getLogger("fastdimse.evt").parent is ours
    # Without pynetdicom imported, "pynetdicom" has the one NullHandler pynetdicom's import
    # would have added (checked in a fresh process: other tests here add handlers).
    code = (
        "import logging, sys, fastdimse\n"
        "h = logging.getLogger('pynetdicom').handlers\n"
        "assert [type(x) for x in h] == [logging.NullHandler], h\n"
        "assert 'pynetdicom' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_fastdimse_level_follows_pynetdicom_unless_set(quiet: None) -> None:
    parent, ours = logging.getLogger("pynetdicom"), logging.getLogger("fastdimse")
    parent.setLevel(logging.INFO)
    assert ours.getEffectiveLevel() == logging.INFO
    assert logging.getLogger("fastdimse.service_class").isEnabledFor(logging.INFO)
    parent.setLevel(logging.ERROR)
    assert not logging.getLogger("fastdimse.service_class").isEnabledFor(logging.WARNING)
    ours.setLevel(logging.DEBUG)  # a level of its own wins
    assert ours.getEffectiveLevel() == logging.DEBUG


# ---------------------------------------------------------------------------------------------
# what users of pynetdicom do


def test_caplog_on_pynetdicom_captures_core_records(
    quiet: None, server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """caplog.at_level(INFO, logger="pynetdicom") (pynetdicom's tests do this) lets the
    core's INFO records through, even though the core cached the WARNING level before."""
    round_trip(server)  # the core looks the level up (WARNING) and caches it
    assert not [r for r in caplog.records if r.levelno < logging.WARNING]
    with caplog.at_level(logging.INFO, logger="pynetdicom"):
        round_trip(server)
    core = [(r.name, r.getMessage()) for r in caplog.records if from_core(r)]
    assert ("fastdimse", "Association Accepted") in core
    assert ("fastdimse", "Association Released") in core
    caplog.clear()
    round_trip(server)  # back at WARNING: the core follows the level down again
    assert not [r for r in caplog.records if r.levelno < logging.WARNING]


def test_handler_and_level_on_pynetdicom_see_fastdimse_records(quiet: None, server: Any) -> None:
    """A user who changed only the import keeps configuring "pynetdicom"."""
    parent = logging.getLogger("pynetdicom")
    handler = ListHandler()
    parent.addHandler(handler)
    parent.setLevel(logging.INFO)
    round_trip(server)
    assert "Association Accepted" in handler.messages(core_only=True)
    assert all(r.name.split(".")[0] == "fastdimse" for r in handler.records)
    # A Python-side record reaches it too.
    AE().maximum_associations = 0
    assert "maximum_associations set to 1" in handler.messages()
    # Turning "pynetdicom" off (propagation is untouched) silences us as well.
    handler.records.clear()
    parent.setLevel(logging.CRITICAL)
    round_trip(server)
    assert handler.records == []


def test_configuring_fastdimse_directly_still_works(quiet: None, server: Any) -> None:
    """The "fastdimse" logger can still be configured on its own: its level and handlers
    apply to our records only, whatever "pynetdicom" is set to."""
    ours = logging.getLogger("fastdimse")
    ours_only, parent_handler = ListHandler(), ListHandler()
    ours.addHandler(ours_only)
    logging.getLogger("pynetdicom").addHandler(parent_handler)
    ours.setLevel(logging.DEBUG)  # "pynetdicom" stays at WARNING
    port = round_trip_to_a_new_server()
    core = ours_only.messages(core_only=True)
    assert f"Listening on 127.0.0.1:{port}" in core  # a core DEBUG record
    assert "Association Released" in core
    # Records pass on to "pynetdicom"'s handlers too (propagation), as pynetdicom's module
    # loggers' records do.
    assert parent_handler.messages() == ours_only.messages()
    # "fastdimse" turned off alone: nothing from us, whatever "pynetdicom" allows.
    ours_only.records.clear()
    ours.setLevel(logging.CRITICAL)
    logging.getLogger("pynetdicom").setLevel(logging.DEBUG)
    round_trip(server)
    assert ours_only.records == []


# ---------------------------------------------------------------------------------------------
# debug_logger()


def stream_handlers(logger: logging.Logger) -> List[logging.Handler]:
    return [h for h in logger.handlers if type(h) is logging.StreamHandler]


def test_debug_logger_sets_up_pynetdicom_logger(
    quiet: None, server: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    parent = logging.getLogger("pynetdicom")
    parent.handlers = [logging.NullHandler()]  # as after import
    user = ListHandler()
    parent.addHandler(user)
    fastdimse_handler = ListHandler()
    logging.getLogger("fastdimse").addHandler(fastdimse_handler)
    logging.getLogger("fastdimse").setLevel(logging.WARNING)  # cleared by debug_logger()

    fastdimse.debug_logger()
    fastdimse.debug_logger()  # again: still one stream handler

    assert parent.level == logging.DEBUG
    assert logging.getLogger("fastdimse").level == logging.NOTSET
    streams = stream_handlers(parent)
    assert len(streams) == 1
    assert streams[0].formatter is not None and streams[0].formatter._fmt == LOG_FORMAT
    assert not any(isinstance(h, logging.NullHandler) for h in parent.handlers)
    # Handlers the application added are left where they are.
    assert user in parent.handlers
    assert fastdimse_handler in logging.getLogger("fastdimse").handlers

    capfd.readouterr()
    port = round_trip_to_a_new_server()
    err = capfd.readouterr().err
    # Core records at DEBUG and INFO, each printed once.
    assert err.count(f"D: Listening on 127.0.0.1:{port}\n") == 1, err
    assert err.count("I: Association Accepted\n") == 1, err
    assert "Association Accepted" in user.messages(core_only=True)


def test_debug_logger_replaces_pynetdicoms_debug_handler(quiet: None) -> None:
    """After pynetdicom's debug_logger() (a plain stream handler on stderr in the same
    format), ours does not add a second one: every line would be printed twice."""
    parent = logging.getLogger("pynetdicom")
    theirs = logging.StreamHandler()
    theirs.setFormatter(logging.Formatter(LOG_FORMAT))
    elsewhere = logging.StreamHandler(sys.stdout)  # not on stderr: the user's, kept
    elsewhere.setFormatter(logging.Formatter(LOG_FORMAT))
    parent.handlers = [theirs, elsewhere]
    fastdimse.debug_logger()
    assert theirs not in parent.handlers
    assert elsewhere in parent.handlers
    assert len(stream_handlers(parent)) == 2


# ---------------------------------------------------------------------------------------------
# with the real pynetdicom in the same process

COEXIST = textwrap.dedent(
    """
    import logging, sys

    order = sys.argv[1]
    if order == "fastdimse-first":
        import fastdimse
        import pynetdicom
    else:
        import pynetdicom
        import fastdimse

    parent = logging.getLogger("pynetdicom")
    assert logging.getLogger("fastdimse").parent is parent
    # One NullHandler when pynetdicom came first; pynetdicom adds a second after us.
    nulls = [type(h) for h in parent.handlers]
    expected = 1 if order == "pynetdicom-first" else 2
    assert nulls == [logging.NullHandler] * expected, parent.handlers

    def exchange():
        # pynetdicom's SCU against fastdimse's SCP: both log.
        scp = fastdimse.AE(ae_title="FASTSCP")
        scp.add_supported_context("1.2.840.10008.1.1")
        server = scp.start_server(("127.0.0.1", 0), block=False)
        scu = pynetdicom.AE(ae_title="PYNDSCU")
        scu.add_requested_context("1.2.840.10008.1.1")
        assoc = scu.associate("127.0.0.1", server.server_address[1], ae_title="FASTSCP")
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0
        assoc.release()
        server.shutdown()

    which = sys.argv[2]
    if which == "pynetdicom":
        pynetdicom.debug_logger()
    elif which == "fastdimse":
        fastdimse.debug_logger()
    else:  # both, pynetdicom's first: still one stream handler
        pynetdicom.debug_logger()
        fastdimse.debug_logger()
    streams = [h for h in parent.handlers if type(h) is logging.StreamHandler]
    assert len(streams) == 1, parent.handlers
    exchange()
    print("DONE", flush=True)
    """
)


@pytest.mark.parametrize("order", ["fastdimse-first", "pynetdicom-first"])
@pytest.mark.parametrize("which", ["pynetdicom", "fastdimse", "both"])
def test_real_pynetdicom_in_the_same_process(order: str, which: str) -> None:
    pytest.importorskip("pynetdicom")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run(
        [sys.executable, "-c", COEXIST, order, which],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "DONE"
    err = proc.stderr.splitlines()
    # pynetdicom's SCU records and fastdimse's SCP records (one from its core), each once.
    assert err.count("I: Requesting Association") == 1, proc.stderr
    assert err.count("I: Association Released") == 1, proc.stderr  # pynetdicom's SCU
    assert err.count("I: Accepting Association") == 1, proc.stderr  # fastdimse's SCP
    assert err.count("I: Received Echo Request (MsgID 1)") == 1, proc.stderr  # fastdimse's
    assert any(line.startswith("D: Listening on 127.0.0.1:") for line in err), proc.stderr
