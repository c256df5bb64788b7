"""Presentation context negotiation helpers and PresentationContext behave as pynetdicom's.

``negotiate_as_acceptor``/``negotiate_as_requestor`` (with SCP/SCU role selection),
``build_role``, ``SCP_SCU_RoleSelectionNegotiation``, ``ALL_TRANSFER_SYNTAXES`` and the
context's hash, repr and validation are API pynetdicom users import; these tests pin their
behaviour, with pynetdicom itself as the reference where the answer is a table.
"""

from __future__ import annotations

import itertools
import logging

import pytest
from fastdimse import ALL_TRANSFER_SYNTAXES, _config, build_context, build_role
from fastdimse.pdu_primitives import SCP_SCU_RoleSelectionNegotiation
from fastdimse.presentation import (
    PresentationContext,
    negotiate_as_acceptor,
    negotiate_as_requestor,
    negotiate_unrestricted,
    role_outcome,
)
from pydicom.uid import UID

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
ROLE_VALUES = (None, True, False)


def _context(cid: int, abstract: str = VERIFICATION, ts=(IMPLICIT,)) -> PresentationContext:
    cx = build_context(abstract, list(ts))
    cx.context_id = cid
    return cx


def test_role_outcome_matches_pynetdicom_table() -> None:
    """Every proposal/answer pair gives pynetdicom's outcome (PS3.7 D.3.3.4)."""
    from pynetdicom.presentation import SCP_SCU_ROLES

    for proposed in itertools.product(ROLE_VALUES, repeat=2):
        for answered in itertools.product(ROLE_VALUES, repeat=2):
            if proposed in SCP_SCU_ROLES and answered in SCP_SCU_ROLES[proposed]:
                assert role_outcome(proposed, answered) == SCP_SCU_ROLES[proposed][answered]


def test_acceptor_picks_its_first_common_transfer_syntax_and_rejects_the_rest() -> None:
    rq = [
        _context(1, ts=(EXPLICIT, IMPLICIT)),
        _context(3, abstract="1.2.3.4"),
        _context(5, ts=("1.2.840.10008.1.2.2",)),
    ]
    ac = [build_context(VERIFICATION, [IMPLICIT, EXPLICIT])]
    results, roles = negotiate_as_acceptor(rq, ac)
    assert [(cx.context_id, cx.result) for cx in results] == [(1, 0), (3, 3), (5, 4)]
    assert results[0].transfer_syntax == [IMPLICIT]
    assert (results[0].as_scu, results[0].as_scp) == (False, True)
    assert roles == []


def test_acceptor_answers_role_proposals_with_its_settings() -> None:
    rq = [_context(1)]
    ac = [build_context(VERIFICATION)]
    ac[0].scu_role = True
    ac[0].scp_role = True
    results, roles = negotiate_as_acceptor(rq, ac, {UID(VERIFICATION): (False, True)})
    assert (results[0].as_scu, results[0].as_scp) == (True, False)
    assert len(roles) == 1
    # A role the requestor did not propose is never agreed to.
    assert (roles[0].sop_class_uid, roles[0].scu_role, roles[0].scp_role) == (
        VERIFICATION,
        False,
        True,
    )


def test_acceptor_rejects_a_context_with_no_role_left() -> None:
    rq = [_context(1)]
    ac = [build_context(VERIFICATION)]
    ac[0].scu_role = False
    ac[0].scp_role = False
    results, roles = negotiate_as_acceptor(rq, ac, {UID(VERIFICATION): (True, True)})
    assert results[0].result == 0x01
    assert roles == []


def test_acceptor_with_nothing_supported_rejects_everything() -> None:
    results, roles = negotiate_as_acceptor([_context(1), _context(3)], [])
    assert [cx.result for cx in results] == [3, 3]
    assert negotiate_as_acceptor([], [build_context(VERIFICATION)]) == ([], [])


def test_requestor_view_of_the_answer() -> None:
    rq = [_context(1), _context(3), _context(5)]
    rq[1].scu_role = False
    rq[1].scp_role = True
    answered_1 = _context(1)
    answered_1.result = 0
    answered_3 = _context(3)
    answered_3.result = 0
    out = negotiate_as_requestor(rq, [answered_1, answered_3], {UID(VERIFICATION): (False, True)})
    assert [(cx.context_id, cx.result) for cx in out] == [(1, 0), (3, 0), (5, 2)]
    # Context 1 proposed no roles: the default roles hold (the requestor is SCU).
    assert (out[0].as_scu, out[0].as_scp) == (True, False)
    assert (out[1].as_scu, out[1].as_scp) == (False, True)
    assert (out[2].as_scu, out[2].as_scp) == (False, False)
    with pytest.raises(ValueError, match="Requestor contexts are required"):
        negotiate_as_requestor([], [])


def test_unrestricted_accepts_what_it_does_not_serve() -> None:
    rq = [_context(1), _context(3, abstract="1.2.3.4", ts=(EXPLICIT, IMPLICIT))]
    results, roles = negotiate_unrestricted(rq, [build_context(VERIFICATION)])
    assert [(cx.context_id, cx.result) for cx in results] == [(1, 0), (3, 0)]
    assert results[1].transfer_syntax == [EXPLICIT]
    assert (results[1].as_scu, results[1].as_scp) == (True, True)


def test_build_role_and_role_item() -> None:
    role = build_role(VERIFICATION, scp_role=True)
    assert isinstance(role, SCP_SCU_RoleSelectionNegotiation)
    assert (role.sop_class_uid, role.scu_role, role.scp_role) == (VERIFICATION, False, True)
    assert role == build_role(VERIFICATION, scp_role=True)
    with pytest.raises(TypeError, match="SCU Role must be boolean"):
        role.scu_role = "yes"  # type: ignore[assignment]


def test_context_hash_repr_and_equality() -> None:
    a, b = _context(1), _context(1)
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
    assert repr(a) == "Verification SOP Class"
    b.scu_role = True
    assert a != b


def test_context_validation_as_pynetdicom() -> None:
    cx = PresentationContext()
    with pytest.raises(ValueError, match="odd integer between 1 and 255"):
        cx.context_id = 2
    with pytest.raises(TypeError, match="'transfer_syntax' must be a list"):
        cx.transfer_syntax = IMPLICIT  # type: ignore[assignment]
    with pytest.raises(TypeError, match="'scu_role' must be a bool or None"):
        cx.scu_role = 1  # type: ignore[assignment]
    cx.add_transfer_syntax(None)
    assert cx.transfer_syntax == []
    with pytest.raises(ValueError, match="must not be an empty str"):
        cx.abstract_syntax = ""
    assert "(none)" in str(cx)


def test_uid_conformance_switch(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    cx = PresentationContext()
    with caplog.at_level(logging.WARNING, logger="fastdimse"):
        cx.abstract_syntax = "1.2.04"
    assert "Non-conformant 'abstract_syntax' value '1.2.04'" in caplog.text
    monkeypatch.setattr(_config, "ENFORCE_UID_CONFORMANCE", True)
    with pytest.raises(ValueError, match="UID is non-conformant"):
        cx.abstract_syntax = "1.2.04"


def test_all_transfer_syntaxes_as_pynetdicom() -> None:
    import pynetdicom

    assert ALL_TRANSFER_SYNTAXES == pynetdicom.ALL_TRANSFER_SYNTAXES


def test_newer_transfer_syntaxes_are_not_warned_about(caplog) -> None:
    """JPEG XL and the other syntaxes pydicom may not know yet are transfer syntaxes."""
    with caplog.at_level(logging.WARNING, logger="fastdimse"):
        build_context(VERIFICATION, ALL_TRANSFER_SYNTAXES)
    assert "not a transfer syntax" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="fastdimse"):
        build_context(VERIFICATION, [VERIFICATION])
    assert "not a transfer syntax" in caplog.text
