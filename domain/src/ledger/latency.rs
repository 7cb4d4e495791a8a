//! The latency histogram kept in each rollup row, and percentiles read back from it.
//!
//! Dashboards show p50/p95 over any range without touching the ledger: every rollup row
//! counts its requests per latency bucket, sums of rows are sums of buckets, and a
//! percentile is interpolated inside the bucket that holds it.

/// Upper bounds (inclusive, milliseconds) of the first eleven buckets; the twelfth is
/// everything slower.
pub const BOUNDS_MS: [u32; 11] = [
    25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
];

/// Number of buckets (the bounds plus the open-ended last one).
pub const BUCKETS: usize = BOUNDS_MS.len() + 1;

/// Counts of requests per bucket.
pub type Histogram = [i64; BUCKETS];

/// The bucket a request of `ms` milliseconds falls in.
pub fn bucket_of(ms: u32) -> usize {
    BOUNDS_MS
        .iter()
        .position(|bound| ms <= *bound)
        .unwrap_or(BOUNDS_MS.len())
}

/// The `q`-quantile (0 < q ≤ 1) in milliseconds, linearly interpolated inside its bucket;
/// `None` when the histogram is empty. The open-ended bucket reports its lower bound.
pub fn percentile(histogram: &Histogram, q: f64) -> Option<f64> {
    let total: i64 = histogram.iter().sum();
    if total <= 0 {
        return None;
    }
    let rank = (q.clamp(0.0, 1.0) * total as f64).max(1.0);
    let mut seen = 0_i64;
    for (i, count) in histogram.iter().enumerate() {
        if *count <= 0 {
            continue;
        }
        let before = seen as f64;
        seen += count;
        if seen as f64 >= rank {
            let lower = if i == 0 {
                0.0
            } else {
                f64::from(BOUNDS_MS[i - 1])
            };
            let Some(upper) = BOUNDS_MS.get(i).map(|b| f64::from(*b)) else {
                return Some(lower);
            };
            let within = (rank - before) / *count as f64;
            return Some(lower + (upper - lower) * within);
        }
    }
    Some(f64::from(BOUNDS_MS[BOUNDS_MS.len() - 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_inclusive_upper_bounds() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(25), 0);
        assert_eq!(bucket_of(26), 1);
        assert_eq!(bucket_of(1_000), 5);
        assert_eq!(bucket_of(60_000), 10);
        assert_eq!(bucket_of(60_001), 11);
        assert_eq!(bucket_of(u32::MAX), 11);
    }

    #[test]
    fn percentiles_interpolate_within_the_bucket() {
        let mut h: Histogram = [0; BUCKETS];
        assert_eq!(percentile(&h, 0.5), None);
        // 100 requests, all between 100 and 250 ms.
        h[3] = 100;
        let p50 = percentile(&h, 0.5).unwrap_or_default();
        assert!((p50 - 175.0).abs() < 0.01, "p50 {p50}");
        let p95 = percentile(&h, 0.95).unwrap_or_default();
        assert!((p95 - 242.5).abs() < 0.01, "p95 {p95}");
        // 90 fast and 10 very slow: p50 stays fast, p95 lands in the slow bucket.
        let mut h: Histogram = [0; BUCKETS];
        h[0] = 90;
        h[11] = 10;
        assert!(percentile(&h, 0.5).unwrap_or_default() <= 25.0);
        assert_eq!(percentile(&h, 0.95), Some(60_000.0));
    }
}
