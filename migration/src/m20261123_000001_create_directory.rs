//! Creates the whole directory: regions, themes, clusters, organisations, memberships, contacts,
//! collaborations, events, offers and needs, state-of-affairs indicators and KPIs.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A table with the columns every entity has: an internal key, a stable public id and timestamps.
fn entity(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(big_pk_auto("id"))
        .col(uuid_uniq("public_id"))
        .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
        .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
        .take()
}

/// A link table between two entities, keyed by both.
fn link(name: &'static str, left: &'static str, right: &'static str) -> TableCreateStatement {
    let (lt, rt) = (left.trim_end_matches("_id"), right.trim_end_matches("_id"));
    Table::create()
        .table(name)
        .col(big_integer(left))
        .col(big_integer(right))
        .primary_key(Index::create().col(left).col(right))
        .foreign_key(&mut fk(name, left, lt, ForeignKeyAction::Cascade))
        .foreign_key(&mut fk(name, right, rt, ForeignKeyAction::Cascade))
        .take()
}

fn fk(
    table: &'static str,
    col: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(target, "id")
        .on_delete(on_delete)
        .take()
}

fn index(table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!("ix_{table}_{}", cols.join("_")))
        .table(table);
    for c in cols {
        idx.col(*c);
    }
    if unique {
        idx.unique();
    }
    idx.take()
}

fn tables() -> Vec<TableCreateStatement> {
    use ForeignKeyAction::{Cascade, Restrict, SetNull};
    vec![
        entity("region")
            .col(string_len_uniq("code", 8))
            .col(string("name"))
            .col(small_integer("level"))
            .col(big_integer_null("parent_id"))
            .col(char_len("country_code", 2))
            .foreign_key(&mut fk("region", "parent_id", "region", Restrict))
            .take(),
        entity("theme")
            .col(string_len_uniq("slug", 64))
            .col(string("name"))
            .col(text_null("description"))
            .col(boolean("core").default(false))
            .take(),
        entity("organisation")
            .col(string_len_uniq("slug", 128))
            .col(string("name"))
            .col(string_len("org_type", 32))
            .col(string_len_null("size_class", 16))
            .col(integer_null("headcount"))
            .col(string_null("nace_codes"))
            .col(string_len_null("nace_version", 16))
            .col(char_len("country_code", 2))
            .col(big_integer_null("region_id"))
            .col(string_null("city"))
            .col(string_null("website"))
            .col(text_null("description"))
            .foreign_key(&mut fk("organisation", "region_id", "region", SetNull))
            .take(),
        link("organisation_theme", "organisation_id", "theme_id"),
        entity("cluster")
            .col(string_len_uniq("slug", 128))
            .col(string("name"))
            .col(string_len("kind", 32))
            .col(text_null("description"))
            .col(integer_null("year_established"))
            .col(string_null("website"))
            .col(string_null("email"))
            .col(char_len("country_code", 2))
            .col(big_integer_null("region_id"))
            .col(big_integer_null("managing_organisation_id"))
            .col(big_integer_null("innovation_turnover_eur"))
            .foreign_key(&mut fk("cluster", "region_id", "region", SetNull))
            .foreign_key(&mut fk(
                "cluster",
                "managing_organisation_id",
                "organisation",
                SetNull,
            ))
            .take(),
        link("cluster_theme", "cluster_id", "theme_id"),
        entity("cluster_label")
            .col(big_integer("cluster_id"))
            .col(string_len("issuer", 64))
            .col(string_len("level", 16))
            .col(date("awarded_on"))
            .col(date_null("expires_on"))
            .foreign_key(&mut fk("cluster_label", "cluster_id", "cluster", Cascade))
            .take(),
        entity("membership")
            .col(big_integer("cluster_id"))
            .col(big_integer("organisation_id"))
            .col(string_len("role", 32))
            .col(date_null("since"))
            .col(date_null("until"))
            .foreign_key(&mut fk("membership", "cluster_id", "cluster", Cascade))
            .foreign_key(&mut fk(
                "membership",
                "organisation_id",
                "organisation",
                Cascade,
            ))
            .take(),
        entity("contact")
            .col(big_integer("organisation_id"))
            .col(string("name"))
            .col(string_null("role"))
            .col(string_null("email"))
            .col(string_len_null("phone", 32))
            .col(string_len("visibility", 16))
            .foreign_key(&mut fk(
                "contact",
                "organisation_id",
                "organisation",
                Cascade,
            ))
            .take(),
        entity("collaboration")
            .col(string_len_uniq("slug", 128))
            .col(string("name"))
            .col(string("programme"))
            .col(text_null("description"))
            .col(date_null("starts_on"))
            .col(date_null("ends_on"))
            .col(big_integer_null("budget_eur"))
            .col(string_len("status", 16))
            .col(string_null("website"))
            .take(),
        link("collaboration_theme", "collaboration_id", "theme_id"),
        entity("participant")
            .col(big_integer("collaboration_id"))
            .col(big_integer("organisation_id"))
            .col(big_integer_null("cluster_id"))
            .col(string_len("role", 16))
            .foreign_key(&mut fk(
                "participant",
                "collaboration_id",
                "collaboration",
                Cascade,
            ))
            .foreign_key(&mut fk(
                "participant",
                "organisation_id",
                "organisation",
                Cascade,
            ))
            .foreign_key(&mut fk("participant", "cluster_id", "cluster", SetNull))
            .take(),
        entity("event")
            .col(string_len_uniq("slug", 128))
            .col(string("title"))
            .col(text_null("description"))
            .col(string_len("format", 32))
            .col(timestamp_with_time_zone("starts_at"))
            .col(timestamp_with_time_zone("ends_at"))
            .col(string_len("time_zone", 64))
            .col(string_null("venue"))
            .col(string_null("city"))
            .col(char_len_null("country_code", 2))
            .col(string_null("online_url"))
            .col(string_len_null("language", 8))
            .col(string_null("registration_url"))
            .col(string_len("status", 16))
            .take(),
        entity("event_organiser")
            .col(big_integer("event_id"))
            .col(big_integer_null("cluster_id"))
            .col(big_integer_null("collaboration_id"))
            .col(big_integer_null("organisation_id"))
            .foreign_key(&mut fk("event_organiser", "event_id", "event", Cascade))
            .foreign_key(&mut fk("event_organiser", "cluster_id", "cluster", Cascade))
            .foreign_key(&mut fk(
                "event_organiser",
                "collaboration_id",
                "collaboration",
                Cascade,
            ))
            .foreign_key(&mut fk(
                "event_organiser",
                "organisation_id",
                "organisation",
                Cascade,
            ))
            .take(),
        link("event_theme", "event_id", "theme_id"),
        entity("offer_need")
            .col(big_integer("organisation_id"))
            .col(string_len("kind", 32))
            .col(string("title"))
            .col(text_null("description"))
            .col(date_null("valid_until"))
            .foreign_key(&mut fk(
                "offer_need",
                "organisation_id",
                "organisation",
                Cascade,
            ))
            .take(),
        link("offer_need_theme", "offer_need_id", "theme_id"),
        entity("interest")
            .col(big_integer("offer_need_id"))
            .col(big_integer("organisation_id"))
            .col(text_null("message"))
            .foreign_key(&mut fk("interest", "offer_need_id", "offer_need", Cascade))
            .foreign_key(&mut fk(
                "interest",
                "organisation_id",
                "organisation",
                Cascade,
            ))
            .take(),
        entity("indicator")
            .col(big_integer("cluster_id"))
            .col(integer("year"))
            .col(string_len("topic", 32))
            .col(string_len("key", 64))
            .col(double_null("value"))
            .col(string_len_null("unit", 32))
            .col(string_len_null("trend", 16))
            .col(text_null("goal"))
            .col(string_null("source"))
            .foreign_key(&mut fk("indicator", "cluster_id", "cluster", Cascade))
            .take(),
        entity("kpi")
            .col(big_integer_null("cluster_id"))
            .col(big_integer_null("collaboration_id"))
            .col(string("name"))
            .col(double_null("target"))
            .col(double_null("actual"))
            .col(string_len_null("unit", 32))
            .col(date("period_start"))
            .col(date("period_end"))
            .foreign_key(&mut fk("kpi", "cluster_id", "cluster", Cascade))
            .foreign_key(&mut fk("kpi", "collaboration_id", "collaboration", Cascade))
            .take(),
    ]
}

/// Indexes for the foreign keys that lists are paged by (keyed by parent, then id) and the
/// unique constraints of the model.
fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("region", &["parent_id"], false),
        index("organisation", &["name", "id"], false),
        index("organisation", &["country_code"], false),
        index("organisation", &["region_id"], false),
        index("organisation_theme", &["theme_id"], false),
        index("cluster", &["name", "id"], false),
        index("cluster", &["region_id"], false),
        index("cluster_theme", &["theme_id"], false),
        index("cluster_label", &["cluster_id"], false),
        index("membership", &["cluster_id", "organisation_id"], true),
        index("membership", &["organisation_id"], false),
        index("contact", &["organisation_id"], false),
        index("collaboration_theme", &["theme_id"], false),
        index(
            "participant",
            &["collaboration_id", "organisation_id"],
            true,
        ),
        index("participant", &["organisation_id"], false),
        index("participant", &["cluster_id"], false),
        index("event", &["starts_at", "id"], false),
        index("event_organiser", &["event_id"], false),
        index("event_organiser", &["cluster_id"], false),
        index("event_organiser", &["collaboration_id"], false),
        index("event_organiser", &["organisation_id"], false),
        index("event_theme", &["theme_id"], false),
        index("offer_need", &["organisation_id"], false),
        index("offer_need_theme", &["theme_id"], false),
        index("interest", &["offer_need_id", "organisation_id"], true),
        index("interest", &["organisation_id"], false),
        index("indicator", &["cluster_id", "year", "key"], true),
        index("kpi", &["cluster_id"], false),
        index("kpi", &["collaboration_id"], false),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping in reverse creation order never breaks a foreign key.
        for table in tables().iter().rev() {
            if let Some(name) = table.get_table_name() {
                manager
                    .drop_table(Table::drop().table(name.clone()).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}
