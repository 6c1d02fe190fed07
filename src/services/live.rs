//! Live changes of events and expressions of interest, for subscriptions. On PostgreSQL a write announces its changes with
//! `pg_notify` inside its own transaction, so that they go out only if it commits, and every
//! replica hears them through `LISTEN`; on SQLite (one process) the changes go to this process's
//! subscribers once the write has committed.

use crate::db::Database;
use crate::error::AppResult;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL channel changes travel on.
const CHANNEL: &str = "cluster_directory_events";

/// What happened to an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum ChangeKind {
    /// The event was created.
    Created,
    /// The event changed (other than being cancelled).
    Updated,
    /// The event was cancelled; it stays listed, marked as cancelled.
    Cancelled,
    /// The event was deleted.
    Deleted,
}

/// One change of one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventChange {
    /// The event's public id.
    pub event: Uuid,
    /// What happened.
    pub kind: ChangeKind,
}

/// An organisation expressed interest in an offer or need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestChange {
    /// The interest's public id.
    pub interest: Uuid,
    /// The internal id of the organisation whose offer or need it is.
    pub owner: i64,
}

/// Anything subscribers hear about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum LiveChange {
    /// An event changed.
    Event(EventChange),
    /// Somebody expressed interest.
    Interest(InterestChange),
}

/// Fans changes out to this process's subscribers.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<LiveChange>,
    postgres: bool,
}

impl EventBus {
    /// A bus for the database; on PostgreSQL it starts listening for every replica's changes.
    pub fn new(db: &Database) -> Self {
        let (tx, _) = broadcast::channel(1024);
        let postgres = db.backend() == DbBackend::Postgres;
        if postgres {
            let pool = db.conn.get_postgres_connection_pool().clone();
            tokio::spawn(listen(pool, tx.clone()));
        }
        Self { tx, postgres }
    }

    /// A new subscriber.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveChange> {
        self.tx.subscribe()
    }

    /// Announces a change inside the write's transaction (PostgreSQL). Returns the change when
    /// it must instead be published after the commit (SQLite).
    pub async fn stage(
        &self,
        txn: &impl ConnectionTrait,
        change: LiveChange,
    ) -> AppResult<Option<LiveChange>> {
        if !self.postgres {
            return Ok(Some(change));
        }
        let payload = serde_json::to_string(&change)
            .map_err(|e| crate::error::AppError::Internal(Box::new(e)))?;
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await?;
        Ok(None)
    }

    /// Publishes changes of a committed write to this process's subscribers.
    pub fn publish(&self, changes: Vec<LiveChange>) {
        for change in changes {
            // Without subscribers there is nobody to tell.
            let _ = self.tx.send(change);
        }
    }
}

/// Forwards every replica's notifications to this process's subscribers, reconnecting after
/// failures.
async fn listen(pool: sea_orm::sqlx::PgPool, tx: broadcast::Sender<LiveChange>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let listener = async {
            let mut l = PgListener::connect_with(&pool).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(l)
        }
        .await;
        match listener {
            Ok(mut l) => loop {
                match l.recv().await {
                    Ok(n) => {
                        if let Ok(change) = serde_json::from_str::<LiveChange>(n.payload()) {
                            let _ = tx.send(change);
                        }
                    }
                    // The pool closed: the server is stopping (`Database::close`), and the
                    // listener has handed its connection back.
                    Err(_) if pool.is_closed() => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "event notifications interrupted; listening again");
                        break;
                    }
                }
            },
            Err(e) => tracing::warn!(error = %e, "cannot listen for event notifications; retrying"),
        }
        if pool.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
