//! The change feed in GraphQL: `changes(after:)` lists what changed after a cursor, so that a
//! platform keeps an exact copy by polling. Start from the cursor on the last line of the export
//! (`GET /export.ndjson` or `cluster-directory export`).

use super::connection::PageInfo;
use super::loader::Loaders;
use super::node::global_id;
use crate::error::AppError;
use crate::services::changes::{self, Operation, Position};
use async_graphql::{Context, ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The largest page of changes.
const MAX_CHANGES: i32 = 1000;

/// One change of one row.
#[derive(SimpleObject, Clone)]
pub struct Change {
    /// The row's type, e.g. `Cluster`.
    pub entity_type: String,
    /// The row's global id.
    pub entity_id: ID,
    /// `UPSERT`: created or changed; `DELETE`: gone.
    pub operation: Operation,
    /// When the change was written.
    pub at: DateTime<Utc>,
    /// The row's current state for an `UPSERT` (as in the export), null for a `DELETE` or when
    /// the row has been deleted since (its `DELETE` follows).
    pub data: Option<Json<serde_json::Value>>,
}

/// A change and its position.
#[derive(SimpleObject, Clone)]
pub struct ChangeEdge {
    /// Pass it as `after` to continue after this change.
    pub cursor: String,
    /// The change.
    pub node: Change,
}

/// A page of changes, oldest first.
#[derive(SimpleObject)]
pub struct ChangeConnection {
    /// The changes with their cursors.
    pub edges: Vec<ChangeEdge>,
    /// The changes.
    pub nodes: Vec<Change>,
    /// `endCursor` is where to continue; it is the `after` given when nothing changed.
    pub page_info: PageInfo,
}

/// The change feed.
#[derive(Default)]
pub struct ChangesQuery;

#[Object]
impl ChangesQuery {
    /// What changed after a cursor, oldest first: every create, update and delete of a public
    /// row (regions, themes, organisations, clusters and their labels, memberships,
    /// collaborations and participants, events and their organisers, offers and needs,
    /// indicators, KPIs), including rows deleted with their parent. Contacts are not in the feed.
    /// Entries are kept for the retention the operator sets (90 days by default); an older
    /// cursor gets `CONFLICT` and a new export is needed.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Continue after this cursor (from the export or an earlier page); from the beginning of the retained feed when omitted."
        )]
        after: Option<String>,
        #[graphql(desc = "At most this many changes (1 to 1000, default 100).")] first: Option<i32>,
    ) -> async_graphql::Result<ChangeConnection> {
        let limit = first.unwrap_or(100);
        if !(1..=MAX_CHANGES).contains(&limit) {
            return Err(AppError::bad_input(
                "first",
                format!("`first` must be between 1 and {MAX_CHANGES}"),
            )
            .into());
        }
        let from = match &after {
            Some(c) => Position::decode("after", c)?,
            None => Position::default(),
        };
        let db = &ctx.data::<Loaders>()?.db.reads;
        let mut entries = changes::page(db, from, limit as u64 + 1).await?;
        let has_next = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        let mut wanted: HashMap<&str, Vec<uuid::Uuid>> = HashMap::new();
        for e in &entries {
            if e.operation == "upsert" {
                wanted.entry(&e.entity_type).or_default().push(e.entity_id);
            }
        }
        let mut data = HashMap::new();
        for (t, ids) in wanted {
            for (id, v) in changes::data(db, t, &ids).await? {
                data.insert((t.to_owned(), id), v);
            }
        }
        let edges: Vec<ChangeEdge> = entries
            .iter()
            .map(|e| ChangeEdge {
                cursor: e.position().encode(),
                node: Change {
                    entity_type: e.entity_type.clone(),
                    entity_id: global_id(&e.entity_type, e.entity_id),
                    operation: if e.operation == "delete" {
                        Operation::Delete
                    } else {
                        Operation::Upsert
                    },
                    at: e.at,
                    data: data
                        .get(&(e.entity_type.clone(), e.entity_id))
                        .cloned()
                        .map(Json),
                },
            })
            .collect();
        let end = edges
            .last()
            .map(|e| e.cursor.clone())
            .or(after)
            .unwrap_or_else(|| from.encode());
        Ok(ChangeConnection {
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            page_info: PageInfo {
                has_next_page: has_next,
                has_previous_page: false,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: Some(end),
            },
            edges,
        })
    }
}
