//! `--key value` command-line options, parsed without dependencies.

use std::collections::HashMap;
use std::str::FromStr;

/// The options of one invocation: the first free word is the mode, the rest are `--key value`.
pub struct Args {
    pub mode: String,
    opts: HashMap<String, String>,
}

impl Args {
    /// Parses `std::env::args()`; exits with a message on a malformed line.
    pub fn parse() -> Self {
        let mut mode = String::new();
        let mut opts = HashMap::new();
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            if let Some(key) = a.strip_prefix("--") {
                let Some(value) = it.next() else {
                    eprintln!("option --{key} needs a value");
                    std::process::exit(2);
                };
                opts.insert(key.to_owned(), value);
            } else if mode.is_empty() {
                mode = a;
            } else {
                eprintln!("unexpected argument {a}");
                std::process::exit(2);
            }
        }
        Args { mode, opts }
    }

    /// The value of `--key`, or `default` when absent; exits if it does not parse.
    pub fn get<T: FromStr>(&self, key: &str, default: T) -> T {
        match self.opts.get(key) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                eprintln!("bad value for --{key}: {v}");
                std::process::exit(2);
            }),
        }
    }
}
