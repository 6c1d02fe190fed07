//! Live updates over WebSocket (`graphql-transport-ws`): events created, changed, cancelled or
//! deleted, filtered like the `events` feed.

use super::event::EventFilterInput;
use super::loader::Loaders;
use super::node::global_id;
use super::types::Event;
use crate::entities::event;
use crate::error::AppError;
use crate::services::live::{ChangeKind, EventBus};
use async_graphql::{Context, ID, SimpleObject, Subscription};
use futures_util::Stream;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::broadcast::error::RecvError;

/// A change of an event.
#[derive(SimpleObject, Clone)]
pub struct EventUpdate {
    /// What happened.
    pub kind: ChangeKind,
    /// The event's id.
    pub id: ID,
    /// The event as it is now; null when it was deleted.
    pub event: Option<Event>,
}

/// The subscriptions of the directory.
#[derive(Default)]
pub struct Subscription;

/// Live updates, over WebSocket at `/graphql/ws` (`graphql-transport-ws`).
#[Subscription]
impl Subscription {
    /// Events as they are created, changed, cancelled or deleted, filtered like `events`
    /// (upcoming and ongoing ones unless `filter.from` or `filter.includePast` say otherwise).
    /// Deletions are sent to every subscriber, as the deleted event can no longer be filtered.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which events to hear about.")] filter: Option<EventFilterInput>,
    ) -> async_graphql::Result<impl Stream<Item = EventUpdate>> {
        let filter = filter.unwrap_or_default().parse()?;
        let bus = ctx.data::<EventBus>()?;
        let db = ctx.data::<Loaders>()?.db.clone();
        let rx = bus.subscribe();
        Ok(futures_util::stream::unfold(
            (rx, db, filter),
            |(mut rx, db, filter)| async move {
                loop {
                    let change = match rx.recv().await {
                        Ok(c) => c,
                        Err(RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "a subscriber fell behind");
                            continue;
                        }
                        Err(RecvError::Closed) => return None,
                    };
                    let id = global_id("Event", change.event);
                    if change.kind == ChangeKind::Deleted {
                        let update = EventUpdate {
                            kind: change.kind,
                            id,
                            event: None,
                        };
                        return Some((update, (rx, db, filter)));
                    }
                    let found = event::Entity::find()
                        .filter(filter.condition())
                        .filter(event::Column::PublicId.eq(change.event))
                        .one(&db.conn)
                        .await
                        .map_err(AppError::from);
                    match found {
                        Ok(Some(e)) => {
                            let update = EventUpdate {
                                kind: change.kind,
                                id,
                                event: Some(Event(e)),
                            };
                            return Some((update, (rx, db, filter)));
                        }
                        Ok(None) => continue,
                        Err(AppError::Internal(cause)) => {
                            tracing::error!(error = %crate::error::chain(cause.as_ref()), "subscription lookup failed");
                            continue;
                        }
                        Err(_) => continue,
                    }
                }
            },
        ))
    }
}
