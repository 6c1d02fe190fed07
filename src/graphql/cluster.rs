//! Clusters and their labels: the regional innovation networks at the heart of the directory.

use super::connection::*;
use super::event::{EVENT_ORDER, EventFilterInput};
use super::i18n::{LocalizedText, Translatable, Translation, translations_of};
use super::loader::Loaders;
use super::node::{global_id, lookup_with_list};
use super::ordering::{OrderField, Orderable, Ordering, by_creation, by_name};
use super::region::{region_of, themes_of};
use super::types::*;
use crate::domain::Language;
use crate::domain::{ClusterKind, LabelLevel};
use crate::entities::{
    cluster, cluster_label, event, indicator, kpi, membership, organisation, participant, region,
};
use crate::error::AppError;
use crate::services::cluster::ClusterFilter;
use crate::services::filter::{CountryCode, NutsPrefix, Text, col};
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait};

wrapper!(
    /// A regional open-innovation cluster: a network of companies, knowledge institutions,
    /// SportFieldLabs and public authorities, run by a managing organisation.
    Cluster, cluster
);
wrapper!(
    /// A cluster-management excellence label (e.g. ESCA/EUCLES Bronze, Silver or Gold).
    ClusterLabel, cluster_label
);

/// A cluster's `memberships`, each reaching its member organisation.
fn members_of_cluster() -> async_graphql::Result<NestedList<membership::Model, organisation::Entity>>
{
    Ok(NestedList::new(
        "memberships",
        || membership::Entity::find().into_query(),
        ("membership", "cluster_id"),
        by_creation("membership").sort(None)?,
        ("organisation", "organisation_id"),
    ))
}

/// Narrows a list of clusters; every part given must match.
#[derive(InputObject, Default, Clone)]
pub struct ClusterFilterInput {
    /// Working on any of these themes (slugs, e.g. `health`).
    pub themes: Option<Vec<String>>,
    /// In a region whose NUTS code starts with this (`NL` finds `NL414`).
    pub region: Option<String>,
    /// In this country (ISO 3166-1 alpha-2, e.g. `ES`).
    pub country: Option<String>,
    /// Of any of these kinds.
    pub kinds: Option<Vec<ClusterKind>>,
    /// Holding a label of this level.
    pub label: Option<LabelLevel>,
    /// Name or description contains this text (case-insensitive).
    pub text: Option<String>,
}

impl ClusterFilterInput {
    /// Validates the filter.
    pub fn parse(self) -> Result<ClusterFilter, AppError> {
        Ok(ClusterFilter {
            themes: self.themes.unwrap_or_default(),
            region: self
                .region
                .map(|r| NutsPrefix::parse("filter.region", &r))
                .transpose()?,
            country: self
                .country
                .map(|c| CountryCode::parse("filter.country", &c))
                .transpose()?,
            kinds: self.kinds.unwrap_or_default(),
            label: self.label,
            text: self
                .text
                .map(|t| Text::parse("filter.text", &t))
                .transpose()?
                .flatten(),
        })
    }
}

/// The top-level cluster queries.
#[derive(Default)]
pub struct ClusterQuery;

#[Object]
impl ClusterQuery {
    /// One cluster, by `id` or by `slug` (give exactly one).
    async fn cluster(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cluster's id.")] id: Option<ID>,
        #[graphql(desc = "The cluster's slug, e.g. `indescat`.")] slug: Option<String>,
    ) -> async_graphql::Result<Option<Cluster>> {
        Ok(Some(Cluster(
            lookup_with_list::<cluster::Entity, _, _>(
                ctx,
                "Cluster",
                id,
                "slug",
                cluster::Column::Slug,
                slug,
                members_of_cluster()?,
            )
            .await?,
        )))
    }

    /// Clusters, filtered and ordered; by name when no order is given.
    async fn clusters(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<ClusterFilterInput>,
        #[graphql(desc = "Order of the list; by name when omitted.")] order_by: Option<Ordering>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ClusterConnection> {
        let sort = by_name("cluster").sort(order_by)?;
        let filter = filter.unwrap_or_default().parse()?;
        let q = cluster::Entity::find()
            .filter(filter.condition())
            .into_query();
        let q = narrow::<cluster::Entity>(ctx, q);
        top_joined::<cluster::Model, region::Entity, _>(
            ctx,
            q,
            sort,
            PageArgs::new(first, after, last, before),
            "region",
            "region_id",
        )
        .await
    }
}

impl Narrow for cluster::Entity {
    const PRECISE: bool = true;

    fn columns_of(field: &str) -> Option<&'static [&'static str]> {
        Some(match field {
            "__typename" | "translations" | "themes" | "labels" | "memberships"
            | "participations" | "events" | "indicators" | "kpis" => &[],
            "id" => &["public_id"],
            "version" => &["version"],
            "slug" => &["slug"],
            // A localized text falls back to the row's own, in the row's language.
            "name" | "localizedName" => &["name", "text_language"],
            "textLanguage" => &["text_language"],
            "kind" => &["kind"],
            "description" | "localizedDescription" => &["description", "text_language"],
            "yearEstablished" => &["year_established"],
            "website" => &["website"],
            "email" => &["email"],
            "countryCode" => &["country_code"],
            "innovationTurnoverEur" => &["innovation_turnover_eur"],
            "region" => &["region_id"],
            "managingOrganisation" => &["managing_organisation_id"],
            "createdAt" => &["created_at"],
            "updatedAt" => &["updated_at"],
            _ => return None,
        })
    }
}

/// How labels are listed.
const LABEL_ORDER: Orderable = Orderable {
    table: "cluster_label",
    name_column: "issuer",
    fields: &[OrderField::CreatedAt],
};

/// A regional open-innovation cluster: a network of companies, knowledge institutions,
/// SportFieldLabs and public authorities, run by a managing organisation.
#[Object]
impl Cluster {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Cluster", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Stable short name, e.g. `sports-and-technology`; use it in filters and URLs.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Name of the cluster. In the language asked for with `lang` or `Accept-Language`, falling back to
    /// English, then to the original; as written when no language is asked for.
    async fn name(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language wanted; overrides `Accept-Language`.")] lang: Option<
            Language,
        >,
    ) -> async_graphql::Result<String> {
        Ok(self
            .localized(ctx, "name", Some(&self.0.name), lang)
            .await?
            .map(|t| t.text)
            .unwrap_or_default())
    }
    /// The name as `name` chooses it, with the language it is in.
    async fn localized_name(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language wanted; overrides `Accept-Language`.")] lang: Option<
            Language,
        >,
    ) -> async_graphql::Result<Option<LocalizedText>> {
        self.localized(ctx, "name", Some(&self.0.name), lang).await
    }
    /// The language its own texts are written in.
    async fn text_language(&self) -> Language {
        self.0.text_language
    }
    /// Every stored translation of its texts.
    async fn translations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Translation>> {
        translations_of(ctx, <Self as Translatable>::KIND, self.0.id).await
    }
    /// Kind of cluster.
    async fn kind(&self) -> ClusterKind {
        self.0.kind
    }
    /// What the cluster is and does. Chosen like `name`.
    async fn description(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language wanted; overrides `Accept-Language`.")] lang: Option<
            Language,
        >,
    ) -> async_graphql::Result<Option<String>> {
        Ok(self
            .localized(ctx, "description", self.0.description.as_deref(), lang)
            .await?
            .map(|t| t.text))
    }
    /// The description as `description` chooses it, with the language it is in.
    async fn localized_description(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language wanted; overrides `Accept-Language`.")] lang: Option<
            Language,
        >,
    ) -> async_graphql::Result<Option<LocalizedText>> {
        self.localized(ctx, "description", self.0.description.as_deref(), lang)
            .await
    }
    /// Year the cluster was established.
    async fn year_established(&self) -> Option<i32> {
        self.0.year_established
    }
    /// Website.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    /// General contact email address of the cluster.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// ISO 3166-1 alpha-2 code of the cluster's country.
    async fn country_code(&self) -> &str {
        &self.0.country_code
    }
    /// Innovation turnover of the cluster's members, in euro a year.
    async fn innovation_turnover_eur(&self) -> Option<i64> {
        self.0.innovation_turnover_eur
    }
    /// The region the cluster is based in.
    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Region>> {
        region_of(ctx, self.0.region_id).await
    }
    /// The organisation that manages the cluster.
    async fn managing_organisation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Organisation>> {
        let Some(id) = self.0.managing_organisation_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .one::<organisation::Entity>(id)
            .await?
            .map(Organisation))
    }
    /// Themes the cluster works on.
    async fn themes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ThemeConnection> {
        themes_of(
            ctx,
            self.0.id,
            "cluster_theme",
            "cluster_id",
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Cluster-management labels the cluster holds.
    async fn labels(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ClusterLabelConnection> {
        nested::<cluster_label::Model, _, _>(
            ctx,
            self.0.id,
            || cluster_label::Entity::find().into_query(),
            ("cluster_label", "cluster_id"),
            LABEL_ORDER.sort(None)?,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Member organisations with their roles, in order of joining.
    async fn memberships(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<MembershipConnection> {
        members_of_cluster()?
            .resolve(ctx, self.0.id, PageArgs::new(first, after, last, before))
            .await
    }
    /// The cluster's part in collaborations (inter-cluster projects), with its role.
    async fn participations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ParticipantConnection> {
        let sort = by_creation("participant").sort(None)?;
        nested::<participant::Model, _, _>(
            ctx,
            self.0.id,
            || participant::Entity::find().into_query(),
            ("participant", "cluster_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Events the cluster organises; upcoming ones (ongoing included) unless the filter says otherwise.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; without `from`, only events not yet ended.")]
        filter: Option<EventFilterInput>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<EventConnection> {
        let filter = filter.unwrap_or_default().parse()?;
        let q = || {
            let mut q = narrow::<event::Entity>(
                ctx,
                event::Entity::find()
                    .filter(filter.condition())
                    .into_query(),
            );
            q.inner_join(
                Alias::new("event_organiser"),
                col("event_organiser", "event_id").equals((Alias::new("event"), Alias::new("id"))),
            );
            q
        };
        nested::<event::Model, _, _>(
            ctx,
            self.0.id,
            q,
            ("event_organiser", "cluster_id"),
            EVENT_ORDER.sort(None)?,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// The cluster's regional state of affairs: indicators by year.
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only indicators of this year.")] year: Option<i32>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<IndicatorConnection> {
        let q = || {
            let mut q = indicator::Entity::find();
            if let Some(y) = year {
                q = q.filter(indicator::Column::Year.eq(y));
            }
            q.into_query()
        };
        let sort = by_creation("indicator").sort(None)?;
        nested::<indicator::Model, _, _>(
            ctx,
            self.0.id,
            q,
            ("indicator", "cluster_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// The cluster's KPIs: targets against actuals per period.
    async fn kpis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<KpiConnection> {
        let sort = by_creation("kpi").sort(None)?;
        nested::<kpi::Model, _, _>(
            ctx,
            self.0.id,
            || kpi::Entity::find().into_query(),
            ("kpi", "cluster_id"),
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

/// A cluster-management excellence label (e.g. ESCA/EUCLES Bronze, Silver or Gold).
#[Object]
impl ClusterLabel {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("ClusterLabel", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Who awarded the label, e.g. `ESCA`.
    async fn issuer(&self) -> &str {
        &self.0.issuer
    }
    /// Level of the label.
    async fn level(&self) -> LabelLevel {
        self.0.level
    }
    /// Day the label was awarded.
    async fn awarded_on(&self) -> NaiveDate {
        self.0.awarded_on
    }
    /// Day the label expires.
    async fn expires_on(&self) -> Option<NaiveDate> {
        self.0.expires_on
    }
    /// The cluster holding the label.
    async fn cluster(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Cluster>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<cluster::Entity>(self.0.cluster_id)
            .await?
            .map(Cluster))
    }
}
