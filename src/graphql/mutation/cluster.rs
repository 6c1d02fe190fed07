//! Creating, changing and deleting clusters and their labels.
//!
//! Stewards (in their region) and admins create and delete clusters; the cluster's managers also
//! change its profile and labels. Deleting a cluster deletes its memberships, labels, theme links,
//! indicators and KPIs with it; it is refused while the cluster is the only organiser of an event.

use super::{begin, id_of, patch, set};
use crate::domain::{ClusterKind, LabelLevel};
use crate::entities::{cluster, cluster_label, organisation};
use crate::error::{AppError, AppResult};
use crate::graphql::types::{Cluster, ClusterLabel};
use crate::services::access::{Need, Owner};
use crate::services::links::{free_slug, place, set_themes, slug_free, theme_ids_of};
use crate::services::validate::Check;
use crate::services::write::Write;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// A new cluster.
#[derive(InputObject)]
pub struct CreateClusterInput {
    /// Name of the cluster (1 to 200 characters).
    pub name: String,
    /// Stable short name for URLs; made from the name when omitted.
    pub slug: Option<String>,
    /// Kind of cluster.
    pub kind: ClusterKind,
    /// What the cluster is and does (at most 5,000 characters).
    pub description: Option<String>,
    /// Year the cluster was established.
    pub year_established: Option<i32>,
    /// Website (an `http` or `https` URL).
    pub website: Option<String>,
    /// General e-mail address.
    pub email: Option<String>,
    /// Country (ISO 3166-1 alpha-2).
    pub country_code: String,
    /// NUTS code of the cluster's region, in its country.
    pub region: Option<String>,
    /// Id of the organisation that runs the cluster.
    pub managing_organisation: Option<ID>,
    /// Yearly turnover of innovation projects, in euro.
    pub innovation_turnover_eur: Option<i64>,
    /// Slugs of the themes the cluster works on.
    pub themes: Option<Vec<String>>,
    /// Language of its name and description (English when omitted).
    pub text_language: Option<crate::domain::Language>,
}

/// Changes to a cluster; omitted fields stay as they are, `null` clears a field.
#[derive(InputObject)]
pub struct UpdateClusterInput {
    /// The cluster's id.
    pub id: ID,
    /// The `version` you last read; a newer one means someone else changed it first.
    pub version: i32,
    /// Name of the cluster.
    pub name: Option<String>,
    /// Kind of cluster.
    pub kind: Option<ClusterKind>,
    /// What the cluster is and does.
    pub description: MaybeUndefined<String>,
    /// Year the cluster was established.
    pub year_established: MaybeUndefined<i32>,
    /// Website.
    pub website: MaybeUndefined<String>,
    /// General e-mail address.
    pub email: MaybeUndefined<String>,
    /// Country (ISO 3166-1 alpha-2).
    pub country_code: Option<String>,
    /// NUTS code of the cluster's region.
    pub region: MaybeUndefined<String>,
    /// Id of the organisation that runs the cluster.
    pub managing_organisation: MaybeUndefined<ID>,
    /// Yearly turnover of innovation projects, in euro.
    pub innovation_turnover_eur: MaybeUndefined<i64>,
    /// Slugs of the themes the cluster works on; replaces the current ones.
    pub themes: Option<Vec<String>>,
    /// Language of its own texts.
    pub text_language: Option<crate::domain::Language>,
}

/// A label awarded to a cluster.
#[derive(InputObject)]
pub struct AddClusterLabelInput {
    /// The cluster's id.
    pub cluster: ID,
    /// Who awarded the label, e.g. `ESCA`.
    pub issuer: String,
    /// The label's level.
    pub level: LabelLevel,
    /// When it was awarded.
    pub awarded_on: NaiveDate,
    /// When it expires.
    pub expires_on: Option<NaiveDate>,
}

/// Changes to a cluster label; omitted fields stay as they are, `null` clears a field.
#[derive(InputObject)]
pub struct UpdateClusterLabelInput {
    /// The label's id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// Who awarded the label.
    pub issuer: Option<String>,
    /// The label's level.
    pub level: Option<LabelLevel>,
    /// When it was awarded.
    pub awarded_on: Option<NaiveDate>,
    /// When it expires.
    pub expires_on: MaybeUndefined<NaiveDate>,
}

/// Checks a cluster as it would be saved.
async fn check_cluster(
    w: &Write,
    check: &mut Check,
    draft: &mut cluster::Model,
    region: Option<&str>,
    saved: Option<&cluster::Model>,
) -> AppResult<()> {
    check.text("input.name", &mut draft.name, 1, 200);
    check.opt_text("input.description", &mut draft.description, 5000);
    check.year("input.yearEstablished", draft.year_established);
    check.url("input.website", &mut draft.website);
    check.email("input.email", &mut draft.email);
    check.country("input.countryCode", &mut draft.country_code);
    check.not_negative("input.innovationTurnoverEur", draft.innovation_turnover_eur);
    check.slug("input.slug", &draft.slug);
    if let Some(code) = region {
        draft.region_id = place(
            &w.txn,
            check,
            "input.region",
            Some(code),
            &draft.country_code,
        )
        .await?;
    }
    slug_free(
        &w.txn,
        check,
        "cluster",
        "cluster",
        &draft.slug,
        draft.id,
        saved.map(|s| s.slug.as_str()),
    )
    .await?;
    Ok(())
}

/// The id of an organisation given by global id in `field`.
async fn organisation_id(
    w: &Write,
    check: &mut Check,
    field: &str,
    id: &ID,
) -> AppResult<Option<i64>> {
    let uuid = match id_of("Organisation", field, id) {
        Ok(u) => u,
        Err(AppError::BadUserInput { message, .. }) => {
            check.fail(field, message);
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let found = organisation::Entity::find()
        .filter(organisation::Column::PublicId.eq(uuid))
        .one(&w.txn)
        .await?;
    if found.is_none() {
        check.fail(field, "no organisation has this id");
    }
    Ok(found.map(|o| o.id))
}

/// The owner of a cluster that lies in `region` (or, without one, in its country).
fn placed_owner(region: Option<&str>, country: &str) -> Owner {
    Owner {
        clusters: Vec::new(),
        regions: vec![region.unwrap_or(country).trim().to_ascii_uppercase()],
    }
}

/// Cluster writes.
#[derive(Default)]
pub struct ClusterMutation;

#[Object]
impl ClusterMutation {
    /// Creates a cluster (stewards of its region and admins).
    async fn create_cluster(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new cluster.")] input: CreateClusterInput,
    ) -> async_graphql::Result<Cluster> {
        let w = begin(ctx).await?;
        w.allow(
            Need::Steward,
            &placed_owner(input.region.as_deref(), &input.country_code),
        )?;
        let mut check = Check::new();
        let slug = match input.slug {
            Some(s) => s.trim().to_owned(),
            None => free_slug(&w.txn, "cluster", &input.name).await?,
        };
        let managing = match &input.managing_organisation {
            Some(id) => organisation_id(&w, &mut check, "input.managingOrganisation", id).await?,
            None => None,
        };
        let themes = theme_ids_of(&w.txn, &mut check, input.themes.as_ref()).await?;
        let now = chrono::Utc::now();
        let mut draft = cluster::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            slug,
            name: input.name,
            kind: input.kind,
            description: input.description,
            year_established: input.year_established,
            website: input.website,
            email: input.email,
            country_code: input.country_code,
            region_id: None,
            managing_organisation_id: managing,
            innovation_turnover_eur: input.innovation_turnover_eur,
            created_at: now,
            updated_at: now,
            text_language: input.text_language.unwrap_or(crate::domain::Language::En),
            version: 1,
        };
        check_cluster(&w, &mut check, &mut draft, input.region.as_deref(), None).await?;
        check.finish()?;
        let saved = w.create::<cluster::Entity>("Cluster", draft).await?;
        if let Some(themes) = themes {
            set_themes(&w.txn, "cluster_theme", "cluster_id", saved.id, &themes).await?;
        }
        w.commit().await?;
        Ok(Cluster(saved))
    }

    /// Changes a cluster's profile (its managers, stewards of its region, admins).
    async fn update_cluster(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")] input: UpdateClusterInput,
    ) -> async_graphql::Result<Cluster> {
        let w = begin(ctx).await?;
        let current = w
            .find::<cluster::Entity>("cluster", id_of("Cluster", "input.id", &input.id)?)
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[current.id]).await?)?;
        let mut check = Check::new();
        let mut draft = current.clone();
        set(&mut draft.name, input.name);
        set(&mut draft.text_language, input.text_language);
        set(&mut draft.kind, input.kind);
        patch(&mut draft.description, input.description);
        patch(&mut draft.year_established, input.year_established);
        patch(&mut draft.website, input.website);
        patch(&mut draft.email, input.email);
        set(&mut draft.country_code, input.country_code);
        patch(
            &mut draft.innovation_turnover_eur,
            input.innovation_turnover_eur,
        );
        let region = match input.region {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => {
                draft.region_id = None;
                None
            }
            MaybeUndefined::Value(code) => Some(code),
        };
        match input.managing_organisation {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => draft.managing_organisation_id = None,
            MaybeUndefined::Value(id) => {
                draft.managing_organisation_id =
                    organisation_id(&w, &mut check, "input.managingOrganisation", &id).await?;
            }
        }
        let themes = theme_ids_of(&w.txn, &mut check, input.themes.as_ref()).await?;
        check_cluster(
            &w,
            &mut check,
            &mut draft,
            region.as_deref(),
            Some(&current),
        )
        .await?;
        check.finish()?;
        if draft.region_id != current.region_id {
            // Moving a cluster needs the right to act where it goes, too.
            let code = region.as_deref().unwrap_or(&draft.country_code);
            w.allow(
                Need::Steward,
                &placed_owner(Some(code), &draft.country_code),
            )
            .or_else(|e| {
                w.allow(
                    Need::Manage,
                    &Owner {
                        clusters: vec![current.id],
                        regions: vec![],
                    },
                )
                .map_err(|_| e)
            })?;
        }
        let mut linked = Vec::new();
        if let Some(themes) = themes
            && set_themes(&w.txn, "cluster_theme", "cluster_id", current.id, &themes).await?
        {
            linked.push("themes");
        }
        let saved = w
            .update::<cluster::Entity>("Cluster", &current, draft, input.version, &linked)
            .await?;
        w.commit().await?;
        Ok(Cluster(saved))
    }

    /// Deletes a cluster with its memberships, labels, theme links, indicators and KPIs (stewards
    /// of its region and admins). Refused while it is the only organiser of an event.
    async fn delete_cluster(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cluster's id.")] id: ID,
        #[graphql(desc = "The version you last read.")] version: i32,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<cluster::Entity>("cluster", id_of("Cluster", "id", &id)?)
            .await?;
        w.allow(Need::Steward, &w.cluster_owner(&[current.id]).await?)?;
        let sole = sole_organiser_of(&w, "cluster_id", current.id).await?;
        if sole > 0 {
            return Err(AppError::Conflict(format!(
                "this cluster is the only organiser of {sole} event(s); delete them or add another organiser first"
            ))
            .into());
        }
        w.delete::<cluster::Entity>(
            "Cluster",
            &current,
            Some(version),
            &["memberships", "labels", "themes", "indicators", "kpis"],
        )
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Adds a label to a cluster (its managers, stewards of its region, admins).
    async fn add_cluster_label(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The label.")] input: AddClusterLabelInput,
    ) -> async_graphql::Result<ClusterLabel> {
        let w = begin(ctx).await?;
        let owner_cluster = w
            .find::<cluster::Entity>(
                "cluster",
                id_of("Cluster", "input.cluster", &input.cluster)?,
            )
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[owner_cluster.id]).await?)?;
        let mut check = Check::new();
        let now = chrono::Utc::now();
        let mut draft = cluster_label::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            cluster_id: owner_cluster.id,
            issuer: input.issuer,
            level: input.level,
            awarded_on: input.awarded_on,
            expires_on: input.expires_on,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        check.text("input.issuer", &mut draft.issuer, 1, 200);
        check.in_order(
            "input.expiresOn",
            Some(draft.awarded_on),
            draft.expires_on,
            "the expiry",
        );
        check.finish()?;
        let saved = w
            .create::<cluster_label::Entity>("ClusterLabel", draft)
            .await?;
        w.commit().await?;
        Ok(ClusterLabel(saved))
    }

    /// Changes a cluster's label (its managers, stewards of its region, admins).
    async fn update_cluster_label(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")]
        input: UpdateClusterLabelInput,
    ) -> async_graphql::Result<ClusterLabel> {
        let w = begin(ctx).await?;
        let current = w
            .find::<cluster_label::Entity>(
                "cluster label",
                id_of("ClusterLabel", "input.id", &input.id)?,
            )
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[current.cluster_id]).await?)?;
        let mut draft = current.clone();
        set(&mut draft.issuer, input.issuer);
        set(&mut draft.level, input.level);
        set(&mut draft.awarded_on, input.awarded_on);
        patch(&mut draft.expires_on, input.expires_on);
        let mut check = Check::new();
        check.text("input.issuer", &mut draft.issuer, 1, 200);
        check.in_order(
            "input.expiresOn",
            Some(draft.awarded_on),
            draft.expires_on,
            "the expiry",
        );
        check.finish()?;
        let saved = w
            .update::<cluster_label::Entity>("ClusterLabel", &current, draft, input.version, &[])
            .await?;
        w.commit().await?;
        Ok(ClusterLabel(saved))
    }

    /// Removes a label from a cluster (its managers, stewards of its region, admins).
    async fn remove_cluster_label(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The label's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<cluster_label::Entity>("cluster label", id_of("ClusterLabel", "id", &id)?)
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[current.cluster_id]).await?)?;
        w.delete::<cluster_label::Entity>("ClusterLabel", &current, None, &[])
            .await?;
        w.commit().await?;
        Ok(id)
    }
}

/// How many events have the row (`column` of `event_organiser` = `id`) as their only organiser,
/// in one statement.
pub async fn sole_organiser_of(w: &Write, column: &'static str, id: i64) -> AppResult<u64> {
    let q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_as(Alias::new("event_organiser"), Alias::new("mine"))
        .and_where(Expr::col((Alias::new("mine"), Alias::new(column))).eq(id))
        .and_where(Expr::cust(
            "(SELECT COUNT(*) FROM event_organiser o WHERE o.event_id = mine.event_id) <= 1",
        ))
        .to_owned();
    let n: i64 = match w.txn.query_one(&q).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}
