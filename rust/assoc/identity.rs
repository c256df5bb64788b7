//! User identity negotiation (sub-items 58H and 59H, PS3.7 D.3.3.7).

/// The user identity a requestor presents (sub-item 58H).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserIdentity {
    /// 1 username, 2 username and passcode, 3 Kerberos ticket, 4 SAML assertion, 5 JWT.
    pub identity_type: u8,
    /// True when the requestor asks for a 59H answer.
    pub positive_response_requested: bool,
    /// Username, ticket, assertion or token.
    pub primary: Vec<u8>,
    /// Passcode for type 2, empty otherwise.
    pub secondary: Vec<u8>,
}

/// What the acceptor's identity handler decides.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdentityDecision {
    /// Accept the association. `server_response` goes back in a 59H sub-item when the
    /// requestor asked for a positive response; `Some(vec![])` sends an empty one, which
    /// is the answer PS3.7 gives for types 1 and 2.
    Accept { server_response: Option<Vec<u8>> },
    /// Reject the association with A-ASSOCIATE-RJ (2, 2, 1).
    Reject,
}
