//! Offers and needs of a theme in id order, newest first: matchmaking reads a bounded number
//! of the newest counterparts on each theme, which this index hands over without reading and
//! sorting every offer and need of the theme. It replaces the index on `theme_id` alone.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "offer_need_theme";
const OLD: &str = "ix_offer_need_theme_theme_id";
const NEW: &str = "ix_offer_need_theme_theme_id_offer_need_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In a transaction on SQLite too (PostgreSQL migrates in one anyway), like the migrations
    /// before it.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NEW)
                    .table(TABLE)
                    .col("theme_id")
                    .col("offer_need_id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(OLD).table(TABLE).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD)
                    .table(TABLE)
                    .col("theme_id")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(NEW).table(TABLE).to_owned())
            .await
    }
}
