//! Matchmaking's candidates read from one index: `offer_need_theme` rows carry their offer's or
//! need's side (offer or need), organisation and end of validity, kept in step by triggers in
//! the same transaction as every write, and the index `(theme_id, offer, offer_need_id,
//! organisation_id, valid_until)` hands over the newest open counterparts of a theme on the
//! other side without visiting `offer_need` for each of them, half of which are on the
//! subject's own side (docs/benchmarks.md, Q9).

use crate::statements::Statements;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "CREATE INDEX ix_offer_need_theme_candidates ON offer_need_theme (theme_id, offer, offer_need_id, organisation_id, valid_until)";

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE offer_need_theme ADD COLUMN offer boolean, ADD COLUMN organisation_id bigint, ADD COLUMN valid_until date",
    "UPDATE offer_need_theme SET offer = o.kind LIKE '%offer', organisation_id = o.organisation_id, valid_until = o.valid_until FROM offer_need o WHERE o.id = offer_need_theme.offer_need_id",
    "CREATE FUNCTION offer_need_theme_fill() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
       SELECT o.kind LIKE '%offer', o.organisation_id, o.valid_until INTO NEW.offer, NEW.organisation_id, NEW.valid_until FROM offer_need o WHERE o.id = NEW.offer_need_id;
       RETURN NEW;
     END $$",
    "CREATE TRIGGER offer_need_theme_fill BEFORE INSERT OR UPDATE OF offer_need_id ON offer_need_theme FOR EACH ROW EXECUTE FUNCTION offer_need_theme_fill()",
    "CREATE FUNCTION offer_need_theme_follow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
       UPDATE offer_need_theme SET offer = NEW.kind LIKE '%offer', organisation_id = NEW.organisation_id, valid_until = NEW.valid_until WHERE offer_need_id = NEW.id;
       RETURN NULL;
     END $$",
    "CREATE TRIGGER offer_need_theme_follow AFTER UPDATE OF kind, organisation_id, valid_until ON offer_need FOR EACH ROW
       WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id OR OLD.valid_until IS DISTINCT FROM NEW.valid_until)
       EXECUTE FUNCTION offer_need_theme_follow()",
    INDEX,
    // Plans for the new columns need their statistics now, not at the next autovacuum.
    "ANALYZE offer_need_theme",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX ix_offer_need_theme_candidates",
    "DROP TRIGGER offer_need_theme_follow ON offer_need",
    "DROP FUNCTION offer_need_theme_follow()",
    "DROP TRIGGER offer_need_theme_fill ON offer_need_theme",
    "DROP FUNCTION offer_need_theme_fill()",
    "ALTER TABLE offer_need_theme DROP COLUMN offer, DROP COLUMN organisation_id, DROP COLUMN valid_until",
];

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE offer_need_theme ADD COLUMN offer INTEGER",
    "ALTER TABLE offer_need_theme ADD COLUMN organisation_id INTEGER",
    "ALTER TABLE offer_need_theme ADD COLUMN valid_until TEXT",
    "UPDATE offer_need_theme SET (offer, organisation_id, valid_until) = (SELECT o.kind LIKE '%offer', o.organisation_id, o.valid_until FROM offer_need o WHERE o.id = offer_need_theme.offer_need_id)",
    "CREATE TRIGGER offer_need_theme_fill AFTER INSERT ON offer_need_theme FOR EACH ROW BEGIN
       UPDATE offer_need_theme SET (offer, organisation_id, valid_until) = (SELECT o.kind LIKE '%offer', o.organisation_id, o.valid_until FROM offer_need o WHERE o.id = NEW.offer_need_id)
       WHERE offer_need_id = NEW.offer_need_id AND theme_id = NEW.theme_id;
     END",
    "CREATE TRIGGER offer_need_theme_follow AFTER UPDATE OF kind, organisation_id, valid_until ON offer_need FOR EACH ROW
       WHEN OLD.kind IS NOT NEW.kind OR OLD.organisation_id IS NOT NEW.organisation_id OR OLD.valid_until IS NOT NEW.valid_until
     BEGIN
       UPDATE offer_need_theme SET offer = NEW.kind LIKE '%offer', organisation_id = NEW.organisation_id, valid_until = NEW.valid_until WHERE offer_need_id = NEW.id;
     END",
    INDEX,
];

const SQLITE_DOWN: &[&str] = &[
    "DROP INDEX ix_offer_need_theme_candidates",
    "DROP TRIGGER offer_need_theme_follow",
    "DROP TRIGGER offer_need_theme_fill",
    "ALTER TABLE offer_need_theme DROP COLUMN offer",
    "ALTER TABLE offer_need_theme DROP COLUMN organisation_id",
    "ALTER TABLE offer_need_theme DROP COLUMN valid_until",
];

const SQL: Statements = Statements {
    postgres_up: POSTGRES_UP,
    postgres_down: POSTGRES_DOWN,
    sqlite_up: SQLITE_UP,
    sqlite_down: SQLITE_DOWN,
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too (PostgreSQL migrates in a transaction anyway): a start
    /// killed half-way leaves no half-made columns, triggers or index behind.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        SQL.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        SQL.down(manager).await
    }
}
