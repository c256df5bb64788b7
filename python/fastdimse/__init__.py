"""fastdimse: DICOM Verification (C-ECHO) networking, pynetdicom's API on a Rust core."""

__version__ = "0.1.0"
