//! Writes: a version on every entity row for optimistic concurrency, external ids for imported
//! organisations, API keys with roles, and the append-only audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every table whose rows clients edit.
const VERSIONED: &[&str] = &[
    "region",
    "theme",
    "organisation",
    "cluster",
    "cluster_label",
    "membership",
    "contact",
    "collaboration",
    "participant",
    "event",
    "event_organiser",
    "offer_need",
    "interest",
    "indicator",
    "kpi",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in VERSIONED {
            manager
                .alter_table(
                    Table::alter()
                        .table(*table)
                        .add_column(integer("version").default(1))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("organisation")
                    .add_column(string_len_null("external_id", 128))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_organisation_external_id")
                    .table("organisation")
                    .col("external_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("api_key")
                    .col(big_pk_auto("id"))
                    .col(uuid_uniq("public_id"))
                    .col(string_len_uniq("prefix", 16))
                    .col(string_len("secret_hash", 64))
                    .col(string("name"))
                    .col(string_len("role", 32))
                    .col(big_integer_null("region_id"))
                    .col(big_integer_null("cluster_id"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_key_region_id")
                            .from("api_key", "region_id")
                            .to("region", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_key_cluster_id")
                            .from("api_key", "cluster_id")
                            .to("cluster", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_entry")
                    .col(big_pk_auto("id"))
                    .col(uuid_uniq("public_id"))
                    .col(timestamp_with_time_zone("at").default(Expr::current_timestamp()))
                    .col(uuid_null("key_id"))
                    .col(string_len("role", 32))
                    .col(string_len("operation", 16))
                    .col(string_len("entity_type", 32))
                    .col(uuid("entity_id"))
                    .col(text("fields"))
                    .col(string_len_null("request_id", 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_entry_entity_id")
                    .table("audit_entry")
                    .col("entity_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("audit_entry").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("api_key").to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_organisation_external_id")
                    .table("organisation")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("organisation")
                    .drop_column("external_id")
                    .to_owned(),
            )
            .await?;
        for table in VERSIONED {
            manager
                .alter_table(
                    Table::alter()
                        .table(*table)
                        .drop_column("version")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
