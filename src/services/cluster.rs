//! Which clusters a list shows: the filters of `clusters` and of nested cluster lists.

use super::filter::{CountryCode, NutsPrefix, Text, col, has_theme, in_region, text_matches};
use crate::domain::{ClusterKind, LabelLevel};
use sea_orm::sea_query::{Alias, Cond, ExprTrait, Query};

/// A validated cluster filter; every part that is set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClusterFilter {
    /// Any of these theme slugs.
    pub themes: Vec<String>,
    /// Region code starts with.
    pub region: Option<NutsPrefix>,
    /// In this country.
    pub country: Option<CountryCode>,
    /// Any of these kinds.
    pub kinds: Vec<ClusterKind>,
    /// Holds a label of this level.
    pub label: Option<LabelLevel>,
    /// Name or description contains.
    pub text: Option<Text>,
}

impl ClusterFilter {
    /// The filter as a SQL condition on `cluster`.
    pub fn condition(&self) -> Cond {
        let mut c = Cond::all();
        if !self.themes.is_empty() {
            c = c.add(has_theme(
                "cluster",
                "cluster_theme",
                "cluster_id",
                &self.themes,
            ));
        }
        if let Some(r) = &self.region {
            c = c.add(in_region("cluster", r));
        }
        if let Some(cc) = &self.country {
            c = c.add(col("cluster", "country_code").eq(cc.0.clone()));
        }
        if !self.kinds.is_empty() {
            c = c.add(
                col("cluster", "kind").is_in(self.kinds.iter().map(sea_orm::ActiveEnum::to_value)),
            );
        }
        if let Some(level) = self.label {
            let labelled = Query::select()
                .column(Alias::new("cluster_id"))
                .from(Alias::new("cluster_label"))
                .and_where(col("cluster_label", "level").eq(sea_orm::ActiveEnum::to_value(&level)))
                .to_owned();
            c = c.add(col("cluster", "id").in_subquery(labelled));
        }
        if let Some(t) = &self.text {
            c = c.add(text_matches("cluster", &["name", "description"], t));
        }
        c
    }
}
