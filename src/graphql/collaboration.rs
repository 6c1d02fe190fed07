//! Collaborations (inter-cluster projects such as SmartSports4GoodLife) and their participants.

use super::connection::*;
use super::event::EVENT_ORDER;
use super::i18n::{LocalizedText, Translatable, Translation, translations_of};
use super::loader::Loaders;
use super::node::{global_id, lookup};
use super::ordering::{Ordering, by_creation, by_name};
use super::region::themes_of;
use super::types::*;
use crate::domain::Language;
use crate::domain::{CollaborationStatus, ParticipantRole};
use crate::entities::{cluster, collaboration, event, kpi, organisation, participant};
use crate::error::AppError;
use crate::services::collaboration::CollaborationFilter;
use crate::services::filter::{Text, col};
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, ExprTrait};
use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

wrapper!(
    /// An inter-cluster project, such as SmartSports4GoodLife (EU COSME) or Inno4Sports (Interreg Europe).
    Collaboration, collaboration
);
wrapper!(
    /// An organisation taking part in a collaboration, for a cluster or on its own, with its role.
    Participant, participant
);

/// Narrows a list of collaborations; every part given must match.
#[derive(InputObject, Default, Clone)]
pub struct CollaborationFilterInput {
    /// Programme contains this text, e.g. `COSME` or `Interreg`.
    pub programme: Option<String>,
    /// Working on any of these themes (slugs).
    pub themes: Option<Vec<String>>,
    /// In any of these statuses.
    pub statuses: Option<Vec<CollaborationStatus>>,
    /// With any of these organisations or clusters (slugs) taking part.
    pub participants: Option<Vec<String>>,
    /// Running on or after this day.
    pub active_from: Option<NaiveDate>,
    /// Running on or before this day.
    pub active_until: Option<NaiveDate>,
    /// Name or description contains this text (case-insensitive).
    pub text: Option<String>,
}

impl CollaborationFilterInput {
    /// Validates the filter.
    pub fn parse(self) -> Result<CollaborationFilter, AppError> {
        if let (Some(from), Some(until)) = (self.active_from, self.active_until)
            && from > until
        {
            return Err(AppError::bad_input(
                "filter.activeUntil",
                "`activeUntil` must not be before `activeFrom`",
            ));
        }
        Ok(CollaborationFilter {
            programme: self
                .programme
                .map(|t| Text::parse("filter.programme", &t))
                .transpose()?
                .flatten(),
            themes: self.themes.unwrap_or_default(),
            statuses: self.statuses.unwrap_or_default(),
            participants: self.participants.unwrap_or_default(),
            active_from: self.active_from,
            active_until: self.active_until,
            text: self
                .text
                .map(|t| Text::parse("filter.text", &t))
                .transpose()?
                .flatten(),
        })
    }
}

/// The top-level collaboration queries.
#[derive(Default)]
pub struct CollaborationQuery;

#[Object]
impl CollaborationQuery {
    /// One collaboration, by `id` or by `slug` (give exactly one).
    async fn collaboration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collaboration's id.")] id: Option<ID>,
        #[graphql(desc = "The collaboration's slug, e.g. `inno4sports`.")] slug: Option<String>,
    ) -> async_graphql::Result<Option<Collaboration>> {
        Ok(Some(Collaboration(
            lookup::<collaboration::Entity>(
                ctx,
                "Collaboration",
                id,
                "slug",
                collaboration::Column::Slug,
                slug,
            )
            .await?,
        )))
    }

    /// Collaborations, filtered and ordered; by name when no order is given.
    async fn collaborations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<CollaborationFilterInput>,
        #[graphql(desc = "Order of the list; by name when omitted.")] order_by: Option<Ordering>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<CollaborationConnection> {
        let sort = by_name("collaboration").sort(order_by)?;
        let filter = filter.unwrap_or_default().parse()?;
        let q = collaboration::Entity::find()
            .filter(filter.condition())
            .into_query();
        top::<collaboration::Model, _>(ctx, q, sort, PageArgs::new(first, after, last, before))
            .await
    }
}

/// An inter-cluster project, such as SmartSports4GoodLife (EU COSME) or Inno4Sports (Interreg Europe).
#[Object]
impl Collaboration {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Collaboration", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Stable short name; use it in filters and URLs.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Name of the project. In the language asked for with `lang` or `Accept-Language`, falling back to
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
    /// Funding programme, e.g. `EU COSME` or `Interreg Europe`.
    async fn programme(&self) -> &str {
        &self.0.programme
    }
    /// Goals and activities. Chosen like `name`.
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
    /// First day.
    async fn starts_on(&self) -> Option<NaiveDate> {
        self.0.starts_on
    }
    /// Last day; null when not (yet) known.
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.ends_on
    }
    /// Budget in euro.
    async fn budget_eur(&self) -> Option<i64> {
        self.0.budget_eur
    }
    /// Where the project stands.
    async fn status(&self) -> CollaborationStatus {
        self.0.status
    }
    /// Website.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    /// Themes of the project.
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
            "collaboration_theme",
            "collaboration_id",
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Who takes part, with their roles.
    async fn participants(
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
            ("participant", "collaboration_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Events organised within the project, past and upcoming, by start time.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<EventConnection> {
        let q = || {
            let mut q = narrow::<event::Entity>(ctx, event::Entity::find().into_query());
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
            ("event_organiser", "collaboration_id"),
            EVENT_ORDER.sort(None)?,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Shared objectives of the project: targets against actuals.
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
            ("kpi", "collaboration_id"),
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

/// An organisation taking part in a collaboration, for a cluster or on its own, with its role.
#[Object]
impl Participant {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Participant", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Role in the collaboration.
    async fn role(&self) -> ParticipantRole {
        self.0.role
    }
    /// The collaboration.
    async fn collaboration(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Collaboration>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<collaboration::Entity>(self.0.collaboration_id)
            .await?
            .map(Collaboration))
    }
    /// The organisation taking part.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<organisation::Entity>(self.0.organisation_id)
            .await?
            .map(Organisation))
    }
    /// The cluster the organisation takes part for, if any.
    async fn cluster(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Cluster>> {
        let Some(id) = self.0.cluster_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .one::<cluster::Entity>(id)
            .await?
            .map(Cluster))
    }
}
