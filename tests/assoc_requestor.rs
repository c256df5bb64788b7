//! Association negotiation as the requestor: the A-ASSOCIATE-RQ we build and how we read
//! the A-ASSOCIATE-AC (built by hand here).

use std::borrow::Cow;

use fastdimse::assoc::{
    ae_title_bytes, build_rq, process_ac, AssocError, NegotiatedContext, RequestedContext,
    RequestorConfig, SopClassCommonExtended, SopClassExtended, UserIdentity,
};
use fastdimse::pdu::{Associate, Item, PresentationContextAc, PresentationContextRq, UserItem};
use fastdimse::uid::{
    APPLICATION_CONTEXT, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE, VERIFICATION,
};

const CT: &str = "1.2.840.10008.5.1.4.1.1.2";
const MR: &str = "1.2.840.10008.5.1.4.1.1.4";

fn b(s: &str) -> Cow<'static, [u8]> {
    Cow::Owned(s.as_bytes().to_vec())
}

fn cfg() -> RequestorConfig {
    let mut c = RequestorConfig::new("ECHOSCU", "ANY-SCP");
    c.requested = vec![RequestedContext::new(
        VERIFICATION,
        [IMPLICIT_VR_LE, EXPLICIT_VR_LE],
    )];
    c.maximum_pdu_length = 16384;
    c.implementation_class_uid = "1.2.3.4".into();
    c.implementation_version_name = Some("TEST_0".into());
    c
}

fn rq_contexts(rq: &Associate<'_>) -> Vec<(u8, String, Vec<String>)> {
    rq.items
        .iter()
        .filter_map(|i| match i {
            Item::PresentationContextRq(p) => Some((
                p.context_id,
                String::from_utf8(p.abstract_syntax.to_vec()).unwrap(),
                p.transfer_syntaxes
                    .iter()
                    .map(|t| String::from_utf8(t.to_vec()).unwrap())
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

fn rq_user_items<'a>(rq: &'a Associate<'a>) -> &'a [UserItem<'a>] {
    match rq.items.last() {
        Some(Item::UserInformation(subs)) => subs,
        other => panic!("last item is not user information: {other:?}"),
    }
}

/// An AC echoing `rq`'s header with the given results and user sub-items.
fn ac(
    rq: &Associate<'_>,
    results: Vec<(u8, u8, Option<&str>)>,
    user: Vec<UserItem<'static>>,
) -> Associate<'static> {
    let mut items = vec![Item::ApplicationContext(b(APPLICATION_CONTEXT))];
    for (id, result, ts) in results {
        items.push(Item::PresentationContextAc(PresentationContextAc {
            context_id: id,
            reserved_5: 0,
            result,
            reserved_7: 0,
            transfer_syntax: ts.map(b),
        }));
    }
    let mut subs = vec![
        UserItem::MaximumLength(16382),
        UserItem::ImplementationClassUid(b("1.2.826.0.1.3680043.9.3811.3.0.4")),
        UserItem::ImplementationVersionName(b("PYNETDICOM_304")),
    ];
    subs.extend(user);
    items.push(Item::UserInformation(subs));
    Associate {
        protocol_version: 1,
        reserved_8_9: 0,
        called_ae_title: rq.called_ae_title,
        calling_ae_title: rq.calling_ae_title,
        reserved_42_73: rq.reserved_42_73,
        items,
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

// ---- building the RQ ----

#[test]
fn rq_layout_matches_reference_example() {
    // Reference section 13.5: called ANY-SCP, calling ECHOSCU, Verification with
    // [Implicit, Explicit], max 16384, class UID 1.2.3.4, version TEST_0.
    let rq = build_rq(&cfg()).unwrap();
    let expected = Associate {
        protocol_version: 1,
        reserved_8_9: 0,
        called_ae_title: *b"ANY-SCP         ",
        calling_ae_title: *b"ECHOSCU         ",
        reserved_42_73: [0; 32],
        items: vec![
            Item::ApplicationContext(b(APPLICATION_CONTEXT)),
            Item::PresentationContextRq(PresentationContextRq {
                context_id: 1,
                reserved: [0; 3],
                abstract_syntax: b(VERIFICATION),
                transfer_syntaxes: vec![b(IMPLICIT_VR_LE), b(EXPLICIT_VR_LE)],
            }),
            Item::UserInformation(vec![
                UserItem::MaximumLength(16384),
                UserItem::ImplementationClassUid(b("1.2.3.4")),
                UserItem::ImplementationVersionName(b("TEST_0")),
            ]),
        ],
    };
    assert_eq!(rq, expected);
}

#[test]
fn rq_layout_with_every_option() {
    let mut c = cfg();
    c.requested = vec![
        RequestedContext::new(VERIFICATION, [IMPLICIT_VR_LE]),
        RequestedContext {
            scp_role: Some(true),
            ..RequestedContext::new(CT, [EXPLICIT_VR_LE])
        },
        RequestedContext {
            scu_role: Some(true),
            scp_role: Some(true),
            ..RequestedContext::new(MR, [IMPLICIT_VR_LE])
        },
        // Same SOP class, same roles (or none): one 54H per SOP class.
        RequestedContext::new(CT, [IMPLICIT_VR_LE]),
    ];
    c.async_ops_window = Some((3, 2));
    c.implementation_version_name = None;
    c.maximum_pdu_length = 0;
    c.user_identity = Some(UserIdentity {
        identity_type: 2,
        positive_response_requested: true,
        primary: b"bob".to_vec(),
        secondary: b"pw".to_vec(),
    });
    c.sop_class_extended = vec![
        SopClassExtended {
            sop_class_uid: MR.into(),
            app_info: vec![1, 0, 1],
        },
        SopClassExtended {
            sop_class_uid: CT.into(),
            app_info: vec![],
        },
    ];
    c.sop_class_common_extended = vec![SopClassCommonExtended {
        sop_class_uid: CT.into(),
        service_class_uid: "1.2.840.10008.4.2".into(),
        related_general_sop_classes: vec!["1.2.840.10008.5.1.4.1.1.2.1".into(), "1.2.3".into()],
    }];
    let rq = build_rq(&c).unwrap();
    assert_eq!(
        rq_contexts(&rq),
        [
            (1, VERIFICATION.into(), vec![IMPLICIT_VR_LE.into()]),
            (3, CT.into(), vec![EXPLICIT_VR_LE.into()]),
            (5, MR.into(), vec![IMPLICIT_VR_LE.into()]),
            (7, CT.into(), vec![IMPLICIT_VR_LE.into()]),
        ]
    );
    assert!(matches!(rq.items[0], Item::ApplicationContext(_)));
    assert_eq!(rq.items.len(), 6);
    assert_eq!(
        rq_user_items(&rq),
        [
            UserItem::MaximumLength(0),
            UserItem::ImplementationClassUid(b("1.2.3.4")),
            UserItem::AsyncOpsWindow {
                invoked: 3,
                performed: 2
            },
            UserItem::RoleSelection {
                sop_class_uid: b(CT),
                scu_role: 0,
                scp_role: 1
            },
            UserItem::RoleSelection {
                sop_class_uid: b(MR),
                scu_role: 1,
                scp_role: 1
            },
            UserItem::SopClassExtended {
                sop_class_uid: b(MR),
                app_info: Cow::Owned(vec![1, 0, 1]),
            },
            UserItem::SopClassExtended {
                sop_class_uid: b(CT),
                app_info: Cow::Owned(vec![]),
            },
            UserItem::SopClassCommonExtended {
                version: 0,
                sop_class_uid: b(CT),
                service_class_uid: b("1.2.840.10008.4.2"),
                related_general_sop_classes: vec![b("1.2.840.10008.5.1.4.1.1.2.1"), b("1.2.3")],
            },
            UserItem::UserIdentityRq {
                identity_type: 2,
                positive_response_requested: 1,
                primary: b("bob"),
                secondary: b("pw"),
            },
        ]
    );
}

#[test]
fn extended_negotiation_values_are_checked() {
    let ext = |uid: &str, len: usize| SopClassExtended {
        sop_class_uid: uid.into(),
        app_info: vec![0; len],
    };
    let common = |uid: &str, service: &str, related: Vec<String>| SopClassCommonExtended {
        sop_class_uid: uid.into(),
        service_class_uid: service.into(),
        related_general_sop_classes: related,
    };
    let mut c = cfg();
    c.sop_class_extended = vec![ext("1.2.x", 1)];
    assert!(matches!(build_rq(&c), Err(AssocError::InvalidUid { .. })));
    c.sop_class_extended = vec![ext("1.2.3", 65535 - 2 - 5 + 1)];
    assert_eq!(
        build_rq(&c).unwrap_err(),
        AssocError::FieldTooLong {
            field: "SOP class extended negotiation sub-item",
            len: 65536
        }
    );
    // Each fits its sub-item; together they overflow the user information item.
    c.sop_class_extended = vec![ext("1.2.3", 40000), ext("1.2.4", 40000)];
    assert!(matches!(
        build_rq(&c),
        Err(AssocError::FieldTooLong {
            field: "user information item",
            ..
        })
    ));
    c.sop_class_extended = vec![];
    for bad in [
        common("", "1.2", vec![]),
        common("1.2", "1.x", vec![]),
        common("1.2", "1.2", vec!["".into()]),
    ] {
        c.sop_class_common_extended = vec![bad];
        assert!(matches!(build_rq(&c), Err(AssocError::InvalidUid { .. })));
    }
    c.sop_class_common_extended = vec![common("1.2", "1.3", vec!["1.2.3".into(); 9400])];
    assert!(matches!(
        build_rq(&c),
        Err(AssocError::FieldTooLong {
            field: "related general SOP class identification",
            ..
        })
    ));
}

#[test]
fn sop_class_extended_answers_are_read() {
    let mut c = cfg();
    c.sop_class_extended = vec![SopClassExtended {
        sop_class_uid: CT.into(),
        app_info: vec![1],
    }];
    let rq = build_rq(&c).unwrap();
    let answer = ac(
        &rq,
        vec![(1, 0, Some(IMPLICIT_VR_LE))],
        vec![UserItem::SopClassExtended {
            sop_class_uid: b(&format!("{CT}\0")),
            app_info: Cow::Owned(vec![2, 3]),
        }],
    );
    let e = process_ac(&c, &rq, &answer).unwrap();
    assert_eq!(
        e.sop_class_extended,
        [SopClassExtended {
            sop_class_uid: CT.into(),
            app_info: vec![2, 3]
        }]
    );
    let none = ac(&rq, vec![(1, 0, Some(IMPLICIT_VR_LE))], vec![]);
    assert!(process_ac(&c, &rq, &none)
        .unwrap()
        .sop_class_extended
        .is_empty());
}

#[test]
fn context_ids_auto_assigned_around_explicit_ones() {
    let mut c = cfg();
    c.requested = vec![
        RequestedContext::new(VERIFICATION, [IMPLICIT_VR_LE]),
        RequestedContext {
            context_id: Some(1),
            ..RequestedContext::new(CT, [IMPLICIT_VR_LE])
        },
        RequestedContext::new(MR, [IMPLICIT_VR_LE]),
        RequestedContext {
            context_id: Some(5),
            ..RequestedContext::new(MR, [EXPLICIT_VR_LE])
        },
        RequestedContext::new(CT, [EXPLICIT_VR_LE]),
    ];
    let ids: Vec<u8> = rq_contexts(&build_rq(&c).unwrap())
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(ids, [3, 1, 7, 5, 9]);
}

#[test]
fn context_count_limits() {
    let mut c = cfg();
    c.requested = (0..128)
        .map(|_| RequestedContext::new(VERIFICATION, [IMPLICIT_VR_LE]))
        .collect();
    let ids: Vec<u8> = rq_contexts(&build_rq(&c).unwrap())
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(ids.first(), Some(&1));
    assert_eq!(ids.last(), Some(&255));
    c.requested
        .push(RequestedContext::new(VERIFICATION, [IMPLICIT_VR_LE]));
    assert_eq!(
        build_rq(&c),
        Err(AssocError::TooManyContexts { count: 129 })
    );
    c.requested.clear();
    assert_eq!(build_rq(&c), Err(AssocError::NoContexts));
}

#[test]
fn bad_context_ids_are_refused() {
    for (ids, err) in [
        (vec![Some(2)], AssocError::InvalidContextId { id: 2 }),
        (vec![Some(0)], AssocError::InvalidContextId { id: 0 }),
        (
            vec![Some(3), None, Some(3)],
            AssocError::DuplicateContextId { id: 3 },
        ),
    ] {
        let mut c = cfg();
        c.requested = ids
            .into_iter()
            .map(|id| RequestedContext {
                context_id: id,
                ..RequestedContext::new(VERIFICATION, [IMPLICIT_VR_LE])
            })
            .collect();
        assert_eq!(build_rq(&c), Err(err));
    }
}

/// An edit that makes a config invalid.
type Change = Box<dyn Fn(&mut RequestorConfig)>;

#[test]
fn bad_values_are_refused_and_named() {
    let cases: Vec<(Change, AssocError)> = vec![
        (
            Box::new(|c| c.calling_ae_title = "".into()),
            AssocError::InvalidAeTitle {
                value: "".into(),
                reason: "empty or all spaces",
            },
        ),
        (
            Box::new(|c| c.called_ae_title = "    ".into()),
            AssocError::InvalidAeTitle {
                value: "    ".into(),
                reason: "empty or all spaces",
            },
        ),
        (
            Box::new(|c| c.called_ae_title = "ABCDEFGHIJKLMNOPQ".into()),
            AssocError::InvalidAeTitle {
                value: "ABCDEFGHIJKLMNOPQ".into(),
                reason: "longer than 16 characters",
            },
        ),
        (
            Box::new(|c| c.calling_ae_title = "ÉCHO".into()),
            AssocError::InvalidAeTitle {
                value: "ÉCHO".into(),
                reason: "not ASCII",
            },
        ),
        (
            Box::new(|c| c.calling_ae_title = "ECHO\tSCU".into()),
            AssocError::InvalidAeTitle {
                value: "ECHO\tSCU".into(),
                reason: "contains a control character",
            },
        ),
        (
            Box::new(|c| c.calling_ae_title = "ECHO\\SCU".into()),
            AssocError::InvalidAeTitle {
                value: "ECHO\\SCU".into(),
                reason: "contains a backslash",
            },
        ),
        (
            Box::new(|c| c.requested[0].abstract_syntax = "1.2.840.10008.1.1a".into()),
            AssocError::InvalidUid {
                value: "1.2.840.10008.1.1a".into(),
                reason: "contains characters other than digits and '.'",
            },
        ),
        (
            Box::new(|c| c.requested[0].transfer_syntaxes[1] = "1".repeat(65)),
            AssocError::InvalidUid {
                value: "1".repeat(65),
                reason: "longer than 64 characters",
            },
        ),
        (
            Box::new(|c| c.implementation_class_uid = "".into()),
            AssocError::InvalidUid {
                value: "".into(),
                reason: "empty",
            },
        ),
        (
            Box::new(|c| c.implementation_version_name = Some("12345678901234567".into())),
            AssocError::InvalidImplementationVersionName {
                value: "12345678901234567".into(),
            },
        ),
        (
            Box::new(|c| c.requested[0].transfer_syntaxes.clear()),
            AssocError::NoTransferSyntax {
                abstract_syntax: VERIFICATION.into(),
            },
        ),
        (
            Box::new(|c| {
                c.user_identity = Some(UserIdentity {
                    identity_type: 5,
                    positive_response_requested: false,
                    primary: vec![b'x'; 65536],
                    secondary: vec![],
                })
            }),
            AssocError::FieldTooLong {
                field: "user identity primary field",
                len: 65536,
            },
        ),
        (
            Box::new(|c| {
                c.requested = vec![
                    RequestedContext {
                        scu_role: Some(true),
                        ..RequestedContext::new(CT, [IMPLICIT_VR_LE])
                    },
                    RequestedContext {
                        scp_role: Some(true),
                        ..RequestedContext::new(CT, [EXPLICIT_VR_LE])
                    },
                ]
            }),
            AssocError::ConflictingRoles {
                abstract_syntax: CT.into(),
            },
        ),
    ];
    for (change, err) in cases {
        let mut c = cfg();
        change(&mut c);
        let got = build_rq(&c);
        assert_eq!(got, Err(err.clone()));
        // The message names the value.
        let msg = err.to_string();
        match &err {
            AssocError::InvalidAeTitle { value, .. } | AssocError::InvalidUid { value, .. } => {
                assert!(msg.contains(&format!("{value:?}")), "{msg}")
            }
            _ => assert!(!msg.is_empty()),
        }
    }
    // 16 characters and exactly 64-character UIDs are fine.
    let mut c = cfg();
    c.called_ae_title = "ABCDEFGHIJKLMNOP".into();
    c.requested[0].transfer_syntaxes.push("1".repeat(64));
    assert!(build_rq(&c).is_ok());
}

#[test]
fn ae_title_bytes_pads_with_spaces() {
    assert_eq!(ae_title_bytes("ECHOSCU"), Ok(*b"ECHOSCU         "));
    assert_eq!(ae_title_bytes("  ECHO SCU  "), Ok(*b"ECHO SCU        "));
    assert_eq!(ae_title_bytes("ABCDEFGHIJKLMNOP"), Ok(*b"ABCDEFGHIJKLMNOP"));
    assert!(ae_title_bytes("").is_err());
    assert!(ae_title_bytes("ABCDEFGHIJKLMNOPQ").is_err());
    assert!(ae_title_bytes("A\0B").is_err());
}

// ---- reading the AC ----

fn three_contexts() -> RequestorConfig {
    let mut c = cfg();
    c.requested = vec![
        RequestedContext::new(VERIFICATION, [IMPLICIT_VR_LE, EXPLICIT_VR_LE]),
        RequestedContext::new(CT, [EXPLICIT_VR_LE]),
        RequestedContext::new(MR, [IMPLICIT_VR_LE]),
    ];
    c
}

#[test]
fn accepted_ac_is_read() {
    let c = three_contexts();
    let rq = build_rq(&c).unwrap();
    let ac = ac(
        &rq,
        vec![
            (5, 3, Some(IMPLICIT_VR_LE)),
            (1, 0, Some(EXPLICIT_VR_LE)),
            (3, 4, Some(EXPLICIT_VR_LE)),
        ],
        vec![],
    );
    let e = process_ac(&c, &rq, &ac).unwrap();
    assert_eq!(
        e.contexts,
        [
            ctx(1, VERIFICATION, Some(EXPLICIT_VR_LE), 0, true, false),
            ctx(3, CT, None, 4, false, false),
            ctx(5, MR, None, 3, false, false),
        ]
    );
    assert_eq!(e.accepted_context(1).map(|c| c.context_id), Some(1));
    assert_eq!(e.accepted_context(3), None);
    assert_eq!(e.peer_max_pdu_length, 16382);
    assert_eq!(
        e.peer_implementation_class_uid,
        "1.2.826.0.1.3680043.9.3811.3.0.4"
    );
    assert_eq!(
        e.peer_implementation_version_name.as_deref(),
        Some("PYNETDICOM_304")
    );
    assert_eq!(e.async_ops_window, None);
    assert_eq!(e.user_identity_response, None);
    assert_eq!(e.calling_ae_title, "ECHOSCU");
    assert_eq!(e.called_ae_title, "ANY-SCP");
}

#[test]
fn context_id_the_acceptor_invented_is_an_error() {
    let c = cfg();
    let rq = build_rq(&c).unwrap();
    let ac = ac(
        &rq,
        vec![(1, 0, Some(IMPLICIT_VR_LE)), (3, 0, Some(IMPLICIT_VR_LE))],
        vec![],
    );
    assert_eq!(
        process_ac(&c, &rq, &ac),
        Err(AssocError::UnknownContextId { id: 3 })
    );
}

#[test]
fn ac_without_application_context_is_an_error() {
    let c = cfg();
    let rq = build_rq(&c).unwrap();
    let mut a = ac(&rq, vec![(1, 0, Some(IMPLICIT_VR_LE))], vec![]);
    a.items.remove(0);
    assert_eq!(
        process_ac(&c, &rq, &a),
        Err(AssocError::NoApplicationContext)
    );
}

#[test]
fn ac_answering_no_context_is_an_error() {
    let c = cfg();
    let rq = build_rq(&c).unwrap();
    let a = ac(&rq, vec![], vec![]);
    assert_eq!(process_ac(&c, &rq, &a), Err(AssocError::NoContextAnswered));
}

#[test]
fn context_answered_twice_is_an_error() {
    let c = cfg();
    let rq = build_rq(&c).unwrap();
    let ac = ac(
        &rq,
        vec![(1, 0, Some(IMPLICIT_VR_LE)), (1, 3, None)],
        vec![],
    );
    assert_eq!(
        process_ac(&c, &rq, &ac),
        Err(AssocError::DuplicateContextResult { id: 1 })
    );
}

#[test]
fn unanswered_context_is_rejected_with_result_2() {
    let c = three_contexts();
    let rq = build_rq(&c).unwrap();
    let ac = ac(&rq, vec![(3, 0, Some(EXPLICIT_VR_LE))], vec![]);
    let e = process_ac(&c, &rq, &ac).unwrap();
    assert_eq!(
        e.contexts,
        [
            ctx(1, VERIFICATION, None, 2, false, false),
            ctx(3, CT, Some(EXPLICIT_VR_LE), 0, true, false),
            ctx(5, MR, None, 2, false, false),
        ]
    );
}

#[test]
fn transfer_syntax_we_never_proposed_rejects_the_context() {
    let c = three_contexts();
    let rq = build_rq(&c).unwrap();
    let ac = ac(
        &rq,
        vec![
            // Proposed for another context, not this one.
            (1, 0, Some(EXPLICIT_VR_BE)),
            (3, 0, Some(IMPLICIT_VR_LE)),
            // Accepted without a transfer syntax.
            (5, 0, None),
        ],
        vec![],
    );
    let e = process_ac(&c, &rq, &ac).unwrap();
    assert_eq!(
        e.contexts,
        [
            ctx(1, VERIFICATION, None, 2, false, false),
            ctx(3, CT, None, 2, false, false),
            ctx(5, MR, None, 2, false, false),
        ]
    );
    assert!(e.contexts.iter().all(|c| !c.is_accepted()));
    assert_eq!(
        e.unusable_acceptances,
        [
            format!(
                "presentation context 1 was accepted with transfer syntax {EXPLICIT_VR_BE:?}, \
                 which was not proposed for it: taken as rejected"
            ),
            format!(
                "presentation context 3 was accepted with transfer syntax {IMPLICIT_VR_LE:?}, \
                 which was not proposed for it: taken as rejected"
            ),
            "presentation context 5 was accepted without a transfer syntax: taken as rejected"
                .to_string(),
        ]
    );
}

#[test]
fn padded_transfer_syntax_in_ac_matches() {
    let c = cfg();
    let rq = build_rq(&c).unwrap();
    let mut a = ac(&rq, vec![], vec![]);
    a.items.insert(
        1,
        Item::PresentationContextAc(PresentationContextAc {
            context_id: 1,
            reserved_5: 0,
            result: 0,
            reserved_7: 0,
            transfer_syntax: Some(Cow::Owned(b"1.2.840.10008.1.2\0".to_vec())),
        }),
    );
    let e = process_ac(&c, &rq, &a).unwrap();
    assert_eq!(
        e.contexts,
        [ctx(1, VERIFICATION, Some(IMPLICIT_VR_LE), 0, true, false)]
    );
}

fn role_cfg(scu: Option<bool>, scp: Option<bool>) -> RequestorConfig {
    let mut c = cfg();
    c.requested = vec![RequestedContext {
        scu_role: scu,
        scp_role: scp,
        ..RequestedContext::new(CT, [EXPLICIT_VR_LE])
    }];
    c
}

fn role_answer(scu: u8, scp: u8) -> Vec<UserItem<'static>> {
    vec![UserItem::RoleSelection {
        sop_class_uid: b(CT),
        scu_role: scu,
        scp_role: scp,
    }]
}

/// (result, as_scu, as_scp) for our proposal and the acceptor's answer.
fn requestor_roles(
    proposal: (Option<bool>, Option<bool>),
    answer: Option<(u8, u8)>,
) -> (u8, bool, bool) {
    let c = role_cfg(proposal.0, proposal.1);
    let rq = build_rq(&c).unwrap();
    let user = answer.map(|(u, p)| role_answer(u, p)).unwrap_or_default();
    let a = ac(&rq, vec![(1, 0, Some(EXPLICIT_VR_LE))], user);
    let cx = process_ac(&c, &rq, &a).unwrap().contexts.remove(0);
    (cx.result, cx.as_scu, cx.as_scp)
}

#[test]
fn requestor_role_outcomes() {
    let t = Some(true);
    let f = Some(false);
    let cases = [
        // No proposal: SCU only, whatever the acceptor says.
        ((None, None), None, (0, true, false)),
        ((None, None), Some((1, 1)), (0, true, false)),
        // Proposal but no answer: defaults.
        ((t, t), None, (0, true, false)),
        ((None, t), None, (0, true, false)),
        // Answers.
        ((t, t), Some((1, 1)), (0, true, true)),
        ((t, t), Some((0, 1)), (0, false, true)),
        ((t, t), Some((1, 0)), (0, true, false)),
        ((t, t), Some((0, 0)), (1, false, false)),
        ((None, t), Some((1, 1)), (0, false, true)),
        ((t, f), Some((1, 1)), (0, true, false)),
        ((t, f), Some((0, 1)), (1, false, false)),
    ];
    for (proposal, answer, want) in cases {
        assert_eq!(
            requestor_roles(proposal, answer),
            want,
            "{proposal:?} {answer:?}"
        );
    }
}

#[test]
fn role_answer_for_rejected_context_is_ignored() {
    let c = role_cfg(Some(true), Some(true));
    let rq = build_rq(&c).unwrap();
    let a = ac(&rq, vec![(1, 3, Some(IMPLICIT_VR_LE))], role_answer(1, 1));
    let e = process_ac(&c, &rq, &a).unwrap();
    assert_eq!(e.contexts, [ctx(1, CT, None, 3, false, false)]);
}

#[test]
fn peer_user_information_is_read() {
    let mut c = cfg();
    c.async_ops_window = Some((4, 4));
    c.user_identity = Some(UserIdentity {
        identity_type: 5,
        positive_response_requested: true,
        primary: b"jwt".to_vec(),
        secondary: vec![],
    });
    let rq = build_rq(&c).unwrap();
    let mut a = ac(
        &rq,
        vec![(1, 0, Some(IMPLICIT_VR_LE))],
        vec![
            UserItem::AsyncOpsWindow {
                invoked: 1,
                performed: 1,
            },
            UserItem::UserIdentityAc {
                server_response: b("token"),
            },
            UserItem::Unknown {
                item_type: 0x60,
                value: Cow::Owned(vec![1]),
            },
        ],
    );
    a.items.push(Item::Unknown {
        item_type: 0x99,
        value: Cow::Owned(vec![]),
    });
    let e = process_ac(&c, &rq, &a).unwrap();
    assert_eq!(e.async_ops_window, Some((1, 1)));
    assert_eq!(e.user_identity_response, Some(b"token".to_vec()));

    // Without 51H/52H/55H at all.
    let mut bare = ac(&rq, vec![(1, 0, Some(IMPLICIT_VR_LE))], vec![]);
    bare.items.pop();
    let e = process_ac(&c, &rq, &bare).unwrap();
    assert_eq!(e.peer_max_pdu_length, 0);
    assert_eq!(e.peer_implementation_class_uid, "");
    assert_eq!(e.peer_implementation_version_name, None);
}

#[test]
fn requestor_and_acceptor_agree() {
    use fastdimse::assoc::{accept, AcceptorConfig, IdentityDecision, SupportedContext};
    let mut rc = three_contexts();
    rc.requested[1].scu_role = Some(true);
    rc.requested[1].scp_role = Some(true);
    let rq = build_rq(&rc).unwrap();
    let mut acfg = AcceptorConfig::new("ANY-SCP");
    acfg.supported = vec![
        SupportedContext::new(VERIFICATION, [EXPLICIT_VR_LE, IMPLICIT_VR_LE]),
        SupportedContext {
            scu_role: Some(false),
            scp_role: Some(true),
            ..SupportedContext::new(CT, [EXPLICIT_VR_LE])
        },
    ];
    let accepted = accept(&rq, &acfg, &mut |_| IdentityDecision::Reject).unwrap();
    let e = process_ac(&rc, &rq, &accepted.ac).unwrap();
    assert_eq!(
        e.contexts,
        [
            ctx(1, VERIFICATION, Some(EXPLICIT_VR_LE), 0, true, false),
            // We proposed both; the acceptor allowed only our SCP role.
            ctx(3, CT, Some(EXPLICIT_VR_LE), 0, false, true),
            ctx(5, MR, None, 3, false, false),
        ]
    );
    assert_eq!(
        accepted.contexts[1],
        ctx(3, CT, Some(EXPLICIT_VR_LE), 0, true, false)
    );
    assert_eq!(e.peer_max_pdu_length, 16382);
    assert_eq!(accepted.peer_max_pdu_length, 16384);
}

#[test]
fn outstanding_requests_follow_the_acceptors_window_within_our_proposal() {
    let window = |invoked, performed| vec![UserItem::AsyncOpsWindow { invoked, performed }];
    let outstanding = |proposed: Option<(u16, u16)>, answer: Vec<UserItem<'static>>| {
        let mut c = cfg();
        c.async_ops_window = proposed;
        let rq = build_rq(&c).unwrap();
        let a = ac(&rq, vec![(1, 0, Some(IMPLICIT_VR_LE))], answer);
        process_ac(&c, &rq, &a).unwrap().max_outstanding
    };
    // Nothing proposed, or nothing answered: one at a time, whatever the other side sent.
    assert_eq!(outstanding(None, window(8, 8)), 1);
    assert_eq!(outstanding(Some((8, 1)), vec![]), 1);
    // The acceptor's first field, never more than we proposed; 0 is no limit.
    assert_eq!(outstanding(Some((8, 1)), window(4, 1)), 4);
    assert_eq!(outstanding(Some((8, 1)), window(16, 1)), 8);
    assert_eq!(outstanding(Some((8, 1)), window(0, 1)), 8);
    assert_eq!(outstanding(Some((0, 1)), window(16, 1)), 16);
    assert_eq!(outstanding(Some((0, 0)), window(0, 0)), 0);
    assert_eq!(outstanding(Some((8, 8)), window(1, 1)), 1);
}
