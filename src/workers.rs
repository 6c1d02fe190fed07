//! Serving requests on worker threads, each running a single-threaded runtime of its own.
//!
//! On one runtime whose threads share the work, a request's futures, its statements' answers
//! and its response pass between threads, and the threads wake each other to hand work over:
//! about a sixth of the server's CPU went to the kernel switching and waking threads
//! (docs/benchmarks.md). Here a connection is accepted on the runtime [`serve`] is called on,
//! handed to the worker that serves the fewest connections, and from then on served by that
//! worker's thread alone, with connections to the database for its reads that the worker opens
//! itself ([`Database::for_worker`](crate::db::Database::for_worker)).

use crate::error::{AppError, AppResult};
use crate::http::{AppState, router};
use crate::startup::CLOSE_WITHIN;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

/// Serves `listener` on `workers` worker threads until `signal`, then lets the requests in
/// flight finish. Ends early, with the others stopped the same way, when a worker fails.
pub async fn serve(
    listener: TcpListener,
    workers: usize,
    state: AppState,
    max_body_bytes: usize,
    signal: impl Future<Output = ()>,
) -> AppResult<()> {
    let local = listener
        .local_addr()
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    let (stop, _) = watch::channel(Stop::Serving);
    // Dropped with this future (a test's runtime ending, say), it stops the workers at once.
    let stop = StopOnDrop(stop);
    let mut handing = Vec::with_capacity(workers);
    let mut finished = Vec::with_capacity(workers);
    for index in 0..workers {
        let (to_worker, connections) = mpsc::unbounded_channel();
        let live = Arc::new(AtomicUsize::new(0));
        let handed = Handed {
            connections,
            live: live.clone(),
            local,
        };
        let state = state.clone();
        let stopped = stop.0.subscribe();
        let (done, finish) = oneshot::channel();
        std::thread::Builder::new()
            .name(format!("worker-{index}"))
            .spawn(move || {
                let served = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| AppError::Internal(Box::new(e)))
                    .and_then(|runtime| {
                        runtime.block_on(worker(index, handed, state, max_body_bytes, stopped))
                    });
                let _ = done.send(served);
            })
            .map_err(|e| AppError::Internal(Box::new(e)))?;
        handing.push((to_worker, live));
        finished.push(finish);
    }
    let mut ending = futures_util::future::select_all(finished);
    let mut signal = std::pin::pin!(signal);
    let mut next = 0;
    let early = loop {
        tokio::select! {
            () = &mut signal => break None,
            ended = &mut ending => break Some(ended),
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    next = hand_over(&handing, next, stream, peer);
                }
                Err(e) => refused(e).await,
            },
        }
    };
    // No more connections: the listener closes, the workers finish what they have.
    drop(listener);
    drop(handing);
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

type Handing = (
    mpsc::UnboundedSender<(std::net::TcpStream, SocketAddr)>,
    Arc<AtomicUsize>,
);

/// Hands `stream` to the worker serving the fewest connections, the first of them from `next`
/// on, so that equals take turns; returns where the next turn starts.
fn hand_over(handing: &[Handing], next: usize, stream: TcpStream, peer: SocketAddr) -> usize {
    let chosen = least_loaded(
        handing.iter().map(|(_, live)| live.load(Ordering::Relaxed)),
        next,
    );
    let (to_worker, live) = &handing[chosen];
    // Out of this runtime's reactor, to be registered with the worker's.
    match stream.into_std() {
        Ok(stream) => {
            live.fetch_add(1, Ordering::Relaxed);
            if to_worker.send((stream, peer)).is_err() {
                live.fetch_sub(1, Ordering::Relaxed);
            }
        }
        Err(e) => tracing::warn!(error = %e, %peer, "cannot hand over a connection"),
    }
    (chosen + 1) % handing.len()
}

/// The index of the smallest of `loads`, the first from `from` on (wrapping) among equals.
fn least_loaded(loads: impl ExactSizeIterator<Item = usize>, from: usize) -> usize {
    let n = loads.len();
    let loads: Vec<usize> = loads.collect();
    (0..n)
        .map(|i| (from + i) % n)
        .min_by_key(|&i| loads[i])
        .unwrap_or(0)
}

/// An error accepting a connection: one that concerns that connection alone is passed over;
/// others (out of file descriptors, say) are logged and waited out, as `axum::serve` does.
async fn refused(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        tracing::error!(error = %e, "cannot accept connections; trying again in a second");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// A worker thread that ended without a word: it panicked.
fn worker_lost(e: oneshot::error::RecvError) -> AppError {
    AppError::Internal(format!("a worker stopped unexpectedly: {e}").into())
}

/// What the workers are told to do.
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

/// One worker: serves the connections handed to it on the runtime of its thread, with its own
/// connections to the database for reads, until told to stop; then closes those, here, where
/// they were opened.
async fn worker(
    index: usize,
    handed: Handed,
    state: AppState,
    max_body_bytes: usize,
    stop: watch::Receiver<Stop>,
) -> AppResult<()> {
    use axum::serve::ListenerExt;
    let db = state.db.for_worker(index);
    let state = AppState {
        db: db.clone(),
        ..state
    };
    let mut finishing = stop.clone();
    let mut now = stop;
    let finishing = async move {
        let _ = finishing.wait_for(|s| *s != Stop::Serving).await;
    };
    // `tap_io` lends the listener the client's address as `ConnectInfo<SocketAddr>`.
    let app = router(state, max_body_bytes).into_make_service_with_connect_info::<SocketAddr>();
    let served = tokio::select! {
        served = axum::serve(handed.tap_io(|_| {}), app).with_graceful_shutdown(finishing) => {
            served.map_err(|e| AppError::Internal(Box::new(e)))
        }
        _ = now.wait_for(|s| *s == Stop::Now) => Ok(()),
    };
    // Connections this worker opened are closed on its runtime.
    let _ = tokio::time::timeout(CLOSE_WITHIN, db.reads.close()).await;
    served
}

/// The connections handed to one worker, as a listener of its own.
struct Handed {
    connections: mpsc::UnboundedReceiver<(std::net::TcpStream, SocketAddr)>,
    /// How many of them are open.
    live: Arc<AtomicUsize>,
    local: SocketAddr,
}

impl axum::serve::Listener for Handed {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Counted, SocketAddr) {
        loop {
            let Some((stream, peer)) = self.connections.recv().await else {
                // Nothing more will come; the worker ends when told to.
                return std::future::pending().await;
            };
            match TcpStream::from_std(stream) {
                Ok(io) => {
                    let live = self.live.clone();
                    return (Counted { io, live }, peer);
                }
                Err(e) => {
                    self.live.fetch_sub(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, %peer, "cannot serve a connection");
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// A connection, counted among its worker's open ones until it is dropped.
struct Counted {
    io: TcpStream,
    live: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::least_loaded;

    #[test]
    fn connections_go_to_the_least_loaded_worker_and_equals_take_turns() {
        assert_eq!(least_loaded([3, 1, 2].into_iter(), 0), 1);
        assert_eq!(least_loaded([0, 0, 0].into_iter(), 0), 0);
        assert_eq!(least_loaded([0, 0, 0].into_iter(), 1), 1);
        assert_eq!(least_loaded([0, 0, 0].into_iter(), 2), 2);
        assert_eq!(least_loaded([0, 1, 0].into_iter(), 1), 2);
        assert_eq!(least_loaded([1, 1, 0, 1].into_iter(), 3), 2);
    }
}
