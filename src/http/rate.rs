//! Rate limits as a budget of query cost over time, per API key and, for requests without a key,
//! per client address. A budget refills evenly over its window; a request that costs more than
//! what is left gets `429` with `Retry-After`. Client addresses come from `X-Forwarded-For` only
//! when the connection comes from a configured trusted proxy, so a spoofed header cannot open a
//! fresh budget. Each replica keeps its own budgets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A budget: this much cost per window.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Cost points per window.
    pub capacity: u64,
    /// The window over which a spent budget refills.
    pub window: Duration,
}

/// A proxy address or IPv4 network (`10.0.0.0/8`) whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trusted {
    net: IpAddr,
    prefix: u8,
}

impl Trusted {
    /// Reads `1.2.3.4`, `::1` or `10.0.0.0/8`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (ip, prefix) = match text.trim().split_once('/') {
            Some((ip, p)) => (
                ip,
                p.parse::<u8>()
                    .map_err(|_| format!("bad prefix in `{text}`"))?,
            ),
            None => (text.trim(), 128),
        };
        let net: IpAddr = ip
            .parse()
            .map_err(|_| format!("`{text}` is not an address or network"))?;
        Ok(Self { net, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let bits = u32::from(self.prefix.min(32));
                let mask = if bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - bits)
                };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (n, a) => n == a,
        }
    }
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The outcome of taking from a budget.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    /// Allowed; this much is left.
    Allowed {
        /// The budget.
        limit: u64,
        /// What is left of it.
        remaining: u64,
    },
    /// Refused; try again after this many seconds.
    Refused {
        /// The budget.
        limit: u64,
        /// Seconds until the cost is available.
        retry_after: u64,
    },
}

/// The budgets of this replica.
#[derive(Clone)]
pub struct RateLimiter {
    anonymous: Budget,
    keyed: Budget,
    trusted: Arc<Vec<Trusted>>,
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

impl RateLimiter {
    /// Budgets for anonymous addresses and for keys, with the trusted proxies.
    pub fn new(anonymous: Budget, keyed: Budget, trusted: Vec<Trusted>) -> Self {
        Self {
            anonymous,
            keyed,
            trusted: Arc::new(trusted),
            buckets: Arc::default(),
        }
    }

    /// The client's address: the peer's, or, behind a trusted proxy, the last address in
    /// `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusted.iter().any(|t| t.contains(peer)) {
            return peer;
        }
        let Some(chain) = forwarded_for else {
            return peer;
        };
        chain
            .split(',')
            .rev()
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .find(|a| !self.trusted.iter().any(|t| t.contains(*a)))
            .unwrap_or(peer)
    }

    /// Takes `cost` from the budget of `who` (`key:<id>` or `ip:<address>`).
    pub fn take(&self, who: &str, keyed: bool, cost: u64) -> Taken {
        let budget = if keyed { self.keyed } else { self.anonymous };
        let capacity = budget.capacity.max(1) as f64;
        let rate = capacity / budget.window.as_secs_f64().max(0.001);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            buckets
                .retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < capacity);
        }
        let b = buckets.entry(who.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(capacity);
        b.at = now;
        let cost = cost.max(1) as f64;
        if b.tokens >= cost {
            b.tokens -= cost;
            Taken::Allowed {
                limit: budget.capacity,
                remaining: b.tokens as u64,
            }
        } else {
            Taken::Refused {
                limit: budget.capacity,
                retry_after: ((cost - b.tokens) / rate).ceil().max(1.0) as u64,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(trusted: &[&str]) -> RateLimiter {
        RateLimiter::new(
            Budget {
                capacity: 100,
                window: Duration::from_secs(60),
            },
            Budget {
                capacity: 1000,
                window: Duration::from_secs(60),
            },
            trusted
                .iter()
                .map(|t| Trusted::parse(t).expect("trusted"))
                .collect(),
        )
    }

    #[test]
    fn a_budget_is_spent_by_cost() {
        let l = limiter(&[]);
        assert!(matches!(
            l.take("ip:1", false, 60),
            Taken::Allowed { remaining: 40, .. }
        ));
        assert!(matches!(l.take("ip:1", false, 60), Taken::Refused { .. }));
        assert!(matches!(l.take("ip:2", false, 60), Taken::Allowed { .. }));
        assert!(matches!(l.take("key:a", true, 600), Taken::Allowed { .. }));
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let peer: IpAddr = "10.1.2.3".parse().expect("ip");
        let spoof = Some("203.0.113.7");
        assert_eq!(limiter(&[]).client(peer, spoof), peer);
        let behind = limiter(&["10.0.0.0/8"]);
        assert_eq!(
            behind.client(peer, spoof),
            "203.0.113.7".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(
            behind.client(peer, Some("198.51.100.1, 203.0.113.7, 10.0.0.9")),
            "203.0.113.7".parse::<IpAddr>().expect("ip")
        );
    }
}
