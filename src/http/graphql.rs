//! GraphQL over HTTP, following the GraphQL-over-HTTP specification: JSON bodies only on POST,
//! queries only on GET, content negotiation between `application/graphql-response+json` and
//! `application/json`, and 4xx statuses for requests that cannot be executed.

use super::AppState;
use crate::graphql::loader::Loaders;
use crate::services::audit::RequestId;
use crate::services::keys;
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response, ServerError, Variables};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use serde::Deserialize;
use serde_json::{Map, Value, json};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// `GET /`: the GraphiQL playground.
pub async fn playground() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("cluster-directory")
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

/// The parameters of a GraphQL request, from a JSON body or a query string.
struct Params {
    query: String,
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
    let query = match object.get("query") {
        Some(Value::String(q)) => q.clone(),
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
    if is_mutation(&params) {
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
    execute(&state, &headers, params, media).await
}

/// `POST /graphql`: a JSON body with `query`, `variables`, `operationName` and `extensions`.
pub async fn post(
    State(state): State<AppState>,
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
    execute(&state, &headers, params, media).await
}

/// Whether the operation the request would run is a mutation (or subscription).
fn is_mutation(params: &Params) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&params.query) else {
        return false;
    };
    let op = match (&doc.operations, &params.operation_name) {
        (async_graphql::parser::types::DocumentOperations::Single(op), _) => Some(&op.node),
        (async_graphql::parser::types::DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name.as_str()).map(|o| &o.node)
        }
        (async_graphql::parser::types::DocumentOperations::Multiple(ops), None) => {
            if ops.len() == 1 {
                ops.values().next().map(|o| &o.node)
            } else {
                None
            }
        }
    };
    op.is_some_and(|op| op.ty != OperationType::Query)
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    params: Params,
    media: Media,
) -> axum::response::Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = match keys::authenticate(&state.db.conn, authorization).await {
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
    let loaders = Loaders::new(state.db.clone());
    let passes = loaders.passes();
    let mut request = Request::new(params.query)
        .data(loaders)
        .data(caller)
        .data(request_id.unwrap_or_default());
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
    let response = passes.drive(state.schema.execute(request)).await;
    respond(response, media)
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
    let mut body = serde_json::to_value(&response)
        .unwrap_or_else(|_| json!({ "errors": [{ "message": "internal server error" }] }));
    if let Value::Object(map) = &mut body
        && request_error
    {
        {
            map.remove("data");
            if let Some(Value::Array(errors)) = map.get_mut("errors") {
                for e in errors {
                    if let Value::Object(e) = e {
                        let ext = e.entry("extensions").or_insert_with(|| json!({}));
                        if let Value::Object(ext) = ext {
                            ext.entry("code")
                                .or_insert_with(|| json!("GRAPHQL_VALIDATION_FAILED"));
                        }
                    }
                }
            }
        }
    }
    let status = if request_error && media == Media::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        body.to_string(),
    )
        .into_response()
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
