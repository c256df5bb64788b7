//! Well-known UIDs used by the Verification service.

/// DICOM Application Context Name.
pub const APPLICATION_CONTEXT: &str = "1.2.840.10008.3.1.1.1";
/// Verification SOP Class.
pub const VERIFICATION: &str = "1.2.840.10008.1.1";
/// Implicit VR Little Endian (the default transfer syntax).
pub const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
/// Deflated Explicit VR Little Endian.
pub const DEFLATED_EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1.99";
/// Explicit VR Big Endian (retired).
pub const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";

/// fastdimse's implementation class UID: a 2.25 UUID-derived root, fixed per major version.
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.264800380949601263253477927315190153446";
/// fastdimse's implementation version name (at most 16 characters).
pub const IMPLEMENTATION_VERSION_NAME: &str = "FASTDIMSE_010";

/// Strips the trailing NUL and space padding that some peers add to UIDs and AE titles.
pub fn trim_padding(value: &[u8]) -> &[u8] {
    let mut end = value.len();
    while end > 0 && (value[end - 1] == 0 || value[end - 1] == b' ') {
        end -= 1;
    }
    &value[..end]
}
