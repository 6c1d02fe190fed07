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

/// Stores a list of codes (NACE codes, country codes) in the searchable form `,C32.30,93.19,`,
/// where one code is a LIKE on `%,code,%`; none is `NULL`.
pub fn pack_codes(codes: &[String]) -> Option<String> {
    (!codes.is_empty()).then(|| format!(",{},", codes.join(",")))
}

/// Reads codes back from their stored form.
pub fn unpack_codes(stored: Option<&str>) -> Vec<String> {
    stored
        .map(|s| {
            s.split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the fields of an organisation that need no database: names, web address, country,
/// slug, NACE codes, and that the SME size class fits the headcount and the type.
pub fn check_organisation_fields(
    check: &mut crate::services::validate::Check,
    draft: &mut crate::entities::organisation::Model,
) {
    check.text("input.name", &mut draft.name, 1, 200);
    check.opt_text("input.description", &mut draft.description, 5000);
    check.opt_text("input.city", &mut draft.city, 200);
    check.opt_text("input.externalId", &mut draft.external_id, 128);
    check.url("input.website", &mut draft.website);
    check.country("input.countryCode", &mut draft.country_code);
    check.slug("input.slug", &draft.slug);
    if let Some(h) = draft.headcount {
        if !(0..=10_000_000).contains(&h) {
            check.fail(
                "input.headcount",
                "`headcount` must be between 0 and 10,000,000",
            );
        } else if let Some(size) = draft.size_class
            && !fits(size, h)
        {
            check.fail(
                "input.sizeClass",
                format!(
                    "a headcount of {h} does not fit the size class {size:?} (micro < 10, small < 50, medium < 250, large from 250)"
                ),
            );
        }
    }
    let sme = matches!(
        draft.org_type,
        OrganisationType::Sme | OrganisationType::StartUp
    );
    if draft.org_type == OrganisationType::LargeCompany
        && draft.size_class.is_some_and(|s| s != SizeClass::Large)
    {
        check.fail(
            "input.sizeClass",
            "a large company cannot have an SME size class",
        );
    }
    if sme && draft.size_class == Some(SizeClass::Large) {
        check.fail(
            "input.sizeClass",
            "an SME or start-up cannot be of the size class LARGE",
        );
    }
    let codes = unpack_codes(draft.nace_codes.as_deref());
    let bad: Vec<&String> = codes.iter().filter(|c| !is_nace(c)).collect();
    if !bad.is_empty() || codes.len() > 20 {
        check.fail(
            "input.naceCodes",
            format!(
                "give at most 20 NACE Rev. 2 codes such as `C32.30` or `R93.19`; not codes: {bad:?}"
            ),
        );
    }
}

/// Whether a text is a NACE Rev. 2 code: a section letter, optionally with division, group and
/// class (`C`, `C32`, `C32.3`, `C32.30`).
fn is_nace(code: &str) -> bool {
    let mut chars = code.chars();
    let Some(section) = chars.next() else {
        return false;
    };
    let rest: String = chars.collect();
    let digits_ok = match rest.split_once('.') {
        None => rest.is_empty() || (rest.len() == 2 && rest.chars().all(|c| c.is_ascii_digit())),
        Some((division, group)) => {
            division.len() == 2
                && division.chars().all(|c| c.is_ascii_digit())
                && (1..=2).contains(&group.len())
                && group.chars().all(|c| c.is_ascii_digit())
        }
    };
    ('A'..='U').contains(&section) && digits_ok
}

/// The size classes a headcount allows.
fn fits(size: SizeClass, headcount: i32) -> bool {
    match size {
        SizeClass::Micro => headcount < 10,
        SizeClass::Small => headcount < 50,
        SizeClass::Medium => headcount < 250,
        SizeClass::Large => headcount >= 250,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nace_codes_round_trip() {
        let codes = vec!["C32.30".to_owned(), "93.19".to_owned()];
        assert_eq!(unpack_codes(pack_codes(&codes).as_deref()), codes);
        assert_eq!(pack_codes(&[]), None);
    }

    #[test]
    fn nace_codes_are_recognised() {
        for ok in ["C", "C32", "C32.3", "C32.30", "R93.19"] {
            assert!(is_nace(ok), "{ok}");
        }
        for bad in ["", "32.30", "C3", "C32.300", "Z93", "c32"] {
            assert!(!is_nace(bad), "{bad}");
        }
    }

    #[test]
    fn size_classes_follow_the_headcount() {
        assert!(fits(SizeClass::Micro, 9));
        assert!(!fits(SizeClass::Micro, 10));
        assert!(fits(SizeClass::Medium, 249));
        assert!(!fits(SizeClass::Small, 60));
    }
}
