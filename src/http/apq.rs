//! Automatic persisted queries (the Apollo APQ protocol): a client sends the SHA-256 hash of a
//! query instead of the query; a hash this replica has not seen yet gets
//! `PERSISTED_QUERY_NOT_FOUND`, and the client sends the query with its hash once to register it.
//! Each replica keeps its own bounded cache; a replica that misses simply asks for the query again.

use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// How many queries a replica remembers.
const CAPACITY: usize = 10_000;

/// The registered queries of this replica, oldest evicted first.
#[derive(Default, Clone)]
pub struct PersistedQueries {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    by_hash: HashMap<String, Arc<str>>,
    order: VecDeque<String>,
}

/// What a request's `extensions.persistedQuery` asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// No persisted query: the request carries its query.
    None,
    /// The query to run.
    Found(Arc<str>),
    /// The hash is unknown here; the client must send the query with it.
    NotFound,
    /// The query sent does not have the hash sent.
    Mismatch,
    /// The extension is malformed or of an unknown version.
    Unsupported,
}

/// The SHA-256 of a query, in lower-case hex.
pub fn hash(query: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(query.as_ref()))
}

impl PersistedQueries {
    /// Resolves the query of a request from its query and `persistedQuery` extension, and
    /// registers a query sent with its hash.
    pub fn resolve(&self, query: Option<&str>, extension: Option<&serde_json::Value>) -> Lookup {
        let Some(ext) = extension else {
            return Lookup::None;
        };
        let version = ext.get("version").and_then(serde_json::Value::as_i64);
        let Some(sha) = ext.get("sha256Hash").and_then(serde_json::Value::as_str) else {
            return Lookup::Unsupported;
        };
        if version != Some(1) {
            return Lookup::Unsupported;
        }
        let sha = sha.to_ascii_lowercase();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match query {
            Some(q) if hash(q) != sha => Lookup::Mismatch,
            Some(q) => {
                if !inner.by_hash.contains_key(&sha) {
                    if inner.order.len() >= CAPACITY
                        && let Some(old) = inner.order.pop_front()
                    {
                        inner.by_hash.remove(&old);
                    }
                    inner.order.push_back(sha.clone());
                    inner.by_hash.insert(sha, Arc::from(q));
                }
                Lookup::Found(Arc::from(q))
            }
            None => match inner.by_hash.get(&sha) {
                Some(q) => Lookup::Found(q.clone()),
                None => Lookup::NotFound,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_hash_is_known_once_its_query_was_sent() {
        let pq = PersistedQueries::default();
        let q = "{ clusters { totalCount } }";
        let ext = json!({ "version": 1, "sha256Hash": hash(q) });
        assert_eq!(pq.resolve(None, Some(&ext)), Lookup::NotFound);
        assert_eq!(pq.resolve(Some(q), Some(&ext)), Lookup::Found(Arc::from(q)));
        assert_eq!(pq.resolve(None, Some(&ext)), Lookup::Found(Arc::from(q)));
        assert_eq!(pq.resolve(Some("{ other }"), Some(&ext)), Lookup::Mismatch);
        assert_eq!(
            pq.resolve(None, Some(&json!({ "version": 2, "sha256Hash": "x" }))),
            Lookup::Unsupported
        );
    }
}
