//! What a query may ask for, judged from the document before anything runs. The cost of a query
//! counts the rows it can return, as GitHub's node limit does: every connection (a field selecting
//! `edges`, `nodes`, `pageInfo` or `totalCount`) asks for `first` or `last` rows (20 when neither
//! is given) under each row of the connections above it. Depth, aliases, root fields and
//! directives are capped too, and fragment cycles are refused without expanding them forever.

use async_graphql::Name;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql_value::Value as GqlValue;
use serde_json::{Map, Value};

/// The limits, all configurable on the command line.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most rows a query may ask for.
    pub max_cost: u64,
    /// Deepest nesting of fields.
    pub max_depth: usize,
    /// Most aliased fields.
    pub max_aliases: usize,
    /// Most fields at the root.
    pub max_root_fields: usize,
    /// Most directives in the document.
    pub max_directives: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_cost: 50_000,
            max_depth: 12,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 50,
        }
    }
}

/// Fields visited at most while expanding fragments; larger documents are refused as a whole.
const MAX_VISITS: usize = 20_000;
/// Rows a connection gives without `first` or `last`.
const DEFAULT_PAGE: u64 = 20;
/// Fields that score hundreds of candidates for the one object they are asked on: allowed only
/// where at most one such object can come back, never across a page of them.
const PER_OBJECT: [&str; 2] = ["matches", "counterparts"];

/// Why a query is refused, with a stable code and a message that says what to change.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The error code.
    pub code: &'static str,
    /// What is wrong and what to do.
    pub message: String,
    /// The query's cost, when known.
    pub cost: Option<u64>,
}

/// What a query asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Rows it can return.
    pub cost: u64,
    /// Deepest nesting.
    pub depth: usize,
    /// Aliased fields.
    pub aliases: usize,
    /// Fields at the root.
    pub root_fields: usize,
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    variables: &'a Map<String, Value>,
    stack: Vec<Name>,
    visits: usize,
    analysis: Analysis,
}

fn count_directives(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => {
                f.node.directives.len() + count_directives(&f.node.selection_set.node)
            }
            Selection::FragmentSpread(f) => f.node.directives.len(),
            Selection::InlineFragment(f) => {
                f.node.directives.len() + count_directives(&f.node.selection_set.node)
            }
        })
        .sum()
}

impl Walk<'_> {
    fn page_size(&self, field: &async_graphql::parser::types::Field) -> Option<u64> {
        for (name, value) in &field.arguments {
            if name.node.as_str() == "first" || name.node.as_str() == "last" {
                let n = match &value.node {
                    GqlValue::Number(n) => n.as_u64(),
                    GqlValue::Variable(v) => self.variables.get(v.as_str()).and_then(Value::as_u64),
                    _ => None,
                };
                if let Some(n) = n {
                    return Some(n);
                }
            }
        }
        None
    }

    /// Whether a selection reads a connection's rows.
    fn is_connection(&self, set: &SelectionSet) -> bool {
        set.items.iter().any(|s| match &s.node {
            Selection::Field(f) => matches!(
                f.node.name.node.as_str(),
                "edges" | "nodes" | "pageInfo" | "totalCount"
            ),
            Selection::InlineFragment(f) => self.is_connection(&f.node.selection_set.node),
            Selection::FragmentSpread(f) => self
                .doc
                .fragments
                .get(&f.node.fragment_name.node)
                .is_some_and(|d| self.is_connection(&d.node.selection_set.node)),
        })
    }

    fn set(
        &mut self,
        set: &Positioned<SelectionSet>,
        rows: u64,
        depth: usize,
    ) -> Result<(), Refusal> {
        for item in &set.node.items {
            self.visits += 1;
            if self.visits > MAX_VISITS {
                return Err(Refusal {
                    code: "QUERY_TOO_LARGE",
                    message: format!(
                        "the query expands to more than {MAX_VISITS} fields; send a smaller query"
                    ),
                    cost: None,
                });
            }
            match &item.node {
                Selection::Field(f) => {
                    let field = &f.node;
                    if field.name.node.starts_with("__") {
                        continue;
                    }
                    if field.alias.is_some() {
                        self.analysis.aliases += 1;
                    }
                    if depth == 1 {
                        self.analysis.root_fields += 1;
                    }
                    self.analysis.depth = self.analysis.depth.max(depth);
                    let name = field.name.node.as_str();
                    if rows > 1 && PER_OBJECT.contains(&name) {
                        return Err(Refusal {
                            code: "QUERY_TOO_COSTLY",
                            message: format!(
                                "`{name}` is computed for one object at a time, and here it sits under a list of up to {rows}; ask for it on a single offer, need or organisation (for example through `node(id:)`)"
                            ),
                            cost: None,
                        });
                    }
                    let mut below = rows;
                    if self.is_connection(&field.selection_set.node) {
                        let n = self.page_size(field).unwrap_or(DEFAULT_PAGE);
                        below = rows.saturating_mul(n.max(1));
                        self.analysis.cost =
                            self.analysis.cost.saturating_add(rows.saturating_mul(n));
                    }
                    self.set(&field.selection_set, below, depth + 1)?;
                }
                Selection::InlineFragment(f) => self.set(&f.node.selection_set, rows, depth)?,
                Selection::FragmentSpread(f) => {
                    let name = &f.node.fragment_name.node;
                    if self.stack.contains(name) {
                        return Err(Refusal {
                            code: "GRAPHQL_VALIDATION_FAILED",
                            message: format!("fragment `{name}` spreads itself; remove the cycle"),
                            cost: None,
                        });
                    }
                    let Some(def) = self.doc.fragments.get(name) else {
                        continue;
                    };
                    self.stack.push(name.clone());
                    self.set(&def.node.selection_set, rows, depth)?;
                    self.stack.pop();
                }
            }
        }
        Ok(())
    }
}

/// The operation a request runs.
pub fn operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n).map(|o| &o.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|o| &o.node)
        }
        _ => None,
    }
}

/// Judges a parsed document against the limits.
pub fn analyse(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Map<String, Value>,
    limits: &Limits,
) -> Result<Analysis, Refusal> {
    let directives: usize = doc
        .operations
        .iter()
        .map(|(_, op)| op.node.directives.len() + count_directives(&op.node.selection_set.node))
        .chain(
            doc.fragments
                .values()
                .map(|f| f.node.directives.len() + count_directives(&f.node.selection_set.node)),
        )
        .sum();
    if directives > limits.max_directives {
        return Err(Refusal {
            code: "TOO_MANY_DIRECTIVES",
            message: format!(
                "the query has {directives} directives; at most {} are allowed",
                limits.max_directives
            ),
            cost: None,
        });
    }
    let Some(op) = operation(doc, operation_name) else {
        // Execution reports unknown or ambiguous operations.
        return Ok(Analysis::default());
    };
    let mut walk = Walk {
        doc,
        variables,
        stack: Vec::new(),
        visits: 0,
        analysis: Analysis::default(),
    };
    walk.set(&op.selection_set, 1, 1)?;
    let a = walk.analysis;
    let refuse = |code, message: String| {
        Err(Refusal {
            code,
            message,
            cost: Some(a.cost),
        })
    };
    if a.depth > limits.max_depth {
        return refuse(
            "QUERY_TOO_DEEP",
            format!(
                "the query nests {} levels deep; at most {} are allowed",
                a.depth, limits.max_depth
            ),
        );
    }
    if a.aliases > limits.max_aliases {
        return refuse(
            "TOO_MANY_ALIASES",
            format!(
                "the query has {} aliases; at most {} are allowed",
                a.aliases, limits.max_aliases
            ),
        );
    }
    if a.root_fields > limits.max_root_fields {
        return refuse(
            "TOO_MANY_ROOT_FIELDS",
            format!(
                "the query asks for {} root fields; at most {} are allowed",
                a.root_fields, limits.max_root_fields
            ),
        );
    }
    if a.cost > limits.max_cost {
        return refuse(
            "QUERY_TOO_COSTLY",
            format!(
                "the query can return {} rows, over the limit of {}; ask for smaller pages (`first`) or fewer nested lists",
                a.cost, limits.max_cost
            ),
        );
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(q: &str) -> Result<Analysis, Refusal> {
        let doc = async_graphql::parser::parse_query(q).expect("parses");
        analyse(&doc, None, &Map::new(), &Limits::default())
    }

    #[test]
    fn matchmaking_is_asked_for_one_object_at_a_time() {
        let one = "{ node(id: \"x\") { ... on OfferNeed { matches(first: 10) { score } } } }";
        assert!(run(one).is_ok());
        let page = "{ offersAndNeeds(first: 5) { nodes { matches(first: 10) { score } } } }";
        let refused = run(page).expect_err("refused");
        assert_eq!(refused.code, "QUERY_TOO_COSTLY");
        assert!(refused.message.contains("`matches`"), "{}", refused.message);
        let orgs = "{ organisations(first: 2) { nodes { counterparts(first: 3) { score } } } }";
        assert!(run(orgs).is_err());
    }

    #[test]
    fn nested_connections_multiply() {
        let a = run("{ clusters(first: 100) { nodes { memberships(first: 10) { nodes { role } } themes { nodes { slug } } } } }")
            .expect("allowed");
        assert_eq!(a.cost, 100 + 100 * 10 + 100 * 20);
        assert_eq!(a.depth, 5);
    }

    #[test]
    fn cycles_and_floods_are_refused() {
        let cycle = run(
            "query { clusters { ...A } } fragment A on ClusterConnection { nodes { memberships { ...A } } }",
        );
        assert_eq!(
            cycle.err().map(|r| r.code),
            Some("GRAPHQL_VALIDATION_FAILED")
        );
        let aliases: String = (0..40).map(|i| format!("a{i}: __typename ")).collect();
        let q = format!("{{ clusters {{ nodes {{ {aliases} }} }} }}");
        assert!(run(&q).is_ok(), "__typename aliases are free");
        let aliases: String = (0..40).map(|i| format!("a{i}: name ")).collect();
        let q = format!("{{ clusters {{ nodes {{ {aliases} }} }} }}");
        assert_eq!(run(&q).err().map(|r| r.code), Some("TOO_MANY_ALIASES"));
        let directives = "@include(if: true) ".repeat(60);
        let q = format!("{{ clusters {{ totalCount {directives} }} }}");
        assert_eq!(run(&q).err().map(|r| r.code), Some("TOO_MANY_DIRECTIVES"));
    }
}
