//! Which collaborations a list shows: by programme, theme, status, participant and dates.

use super::filter::{Text, col, has_theme, ids_by_slug, text_matches};
use crate::domain::CollaborationStatus;
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Cond, ExprTrait, Query};

/// A validated collaboration filter; every part that is set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CollaborationFilter {
    /// Programme contains (e.g. `COSME`, `Interreg`).
    pub programme: Option<Text>,
    /// Any of these theme slugs.
    pub themes: Vec<String>,
    /// Any of these statuses.
    pub statuses: Vec<CollaborationStatus>,
    /// With any of these organisations (slugs) or clusters (slugs) taking part.
    pub participants: Vec<String>,
    /// Running on or after this day.
    pub active_from: Option<NaiveDate>,
    /// Running on or before this day.
    pub active_until: Option<NaiveDate>,
    /// Name or description contains.
    pub text: Option<Text>,
}

impl CollaborationFilter {
    /// The filter as a SQL condition on `collaboration`.
    pub fn condition(&self) -> Cond {
        let mut c = Cond::all();
        if let Some(p) = &self.programme {
            c = c.add(text_matches("collaboration", &["programme"], p));
        }
        if !self.themes.is_empty() {
            c = c.add(has_theme(
                "collaboration",
                "collaboration_theme",
                "collaboration_id",
                &self.themes,
            ));
        }
        if !self.statuses.is_empty() {
            c = c.add(
                col("collaboration", "status")
                    .is_in(self.statuses.iter().map(sea_orm::ActiveEnum::to_value)),
            );
        }
        if !self.participants.is_empty() {
            let taking_part = Query::select()
                .column(Alias::new("collaboration_id"))
                .from(Alias::new("participant"))
                .cond_where(
                    Cond::any()
                        .add(
                            col("participant", "organisation_id")
                                .in_subquery(ids_by_slug("organisation", &self.participants)),
                        )
                        .add(
                            col("participant", "cluster_id")
                                .in_subquery(ids_by_slug("cluster", &self.participants)),
                        ),
                )
                .to_owned();
            c = c.add(col("collaboration", "id").in_subquery(taking_part));
        }
        if let Some(from) = self.active_from {
            c = c.add(
                Cond::any()
                    .add(col("collaboration", "ends_on").is_null())
                    .add(col("collaboration", "ends_on").gte(from)),
            );
        }
        if let Some(until) = self.active_until {
            c = c.add(
                Cond::any()
                    .add(col("collaboration", "starts_on").is_null())
                    .add(col("collaboration", "starts_on").lte(until)),
            );
        }
        if let Some(t) = &self.text {
            c = c.add(text_matches("collaboration", &["name", "description"], t));
        }
        c
    }
}
