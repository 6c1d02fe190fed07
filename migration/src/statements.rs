//! A migration written as lists of SQL statements, one list for each database and direction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// The statements of a migration: PostgreSQL's and SQLite's, up and down.
pub struct Statements {
    /// Applied on PostgreSQL.
    pub postgres_up: &'static [&'static str],
    /// Undone on PostgreSQL.
    pub postgres_down: &'static [&'static str],
    /// Applied on SQLite.
    pub sqlite_up: &'static [&'static str],
    /// Undone on SQLite.
    pub sqlite_down: &'static [&'static str],
}

impl Statements {
    /// Runs the database's statements that apply the migration, in order.
    pub async fn up(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        Self::run(manager, self.postgres_up, self.sqlite_up).await
    }

    /// Runs the database's statements that undo the migration, in order.
    pub async fn down(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        Self::run(manager, self.postgres_down, self.sqlite_down).await
    }

    async fn run(
        manager: &SchemaManager<'_>,
        postgres: &[&str],
        sqlite: &[&str],
    ) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements = match db.get_database_backend() {
            DbBackend::Postgres => postgres,
            _ => sqlite,
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
