//! Offers and needs of a theme in id order, newest first: matchmaking reads a bounded number
//! of the newest counterparts on each theme, which this index hands over without reading and
//! sorting every offer and need of the theme. It replaces the index on `theme_id` alone.

use crate::index_swap::IndexSwap;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SWAP: IndexSwap = IndexSwap {
    table: "offer_need_theme",
    old: ("ix_offer_need_theme_theme_id", &["theme_id"]),
    new: (
        "ix_offer_need_theme_theme_id_offer_need_id",
        &["theme_id", "offer_need_id"],
    ),
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In a transaction on SQLite too (PostgreSQL migrates in one anyway), like the migrations
    /// before it.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        SWAP.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        SWAP.down(manager).await
    }
}
