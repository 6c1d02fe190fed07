//! Answers list each object's fields in the order the query selects them.
//!
//! The executor resolves an object's fields concurrently and collects them as they finish, so a
//! field that needs no statement (`__typename`, a column of a row at hand) could come before one
//! asked for earlier. The GraphQL specification asks for the query's order, and equal queries
//! should get byte-equal answers, which caches and body hashes rely on. [`Shape`] holds the
//! order a query asks for, built once per request from the parsed document, and puts an answer
//! back into it.

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Value};

/// Deeper selections than this are left in the order they were resolved in. The query limits
/// refuse documents nested anywhere near this deep before they run.
const MAX_DEPTH: usize = 64;

/// The fields a query selects on an object, by response key (alias or name), in the order of
/// their first appearance with fragments expanded in place, each with what it selects below.
/// A leaf has no fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    fields: Vec<(Name, Shape)>,
}

impl Shape {
    /// The shape of an operation's answer. Only for documents the query limits accepted: they
    /// refuse fragment cycles and bound how far fragments expand.
    pub fn of(doc: &ExecutableDocument, operation: &OperationDefinition) -> Self {
        Self::collect(doc, &[&operation.selection_set.node], 0)
    }

    /// One object's fields, merged over every selection set that applies to it: a response key
    /// selected twice (directly and in a fragment, say) is one field whose selections below
    /// are merged too.
    fn collect(doc: &ExecutableDocument, sets: &[&SelectionSet], depth: usize) -> Self {
        if depth > MAX_DEPTH {
            return Self::default();
        }
        let mut keys: Vec<(Name, Vec<&SelectionSet>)> = Vec::new();
        for set in sets {
            gather(doc, set, &mut keys, depth);
        }
        Self {
            fields: keys
                .into_iter()
                .map(|(key, below)| (key, Self::collect(doc, &below, depth + 1)))
                .collect(),
        }
    }

    /// Where a response key comes in this shape; keys the shape does not know go last.
    fn position(&self, key: &str) -> usize {
        self.fields
            .iter()
            .position(|(k, _)| k.as_str() == key)
            .unwrap_or(usize::MAX)
    }

    /// The fields of this shape that an object's keys, taken in turn, are: each key is looked
    /// for after the one before it, so an object in order costs one pass over the shape. `None`
    /// for a key not found there (out of order, or unknown).
    fn walk<'k>(&self, keys: impl Iterator<Item = &'k Name>) -> Vec<Option<&Shape>> {
        let mut next = 0;
        keys.map(|key| {
            let at = self.fields[next..].iter().position(|(k, _)| k == key)?;
            next += at + 1;
            Some(&self.fields[next - 1].1)
        })
        .collect()
    }

    /// Puts `value`, an answer to this shape, into the query's order, at every level. Objects
    /// already in order (most of them) are left as they are.
    pub fn arrange(&self, value: &mut Value) {
        if self.fields.is_empty() {
            // A leaf: scalars, and objects inside JSON scalars, keep their own order.
            return;
        }
        match value {
            Value::List(items) => {
                for item in items {
                    self.arrange(item);
                }
            }
            Value::Object(map) => {
                let mut below = self.walk(map.keys());
                if below.iter().any(Option::is_none) {
                    map.sort_by_cached_key(|k, _| self.position(k));
                    below = self.walk(map.keys());
                }
                for (v, shape) in map.values_mut().zip(below) {
                    if let Some(shape) = shape {
                        shape.arrange(v);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Adds the fields of `set` to `keys` in order, expanding fragments in place.
fn gather<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    keys: &mut Vec<(Name, Vec<&'a SelectionSet>)>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let key = &field.node.response_key().node;
                let below = &field.node.selection_set.node;
                match keys.iter_mut().find(|(k, _)| k == key) {
                    Some((_, sets)) => sets.push(below),
                    None => keys.push((key.clone(), vec![below])),
                }
            }
            Selection::InlineFragment(f) => {
                gather(doc, &f.node.selection_set.node, keys, depth + 1)
            }
            Selection::FragmentSpread(s) => {
                if let Some(def) = doc.fragments.get(&s.node.fragment_name.node) {
                    gather(doc, &def.node.selection_set.node, keys, depth + 1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::DocumentOperations;

    fn shape(query: &str) -> Shape {
        let doc = parse_query(query).expect("query parses");
        let op = match &doc.operations {
            DocumentOperations::Single(op) => op.node.clone(),
            DocumentOperations::Multiple(ops) => {
                ops.values().next().expect("an operation").node.clone()
            }
        };
        Shape::of(&doc, &op)
    }

    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(map) => map.keys().map(|k| k.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn fields_come_back_in_the_order_asked_for_at_every_level() {
        let s = shape("{ b: clusters { nodes { name slug } } a: __typename }");
        let mut v = async_graphql::value!({
            "a": "Query",
            "b": { "nodes": [ { "slug": "x", "name": "X" }, { "name": "Y", "slug": "y" } ] }
        });
        s.arrange(&mut v);
        assert_eq!(keys(&v), ["b", "a"]);
        let Value::Object(root) = &v else {
            panic!("an object")
        };
        let Some(Value::Object(b)) = root.get("b") else {
            panic!("b is an object")
        };
        let Some(Value::List(nodes)) = b.get("nodes") else {
            panic!("nodes is a list")
        };
        for node in nodes {
            assert_eq!(keys(node), ["name", "slug"]);
        }
    }

    #[test]
    fn fragments_expand_in_place_and_repeated_keys_merge() {
        let s = shape(
            "query Q { x ...F ... on Query { y } x { q } } fragment F on Query { z x { p } }",
        );
        assert_eq!(
            s.fields.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["x", "z", "y"]
        );
        let x = &s.fields[0].1;
        assert_eq!(
            x.fields.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["p", "q"]
        );
    }

    #[test]
    fn leaves_and_unknown_keys_are_left_alone() {
        let s = shape("{ meta b }");
        let mut v = async_graphql::value!({ "extra": 1, "b": 2, "meta": { "z": 1, "a": 2 } });
        s.arrange(&mut v);
        assert_eq!(keys(&v), ["meta", "b", "extra"]);
        let Value::Object(root) = &v else {
            panic!("an object")
        };
        assert_eq!(keys(root.get("meta").expect("meta")), ["z", "a"]);
    }
}
