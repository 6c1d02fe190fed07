//! The event feed's theme filter: `event_theme` rows carry their event's country, start and end,
//! kept in step by triggers in the same transaction as every write, so that "upcoming events of
//! these themes in this country" is one range of one index instead of a probe into `event` for
//! every event of the theme (docs/benchmarks.md, Q4).

use crate::statements::Statements;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE event_theme ADD COLUMN country_code text, ADD COLUMN starts_at timestamptz, ADD COLUMN ends_at timestamptz",
    "UPDATE event_theme SET country_code = e.country_code, starts_at = e.starts_at, ends_at = e.ends_at FROM event e WHERE e.id = event_theme.event_id",
    "CREATE FUNCTION event_theme_fill() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
       SELECT e.country_code, e.starts_at, e.ends_at INTO NEW.country_code, NEW.starts_at, NEW.ends_at FROM event e WHERE e.id = NEW.event_id;
       RETURN NEW;
     END $$",
    "CREATE TRIGGER event_theme_fill BEFORE INSERT OR UPDATE OF event_id ON event_theme FOR EACH ROW EXECUTE FUNCTION event_theme_fill()",
    "CREATE FUNCTION event_theme_follow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
       UPDATE event_theme SET country_code = NEW.country_code, starts_at = NEW.starts_at, ends_at = NEW.ends_at WHERE event_id = NEW.id;
       RETURN NULL;
     END $$",
    "CREATE TRIGGER event_theme_follow AFTER UPDATE OF country_code, starts_at, ends_at ON event FOR EACH ROW
       WHEN (OLD.country_code IS DISTINCT FROM NEW.country_code OR OLD.starts_at IS DISTINCT FROM NEW.starts_at OR OLD.ends_at IS DISTINCT FROM NEW.ends_at)
       EXECUTE FUNCTION event_theme_follow()",
    "CREATE INDEX ix_event_theme_feed ON event_theme (theme_id, country_code, ends_at, event_id)",
    // Plans for the new columns need their statistics now, not at the next autovacuum.
    "ANALYZE event_theme",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX ix_event_theme_feed",
    "DROP TRIGGER event_theme_follow ON event",
    "DROP FUNCTION event_theme_follow()",
    "DROP TRIGGER event_theme_fill ON event_theme",
    "DROP FUNCTION event_theme_fill()",
    "ALTER TABLE event_theme DROP COLUMN country_code, DROP COLUMN starts_at, DROP COLUMN ends_at",
];

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE event_theme ADD COLUMN country_code TEXT",
    "ALTER TABLE event_theme ADD COLUMN starts_at TEXT",
    "ALTER TABLE event_theme ADD COLUMN ends_at TEXT",
    "UPDATE event_theme SET (country_code, starts_at, ends_at) = (SELECT e.country_code, e.starts_at, e.ends_at FROM event e WHERE e.id = event_theme.event_id)",
    "CREATE TRIGGER event_theme_fill AFTER INSERT ON event_theme FOR EACH ROW BEGIN
       UPDATE event_theme SET (country_code, starts_at, ends_at) = (SELECT e.country_code, e.starts_at, e.ends_at FROM event e WHERE e.id = NEW.event_id)
       WHERE event_id = NEW.event_id AND theme_id = NEW.theme_id;
     END",
    "CREATE TRIGGER event_theme_follow AFTER UPDATE OF country_code, starts_at, ends_at ON event FOR EACH ROW
       WHEN OLD.country_code IS NOT NEW.country_code OR OLD.starts_at IS NOT NEW.starts_at OR OLD.ends_at IS NOT NEW.ends_at
     BEGIN
       UPDATE event_theme SET country_code = NEW.country_code, starts_at = NEW.starts_at, ends_at = NEW.ends_at WHERE event_id = NEW.id;
     END",
    "CREATE INDEX ix_event_theme_feed ON event_theme (theme_id, country_code, ends_at, event_id)",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP INDEX ix_event_theme_feed",
    "DROP TRIGGER event_theme_follow",
    "DROP TRIGGER event_theme_fill",
    "ALTER TABLE event_theme DROP COLUMN country_code",
    "ALTER TABLE event_theme DROP COLUMN starts_at",
    "ALTER TABLE event_theme DROP COLUMN ends_at",
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
