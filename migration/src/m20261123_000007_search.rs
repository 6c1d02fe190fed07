//! Multilingual texts, full-text search and matchmaking data.
//!
//! - Every translatable type (clusters, organisations, events, collaborations, offers and needs)
//!   gets the language its own texts are written in (`text_language`) and a `<type>_translation`
//!   table of translated fields, deleted with their row.
//! - Offers and needs get the countries they target, for matchmaking.
//! - `search_document` holds one document per searchable row and language, rewritten by the
//!   application in the same transaction as every write. PostgreSQL indexes it with its own
//!   full-text search (a language-aware, accent-free configuration per language, and trigrams of
//!   the name from `pg_trgm`); SQLite with FTS5 tables kept in step by triggers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose texts can be translated.
const TRANSLATABLE: &[&str] = &[
    "cluster",
    "organisation",
    "event",
    "collaboration",
    "offer_need",
];

/// Languages PostgreSQL stems, with its dictionary for each; other languages are indexed
/// without stemming.
const STEMMED: &[(&str, &str)] = &[
    ("en", "english"),
    ("nl", "dutch"),
    ("fr", "french"),
    ("es", "spanish"),
    ("hu", "hungarian"),
    ("fi", "finnish"),
    ("de", "german"),
    ("it", "italian"),
    ("pt", "portuguese"),
    ("sv", "swedish"),
    ("da", "danish"),
];

fn postgres_up() -> Vec<String> {
    let mut sql = vec![
        "CREATE EXTENSION IF NOT EXISTS unaccent".to_owned(),
        "CREATE EXTENSION IF NOT EXISTS pg_trgm".to_owned(),
        "CREATE TEXT SEARCH CONFIGURATION cd_simple (COPY = simple)".to_owned(),
        "ALTER TEXT SEARCH CONFIGURATION cd_simple ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple".to_owned(),
    ];
    for (code, dictionary) in STEMMED {
        sql.push(format!(
            "CREATE TEXT SEARCH CONFIGURATION cd_{code} (COPY = {dictionary})"
        ));
        sql.push(format!(
            "ALTER TEXT SEARCH CONFIGURATION cd_{code} ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {dictionary}_stem"
        ));
    }
    for table in TRANSLATABLE {
        sql.push(format!(
            "ALTER TABLE {table} ADD COLUMN text_language text NOT NULL DEFAULT 'en'"
        ));
        sql.push(format!(
            "CREATE TABLE {table}_translation (
               id bigserial PRIMARY KEY,
               owner_id bigint NOT NULL REFERENCES {table} (id) ON DELETE CASCADE,
               lang text NOT NULL,
               field text NOT NULL,
               value text NOT NULL,
               UNIQUE (owner_id, lang, field))"
        ));
    }
    sql.push("ALTER TABLE offer_need ADD COLUMN target_countries text".to_owned());
    let config = document_config();
    sql.push(format!(
        "CREATE TABLE search_document (
           id bigserial PRIMARY KEY,
           kind text NOT NULL,
           entity_id bigint NOT NULL,
           lang text NOT NULL,
           name text NOT NULL,
           name_norm text NOT NULL,
           body text,
           document tsvector GENERATED ALWAYS AS (
             setweight(to_tsvector({config}, name), 'A')
             || setweight(to_tsvector('cd_simple'::regconfig, name), 'A')
             || setweight(to_tsvector({config}, coalesce(body, '')), 'B')
             || setweight(to_tsvector('cd_simple'::regconfig, coalesce(body, '')), 'B')
           ) STORED,
           UNIQUE (kind, entity_id, lang))"
    ));
    sql.push(
        "CREATE INDEX ix_search_document_document ON search_document USING gin (document)"
            .to_owned(),
    );
    sql.push(
        "CREATE INDEX ix_search_document_name_trgm ON search_document USING gin (name_norm gin_trgm_ops)"
            .to_owned(),
    );
    sql
}

fn postgres_down() -> Vec<String> {
    let mut sql = vec![
        "DROP TABLE search_document".to_owned(),
        "ALTER TABLE offer_need DROP COLUMN target_countries".to_owned(),
    ];
    for table in TRANSLATABLE {
        sql.push(format!("DROP TABLE {table}_translation"));
        sql.push(format!("ALTER TABLE {table} DROP COLUMN text_language"));
    }
    for (code, _) in STEMMED {
        sql.push(format!("DROP TEXT SEARCH CONFIGURATION cd_{code}"));
    }
    sql.push("DROP TEXT SEARCH CONFIGURATION cd_simple".to_owned());
    sql
}

fn sqlite_up() -> Vec<String> {
    let mut sql = Vec::new();
    for table in TRANSLATABLE {
        sql.push(format!(
            "ALTER TABLE {table} ADD COLUMN text_language TEXT NOT NULL DEFAULT 'en'"
        ));
        sql.push(format!(
            "CREATE TABLE {table}_translation (
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               owner_id INTEGER NOT NULL REFERENCES {table} (id) ON DELETE CASCADE,
               lang TEXT NOT NULL,
               field TEXT NOT NULL,
               value TEXT NOT NULL,
               UNIQUE (owner_id, lang, field))"
        ));
    }
    sql.push("ALTER TABLE offer_need ADD COLUMN target_countries TEXT".to_owned());
    sql.extend(
        [
            "CREATE TABLE search_document (
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               kind TEXT NOT NULL,
               entity_id INTEGER NOT NULL,
               lang TEXT NOT NULL,
               name TEXT NOT NULL,
               name_norm TEXT NOT NULL,
               body TEXT,
               UNIQUE (kind, entity_id, lang))",
            // Words without accents or case, with prefix indexes for search-as-you-type.
            "CREATE VIRTUAL TABLE search_fts USING fts5(name, body, content='search_document', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
            // Trigrams of the folded name, for misspellings.
            "CREATE VIRTUAL TABLE search_trigram USING fts5(name_norm, content='search_document', content_rowid='id', tokenize='trigram')",
            "CREATE TRIGGER search_document_insert AFTER INSERT ON search_document BEGIN
               INSERT INTO search_fts (rowid, name, body) VALUES (NEW.id, NEW.name, NEW.body);
               INSERT INTO search_trigram (rowid, name_norm) VALUES (NEW.id, NEW.name_norm);
             END",
            "CREATE TRIGGER search_document_delete AFTER DELETE ON search_document BEGIN
               INSERT INTO search_fts (search_fts, rowid, name, body) VALUES ('delete', OLD.id, OLD.name, OLD.body);
               INSERT INTO search_trigram (search_trigram, rowid, name_norm) VALUES ('delete', OLD.id, OLD.name_norm);
             END",
            "CREATE TRIGGER search_document_update AFTER UPDATE ON search_document BEGIN
               INSERT INTO search_fts (search_fts, rowid, name, body) VALUES ('delete', OLD.id, OLD.name, OLD.body);
               INSERT INTO search_trigram (search_trigram, rowid, name_norm) VALUES ('delete', OLD.id, OLD.name_norm);
               INSERT INTO search_fts (rowid, name, body) VALUES (NEW.id, NEW.name, NEW.body);
               INSERT INTO search_trigram (rowid, name_norm) VALUES (NEW.id, NEW.name_norm);
             END",
        ]
        .map(str::to_owned),
    );
    sql
}

fn sqlite_down() -> Vec<String> {
    let mut sql: Vec<String> = [
        "DROP TRIGGER search_document_update",
        "DROP TRIGGER search_document_delete",
        "DROP TRIGGER search_document_insert",
        "DROP TABLE search_trigram",
        "DROP TABLE search_fts",
        "DROP TABLE search_document",
        "ALTER TABLE offer_need DROP COLUMN target_countries",
    ]
    .map(str::to_owned)
    .to_vec();
    for table in TRANSLATABLE {
        sql.push(format!("DROP TABLE {table}_translation"));
        sql.push(format!("ALTER TABLE {table} DROP COLUMN text_language"));
    }
    sql
}

async fn run(manager: &SchemaManager<'_>, up: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let statements = match (db.get_database_backend(), up) {
        (DbBackend::Postgres, true) => postgres_up(),
        (DbBackend::Postgres, false) => postgres_down(),
        (_, true) => sqlite_up(),
        (_, false) => sqlite_down(),
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

/// The text-search configuration of a document's language, as SQL over its `lang` column.
pub(crate) fn document_config() -> String {
    format!(
        "CASE lang {} ELSE 'cd_simple'::regconfig END",
        STEMMED
            .iter()
            .map(|(code, _)| format!("WHEN '{code}' THEN 'cd_{code}'::regconfig"))
            .collect::<Vec<_>>()
            .join(" ")
    )
}
