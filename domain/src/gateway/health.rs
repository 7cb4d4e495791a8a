//! What this replica knows about each provider key's recent behaviour: cooling down after a
//! 429/5xx, how often it was used in the current minute (for least-used balancing), and the
//! smooth weighted round-robin state. In memory: losing it on restart only resets balancing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A key's health as shown to users.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthState {
    Healthy,
    CoolingDown,
    Quarantined,
}

impl HealthState {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Healthy => "healthy",
            HealthState::CoolingDown => "cooling_down",
            HealthState::Quarantined => "quarantined",
        }
    }
}

/// Usage windows for least-used balancing are this long.
const WINDOW: Duration = Duration::from_secs(60);
/// The longest cooldown honoured from a `Retry-After` header.
pub const MAX_COOLDOWN: Duration = Duration::from_secs(300);

#[derive(Default)]
struct Entry {
    cooldown_until: Option<Instant>,
    window_start: Option<Instant>,
    window_uses: u64,
    /// Smooth weighted round-robin: the key's running score.
    current_weight: i64,
}

#[derive(Default)]
pub struct KeyHealth {
    entries: Mutex<HashMap<i32, Entry>>,
}

impl std::fmt::Debug for KeyHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHealth")
    }
}

/// How to spread requests over a project's keys for one provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    LeastUsed,
    Weighted,
}

impl Strategy {
    /// Every strategy's stored id: least-used first (the default).
    pub const IDS: [&'static str; 2] = ["least_used", "weighted"];

    /// A stored id; `None` for anything else.
    pub fn from_id(raw: &str) -> Option<Self> {
        match raw {
            "least_used" => Some(Strategy::LeastUsed),
            "weighted" => Some(Strategy::Weighted),
            _ => None,
        }
    }

    /// The stored id.
    pub fn id(self) -> &'static str {
        match self {
            Strategy::LeastUsed => "least_used",
            Strategy::Weighted => "weighted",
        }
    }

    /// A stored id, falling back to least-used for anything unknown.
    pub fn parse(raw: &str) -> Self {
        if raw == "weighted" {
            Strategy::Weighted
        } else {
            Strategy::LeastUsed
        }
    }
}

impl KeyHealth {
    pub fn is_cooling_down(&self, key_id: i32) -> bool {
        let now = Instant::now();
        self.entries
            .lock()
            .map(|map| {
                map.get(&key_id)
                    .and_then(|e| e.cooldown_until)
                    .is_some_and(|until| until > now)
            })
            .unwrap_or(false)
    }

    pub fn cool_down(&self, key_id: i32, duration: Duration) {
        if let Ok(mut map) = self.entries.lock() {
            let until = Instant::now() + duration.min(MAX_COOLDOWN);
            let entry = map.entry(key_id).or_default();
            entry.cooldown_until = Some(entry.cooldown_until.map_or(until, |u| u.max(until)));
        }
    }

    pub fn record_use(&self, key_id: i32) {
        if let Ok(mut map) = self.entries.lock() {
            let now = Instant::now();
            let entry = map.entry(key_id).or_default();
            if entry
                .window_start
                .is_none_or(|start| now.duration_since(start) >= WINDOW)
            {
                entry.window_start = Some(now);
                entry.window_uses = 0;
            }
            entry.window_uses += 1;
        }
    }

    fn uses(entry: Option<&Entry>, now: Instant) -> u64 {
        entry
            .filter(|e| {
                e.window_start
                    .is_some_and(|s| now.duration_since(s) < WINDOW)
            })
            .map_or(0, |e| e.window_uses)
    }

    /// Orders `(key id, weight)` for one request: keys not cooling down first, by the
    /// strategy; cooling keys last (tried only if everything else failed). Returns indexes.
    pub fn order(&self, keys: &[(i32, i32)], strategy: Strategy) -> Vec<usize> {
        let now = Instant::now();
        let Ok(mut map) = self.entries.lock() else {
            return (0..keys.len()).collect();
        };
        let cooling = |map: &HashMap<i32, Entry>, id: i32| {
            map.get(&id)
                .and_then(|e| e.cooldown_until)
                .is_some_and(|until| until > now)
        };
        let mut ready: Vec<usize> = (0..keys.len())
            .filter(|&i| !cooling(&map, keys[i].0))
            .collect();
        let mut later: Vec<usize> = (0..keys.len())
            .filter(|&i| cooling(&map, keys[i].0))
            .collect();
        // Least used first; ties keep the listed order (stable sort).
        ready.sort_by_key(|&i| Self::uses(map.get(&keys[i].0), now));
        if strategy == Strategy::Weighted && !ready.is_empty() {
            // Smooth weighted round-robin (as in nginx): every ready key gains its weight, the
            // highest score goes first and pays back the total.
            let total: i64 = ready.iter().map(|&i| i64::from(keys[i].1.max(1))).sum();
            let mut best = ready[0];
            let mut best_score = i64::MIN;
            for &i in &ready {
                let entry = map.entry(keys[i].0).or_default();
                entry.current_weight += i64::from(keys[i].1.max(1));
                if entry.current_weight > best_score {
                    best_score = entry.current_weight;
                    best = i;
                }
            }
            map.entry(keys[best].0).or_default().current_weight -= total;
            ready.retain(|&i| i != best);
            ready.insert(0, best);
        }
        later.sort_by_key(|&i| {
            map.get(&keys[i].0)
                .and_then(|e| e.cooldown_until)
                .unwrap_or(now)
        });
        ready.extend(later);
        ready
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn least_used_first_and_cooling_keys_last() {
        let health = KeyHealth::default();
        let keys = [(1, 1), (2, 1), (3, 1)];
        health.record_use(1);
        health.record_use(1);
        health.record_use(2);
        assert_eq!(health.order(&keys, Strategy::LeastUsed), vec![2, 1, 0]);
        health.cool_down(3, Duration::from_secs(30));
        assert!(health.is_cooling_down(3));
        assert_eq!(health.order(&keys, Strategy::LeastUsed), vec![1, 0, 2]);
    }

    #[test]
    fn weighted_round_robin_follows_weights() {
        let health = KeyHealth::default();
        let keys = [(10, 3), (20, 1)];
        let mut firsts = HashMap::new();
        for _ in 0..40 {
            let order = health.order(&keys, Strategy::Weighted);
            *firsts.entry(keys[order[0]].0).or_insert(0) += 1;
        }
        assert_eq!(firsts[&10], 30);
        assert_eq!(firsts[&20], 10);
    }

    #[test]
    fn cooldowns_are_capped() {
        let health = KeyHealth::default();
        health.cool_down(1, Duration::from_secs(10_000));
        let map = health.entries.lock().unwrap();
        let until = map[&1].cooldown_until.unwrap();
        assert!(until <= Instant::now() + MAX_COOLDOWN);
    }
}
