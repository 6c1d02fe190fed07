//! Which offers and needs a list shows: by kind, theme and the owner's cluster.

use super::filter::{Text, col, has_theme, ids_by_slug, ids_where, text_matches};
use crate::domain::OfferNeedKind;
use sea_orm::sea_query::{Cond, ExprTrait};

/// A validated offer/need filter; every part that is set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct OfferNeedFilter {
    /// Any of these kinds.
    pub kinds: Vec<OfferNeedKind>,
    /// Any of these theme slugs.
    pub themes: Vec<String>,
    /// Put forward by members of any of these clusters (slugs).
    pub clusters: Vec<String>,
    /// Title or description contains.
    pub text: Option<Text>,
}

impl OfferNeedFilter {
    /// The filter as a SQL condition on `offer_need`.
    pub fn condition(&self) -> Cond {
        let mut c = Cond::all();
        if !self.kinds.is_empty() {
            c = c.add(
                col("offer_need", "kind")
                    .is_in(self.kinds.iter().map(sea_orm::ActiveEnum::to_value)),
            );
        }
        if !self.themes.is_empty() {
            c = c.add(has_theme(
                "offer_need",
                "offer_need_theme",
                "offer_need_id",
                &self.themes,
            ));
        }
        if !self.clusters.is_empty() {
            let members = ids_where(
                "membership",
                "organisation_id",
                "cluster_id",
                ids_by_slug("cluster", &self.clusters),
            );
            c = c.add(col("offer_need", "organisation_id").in_subquery(members));
        }
        if let Some(t) = &self.text {
            c = c.add(text_matches("offer_need", &["title", "description"], t));
        }
        c
    }
}
