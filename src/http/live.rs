//! `GET /graphql/ws`: GraphQL over WebSocket (`graphql-transport-ws`, and the older
//! `graphql-ws`), for subscriptions and, where a client prefers it, queries. A client may send its
//! API key in the `connection_init` payload as `{"Authorization": "Bearer cdk_…"}`.

use super::AppState;
use super::order::Shape;
use crate::graphql::loader::Loaders;
use crate::services::access::Caller;
use crate::services::keys;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, Executor, Request, Response};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::IntoResponse;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use std::sync::Arc;

/// Runs the requests of one WebSocket connection with the request data the schema needs.
#[derive(Clone)]
struct Connection {
    state: AppState,
}

impl Connection {
    /// The query limits of HTTP apply over WebSocket too. An accepted request gets the order
    /// its answers' fields are written in; one that does not parse gets none, and execution
    /// reports why.
    fn admit(&self, request: &Request) -> Result<Option<Arc<Shape>>, Box<Response>> {
        let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
            return Ok(None);
        };
        let variables = match request.variables.clone().into_value().into_json() {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        match super::cost::analyse(
            &doc,
            request.operation_name.as_deref(),
            &variables,
            &self.state.limits,
        ) {
            Ok(_) => Ok(
                super::cost::operation(&doc, request.operation_name.as_deref())
                    .map(|op| Arc::new(Shape::of(&doc, op))),
            ),
            Err(refusal) => {
                let mut e = async_graphql::ServerError::new(refusal.message, None);
                let mut ext = async_graphql::ErrorExtensionValues::default();
                ext.set("code", refusal.code);
                e.extensions = Some(ext);
                Err(Box::new(Response::from_errors(vec![e])))
            }
        }
    }

    fn prepare(&self, request: Request, session: Option<&Data>) -> (Request, Loaders) {
        let loaders = Loaders::new(self.state.db.clone());
        let mut request = request.data(self.state.bus.clone());
        if session
            .and_then(|s| s.get(&std::any::TypeId::of::<Caller>()))
            .is_none()
        {
            request = request.data(Caller::Anonymous);
        }
        (request, loaders)
    }
}

impl Executor for Connection {
    async fn execute(&self, request: Request) -> Response {
        let shape = match self.admit(&request) {
            Ok(shape) => shape,
            Err(refused) => return *refused,
        };
        let (request, loaders) = self.prepare(request, None);
        let passes = loaders.passes();
        let mut response = passes
            .drive(self.state.schema.execute(request.data(loaders)))
            .await;
        if let Some(shape) = shape {
            shape.arrange(&mut response.data);
        }
        response
    }

    fn execute_stream(
        &self,
        request: Request,
        session: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let shape = match self.admit(&request) {
            Ok(shape) => shape,
            Err(refused) => return Box::pin(futures_util::stream::once(async move { *refused })),
        };
        let (request, loaders) = self.prepare(request, session.as_deref());
        let answers = self
            .state
            .schema
            .execute_stream(request.data(loaders), session);
        match shape {
            Some(shape) => Box::pin(answers.map(move |mut response| {
                shape.arrange(&mut response.data);
                response
            })),
            None => answers,
        }
    }
}

/// Upgrades to a GraphQL WebSocket.
pub async fn ws(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> impl IntoResponse {
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let db = state.db.clone();
            GraphQLWebSocket::new(socket, Connection { state }, protocol)
                .on_connection_init(move |payload| async move {
                    let header = payload
                        .get("Authorization")
                        .or_else(|| payload.get("authorization"))
                        .and_then(|v| v.as_str())
                        .map(str::to_owned);
                    let mut data = Data::default();
                    if let Some(h) = header {
                        let caller = keys::authenticate(&db.reads, Some(&h))
                            .await
                            .map_err(|e| async_graphql::Error::new(e.public_message()))?;
                        data.insert(caller);
                    }
                    Ok(data)
                })
                .serve()
        })
}
