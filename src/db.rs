//! Connecting to SQLite or PostgreSQL, migrating, and counting the SQL statements sent.

use crate::error::AppResult;
use migration::{Migrator, MigratorTrait};
use prometheus_client::metrics::counter::Counter;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend};
use std::sync::Arc;
use std::time::Duration;

pub mod bulk;
pub mod decode;
mod kept;
mod rank;
pub use kept::Kept;

/// The database the server works on, with a running count of the statements sent to it.
#[derive(Clone, Debug)]
pub struct Database {
    /// The SeaORM connection pool: for transactions, streams and migrations.
    pub conn: DatabaseConnection,
    /// Statements outside transactions, on connections kept out of the pool between them.
    pub reads: Kept,
    statements: Counter,
    /// SQLite takes one writer at a time; writes of this process queue here instead of failing
    /// with `SQLITE_BUSY` when two transactions upgrade to writing at once.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl Database {
    /// Opens the pool. SQLite files are created when missing and run in WAL mode with full
    /// synchronous commits and foreign keys on.
    pub async fn connect(url: &str, max_connections: u32) -> AppResult<Self> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(max_connections.max(1))
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            // A ping before every checkout doubled the round trips of a one-statement query;
            // a connection that broke is dropped when a statement on it fails, and recycled.
            .test_before_acquire(false)
            .max_lifetime(Duration::from_secs(30 * 60))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .create_if_missing(true)
                    // Each connection's thread hands its rows over through a channel of this
                    // many; at sqlx's 50 the thread stopped, and both sides switched threads,
                    // every 50 rows of a nested list's page, a search's windows or matchmaking's
                    // candidates. 1,024 holds all of them.
                    .row_buffer_size(1024)
            })
            .map_sqlx_sqlite_pool_opts(|o| {
                o.after_connect(|conn, _| Box::pin(async move { rank::register(conn).await }))
            });
        let mut conn = sea_orm::Database::connect(options).await?;
        let statements = Counter::default();
        let counter = statements.clone();
        let record: kept::Record = Arc::new(move |sql, elapsed| {
            tracing::debug!(target: "cluster_directory::sql", ?elapsed, %sql);
            counter.inc();
        });
        let on_pool = record.clone();
        conn.set_metric_callback(move |info| on_pool(&info.statement.sql, info.elapsed));
        // The pool keeps one connection for transactions, and on PostgreSQL one more that the
        // live-change listener holds for good (`services::live`).
        let backend = conn.get_database_backend();
        let reserved = match backend {
            DbBackend::Postgres => 2,
            _ => 1,
        };
        let reads = Kept::new(conn.clone(), max_connections, reserved, record);
        let writer = (backend == DbBackend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Self {
            conn,
            reads,
            statements,
            writer,
        })
    }

    /// Waits for this process's turn to write (SQLite); nothing to wait for on PostgreSQL.
    pub async fn writer_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        }
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> AppResult<()> {
        Migrator::up(&self.conn, None).await?;
        Ok(())
    }

    /// How many SQL statements this pool has executed since it opened.
    pub fn statements(&self) -> u64 {
        self.statements.get()
    }

    /// The statement count itself, for `/metrics` to publish.
    pub fn statement_counter(&self) -> Counter {
        self.statements.clone()
    }

    /// Which database engine this is.
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Closes every connection: those kept out of the pool, the pool's idle ones, and each one
    /// in use as soon as it is handed back; statements started afterwards fail. Ends once all are
    /// closed. On SQLite the last connection to close folds the write-ahead log into the database
    /// and removes it.
    pub async fn close(&self) {
        self.reads.close().await;
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> AppResult<()> {
        self.conn.execute_unprepared("SELECT 1").await?;
        Ok(())
    }
}
