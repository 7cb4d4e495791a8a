//! Background jobs that must run on one replica at a time.
//!
//! Several `keygate` replicas may share one database. Periodic jobs — rotation schedules,
//! alert evaluation and delivery, audit pruning — each hold a lease row: a replica runs a
//! job's tick only while it holds (or has just taken or renewed) that job's lease. The holder
//! renews it every tick; if it stops, another replica takes over once the lease expires.

mod lease;

pub use lease::{Lease, release, try_acquire};
