//! Association negotiation (PS3.8 section 7.1, PS3.7 Annex D.3), pure logic, both roles.
//!
//! - [`acceptor`]: answer an A-ASSOCIATE-RQ with an A-ASSOCIATE-AC or a [`Rejection`].
//! - [`requestor`]: build an A-ASSOCIATE-RQ and read the A-ASSOCIATE-AC.
//! - [`context`]: the per-context outcome both roles produce.
//! - [`identity`]: user identity negotiation.
//! - [`extended`]: SOP class extended and common extended negotiation.
//! - [`rejection`]: A-ASSOCIATE-RJ codes and their wording.
//! - [`text`]: AE titles and UIDs on and off the wire.
//!
//! The policies each side follows are listed in the [`acceptor`] and [`requestor`] docs.

pub mod acceptor;
pub mod context;
pub mod error;
pub mod extended;
pub mod identity;
mod items;
pub mod rejection;
pub mod requestor;
pub mod text;

pub use acceptor::{accept, accept_with, Accepted, AcceptorConfig, SupportedContext, OPS_WINDOW};
pub use context::{result, NegotiatedContext};
pub use error::AssocError;
pub use extended::{
    sop_class_common_extended_of, sop_class_extended_of, SopClassCommonExtended, SopClassExtended,
};
pub use identity::{IdentityDecision, UserIdentity};
pub use rejection::Rejection;
pub use requestor::{build_rq, process_ac, Established, RequestedContext, RequestorConfig};
pub use text::ae_title_bytes;
