//! The change feed: one row per write of a public row, so that other systems can keep an exact
//! copy by polling, and the boundary below which old entries were compacted away.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("change_log")
                    .col(big_pk_auto("seq"))
                    .col(big_integer("txid"))
                    .col(string_len("entity_type", 32))
                    .col(uuid("entity_id"))
                    .col(string_len("operation", 8))
                    .col(timestamp_with_time_zone("at").default(Expr::current_timestamp()))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_change_log_txid_seq")
                    .table("change_log")
                    .col("txid")
                    .col("seq")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("change_compaction")
                    .col(integer("id").primary_key())
                    .col(big_integer("upto_txid"))
                    .col(big_integer("upto_seq"))
                    .col(timestamp_with_time_zone("at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("change_compaction").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("change_log").to_owned())
            .await?;
        Ok(())
    }
}
