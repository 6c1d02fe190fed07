//! Live updates over WebSocket (`graphql-transport-ws`): events created, changed, cancelled or
//! deleted, filtered like the `events` feed, and expressions of interest for the owners of the
//! offers and needs.

use super::event::EventFilterInput;
use super::loader::Loaders;
use super::node::global_id;
use super::node::parse_id_of;
use super::types::{Event, Interest};
use crate::entities::{event, interest, organisation};
use crate::error::AppError;
use crate::services::live::{ChangeKind, EventBus, LiveChange};
use async_graphql::{Context, ID, SimpleObject, Subscription};
use futures_util::Stream;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::broadcast::Receiver;
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

/// The next change on the bus; a subscriber that fell behind skips what it missed. `None` once
/// the bus has closed.
async fn next_change(rx: &mut Receiver<LiveChange>) -> Option<LiveChange> {
    loop {
        match rx.recv().await {
            Ok(change) => return Some(change),
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "a subscriber fell behind");
            }
            Err(RecvError::Closed) => return None,
        }
    }
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
                    let change = match next_change(&mut rx).await? {
                        LiveChange::Event(c) => c,
                        _ => continue,
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
                        .one(&db.reads)
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

    /// Expressions of interest in the offers and needs of an organisation, as they are
    /// expressed. Only those who may manage the organisation (managers of its clusters,
    /// stewards of its region, admins) may listen: send the key in `connection_init`.
    async fn interest_expressed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation whose offers and needs to hear about.")]
        organisation: ID,
    ) -> async_graphql::Result<impl Stream<Item = Interest>> {
        use crate::services::access::{Caller, of_managed_organisations};
        let caller = ctx
            .data_opt::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous);
        let db = ctx.data::<Loaders>()?.db.clone();
        let org = organisation::Entity::find()
            .filter(organisation::Column::PublicId.eq(parse_id_of("Organisation", &organisation)?))
            .one(&db.reads)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::not_found("no organisation has this id"))?;
        if caller == Caller::Anonymous {
            return Err(AppError::Unauthenticated(
                "listening for interest needs an API key: send `{\"Authorization\": \"Bearer <key>\"}` in `connection_init`".to_owned(),
            )
            .into());
        }
        let managed = organisation::Entity::find()
            .filter(organisation::Column::Id.eq(org.id))
            .filter(of_managed_organisations(&caller, "organisation", "id"))
            .one(&db.reads)
            .await
            .map_err(AppError::from)?;
        if managed.is_none() {
            return Err(AppError::Forbidden(
                "only those who may manage the organisation hear about interest in its offers and needs".to_owned(),
            )
            .into());
        }
        let rx = ctx.data::<EventBus>()?.subscribe();
        Ok(futures_util::stream::unfold(
            (rx, db),
            move |(mut rx, db)| async move {
                loop {
                    let change = match next_change(&mut rx).await? {
                        LiveChange::Interest(c) if c.owner == org.id => c,
                        _ => continue,
                    };
                    match interest::Entity::find()
                        .filter(interest::Column::PublicId.eq(change.interest))
                        .one(&db.reads)
                        .await
                    {
                        Ok(Some(i)) => return Some((Interest(i), (rx, db))),
                        Ok(None) => continue,
                        Err(e) => {
                            tracing::error!(error = %e, "subscription lookup failed");
                            continue;
                        }
                    }
                }
            },
        ))
    }
}
