//! Misspellings on PostgreSQL through the trigrams of names as words of a full-text index, as
//! on SQLite: a GIN index over `array_to_tsvector(show_trgm(name_norm))` answers "names holding
//! these two neighbouring trigrams" exactly, so a search takes the newest names it hands over
//! without computing `word_similarity` for each of them (about 3.5 µs a name, thousands of
//! names for a common word). It replaces the `gin_trgm_ops` index that `<%` read.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TRIGRAMS: &str = "CREATE INDEX ix_search_document_name_trigrams ON search_document \
     USING gin (array_to_tsvector(show_trgm(name_norm)))";
const SIMILARITY: &str = "CREATE INDEX ix_search_document_name_trgm ON search_document \
     USING gin (name_norm gin_trgm_ops)";

async fn run(manager: &SchemaManager<'_>, create: &str, drop: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    // SQLite has its trigram index already (`search_trigram`).
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(create).await?;
        db.execute_unprepared(&format!("DROP INDEX {drop}")).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, TRIGRAMS, "ix_search_document_name_trgm").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, SIMILARITY, "ix_search_document_name_trigrams").await
    }
}
