//! The full export for a first copy: every public row as one line of NDJSON
//! (`{"type": …, "id": …, "data": {…}}`), type by type, read in batches so that memory stays
//! constant, and a last line `{"cursor": …}` with the change-feed position to continue from.
//! The cursor is taken before the first row is read, so every change made while the export runs
//! comes again through the feed.

use crate::error::{AppError, AppResult};
use crate::services::changes::{self, FEED_TYPES, Position};
use futures_util::Stream;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

/// Rows read per statement.
const BATCH: u64 = 500;

struct Cursor {
    db: DatabaseConnection,
    kind: usize,
    last_id: i64,
    start: Option<Position>,
    done: bool,
}

/// The global id clients know a row by.
fn global(type_name: &str, id: Uuid) -> String {
    crate::graphql::node::global_id(type_name, id).0
}

async fn next_chunk(c: &mut Cursor) -> AppResult<Option<String>> {
    if c.done {
        return Ok(None);
    }
    let start = match c.start {
        Some(p) => p,
        None => {
            let p = changes::current(&c.db).await?;
            c.start = Some(p);
            p
        }
    };
    while let Some(t) = FEED_TYPES.get(c.kind) {
        let q = Query::select()
            .columns(["id", "public_id"].map(Alias::new))
            .from(Alias::new(t.table))
            .and_where(Expr::col(Alias::new("id")).gt(c.last_id))
            .order_by(Alias::new("id"), Order::Asc)
            .limit(BATCH)
            .to_owned();
        let rows = c.db.query_all(&q).await?;
        if rows.is_empty() {
            c.kind += 1;
            c.last_id = 0;
            continue;
        }
        let mut ids = Vec::with_capacity(rows.len());
        for r in &rows {
            c.last_id = r.try_get("", "id")?;
            ids.push(r.try_get::<Uuid>("", "public_id")?);
        }
        let data = changes::data(&c.db, t.name, &ids).await?;
        let mut out = String::new();
        for id in ids {
            if let Some(d) = data.get(&id) {
                let line =
                    serde_json::json!({ "type": t.name, "id": global(t.name, id), "data": d });
                out.push_str(&line.to_string());
                out.push('\n');
            }
        }
        return Ok(Some(out));
    }
    c.done = true;
    Ok(Some(format!(
        "{}\n",
        serde_json::json!({ "cursor": start.encode() })
    )))
}

/// The export as a stream of NDJSON chunks.
pub fn stream(db: DatabaseConnection) -> impl Stream<Item = AppResult<String>> + Send {
    let cursor = Cursor {
        db,
        kind: 0,
        last_id: 0,
        start: None,
        done: false,
    };
    futures_util::stream::unfold(cursor, |mut c| async move {
        match next_chunk(&mut c).await {
            Ok(Some(chunk)) => Some((Ok(chunk), c)),
            Ok(None) => None,
            Err(e) => {
                c.done = true;
                Some((Err(e), c))
            }
        }
    })
}

/// Writes the export to `out`.
pub async fn write(
    db: DatabaseConnection,
    out: &mut (impl std::io::Write + Send),
) -> AppResult<u64> {
    use futures_util::StreamExt;
    let mut lines = 0;
    let mut s = std::pin::pin!(stream(db));
    while let Some(chunk) = s.next().await {
        let chunk = chunk?;
        lines += chunk.lines().count() as u64;
        out.write_all(chunk.as_bytes())
            .map_err(|e| AppError::Internal(Box::new(e)))?;
    }
    out.flush().map_err(|e| AppError::Internal(Box::new(e)))?;
    Ok(lines)
}
