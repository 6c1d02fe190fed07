//! Writes. Every mutation runs in one transaction that checks the caller's key against the owner
//! of what it writes, validates the whole input (naming every bad field), compares the version
//! the caller last saw, and appends an audit entry; a mutation that fails changes nothing.

pub mod cluster;
pub mod collaboration;
pub mod event;
pub mod keys;
pub mod offer_need;
pub mod organisation;
pub mod reference;
pub mod state;
pub mod translation;

use crate::error::AppError;
use crate::graphql::loader::Loaders;
use crate::graphql::node::parse_id_of;
use crate::services::access::Caller;
use crate::services::audit::{Actor, RequestId};
use crate::services::write::Write;
use async_graphql::{Context, ID, MaybeUndefined, MergedObject};
use uuid::Uuid;

/// Every mutation of the directory.
#[derive(MergedObject, Default)]
pub struct Mutation(
    keys::KeyMutation,
    cluster::ClusterMutation,
    organisation::OrganisationMutation,
    event::EventMutation,
    offer_need::OfferNeedMutation,
    state::StateMutation,
    collaboration::CollaborationMutation,
    reference::ReferenceMutation,
    translation::TranslationMutation,
);

/// Who is calling, from the request.
pub fn caller(ctx: &Context<'_>) -> Caller {
    ctx.data_opt::<Caller>()
        .cloned()
        .unwrap_or(Caller::Anonymous)
}

/// Starts a write for the request's caller. Anonymous callers are `UNAUTHENTICATED` and reader
/// keys `FORBIDDEN` before anything else is looked at.
pub async fn begin(ctx: &Context<'_>) -> async_graphql::Result<Write> {
    let caller = caller(ctx);
    match &caller {
        Caller::Anonymous => {
            return Err(AppError::Unauthenticated(
                "writing needs an API key: send `Authorization: Bearer <key>`".to_owned(),
            )
            .into());
        }
        Caller::Key(k) if k.role == crate::domain::Role::Reader => {
            return Err(AppError::Forbidden("reader keys are read-only".to_owned()).into());
        }
        _ => {}
    }
    let db = &ctx.data::<Loaders>()?.db;
    let actor = Actor {
        caller,
        request_id: ctx.data_opt::<RequestId>().map(|r| r.0.clone()),
    };
    let bus = ctx.data_opt::<crate::services::live::EventBus>().cloned();
    Ok(Write::begin(db, actor).await?.with_bus(bus))
}

/// The public id inside a global id of the given type, for input field `field`.
pub fn id_of(type_name: &str, field: &str, id: &ID) -> Result<Uuid, AppError> {
    parse_id_of(type_name, id).map_err(|e| match e {
        AppError::BadUserInput { message, .. } => AppError::bad_input(field, message),
        other => other,
    })
}

/// Applies an optional, nullable input field to a nullable column.
pub fn patch<T>(target: &mut Option<T>, value: MaybeUndefined<T>) {
    match value {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => *target = None,
        MaybeUndefined::Value(v) => *target = Some(v),
    }
}

/// Applies an optional input field to a required column.
pub fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *target = v;
    }
}
