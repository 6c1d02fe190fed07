//! Reference data that only admins change: themes and NUTS regions. Deleting either is refused
//! while anything refers to it.

use super::{begin, id_of, patch, set};
use crate::entities::{region, theme};
use crate::error::{AppError, AppResult};
use crate::graphql::types::{Region, Theme};
use crate::services::access::{Need, Owner};
use crate::services::links::{region_by_code, slug_free};
use crate::services::validate::{Check, slugify};
use crate::services::write::Write;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// A new theme or sector.
#[derive(InputObject)]
pub struct CreateThemeInput {
    /// Name (1 to 100 characters).
    pub name: String,
    /// Stable slug; made from the name when omitted.
    pub slug: Option<String>,
    /// What the theme covers.
    pub description: Option<String>,
    /// One of the core themes of cooperation; `false` when omitted.
    pub core: Option<bool>,
}

/// Changes to a theme; its slug never changes.
#[derive(InputObject)]
pub struct UpdateThemeInput {
    /// Its id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// Name.
    pub name: Option<String>,
    /// What the theme covers.
    pub description: MaybeUndefined<String>,
    /// One of the core themes of cooperation.
    pub core: Option<bool>,
}

/// A new NUTS region.
#[derive(InputObject)]
pub struct CreateRegionInput {
    /// NUTS code: the country code and up to three more letters or digits, e.g. `NL414`.
    pub code: String,
    /// Official name.
    pub name: String,
    /// The code of the region it lies in (one level up); none for a country.
    pub parent: Option<String>,
}

/// Changes to a region; its code never changes.
#[derive(InputObject)]
pub struct UpdateRegionInput {
    /// Its id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// Official name.
    pub name: Option<String>,
}

fn admin(w: &Write) -> AppResult<()> {
    w.allow(Need::Admin, &Owner::default())
}

/// How many rows of `table` have `column` = `id`.
async fn uses(w: &Write, table: &'static str, column: &'static str, id: i64) -> AppResult<i64> {
    let q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(column)).eq(id))
        .to_owned();
    Ok(match w.txn.query_one(&q).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    })
}

/// Theme and region writes (admin keys only).
#[derive(Default)]
pub struct ReferenceMutation;

#[Object]
impl ReferenceMutation {
    /// Creates a theme.
    async fn create_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new theme.")] input: CreateThemeInput,
    ) -> async_graphql::Result<Theme> {
        let w = begin(ctx).await?;
        admin(&w)?;
        let now = Utc::now();
        let mut draft = theme::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            slug: input
                .slug
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|| slugify(&input.name)),
            name: input.name,
            description: input.description,
            core: input.core.unwrap_or(false),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut check = Check::new();
        check.text("input.name", &mut draft.name, 1, 100);
        check.opt_text("input.description", &mut draft.description, 2000);
        check.slug("input.slug", &draft.slug);
        slug_free(
            &w.txn,
            &mut check,
            "theme",
            "theme",
            &draft.slug,
            draft.id,
            None,
        )
        .await?;
        check.finish()?;
        let saved = w.create::<theme::Entity>("Theme", draft).await?;
        w.commit().await?;
        Ok(Theme(saved))
    }

    /// Changes a theme's name, description or core flag.
    async fn update_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")] input: UpdateThemeInput,
    ) -> async_graphql::Result<Theme> {
        let w = begin(ctx).await?;
        admin(&w)?;
        let current = w
            .find::<theme::Entity>("theme", id_of("Theme", "input.id", &input.id)?)
            .await?;
        let mut draft = current.clone();
        set(&mut draft.name, input.name);
        patch(&mut draft.description, input.description);
        set(&mut draft.core, input.core);
        let mut check = Check::new();
        check.text("input.name", &mut draft.name, 1, 100);
        check.opt_text("input.description", &mut draft.description, 2000);
        check.finish()?;
        let saved = w
            .update::<theme::Entity>("Theme", &current, draft, input.version, &[])
            .await?;
        w.commit().await?;
        Ok(Theme(saved))
    }

    /// Deletes a theme nothing uses.
    async fn delete_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
        #[graphql(desc = "The version you last read.")] version: i32,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        admin(&w)?;
        let current = w
            .find::<theme::Entity>("theme", id_of("Theme", "id", &id)?)
            .await?;
        let mut used = 0;
        for table in [
            "cluster_theme",
            "organisation_theme",
            "collaboration_theme",
            "event_theme",
            "offer_need_theme",
        ] {
            used += uses(&w, table, "theme_id", current.id).await?;
        }
        if used > 0 {
            return Err(AppError::Conflict(format!(
                "{used} rows use this theme; remove it from them first"
            ))
            .into());
        }
        w.delete::<theme::Entity>("Theme", &current, Some(version), &[])
            .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Adds a NUTS region.
    async fn create_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new region.")] input: CreateRegionInput,
    ) -> async_graphql::Result<Region> {
        let w = begin(ctx).await?;
        admin(&w)?;
        let mut check = Check::new();
        let code = input.code.trim().to_ascii_uppercase();
        let code_ok = (2..=5).contains(&code.len())
            && code.chars().take(2).all(|c| c.is_ascii_alphabetic())
            && code.chars().all(|c| c.is_ascii_alphanumeric());
        if !code_ok {
            check.fail(
                "input.code",
                format!("`{code}` is not a NUTS code such as `NL414`"),
            );
        }
        let parent = match &input.parent {
            Some(p) => region_by_code(&w.txn, &mut check, "input.parent", p).await?,
            None => None,
        };
        let level = code.len().saturating_sub(2) as i16;
        match &parent {
            Some(p) if !(code.starts_with(&p.code) && p.level + 1 == level) => check.fail(
                "input.parent",
                format!("`{code}` does not lie one level below `{}`", p.code),
            ),
            None if level > 0 && input.parent.is_none() => check.fail(
                "input.parent",
                "a region below country level needs the code of its parent",
            ),
            _ => {}
        }
        let mut country = code.chars().take(2).collect::<String>();
        check.country("input.code", &mut country);
        let taken = region::Entity::find()
            .filter(region::Column::Code.eq(code.clone()))
            .count(&w.txn)
            .await?;
        if taken > 0 {
            check.fail("input.code", format!("the region `{code}` exists already"));
        }
        let now = Utc::now();
        let mut draft = region::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            code,
            name: input.name,
            level,
            parent_id: parent.map(|p| p.id),
            country_code: country,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        check.text("input.name", &mut draft.name, 1, 200);
        check.finish()?;
        let saved = w.create::<region::Entity>("Region", draft).await?;
        w.commit().await?;
        Ok(Region(saved))
    }

    /// Renames a region.
    async fn update_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")] input: UpdateRegionInput,
    ) -> async_graphql::Result<Region> {
        let w = begin(ctx).await?;
        admin(&w)?;
        let current = w
            .find::<region::Entity>("region", id_of("Region", "input.id", &input.id)?)
            .await?;
        let mut draft = current.clone();
        set(&mut draft.name, input.name);
        let mut check = Check::new();
        check.text("input.name", &mut draft.name, 1, 200);
        check.finish()?;
        let saved = w
            .update::<region::Entity>("Region", &current, draft, input.version, &[])
            .await?;
        w.commit().await?;
        Ok(Region(saved))
    }

    /// Deletes a region nothing refers to.
    async fn delete_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
        #[graphql(desc = "The version you last read.")] version: i32,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        admin(&w)?;
        let current = w
            .find::<region::Entity>("region", id_of("Region", "id", &id)?)
            .await?;
        let used = uses(&w, "region", "parent_id", current.id).await?
            + uses(&w, "cluster", "region_id", current.id).await?
            + uses(&w, "organisation", "region_id", current.id).await?
            + uses(&w, "api_key", "region_id", current.id).await?;
        if used > 0 {
            return Err(AppError::Conflict(format!(
                "{used} sub-regions, clusters, organisations or keys refer to this region"
            ))
            .into());
        }
        w.delete::<region::Entity>("Region", &current, Some(version), &[])
            .await?;
        w.commit().await?;
        Ok(id)
    }
}
