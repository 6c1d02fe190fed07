//! Indexes that let a nested page of memberships read only its rows, in order, under each parent.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: &[(&str, &str)] = &[
    ("ix_membership_cluster_page", "cluster_id"),
    ("ix_membership_organisation_page", "organisation_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, parent) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(*name)
                        .table("membership")
                        .col(*parent)
                        .col("created_at")
                        .col("id")
                        // A start killed while building the index must not stop the next one.
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(*name)
                        .table("membership")
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
