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
#[derive(Clone)]
pub struct Database {
    /// The SeaORM connection pool: for transactions, streams and migrations.
    pub conn: DatabaseConnection,
    /// Statements outside transactions, on connections kept out of the pool between them.
    pub reads: Kept,
    statements: Counter,
    /// SQLite takes one writer at a time; writes of this process queue here instead of failing
    /// with `SQLITE_BUSY` when two transactions upgrade to writing at once.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
    record: kept::Record,
    /// How many connections each of the server's workers keeps for its reads; empty when the
    /// pool's own connections are kept ([`Self::connect_for_workers`]).
    shares: Arc<[u32]>,
    /// The workers' reads, for counting their connections.
    workers: Arc<std::sync::Mutex<Vec<Kept>>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend())
            .field("reads", &self.reads)
            .field("shares", &self.shares)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens the pool. SQLite files are created when missing and run in WAL mode with full
    /// synchronous commits and foreign keys on.
    pub async fn connect(url: &str, max_connections: u32) -> AppResult<Self> {
        Self::connect_for_workers(url, max_connections, 1).await
    }

    /// Opens the pool for a server whose `workers` each run a runtime of their own: the
    /// connections kept for reads are shared out between the workers, each opening its own
    /// from its runtime ([`Self::for_worker`]), so that a worker's statements are sent and
    /// answered on its own thread. The shared pool keeps the connections reserved for
    /// transactions (and on PostgreSQL the live-change listener's); `max_connections` bounds
    /// them all together.
    pub async fn connect_for_workers(
        url: &str,
        max_connections: u32,
        workers: usize,
    ) -> AppResult<Self> {
        let max_connections = max_connections.max(1);
        let postgres = url.starts_with("postgres:") || url.starts_with("postgresql:");
        // The pool keeps one connection for transactions, and on PostgreSQL one more that the
        // live-change listener holds for good (`services::live`).
        let reserved = if postgres { 2 } else { 1 };
        let (pooled, shares) = match u32::try_from(workers) {
            Ok(workers @ 2..) if max_connections > reserved => {
                // Each worker takes an equal share, and transactions what is left beside the
                // reserved connections (at least a worker's share): a worker with fewer
                // connections than another kept its requests waiting longer.
                let spare = max_connections - reserved;
                let share = spare / (workers + 1);
                let writes = spare - share * workers;
                (reserved + writes, vec![share; workers as usize])
            }
            _ => (max_connections, Vec::new()),
        };
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(pooled)
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
        let backend = conn.get_database_backend();
        let reads = Kept::new(conn.clone(), pooled, reserved, record.clone());
        let writer = (backend == DbBackend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Self {
            conn,
            reads,
            statements,
            writer,
            record,
            shares: shares.into(),
            workers: Default::default(),
        })
    }

    /// The database as worker `index` of the server uses it: its reads on connections it opens
    /// itself, from its own runtime, up to its share; transactions on the shared pool. Called on
    /// the worker's thread. Without a share (one worker, or too few connections to share out)
    /// the worker reads through the shared pool.
    pub fn for_worker(&self, index: usize) -> Self {
        let permits = self.shares.get(index).copied().unwrap_or(0);
        if permits == 0 {
            return self.clone();
        }
        let mut own = match self.backend() {
            DbBackend::Postgres => sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(
                pool_like(self.conn.get_postgres_connection_pool(), permits),
            ),
            _ => sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool_like(
                self.conn.get_sqlite_connection_pool(),
                permits,
            )),
        };
        let record = self.record.clone();
        own.set_metric_callback(move |info| record(&info.statement.sql, info.elapsed));
        let reads = Kept::keeping_from(
            own,
            self.conn.clone(),
            permits as usize,
            self.record.clone(),
        );
        self.workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(reads.clone());
        Self {
            reads,
            ..self.clone()
        }
    }

    /// The connections open to the database, and how many of them wait for work: the shared
    /// pool's and every worker's.
    pub fn connections(&self) -> (u32, usize) {
        let (mut open, mut idle) = match self.backend() {
            DbBackend::Postgres => {
                let p = self.conn.get_postgres_connection_pool();
                (p.size(), p.num_idle())
            }
            _ => {
                let p = self.conn.get_sqlite_connection_pool();
                (p.size(), p.num_idle())
            }
        };
        // sqlx counts its idle connections in an atomic that can wrap below zero for a moment,
        // so its count is held to the pool's size. Connections kept out of the pool between
        // statements wait for work as much as its own.
        idle = idle.min(open as usize);
        if self.shares.is_empty() {
            idle += self.reads.idle();
        }
        for worker in self
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let (o, i) = worker.counts();
            open += o;
            idle += i;
        }
        (open, idle)
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

/// A pool opening connections as `pool` does, at most `max`, none kept open for their own sake.
/// Its connections are opened on the runtime that asks for them first.
fn pool_like<DB: sea_orm::sqlx::Database>(
    pool: &sea_orm::sqlx::Pool<DB>,
    max: u32,
) -> sea_orm::sqlx::Pool<DB> {
    pool.options()
        .clone()
        .max_connections(max)
        .min_connections(0)
        .connect_lazy_with((*pool.connect_options()).clone())
}
