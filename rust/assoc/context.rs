//! The outcome of negotiating one presentation context, and the SCP/SCU role rules
//! (PS3.7 D.3.3.4) both roles share.

/// Presentation context result codes (byte 6 of item 21H, PS3.8 Table 9-18).
pub mod result {
    pub const ACCEPTANCE: u8 = 0;
    pub const USER_REJECTION: u8 = 1;
    pub const NO_REASON: u8 = 2;
    pub const ABSTRACT_SYNTAX_NOT_SUPPORTED: u8 = 3;
    pub const TRANSFER_SYNTAXES_NOT_SUPPORTED: u8 = 4;

    /// The result in pynetdicom's words ("Accepted", "Abstract Syntax Not Supported").
    pub fn describe(result: u8) -> &'static str {
        match result {
            ACCEPTANCE => "Accepted",
            USER_REJECTION => "User Rejected",
            NO_REASON => "Provider Rejected",
            ABSTRACT_SYNTAX_NOT_SUPPORTED => "Abstract Syntax Not Supported",
            TRANSFER_SYNTAXES_NOT_SUPPORTED => "Transfer Syntax(es) Not Supported",
            _ => "Unknown",
        }
    }
}

/// One presentation context after negotiation, seen from the local AE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NegotiatedContext {
    pub context_id: u8,
    /// Without padding.
    pub abstract_syntax: String,
    /// The agreed transfer syntax; `None` unless the context was accepted.
    pub transfer_syntax: Option<String>,
    /// See [`result`].
    pub result: u8,
    /// Whether the local AE may act as SCU on this context (false unless accepted).
    pub as_scu: bool,
    /// Whether the local AE may act as SCP on this context (false unless accepted).
    pub as_scp: bool,
}

impl NegotiatedContext {
    /// True when the context can carry messages.
    pub fn is_accepted(&self) -> bool {
        self.result == result::ACCEPTANCE && self.transfer_syntax.is_some()
    }

    pub(crate) fn rejected(context_id: u8, abstract_syntax: String, result: u8) -> Self {
        NegotiatedContext {
            context_id,
            abstract_syntax,
            transfer_syntax: None,
            result,
            as_scu: false,
            as_scp: false,
        }
    }
}

/// The requestor's roles after role selection: a role survives only if the requestor
/// proposed it and the acceptor agreed to it. The acceptor's roles are the mirror image
/// (it is SCP when the requestor is SCU, and SCU when the requestor is SCP).
pub(crate) fn requestor_roles(proposed: (bool, bool), agreed: (bool, bool)) -> (bool, bool) {
    (proposed.0 && agreed.0, proposed.1 && agreed.1)
}
