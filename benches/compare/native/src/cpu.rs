//! CPU time of a process (all threads), from /proc/<pid>/stat.

/// User + system CPU seconds used so far by this process, or 0 if /proc is unreadable.
pub fn process_seconds() -> f64 {
    seconds_from("/proc/self/stat")
}

/// The same for another process (the server under test), or 0 if it cannot be read.
pub fn pid_seconds(pid: u32) -> f64 {
    seconds_from(&format!("/proc/{pid}/stat"))
}

fn seconds_from(path: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(path) else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // `rest` starts at field 3 (state), so field n is at index n - 3.
    (ticks(11) + ticks(12)) / clock_ticks_per_second()
}

fn clock_ticks_per_second() -> f64 {
    // CLK_TCK is 100 on every Linux ABI fastdimse targets.
    100.0
}
