//! Creating, changing and deleting events.
//!
//! An event belongs to its organisers (clusters, collaborations, organisations). Whoever may
//! manage every organiser given may create the event; whoever may manage any of its organisers
//! may change or delete it. Cancelling is a change of `status` to `CANCELLED`: the event stays
//! listed, marked. Deleting an event deletes its organiser and theme links.

use super::{begin, id_of, patch, set};
use crate::domain::{EventFormat, EventStatus};
use crate::entities::{cluster, collaboration, event, event_organiser, organisation};
use crate::error::{AppError, AppResult};
use crate::graphql::types::Event;
use crate::services::access::Need;
use crate::services::links::{free_slug, set_themes, slug_free, theme_ids_of};
use crate::services::live::ChangeKind;
use crate::services::validate::Check;
use crate::services::write::Write;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// Who organises an event; give at least one.
#[derive(InputObject, Default)]
pub struct OrganisersInput {
    /// Organising clusters.
    pub clusters: Option<Vec<ID>>,
    /// Organising collaborations.
    pub collaborations: Option<Vec<ID>>,
    /// Organising organisations.
    pub organisations: Option<Vec<ID>>,
}

/// A new event.
#[derive(InputObject)]
pub struct CreateEventInput {
    /// Title (1 to 200 characters).
    pub title: String,
    /// Stable short name for URLs; made from the title when omitted.
    pub slug: Option<String>,
    /// What happens (at most 10,000 characters).
    pub description: Option<String>,
    /// Format.
    pub format: EventFormat,
    /// Start, as an instant (RFC 3339 with offset, e.g. `2027-03-02T09:00:00+01:00`).
    pub starts_at: DateTime<Utc>,
    /// End, not before the start.
    pub ends_at: DateTime<Utc>,
    /// IANA time zone of the venue, e.g. `Europe/Amsterdam`; times are shown in it.
    pub time_zone: String,
    /// Venue.
    pub venue: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country (ISO 3166-1 alpha-2).
    pub country_code: Option<String>,
    /// Link to join online; an event needs a place (venue, city or country) or this.
    pub online_url: Option<String>,
    /// Language, as an ISO 639-1 code such as `en` or `nl`.
    pub language: Option<String>,
    /// Where to register.
    pub registration_url: Option<String>,
    /// Status; `SCHEDULED` when omitted.
    pub status: Option<EventStatus>,
    /// Slugs of its themes.
    pub themes: Option<Vec<String>>,
    /// Who organises it.
    pub organisers: OrganisersInput,
    /// Language of its title and description (English when omitted).
    pub text_language: Option<crate::domain::Language>,
}

/// Changes to an event; omitted fields stay as they are, `null` clears a field.
#[derive(InputObject)]
pub struct UpdateEventInput {
    /// The event's id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// Title.
    pub title: Option<String>,
    /// What happens.
    pub description: MaybeUndefined<String>,
    /// Format.
    pub format: Option<EventFormat>,
    /// Start.
    pub starts_at: Option<DateTime<Utc>>,
    /// End.
    pub ends_at: Option<DateTime<Utc>>,
    /// IANA time zone of the venue.
    pub time_zone: Option<String>,
    /// Venue.
    pub venue: MaybeUndefined<String>,
    /// City.
    pub city: MaybeUndefined<String>,
    /// Country (ISO 3166-1 alpha-2).
    pub country_code: MaybeUndefined<String>,
    /// Link to join online.
    pub online_url: MaybeUndefined<String>,
    /// Language (ISO 639-1).
    pub language: MaybeUndefined<String>,
    /// Where to register.
    pub registration_url: MaybeUndefined<String>,
    /// Status; `CANCELLED` cancels the event, which stays listed.
    pub status: Option<EventStatus>,
    /// Slugs of its themes; replaces the current ones.
    pub themes: Option<Vec<String>>,
    /// Language of its own texts.
    pub text_language: Option<crate::domain::Language>,
}

/// Checks an event as it would be saved.
async fn check_event(
    w: &Write,
    check: &mut Check,
    draft: &mut event::Model,
    saved: Option<&event::Model>,
) -> AppResult<()> {
    check.text("input.title", &mut draft.title, 1, 200);
    check.opt_text("input.description", &mut draft.description, 10_000);
    check.opt_text("input.venue", &mut draft.venue, 200);
    check.opt_text("input.city", &mut draft.city, 200);
    check.opt_country("input.countryCode", &mut draft.country_code);
    check.url("input.onlineUrl", &mut draft.online_url);
    check.url("input.registrationUrl", &mut draft.registration_url);
    check.slug("input.slug", &draft.slug);
    draft.time_zone = draft.time_zone.trim().to_owned();
    if draft.time_zone.parse::<chrono_tz::Tz>().is_err() {
        check.fail(
            "input.timeZone",
            format!(
                "`{}` is not an IANA time zone such as `Europe/Amsterdam` or `UTC`",
                draft.time_zone
            ),
        );
    }
    check.in_order(
        "input.endsAt",
        Some(draft.starts_at),
        Some(draft.ends_at),
        "the end",
    );
    if let Some(lang) = draft.language.as_mut() {
        *lang = lang.trim().to_ascii_lowercase();
        if lang.len() != 2 || !lang.chars().all(|c| c.is_ascii_lowercase()) {
            check.fail(
                "input.language",
                format!("`{lang}` is not an ISO 639-1 language code such as `en` or `nl`"),
            );
        }
    }
    if draft.online_url.is_none()
        && draft.venue.is_none()
        && draft.city.is_none()
        && draft.country_code.is_none()
    {
        check.fail(
            "input.onlineUrl",
            "give a place (venue, city or country) or a link to join online",
        );
    }
    slug_free(
        &w.txn,
        check,
        "event",
        "event",
        &draft.slug,
        draft.id,
        saved.map(|s| s.slug.as_str()),
    )
    .await?;
    Ok(())
}

/// The organiser rows of a new event, with the caller's right checked on each organiser.
async fn organisers_of(
    w: &Write,
    input: &OrganisersInput,
) -> AppResult<Vec<(Option<i64>, Option<i64>, Option<i64>)>> {
    let mut out = Vec::new();
    for id in input.clusters.iter().flatten() {
        let c = w
            .find::<cluster::Entity>(
                "cluster",
                id_of("Cluster", "input.organisers.clusters", id)?,
            )
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[c.id]).await?)?;
        out.push((Some(c.id), None, None));
    }
    for id in input.collaborations.iter().flatten() {
        let c = w
            .find::<collaboration::Entity>(
                "collaboration",
                id_of("Collaboration", "input.organisers.collaborations", id)?,
            )
            .await?;
        w.allow(Need::Manage, &w.collaboration_owner(c.id).await?)?;
        out.push((None, Some(c.id), None));
    }
    for id in input.organisations.iter().flatten() {
        let o = w
            .find::<organisation::Entity>(
                "organisation",
                id_of("Organisation", "input.organisers.organisations", id)?,
            )
            .await?;
        w.allow(Need::Manage, &w.organisation_owner(&o).await?)?;
        out.push((None, None, Some(o.id)));
    }
    if out.is_empty() {
        return Err(AppError::bad_input(
            "input.organisers",
            "give at least one organiser: a cluster, collaboration or organisation",
        ));
    }
    Ok(out)
}

/// Event writes.
#[derive(Default)]
pub struct EventMutation;

#[Object]
impl EventMutation {
    /// Creates an event (whoever may manage every organiser given).
    async fn create_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new event.")] input: CreateEventInput,
    ) -> async_graphql::Result<Event> {
        let w = begin(ctx).await?;
        let organisers = organisers_of(&w, &input.organisers).await?;
        let mut check = Check::new();
        let slug = match input.slug {
            Some(s) => s.trim().to_owned(),
            None => free_slug(&w.txn, "event", &input.title).await?,
        };
        let themes = theme_ids_of(&w.txn, &mut check, input.themes.as_ref()).await?;
        let now = Utc::now();
        let mut draft = event::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            slug,
            title: input.title,
            description: input.description,
            format: input.format,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            time_zone: input.time_zone,
            venue: input.venue,
            city: input.city,
            country_code: input.country_code,
            online_url: input.online_url,
            language: input.language,
            registration_url: input.registration_url,
            status: input.status.unwrap_or(EventStatus::Scheduled),
            created_at: now,
            updated_at: now,
            text_language: input.text_language.unwrap_or(crate::domain::Language::En),
            version: 1,
        };
        check_event(&w, &mut check, &mut draft, None).await?;
        check.finish()?;
        let saved = w.create::<event::Entity>("Event", draft).await?;
        for (cluster_id, collaboration_id, organisation_id) in organisers {
            w.create::<event_organiser::Entity>(
                "EventOrganiser",
                event_organiser::Model {
                    id: 0,
                    public_id: uuid::Uuid::nil(),
                    event_id: saved.id,
                    cluster_id,
                    collaboration_id,
                    organisation_id,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                },
            )
            .await?;
        }
        if let Some(themes) = themes {
            set_themes(&w.txn, "event_theme", "event_id", saved.id, &themes).await?;
        }
        w.event_changed(ChangeKind::Created, saved.public_id)
            .await?;
        w.commit().await?;
        Ok(Event(saved))
    }

    /// Changes an event, or cancels it with `status: CANCELLED` (managers of an organiser,
    /// stewards, admins).
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")] input: UpdateEventInput,
    ) -> async_graphql::Result<Event> {
        let w = begin(ctx).await?;
        let current = w
            .find::<event::Entity>("event", id_of("Event", "input.id", &input.id)?)
            .await?;
        w.allow(Need::Manage, &w.event_owner(current.id).await?)?;
        let mut check = Check::new();
        let mut draft = current.clone();
        set(&mut draft.title, input.title);
        set(&mut draft.text_language, input.text_language);
        patch(&mut draft.description, input.description);
        set(&mut draft.format, input.format);
        set(&mut draft.starts_at, input.starts_at);
        set(&mut draft.ends_at, input.ends_at);
        set(&mut draft.time_zone, input.time_zone);
        patch(&mut draft.venue, input.venue);
        patch(&mut draft.city, input.city);
        patch(&mut draft.country_code, input.country_code);
        patch(&mut draft.online_url, input.online_url);
        patch(&mut draft.language, input.language);
        patch(&mut draft.registration_url, input.registration_url);
        set(&mut draft.status, input.status);
        let themes = theme_ids_of(&w.txn, &mut check, input.themes.as_ref()).await?;
        check_event(&w, &mut check, &mut draft, Some(&current)).await?;
        check.finish()?;
        let mut linked = Vec::new();
        if let Some(themes) = themes
            && set_themes(&w.txn, "event_theme", "event_id", current.id, &themes).await?
        {
            linked.push("themes");
        }
        let saved = w
            .update::<event::Entity>("Event", &current, draft, input.version, &linked)
            .await?;
        let kind =
            if saved.status == EventStatus::Cancelled && current.status != EventStatus::Cancelled {
                ChangeKind::Cancelled
            } else {
                ChangeKind::Updated
            };
        if saved.version != current.version {
            w.event_changed(kind, saved.public_id).await?;
        }
        w.commit().await?;
        Ok(Event(saved))
    }

    /// Adds organisers to an event (whoever may manage the event and every organiser added).
    async fn add_event_organisers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event's id.")] id: ID,
        #[graphql(desc = "The organisers to add.")] organisers: OrganisersInput,
    ) -> async_graphql::Result<Event> {
        let w = begin(ctx).await?;
        let current = w
            .find::<event::Entity>("event", id_of("Event", "id", &id)?)
            .await?;
        w.allow(Need::Manage, &w.event_owner(current.id).await?)?;
        let existing = event_organiser::Entity::find()
            .filter(event_organiser::Column::EventId.eq(current.id))
            .all(&w.txn)
            .await?;
        let now = Utc::now();
        for (cluster_id, collaboration_id, organisation_id) in
            organisers_of(&w, &organisers).await?
        {
            let known = existing.iter().any(|o| {
                o.cluster_id == cluster_id
                    && o.collaboration_id == collaboration_id
                    && o.organisation_id == organisation_id
            });
            if known {
                continue;
            }
            w.create::<event_organiser::Entity>(
                "EventOrganiser",
                event_organiser::Model {
                    id: 0,
                    public_id: uuid::Uuid::nil(),
                    event_id: current.id,
                    cluster_id,
                    collaboration_id,
                    organisation_id,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                },
            )
            .await?;
        }
        w.event_changed(ChangeKind::Updated, current.public_id)
            .await?;
        w.commit().await?;
        Ok(Event(current))
    }

    /// Removes an organiser from an event (whoever may manage the event). The last organiser
    /// cannot be removed; delete the event instead.
    async fn remove_event_organiser(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organiser entry's id (`EventOrganiser.id`).")] id: ID,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<event_organiser::Entity>("event organiser", id_of("EventOrganiser", "id", &id)?)
            .await?;
        w.allow(Need::Manage, &w.event_owner(current.event_id).await?)?;
        let count = event_organiser::Entity::find()
            .filter(event_organiser::Column::EventId.eq(current.event_id))
            .count(&w.txn)
            .await?;
        if count <= 1 {
            return Err(AppError::Conflict(
                "this is the event's only organiser; add another first or delete the event"
                    .to_owned(),
            )
            .into());
        }
        w.delete::<event_organiser::Entity>("EventOrganiser", &current, None, &[])
            .await?;
        if let Some(e) = event::Entity::find_by_id(current.event_id)
            .one(&w.txn)
            .await?
        {
            w.event_changed(ChangeKind::Updated, e.public_id).await?;
        }
        w.commit().await?;
        Ok(id)
    }

    /// Deletes an event with its organiser and theme links (managers of an organiser, stewards,
    /// admins). To call an event off but keep it listed, cancel it instead.
    async fn delete_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event's id.")] id: ID,
        #[graphql(desc = "The version you last read.")] version: i32,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<event::Entity>("event", id_of("Event", "id", &id)?)
            .await?;
        w.allow(Need::Manage, &w.event_owner(current.id).await?)?;
        w.delete::<event::Entity>("Event", &current, Some(version), &["organisers", "themes"])
            .await?;
        w.event_changed(ChangeKind::Deleted, current.public_id)
            .await?;
        w.commit().await?;
        Ok(id)
    }
}
