//! Writing TLS secrets in the NSS key log format, for Wireshark: what Python does for
//! `SSLContext.keylog_filename` (which `ssl.create_default_context` sets from `SSLKEYLOGFILE`).

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use rustls::KeyLog;

use super::error::TlsError;

/// Appends one line per secret to a file opened when the configuration is built.
#[derive(Debug)]
pub(crate) struct FileKeyLog {
    file: Mutex<File>,
}

impl FileKeyLog {
    pub(crate) fn open(path: &Path) -> Result<Self, TlsError> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| {
                TlsError::Config(format!(
                    "cannot open the TLS key log file '{}': {e}",
                    path.display()
                ))
            })?;
        Ok(FileKeyLog {
            file: Mutex::new(file),
        })
    }
}

impl KeyLog for FileKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let mut line =
            String::with_capacity(label.len() + 2 * (client_random.len() + secret.len()) + 3);
        line.push_str(label);
        line.push(' ');
        for b in client_random {
            let _ = write!(line, "{b:02x}");
        }
        line.push(' ');
        for b in secret {
            let _ = write!(line, "{b:02x}");
        }
        line.push('\n');
        if let Ok(mut file) = self.file.lock() {
            // A failed write loses a debugging aid, never the connection.
            let _ = file.write_all(line.as_bytes());
        }
    }
}
