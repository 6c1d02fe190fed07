//! Regions (NUTS) and themes: the where and the what of the directory.

use super::connection::*;
use super::loader::Loaders;
use super::node::global_id;
use super::ordering::{OrderField, Orderable, Ordering, by_name};
use super::types::*;
use crate::entities::{cluster, event, organisation, region, theme};
use crate::services::filter::col;
use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, ExprTrait};
use sea_orm::{EntityTrait, QueryTrait};

wrapper!(
    /// A partner region, identified by its NUTS 2021 code (level 0 is the country).
    Region, region
);
wrapper!(
    /// A theme or sector of cooperation, such as innovation & technology, sustainability,
    /// tourism or health. Themes are data with stable slugs: a new theme needs no release.
    Theme, theme
);

/// How regions can be ordered.
pub const REGION_ORDER: Orderable = Orderable {
    table: "region",
    name_column: "name",
    fields: &[OrderField::Code, OrderField::Name],
};

/// Region rows are small and few; lists that reach them read them whole.
impl Narrow for region::Entity {
    fn columns_of(_field: &str) -> Option<&'static [&'static str]> {
        None
    }
}

/// A partner region, identified by its NUTS 2021 code (level 0 is the country).
#[Object]
impl Region {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Region", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// NUTS code, e.g. `NL414`; a country's code is its ISO 3166-1 alpha-2 code.
    #[graphql(shareable)]
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Official name.
    #[graphql(shareable)]
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// NUTS level: 0 country, 1 to 3 ever smaller regions.
    async fn level(&self) -> i16 {
        self.0.level
    }
    /// ISO 3166-1 alpha-2 code of the country the region lies in.
    async fn country_code(&self) -> &str {
        &self.0.country_code
    }
    /// The region one level up; null for a country.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Region>> {
        let Some(id) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .one::<region::Entity>(id)
            .await?
            .map(Region))
    }
    /// The regions one level down.
    async fn sub_regions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Order of the list; by code when omitted.")] order_by: Option<Ordering>,
    ) -> async_graphql::Result<RegionConnection> {
        let sort = REGION_ORDER.sort(order_by)?;
        nested::<region::Model, _, _>(
            ctx,
            self.0.id,
            || region::Entity::find().into_query(),
            ("region", "parent_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Clusters located directly in this region.
    async fn clusters(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Order of the list; by name when omitted.")] order_by: Option<Ordering>,
    ) -> async_graphql::Result<ClusterConnection> {
        let sort = by_name("cluster").sort(order_by)?;
        let q = || narrow::<cluster::Entity>(ctx, cluster::Entity::find().into_query());
        nested::<cluster::Model, _, _>(
            ctx,
            self.0.id,
            q,
            ("cluster", "region_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Organisations located directly in this region.
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Order of the list; by name when omitted.")] order_by: Option<Ordering>,
    ) -> async_graphql::Result<OrganisationConnection> {
        let sort = by_name("organisation").sort(order_by)?;
        let q = || narrow::<organisation::Entity>(ctx, organisation::Entity::find().into_query());
        nested::<organisation::Model, _, _>(
            ctx,
            self.0.id,
            q,
            ("organisation", "region_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// When this record was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When this record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// The rows of `table` linked to a theme through `link(fk, theme_id)`, partitioned by theme.
fn linked_to_theme<E: EntityTrait>(
    link: &'static str,
    fk: &'static str,
) -> sea_orm::sea_query::SelectStatement {
    let table = E::default().table_name();
    let mut q = E::find().into_query();
    q.inner_join(
        Alias::new(link),
        col(link, fk).equals((Alias::new(table), Alias::new("id"))),
    );
    q
}

impl Narrow for theme::Entity {
    const PRECISE: bool = true;

    fn columns_of(field: &str) -> Option<&'static [&'static str]> {
        Some(match field {
            "__typename" | "clusters" | "organisations" | "events" => &[],
            "id" => &["public_id"],
            "version" => &["version"],
            "slug" => &["slug"],
            "name" => &["name"],
            "description" => &["description"],
            "core" => &["core"],
            _ => return None,
        })
    }
}

/// A theme or sector of cooperation, such as innovation & technology, sustainability,
/// tourism or health. Themes are data with stable slugs: a new theme needs no release.
#[Object]
impl Theme {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Theme", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Stable short name, e.g. `health`; use it in filters and URLs.
    #[graphql(shareable)]
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Display name.
    #[graphql(shareable)]
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the theme covers.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// One of the four themes the clusters cooperate on (innovation & technology,
    /// sustainability, tourism, health), rather than a cross-sector one.
    async fn core(&self) -> bool {
        self.0.core
    }
    /// Clusters working on this theme.
    async fn clusters(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Order of the list; by name when omitted.")] order_by: Option<Ordering>,
    ) -> async_graphql::Result<ClusterConnection> {
        let sort = by_name("cluster").sort(order_by)?;
        let q = || {
            narrow::<cluster::Entity>(
                ctx,
                linked_to_theme::<cluster::Entity>("cluster_theme", "cluster_id"),
            )
        };
        nested::<cluster::Model, _, _>(
            ctx,
            self.0.id,
            q,
            ("cluster_theme", "theme_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Organisations working on this theme.
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Order of the list; by name when omitted.")] order_by: Option<Ordering>,
    ) -> async_graphql::Result<OrganisationConnection> {
        let sort = by_name("organisation").sort(order_by)?;
        let q = || {
            narrow::<organisation::Entity>(
                ctx,
                linked_to_theme::<organisation::Entity>("organisation_theme", "organisation_id"),
            )
        };
        nested::<organisation::Model, _, _>(
            ctx,
            self.0.id,
            q,
            ("organisation_theme", "theme_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Events on this theme, upcoming and past, by start time.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<EventConnection> {
        let sort = super::event::EVENT_ORDER.sort(None)?;
        let q = || {
            narrow::<event::Entity>(
                ctx,
                linked_to_theme::<event::Entity>("event_theme", "event_id"),
            )
        };
        nested::<event::Model, _, _>(
            ctx,
            self.0.id,
            q,
            ("event_theme", "theme_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
}

/// The region `id` names, for the `region` field of clusters and organisations: the row their
/// list read with them when it holds the columns the field's selection reads (see `top_joined`).
pub async fn region_of(
    ctx: &Context<'_>,
    id: Option<i64>,
) -> async_graphql::Result<Option<Region>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(ctx
        .data::<Loaders>()?
        .one_covering::<region::Entity>(id, needed::<region::Entity>(ctx))
        .await?
        .map(Region))
}

/// The themes linked to one row: used by the `themes` field of every themed type.
pub fn themes_of<'a>(
    ctx: &Context<'a>,
    parent: i64,
    link: &'static str,
    fk: &'static str,
    args: PageArgs,
) -> Boxed<'a, ThemeConnection> {
    let sort = match by_name("theme").sort(None) {
        Ok(sort) => sort,
        Err(e) => return Box::pin(std::future::ready(Err(e.into()))),
    };
    let q = || {
        let mut q = narrow_list::<theme::Entity>(ctx, theme::Entity::find().into_query());
        q.query.inner_join(
            Alias::new(link),
            col(link, "theme_id").equals((Alias::new("theme"), Alias::new("id"))),
        );
        q
    };
    nested::<theme::Model, _, _>(ctx, parent, q, (link, fk), sort, args)
}
