//! The HTTP surface: GraphiQL at `/`, GraphQL over HTTP at `/graphql`, liveness at `/health`,
//! behind CORS, compression, a body limit, request ids and request tracing.

pub mod apq;
mod calendar;
pub mod cost;
pub mod documents;
mod graphql;
mod health;
mod live;
pub mod metrics;
mod order;
pub mod rate;

use crate::db::Database;
use crate::graphql::DirectorySchema;
use axum::Router;
use axum::http::{HeaderName, Method, header};
use axum::routing::get;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    pub schema: DirectorySchema,
    /// The database.
    pub db: Database,
    /// The automatic persisted queries this replica knows.
    pub persisted: apq::PersistedQueries,
    /// Where event changes reach subscribers.
    pub bus: crate::services::live::EventBus,
    /// What a query may ask for.
    pub limits: cost::Limits,
    /// How long a request may run.
    pub timeout: std::time::Duration,
    /// Cost budgets per key and client address.
    pub rate: rate::RateLimiter,
    /// Counters and histograms for `/metrics`.
    pub metrics: metrics::Metrics,
    /// `max-age` of cacheable GET answers, in seconds.
    pub cache_max_age: u32,
    /// Documents already parsed.
    pub documents: documents::Documents,
    /// Where mutations run when worker threads serve the requests (`crate::workers`); `None`
    /// when requests are served on the runtime the server started on.
    pub shared: Option<Shared>,
}

/// The runtime the server started on, with the shared pool, where mutations run when worker
/// threads serve the requests: there they do not wait their turn behind every request a
/// worker has in hand for each of their statements.
#[derive(Clone)]
pub struct Shared {
    /// The runtime's handle.
    pub runtime: tokio::runtime::Handle,
    /// The database with the shared pool's connections.
    pub db: Database,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The entity tag of an answer's body: weak, because compression sends the same answer as other
/// bytes.
pub fn weak_etag(body: impl AsRef<[u8]>) -> String {
    format!("W/\"{}\"", &apq::hash(body)[..32])
}

/// Whether the client's `If-None-Match` already names `etag` (or `*`), so `304` will do.
pub fn not_modified(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    let tag = etag.trim_start_matches("W/");
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == tag || t == "*")
        })
}

/// `GET /export.ndjson`: every public row as NDJSON, streamed in constant memory, ending with the
/// change-feed cursor to continue from.
async fn export(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use futures_util::StreamExt;
    let body = crate::services::export::stream(state.db.conn.clone()).map(|chunk| {
        chunk.map_err(|e| {
            if let crate::error::AppError::Internal(cause) = &e {
                tracing::error!(error = %crate::error::chain(cause.as_ref()), "export failed");
            }
            std::io::Error::other("export failed")
        })
    });
    (
        [(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

/// The application's routes and middleware.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
        .max_age(Duration::from_secs(3600));
    Router::new()
        .route("/", get(graphql::playground))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(live::ws))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(metrics::metrics))
        .route("/calendar.ics", get(calendar::feed))
        .route("/export.ndjson", get(export))
        .route("/events/{file}", get(calendar::one))
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::record,
        ))
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(max_body_bytes))
        .layer(CompressionLayer::new())
        .layer(cors)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
