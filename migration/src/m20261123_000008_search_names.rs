//! An index for looking search documents up by their normalised name, so that a search finds the
//! exact name matches it ranks first without reading every document that holds the query's
//! words. A hash index on PostgreSQL (equality is all it answers, and it takes names of any
//! length), a B-tree on SQLite.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In a transaction on SQLite too (PostgreSQL migrates in one anyway), like the migrations
    /// before it.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let method = match manager.get_database_backend() {
            DbBackend::Postgres => "USING hash ",
            _ => "",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS ix_search_document_name_norm ON search_document {method}(name_norm)"
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS ix_search_document_name_norm")
            .await
            .map(|_| ())
    }
}
