//! Which organisations a list shows: the filters of `organisations` and nested lists.

use super::filter::{
    CountryCode, NutsPrefix, Text, col, has_theme, ids_by_slug, ids_where, in_region, text_matches,
};
use crate::domain::{OrganisationType, SizeClass};
use sea_orm::sea_query::{Cond, ExprTrait};

/// A validated organisation filter; every part that is set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct OrganisationFilter {
    /// Any of these helix types.
    pub types: Vec<OrganisationType>,
    /// Any of these size classes.
    pub size_classes: Vec<SizeClass>,
    /// Member of any of these clusters (slugs).
    pub clusters: Vec<String>,
    /// Any of these theme slugs.
    pub themes: Vec<String>,
    /// In this country.
    pub country: Option<CountryCode>,
    /// Region code starts with.
    pub region: Option<NutsPrefix>,
    /// Has a NACE code starting with this (e.g. `93.1` finds `93.11`).
    pub nace: Option<String>,
    /// Name or description contains.
    pub text: Option<Text>,
}

impl OrganisationFilter {
    /// The filter as a SQL condition on `organisation`.
    pub fn condition(&self) -> Cond {
        let mut c = Cond::all();
        if !self.types.is_empty() {
            c = c.add(
                col("organisation", "org_type")
                    .is_in(self.types.iter().map(sea_orm::ActiveEnum::to_value)),
            );
        }
        if !self.size_classes.is_empty() {
            c = c.add(
                col("organisation", "size_class")
                    .is_in(self.size_classes.iter().map(sea_orm::ActiveEnum::to_value)),
            );
        }
        if !self.clusters.is_empty() {
            let members = ids_where(
                "membership",
                "organisation_id",
                "cluster_id",
                ids_by_slug("cluster", &self.clusters),
            );
            c = c.add(col("organisation", "id").in_subquery(members));
        }
        if !self.themes.is_empty() {
            c = c.add(has_theme(
                "organisation",
                "organisation_theme",
                "organisation_id",
                &self.themes,
            ));
        }
        if let Some(cc) = &self.country {
            c = c.add(col("organisation", "country_code").eq(cc.0.clone()));
        }
        if let Some(r) = &self.region {
            c = c.add(in_region("organisation", r));
        }
        if let Some(nace) = &self.nace {
            // Codes are stored as `,C32.30,93.19,`, so a prefix match is a LIKE on `,prefix`.
            c = c.add(col("organisation", "nace_codes").like(format!("%,{nace}%")));
        }
        if let Some(t) = &self.text {
            c = c.add(text_matches("organisation", &["name", "description"], t));
        }
        c
    }
}

/// Stores NACE codes in the searchable form `,C32.30,93.19,`.
pub fn pack_nace(codes: &[String]) -> Option<String> {
    (!codes.is_empty()).then(|| format!(",{},", codes.join(",")))
}

/// Reads NACE codes back from their stored form.
pub fn unpack_nace(stored: Option<&str>) -> Vec<String> {
    stored
        .map(|s| {
            s.split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nace_codes_round_trip() {
        let codes = vec!["C32.30".to_owned(), "93.19".to_owned()];
        assert_eq!(unpack_nace(pack_nace(&codes).as_deref()), codes);
        assert_eq!(pack_nace(&[]), None);
    }
}
