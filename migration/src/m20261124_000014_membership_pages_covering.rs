//! The indexes that page an organisation's or a cluster's memberships (see
//! `m20261123_000004_page_indexes`) also hold the membership's other side: a page of a
//! cluster's members reads each membership's organisation, a page of an organisation's
//! memberships each one's cluster. PostgreSQL then answers the page from the index alone, where
//! it visited the table once per membership, each on a page of its own (Q2's 220 memberships:
//! about a tenth of PostgreSQL's CPU per request).

use crate::index_swap::IndexSwap;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SWAPS: [IndexSwap; 2] = [
    IndexSwap {
        table: "membership",
        old: (
            "ix_membership_cluster_page",
            &["cluster_id", "created_at", "id"],
        ),
        new: (
            "ix_membership_cluster_page_organisation",
            &["cluster_id", "created_at", "id", "organisation_id"],
        ),
    },
    IndexSwap {
        table: "membership",
        old: (
            "ix_membership_organisation_page",
            &["organisation_id", "created_at", "id"],
        ),
        new: (
            "ix_membership_organisation_page_cluster",
            &["organisation_id", "created_at", "id", "cluster_id"],
        ),
    },
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In a transaction on SQLite too (PostgreSQL migrates in one anyway), like the migrations
    /// before it.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for swap in &SWAPS {
            swap.up(manager).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for swap in SWAPS.iter().rev() {
            swap.down(manager).await?;
        }
        Ok(())
    }
}
