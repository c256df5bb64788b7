//! Debug-level summaries of the A-ASSOCIATE-RQ and -AC PDUs, laid out as pynetdicom's
//! standard handlers lay them out ("Request Parameters:", "Accept Parameters:", ...), since
//! that is what its users read with `-d` and paste into bug reports. Built only when the
//! `fastdimse` logger is enabled for debug: the lines cost nothing otherwise.
//!
//! Unlike pynetdicom, a user identity password is never written out (only its length): a
//! log is not the place for a secret.

use crate::pdu::{self, PresentationContextAc, PresentationContextRq, UserItem};
use crate::uid::trim_padding;

use super::log as netlog;

/// True if debug records of the `fastdimse` logger are wanted.
pub fn enabled() -> bool {
    ::log::log_enabled!(target: netlog::TARGET, ::log::Level::Debug)
}

fn text(raw: &[u8]) -> String {
    String::from_utf8_lossy(trim_padding(raw)).into_owned()
}

fn ae(raw: &[u8; 16]) -> String {
    String::from_utf8_lossy(raw).trim_matches(' ').to_string()
}

/// The name pynetdicom's `UID.name` gives the UIDs the Verification service uses; any other
/// UID stands for itself.
fn uid_name(raw: &[u8]) -> String {
    let uid = text(raw);
    let name = match uid.as_str() {
        "1.2.840.10008.1.1" => "Verification SOP Class",
        "1.2.840.10008.1.2" => "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1" => "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99" => "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2" => "Explicit VR Big Endian",
        _ => return uid,
    };
    name.to_string()
}

/// A 76-column banner with `title` centred between `=` signs.
fn banner(title: &str) -> String {
    let title = format!(" {title} ");
    let fill = 76usize.saturating_sub(title.len());
    let left = fill / 2;
    format!("{}{}{}", "=".repeat(left), title, "=".repeat(fill - left))
}

/// "SCP/SCU", "SCP", "SCU", "" from a role selection item, "Default" without one.
fn role_text(rq: &pdu::Associate<'_>, abstract_syntax: &[u8], scu_scp: Option<(u8, u8)>) -> String {
    let roles = scu_scp.or_else(|| {
        rq.role_selections()
            .find(|r| trim_padding(r.sop_class_uid) == trim_padding(abstract_syntax))
            .map(|r| (r.scu_role, r.scp_role))
    });
    match roles {
        None => "Default".to_string(),
        Some((scu, scp)) => {
            let mut parts = Vec::new();
            if scp != 0 {
                parts.push("SCP");
            }
            if scu != 0 {
                parts.push("SCU");
            }
            parts.join("/")
        }
    }
}

/// pynetdicom's `pretty_bytes` layout: 16 bytes a line as two-digit hex separated by two
/// spaces, at most 512 bytes (with a note first when cut), each line indented by `indent`.
fn hex_lines(data: &[u8], indent: &str, out: &mut Vec<String>) {
    const MAX: usize = 512;
    if data.len() > MAX {
        out.push(format!("{indent}Only dumping {MAX} bytes."));
    }
    for chunk in data[..data.len().min(MAX)].chunks(16) {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        out.push(format!("{indent}{}", hex.join("  ")));
    }
}

/// The SOP class extended negotiation items (56H) under `title`, or `title: None`.
fn extended(pdu: &pdu::Associate<'_>, title: &str, out: &mut Vec<String>) {
    let items = crate::assoc::sop_class_extended_of(pdu);
    if items.is_empty() {
        out.push(format!("{title}: None"));
        return;
    }
    out.push(format!("{title}:"));
    for item in items {
        out.push(format!("  SOP Class: ={}", item.sop_class_uid));
        hex_lines(&item.app_info, "    ", out);
    }
}

/// The SOP class common extended negotiation items (57H) of a request.
fn common_extended(rq: &pdu::Associate<'_>, out: &mut Vec<String>) {
    let items = crate::assoc::sop_class_common_extended_of(rq);
    if items.is_empty() {
        out.push("Requested Common Extended Negotiation: None".to_string());
        return;
    }
    out.push("Requested Common Extended Negotiation:".to_string());
    for item in items {
        out.push(format!(
            "  SOP Class: ={}",
            uid_name(item.sop_class_uid.as_bytes())
        ));
        out.push(format!(
            "    Service Class: ={}",
            uid_name(item.service_class_uid.as_bytes())
        ));
        if item.related_general_sop_classes.is_empty() {
            out.push("    Related General SOP Classes: None".to_string());
        } else {
            out.push("    Related General SOP Class(es):".to_string());
            for uid in &item.related_general_sop_classes {
                out.push(format!("      ={}", uid_name(uid.as_bytes())));
            }
        }
    }
}

fn async_window(pdu: &pdu::Associate<'_>, verb: &str, out: &mut Vec<String>) {
    match pdu.async_ops_window() {
        Some((invoked, performed)) => {
            out.push(format!(
                "{verb} Asynchronous Operations Window Negotiation:"
            ));
            out.push(format!("  Maximum Invoked Operations:     {invoked}"));
            out.push(format!("  Maximum Performed Operations:   {performed}"));
        }
        None => out.push(format!(
            "{verb} Asynchronous Operations Window Negotiation: None"
        )),
    }
}

/// The lines for an A-ASSOCIATE-RQ we send (`outgoing`) or received.
pub fn associate_rq(rq: &pdu::Associate<'_>, outgoing: bool) -> Vec<String> {
    let (ours, direction) = if outgoing {
        ("Our", "OUTGOING")
    } else {
        ("Their", "INCOMING")
    };
    let mut out = vec![
        "Request Parameters:".to_string(),
        banner(&format!("{direction} A-ASSOCIATE-RQ PDU")),
    ];
    let class_uid = rq.implementation_class_uid().map_or("unknown".into(), text);
    let version = rq.implementation_version_name().map(text);
    if outgoing {
        out.push(format!("Our Implementation Class UID:      {class_uid}"));
        if let Some(version) = version {
            out.push(format!("Our Implementation Version Name:   {version}"));
        }
    } else {
        out.push(format!("Their Implementation Class UID:      {class_uid}"));
        out.push(format!(
            "Their Implementation Version Name:   {}",
            version.unwrap_or_else(|| "unknown".into())
        ));
    }
    out.push(format!(
        "Application Context Name:    {}",
        rq.application_context().map_or(String::new(), text)
    ));
    out.push(format!(
        "Calling Application Name:    {}",
        ae(&rq.calling_ae_title)
    ));
    out.push(format!(
        "Called Application Name:     {}",
        ae(&rq.called_ae_title)
    ));
    out.push(format!(
        "{ours} Max PDU Receive Size:{}{}",
        if outgoing { "    " } else { "  " },
        rq.maximum_length().map_or("None".into(), |n| n.to_string())
    ));
    let contexts: Vec<&PresentationContextRq<'_>> = rq.presentation_contexts_rq().collect();
    out.push(if contexts.len() == 1 {
        "Presentation Context:".to_string()
    } else {
        "Presentation Contexts:".to_string()
    });
    let has_roles = rq.role_selections().next().is_some();
    for pc in contexts {
        out.push(format!("  Context ID:        {} (Proposed)", pc.context_id));
        out.push(format!(
            "    Abstract Syntax: ={}",
            uid_name(&pc.abstract_syntax)
        ));
        let role = if has_roles {
            role_text(rq, &pc.abstract_syntax, None)
        } else {
            "Default".to_string()
        };
        out.push(format!("    Proposed SCP/SCU Role: {role}"));
        out.push(if pc.transfer_syntaxes.len() == 1 {
            "    Proposed Transfer Syntax:".to_string()
        } else {
            "    Proposed Transfer Syntaxes:".to_string()
        });
        for ts in &pc.transfer_syntaxes {
            out.push(format!("      ={}", uid_name(ts)));
        }
    }
    extended(rq, "Requested Extended Negotiation", &mut out);
    common_extended(rq, &mut out);
    async_window(rq, "Requested", &mut out);
    match rq.user_identity_rq() {
        Some(id) => {
            out.push("Requested User Identity Negotiation:".to_string());
            let mode = match id.identity_type {
                1 => "Username",
                2 => "Username and passcode",
                3 => "Kerberos Service ticket",
                4 => "SAML Assertion",
                5 => "JSON Web Token",
                _ => "Unknown",
            };
            out.push(format!(
                "  Authentication Mode: {} - {mode}",
                id.identity_type
            ));
            match id.identity_type {
                1 | 2 => {
                    out.push(format!(
                        "  Username: [{}]",
                        String::from_utf8_lossy(id.primary)
                    ));
                    if id.identity_type == 2 {
                        out.push(format!(
                            "  Password: (not dumped) length: {}",
                            id.secondary.len()
                        ));
                    }
                }
                _ => out.push(format!(
                    "  {mode} (not dumped) length: {}",
                    id.primary.len()
                )),
            }
            out.push(format!(
                "  Positive Response Requested: {}",
                if id.positive_response_requested != 0 {
                    "Yes"
                } else {
                    "No"
                }
            ));
        }
        None => out.push("Requested User Identity Negotiation: None".to_string()),
    }
    out.push(banner("END A-ASSOCIATE-RQ PDU"));
    out
}

fn result_text(result: u8) -> &'static str {
    match result {
        0 => "Accepted",
        1 => "User Rejection",
        2 => "Provider Rejection",
        3 => "Abstract Syntax Not Supported",
        4 => "Transfer Syntax(es) Not Supported",
        _ => "Unknown",
    }
}

/// The lines for an A-ASSOCIATE-AC we send (`outgoing`) or received, in answer to `rq`
/// (which names the abstract syntax of each context ID).
pub fn associate_ac(
    ac: &pdu::Associate<'_>,
    rq: &pdu::Associate<'_>,
    outgoing: bool,
) -> Vec<String> {
    let direction = if outgoing { "OUTGOING" } else { "INCOMING" };
    let mut out = vec![
        "Accept Parameters:".to_string(),
        banner(&format!("{direction} A-ASSOCIATE-AC PDU")),
    ];
    let class_uid = ac.implementation_class_uid().map_or("unknown".into(), text);
    let version = ac.implementation_version_name().map(text);
    let app_context = ac.application_context().map_or(String::new(), text);
    let max = ac.maximum_length().map_or("None".into(), |n| n.to_string());
    if outgoing {
        out.push(format!("Our Implementation Class UID:      {class_uid}"));
        if let Some(version) = version {
            out.push(format!("Our Implementation Version Name:   {version}"));
        }
        out.push(format!("Application Context Name:    {app_context}"));
        out.push("Responding Application Name: resp. AE Title".to_string());
        out.push(format!("Our Max PDU Receive Size:    {max}"));
    } else {
        out.push(format!("Their Implementation Class UID:    {class_uid}"));
        out.push(format!(
            "Their Implementation Version Name: {}",
            version.unwrap_or_else(|| "unknown".into())
        ));
        out.push(format!("Application Context Name:    {app_context}"));
        out.push(format!(
            "Calling Application Name:    {}",
            ae(&ac.calling_ae_title)
        ));
        out.push(format!(
            "Called Application Name:     {}",
            ae(&ac.called_ae_title)
        ));
        out.push(format!("Their Max PDU Receive Size:  {max}"));
    }
    let mut contexts: Vec<&PresentationContextAc<'_>> = ac.presentation_contexts_ac().collect();
    contexts.sort_by_key(|pc| pc.context_id);
    out.push(if contexts.is_empty() && outgoing {
        "Presentation Contexts: None".to_string()
    } else {
        "Presentation Contexts:".to_string()
    });
    for pc in contexts {
        out.push(format!(
            "  Context ID:        {} ({})",
            pc.context_id,
            result_text(pc.result)
        ));
        let abstract_syntax = rq
            .presentation_contexts_rq()
            .find(|p| p.context_id == pc.context_id)
            .map(|p| p.abstract_syntax.to_vec())
            .unwrap_or_default();
        out.push(format!(
            "    Abstract Syntax: ={}",
            uid_name(&abstract_syntax)
        ));
        if pc.result == 0 {
            let answered = ac
                .role_selections()
                .find(|r| trim_padding(r.sop_class_uid) == trim_padding(&abstract_syntax))
                .map(|r| (r.scu_role, r.scp_role));
            let role = match answered {
                Some(roles) => role_text(ac, &abstract_syntax, Some(roles)),
                None => "Default".to_string(),
            };
            out.push(format!("    Accepted SCP/SCU Role: {role}"));
            out.push(format!(
                "    Accepted Transfer Syntax: ={}",
                pc.transfer_syntax
                    .as_deref()
                    .map_or(String::new(), uid_name)
            ));
        }
    }
    extended(ac, "Accepted Extended Negotiation", &mut out);
    async_window(ac, "Accepted", &mut out);
    let identity = ac
        .user_items()
        .iter()
        .any(|i| matches!(i, UserItem::UserIdentityAc { .. }));
    out.push(format!(
        "User Identity Negotiation Response: {}",
        if identity { "Yes" } else { "None" }
    ));
    out.push(banner("END A-ASSOCIATE-AC PDU"));
    out
}

/// Writes `lines` as debug records of the `fastdimse` logger.
pub fn log_lines(lines: &[String]) {
    for line in lines {
        netlog::debug(format_args!("{line}"));
    }
}
