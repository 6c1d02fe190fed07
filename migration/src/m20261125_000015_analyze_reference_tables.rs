//! Statistics for the reference tables on PostgreSQL. Themes and regions are a few rows each,
//! written once and read by most requests, and autovacuum never analyzes them: it waits for 50
//! changed rows. Without statistics the planner takes the 8 themes for about 280 rows and, for
//! one, hashes the whole table for each offer or need whose themes matchmaking reads, instead of
//! looking each theme up by its id (docs/benchmarks.md). Loading the demo data analyzes them too;
//! this covers databases loaded before. Nothing to do on SQLite.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ANALYZE theme, region").await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Statistics are not undone: the planner only ever gains from them.
        Ok(())
    }
}
