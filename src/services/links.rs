//! Lookups that writes share: themes by slug, regions by NUTS code, and replacing the theme links
//! of a row.

use crate::entities::{region, theme};
use crate::error::AppResult;
use crate::services::validate::{Check, first_free, slugify};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::BTreeSet;

/// The ids of the themes with these slugs; an unknown slug is an error of `field`.
pub async fn theme_ids(
    db: &impl ConnectionTrait,
    check: &mut Check,
    field: &str,
    slugs: &[String],
) -> AppResult<Vec<i64>> {
    let wanted: BTreeSet<String> = slugs.iter().map(|s| s.trim().to_owned()).collect();
    let found = theme::Entity::find()
        .filter(theme::Column::Slug.is_in(wanted.iter().cloned()))
        .all(db)
        .await?;
    let unknown: Vec<&String> = wanted
        .iter()
        .filter(|s| !found.iter().any(|t| &t.slug == *s))
        .collect();
    if !unknown.is_empty() {
        check.fail(
            field,
            format!(
                "no theme has the slug {}; the `themes` query lists them",
                unknown
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    Ok(found.into_iter().map(|t| t.id).collect())
}

/// The theme ids of `input.themes` when the input gives themes.
pub async fn theme_ids_of(
    db: &impl ConnectionTrait,
    check: &mut Check,
    slugs: Option<&Vec<String>>,
) -> AppResult<Option<Vec<i64>>> {
    match slugs {
        Some(slugs) => Ok(Some(theme_ids(db, check, "input.themes", slugs).await?)),
        None => Ok(None),
    }
}

/// A free slug of `table` made from `name`: the slug of the name, else with `-2`, `-3`, ...
pub async fn free_slug(
    db: &impl ConnectionTrait,
    table: &'static str,
    name: &str,
) -> AppResult<String> {
    let base = slugify(name);
    let q = Query::select()
        .column(Alias::new("slug"))
        .from(Alias::new(table))
        .and_where(
            Expr::col(Alias::new("slug"))
                .eq(base.clone())
                .or(Expr::col(Alias::new("slug")).like(format!("{base}-%"))),
        )
        .to_owned();
    let mut taken = std::collections::HashSet::new();
    for row in db.query_all(&q).await? {
        taken.insert(row.try_get::<String>("", "slug")?);
    }
    Ok(first_free(base, &taken))
}

/// Records an error of `input.slug` when a row of `table` other than `id` has `slug`. `saved` is
/// the slug the row has now, when it exists: kept as it is, it needs no look.
pub async fn slug_free(
    db: &impl ConnectionTrait,
    check: &mut Check,
    table: &'static str,
    what: &str,
    slug: &str,
    id: i64,
    saved: Option<&str>,
) -> AppResult<()> {
    if saved == Some(slug) {
        return Ok(());
    }
    let q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("slug")).eq(slug))
        .and_where(Expr::col(Alias::new("id")).ne(id))
        .to_owned();
    let taken: i64 = match db.query_one(&q).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    if taken > 0 {
        check.fail(
            "input.slug",
            format!("the slug `{slug}` is taken by another {what}"),
        );
    }
    Ok(())
}

/// The region with this NUTS code; an unknown code is an error of `field`.
pub async fn region_by_code(
    db: &impl ConnectionTrait,
    check: &mut Check,
    field: &str,
    code: &str,
) -> AppResult<Option<region::Model>> {
    let code = code.trim().to_ascii_uppercase();
    let found = region::Entity::find()
        .filter(region::Column::Code.eq(code.clone()))
        .one(db)
        .await?;
    if found.is_none() {
        check.fail(
            field,
            format!("no region has the NUTS code `{code}`; the `regions` query lists them"),
        );
    }
    Ok(found)
}

/// The region of a row: the one named by `code` when given, checked against the row's country.
pub async fn place(
    db: &impl ConnectionTrait,
    check: &mut Check,
    field: &str,
    code: Option<&str>,
    country: &str,
) -> AppResult<Option<i64>> {
    let Some(code) = code else { return Ok(None) };
    let Some(region) = region_by_code(db, check, field, code).await? else {
        return Ok(None);
    };
    if region.country_code != country && !check.failed("input.countryCode") {
        check.fail(
            field,
            format!(
                "region `{}` lies in {}, not in {country}; give a region of the row's country",
                region.code, region.country_code
            ),
        );
    }
    Ok(Some(region.id))
}

/// The theme ids currently linked to a row through `table` (`owner` is the row's column there).
pub async fn linked_themes(
    db: &impl ConnectionTrait,
    table: &'static str,
    owner: &'static str,
    id: i64,
) -> AppResult<BTreeSet<i64>> {
    let q = Query::select()
        .column(Alias::new("theme_id"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(owner)).eq(id))
        .to_owned();
    let mut out = BTreeSet::new();
    for row in db.query_all(&q).await? {
        out.insert(row.try_get::<i64>("", "theme_id")?);
    }
    Ok(out)
}

/// Makes the themes linked to a row exactly `themes`; true when that changed anything.
pub async fn set_themes(
    db: &impl ConnectionTrait,
    table: &'static str,
    owner: &'static str,
    id: i64,
    themes: &[i64],
) -> AppResult<bool> {
    let wanted: BTreeSet<i64> = themes.iter().copied().collect();
    if linked_themes(db, table, owner, id).await? == wanted {
        return Ok(false);
    }
    let delete = Query::delete()
        .from_table(Alias::new(table))
        .and_where(Expr::col(Alias::new(owner)).eq(id))
        .to_owned();
    db.execute(&delete).await?;
    if !wanted.is_empty() {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(table))
            .columns([Alias::new(owner), Alias::new("theme_id")]);
        for t in &wanted {
            insert.values_panic([id.into(), (*t).into()]);
        }
        db.execute(&insert).await?;
    }
    Ok(true)
}
