//! Offers and needs: what SMEs put forward, to be matched with companies of other clusters.

use super::connection::*;
use super::i18n::{LocalizedText, Translatable, Translation, translations_of};
use super::loader::Loaders;
use super::node::{global_id, parse_id_of};
use super::ordering::{OrderField, Orderable, Ordering};
use super::region::themes_of;
use super::types::*;
use crate::domain::Language;
use crate::domain::OfferNeedKind;
use crate::entities::{interest, offer_need, organisation};
use crate::error::AppError;
use crate::services::filter::Text;
use crate::services::offer_need::OfferNeedFilter;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait};

wrapper!(
    /// Something an organisation offers or needs (the Enterprise Europe Network kinds).
    OfferNeed, offer_need
);

wrapper!(
    /// An expression of interest: an organisation answering an offer or need.
    Interest, interest
);

/// How offers and needs are ordered: newest first unless asked otherwise.
const OFFER_NEED_ORDER: Orderable = Orderable {
    table: "offer_need",
    name_column: "title",
    fields: &[
        OrderField::CreatedAt,
        OrderField::Name,
        OrderField::UpdatedAt,
    ],
};

/// Narrows a list of offers and needs; every part given must match.
#[derive(InputObject, Default, Clone)]
pub struct OfferNeedFilterInput {
    /// Of any of these kinds.
    pub kinds: Option<Vec<OfferNeedKind>>,
    /// On any of these themes (slugs).
    pub themes: Option<Vec<String>>,
    /// Put forward by members of any of these clusters (slugs).
    pub clusters: Option<Vec<String>>,
    /// Title or description contains this text (case-insensitive).
    pub text: Option<String>,
}

/// The top-level offer/need queries.
#[derive(Default)]
pub struct OfferNeedQuery;

#[Object]
impl OfferNeedQuery {
    /// One offer or need, by id.
    async fn offer_need(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The offer's or need's id.")] id: ID,
    ) -> async_graphql::Result<Option<OfferNeed>> {
        let db = &ctx.data::<Loaders>()?.db.reads;
        let found = offer_need::Entity::find()
            .filter(offer_need::Column::PublicId.eq(parse_id_of("OfferNeed", &id)?))
            .one(db)
            .await
            .map_err(AppError::from)?;
        Ok(Some(OfferNeed(found.ok_or_else(|| {
            AppError::not_found("no offer or need has this id")
        })?)))
    }

    /// Offers and needs, newest first unless ordered otherwise.
    async fn offers_and_needs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<OfferNeedFilterInput>,
        #[graphql(desc = "Order of the list; by creation when omitted.")] order_by: Option<
            Ordering,
        >,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<OfferNeedConnection> {
        let sort = OFFER_NEED_ORDER.sort(order_by)?;
        let f = filter.unwrap_or_default();
        let filter = OfferNeedFilter {
            kinds: f.kinds.unwrap_or_default(),
            themes: f.themes.unwrap_or_default(),
            clusters: f.clusters.unwrap_or_default(),
            text: f
                .text
                .map(|t| Text::parse("filter.text", &t))
                .transpose()?
                .flatten(),
        };
        let q = offer_need::Entity::find()
            .filter(filter.condition())
            .into_query();
        top::<offer_need::Model, _>(ctx, q, sort, PageArgs::new(first, after, last, before)).await
    }
}

/// Something an organisation offers or needs (the Enterprise Europe Network kinds).
#[Object]
impl OfferNeed {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("OfferNeed", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Kind of offer or need.
    async fn kind(&self) -> OfferNeedKind {
        self.0.kind
    }
    /// Whether this is an offer (rather than a need).
    async fn is_offer(&self) -> bool {
        self.0.kind.is_offer()
    }
    /// Short title. In the language asked for with `lang` or `Accept-Language`, falling back to
    /// English, then to the original; as written when no language is asked for.
    async fn title(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language wanted; overrides `Accept-Language`.")] lang: Option<
            Language,
        >,
    ) -> async_graphql::Result<String> {
        Ok(self
            .localized(ctx, "title", Some(&self.0.title), lang)
            .await?
            .map(|t| t.text)
            .unwrap_or_default())
    }
    /// The title as `title` chooses it, with the language it is in.
    async fn localized_title(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language wanted; overrides `Accept-Language`.")] lang: Option<
            Language,
        >,
    ) -> async_graphql::Result<Option<LocalizedText>> {
        self.localized(ctx, "title", Some(&self.0.title), lang)
            .await
    }
    /// The language its own texts are written in.
    async fn text_language(&self) -> Language {
        self.0.text_language
    }
    /// Every stored translation of its texts.
    async fn translations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Translation>> {
        translations_of(ctx, <Self as Translatable>::KIND, self.0.id).await
    }
    /// What is offered or needed. Chosen like `title`.
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
    /// Countries it targets (ISO 3166-1 alpha-2); empty for anywhere.
    async fn target_countries(&self) -> Vec<String> {
        crate::services::organisation::unpack_codes(self.0.target_countries.as_deref())
    }
    /// For an offer, the needs it answers; for a need, the offers that answer it: open ones of
    /// organisations that share no cluster with its own, best first. Each score is made of
    /// shared themes, NACE codes, target countries, words in common and freshness, and every
    /// part is explained. Computed for one offer or need at a time: under a list of more than
    /// one, the query is refused with `QUERY_TOO_COSTLY`.
    async fn matches(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the best n matches (1 to 50, default 10).")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<super::matchmaking::Match>> {
        let n = super::matchmaking::wanted(first)?;
        let db = &ctx.data::<Loaders>()?.db.reads;
        // Boxed: inline, this future would set the size of every field's (see `Boxed`).
        Ok(
            Box::pin(crate::services::matchmaking::matches(db, &self.0, n))
                .await?
                .into_iter()
                .map(super::matchmaking::Match)
                .collect(),
        )
    }
    /// Open until this day.
    async fn valid_until(&self) -> Option<NaiveDate> {
        self.0.valid_until
    }
    /// The organisation offering or needing it.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<organisation::Entity>(self.0.organisation_id)
            .await?
            .map(Organisation))
    }
    /// Expressions of interest in it. Only the managers of its organisation (and of the interested
    /// organisations, for their own) see them; for everybody else the list is empty.
    async fn interests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<InterestConnection> {
        use crate::services::access::{Caller, managed_organisations, of_managed_organisations};
        use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Query};
        let caller = ctx.data::<Caller>()?;
        let of_managed_offers = match managed_organisations(caller) {
            None => Cond::all(),
            Some(ids) => Cond::all().add(
                crate::services::filter::col("interest", "offer_need_id").in_subquery(
                    Query::select()
                        .column(Alias::new("id"))
                        .from(Alias::new("offer_need"))
                        .and_where(Expr::col(Alias::new("organisation_id")).in_subquery(ids))
                        .to_owned(),
                ),
            ),
        };
        let q = || {
            interest::Entity::find()
                .filter(
                    Cond::any()
                        .add(of_managed_offers)
                        .add(of_managed_organisations(
                            caller,
                            "interest",
                            "organisation_id",
                        )),
                )
                .into_query()
        };
        nested::<interest::Model, _, _>(
            ctx,
            self.0.id,
            q,
            ("interest", "offer_need_id"),
            super::ordering::by_creation("interest").sort(None)?,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Themes it concerns.
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
            "offer_need_theme",
            "offer_need_id",
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// When it was put forward.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An expression of interest: an organisation answering an offer or need.
#[Object]
impl Interest {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Interest", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The offer or need it answers.
    async fn offer_need(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OfferNeed>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<offer_need::Entity>(self.0.offer_need_id)
            .await?
            .map(OfferNeed))
    }
    /// The interested organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<organisation::Entity>(self.0.organisation_id)
            .await?
            .map(Organisation))
    }
    /// What the organisation wrote.
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    /// When it was expressed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
