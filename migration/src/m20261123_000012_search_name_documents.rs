//! The names of search documents as a full-text vector of their own on PostgreSQL, with its own
//! GIN index. The name tiers of a search asked `document` for words weighted `A` (the name's);
//! GIN keeps no weights, so it handed over every document holding the word anywhere and each was
//! then read again to check the weight: for a broad word, thousands of rows per search. Over
//! `name_document`, the index answers the name tiers exactly and scans the names' words only.
//! SQLite's FTS5 index has a column of names already.

use crate::m20261123_000007_search::document_config;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&format!(
                "ALTER TABLE search_document ADD COLUMN name_document tsvector GENERATED ALWAYS AS (
                   to_tsvector({}, name) || to_tsvector('cd_simple'::regconfig, name)
                 ) STORED",
                document_config()
            ))
            .await?;
            db.execute_unprepared(
                "CREATE INDEX ix_search_document_name_document ON search_document USING gin (name_document)",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE search_document DROP COLUMN name_document")
                .await?;
        }
        Ok(())
    }
}
