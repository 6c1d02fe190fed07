//! Building and running the server: the one function the command line and the tests both call.

use crate::config::ServeArgs;
use crate::db::Database;
use crate::error::AppResult;
use crate::http::{AppState, router};
use crate::services::demo;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    workers: usize,
    state: AppState,
    max_body_bytes: usize,
    db: Database,
}

impl Application {
    /// Connects, migrates (unless turned off), loads the demo data into an empty database (unless
    /// turned off) and binds the listener.
    pub async fn build(database_url: &str, args: &ServeArgs) -> AppResult<Self> {
        let workers = args.worker_count();
        let db = Database::connect_for_workers(database_url, args.max_connections, workers).await?;
        if !args.no_migrate {
            db.migrate().await?;
            crate::services::search::index::fill_if_empty(&db.conn).await?;
        }
        if !args.no_demo_data && demo::load_if_empty(&db.conn).await? {
            tracing::info!("loaded the demo dataset into the empty database");
        }
        let listener = TcpListener::bind(SocketAddr::new(args.host, args.port))
            .await
            .map_err(|e| crate::error::AppError::Internal(Box::new(e)))?;
        let state = AppState {
            schema: crate::graphql::build_schema_with(!args.no_federation, !args.no_introspection),
            limits: crate::http::cost::Limits {
                max_cost: args.max_query_cost,
                max_depth: args.max_query_depth,
                max_aliases: args.max_aliases,
                max_root_fields: args.max_root_fields,
                max_directives: args.max_directives,
            },
            timeout: std::time::Duration::from_secs(args.request_timeout_secs.max(1)),
            metrics: crate::http::metrics::Metrics::new(db.statement_counter()),
            rate: {
                use crate::http::rate::{Budget, RateLimiter, Trusted};
                let window = std::time::Duration::from_secs(args.rate_limit_window_secs.max(1));
                let trusted = args
                    .trusted_proxies
                    .iter()
                    .map(|t| Trusted::parse(t))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|m| crate::error::AppError::bad_input("trusted-proxies", m))?;
                RateLimiter::new(
                    Budget {
                        capacity: args.rate_limit_anonymous,
                        window,
                    },
                    Budget {
                        capacity: args.rate_limit_key,
                        window,
                    },
                    trusted,
                )
            },
            db: db.clone(),
            persisted: Default::default(),
            bus: crate::services::live::EventBus::new(&db),
            cache_max_age: args.cache_max_age,
            documents: Default::default(),
            shared: (workers > 1).then(|| crate::http::Shared {
                runtime: tokio::runtime::Handle::current(),
                db: db.clone(),
            }),
        };
        Ok(Self {
            listener,
            workers,
            state,
            max_body_bytes: args.max_body_bytes,
            db,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The database the server uses (tests read its statement count).
    pub fn database(&self) -> Database {
        self.db.clone()
    }

    /// Serves until Ctrl-C or SIGTERM, letting requests in flight finish, then closes the
    /// database connections (waiting at most [`CLOSE_WITHIN`] for those still in use).
    ///
    /// With one worker, the requests are served by the runtime this is called on. With more,
    /// each worker is a thread running a single-threaded runtime of its own, and the
    /// connections this runtime accepts are handed to the worker serving the fewest
    /// ([`crate::workers`]). Dropping the future stops the workers at once.
    pub async fn run(self) -> AppResult<()> {
        let served = match self.workers {
            0 | 1 => axum::serve(
                self.listener,
                router(self.state, self.max_body_bytes)
                    .into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| crate::error::AppError::Internal(Box::new(e))),
            n => {
                crate::workers::serve(
                    self.listener,
                    n,
                    self.state,
                    self.max_body_bytes,
                    shutdown_signal(),
                )
                .await
            }
        };
        if tokio::time::timeout(CLOSE_WITHIN, self.db.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still in use after {CLOSE_WITHIN:?}; exiting");
        }
        served
    }
}

/// How long a stopping server waits for database connections still in use (a subscription's
/// statement, say) before it exits without them.
pub(crate) const CLOSE_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
