//! Events: B2B matchmaking, company visits, network events, learning networks, conferences, webinars.

use super::connection::*;
use super::i18n::{LocalizedText, Translatable, Translation, translations_of};
use super::loader::Loaders;
use super::node::{global_id, lookup_narrow};
use super::ordering::{OrderField, Orderable, Ordering, by_creation};
use super::region::themes_of;
use super::types::*;
use crate::domain::Language;
use crate::domain::{EventFormat, EventStatus};
use crate::entities::{cluster, collaboration, event, event_organiser, organisation};
use crate::error::AppError;
use crate::services::event::EventFilter;
use crate::services::filter::{CountryCode, NutsPrefix, Text};
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

/// An instant as RFC 3339 in the IANA zone `zone` (UTC when the zone is unknown).
pub fn local_time(at: DateTime<Utc>, zone: &str) -> String {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => at.with_timezone(&tz).to_rfc3339(),
        Err(_) => at.to_rfc3339(),
    }
}

wrapper!(
    /// A thematic meeting where SMEs and cluster partners take part.
    Event, event
);
wrapper!(
    /// One organiser of an event: a cluster, a collaboration or an organisation.
    EventOrganiser, event_organiser
);

/// How events are ordered: by start time unless asked otherwise.
pub const EVENT_ORDER: Orderable = Orderable {
    table: "event",
    name_column: "title",
    fields: &[
        OrderField::StartsAt,
        OrderField::Name,
        OrderField::CreatedAt,
        OrderField::UpdatedAt,
    ],
};

/// Narrows a list of events; every part given must match.
#[derive(InputObject, Default, Clone)]
pub struct EventFilterInput {
    /// Only events ending at or after this instant; defaults to now, so that upcoming and
    /// ongoing events are listed. Give a date in the past to include past events.
    pub from: Option<DateTime<Utc>>,
    /// Only events starting before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Include past events too (ignores the default of `from`).
    #[graphql(default)]
    pub include_past: bool,
    /// On any of these themes (slugs).
    pub themes: Option<Vec<String>>,
    /// Organised by any of these clusters (slugs).
    pub clusters: Option<Vec<String>>,
    /// Organised within any of these collaborations (slugs).
    pub collaborations: Option<Vec<String>>,
    /// Of any of these formats.
    pub formats: Option<Vec<EventFormat>>,
    /// In any of these statuses.
    pub statuses: Option<Vec<EventStatus>>,
    /// Taking place in this country (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// Organised by a cluster or organisation in a region whose NUTS code starts with this
    /// (`NL` finds events of Brainport's `NL414`).
    pub region: Option<String>,
    /// Online events only (`true`) or on-site ones only (`false`).
    pub online: Option<bool>,
    /// In this language (ISO 639-1, e.g. `en`).
    pub language: Option<String>,
    /// Title or description contains this text (case-insensitive).
    pub text: Option<String>,
}

impl EventFilterInput {
    /// Validates the filter; without `from` or `includePast`, only events not yet ended.
    pub fn parse(self) -> Result<EventFilter, AppError> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(AppError::bad_input(
                "filter.to",
                "`to` must not be before `from`",
            ));
        }
        let language = match self.language {
            Some(l) if l.len() != 2 || !l.chars().all(|c| c.is_ascii_alphabetic()) => {
                return Err(AppError::bad_input(
                    "filter.language",
                    "give an ISO 639-1 language code such as `en` or `nl`",
                ));
            }
            other => other.map(|l| l.to_ascii_lowercase()),
        };
        let from = match (self.from, self.include_past) {
            (Some(f), _) => Some(f),
            (None, true) => None,
            (None, false) => Some(Utc::now()),
        };
        Ok(EventFilter {
            from,
            to: self.to,
            themes: self.themes.unwrap_or_default(),
            clusters: self.clusters.unwrap_or_default(),
            collaborations: self.collaborations.unwrap_or_default(),
            formats: self.formats.unwrap_or_default(),
            statuses: self.statuses.unwrap_or_default(),
            country: self
                .country
                .map(|c| CountryCode::parse("filter.country", &c))
                .transpose()?,
            region: self
                .region
                .map(|r| NutsPrefix::parse("filter.region", &r))
                .transpose()?,
            online: self.online,
            language,
            text: self
                .text
                .map(|t| Text::parse("filter.text", &t))
                .transpose()?
                .flatten(),
        })
    }
}

/// The top-level event queries.
#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// One event, by `id` or by `slug` (give exactly one).
    async fn event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event's id.")] id: Option<ID>,
        #[graphql(desc = "The event's slug, e.g. `tci-2019`.")] slug: Option<String>,
    ) -> async_graphql::Result<Option<Event>> {
        Ok(Some(Event(
            lookup_narrow::<event::Entity>(ctx, "Event", id, "slug", event::Column::Slug, slug)
                .await?,
        )))
    }

    /// Events: upcoming ones (ongoing included) by start time, unless the filter or order say otherwise.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Narrows the list; without `from` or `includePast`, only events not yet ended."
        )]
        filter: Option<EventFilterInput>,
        #[graphql(desc = "Order of the list; by start time when omitted.")] order_by: Option<
            Ordering,
        >,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<EventConnection> {
        let sort = EVENT_ORDER.sort(order_by)?;
        let filter = filter.unwrap_or_default().parse()?;
        let q = event::Entity::find()
            .filter(filter.condition())
            .into_query();
        let q = narrow::<event::Entity>(ctx, q);
        top::<event::Model, _>(ctx, q, sort, PageArgs::new(first, after, last, before)).await
    }
}

impl Narrow for event::Entity {
    const PRECISE: bool = true;

    fn columns_of(field: &str) -> Option<&'static [&'static str]> {
        Some(match field {
            "__typename" | "translations" | "themes" | "organisers" => &[],
            "id" => &["public_id"],
            "version" => &["version"],
            "slug" => &["slug"],
            // A localized text falls back to the row's own, in the row's language.
            "title" | "localizedTitle" => &["title", "text_language"],
            "description" | "localizedDescription" => &["description", "text_language"],
            "textLanguage" => &["text_language"],
            "format" => &["format"],
            "startsAt" => &["starts_at"],
            "endsAt" => &["ends_at"],
            "timeZone" => &["time_zone"],
            "localStartsAt" => &["starts_at", "time_zone"],
            "localEndsAt" => &["ends_at", "time_zone"],
            "venue" => &["venue"],
            "city" => &["city"],
            "countryCode" => &["country_code"],
            "onlineUrl" | "online" => &["online_url"],
            "language" => &["language"],
            "registrationUrl" => &["registration_url"],
            "status" => &["status"],
            "createdAt" => &["created_at"],
            "updatedAt" => &["updated_at"],
            _ => return None,
        })
    }
}

/// A thematic meeting where SMEs and cluster partners take part.
#[Object]
impl Event {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Event", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Stable short name; use it in URLs.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Title. In the language asked for with `lang` or `Accept-Language`, falling back to
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
    /// Programme and purpose. Chosen like `title`.
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
    /// Format.
    async fn format(&self) -> EventFormat {
        self.0.format
    }
    /// Start, in UTC (RFC 3339); show it in `timeZone`.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// End, in UTC (RFC 3339); show it in `timeZone`.
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// IANA time zone of the event, e.g. `Europe/Brussels`.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    /// The start in the event's time zone, as RFC 3339 with that zone's offset at that moment
    /// (daylight saving included), e.g. `2027-03-29T09:00:00+02:00`.
    async fn local_starts_at(&self) -> String {
        local_time(self.0.starts_at, &self.0.time_zone)
    }
    /// The end in the event's time zone, as RFC 3339 with that zone's offset at that moment.
    async fn local_ends_at(&self) -> String {
        local_time(self.0.ends_at, &self.0.time_zone)
    }
    /// Venue.
    async fn venue(&self) -> Option<&str> {
        self.0.venue.as_deref()
    }
    /// City.
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    /// ISO 3166-1 alpha-2 code of the country it takes place in.
    async fn country_code(&self) -> Option<&str> {
        self.0.country_code.as_deref()
    }
    /// Link to join online.
    async fn online_url(&self) -> Option<&str> {
        self.0.online_url.as_deref()
    }
    /// Whether the event can be joined online.
    async fn online(&self) -> bool {
        self.0.online_url.is_some()
    }
    /// Language (ISO 639-1).
    async fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }
    /// Where to register.
    async fn registration_url(&self) -> Option<&str> {
        self.0.registration_url.as_deref()
    }
    /// Whether it takes place as planned; cancelled events stay listed.
    async fn status(&self) -> EventStatus {
        self.0.status
    }
    /// Themes of the event.
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
            "event_theme",
            "event_id",
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// Who organises the event.
    async fn organisers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<EventOrganiserConnection> {
        let sort = by_creation("event_organiser").sort(None)?;
        nested::<event_organiser::Model, _, _>(
            ctx,
            self.0.id,
            || event_organiser::Entity::find().into_query(),
            ("event_organiser", "event_id"),
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

/// One organiser of an event: a cluster, a collaboration or an organisation.
#[Object]
impl EventOrganiser {
    /// Globally unique, stable id of this organiser entry.
    async fn id(&self) -> ID {
        global_id("EventOrganiser", self.0.public_id)
    }
    /// Version of this record, raised by every change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The organising cluster, if a cluster organises.
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
    /// The organising collaboration, if the event belongs to one.
    async fn collaboration(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Collaboration>> {
        let Some(id) = self.0.collaboration_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .one::<collaboration::Entity>(id)
            .await?
            .map(Collaboration))
    }
    /// The organising organisation, if an organisation organises.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        let Some(id) = self.0.organisation_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .one::<organisation::Entity>(id)
            .await?
            .map(Organisation))
    }
}
