//! An organisation's memberships by cluster: matchmaking keeps only counterparts that share no
//! cluster with the subject's organisation, and asks, for each candidate, whether one of its
//! memberships is in one of the subject's clusters. Through this index that is one descent and
//! the candidate's few entries side by side; through the one on `(cluster_id,
//! organisation_id)` it was one descent per cluster of the subject, each to another part of the
//! index. It replaces the index on `organisation_id` alone, which it serves as well.

use crate::index_swap::IndexSwap;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SWAP: IndexSwap = IndexSwap {
    table: "membership",
    old: ("ix_membership_organisation_id", &["organisation_id"]),
    new: (
        "ix_membership_organisation_id_cluster_id",
        &["organisation_id", "cluster_id"],
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
