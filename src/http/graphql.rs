//! GraphQL over HTTP, following the GraphQL-over-HTTP specification: JSON bodies only on POST,
//! queries only on GET, content negotiation between `application/graphql-response+json` and
//! `application/json`, and 4xx statuses for requests that cannot be executed.

use super::AppState;
use super::apq::Lookup;
use super::order::Shape;
use crate::graphql::loader::Loaders;
use crate::services::audit::RequestId;
use crate::services::keys;
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response, ServerError, Variables};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::net::SocketAddr;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// `GET /`: the GraphiQL playground.
pub async fn playground() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("cluster-directory")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

/// Which media type the client accepts for the response.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Media {
    GraphqlResponse,
    Json,
}

impl Media {
    fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Some(Self::Json);
        };
        let types: Vec<&str> = accept
            .split(',')
            .filter_map(|part| {
                let mut it = part.split(';');
                let media = it.next()?.trim();
                let refused = it.any(|p| p.trim().replace(' ', "") == "q=0");
                (!refused).then_some(media)
            })
            .collect();
        if types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(GRAPHQL_RESPONSE))
        {
            Some(Self::GraphqlResponse)
        } else if types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(JSON) || *t == "*/*" || *t == "application/*")
        {
            Some(Self::Json)
        } else {
            None
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }
}

/// A request error: never executed, answered without `data`.
fn request_error(
    media: Media,
    status: StatusCode,
    code: &str,
    message: &str,
) -> axum::response::Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let status = if media == Media::Json && status == StatusCode::OK {
        StatusCode::OK
    } else {
        status
    };
    (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        body.to_string(),
    )
        .into_response()
}

fn not_acceptable() -> axum::response::Response {
    let body = json!({ "errors": [{ "message": format!("this endpoint answers `{GRAPHQL_RESPONSE}` or `{JSON}`; send an Accept header with one of them"), "extensions": { "code": "NOT_ACCEPTABLE" } }] });
    (
        StatusCode::NOT_ACCEPTABLE,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// The parameters of a GraphQL request, from a JSON body or a query string. The query may be
/// absent when the request names a persisted query.
struct Params {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
    extensions: Option<Map<String, Value>>,
}

fn bad(media: Media, message: &str) -> axum::response::Response {
    request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

/// Reads the parameters object shared by POST bodies and (after decoding) GET query strings;
/// the error says what to fix.
fn params_from(object: Map<String, Value>) -> Result<Params, String> {
    let persisted = object
        .get("extensions")
        .and_then(|e| e.get("persistedQuery"))
        .is_some();
    let query = match object.get("query") {
        Some(Value::String(q)) => Some(q.clone()),
        Some(Value::Null) | None if persisted => None,
        Some(_) => return Err("`query` must be a string holding a GraphQL document".into()),
        None => {
            return Err("the request has no `query`; send the GraphQL document in `query`".into());
        }
    };
    let operation_name = match object.get("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("`operationName` must be a string or null".into()),
    };
    let map_of = |key: &str| -> Result<Option<Map<String, Value>>, String> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m.clone())),
            Some(_) => Err(format!("`{key}` must be a JSON object or null")),
        }
    };
    Ok(Params {
        query,
        operation_name,
        variables: map_of("variables")?,
        extensions: map_of("extensions")?,
    })
}

/// The raw GET query string parameters.
#[derive(Deserialize)]
pub struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// `GET /graphql`: queries only; a mutation is refused with 405.
pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(raw): Query<GetParams>,
) -> axum::response::Response {
    let Some(media) = Media::negotiate(&headers) else {
        return not_acceptable();
    };
    let mut object = Map::new();
    if let Some(q) = raw.query {
        object.insert("query".into(), Value::String(q));
    }
    if let Some(op) = raw.operation_name {
        object.insert("operationName".into(), Value::String(op));
    }
    for (key, text) in [("variables", raw.variables), ("extensions", raw.extensions)] {
        if let Some(text) = text {
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => {
                    object.insert(key.into(), v);
                }
                Err(_) => return bad(media, &format!("`{key}` must be URL-encoded JSON")),
            }
        }
    }
    let params = match params_from(object) {
        Ok(p) => p,
        Err(message) => return bad(media, &message),
    };
    let (query, params) = match persisted(&state, params, media) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let response = execute(&state, peer, &headers, query, params, media, true).await;
    cacheable(&state, &headers, response)
}

/// `POST /graphql`: a JSON body with `query`, `variables`, `operationName` and `extensions`.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let Some(media) = Media::negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case(JSON) {
        return request_error(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as `Content-Type: application/json`",
        );
    }
    let object = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(o)) => o,
        Ok(Value::Array(_)) => {
            return bad(
                media,
                "batched requests are not supported; send one operation per request",
            );
        }
        Ok(_) => return bad(media, "the body must be a JSON object with a `query`"),
        Err(_) => return bad(media, "the body is not valid JSON"),
    };
    let params = match params_from(object) {
        Ok(p) => p,
        Err(message) => return bad(media, &message),
    };
    let (query, params) = match persisted(&state, params, media) {
        Ok(found) => found,
        Err(response) => return response,
    };
    execute(&state, peer, &headers, query, params, media, false).await
}

/// The query a request runs: its own, or the persisted one its hash names.
#[allow(clippy::result_large_err)]
fn persisted(
    state: &AppState,
    params: Params,
    media: Media,
) -> Result<(String, Params), axum::response::Response> {
    let extension = params
        .extensions
        .as_ref()
        .and_then(|e| e.get("persistedQuery"));
    match state.persisted.resolve(params.query.as_deref(), extension) {
        Lookup::None => match params.query.clone() {
            Some(q) => Ok((q, params)),
            None => Err(bad(
                media,
                "the request has no `query`; send the GraphQL document in `query`",
            )),
        },
        Lookup::Found(q) => Ok((q.to_string(), params)),
        Lookup::NotFound => {
            let body = json!({ "errors": [{ "message": "PersistedQueryNotFound", "extensions": { "code": "PERSISTED_QUERY_NOT_FOUND" } }] });
            Err((
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, media.content_type()),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("private, no-cache, must-revalidate"),
                    ),
                ],
                body.to_string(),
            )
                .into_response())
        }
        Lookup::Mismatch => Err(request_error(
            media,
            StatusCode::BAD_REQUEST,
            "PERSISTED_QUERY_HASH_MISMATCH",
            "the query's SHA-256 hash is not `extensions.persistedQuery.sha256Hash`",
        )),
        Lookup::Unsupported => Err(request_error(
            media,
            StatusCode::BAD_REQUEST,
            "PERSISTED_QUERY_NOT_SUPPORTED",
            "`extensions.persistedQuery` must be `{ \"version\": 1, \"sha256Hash\": \"<hex>\" }`",
        )),
    }
}

/// Adds `Cache-Control` and an `ETag` to a successful answer to a GET query, and answers
/// `304 Not Modified` when the client already holds that version. Answers that depend on an API
/// key are private to the client; errors are not cached.
fn cacheable(
    state: &AppState,
    headers: &HeaderMap,
    response: axum::response::Response,
) -> axum::response::Response {
    use axum::body::Body;
    let (mut parts, body) = response.into_parts();
    if parts.status != StatusCode::OK || parts.headers.contains_key(header::CACHE_CONTROL) {
        return axum::response::Response::from_parts(parts, body);
    }
    let Some(bytes) = parts.extensions.remove::<ResponseBody>() else {
        return axum::response::Response::from_parts(parts, body);
    };
    let with_key = headers.contains_key(header::AUTHORIZATION);
    let cache_control = if bytes.has_errors {
        "no-store".to_owned()
    } else if with_key {
        format!("private, max-age={}", state.cache_max_age)
    } else {
        format!("public, max-age={}", state.cache_max_age)
    };
    let etag = super::weak_etag(&bytes.text);
    if let Ok(v) = HeaderValue::from_str(&cache_control) {
        parts.headers.insert(header::CACHE_CONTROL, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, v);
    }
    parts.headers.insert(
        header::VARY,
        HeaderValue::from_static("accept, accept-language, authorization"),
    );
    if super::not_modified(headers, &etag) && !bytes.has_errors {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        return axum::response::Response::from_parts(parts, Body::empty());
    }
    axum::response::Response::from_parts(parts, body)
}

/// The text of an answer, kept beside it so that GET answers can be tagged without re-reading
/// the body.
#[derive(Clone)]
struct ResponseBody {
    text: Bytes,
    has_errors: bool,
}

async fn execute(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    query: String,
    params: Params,
    media: Media,
    over_get: bool,
) -> axum::response::Response {
    // Parsed once, for the GET rule, the limits and the execution.
    let doc = state.documents.parse(&query);
    let mutation = doc
        .as_ref()
        .and_then(|d| super::cost::operation(d, params.operation_name.as_deref()))
        .is_some_and(|op| op.ty == OperationType::Mutation);
    let asked = Asked { query, doc, params };
    match &state.shared {
        // A worker's runtime serves its connections' requests in turn, a statement's answer
        // waiting for every other ready request to be polled once; a write, several statements
        // long and holding SQLite's writer turn through them, waited that long for each.
        Some(shared) if mutation && !over_get => {
            let state = AppState {
                db: shared.db.clone(),
                shared: None,
                ..state.clone()
            };
            let headers = headers.clone();
            let ran = shared.runtime.spawn(async move {
                execute_parsed(&state, peer, &headers, asked, media, over_get).await
            });
            ran.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "a mutation's task failed");
                request_error(
                    media,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "internal server error",
                )
            })
        }
        _ => execute_parsed(state, peer, headers, asked, media, over_get).await,
    }
}

/// What a request asks for: its document, parsed when it parses, and its parameters.
struct Asked {
    query: String,
    doc: Option<async_graphql::parser::types::ExecutableDocument>,
    params: Params,
}

async fn execute_parsed(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    asked: Asked,
    media: Media,
    over_get: bool,
) -> axum::response::Response {
    let Asked { query, doc, params } = asked;
    let operation = doc
        .as_ref()
        .and_then(|d| super::cost::operation(d, params.operation_name.as_deref()));
    if over_get && operation.is_some_and(|op| op.ty != OperationType::Query) {
        let mut resp = request_error(
            media,
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations are only accepted over POST",
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = match keys::authenticate(&state.db.reads, authorization).await {
        Ok(caller) => caller,
        Err(err) => {
            if let crate::error::AppError::Internal(cause) = &err {
                tracing::error!(error = %crate::error::chain(cause.as_ref()), "authentication failed");
            }
            let status = match err {
                crate::error::AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let mut resp = request_error(media, status, err.code(), &err.public_message());
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return resp;
        }
    };
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| RequestId(v.chars().take(64).collect()));
    let analysis = match &doc {
        Some(doc) => {
            let empty = Map::new();
            match super::cost::analyse(
                doc,
                params.operation_name.as_deref(),
                params.variables.as_ref().unwrap_or(&empty),
                &state.limits,
            ) {
                Ok(a) => {
                    state.metrics.cost(a.cost);
                    Some(a)
                }
                Err(refusal) => {
                    state.metrics.error(refusal.code);
                    let mut body = json!({ "errors": [{ "message": refusal.message, "extensions": { "code": refusal.code } }] });
                    if let Some(cost) = refusal.cost {
                        body["extensions"] = json!({ "cost": { "requested": cost, "limit": state.limits.max_cost } });
                    }
                    return (
                        StatusCode::BAD_REQUEST,
                        [(header::CONTENT_TYPE, media.content_type())],
                        body.to_string(),
                    )
                        .into_response();
                }
            }
        }
        // Execution reports the syntax error.
        None => None,
    };
    let who = match &caller {
        crate::services::access::Caller::Key(k) => format!("key:{}", k.key_id),
        _ => {
            let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
            format!("ip:{}", state.rate.client(peer.ip(), forwarded))
        }
    };
    let keyed = who.starts_with("key:");
    let cost = analysis.as_ref().map(|a| a.cost).unwrap_or(1);
    let (limit, remaining) = match state.rate.take(&who, keyed, cost) {
        super::rate::Taken::Allowed { limit, remaining } => (limit, remaining),
        super::rate::Taken::Refused { limit, retry_after } => {
            state.metrics.error("RATE_LIMITED");
            let mut resp = request_error(
                media,
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                &format!(
                    "this query costs {cost} and less of your budget of {limit} per window is left; try again in {retry_after} s, or ask for less"
                ),
            );
            let h = resp.headers_mut();
            h.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            h.insert("ratelimit-limit", HeaderValue::from(limit));
            h.insert("ratelimit-remaining", HeaderValue::from(0u64));
            return resp;
        }
    };
    let languages = crate::graphql::i18n::RequestLanguages(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(crate::graphql::i18n::accept_language)
            .unwrap_or_default(),
    );
    // The order the answer's fields are written in, from a document the limits accepted.
    let shape = match (&doc, &analysis, operation) {
        (Some(doc), Some(_), Some(op)) => Some(Shape::of(doc, op)),
        _ => None,
    };
    let loaders = Loaders::new(state.db.clone());
    let passes = loaders.passes();
    let mut request = Request::new(query)
        .data(loaders)
        .data(languages)
        .data(state.bus.clone())
        .data(caller)
        .data(request_id.unwrap_or_default());
    if let Some(doc) = doc {
        request.set_parsed_query(doc);
    }
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(vars) = params.variables {
        request = request.variables(Variables::from_json(Value::Object(vars)));
    }
    if let Some(ext) = params.extensions {
        for (k, v) in ext {
            if let Ok(v) = async_graphql::Value::from_json(v) {
                request.extensions.insert(k, v);
            }
        }
    }
    let run = passes.drive(state.schema.execute(request));
    let mut response = match tokio::time::timeout(state.timeout, run).await {
        Ok(r) => r,
        Err(_) => {
            state.metrics.error("TIMEOUT");
            return request_error(
                media,
                StatusCode::SERVICE_UNAVAILABLE,
                "TIMEOUT",
                &format!(
                    "the request ran longer than {} s and was stopped, and nothing it wrote was kept; ask for less",
                    state.timeout.as_secs()
                ),
            );
        }
    };
    if let Some(shape) = &shape {
        shape.arrange(&mut response.data);
    }
    if let Some(a) = analysis {
        response.extensions.insert(
            "cost".to_owned(),
            async_graphql::Value::from_json(
                json!({ "requested": a.cost, "limit": state.limits.max_cost }),
            )
            .unwrap_or_default(),
        );
    }
    for e in &response.errors {
        let code = e
            .extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .and_then(|c| match c {
                async_graphql::Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "GRAPHQL_VALIDATION_FAILED".to_owned());
        state.metrics.error(&code);
    }
    let mut resp = respond(response, media);
    let h = resp.headers_mut();
    h.insert("ratelimit-limit", HeaderValue::from(limit));
    h.insert("ratelimit-remaining", HeaderValue::from(remaining));
    resp
}

/// A response that never reached execution: parse, validation or variable errors.
fn is_request_error(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response
            .errors
            .iter()
            .all(|e: &ServerError| e.path.is_empty())
}

fn respond(response: Response, media: Media) -> axum::response::Response {
    let request_error = is_request_error(&response);
    let has_errors = !response.errors.is_empty();
    let text = if request_error {
        // Never executed: no `data`, and every error carries a code.
        let mut body = serde_json::to_value(&response).unwrap_or_else(|_| json!({}));
        if let Value::Object(map) = &mut body {
            map.remove("data");
            if let Some(Value::Array(errors)) = map.get_mut("errors") {
                for e in errors.iter_mut().filter_map(Value::as_object_mut) {
                    if let Value::Object(ext) = e.entry("extensions").or_insert_with(|| json!({})) {
                        ext.entry("code")
                            .or_insert_with(|| json!("GRAPHQL_VALIDATION_FAILED"));
                    }
                }
            }
        }
        body.to_string()
    } else {
        serde_json::to_string(&response).unwrap_or_else(|_| {
            json!({ "errors": [{ "message": "internal server error" }] }).to_string()
        })
    };
    let status = if request_error && media == Media::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let text = Bytes::from(text);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        text.clone(),
    )
        .into_response();
    response
        .extensions_mut()
        .insert(ResponseBody { text, has_errors });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT,
            HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
        );
        h
    }

    #[test]
    fn content_is_negotiated() {
        assert_eq!(Media::negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(
            Media::negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            Media::negotiate(&accept("application/json")),
            Some(Media::Json)
        );
        assert_eq!(Media::negotiate(&accept("*/*")), Some(Media::Json));
        assert_eq!(Media::negotiate(&accept("text/html")), None);
    }
}
