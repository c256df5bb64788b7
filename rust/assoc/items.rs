//! Read-only views of the items of an A-ASSOCIATE-RQ/AC, in wire order. Unknown items and
//! sub-items are skipped here, so negotiation never sees them.

use super::extended::{SopClassCommonExtended, SopClassExtended};
use crate::pdu::{Associate, Item, PresentationContextAc, PresentationContextRq, UserItem};

/// The first application context name (10H).
pub(crate) fn application_context<'s>(a: &'s Associate<'_>) -> Option<&'s [u8]> {
    a.items.iter().find_map(|item| match item {
        Item::ApplicationContext(name) => Some(&name[..]),
        _ => None,
    })
}

/// Proposed presentation contexts (20H).
pub(crate) fn rq_contexts<'s, 'a>(
    a: &'s Associate<'a>,
) -> impl Iterator<Item = &'s PresentationContextRq<'a>> {
    a.items.iter().filter_map(|item| match item {
        Item::PresentationContextRq(pc) => Some(pc),
        _ => None,
    })
}

/// Presentation context results (21H).
pub(crate) fn ac_contexts<'s, 'a>(
    a: &'s Associate<'a>,
) -> impl Iterator<Item = &'s PresentationContextAc<'a>> {
    a.items.iter().filter_map(|item| match item {
        Item::PresentationContextAc(pc) => Some(pc),
        _ => None,
    })
}

/// Every sub-item of every user information item (50H), in wire order.
pub(crate) fn user_items<'s, 'a>(a: &'s Associate<'a>) -> impl Iterator<Item = &'s UserItem<'a>> {
    a.items
        .iter()
        .filter_map(|item| match item {
            Item::UserInformation(subs) => Some(subs.iter()),
            _ => None,
        })
        .flatten()
}

/// The first maximum length (51H).
pub(crate) fn maximum_length(a: &Associate<'_>) -> Option<u32> {
    user_items(a).find_map(|s| match s {
        UserItem::MaximumLength(v) => Some(*v),
        _ => None,
    })
}

/// The first implementation class UID (52H).
pub(crate) fn implementation_class_uid<'s>(a: &'s Associate<'_>) -> Option<&'s [u8]> {
    user_items(a).find_map(|s| match s {
        UserItem::ImplementationClassUid(v) => Some(&v[..]),
        _ => None,
    })
}

/// The first implementation version name (55H).
pub(crate) fn implementation_version_name<'s>(a: &'s Associate<'_>) -> Option<&'s [u8]> {
    user_items(a).find_map(|s| match s {
        UserItem::ImplementationVersionName(v) => Some(&v[..]),
        _ => None,
    })
}

/// The first asynchronous operations window (53H).
pub(crate) fn async_ops_window(a: &Associate<'_>) -> Option<(u16, u16)> {
    user_items(a).find_map(|s| match s {
        UserItem::AsyncOpsWindow { invoked, performed } => Some((*invoked, *performed)),
        _ => None,
    })
}

/// Role selection sub-items (54H) as (SOP class UID, SCU role, SCP role); any non-zero
/// role byte counts as "proposed".
pub(crate) fn role_selections<'s>(
    a: &'s Associate<'_>,
) -> impl Iterator<Item = (&'s [u8], bool, bool)> {
    user_items(a).filter_map(|s| match s {
        UserItem::RoleSelection {
            sop_class_uid,
            scu_role,
            scp_role,
        } => Some((&sop_class_uid[..], *scu_role != 0, *scp_role != 0)),
        _ => None,
    })
}

/// SOP class extended negotiation sub-items (56H), in wire order.
pub(crate) fn sop_class_extended<'s>(
    a: &'s Associate<'_>,
) -> impl Iterator<Item = SopClassExtended> + 's {
    user_items(a).filter_map(SopClassExtended::from_user_item)
}

/// SOP class common extended negotiation sub-items (57H), in wire order.
pub(crate) fn sop_class_common_extended<'s>(
    a: &'s Associate<'_>,
) -> impl Iterator<Item = SopClassCommonExtended> + 's {
    user_items(a).filter_map(SopClassCommonExtended::from_user_item)
}

/// The smaller of two window sizes where 0 means unlimited.
pub(crate) fn window_limit(a: u16, b: u16) -> u16 {
    match (a, b) {
        (0, x) | (x, 0) => x,
        (a, b) => a.min(b),
    }
}
