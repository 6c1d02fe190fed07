//! The GraphQL schema: one query type per domain, merged, with the `node` entry point.

pub mod changes;
pub mod cluster;
pub mod collaboration;
pub mod connection;
pub mod event;
pub mod federation;
pub mod i18n;
pub mod indicator;
pub mod loader;
pub mod matchmaking;
pub mod mutation;
pub mod node;
pub mod offer_need;
pub mod ordering;
pub mod organisation;
pub mod region;
pub mod search;
pub mod statistics;
pub mod subscription;
pub mod types;

use crate::entities as e;
use crate::error::AppError;
use async_graphql::{
    Context, ID, MergedObject, Object, Request, Response, SDLExportOptions, Schema,
};
use connection::*;
use loader::Loaders;
use node::{Node, lookup, parse_global_id};
use ordering::{Ordering, by_name};
use region::REGION_ORDER;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait};
use types::*;

/// Every query of the directory.
#[derive(MergedObject, Default)]
pub struct Query(
    DirectoryQuery,
    cluster::ClusterQuery,
    organisation::OrganisationQuery,
    collaboration::CollaborationQuery,
    event::EventQuery,
    offer_need::OfferNeedQuery,
    mutation::keys::AdminQuery,
    changes::ChangesQuery,
    statistics::StatisticsQuery,
    statistics::ComparisonQuery,
    search::SearchQuery,
);

/// Every query of the directory.
// The queries plus the entity lookups of an Apollo Federation subgraph, under the same name.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct FederatedQuery(
    DirectoryQuery,
    cluster::ClusterQuery,
    organisation::OrganisationQuery,
    collaboration::CollaborationQuery,
    event::EventQuery,
    offer_need::OfferNeedQuery,
    mutation::keys::AdminQuery,
    changes::ChangesQuery,
    statistics::StatisticsQuery,
    statistics::ComparisonQuery,
    search::SearchQuery,
    federation::EntityQuery,
);

/// The schema the server serves: an Apollo Federation v2 subgraph, or the plain schema when
/// federation is switched off.
#[derive(Clone)]
pub enum DirectorySchema {
    /// With `@key` entities, `_entities` and `_service`.
    Federated(Schema<FederatedQuery, mutation::Mutation, subscription::Subscription>),
    /// Without federation.
    Plain(Schema<Query, mutation::Mutation, subscription::Subscription>),
}

impl DirectorySchema {
    /// Runs one request. The request must carry its [`Loaders`].
    pub async fn execute(&self, request: Request) -> Response {
        match self {
            Self::Federated(schema) => schema.execute(request).await,
            Self::Plain(schema) => schema.execute(request).await,
        }
    }

    /// Runs one subscription as a stream of responses.
    pub fn execute_stream(
        &self,
        request: Request,
        session: Option<std::sync::Arc<async_graphql::Data>>,
    ) -> futures_util::stream::BoxStream<'static, Response> {
        match self {
            Self::Federated(schema) => {
                async_graphql::Executor::execute_stream(schema, request, session)
            }
            Self::Plain(schema) => {
                async_graphql::Executor::execute_stream(schema, request, session)
            }
        }
    }

    /// The schema in SDL, without federation directives: `schema.graphql`.
    pub fn sdl(&self) -> String {
        match self {
            Self::Federated(schema) => schema.sdl(),
            Self::Plain(schema) => schema.sdl(),
        }
    }

    /// The subgraph SDL that `_service { sdl }` answers and composition reads:
    /// `schema.federation.graphql`. The plain schema has none.
    pub fn federation_sdl(&self) -> Option<String> {
        match self {
            Self::Federated(schema) => Some(
                schema.sdl_with_options(SDLExportOptions::new().federation().compose_directive()),
            ),
            Self::Plain(_) => None,
        }
    }
}

/// Builds the schema, as a federation subgraph when `federation`. The per-request [`Loaders`]
/// are added to each request by the HTTP layer.
pub fn build_schema(federation: bool) -> DirectorySchema {
    build_schema_with(federation, true)
}

/// Builds the schema; without `introspection`, introspection queries and "did you mean"
/// suggestions in errors are switched off (for production deployments that want it so).
pub fn build_schema_with(federation: bool, introspection: bool) -> DirectorySchema {
    macro_rules! finish {
        ($builder:expr) => {{
            let b = $builder;
            if introspection {
                b.finish()
            } else {
                b.disable_introspection().disable_suggestions().finish()
            }
        }};
    }
    if federation {
        DirectorySchema::Federated(finish!(
            Schema::build(
                FederatedQuery::default(),
                mutation::Mutation::default(),
                subscription::Subscription,
            )
            .enable_federation()
        ))
    } else {
        DirectorySchema::Plain(finish!(Schema::build(
            Query::default(),
            mutation::Mutation::default(),
            subscription::Subscription,
        )))
    }
}

/// Node lookup, regions and themes.
#[derive(Default)]
pub struct DirectoryQuery;

macro_rules! find_node {
    ($db:expr, $uuid:expr, $module:ident, $variant:ident) => {
        e::$module::Entity::find()
            .filter(e::$module::Column::PublicId.eq($uuid))
            .one($db)
            .await
            .map_err(AppError::from)?
            .map(|m| Node::$variant($variant(m)))
    };
}

#[Object]
impl DirectoryQuery {
    /// Any item by its global id; null when nothing (visible to you) has that id.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as returned in any `id` field.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let db = &ctx.data::<Loaders>()?.db.reads;
        let (kind, uuid) = parse_global_id(&id)?;
        Ok(match kind.as_str() {
            "Region" => find_node!(db, uuid, region, Region),
            "Theme" => find_node!(db, uuid, theme, Theme),
            "Cluster" => find_node!(db, uuid, cluster, Cluster),
            "ClusterLabel" => find_node!(db, uuid, cluster_label, ClusterLabel),
            "Organisation" => find_node!(db, uuid, organisation, Organisation),
            "Membership" => find_node!(db, uuid, membership, Membership),
            "Contact" => e::contact::Entity::find()
                .filter(e::contact::Column::PublicId.eq(uuid))
                .filter(crate::services::access::visible_contacts(
                    ctx.data::<crate::services::access::Caller>()?,
                ))
                .one(db)
                .await
                .map_err(AppError::from)?
                .map(|m| Node::Contact(Contact(m))),
            "Collaboration" => find_node!(db, uuid, collaboration, Collaboration),
            "Participant" => find_node!(db, uuid, participant, Participant),
            "Event" => find_node!(db, uuid, event, Event),
            "OfferNeed" => find_node!(db, uuid, offer_need, OfferNeed),
            "Indicator" => find_node!(db, uuid, indicator, Indicator),
            "Kpi" => find_node!(db, uuid, kpi, Kpi),
            _ => None,
        })
    }

    /// One region, by `id` or by NUTS `code` (give exactly one).
    async fn region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region's id.")] id: Option<ID>,
        #[graphql(desc = "The region's NUTS code, e.g. `NL414`.")] code: Option<String>,
    ) -> async_graphql::Result<Option<Region>> {
        Ok(Some(Region(
            lookup::<e::region::Entity>(
                ctx,
                "Region",
                id,
                "code",
                e::region::Column::Code,
                code.map(|c| c.trim().to_ascii_uppercase()),
            )
            .await?,
        )))
    }

    /// Regions, by code unless ordered otherwise.
    async fn regions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only regions of this NUTS level (0 = countries).")] level: Option<i16>,
        #[graphql(desc = "Only regions whose code starts with this, e.g. `NL`.")]
        code_prefix: Option<String>,
        #[graphql(desc = "Order of the list; by code when omitted.")] order_by: Option<Ordering>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<RegionConnection> {
        let sort = REGION_ORDER.sort(order_by)?;
        let mut q = e::region::Entity::find();
        if let Some(level) = level {
            if !(0..=3).contains(&level) {
                return Err(
                    AppError::bad_input("level", "NUTS levels are 0 (country) to 3").into(),
                );
            }
            q = q.filter(e::region::Column::Level.eq(level));
        }
        if let Some(prefix) = code_prefix {
            let p = crate::services::filter::NutsPrefix::parse("codePrefix", &prefix)?;
            q = q.filter(
                Expr::col((e::region::Entity, e::region::Column::Code)).like(format!("{}%", p.0)),
            );
        }
        top::<e::region::Model, _>(
            ctx,
            q.into_query(),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// One theme, by `id` or by `slug` (give exactly one).
    async fn theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme's id.")] id: Option<ID>,
        #[graphql(desc = "The theme's slug, e.g. `health`.")] slug: Option<String>,
    ) -> async_graphql::Result<Option<Theme>> {
        Ok(Some(Theme(
            lookup::<e::theme::Entity>(ctx, "Theme", id, "slug", e::theme::Column::Slug, slug)
                .await?,
        )))
    }

    /// Themes and sectors, by name unless ordered otherwise.
    async fn themes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only the four core themes of cooperation (`true`) or only the others (`false`)."
        )]
        core: Option<bool>,
        #[graphql(desc = "Order of the list; by name when omitted.")] order_by: Option<Ordering>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ThemeConnection> {
        let sort = by_name("theme").sort(order_by)?;
        let mut q = e::theme::Entity::find();
        if let Some(core) = core {
            q = q.filter(e::theme::Column::Core.eq(core));
        }
        top::<e::theme::Model, _>(
            ctx,
            q.into_query(),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
}
