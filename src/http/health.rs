//! Liveness and readiness. `GET /health`: the process serves requests (restart it when this
//! fails). `GET /ready`: it can do useful work, because its database answers (take it out of the
//! load balancer while this fails).

use super::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Always 200 with `{"status":"ok"}` while the process serves requests.
pub async fn health() -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({ "status": "ok" })))
}

/// 200 with `{"status":"ok","database":"ok"}` when the database answers, 503 otherwise.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "ok" })),
        ),
        Err(err) => {
            if let crate::error::AppError::Internal(cause) = &err {
                tracing::error!(error = %crate::error::chain(cause.as_ref()), "readiness check failed");
            }
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}
