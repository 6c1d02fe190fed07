//! The change feed: every write of a public row appends an entry in the write's own transaction
//! (`upsert` or `delete`, with tombstones for rows deleted with their parent), and clients poll
//! the entries after their cursor to keep an exact copy.
//!
//! Entries are ordered by `(txid, seq)`: the writing transaction's id (PostgreSQL) and the entry's
//! sequence number. A page only holds entries of transactions older than every transaction still
//! running (`pg_snapshot_xmin`), so an entry that commits late can never appear before a cursor a
//! client already holds: nothing is skipped when writes commit concurrently or out of order. On
//! SQLite, writes commit one after another in sequence order and the transaction id is 0.

use crate::error::{AppError, AppResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Statement};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// A public type in the feed: its GraphQL name, table, and theme link table if it has themes.
pub struct FeedType {
    /// GraphQL type name.
    pub name: &'static str,
    /// Table.
    pub table: &'static str,
    /// Theme link table and the column naming the row in it.
    pub themes: Option<(&'static str, &'static str)>,
}

/// Every type in the feed and the export, parents before children.
pub const FEED_TYPES: &[FeedType] = &[
    FeedType {
        name: "Region",
        table: "region",
        themes: None,
    },
    FeedType {
        name: "Theme",
        table: "theme",
        themes: None,
    },
    FeedType {
        name: "Organisation",
        table: "organisation",
        themes: Some(("organisation_theme", "organisation_id")),
    },
    FeedType {
        name: "Cluster",
        table: "cluster",
        themes: Some(("cluster_theme", "cluster_id")),
    },
    FeedType {
        name: "ClusterLabel",
        table: "cluster_label",
        themes: None,
    },
    FeedType {
        name: "Membership",
        table: "membership",
        themes: None,
    },
    FeedType {
        name: "Collaboration",
        table: "collaboration",
        themes: Some(("collaboration_theme", "collaboration_id")),
    },
    FeedType {
        name: "Participant",
        table: "participant",
        themes: None,
    },
    FeedType {
        name: "Event",
        table: "event",
        themes: Some(("event_theme", "event_id")),
    },
    FeedType {
        name: "EventOrganiser",
        table: "event_organiser",
        themes: None,
    },
    FeedType {
        name: "OfferNeed",
        table: "offer_need",
        themes: Some(("offer_need_theme", "offer_need_id")),
    },
    FeedType {
        name: "Indicator",
        table: "indicator",
        themes: None,
    },
    FeedType {
        name: "Kpi",
        table: "kpi",
        themes: None,
    },
];

/// Rows the database deletes (or, for `upsert`, changes) with a parent: (parent table, child
/// table, column naming the parent, child type, what happens to the child).
pub const CASCADES: &[(&str, &str, &str, &str, Operation)] = &[
    (
        "cluster",
        "membership",
        "cluster_id",
        "Membership",
        Operation::Delete,
    ),
    (
        "cluster",
        "cluster_label",
        "cluster_id",
        "ClusterLabel",
        Operation::Delete,
    ),
    (
        "cluster",
        "indicator",
        "cluster_id",
        "Indicator",
        Operation::Delete,
    ),
    ("cluster", "kpi", "cluster_id", "Kpi", Operation::Delete),
    (
        "cluster",
        "event_organiser",
        "cluster_id",
        "EventOrganiser",
        Operation::Delete,
    ),
    (
        "cluster",
        "participant",
        "cluster_id",
        "Participant",
        Operation::Upsert,
    ),
    (
        "organisation",
        "membership",
        "organisation_id",
        "Membership",
        Operation::Delete,
    ),
    (
        "organisation",
        "offer_need",
        "organisation_id",
        "OfferNeed",
        Operation::Delete,
    ),
    (
        "organisation",
        "participant",
        "organisation_id",
        "Participant",
        Operation::Delete,
    ),
    (
        "organisation",
        "event_organiser",
        "organisation_id",
        "EventOrganiser",
        Operation::Delete,
    ),
    (
        "collaboration",
        "participant",
        "collaboration_id",
        "Participant",
        Operation::Delete,
    ),
    (
        "collaboration",
        "kpi",
        "collaboration_id",
        "Kpi",
        Operation::Delete,
    ),
    (
        "collaboration",
        "event_organiser",
        "collaboration_id",
        "EventOrganiser",
        Operation::Delete,
    ),
    (
        "event",
        "event_organiser",
        "event_id",
        "EventOrganiser",
        Operation::Delete,
    ),
];

/// What happened to a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "ChangeOperation")]
pub enum Operation {
    /// Created or changed: fetch its current state.
    Upsert,
    /// Deleted.
    Delete,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Self::Upsert => "upsert",
            Self::Delete => "delete",
        }
    }
}

/// Whether a type is in the feed.
pub fn in_feed(type_name: &str) -> bool {
    FEED_TYPES.iter().any(|t| t.name == type_name)
}

/// The id of the writing transaction, in SQL (0 on SQLite).
fn txid_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "pg_current_xact_id()::text::bigint",
        _ => "0",
    }
}

/// Appends entries inside the write's transaction; types outside the feed are skipped.
pub async fn record(
    db: &impl ConnectionTrait,
    entries: &[(&str, Uuid, Operation)],
) -> AppResult<()> {
    let backend = db.get_database_backend();
    let now = Utc::now();
    let entries: Vec<&(&str, Uuid, Operation)> =
        entries.iter().filter(|(t, _, _)| in_feed(t)).collect();
    for chunk in entries.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO change_log (txid, entity_type, entity_id, operation, at) VALUES ",
        );
        let mut values: Vec<sea_orm::Value> = Vec::new();
        for (i, (t, id, op)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let n = values.len();
            let p = |k: usize| match backend {
                DbBackend::Postgres => format!("${}", n + k),
                _ => "?".to_owned(),
            };
            sql.push_str(&format!(
                "({}, {}, {}, {}, {})",
                txid_sql(backend),
                p(1),
                p(2),
                p(3),
                p(4)
            ));
            values.push((*t).into());
            values.push((*id).into());
            values.push(op.name().into());
            values.push(now.into());
        }
        if !values.is_empty() {
            db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
        }
    }
    Ok(())
}

/// Appends tombstones (and changes) for the rows that go with `parent_table`'s row `id`.
pub async fn record_cascades(
    db: &impl ConnectionTrait,
    parent_table: &str,
    id: i64,
) -> AppResult<()> {
    let mut entries: Vec<(&str, Uuid, Operation)> = Vec::new();
    for (parent, child, column, type_name, op) in CASCADES {
        if *parent != parent_table {
            continue;
        }
        let q = Query::select()
            .column(Alias::new("public_id"))
            .from(Alias::new(*child))
            .and_where(Expr::col(Alias::new(*column)).eq(id))
            .to_owned();
        for row in db.query_all(&q).await? {
            entries.push((type_name, row.try_get("", "public_id")?, *op));
        }
    }
    record(db, &entries).await
}

/// A position in the feed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// The writing transaction's id.
    pub txid: i64,
    /// The entry's sequence number.
    pub seq: i64,
}

impl Position {
    /// The cursor clients hold.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.txid, self.seq))
    }

    /// Reads a client's cursor.
    pub fn decode(field: &str, text: &str) -> AppResult<Self> {
        let bad = || {
            AppError::bad_input(
                field,
                "not a change-feed cursor; pass an `endCursor` the feed or the export returned",
            )
        };
        let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let (t, s) = raw.split_once(':').ok_or_else(bad)?;
        Ok(Self {
            txid: t.parse().map_err(|_| bad())?,
            seq: s.parse().map_err(|_| bad())?,
        })
    }
}

/// One entry of the feed.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Entry {
    /// Sequence number.
    pub seq: i64,
    /// Writing transaction.
    pub txid: i64,
    /// Type of the row.
    pub entity_type: String,
    /// Public id of the row.
    pub entity_id: Uuid,
    /// `upsert` or `delete`.
    pub operation: String,
    /// When it was written.
    pub at: DateTime<Utc>,
}

impl Entry {
    /// Where the entry lies.
    pub fn position(&self) -> Position {
        Position {
            txid: self.txid,
            seq: self.seq,
        }
    }
}

/// Entries of transactions below this id are final: every transaction before it has ended.
async fn horizon(db: &impl ConnectionTrait) -> AppResult<i64> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Postgres {
        return Ok(i64::MAX);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS x",
        ))
        .await?
        .ok_or_else(|| AppError::Internal("no snapshot".into()))?;
    Ok(row.try_get("", "x")?)
}

/// The position an export taken now continues from: every change of a transaction that ended
/// before now lies at or before it.
pub async fn current(db: &impl ConnectionTrait) -> AppResult<Position> {
    let h = horizon(db).await?;
    if h == i64::MAX {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT MAX(COALESCE((SELECT MAX(seq) FROM change_log), 0), \
                 COALESCE((SELECT upto_seq FROM change_compaction WHERE id = 1), 0)) AS s",
            ))
            .await?;
        let seq: i64 = row.map(|r| r.try_get("", "s")).transpose()?.unwrap_or(0);
        return Ok(Position { txid: 0, seq });
    }
    Ok(Position { txid: h, seq: -1 })
}

/// Up to `limit` entries after `after`, oldest first. Refuses a cursor older than compaction.
pub async fn page(db: &impl ConnectionTrait, after: Position, limit: u64) -> AppResult<Vec<Entry>> {
    let backend = db.get_database_backend();
    let compacted = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT upto_txid, upto_seq FROM change_compaction WHERE id = 1",
        ))
        .await?;
    if let Some(row) = compacted {
        let upto = Position {
            txid: row.try_get("", "upto_txid")?,
            seq: row.try_get("", "upto_seq")?,
        };
        if after < upto {
            return Err(AppError::Conflict(
                "this cursor is older than the change feed's retention; take a new export and continue from its cursor"
                    .to_owned(),
            ));
        }
    }
    let h = horizon(db).await?;
    let col = |c: &str| Expr::col(Alias::new(c));
    let q = Query::select()
        .columns(["seq", "txid", "entity_type", "entity_id", "operation", "at"].map(Alias::new))
        .from(Alias::new("change_log"))
        .cond_where(
            sea_orm::sea_query::Cond::any()
                .add(col("txid").gt(after.txid))
                .add(
                    sea_orm::sea_query::Cond::all()
                        .add(col("txid").eq(after.txid))
                        .add(col("seq").gt(after.seq)),
                ),
        )
        .and_where(col("txid").lt(h))
        .order_by(Alias::new("txid"), Order::Asc)
        .order_by(Alias::new("seq"), Order::Asc)
        .limit(limit)
        .to_owned();
    let rows = db.query_all(&q).await?;
    rows.iter()
        .map(|r| Entry::from_query_result(r, "").map_err(AppError::from))
        .collect()
}

/// Deletes the entries written before `before` (only final ones, of transactions older than every
/// running one); cursors older than what was deleted are then refused. Returns how many entries
/// went.
pub async fn compact(db: &impl ConnectionTrait, before: DateTime<Utc>) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let h = horizon(db).await?;
    let q = Query::select()
        .columns(["txid", "seq"].map(Alias::new))
        .from(Alias::new("change_log"))
        .and_where(Expr::col(Alias::new("at")).lt(before))
        .and_where(Expr::col(Alias::new("txid")).lt(h))
        .order_by(Alias::new("txid"), Order::Desc)
        .order_by(Alias::new("seq"), Order::Desc)
        .limit(1)
        .to_owned();
    let Some(row) = db.query_one(&q).await? else {
        return Ok(0);
    };
    let upto = Position {
        txid: row.try_get("", "txid")?,
        seq: row.try_get("", "seq")?,
    };
    let del = Query::delete()
        .from_table(Alias::new("change_log"))
        .cond_where(
            sea_orm::sea_query::Cond::any()
                .add(Expr::col(Alias::new("txid")).lt(upto.txid))
                .add(
                    sea_orm::sea_query::Cond::all()
                        .add(Expr::col(Alias::new("txid")).eq(upto.txid))
                        .add(Expr::col(Alias::new("seq")).lte(upto.seq)),
                ),
        )
        .to_owned();
    let gone = db.execute(&del).await?.rows_affected();
    db.execute_raw(Statement::from_string(
        backend,
        "DELETE FROM change_compaction WHERE id = 1",
    ))
    .await?;
    let insert = Query::insert()
        .into_table(Alias::new("change_compaction"))
        .columns(["id", "upto_txid", "upto_seq", "at"].map(Alias::new))
        .values_panic([
            1.into(),
            upto.txid.into(),
            upto.seq.into(),
            Utc::now().into(),
        ])
        .to_owned();
    db.execute(&insert).await?;
    Ok(gone)
}

/// The current state of rows of one feed type, by public id, as the feed and the export give it:
/// the row's columns plus, for types with themes, the slugs of its themes.
pub async fn data(
    db: &impl ConnectionTrait,
    type_name: &str,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Value>> {
    use crate::entities as e;
    macro_rules! load {
        ($m:ident) => {{
            let rows = e::$m::Entity::find()
                .filter(sea_orm::ColumnTrait::is_in(
                    &e::$m::Column::PublicId,
                    ids.iter().copied(),
                ))
                .all(db)
                .await?;
            rows.into_iter()
                .map(|r| Ok((r.public_id, r.id, serde_json::to_value(&r)?)))
                .collect::<Result<Vec<_>, serde_json::Error>>()
                .map_err(|e| AppError::Internal(Box::new(e)))?
        }};
    }
    use sea_orm::QueryFilter;
    let rows: Vec<(Uuid, i64, Value)> = match type_name {
        "Region" => load!(region),
        "Theme" => load!(theme),
        "Organisation" => load!(organisation),
        "Cluster" => load!(cluster),
        "ClusterLabel" => load!(cluster_label),
        "Membership" => load!(membership),
        "Collaboration" => load!(collaboration),
        "Participant" => load!(participant),
        "Event" => load!(event),
        "EventOrganiser" => load!(event_organiser),
        "OfferNeed" => load!(offer_need),
        "Indicator" => load!(indicator),
        "Kpi" => load!(kpi),
        _ => Vec::new(),
    };
    with_themes(db, type_name, rows).await
}

/// Adds the theme slugs to rows of a type with themes.
async fn with_themes(
    db: &impl ConnectionTrait,
    type_name: &str,
    rows: Vec<(Uuid, i64, Value)>,
) -> AppResult<HashMap<Uuid, Value>> {
    let link = FEED_TYPES
        .iter()
        .find(|t| t.name == type_name)
        .and_then(|t| t.themes);
    let mut themes: HashMap<i64, Vec<String>> = HashMap::new();
    if let Some((table, owner)) = link
        && !rows.is_empty()
    {
        let q = Query::select()
            .expr_as(
                Expr::col((Alias::new(table), Alias::new(owner))),
                Alias::new("o"),
            )
            .expr_as(
                Expr::col((Alias::new("theme"), Alias::new("slug"))),
                Alias::new("slug"),
            )
            .from(Alias::new(table))
            .inner_join(
                Alias::new("theme"),
                Expr::col((Alias::new("theme"), Alias::new("id")))
                    .equals((Alias::new(table), Alias::new("theme_id"))),
            )
            .and_where(
                Expr::col((Alias::new(table), Alias::new(owner)))
                    .is_in(rows.iter().map(|(_, id, _)| *id)),
            )
            .order_by((Alias::new("theme"), Alias::new("slug")), Order::Asc)
            .to_owned();
        for row in db.query_all(&q).await? {
            themes
                .entry(row.try_get("", "o")?)
                .or_default()
                .push(row.try_get("", "slug")?);
        }
    }
    Ok(rows
        .into_iter()
        .map(|(public_id, id, mut value)| {
            if link.is_some()
                && let Value::Object(map) = &mut value
            {
                map.insert(
                    "themes".to_owned(),
                    serde_json::json!(themes.remove(&id).unwrap_or_default()),
                );
            }
            (public_id, value)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_survive_the_round_trip_and_order_by_transaction_first() {
        let p = Position { txid: 812, seq: 44 };
        assert_eq!(Position::decode("after", &p.encode()).ok(), Some(p));
        assert!(Position { txid: 811, seq: 99 } < p);
        assert!(Position::decode("after", "nonsense").is_err());
    }
}
