//! `GET /metrics` in the OpenMetrics text format (which Prometheus reads): requests by route and
//! status, latencies, GraphQL errors by code, query cost, the database pool and the SQL statements sent.

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

type Latency = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The metrics of this replica.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    errors: Family<CodeLabels, Counter>,
    cost: Histogram,
    pool_connections: Gauge,
    pool_idle: Gauge,
}

impl Metrics {
    /// The metrics of this replica, publishing the database's own statement count.
    pub fn new(statements: Counter) -> Self {
        let mut registry = Registry::with_prefix("cluster_directory");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Latency = Family::new_with_constructor(latency_histogram);
        let errors = Family::<CodeLabels, Counter>::default();
        let cost = Histogram::new(exponential_buckets(1.0, 4.0, 10));
        let pool_connections = Gauge::default();
        let pool_idle = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        registry.register(
            "graphql_errors",
            "GraphQL errors by extensions.code",
            errors.clone(),
        );
        registry.register(
            "graphql_query_cost",
            "Rows a query could return, as judged before it ran",
            cost.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections",
            pool_idle.clone(),
        );
        registry.register(
            "db_statements",
            "SQL statements sent to the database",
            statements,
        );
        Self {
            registry: Arc::new(registry),
            requests,
            latency,
            errors,
            cost,
            pool_connections,
            pool_idle,
        }
    }

    /// Counts a GraphQL error.
    pub fn error(&self, code: &str) {
        self.errors
            .get_or_create(&CodeLabels {
                code: code.to_owned(),
            })
            .inc();
    }

    /// Records a query's cost.
    pub fn cost(&self, cost: u64) {
        self.cost.observe(cost as f64);
    }
}

/// Middleware: counts and times every request by its route.
pub async fn record(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<super::AppState>) -> Response {
    let m = &state.metrics;
    let (size, idle) = state.db.connections();
    m.pool_connections.set(i64::from(size));
    m.pool_idle.set(i64::try_from(idle).unwrap_or(i64::MAX));
    let mut text = String::new();
    if encode(&mut text, &m.registry).is_err() {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "metrics failed",
        )
            .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
