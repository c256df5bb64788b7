//! The result line: one JSON object on stdout, read by benches/compare/run.py.

use std::fmt::Write;

/// A flat JSON object built field by field.
#[derive(Default)]
pub struct Report {
    body: String,
}

impl Report {
    pub fn new() -> Self {
        Self::default()
    }

    fn key(&mut self, key: &str) {
        if !self.body.is_empty() {
            self.body.push_str(", ");
        }
        let _ = write!(self.body, "\"{key}\": ");
    }

    pub fn num(mut self, key: &str, value: f64) -> Self {
        self.key(key);
        if value.is_finite() {
            let _ = write!(self.body, "{value}");
        } else {
            self.body.push_str("null");
        }
        self
    }

    /// `key` only when there is a value (a field the runner reads when present).
    pub fn num_if(self, key: &str, value: Option<f64>) -> Self {
        match value {
            Some(v) => self.num(key, v),
            None => self,
        }
    }

    pub fn int(mut self, key: &str, value: u64) -> Self {
        self.key(key);
        let _ = write!(self.body, "{value}");
        self
    }

    pub fn text(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        self.body.push('"');
        for c in value.chars() {
            match c {
                '"' => self.body.push_str("\\\""),
                '\\' => self.body.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.body, "\\u{:04x}", c as u32);
                }
                c => self.body.push(c),
            }
        }
        self.body.push('"');
        self
    }

    /// Prints the object as one line and flushes.
    pub fn print(self) {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{{{}}}", self.body);
        let _ = out.flush();
    }
}
