//! What the load generator measures: CPU time and memory of a process from `/proc`,
//! latency percentiles, and errors by message.

use super::*;

/// utime + stime of `pid` in clock ticks.
pub(crate) fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its ')' are fixed.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A `VmRSS:`/`VmHWM:` style line of /proc/PID/status, in KiB.
pub(crate) fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

pub(crate) fn memory(pid: Option<u32>) -> Value {
    match pid {
        Some(pid) => json!({
            "rss_kib": status_kib(pid, "VmRSS:"),
            "hwm_kib": status_kib(pid, "VmHWM:"),
        }),
        None => Value::Null,
    }
}

/// CPU µs per request of `pid` between two readings.
pub(crate) fn cpu_report(
    common: &Common,
    before: Option<u64>,
    after: Option<u64>,
    requests: usize,
) -> Value {
    match (before, after) {
        (Some(before), Some(after)) if requests > 0 => {
            let ticks = after.saturating_sub(before);
            let us = ticks as f64 * 1e6 / common.clk_tck as f64;
            json!({
                "ticks": ticks,
                "clk_tck": common.clk_tck,
                "requests": requests,
                "cpu_ms": round1(us / 1000.0),
                "cpu_us_per_request": round1(us / requests as f64),
            })
        }
        _ => Value::Null,
    }
}

pub(crate) fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Nearest-rank percentiles in µs.
pub(crate) fn percentiles(samples: &mut [Duration]) -> Value {
    if samples.is_empty() {
        return Value::Null;
    }
    samples.sort_unstable();
    let pct = |p: f64| {
        let rank = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        round1(samples[rank - 1].as_secs_f64() * 1e6)
    };
    let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64;
    json!({
        "n": samples.len(),
        "min_us": pct(0.0),
        "p50_us": pct(0.50),
        "p90_us": pct(0.90),
        "p99_us": pct(0.99),
        "max_us": pct(1.0),
        "mean_us": round1(mean * 1e6),
    })
}

/// Counts errors by message (the first few distinct ones are reported).
#[derive(Default)]
pub(crate) struct Errors {
    pub(crate) count: usize,
    pub(crate) examples: Vec<String>,
}

impl Errors {
    pub(crate) fn add(&mut self, message: String) {
        self.count += 1;
        if self.examples.len() < 3 && !self.examples.contains(&message) {
            self.examples.push(message);
        }
    }
}
