//! Facets in the full-text index: each search document gets `facets`, words naming its kind and
//! (for clusters, organisations and events) its own country, so that a search filtered to a
//! kind or a country is narrowed by the index itself, instead of checking every document the
//! words match.
//!
//! - SQLite: `search_fts` is made again with a third column, `facets`, and its triggers with it,
//!   and with prefix indexes for prefixes of 2 to 8 characters instead of 2 and 3: FTS5 answers a
//!   longer prefix ("alpin*") without one by merging the lists of every word that starts with
//!   it, the whole lists, for every query; with one, a prefix costs what a word does.
//! - PostgreSQL: a GIN index over the facets' words, which PostgreSQL combines with the index of
//!   the documents' words.
//!
//! The documents are emptied; the server writes them again, facets included, when it starts on
//! a database without any (as it does for one indexed before search existed).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The triggers that keep the FTS5 tables in step with `search_document`, with or without the
/// facets column.
fn sqlite_triggers(facets: bool) -> Vec<String> {
    let (cols, new, old) = if facets {
        (
            "name, body, facets",
            "NEW.name, NEW.body, NEW.facets",
            "OLD.name, OLD.body, OLD.facets",
        )
    } else {
        ("name, body", "NEW.name, NEW.body", "OLD.name, OLD.body")
    };
    let insert = format!(
        "INSERT INTO search_fts (rowid, {cols}) VALUES (NEW.id, {new});
         INSERT INTO search_trigram (rowid, name_norm) VALUES (NEW.id, NEW.name_norm);"
    );
    let delete = format!(
        "INSERT INTO search_fts (search_fts, rowid, {cols}) VALUES ('delete', OLD.id, {old});
         INSERT INTO search_trigram (search_trigram, rowid, name_norm) VALUES ('delete', OLD.id, OLD.name_norm);"
    );
    vec![
        format!(
            "CREATE TRIGGER search_document_insert AFTER INSERT ON search_document BEGIN {insert} END"
        ),
        format!(
            "CREATE TRIGGER search_document_delete AFTER DELETE ON search_document BEGIN {delete} END"
        ),
        format!(
            "CREATE TRIGGER search_document_update AFTER UPDATE ON search_document BEGIN {delete} {insert} END"
        ),
    ]
}

/// Empties the documents and their FTS5 tables, and makes `search_fts` again with or without
/// the facets column.
fn sqlite(facets: bool) -> Vec<String> {
    let mut sql: Vec<String> = [
        "DROP TRIGGER search_document_update",
        "DROP TRIGGER search_document_delete",
        "DROP TRIGGER search_document_insert",
        "DROP TABLE search_fts",
        "DELETE FROM search_document",
        "INSERT INTO search_trigram (search_trigram) VALUES ('delete-all')",
    ]
    .map(str::to_owned)
    .to_vec();
    if facets {
        sql.push("ALTER TABLE search_document ADD COLUMN facets TEXT NOT NULL DEFAULT ''".into());
        sql.push("CREATE VIRTUAL TABLE search_fts USING fts5(name, body, facets, content='search_document', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5 6 7 8')".into());
    } else {
        sql.push("ALTER TABLE search_document DROP COLUMN facets".into());
        sql.push("CREATE VIRTUAL TABLE search_fts USING fts5(name, body, content='search_document', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')".into());
    }
    sql.extend(sqlite_triggers(facets));
    sql
}

fn postgres(facets: bool) -> Vec<String> {
    let mut sql = vec!["TRUNCATE search_document".to_owned()];
    if facets {
        sql.push("ALTER TABLE search_document ADD COLUMN facets text NOT NULL DEFAULT ''".into());
        sql.push("CREATE INDEX ix_search_document_facets ON search_document USING gin (to_tsvector('simple'::regconfig, facets))".into());
    } else {
        sql.push("DROP INDEX ix_search_document_facets".into());
        sql.push("ALTER TABLE search_document DROP COLUMN facets".into());
    }
    sql
}

async fn run(manager: &SchemaManager<'_>, up: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let statements = match db.get_database_backend() {
        DbBackend::Postgres => postgres(up),
        _ => sqlite(up),
    };
    for sql in statements {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on both databases.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, false).await
    }
}
