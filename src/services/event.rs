//! Which events a list shows: upcoming by default, by dates, theme, organiser, format and place.

use super::filter::{CountryCode, NutsPrefix, Text, col, ids_by_slug, region_ids, text_matches};
use crate::domain::{EventFormat, EventStatus};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Cond, ExprTrait, Query, SelectStatement};

/// A validated event filter; every part that is set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EventFilter {
    /// Ending at or after this instant (ongoing events included).
    pub from: Option<DateTime<Utc>>,
    /// Starting before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Any of these theme slugs.
    pub themes: Vec<String>,
    /// Organised by any of these clusters (slugs).
    pub clusters: Vec<String>,
    /// Organised within any of these collaborations (slugs).
    pub collaborations: Vec<String>,
    /// Any of these formats.
    pub formats: Vec<EventFormat>,
    /// Any of these statuses.
    pub statuses: Vec<EventStatus>,
    /// Taking place in this country.
    pub country: Option<CountryCode>,
    /// Organised by a cluster or organisation in a region under this NUTS prefix.
    pub region: Option<NutsPrefix>,
    /// Online (`true`) or on-site only (`false`).
    pub online: Option<bool>,
    /// In this language (ISO 639-1).
    pub language: Option<String>,
    /// Title or description contains.
    pub text: Option<Text>,
}

impl EventFilter {
    /// Ids of the events with any of the themes, narrowed by the country and dates that
    /// `event_theme` carries beside each link (kept equal to the event's by triggers), so that
    /// the index `(theme_id, country_code, ends_at)` finds them without reading `event`.
    fn by_theme(&self) -> SelectStatement {
        let mut q = Query::select();
        q.column((Alias::new("event_theme"), Alias::new("event_id")))
            .from(Alias::new("event_theme"))
            .and_where(
                col("event_theme", "theme_id").in_subquery(ids_by_slug("theme", &self.themes)),
            );
        if let Some(cc) = &self.country {
            q.and_where(col("event_theme", "country_code").eq(cc.0.clone()));
        }
        if let Some(from) = self.from {
            q.and_where(col("event_theme", "ends_at").gte(from));
        }
        if let Some(to) = self.to {
            q.and_where(col("event_theme", "starts_at").lt(to));
        }
        q
    }

    /// The filter as a SQL condition on `event`.
    pub fn condition(&self) -> Cond {
        let mut c = Cond::all();
        if let Some(from) = self.from {
            c = c.add(col("event", "ends_at").gte(from));
        }
        if let Some(to) = self.to {
            c = c.add(col("event", "starts_at").lt(to));
        }
        if !self.themes.is_empty() {
            c = c.add(col("event", "id").in_subquery(self.by_theme()));
        }
        let organised_by = |column: &'static str, table: &'static str, slugs: &[String]| {
            let sub = Query::select()
                .column(Alias::new("event_id"))
                .from(Alias::new("event_organiser"))
                .and_where(col("event_organiser", column).in_subquery(ids_by_slug(table, slugs)))
                .to_owned();
            col("event", "id").in_subquery(sub)
        };
        if !self.clusters.is_empty() {
            c = c.add(organised_by("cluster_id", "cluster", &self.clusters));
        }
        if !self.collaborations.is_empty() {
            c = c.add(organised_by(
                "collaboration_id",
                "collaboration",
                &self.collaborations,
            ));
        }
        if !self.formats.is_empty() {
            c = c.add(
                col("event", "format")
                    .is_in(self.formats.iter().map(sea_orm::ActiveEnum::to_value)),
            );
        }
        if !self.statuses.is_empty() {
            c = c.add(
                col("event", "status")
                    .is_in(self.statuses.iter().map(sea_orm::ActiveEnum::to_value)),
            );
        }
        if let Some(cc) = &self.country {
            c = c.add(col("event", "country_code").eq(cc.0.clone()));
        }
        if let Some(prefix) = &self.region {
            let in_region = |table: &'static str| {
                Query::select()
                    .column(Alias::new("id"))
                    .from(Alias::new(table))
                    .and_where(col(table, "region_id").in_subquery(region_ids(prefix)))
                    .to_owned()
            };
            let sub = Query::select()
                .column(Alias::new("event_id"))
                .from(Alias::new("event_organiser"))
                .cond_where(
                    Cond::any()
                        .add(col("event_organiser", "cluster_id").in_subquery(in_region("cluster")))
                        .add(
                            col("event_organiser", "organisation_id")
                                .in_subquery(in_region("organisation")),
                        ),
                )
                .to_owned();
            c = c.add(col("event", "id").in_subquery(sub));
        }
        match self.online {
            Some(true) => c = c.add(col("event", "online_url").is_not_null()),
            Some(false) => c = c.add(col("event", "online_url").is_null()),
            None => {}
        }
        if let Some(lang) = &self.language {
            c = c.add(col("event", "language").eq(lang.clone()));
        }
        if let Some(t) = &self.text {
            c = c.add(text_matches("event", &["title", "description"], t));
        }
        c
    }
}
