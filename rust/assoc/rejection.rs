//! A-ASSOCIATE-RJ result, source and reason (PS3.8 Table 9-21), with pynetdicom's wording.

use std::fmt;

use crate::pdu::AssociateRj;

/// Why an association was rejected, as carried by an A-ASSOCIATE-RJ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rejection {
    /// 1 rejected-permanent, 2 rejected-transient.
    pub result: u8,
    /// 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation).
    pub source: u8,
    /// Meaning depends on `source`.
    pub reason: u8,
}

impl Rejection {
    pub const fn new(result: u8, source: u8, reason: u8) -> Self {
        Rejection {
            result,
            source,
            reason,
        }
    }

    /// (1, 1, 1) permanent, service-user, no reason given.
    pub const fn no_reason() -> Self {
        Self::new(1, 1, 1)
    }

    /// (1, 2, 1) permanent, service-provider (ACSE), no reason given: the A-ASSOCIATE-RQ is
    /// not acceptable to the service provider (AE-6), for example because it holds no
    /// presentation context item (PS3.8 9.3.2 requires one or more).
    pub const fn provider_no_reason() -> Self {
        Self::new(1, 2, 1)
    }

    /// (1, 1, 2) the application context name is not 1.2.840.10008.3.1.1.1.
    pub const fn application_context_not_supported() -> Self {
        Self::new(1, 1, 2)
    }

    /// (1, 1, 3) the calling AE title is not one we accept.
    pub const fn calling_ae_not_recognized() -> Self {
        Self::new(1, 1, 3)
    }

    /// (1, 1, 7) the called AE title is not ours.
    pub const fn called_ae_not_recognized() -> Self {
        Self::new(1, 1, 7)
    }

    /// (1, 2, 2) bit 0 of the protocol version is clear.
    pub const fn protocol_version_not_supported() -> Self {
        Self::new(1, 2, 2)
    }

    /// (2, 2, 1) transient, ACSE, no reason: the user identity was not accepted. This is
    /// what pynetdicom sends; the standard has no reason code for identity failures.
    pub const fn user_identity_rejected() -> Self {
        Self::new(2, 2, 1)
    }

    /// (2, 3, 1) transient, presentation, temporary congestion.
    pub const fn temporary_congestion() -> Self {
        Self::new(2, 3, 1)
    }

    /// (2, 3, 2) transient, presentation, local limit exceeded (too many associations).
    pub const fn local_limit_exceeded() -> Self {
        Self::new(2, 3, 2)
    }

    /// The A-ASSOCIATE-RJ PDU carrying this rejection.
    pub fn to_pdu(self) -> AssociateRj {
        AssociateRj {
            reserved_6: 0,
            result: self.result,
            source: self.source,
            reason: self.reason,
        }
    }

    /// The rejection a received A-ASSOCIATE-RJ carries.
    pub fn from_pdu(rj: &AssociateRj) -> Self {
        Self::new(rj.result, rj.source, rj.reason)
    }

    /// "Rejected (Permanent)", "Rejected (Transient)" or "Unknown".
    pub fn result_str(self) -> &'static str {
        match self.result {
            1 => "Rejected (Permanent)",
            2 => "Rejected (Transient)",
            _ => "Unknown",
        }
    }

    /// "Service User", "Service Provider (ACSE)", "Service Provider (Presentation)".
    pub fn source_str(self) -> &'static str {
        match self.source {
            1 => "Service User",
            2 => "Service Provider (ACSE)",
            3 => "Service Provider (Presentation)",
            _ => "Unknown",
        }
    }

    /// The reason in words, read according to the source.
    pub fn reason_str(self) -> &'static str {
        match (self.source, self.reason) {
            (1, 1) | (2, 1) => "No reason given",
            (1, 2) => "Application context name not supported",
            (1, 3) => "Calling AE title not recognised",
            (1, 4..=6) | (1, 8..=10) | (3, 0) | (3, 3..=7) => "Reserved",
            (1, 7) => "Called AE title not recognised",
            (2, 2) => "Protocol version not supported",
            (3, 1) => "Temporary congestion",
            (3, 2) => "Local limit exceeded",
            _ => "Unknown",
        }
    }

    /// "Result: Rejected (Permanent), Source: Service User, Reason: Called AE title not
    /// recognised", the three lines pynetdicom logs, on one line.
    pub fn describe(self) -> String {
        format!(
            "Result: {}, Source: {}, Reason: {}",
            self.result_str(),
            self.source_str(),
            self.reason_str()
        )
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}
