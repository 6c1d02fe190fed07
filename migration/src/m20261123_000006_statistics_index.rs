//! An index for the most asked statistics, organisations counted by type and country: the
//! count reads the index alone instead of every organisation row (docs/benchmarks.md, Q5).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_organisation_type_country";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In a transaction on SQLite too (PostgreSQL migrates in one anyway), like the migration
    /// before it.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table("organisation")
                    .col("org_type")
                    .col("country_code")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table("organisation").to_owned())
            .await
    }
}
