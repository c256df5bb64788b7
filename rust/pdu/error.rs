//! (stub; filled in by the pdu owner)
