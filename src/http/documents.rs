//! Parsed GraphQL documents, kept per replica: apps send the same few queries again and again,
//! and parsing a document cost more than copying a parsed one (docs/benchmarks.md).

use async_graphql::parser::types::ExecutableDocument;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many distinct documents are kept; when full, the cache starts over.
const CAPACITY: usize = 1024;

/// Longer documents are parsed every time rather than kept, so that the cache stays small
/// (at most `CAPACITY` × `MAX_KEPT_LEN` of text) whatever clients send.
const MAX_KEPT_LEN: usize = 8 * 1024;

/// Documents by their text.
#[derive(Clone, Default)]
pub struct Documents {
    parsed: Arc<Mutex<HashMap<Arc<str>, ExecutableDocument>>>,
}

impl Documents {
    /// The parsed document of `query`, or `None` when it does not parse (execution then reports
    /// the syntax error).
    pub fn parse(&self, query: &str) -> Option<ExecutableDocument> {
        if let Some(doc) = self.parsed.lock().ok()?.get(query) {
            return Some(doc.clone());
        }
        let doc = async_graphql::parser::parse_query(query).ok()?;
        if query.len() > MAX_KEPT_LEN {
            return Some(doc);
        }
        if let Ok(mut parsed) = self.parsed.lock() {
            if parsed.len() >= CAPACITY {
                parsed.clear();
            }
            parsed.insert(Arc::from(query), doc.clone());
        }
        Some(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_bad_ones_are_not_kept() {
        let docs = Documents::default();
        let first = docs.parse("{ clusters { totalCount } }");
        assert!(first.is_some());
        assert_eq!(docs.parsed.lock().map(|p| p.len()).unwrap_or(0), 1);
        assert!(docs.parse("{ clusters { totalCount } }").is_some());
        assert_eq!(docs.parsed.lock().map(|p| p.len()).unwrap_or(0), 1);
        assert!(docs.parse("{ clusters {").is_none());
        assert_eq!(docs.parsed.lock().map(|p| p.len()).unwrap_or(0), 1);
        let long = format!(
            "{{ clusters {{ totalCount }} }}{}",
            " ".repeat(MAX_KEPT_LEN)
        );
        assert!(docs.parse(&long).is_some());
        assert_eq!(docs.parsed.lock().map(|p| p.len()).unwrap_or(0), 1);
    }
}
