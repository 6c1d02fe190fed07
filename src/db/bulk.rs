//! Bulk loads: a table's secondary indexes, and on PostgreSQL its foreign keys and unique
//! constraints, are taken off before many rows go in and put back once they are in, inside the
//! same transaction.
//!
//! Building an index once from all of its rows is far cheaper than growing it a row at a time,
//! and PostgreSQL checks a foreign key added to a full table with one join where it would
//! otherwise run a trigger per row. (PostgreSQL's manual, "Populating a Database", advises both.)
//! Putting them back checks every row as the per-row checks would have: a duplicate in a unique
//! index or a row without its parent fails the load and rolls it back.
//!
//! Primary keys stay, and so do unique constraints that a foreign key points at. SQLite cannot
//! drop any index that backs a constraint, nor a foreign key, which is part of the table's
//! definition (it checks those cheaply by row id).

use crate::error::AppResult;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// What [`set_aside`] took off the tables, to put back with [`SetAside::restore`].
#[must_use = "what was set aside must be put back"]
#[derive(Debug)]
pub struct SetAside {
    /// The statements that make it again, in order.
    restore: Vec<String>,
}

impl SetAside {
    /// Builds the indexes and adds the constraints again, checking every row.
    pub async fn restore(self, db: &impl ConnectionTrait) -> AppResult<()> {
        for sql in self.restore {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}

/// Takes the secondary indexes of `tables` off (and their foreign keys and unique constraints, on
/// PostgreSQL). Meant for a transaction that is about to write many rows into them.
pub async fn set_aside(db: &impl ConnectionTrait, tables: &[&str]) -> AppResult<SetAside> {
    let mut drop = Vec::new();
    let mut restore = Vec::new();
    for table in tables {
        list(db, table, &mut drop, &mut restore).await?;
    }
    for sql in &drop {
        db.execute_unprepared(sql).await?;
    }
    Ok(SetAside { restore })
}

/// Adds the statements that drop one table's secondary indexes and constraints to `drop`, and
/// those that make them again to `restore`.
async fn list(
    db: &impl ConnectionTrait,
    table: &str,
    drop: &mut Vec<String>,
    restore: &mut Vec<String>,
) -> AppResult<()> {
    let backend = db.get_database_backend();
    let listed = |sql: &str| Statement::from_sql_and_values(backend, sql, [table.into()]);
    let indexes = match backend {
        DbBackend::Sqlite => {
            "SELECT name, sql FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
        }
        DbBackend::Postgres => {
            "SELECT c.relname AS name, pg_get_indexdef(c.oid) AS sql \
             FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid \
             WHERE x.indrelid = $1::regclass \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)"
        }
        _ => return Ok(()),
    };
    for row in db.query_all_raw(listed(indexes)).await? {
        let name: String = row.try_get("", "name")?;
        drop.push(format!("DROP INDEX {}", quoted(&name)));
        restore.push(row.try_get("", "sql")?);
    }
    if backend == DbBackend::Postgres {
        // Foreign keys, and unique constraints that no foreign key points at.
        let keys = listed(
            "SELECT k.conname AS name, pg_get_constraintdef(k.oid) AS sql \
             FROM pg_constraint k WHERE k.conrelid = $1::regclass \
             AND (k.contype = 'f' OR (k.contype = 'u' AND NOT EXISTS \
             (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid)))",
        );
        for row in db.query_all_raw(keys).await? {
            let name = quoted(&row.try_get::<String>("", "name")?);
            let definition: String = row.try_get("", "sql")?;
            drop.push(format!(
                "ALTER TABLE {} DROP CONSTRAINT {name}",
                quoted(table)
            ));
            restore.push(format!(
                "ALTER TABLE {} ADD CONSTRAINT {name} {definition}",
                quoted(table)
            ));
        }
    }
    Ok(())
}

/// The reference tables: a few rows each, written once and read by most requests.
pub const REFERENCE: &[&str] = &["theme", "region"];

/// Gives PostgreSQL's planner statistics for the [`REFERENCE`] tables once they are loaded.
/// Autovacuum never analyzes them (it waits for 50 changed rows), and without statistics the
/// planner takes the 8 themes for about 280 rows: matchmaking then hashed the whole table for
/// each candidate's themes instead of looking each one up by id. Nothing to do on SQLite.
pub async fn analyze_reference(db: &impl ConnectionTrait) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!("ANALYZE {}", REFERENCE.join(", ")))
            .await?;
    }
    Ok(())
}

/// Readies `tables` for reading after a bulk load has committed, so that nothing is left for
/// the database to do in the background while the first requests come in.
///
/// PostgreSQL: `VACUUM (ANALYZE)`, which autovacuum would otherwise run about a minute later, in
/// the middle of the first requests. Until then the planner has no statistics for the new rows
/// and index-only scans visit the table, whose pages are not yet marked all-visible.
///
/// SQLite: the whole load went through the write-ahead log, which SQLite copies into the
/// database after the commit but keeps at its full size until the next write; it is emptied
/// now rather than left, hundreds of megabytes of it, beside the database.
///
/// Neither may run inside a transaction.
pub async fn settle(db: &impl ConnectionTrait, tables: &[&str]) -> AppResult<()> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => format!(
            "VACUUM (ANALYZE) {}",
            tables
                .iter()
                .map(|t| quoted(t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        DbBackend::Sqlite => "PRAGMA wal_checkpoint(TRUNCATE)".to_owned(),
        _ => return Ok(()),
    };
    db.execute_unprepared(&sql).await?;
    Ok(())
}

/// An identifier in double quotes, as both databases read it.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn identifiers_are_quoted_with_their_quotes_doubled() {
        assert_eq!(quoted("ix_membership"), "\"ix_membership\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }
}
