//! Association negotiation as the acceptor, on A-ASSOCIATE-RQ structs built by hand.

use std::borrow::Cow;

use fastdimse::assoc::{
    accept, accept_with, result, Accepted, AcceptorConfig, IdentityDecision, NegotiatedContext,
    Rejection, SopClassExtended, SupportedContext, UserIdentity,
};
use fastdimse::pdu::{Associate, Item, PresentationContextAc, PresentationContextRq, UserItem};
use fastdimse::uid::{
    APPLICATION_CONTEXT, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE, VERIFICATION,
};

const CT: &str = "1.2.840.10008.5.1.4.1.1.2";
const MR: &str = "1.2.840.10008.5.1.4.1.1.4";
const UNKNOWN_TS: &str = "1.2.3.4.5";

fn b(s: &str) -> Cow<'static, [u8]> {
    Cow::Owned(s.as_bytes().to_vec())
}

fn title(s: &str) -> [u8; 16] {
    let mut t = [b' '; 16];
    t[..s.len()].copy_from_slice(s.as_bytes());
    t
}

fn pc(id: u8, abstract_syntax: &str, ts: &[&str]) -> Item<'static> {
    Item::PresentationContextRq(PresentationContextRq {
        context_id: id,
        reserved: [0, 0, 0xFF],
        abstract_syntax: b(abstract_syntax),
        transfer_syntaxes: ts.iter().map(|t| b(t)).collect(),
    })
}

fn user_info(extra: Vec<UserItem<'static>>) -> Item<'static> {
    let mut subs = vec![
        UserItem::MaximumLength(16384),
        UserItem::ImplementationClassUid(b("1.2.276.0.7230010.3.0.3.6.7")),
        UserItem::ImplementationVersionName(b("OFFIS_DCMTK_367")),
    ];
    subs.extend(extra);
    Item::UserInformation(subs)
}

/// An RQ from ECHOSCU to ANY-SCP with the given contexts and extra user sub-items.
fn rq(contexts: Vec<Item<'static>>, extra: Vec<UserItem<'static>>) -> Associate<'static> {
    let mut items = vec![Item::ApplicationContext(b(APPLICATION_CONTEXT))];
    items.extend(contexts);
    items.push(user_info(extra));
    let mut reserved = [0u8; 32];
    reserved[0] = 0xAB;
    reserved[31] = 0xCD;
    Associate {
        protocol_version: 1,
        reserved_8_9: 0,
        called_ae_title: title("ANY-SCP"),
        calling_ae_title: title("ECHOSCU"),
        reserved_42_73: reserved,
        items,
    }
}

fn echo_rq() -> Associate<'static> {
    rq(
        vec![pc(1, VERIFICATION, &[IMPLICIT_VR_LE, EXPLICIT_VR_LE])],
        vec![],
    )
}

fn cfg() -> AcceptorConfig {
    let mut c = AcceptorConfig::new("ANY-SCP");
    c.supported = vec![
        SupportedContext::new(VERIFICATION, [IMPLICIT_VR_LE, EXPLICIT_VR_LE]),
        SupportedContext::new(CT, [EXPLICIT_VR_LE, IMPLICIT_VR_LE]),
    ];
    c.maximum_pdu_length = 16382;
    c.implementation_class_uid = "2.25.1234".into();
    c.implementation_version_name = Some("FASTDIMSE_TEST".into());
    c
}

fn never(_: &UserIdentity) -> IdentityDecision {
    panic!("identity handler must not be called")
}

fn run(rq: &Associate<'_>, cfg: &AcceptorConfig) -> Result<Accepted, Rejection> {
    accept(rq, cfg, &mut never)
}

fn ac_results(ac: &Associate<'_>) -> Vec<(u8, u8, Option<String>)> {
    ac.items
        .iter()
        .filter_map(|i| match i {
            Item::PresentationContextAc(p) => Some((
                p.context_id,
                p.result,
                p.transfer_syntax
                    .as_ref()
                    .map(|t| String::from_utf8(t.to_vec()).unwrap()),
            )),
            _ => None,
        })
        .collect()
}

fn ac_user_items<'a>(ac: &'a Associate<'a>) -> &'a [UserItem<'a>] {
    match ac.items.last() {
        Some(Item::UserInformation(subs)) => subs,
        other => panic!("last item is not user information: {other:?}"),
    }
}

fn ctx(
    id: u8,
    abs: &str,
    ts: Option<&str>,
    result: u8,
    as_scu: bool,
    as_scp: bool,
) -> NegotiatedContext {
    NegotiatedContext {
        context_id: id,
        abstract_syntax: abs.into(),
        transfer_syntax: ts.map(Into::into),
        result,
        as_scu,
        as_scp,
    }
}

// ---- rejections ----

#[test]
fn protocol_version_bit0_clear_rejects_1_2_2() {
    let mut r = echo_rq();
    r.protocol_version = 2;
    assert_eq!(run(&r, &cfg()), Err(Rejection::new(1, 2, 2)));
    r.protocol_version = 0;
    assert_eq!(run(&r, &cfg()), Err(Rejection::new(1, 2, 2)));
    // Only bit 0 counts.
    r.protocol_version = 0xFFFF;
    assert!(run(&r, &cfg()).is_ok());
    r.protocol_version = 3;
    assert!(run(&r, &cfg()).is_ok());
}

#[test]
fn wrong_application_context_rejects_1_1_2() {
    let mut r = echo_rq();
    r.items[0] = Item::ApplicationContext(b("1.2.840.10008.3.1.1.2"));
    assert_eq!(run(&r, &cfg()), Err(Rejection::new(1, 1, 2)));
    // Missing altogether.
    let mut r = echo_rq();
    r.items.remove(0);
    assert_eq!(run(&r, &cfg()), Err(Rejection::new(1, 1, 2)));
    // Trailing NUL/space padding is tolerated.
    let mut r = echo_rq();
    r.items[0] = Item::ApplicationContext(Cow::Owned(b"1.2.840.10008.3.1.1.1\0".to_vec()));
    assert!(run(&r, &cfg()).is_ok());
    r.items[0] = Item::ApplicationContext(Cow::Owned(b"1.2.840.10008.3.1.1.1 ".to_vec()));
    assert!(run(&r, &cfg()).is_ok());
}

#[test]
fn protocol_version_is_checked_before_application_context() {
    let mut r = echo_rq();
    r.protocol_version = 0;
    r.items[0] = Item::ApplicationContext(b("9.9"));
    assert_eq!(
        run(&r, &cfg()),
        Err(Rejection::protocol_version_not_supported())
    );
}

#[test]
fn called_ae_title_checked_only_when_required() {
    let mut r = echo_rq();
    r.called_ae_title = title("OTHER");
    assert!(run(&r, &cfg()).is_ok());
    let mut c = cfg();
    c.require_called_aet = true;
    assert_eq!(run(&r, &c), Err(Rejection::new(1, 1, 7)));
    // Leading/trailing spaces are not significant; case is.
    r.called_ae_title = *b"  ANY-SCP       ";
    assert!(run(&r, &c).is_ok());
    c.ae_title = " ANY-SCP ".into();
    assert!(run(&r, &c).is_ok());
    r.called_ae_title = title("any-scp");
    assert_eq!(run(&r, &c), Err(Rejection::called_ae_not_recognized()));
}

#[test]
fn calling_ae_title_must_be_listed_when_a_list_is_given() {
    let r = echo_rq();
    let mut c = cfg();
    c.require_calling_aet = vec!["STORESCU".into(), "FINDSCU".into()];
    assert_eq!(run(&r, &c), Err(Rejection::new(1, 1, 3)));
    c.require_calling_aet.push("ECHOSCU ".into());
    assert!(run(&r, &c).is_ok());
}

#[test]
fn called_ae_is_checked_before_calling_ae() {
    let mut r = echo_rq();
    r.called_ae_title = title("OTHER");
    let mut c = cfg();
    c.require_called_aet = true;
    c.require_calling_aet = vec!["NOBODY".into()];
    assert_eq!(run(&r, &c), Err(Rejection::new(1, 1, 7)));
}

fn identity_rq(positive: u8) -> Associate<'static> {
    rq(
        vec![pc(1, VERIFICATION, &[IMPLICIT_VR_LE])],
        vec![UserItem::UserIdentityRq {
            identity_type: 2,
            positive_response_requested: positive,
            primary: b("alice"),
            secondary: b("s3cret"),
        }],
    )
}

#[test]
fn identity_rejected_gives_2_2_1() {
    let mut seen = Vec::new();
    let mut handler = |ui: &UserIdentity| {
        seen.push(ui.clone());
        IdentityDecision::Reject
    };
    assert_eq!(
        accept(&identity_rq(1), &cfg(), &mut handler),
        Err(Rejection::new(2, 2, 1))
    );
    assert_eq!(
        seen,
        [UserIdentity {
            identity_type: 2,
            positive_response_requested: true,
            primary: b"alice".to_vec(),
            secondary: b"s3cret".to_vec(),
        }]
    );
}

#[test]
fn identity_handler_runs_after_ae_title_checks() {
    let mut c = cfg();
    c.require_calling_aet = vec!["NOBODY".into()];
    assert_eq!(
        accept(&identity_rq(1), &c, &mut never),
        Err(Rejection::calling_ae_not_recognized())
    );
}

#[test]
fn identity_handler_not_called_without_identity_item() {
    let accepted = accept(&echo_rq(), &cfg(), &mut never).unwrap();
    assert_eq!(accepted.user_identity, None);
}

#[test]
fn identity_accept_with_positive_response_sends_59h() {
    let mut handler = |_: &UserIdentity| IdentityDecision::Accept {
        server_response: Some(b"ticket".to_vec()),
    };
    let a = accept(&identity_rq(1), &cfg(), &mut handler).unwrap();
    assert_eq!(
        ac_user_items(&a.ac).last(),
        Some(&UserItem::UserIdentityAc {
            server_response: b("ticket")
        })
    );
    assert_eq!(a.user_identity.unwrap().primary, b"alice");
}

#[test]
fn identity_accept_with_empty_response_sends_empty_59h() {
    let mut handler = |_: &UserIdentity| IdentityDecision::Accept {
        server_response: Some(Vec::new()),
    };
    let a = accept(&identity_rq(1), &cfg(), &mut handler).unwrap();
    assert_eq!(
        ac_user_items(&a.ac).last(),
        Some(&UserItem::UserIdentityAc {
            server_response: Cow::Owned(Vec::new())
        })
    );
}

#[test]
fn identity_accept_without_positive_response_request_sends_no_59h() {
    let mut handler = |_: &UserIdentity| IdentityDecision::Accept {
        server_response: Some(b"ticket".to_vec()),
    };
    let a = accept(&identity_rq(0), &cfg(), &mut handler).unwrap();
    assert!(!ac_user_items(&a.ac)
        .iter()
        .any(|s| matches!(s, UserItem::UserIdentityAc { .. })));
    assert!(!a.user_identity.unwrap().positive_response_requested);
}

#[test]
fn identity_accept_without_server_response_sends_no_59h() {
    let mut handler = |_: &UserIdentity| IdentityDecision::Accept {
        server_response: None,
    };
    let a = accept(&identity_rq(1), &cfg(), &mut handler).unwrap();
    assert!(!ac_user_items(&a.ac)
        .iter()
        .any(|s| matches!(s, UserItem::UserIdentityAc { .. })));
}

#[test]
fn rejection_wording() {
    assert_eq!(
        Rejection::called_ae_not_recognized().describe(),
        "Result: Rejected (Permanent), Source: Service User, Reason: Called AE title not recognised"
    );
    assert_eq!(
        Rejection::user_identity_rejected().to_string(),
        "Result: Rejected (Transient), Source: Service Provider (ACSE), Reason: No reason given"
    );
    assert_eq!(
        Rejection::local_limit_exceeded().describe(),
        "Result: Rejected (Transient), Source: Service Provider (Presentation), Reason: Local limit exceeded"
    );
    assert_eq!(
        Rejection::protocol_version_not_supported().reason_str(),
        "Protocol version not supported"
    );
    assert_eq!(
        Rejection::application_context_not_supported().reason_str(),
        "Application context name not supported"
    );
    assert_eq!(
        Rejection::calling_ae_not_recognized().reason_str(),
        "Calling AE title not recognised"
    );
    assert_eq!(
        Rejection::temporary_congestion().reason_str(),
        "Temporary congestion"
    );
    assert_eq!(Rejection::no_reason().reason_str(), "No reason given");
    assert_eq!(Rejection::new(1, 1, 5).reason_str(), "Reserved");
    assert_eq!(
        Rejection::new(3, 9, 9).describe(),
        "Result: Unknown, Source: Unknown, Reason: Unknown"
    );
    let codes = [
        (Rejection::no_reason(), (1, 1, 1)),
        (Rejection::application_context_not_supported(), (1, 1, 2)),
        (Rejection::calling_ae_not_recognized(), (1, 1, 3)),
        (Rejection::called_ae_not_recognized(), (1, 1, 7)),
        (Rejection::protocol_version_not_supported(), (1, 2, 2)),
        (Rejection::user_identity_rejected(), (2, 2, 1)),
        (Rejection::temporary_congestion(), (2, 3, 1)),
        (Rejection::local_limit_exceeded(), (2, 3, 2)),
    ];
    for (r, (res, src, why)) in codes {
        assert_eq!((r.result, r.source, r.reason), (res, src, why));
        let pdu = r.to_pdu();
        assert_eq!(
            (pdu.reserved_6, pdu.result, pdu.source, pdu.reason),
            (0, res, src, why)
        );
        assert_eq!(Rejection::from_pdu(&pdu), r);
    }
}

// ---- presentation contexts ----

#[test]
fn verification_accepted_with_default_roles() {
    let a = run(&echo_rq(), &cfg()).unwrap();
    assert_eq!(
        a.contexts,
        [ctx(1, VERIFICATION, Some(IMPLICIT_VR_LE), 0, false, true)]
    );
    assert!(a.contexts[0].is_accepted());
    assert_eq!(a.accepted_context(1), Some(&a.contexts[0]));
    assert_eq!(a.accepted_context(3), None);
    assert_eq!(a.peer_max_pdu_length, 16384);
    assert_eq!(a.calling_ae_title, "ECHOSCU");
    assert_eq!(a.called_ae_title, "ANY-SCP");
    assert_eq!(
        a.peer_implementation_class_uid,
        "1.2.276.0.7230010.3.0.3.6.7"
    );
    assert_eq!(
        a.peer_implementation_version_name.as_deref(),
        Some("OFFIS_DCMTK_367")
    );
    assert_eq!(a.async_ops_window, None);
}

#[test]
fn transfer_syntax_follows_acceptor_preference() {
    // Verification: we prefer Implicit; the requestor lists Explicit first.
    let r = rq(
        vec![
            pc(1, VERIFICATION, &[EXPLICIT_VR_LE, IMPLICIT_VR_LE]),
            // CT: we prefer Explicit; the requestor lists Implicit first.
            pc(3, CT, &[IMPLICIT_VR_LE, EXPLICIT_VR_BE, EXPLICIT_VR_LE]),
            // Only our second choice is proposed.
            pc(5, CT, &[EXPLICIT_VR_BE, IMPLICIT_VR_LE]),
        ],
        vec![],
    );
    let a = run(&r, &cfg()).unwrap();
    assert_eq!(
        ac_results(&a.ac),
        [
            (1, 0, Some(IMPLICIT_VR_LE.into())),
            (3, 0, Some(EXPLICIT_VR_LE.into())),
            (5, 0, Some(IMPLICIT_VR_LE.into())),
        ]
    );
}

#[test]
fn mixed_results_in_rq_order() {
    let r = rq(
        vec![
            pc(7, MR, &[IMPLICIT_VR_LE]),
            pc(1, VERIFICATION, &[UNKNOWN_TS, EXPLICIT_VR_BE]),
            pc(3, VERIFICATION, &[UNKNOWN_TS, EXPLICIT_VR_LE]),
            pc(5, CT, &[]),
        ],
        vec![],
    );
    let a = run(&r, &cfg()).unwrap();
    assert_eq!(
        ac_results(&a.ac),
        [
            // 3: abstract syntax not supported -> Implicit VR LE in the TS field.
            (7, 3, Some(IMPLICIT_VR_LE.into())),
            // 4: echo the first proposed TS.
            (1, 4, Some(UNKNOWN_TS.into())),
            (3, 0, Some(EXPLICIT_VR_LE.into())),
            // 4 with no TS proposed at all: Implicit VR LE.
            (5, 4, Some(IMPLICIT_VR_LE.into())),
        ]
    );
    assert_eq!(
        a.contexts,
        [
            ctx(7, MR, None, 3, false, false),
            ctx(1, VERIFICATION, None, 4, false, false),
            ctx(3, VERIFICATION, Some(EXPLICIT_VR_LE), 0, false, true),
            ctx(5, CT, None, 4, false, false),
        ]
    );
    assert_eq!(a.contexts.iter().filter(|c| c.is_accepted()).count(), 1);
    assert_eq!(result::describe(3), "Abstract Syntax Not Supported");
    assert_eq!(result::describe(4), "Transfer Syntax(es) Not Supported");
}

#[test]
fn all_contexts_rejected_still_accepts_the_association() {
    let r = rq(vec![pc(1, MR, &[IMPLICIT_VR_LE])], vec![]);
    let a = run(&r, &cfg()).unwrap();
    assert_eq!(ac_results(&a.ac), [(1, 3, Some(IMPLICIT_VR_LE.into()))]);
    let mut c = cfg();
    c.supported.clear();
    let a = run(&echo_rq(), &c).unwrap();
    assert_eq!(ac_results(&a.ac), [(1, 3, Some(IMPLICIT_VR_LE.into()))]);
}

#[test]
fn padded_uids_match() {
    let mut r = rq(vec![], vec![]);
    r.items.insert(
        1,
        Item::PresentationContextRq(PresentationContextRq {
            context_id: 1,
            reserved: [0; 3],
            abstract_syntax: Cow::Owned(b"1.2.840.10008.1.1\0".to_vec()),
            transfer_syntaxes: vec![Cow::Owned(b"1.2.840.10008.1.2.1 ".to_vec())],
        }),
    );
    let a = run(&r, &cfg()).unwrap();
    // Never echo padding.
    assert_eq!(ac_results(&a.ac), [(1, 0, Some(EXPLICIT_VR_LE.into()))]);
    assert_eq!(a.contexts[0].abstract_syntax, VERIFICATION);
    // A padded UID in our own config matches too.
    let mut c = cfg();
    c.supported = vec![SupportedContext::new(
        "1.2.840.10008.1.1 ",
        ["1.2.840.10008.1.2\0"],
    )];
    let a = run(&echo_rq(), &c).unwrap();
    assert_eq!(ac_results(&a.ac), [(1, 0, Some(IMPLICIT_VR_LE.into()))]);
}

#[test]
fn even_and_duplicate_context_ids_get_result_2() {
    let r = rq(
        vec![
            pc(2, VERIFICATION, &[IMPLICIT_VR_LE]),
            pc(1, VERIFICATION, &[IMPLICIT_VR_LE]),
            pc(3, VERIFICATION, &[IMPLICIT_VR_LE]),
            pc(1, CT, &[IMPLICIT_VR_LE]),
            pc(0, VERIFICATION, &[IMPLICIT_VR_LE]),
        ],
        vec![],
    );
    let a = run(&r, &cfg()).unwrap();
    let implicit = Some(IMPLICIT_VR_LE.to_string());
    assert_eq!(
        ac_results(&a.ac),
        [
            (2, 2, implicit.clone()),
            (1, 2, implicit.clone()),
            (3, 0, implicit.clone()),
            (1, 2, implicit.clone()),
            (0, 2, implicit),
        ]
    );
    assert_eq!(a.accepted_context(1), None);
    assert!(a.accepted_context(3).is_some());
}

/// An AC must answer at least one presentation context (PS3.8 9.3.3): an RQ without one
/// is not acceptable to the service provider (AE-6) and is rejected (1, 2, 1).
#[test]
fn no_contexts_is_rejected_1_2_1_never_an_ac_without_results() {
    let rj = run(&rq(vec![], vec![]), &cfg()).unwrap_err();
    assert_eq!((rj.result, rj.source, rj.reason), (1, 2, 1));
}

/// Unknown items are skipped; if that leaves no presentation context item, it is the same
/// as proposing none.
#[test]
fn only_unknown_items_in_place_of_contexts_is_rejected_1_2_1() {
    let mut r = rq(vec![], vec![]);
    r.items.insert(
        1,
        Item::Unknown {
            item_type: 0x22,
            value: b("junk"),
        },
    );
    let rj = run(&r, &cfg()).unwrap_err();
    assert_eq!((rj.result, rj.source, rj.reason), (1, 2, 1));
}

// ---- roles ----

fn role(sop: &str, scu: u8, scp: u8) -> UserItem<'static> {
    UserItem::RoleSelection {
        sop_class_uid: b(sop),
        scu_role: scu,
        scp_role: scp,
    }
}

fn role_answers(ac: &Associate<'_>) -> Vec<(String, u8, u8)> {
    ac_user_items(ac)
        .iter()
        .filter_map(|s| match s {
            UserItem::RoleSelection {
                sop_class_uid,
                scu_role,
                scp_role,
            } => Some((
                String::from_utf8(sop_class_uid.to_vec()).unwrap(),
                *scu_role,
                *scp_role,
            )),
            _ => None,
        })
        .collect()
}

/// Negotiates one CT context with the requestor proposing `proposed` roles and our
/// config allowing `allowed`; returns (result, as_scu, as_scp, answer).
fn negotiate_roles(
    proposed: Option<(u8, u8)>,
    allowed: (Option<bool>, Option<bool>),
) -> (u8, bool, bool, Vec<(String, u8, u8)>) {
    let extra = proposed
        .map(|(u, p)| vec![role(CT, u, p)])
        .unwrap_or_default();
    let r = rq(vec![pc(1, CT, &[EXPLICIT_VR_LE])], extra);
    let mut c = cfg();
    c.supported[1].scu_role = allowed.0;
    c.supported[1].scp_role = allowed.1;
    let a = run(&r, &c).unwrap();
    let cx = &a.contexts[0];
    assert_eq!(ac_results(&a.ac)[0].1, cx.result);
    if cx.result != 0 {
        assert_eq!(cx.transfer_syntax, None);
    }
    (cx.result, cx.as_scu, cx.as_scp, role_answers(&a.ac))
}

#[test]
fn roles_without_proposal_are_default() {
    for allowed in [
        (Some(true), Some(true)),
        (None, None),
        (Some(false), Some(false)),
    ] {
        assert_eq!(negotiate_roles(None, allowed), (0, false, true, vec![]));
    }
}

#[test]
fn roles_without_config_keep_defaults_and_send_no_answer() {
    for proposed in [(1, 1), (0, 1), (1, 0), (0, 0)] {
        for allowed in [(None, None), (Some(true), None), (None, Some(true))] {
            assert_eq!(
                negotiate_roles(Some(proposed), allowed),
                (0, false, true, vec![]),
                "{proposed:?} {allowed:?}"
            );
        }
    }
}

/// (proposed scu, scp), (allowed scu, scp), (result, we scu, we scp, answer scu, scp).
type RoleCase = (
    (u8, u8),
    (Option<bool>, Option<bool>),
    (u8, bool, bool, Option<(u8, u8)>),
);

#[test]
fn role_outcomes_match_pynetdicom_table() {
    let t = Some(true);
    let f = Some(false);
    let cases: &[RoleCase] = &[
        ((1, 1), (t, t), (0, true, true, Some((1, 1)))),
        ((1, 1), (t, f), (0, false, true, Some((1, 0)))),
        ((1, 1), (f, t), (0, true, false, Some((0, 1)))),
        ((1, 1), (f, f), (1, false, false, None)),
        ((1, 0), (t, t), (0, false, true, Some((1, 0)))),
        ((1, 0), (t, f), (0, false, true, Some((1, 0)))),
        ((1, 0), (f, t), (1, false, false, None)),
        ((1, 0), (f, f), (1, false, false, None)),
        ((0, 1), (t, t), (0, true, false, Some((0, 1)))),
        ((0, 1), (t, f), (1, false, false, None)),
        ((0, 1), (f, t), (0, true, false, Some((0, 1)))),
        ((0, 1), (f, f), (1, false, false, None)),
        ((0, 0), (t, t), (1, false, false, None)),
        ((0, 0), (f, f), (1, false, false, None)),
    ];
    for &(proposed, allowed, (res, scu, scp, answer)) in cases {
        let want_answer: Vec<(String, u8, u8)> = answer
            .map(|(u, p)| vec![(CT.to_string(), u, p)])
            .unwrap_or_default();
        assert_eq!(
            negotiate_roles(Some(proposed), allowed),
            (res, scu, scp, want_answer),
            "proposed {proposed:?} allowed {allowed:?}"
        );
    }
}

#[test]
fn role_answers_only_for_accepted_sop_classes_once_each_in_rq_order() {
    let r = rq(
        vec![
            pc(1, CT, &[EXPLICIT_VR_LE]),
            pc(3, CT, &[IMPLICIT_VR_LE]),
            pc(5, VERIFICATION, &[IMPLICIT_VR_LE]),
            pc(7, MR, &[IMPLICIT_VR_LE]),
        ],
        vec![
            role(MR, 1, 1),
            role(VERIFICATION, 0, 1),
            role(CT, 1, 1),
            // A second item for CT is ignored.
            role(CT, 0, 0),
        ],
    );
    let mut c = cfg();
    for sc in &mut c.supported {
        sc.scu_role = Some(true);
        sc.scp_role = Some(true);
    }
    let a = run(&r, &c).unwrap();
    assert_eq!(
        role_answers(&a.ac),
        [(VERIFICATION.to_string(), 0, 1), (CT.to_string(), 1, 1)]
    );
    assert_eq!(
        a.contexts,
        [
            ctx(1, CT, Some(EXPLICIT_VR_LE), 0, true, true),
            ctx(3, CT, Some(IMPLICIT_VR_LE), 0, true, true),
            ctx(5, VERIFICATION, Some(IMPLICIT_VR_LE), 0, true, false),
            ctx(7, MR, None, 3, false, false),
        ]
    );
}

// ---- user information ----

#[test]
fn async_ops_window_answered_only_when_proposed() {
    let a = run(&echo_rq(), &cfg()).unwrap();
    assert!(!ac_user_items(&a.ac)
        .iter()
        .any(|s| matches!(s, UserItem::AsyncOpsWindow { .. })));

    let r = rq(
        vec![pc(1, VERIFICATION, &[IMPLICIT_VR_LE])],
        vec![UserItem::AsyncOpsWindow {
            invoked: 5,
            performed: 0,
        }],
    );
    // The default: up to 16 of the requestor's requests (here the 5 it asked for), and
    // one of ours at a time (it performs any number: 0).
    let a = run(&r, &cfg()).unwrap();
    assert_eq!(a.async_ops_window, Some((5, 1)));
    assert!(ac_user_items(&a.ac).contains(&UserItem::AsyncOpsWindow {
        invoked: 5,
        performed: 1
    }));
    let unlimited = rq(
        vec![pc(1, VERIFICATION, &[IMPLICIT_VR_LE])],
        vec![UserItem::AsyncOpsWindow {
            invoked: 0,
            performed: 0,
        }],
    );
    assert_eq!(
        run(&unlimited, &cfg()).unwrap().async_ops_window,
        Some((16, 1))
    );

    // No window configured: the synchronous answer, pynetdicom's (1, 1).
    let mut c = cfg();
    c.async_ops_window = None;
    assert_eq!(run(&r, &c).unwrap().async_ops_window, Some((1, 1)));

    // A configured window is limited by the proposal (0 = unlimited).
    let mut c = cfg();
    c.async_ops_window = Some((10, 3));
    assert_eq!(run(&r, &c).unwrap().async_ops_window, Some((5, 3)));
    c.async_ops_window = Some((0, 0));
    assert_eq!(run(&r, &c).unwrap().async_ops_window, Some((5, 0)));
}

#[test]
fn missing_maximum_length_means_unlimited() {
    let mut r = echo_rq();
    r.items.pop();
    r.items.push(Item::UserInformation(vec![]));
    let a = run(&r, &cfg()).unwrap();
    assert_eq!(a.peer_max_pdu_length, 0);
    assert_eq!(a.peer_implementation_class_uid, "");
    assert_eq!(a.peer_implementation_version_name, None);
    // No user information item at all.
    r.items.pop();
    assert_eq!(run(&r, &cfg()).unwrap().peer_max_pdu_length, 0);
}

#[test]
fn extended_negotiation_and_unknown_items_are_ignored() {
    let mut r = rq(
        vec![pc(1, VERIFICATION, &[IMPLICIT_VR_LE])],
        vec![
            UserItem::SopClassExtended {
                sop_class_uid: b(VERIFICATION),
                app_info: Cow::Owned(vec![1, 0, 1]),
            },
            UserItem::SopClassCommonExtended {
                version: 0,
                sop_class_uid: b(VERIFICATION),
                service_class_uid: b("1.2.840.10008.4.2"),
                related_general_sop_classes: vec![],
            },
            UserItem::Unknown {
                item_type: 0x77,
                value: Cow::Owned(vec![9; 5]),
            },
        ],
    );
    r.items.insert(
        1,
        Item::Unknown {
            item_type: 0x33,
            value: Cow::Owned(vec![1, 2, 3]),
        },
    );
    let a = run(&r, &cfg()).unwrap();
    assert!(a.contexts[0].is_accepted());
    assert_eq!(ac_user_items(&a.ac).len(), 3);
}

fn ext(sop: &str, info: &[u8]) -> UserItem<'static> {
    UserItem::SopClassExtended {
        sop_class_uid: b(sop),
        app_info: Cow::Owned(info.to_vec()),
    }
}

fn answer(sop: &str, info: &[u8]) -> SopClassExtended {
    SopClassExtended {
        sop_class_uid: sop.into(),
        app_info: info.to_vec(),
    }
}

#[test]
fn sop_class_extended_answers_only_proposed_sop_classes_once_each() {
    let r = rq(
        vec![pc(1, VERIFICATION, &[IMPLICIT_VR_LE])],
        vec![
            ext(CT, &[1, 0]),
            // Padded on the wire: still the same SOP class.
            ext(&format!("{MR}\0"), &[2]),
            UserItem::SopClassCommonExtended {
                version: 0,
                sop_class_uid: b(CT),
                service_class_uid: b("1.2.840.10008.4.2"),
                related_general_sop_classes: vec![],
            },
        ],
    );
    let answers = [
        answer(MR, &[9, 9]),
        answer("1.2.3.4", &[7]), // not proposed
        answer(CT, &[]),
        answer(MR, &[8]), // a second answer for MR
        answer("1.2.a", &[1]),
    ];
    let a = accept_with(&r, &cfg(), &mut never, &answers).unwrap();
    // After 51H, 52H, 55H, in the order given; no 57H (PS3.7 D.3.3.6).
    assert_eq!(ac_user_items(&a.ac)[3..], [ext(MR, &[9, 9]), ext(CT, &[])]);
    assert_eq!(
        a.sop_class_extended,
        vec![answer(MR, &[9, 9]), answer(CT, &[])]
    );
    // accept() answers none.
    let plain = run(&r, &cfg()).unwrap();
    assert_eq!(ac_user_items(&plain.ac).len(), 3);
    assert!(plain.sop_class_extended.is_empty());
}

#[test]
fn sop_class_extended_answers_that_do_not_fit_are_dropped() {
    let r = rq(
        vec![pc(1, VERIFICATION, &[IMPLICIT_VR_LE])],
        vec![ext(CT, &[]), ext(MR, &[])],
    );
    // Too long for the 56H length field, then one that fits.
    let answers = [
        answer(CT, &vec![0; 65535 - 2 - CT.len() + 1]),
        answer(MR, &vec![0; 1000]),
    ];
    let a = accept_with(&r, &cfg(), &mut never, &answers).unwrap();
    assert_eq!(a.sop_class_extended, vec![answer(MR, &vec![0; 1000])]);
    // Two that fit their sub-items but not, together, the user information item.
    let big = 65535 - 2 - CT.len();
    let answers = [
        answer(CT, &vec![0; big - 200]),
        answer(MR, &vec![0; big - 200]),
    ];
    let a = accept_with(&r, &cfg(), &mut never, &answers).unwrap();
    assert_eq!(a.sop_class_extended.len(), 1);
    let mut out = Vec::new();
    fastdimse::pdu::Pdu::AssociateAc(a.ac).encode(&mut out);
    assert!(fastdimse::pdu::decode(&out).is_ok());
}

// ---- layout of the AC ----

#[test]
fn ac_layout_minimal() {
    let r = echo_rq();
    let a = run(&r, &cfg()).unwrap();
    let expected = Associate {
        protocol_version: 1,
        reserved_8_9: 0,
        called_ae_title: r.called_ae_title,
        calling_ae_title: r.calling_ae_title,
        reserved_42_73: r.reserved_42_73,
        items: vec![
            Item::ApplicationContext(b(APPLICATION_CONTEXT)),
            Item::PresentationContextAc(PresentationContextAc {
                context_id: 1,
                reserved_5: 0,
                result: 0,
                reserved_7: 0,
                transfer_syntax: Some(b(IMPLICIT_VR_LE)),
            }),
            Item::UserInformation(vec![
                UserItem::MaximumLength(16382),
                UserItem::ImplementationClassUid(b("2.25.1234")),
                UserItem::ImplementationVersionName(b("FASTDIMSE_TEST")),
            ]),
        ],
    };
    assert_eq!(a.ac, expected);
}

#[test]
fn ac_layout_full() {
    let mut r = rq(
        vec![
            pc(1, VERIFICATION, &[IMPLICIT_VR_LE]),
            pc(3, CT, &[EXPLICIT_VR_LE]),
        ],
        vec![
            UserItem::UserIdentityRq {
                identity_type: 3,
                positive_response_requested: 1,
                primary: b("kerberos"),
                secondary: Cow::Owned(vec![]),
            },
            role(CT, 1, 1),
            UserItem::AsyncOpsWindow {
                invoked: 2,
                performed: 2,
            },
        ],
    );
    r.called_ae_title = *b"  ANY-SCP  \0    ";
    r.protocol_version = 3;
    r.reserved_8_9 = 0x1234;
    let mut c = cfg();
    c.supported[1].scu_role = Some(false);
    c.supported[1].scp_role = Some(true);
    c.maximum_pdu_length = 0;
    c.implementation_version_name = None;
    let mut handler = |_: &UserIdentity| IdentityDecision::Accept {
        server_response: Some(b"OK".to_vec()),
    };
    let a = accept(&r, &c, &mut handler).unwrap();
    let expected = Associate {
        protocol_version: 1,
        reserved_8_9: 0,
        called_ae_title: r.called_ae_title,
        calling_ae_title: r.calling_ae_title,
        reserved_42_73: r.reserved_42_73,
        items: vec![
            Item::ApplicationContext(b(APPLICATION_CONTEXT)),
            Item::PresentationContextAc(PresentationContextAc {
                context_id: 1,
                reserved_5: 0,
                result: 0,
                reserved_7: 0,
                transfer_syntax: Some(b(IMPLICIT_VR_LE)),
            }),
            Item::PresentationContextAc(PresentationContextAc {
                context_id: 3,
                reserved_5: 0,
                result: 0,
                reserved_7: 0,
                transfer_syntax: Some(b(EXPLICIT_VR_LE)),
            }),
            Item::UserInformation(vec![
                UserItem::MaximumLength(0),
                UserItem::ImplementationClassUid(b("2.25.1234")),
                // Proposed (2, 2); our default window is (16, 1).
                UserItem::AsyncOpsWindow {
                    invoked: 2,
                    performed: 1,
                },
                UserItem::RoleSelection {
                    sop_class_uid: b(CT),
                    scu_role: 0,
                    scp_role: 1,
                },
                UserItem::UserIdentityAc {
                    server_response: b("OK"),
                },
            ]),
        ],
    };
    assert_eq!(a.ac, expected);
    assert_eq!(a.called_ae_title, "ANY-SCP");
    assert_eq!(
        a.contexts[1],
        ctx(3, CT, Some(EXPLICIT_VR_LE), 0, true, false)
    );
}

#[test]
fn config_validation() {
    assert_eq!(cfg().validate(), Ok(()));
    assert_eq!(AcceptorConfig::new("ANY-SCP").validate(), Ok(()));
    let mut c = cfg();
    c.ae_title = "THIS-TITLE-IS-TOO-LONG".into();
    assert!(c.validate().is_err());
    let mut c = cfg();
    c.supported[0].transfer_syntaxes.push("1.2.x".into());
    assert!(c.validate().is_err());
    let mut c = cfg();
    c.implementation_version_name = Some("SEVENTEEN_CHARS_X".into());
    assert!(c.validate().is_err());
}
