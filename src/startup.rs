//! Building and running the server: the one function the command line and the tests both call.

use crate::config::ServeArgs;
use crate::db::Database;
use crate::error::AppResult;
use crate::http::{AppState, router};
use crate::services::demo;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{oneshot, watch};

/// A server bound to its port, ready to run.
pub struct Application {
    /// One listening socket per worker, all on the same port.
    listeners: Vec<std::net::TcpListener>,
    state: AppState,
    max_body_bytes: usize,
    db: Database,
}

impl Application {
    /// Connects, migrates (unless turned off), loads the demo data into an empty database (unless
    /// turned off) and binds the listeners.
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
        let listeners = bind(SocketAddr::new(args.host, args.port), workers)
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
        };
        Ok(Self {
            listeners,
            state,
            max_body_bytes: args.max_body_bytes,
            db,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listeners
            .first()
            .and_then(|l| l.local_addr().ok())
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The database the server uses (tests read its statement count).
    pub fn database(&self) -> Database {
        self.db.clone()
    }

    /// Serves until Ctrl-C or SIGTERM, letting requests in flight finish, then closes the
    /// database connections (waiting at most [`CLOSE_WITHIN`] for those still in use).
    ///
    /// With one listener, the requests are served by the runtime this is called on. With more,
    /// each is served by a worker thread running a single-threaded runtime of its own: a
    /// request, its statements and their answers stay on one thread, where the runtime's
    /// threads otherwise wake and hand work to each other (docs/benchmarks.md). Dropping the
    /// future stops the workers at once.
    pub async fn run(mut self) -> AppResult<()> {
        let served = if self.listeners.len() == 1 {
            let listener = TcpListener::from_std(self.listeners.remove(0))
                .map_err(|e| crate::error::AppError::Internal(Box::new(e)))?;
            serve(
                listener,
                router(self.state, self.max_body_bytes),
                shutdown_signal(),
            )
            .await
        } else {
            self.run_workers().await
        };
        if tokio::time::timeout(CLOSE_WITHIN, self.db.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still in use after {CLOSE_WITHIN:?}; exiting");
        }
        served
    }

    async fn run_workers(&mut self) -> AppResult<()> {
        let (stop, _) = watch::channel(Stop::Serving);
        // Dropped with this future (a test's runtime ending, say), it stops the workers at once.
        let stop = StopOnDrop(stop);
        let mut finished = Vec::new();
        for (index, listener) in self.listeners.drain(..).enumerate() {
            let state = self.state.clone();
            let max_body_bytes = self.max_body_bytes;
            let stopped = stop.0.subscribe();
            let (done, finish) = oneshot::channel();
            std::thread::Builder::new()
                .name(format!("worker-{index}"))
                .spawn(move || {
                    let served = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| crate::error::AppError::Internal(Box::new(e)))
                        .and_then(|runtime| {
                            runtime.block_on(worker(
                                index,
                                listener,
                                state,
                                max_body_bytes,
                                stopped,
                            ))
                        });
                    let _ = done.send(served);
                })
                .map_err(|e| crate::error::AppError::Internal(Box::new(e)))?;
            finished.push(finish);
        }
        // A signal ends them all, and so does the first to end by itself (failing).
        let mut ending = futures_util::future::select_all(finished);
        let early = tokio::select! {
            () = shutdown_signal() => None,
            ended = &mut ending => Some(ended),
        };
        stop.0.send_replace(Stop::Finishing);
        let (first, _, rest) = match early {
            Some(ended) => ended,
            None => ending.await,
        };
        let mut served = first.unwrap_or_else(|e| Err(worker_lost(e)));
        for other in rest {
            served = served.and(other.await.unwrap_or_else(|e| Err(worker_lost(e))));
        }
        served
    }
}

/// A worker thread that ended without a word: it panicked.
fn worker_lost(e: oneshot::error::RecvError) -> crate::error::AppError {
    crate::error::AppError::Internal(format!("a worker stopped unexpectedly: {e}").into())
}

/// What the server's workers are told to do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stop {
    Serving,
    /// Finish the requests in flight, then end.
    Finishing,
    /// End now.
    Now,
}

struct StopOnDrop(watch::Sender<Stop>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.send_if_modified(|s| {
            let serving = *s == Stop::Serving;
            if serving {
                *s = Stop::Now;
            }
            serving
        });
    }
}

/// One worker: serves its listener on the runtime of its thread with its own connections for
/// reads, until told to stop; then closes them, here, where they were opened.
async fn worker(
    index: usize,
    listener: std::net::TcpListener,
    state: AppState,
    max_body_bytes: usize,
    stop: watch::Receiver<Stop>,
) -> AppResult<()> {
    let db = state.db.for_worker(index);
    let state = AppState {
        db: db.clone(),
        ..state
    };
    let served = match TcpListener::from_std(listener) {
        Ok(listener) => {
            let mut finishing = stop.clone();
            let mut now = stop;
            let finishing = async move {
                let _ = finishing.wait_for(|s| *s != Stop::Serving).await;
            };
            tokio::select! {
                served = serve(listener, router(state, max_body_bytes), finishing) => served,
                _ = now.wait_for(|s| *s == Stop::Now) => Ok(()),
            }
        }
        Err(e) => Err(crate::error::AppError::Internal(Box::new(e))),
    };
    // Connections this worker opened are closed on its runtime.
    let _ = tokio::time::timeout(CLOSE_WITHIN, db.reads.close()).await;
    served
}

async fn serve(
    listener: TcpListener,
    router: axum::Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> AppResult<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await
    .map_err(|e| crate::error::AppError::Internal(Box::new(e)))
}

/// `workers` listening sockets on `addr`: with more than one, each may share the port
/// (`SO_REUSEPORT`), and the kernel spreads new connections over them. Port 0 takes the port
/// the first one was given.
fn bind(addr: SocketAddr, workers: usize) -> std::io::Result<Vec<std::net::TcpListener>> {
    let first = listen(addr, workers > 1)?;
    let addr = first.local_addr()?;
    let mut all = vec![first];
    for _ in 1..workers {
        all.push(listen(addr, true)?);
    }
    Ok(all)
}

fn listen(addr: SocketAddr, share_port: bool) -> std::io::Result<std::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As `TcpListener::bind` does: a restarted server may bind while old connections linger.
    socket.set_reuseaddr(true)?;
    #[cfg(target_os = "linux")]
    socket.set_reuseport(share_port)?;
    #[cfg(not(target_os = "linux"))]
    let _ = share_port;
    socket.bind(addr)?;
    socket.listen(1024)?.into_std()
}

/// How long a stopping server waits for database connections still in use (a subscription's
/// statement, say) before it exits without them.
const CLOSE_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

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
