//! Building blocks of list filters, shared by every entity: theme links, region prefixes,
//! text matching, and the validated values filters are made of.

use crate::error::{AppError, AppResult};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Func, Query, SelectStatement};

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CountryCode(pub String);

impl CountryCode {
    /// Accepts two ASCII letters in any case.
    pub fn parse(field: &str, text: &str) -> AppResult<Self> {
        let t = text.trim();
        if t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()) {
            Ok(Self(t.to_ascii_uppercase()))
        } else {
            Err(AppError::bad_input(
                field,
                format!("`{text}` is not an ISO 3166-1 alpha-2 country code such as `NL` or `ES`"),
            ))
        }
    }
}

/// The start of a NUTS code: `NL` finds `NL4`, `NL41` and `NL414`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NutsPrefix(pub String);

impl NutsPrefix {
    /// Accepts a country code followed by up to three letters or digits.
    pub fn parse(field: &str, text: &str) -> AppResult<Self> {
        let t = text.trim().to_ascii_uppercase();
        let ok = (2..=5).contains(&t.len())
            && t.chars().take(2).all(|c| c.is_ascii_alphabetic())
            && t.chars().all(|c| c.is_ascii_alphanumeric());
        if ok {
            Ok(Self(t))
        } else {
            Err(AppError::bad_input(
                field,
                format!("`{text}` is not a NUTS code or prefix such as `NL`, `NL41` or `ES511`"),
            ))
        }
    }
}

/// Free text to look for, at most 200 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Text(pub String);

impl Text {
    /// Trims the text; empty text is no filter.
    pub fn parse(field: &str, text: &str) -> AppResult<Option<Self>> {
        let t = text.trim();
        if t.chars().count() > 200 {
            return Err(AppError::bad_input(
                field,
                "search text is limited to 200 characters",
            ));
        }
        Ok((!t.is_empty()).then(|| Self(t.to_owned())))
    }
}

/// `table.column`, quoted.
pub fn col(table: &'static str, column: &'static str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(column)))
}

/// The rows of all these statements, each with its own ORDER BY and LIMIT (which a compound
/// statement allows only on subqueries), in one statement. Empty when there are none.
pub fn union_all(parts: impl IntoIterator<Item = SelectStatement>) -> Option<SelectStatement> {
    let mut out: Option<SelectStatement> = None;
    for (i, part) in parts.into_iter().enumerate() {
        let wrapped = Query::select()
            .column(sea_orm::sea_query::Asterisk)
            .from_subquery(part, Alias::new(format!("u{i}")))
            .to_owned();
        match &mut out {
            None => out = Some(wrapped),
            Some(all) => {
                all.union(sea_orm::sea_query::UnionType::All, wrapped);
            }
        }
    }
    out
}

/// Rows of `table` linked through `link(fk, theme_id)` to any of the themes with these slugs.
pub fn has_theme(
    table: &'static str,
    link: &'static str,
    fk: &'static str,
    slugs: &[String],
) -> Expr {
    let sub = Query::select()
        .expr(col(link, fk))
        .from(Alias::new(link))
        .inner_join(
            Alias::new("theme"),
            col("theme", "id").equals((Alias::new(link), Alias::new("theme_id"))),
        )
        .and_where(col("theme", "slug").is_in(slugs.iter().cloned()))
        .to_owned();
    col(table, "id").in_subquery(sub)
}

/// Rows whose `region_id` lies in a region whose NUTS code starts with the prefix.
pub fn in_region(table: &'static str, prefix: &NutsPrefix) -> Expr {
    col(table, "region_id").in_subquery(region_ids(prefix))
}

/// Ids of the regions under a NUTS prefix.
pub fn region_ids(prefix: &NutsPrefix) -> SelectStatement {
    Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("region"))
        .and_where(Expr::col(Alias::new("code")).like(format!("{}%", prefix.0)))
        .to_owned()
}

/// Case-insensitive substring match on any of the columns.
pub fn text_matches(table: &'static str, columns: &[&'static str], text: &Text) -> Cond {
    let escaped = text
        .0
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    columns.iter().fold(Cond::any(), |cond, c| {
        cond.add(
            Expr::expr(Func::lower(col(table, c)))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
}

/// Ids from `select_col` of `table` where `where_col` holds one of the ids of the subquery.
pub fn ids_where(
    table: &'static str,
    select_col: &'static str,
    where_col: &'static str,
    sub: SelectStatement,
) -> SelectStatement {
    Query::select()
        .expr(col(table, select_col))
        .from(Alias::new(table))
        .and_where(col(table, where_col).in_subquery(sub))
        .to_owned()
}

/// Ids of the rows of `table` whose slug is one of these.
pub fn ids_by_slug(table: &'static str, slugs: &[String]) -> SelectStatement {
    Query::select()
        .expr(col(table, "id"))
        .from(Alias::new(table))
        .and_where(col(table, "slug").is_in(slugs.iter().cloned()))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_two_letters() {
        assert_eq!(
            CountryCode::parse("c", "nl").ok(),
            Some(CountryCode("NL".into()))
        );
        assert!(CountryCode::parse("c", "NLD").is_err());
        assert!(CountryCode::parse("c", "1L").is_err());
    }

    #[test]
    fn nuts_prefixes_start_with_a_country() {
        assert!(NutsPrefix::parse("r", "NL414").is_ok());
        assert!(NutsPrefix::parse("r", "es51").is_ok());
        assert!(NutsPrefix::parse("r", "N").is_err());
        assert!(NutsPrefix::parse("r", "12345").is_err());
        assert!(NutsPrefix::parse("r", "NL4145").is_err());
    }
}
