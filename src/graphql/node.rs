//! Relay global ids (`base64url("Type:uuid")`) and the `Node` interface.

use super::connection::{Narrow, NestedList, narrow_one};
use super::loader::Loaders;
use super::types::*;
use crate::db::decode::Decode;
use crate::error::AppError;
use async_graphql::{Context, ID, Interface};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    QueryTrait,
};
use std::str::FromStr;
use uuid::Uuid;

/// One row of `E` by its global `id` or by a natural key (`key_name` in `key_column`, e.g. a
/// slug); the client gives exactly one of the two. A row that does not exist is `NOT_FOUND`.
pub async fn lookup<E: EntityTrait>(
    ctx: &Context<'_>,
    type_name: &str,
    id: Option<ID>,
    key_name: &str,
    key_column: E::Column,
    key: Option<String>,
) -> async_graphql::Result<E::Model> {
    lookup_shaped::<E>(ctx, type_name, id, key_name, key_column, key, |q| q).await
}

/// [`lookup`] reading only the columns the field's selection reads (see [`Narrow`]), as lists
/// do: the row is handed to that selection alone.
pub async fn lookup_narrow<E: Narrow>(
    ctx: &Context<'_>,
    type_name: &str,
    id: Option<ID>,
    key_name: &str,
    key_column: E::Column,
    key: Option<String>,
) -> async_graphql::Result<E::Model> {
    lookup_shaped::<E>(ctx, type_name, id, key_name, key_column, key, |q| {
        narrow_one::<E>(ctx, q)
    })
    .await
}

/// [`lookup_narrow`] of a row whose selection may hold `list`, one of its nested lists: then
/// the row and the list's page under it are read in one statement (see
/// [`NestedList::read_with_parent`]).
#[allow(clippy::too_many_arguments)]
pub async fn lookup_with_list<E: Narrow, M, R>(
    ctx: &Context<'_>,
    type_name: &str,
    id: Option<ID>,
    key_name: &str,
    key_column: E::Column,
    key: Option<String>,
    list: NestedList<M, R>,
) -> async_graphql::Result<E::Model>
where
    M: sea_orm::ModelTrait + Decode + Clone + Send + Sync + 'static,
    M::Entity: Narrow,
    R: Narrow,
    R::Model: Decode + Clone + Send + Sync,
    E::Model: Decode,
{
    let query = lookup_query::<E>(type_name, id, key_name, key_column, key)?;
    match list.read_with_parent::<E>(ctx, query.clone()).await? {
        Some(found) => found.ok_or_else(|| not_found(type_name, key_name).into()),
        None => lookup_by::<E>(ctx, type_name, key_name, narrow_one::<E>(ctx, query)).await,
    }
}

async fn lookup_shaped<E: EntityTrait>(
    ctx: &Context<'_>,
    type_name: &str,
    id: Option<ID>,
    key_name: &str,
    key_column: E::Column,
    key: Option<String>,
    shape: impl FnOnce(SelectStatement) -> SelectStatement,
) -> async_graphql::Result<E::Model> {
    let query = lookup_query::<E>(type_name, id, key_name, key_column, key)?;
    lookup_by::<E>(ctx, type_name, key_name, shape(query)).await
}

/// The statement reading the one row of `E` that `id` or `key` names.
fn lookup_query<E: EntityTrait>(
    type_name: &str,
    id: Option<ID>,
    key_name: &str,
    key_column: E::Column,
    key: Option<String>,
) -> Result<SelectStatement, AppError> {
    let public_id = E::Column::from_str("public_id")
        .map_err(|_| AppError::Internal(format!("{type_name} has no public id").into()))?;
    let query = match (id, key) {
        (Some(id), None) => E::find().filter(public_id.eq(parse_id_of(type_name, &id)?)),
        (None, Some(key)) => E::find().filter(key_column.eq(key)),
        _ => {
            return Err(AppError::bad_input(
                key_name,
                format!("give exactly one of `id` and `{key_name}`"),
            ));
        }
    };
    Ok(query.limit(1).into_query())
}

/// Runs a lookup's statement; no row is `NOT_FOUND`.
async fn lookup_by<E: EntityTrait>(
    ctx: &Context<'_>,
    type_name: &str,
    key_name: &str,
    statement: SelectStatement,
) -> async_graphql::Result<E::Model> {
    let db = &ctx.data::<Loaders>()?.db.reads;
    match db.query_one(&statement).await.map_err(AppError::from)? {
        Some(row) => Ok(E::Model::from_query_result(&row, "").map_err(AppError::from)?),
        None => Err(not_found(type_name, key_name).into()),
    }
}

fn not_found(type_name: &str, key_name: &str) -> AppError {
    AppError::not_found(format!(
        "no {} has this id or {key_name}",
        type_name.to_lowercase()
    ))
}

/// The global id of a row of the given GraphQL type.
pub fn global_id(type_name: &str, public_id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{public_id}")))
}

/// Reads a global id into its type name and public id.
pub fn parse_global_id(id: &ID) -> Result<(String, Uuid), AppError> {
    let bad = || {
        AppError::bad_input(
            "id",
            format!(
                "`{}` is not an id of this directory; use an `id` value it returned",
                id.0
            ),
        )
    };
    let raw = URL_SAFE_NO_PAD.decode(id.0.as_bytes()).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (kind, uuid) = text.split_once(':').ok_or_else(bad)?;
    let uuid = Uuid::parse_str(uuid).map_err(|_| bad())?;
    Ok((kind.to_owned(), uuid))
}

/// Reads a global id that must be of one type.
pub fn parse_id_of(type_name: &str, id: &ID) -> Result<Uuid, AppError> {
    match parse_global_id(id)? {
        (kind, uuid) if kind == type_name => Ok(uuid),
        (kind, _) => Err(AppError::bad_input(
            "id",
            format!("this id belongs to a {kind}, not a {type_name}"),
        )),
    }
}

/// Anything with a global id, fetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Globally unique, stable id."))]
pub enum Node {
    /// A region.
    Region(Region),
    /// A theme.
    Theme(Theme),
    /// A cluster.
    Cluster(Cluster),
    /// A cluster label.
    ClusterLabel(ClusterLabel),
    /// An organisation.
    Organisation(Organisation),
    /// A membership.
    Membership(Membership),
    /// A contact.
    Contact(Contact),
    /// A collaboration.
    Collaboration(Collaboration),
    /// A participant.
    Participant(Participant),
    /// An event.
    Event(Event),
    /// An offer or need.
    OfferNeed(OfferNeed),
    /// An indicator.
    Indicator(Indicator),
    /// A KPI.
    Kpi(Kpi),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip() {
        let uuid = Uuid::from_u128(42);
        let id = global_id("Cluster", uuid);
        assert_eq!(parse_id_of("Cluster", &id).ok(), Some(uuid));
        assert!(parse_id_of("Event", &id).is_err());
        assert!(parse_global_id(&ID("nonsense".into())).is_err());
    }
}
