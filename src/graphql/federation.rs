//! Apollo Federation v2: the entity lookups through which a gateway resolves references to the
//! directory's types from other services. Each lookup goes through a per-request loader, so the
//! references of one type in a request cost one statement whatever their number.

use super::loader::{Key, Loaders};
use super::node::parse_id_of;
use super::types::*;
use crate::entities as e;
use async_graphql::{Context, ID, Object};
use sea_orm::EntityTrait;

/// Entity lookups by key; not fields of `Query`, only reachable through `_entities`.
#[derive(Default)]
pub struct EntityQuery;

async fn entity<E: EntityTrait, T: From<E::Model>>(
    ctx: &Context<'_>,
    key: Key,
) -> async_graphql::Result<Option<T>>
where
    E::Model: Sync,
{
    let loaders = ctx.data::<Loaders>()?;
    Ok(loaders.by_key::<E>().load_one(key).await?.map(T::from))
}

fn by_id(type_name: &str, id: &ID) -> async_graphql::Result<Key> {
    Ok(Key::PublicId(parse_id_of(type_name, id)?))
}

#[Object]
impl EntityQuery {
    #[graphql(entity)]
    async fn cluster_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Cluster>> {
        entity::<e::cluster::Entity, _>(ctx, by_id("Cluster", &id)?).await
    }
    #[graphql(entity)]
    async fn cluster_by_slug(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<Cluster>> {
        entity::<e::cluster::Entity, _>(ctx, Key::Text("slug", slug)).await
    }
    #[graphql(entity)]
    async fn organisation_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Organisation>> {
        entity::<e::organisation::Entity, _>(ctx, by_id("Organisation", &id)?).await
    }
    #[graphql(entity)]
    async fn organisation_by_slug(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<Organisation>> {
        entity::<e::organisation::Entity, _>(ctx, Key::Text("slug", slug)).await
    }
    #[graphql(entity)]
    async fn collaboration_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Collaboration>> {
        entity::<e::collaboration::Entity, _>(ctx, by_id("Collaboration", &id)?).await
    }
    #[graphql(entity)]
    async fn collaboration_by_slug(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<Collaboration>> {
        entity::<e::collaboration::Entity, _>(ctx, Key::Text("slug", slug)).await
    }
    #[graphql(entity)]
    async fn event_by_id(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Event>> {
        entity::<e::event::Entity, _>(ctx, by_id("Event", &id)?).await
    }
    #[graphql(entity)]
    async fn event_by_slug(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<Event>> {
        entity::<e::event::Entity, _>(ctx, Key::Text("slug", slug)).await
    }
    #[graphql(entity)]
    async fn region_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Region>> {
        entity::<e::region::Entity, _>(ctx, by_id("Region", &id)?).await
    }
    #[graphql(entity)]
    async fn region_by_code(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Region>> {
        entity::<e::region::Entity, _>(ctx, Key::Text("code", code.trim().to_ascii_uppercase()))
            .await
    }
    #[graphql(entity)]
    async fn theme_by_id(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Theme>> {
        entity::<e::theme::Entity, _>(ctx, by_id("Theme", &id)?).await
    }
    #[graphql(entity)]
    async fn theme_by_slug(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<Theme>> {
        entity::<e::theme::Entity, _>(ctx, Key::Text("slug", slug)).await
    }
}
