//! Statements outside transactions, on connections kept out of the pool between statements.
//!
//! sqlx's pool tests every connection handed back to it with a round trip before anyone may take
//! it again: a `Sync` message answered by PostgreSQL, or a message to and from the connection's
//! thread on SQLite. A request sends one statement per level of its query, each on a connection
//! taken from the pool and handed back, so the test added a round trip to every statement and
//! kept the connection busy for it. Connections kept here pass from one statement to the next
//! without it.
//!
//! A connection goes back to the pool, which tests it and closes it when broken, whenever its
//! statement did not end cleanly: when the request was dropped part-way (the statement future is
//! dropped with the connection in it) or when the connection itself failed. It also goes back
//! after [`KEPT_FOR`], so that the pool's own lifetime rules still apply to it.

use sea_orm::sqlx::{self, IntoArguments, pool::PoolConnection};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement,
};
use sea_query_sqlx::SqlxValues;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a connection stays out of the pool before it is handed back once.
const KEPT_FOR: Duration = Duration::from_secs(5 * 60);

/// How long a statement waits for a connection before it fails, as the pool's own checkout does.
const WAIT_FOR: Duration = Duration::from_secs(10);

/// Records one statement: counted for `/metrics`, logged at debug level with its time.
pub type Record = Arc<dyn Fn(&str, Duration) + Send + Sync>;

/// Runs statements outside transactions: reads, mostly. Transactions, streams and migrations
/// use the pool directly ([`super::Database::conn`]).
#[derive(Clone)]
pub struct Kept {
    conns: Arc<Conns>,
    /// The pool itself: for statements that write, and for every statement when the pool is too
    /// small to keep a connection out of it.
    pool: DatabaseConnection,
    record: Record,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept").field("idle", &self.idle()).finish()
    }
}

enum Conns {
    Postgres(Idle<sqlx::Postgres>),
    Sqlite(Idle<sqlx::Sqlite>),
    /// The pool is too small to keep a connection out of it: all go through the pool.
    None,
}

/// Connections out of the pool, and how many may be.
struct Idle<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
    conns: Mutex<Vec<(PoolConnection<DB>, Instant)>>,
    /// At most this many connections are out of the pool at once, idle here or running a
    /// statement.
    permits: Semaphore,
}

impl Kept {
    /// Keeps up to `max_connections - reserved` of `pool`'s connections out of it between
    /// statements; `reserved` stay in the pool for everything else.
    pub fn new(
        pool: DatabaseConnection,
        max_connections: u32,
        reserved: u32,
        record: Record,
    ) -> Self {
        let permits = max_connections.saturating_sub(reserved) as usize;
        Self::keeping_from(pool.clone(), pool, permits, record)
    }

    /// Keeps up to `permits` connections of `own` out of it between statements, while
    /// statements that write, and every statement when `permits` is 0, go to `pool`: a server
    /// worker's reads, on connections of a pool of its own (see [`super::Database::for_worker`]).
    pub fn keeping_from(
        own: DatabaseConnection,
        pool: DatabaseConnection,
        permits: usize,
        record: Record,
    ) -> Self {
        let conns = match own.get_database_backend() {
            _ if permits == 0 => Conns::None,
            DbBackend::Postgres => {
                Conns::Postgres(Idle::new(own.get_postgres_connection_pool(), permits))
            }
            DbBackend::Sqlite => {
                Conns::Sqlite(Idle::new(own.get_sqlite_connection_pool(), permits))
            }
            _ => Conns::None,
        };
        Self {
            conns: Arc::new(conns),
            pool,
            record,
        }
    }

    /// The connections of the pool whose connections are kept here, open and waiting for work
    /// (in the pool or kept here); none when statements go to the shared pool.
    pub fn counts(&self) -> (u32, usize) {
        match &*self.conns {
            Conns::Postgres(i) => i.counts(),
            Conns::Sqlite(i) => i.counts(),
            Conns::None => (0, 0),
        }
    }

    /// How many connections wait here for their next statement.
    pub fn idle(&self) -> usize {
        match &*self.conns {
            Conns::Postgres(i) => i.len(),
            Conns::Sqlite(i) => i.len(),
            Conns::None => 0,
        }
    }

    /// Closes the pool, with the connections kept here (see [`super::Database::close`]).
    pub async fn close(&self) {
        match &*self.conns {
            Conns::Postgres(i) => i.close().await,
            Conns::Sqlite(i) => i.close().await,
            Conns::None => {
                let _ = self.pool.close_by_ref().await;
            }
        }
    }

    /// The rows of `stmt`; with `one`, its first row only.
    async fn rows(&self, stmt: Statement, one: bool) -> Result<Vec<QueryResult>, DbErr> {
        match &*self.conns {
            Conns::Postgres(i) => i.fetch(&stmt, one, &self.record).await,
            Conns::Sqlite(i) => i.fetch(&stmt, one, &self.record).await,
            Conns::None if one => Ok(self.pool.query_one_raw(stmt).await?.into_iter().collect()),
            Conns::None => self.pool.query_all_raw(stmt).await,
        }
    }
}

impl<DB> Idle<DB>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    SqlxValues: IntoArguments<DB>,
    QueryResult: From<DB::Row>,
{
    fn new(pool: &sqlx::Pool<DB>, permits: usize) -> Self {
        Self {
            pool: pool.clone(),
            conns: Mutex::new(Vec::with_capacity(permits)),
            permits: Semaphore::new(permits),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(PoolConnection<DB>, Instant)>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    /// The pool's size, and its idle connections with those kept here. sqlx counts its idle
    /// connections in an atomic that can wrap below zero for a moment, so its count is held to
    /// the pool's size.
    fn counts(&self) -> (u32, usize) {
        let size = self.pool.size();
        (size, self.pool.num_idle().min(size as usize) + self.len())
    }

    /// Keeps `conn` for the next statement, unless the pool is closing: then it goes back to
    /// the pool, which closes it. Checked under the lock that [`Self::close`] empties the list
    /// with, so that no connection is kept after that.
    fn keep(&self, conn: PoolConnection<DB>, since: Instant) {
        let mut conns = self.lock();
        if !self.pool.is_closed() {
            conns.push((conn, since));
        }
    }

    async fn close(&self) {
        // Marked closed at once, before the list is emptied (see `keep`).
        let closing = self.pool.close();
        let kept = std::mem::take(&mut *self.lock());
        drop(kept);
        closing.await;
    }

    /// A connection for one statement: an idle one kept here, else a new one from the pool.
    async fn take(&self) -> Result<(SemaphorePermit<'_>, PoolConnection<DB>, Instant), DbErr> {
        let permit = tokio::time::timeout(WAIT_FOR, self.permits.acquire())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))?
            .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::ConnectionClosed))?;
        let idle = self.lock().pop();
        if let Some((conn, since)) = idle {
            if since.elapsed() < KEPT_FOR {
                return Ok((permit, conn, since));
            }
            // Dropped, it goes back to the pool, which tests it and applies its lifetime.
            drop(conn);
        }
        let conn = self.pool.acquire().await.map_err(|e| match e {
            sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout),
            e => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))),
        })?;
        Ok((permit, conn, Instant::now()))
    }

    /// Runs `stmt` and records it, as the pool's own statements are.
    async fn fetch(
        &self,
        stmt: &Statement,
        one: bool,
        record: &Record,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let (_permit, mut conn, since) = self.take().await?;
        let started = Instant::now();
        let values = SqlxValues(stmt.values.clone().unwrap_or(sea_orm::Values(Vec::new())));
        let query = sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), values);
        let rows = if one {
            query.fetch_optional(&mut *conn).await.map(Vec::from_iter)
        } else {
            query.fetch_all(&mut *conn).await
        };
        record(&stmt.sql, started.elapsed());
        match rows {
            Ok(rows) => {
                self.keep(conn, since);
                Ok(rows.into_iter().map(QueryResult::from).collect())
            }
            Err(e) => {
                // The database refused the statement and said so: the connection is fine.
                // Anything else may have left it broken or part-way, so the pool tests it.
                if matches!(e, sqlx::Error::Database(_)) {
                    self.keep(conn, since);
                }
                Err(DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))
            }
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Kept {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.pool.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.pool.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        Ok(self.rows(stmt, true).await?.into_iter().next())
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.rows(stmt, false).await
    }
}
