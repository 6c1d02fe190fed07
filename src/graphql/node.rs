//! Relay global ids (`base64url("Type:uuid")`) and the `Node` interface.

use super::connection::{Narrow, narrow_one};
use super::loader::Loaders;
use super::types::*;
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

async fn lookup_shaped<E: EntityTrait>(
    ctx: &Context<'_>,
    type_name: &str,
    id: Option<ID>,
    key_name: &str,
    key_column: E::Column,
    key: Option<String>,
    shape: impl FnOnce(SelectStatement) -> SelectStatement,
) -> async_graphql::Result<E::Model> {
    let db = &ctx.data::<Loaders>()?.db.reads;
    let public_id = E::Column::from_str("public_id")
        .map_err(|_| AppError::Internal(format!("{type_name} has no public id").into()))?;
    let query = match (id, key) {
        (Some(id), None) => E::find().filter(public_id.eq(parse_id_of(type_name, &id)?)),
        (None, Some(key)) => E::find().filter(key_column.eq(key)),
        _ => {
            return Err(AppError::bad_input(
                key_name,
                format!("give exactly one of `id` and `{key_name}`"),
            )
            .into());
        }
    };
    let statement = shape(query.limit(1).into_query());
    let found = match db.query_one(&statement).await.map_err(AppError::from)? {
        Some(row) => Some(E::Model::from_query_result(&row, "").map_err(AppError::from)?),
        None => None,
    };
    Ok(found.ok_or_else(|| {
        AppError::not_found(format!(
            "no {} has this id or {key_name}",
            type_name.to_lowercase()
        ))
    })?)
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
