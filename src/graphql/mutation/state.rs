//! A cluster's regional state of affairs: indicators and KPIs.
//!
//! Indicators belong to their cluster; KPIs to their cluster or collaboration. Their managers,
//! stewards of their region and admins write them.

use super::{begin, id_of, patch, set};
use crate::domain::{IndicatorTopic, Trend};
use crate::entities::{cluster, collaboration, indicator, kpi};
use crate::error::{AppError, AppResult};
use crate::graphql::types::{Indicator, Kpi};
use crate::services::access::{Need, Owner};
use crate::services::validate::Check;
use crate::services::write::Write;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// A new state-of-affairs indicator.
#[derive(InputObject)]
pub struct CreateIndicatorInput {
    /// The cluster it describes.
    pub cluster: ID,
    /// Year it describes.
    pub year: i32,
    /// Topic.
    pub topic: IndicatorTopic,
    /// Stable key of what is measured, e.g. `sme_count` (letters, digits, `_`, `-`, `.`).
    pub key: String,
    /// Value.
    pub value: Option<f64>,
    /// Unit of the value, e.g. `companies` or `%`.
    pub unit: Option<String>,
    /// Direction it moves in.
    pub trend: Option<Trend>,
    /// The goal for it, in words.
    pub goal: Option<String>,
    /// Where the value comes from.
    pub source: Option<String>,
}

/// Changes to an indicator; omitted fields stay as they are, `null` clears a field.
#[derive(InputObject)]
pub struct UpdateIndicatorInput {
    /// Its id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// Value.
    pub value: MaybeUndefined<f64>,
    /// Unit.
    pub unit: MaybeUndefined<String>,
    /// Direction it moves in.
    pub trend: MaybeUndefined<Trend>,
    /// The goal for it.
    pub goal: MaybeUndefined<String>,
    /// Where the value comes from.
    pub source: MaybeUndefined<String>,
    /// Topic.
    pub topic: Option<IndicatorTopic>,
}

/// A new KPI of a cluster or a collaboration (give exactly one).
#[derive(InputObject)]
pub struct CreateKpiInput {
    /// The cluster it measures.
    pub cluster: Option<ID>,
    /// The collaboration it measures.
    pub collaboration: Option<ID>,
    /// What is measured.
    pub name: String,
    /// Target value.
    pub target: Option<f64>,
    /// Value reached.
    pub actual: Option<f64>,
    /// Unit.
    pub unit: Option<String>,
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Last day of the period.
    pub period_end: NaiveDate,
}

/// Changes to a KPI; omitted fields stay as they are, `null` clears a field.
#[derive(InputObject)]
pub struct UpdateKpiInput {
    /// Its id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// What is measured.
    pub name: Option<String>,
    /// Target value.
    pub target: MaybeUndefined<f64>,
    /// Value reached.
    pub actual: MaybeUndefined<f64>,
    /// Unit.
    pub unit: MaybeUndefined<String>,
    /// First day of the period.
    pub period_start: Option<NaiveDate>,
    /// Last day of the period.
    pub period_end: Option<NaiveDate>,
}

fn check_indicator(check: &mut Check, draft: &mut indicator::Model) {
    check.year("input.year", Some(draft.year));
    draft.key = draft.key.trim().to_owned();
    let key_ok = (1..=100).contains(&draft.key.len())
        && draft
            .key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if !key_ok {
        check.fail(
            "input.key",
            "`key` must be 1 to 100 letters, digits, `_`, `-` or `.`, e.g. `sme_count`",
        );
    }
    check.opt_text("input.unit", &mut draft.unit, 50);
    check.opt_text("input.goal", &mut draft.goal, 1000);
    check.opt_text("input.source", &mut draft.source, 1000);
    if draft.value.is_some_and(|v| !v.is_finite()) {
        check.fail("input.value", "`value` must be a finite number");
    }
}

fn check_kpi(check: &mut Check, draft: &mut kpi::Model) {
    check.text("input.name", &mut draft.name, 1, 200);
    check.opt_text("input.unit", &mut draft.unit, 50);
    check.in_order(
        "input.periodEnd",
        Some(draft.period_start),
        Some(draft.period_end),
        "the end of the period",
    );
}

/// Who owns a KPI: its cluster or its collaboration.
async fn kpi_owner(w: &Write, k: &kpi::Model) -> AppResult<Owner> {
    let mut owner = Owner::default();
    if let Some(c) = k.cluster_id {
        owner = owner.merge(w.cluster_owner(&[c]).await?);
    }
    if let Some(c) = k.collaboration_id {
        owner = owner.merge(w.collaboration_owner(c).await?);
    }
    Ok(owner)
}

/// Indicator and KPI writes.
#[derive(Default)]
pub struct StateMutation;

#[Object]
impl StateMutation {
    /// Records an indicator of a cluster's state of affairs; one per cluster, year and key.
    async fn create_indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new indicator.")] input: CreateIndicatorInput,
    ) -> async_graphql::Result<Indicator> {
        let w = begin(ctx).await?;
        let c = w
            .find::<cluster::Entity>(
                "cluster",
                id_of("Cluster", "input.cluster", &input.cluster)?,
            )
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[c.id]).await?)?;
        let now = Utc::now();
        let mut draft = indicator::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            cluster_id: c.id,
            year: input.year,
            topic: input.topic,
            key: input.key,
            value: input.value,
            unit: input.unit,
            trend: input.trend,
            goal: input.goal,
            source: input.source,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut check = Check::new();
        check_indicator(&mut check, &mut draft);
        check.finish()?;
        let exists = indicator::Entity::find()
            .filter(indicator::Column::ClusterId.eq(c.id))
            .filter(indicator::Column::Year.eq(draft.year))
            .filter(indicator::Column::Key.eq(draft.key.clone()))
            .count(&w.txn)
            .await?;
        if exists > 0 {
            return Err(AppError::Conflict(format!(
                "the cluster already has an indicator `{}` for {}; update that one",
                draft.key, draft.year
            ))
            .into());
        }
        let saved = w.create::<indicator::Entity>("Indicator", draft).await?;
        w.commit().await?;
        Ok(Indicator(saved))
    }

    /// Changes an indicator (the cluster's managers, stewards, admins).
    async fn update_indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")]
        input: UpdateIndicatorInput,
    ) -> async_graphql::Result<Indicator> {
        let w = begin(ctx).await?;
        let current = w
            .find::<indicator::Entity>("indicator", id_of("Indicator", "input.id", &input.id)?)
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[current.cluster_id]).await?)?;
        let mut draft = current.clone();
        patch(&mut draft.value, input.value);
        patch(&mut draft.unit, input.unit);
        patch(&mut draft.trend, input.trend);
        patch(&mut draft.goal, input.goal);
        patch(&mut draft.source, input.source);
        set(&mut draft.topic, input.topic);
        let mut check = Check::new();
        check_indicator(&mut check, &mut draft);
        check.finish()?;
        let saved = w
            .update::<indicator::Entity>("Indicator", &current, draft, input.version, &[])
            .await?;
        w.commit().await?;
        Ok(Indicator(saved))
    }

    /// Deletes an indicator (the cluster's managers, stewards, admins).
    async fn delete_indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
        #[graphql(desc = "The version you last read.")] version: i32,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<indicator::Entity>("indicator", id_of("Indicator", "id", &id)?)
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[current.cluster_id]).await?)?;
        w.delete::<indicator::Entity>("Indicator", &current, Some(version), &[])
            .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Records a KPI of a cluster or collaboration (their managers, stewards, admins).
    async fn create_kpi(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new KPI.")] input: CreateKpiInput,
    ) -> async_graphql::Result<Kpi> {
        let w = begin(ctx).await?;
        let (cluster_id, collaboration_id) = match (&input.cluster, &input.collaboration) {
            (Some(id), None) => {
                let c = w
                    .find::<cluster::Entity>("cluster", id_of("Cluster", "input.cluster", id)?)
                    .await?;
                (Some(c.id), None)
            }
            (None, Some(id)) => {
                let c = w
                    .find::<collaboration::Entity>(
                        "collaboration",
                        id_of("Collaboration", "input.collaboration", id)?,
                    )
                    .await?;
                (None, Some(c.id))
            }
            _ => {
                return Err(AppError::bad_input(
                    "input.cluster",
                    "give exactly one of `cluster` and `collaboration`",
                )
                .into());
            }
        };
        let now = Utc::now();
        let mut draft = kpi::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            cluster_id,
            collaboration_id,
            name: input.name,
            target: input.target,
            actual: input.actual,
            unit: input.unit,
            period_start: input.period_start,
            period_end: input.period_end,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        w.allow(Need::Manage, &kpi_owner(&w, &draft).await?)?;
        let mut check = Check::new();
        check_kpi(&mut check, &mut draft);
        check.finish()?;
        let saved = w.create::<kpi::Entity>("Kpi", draft).await?;
        w.commit().await?;
        Ok(Kpi(saved))
    }

    /// Changes a KPI (managers of its cluster or collaboration, stewards, admins).
    async fn update_kpi(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")] input: UpdateKpiInput,
    ) -> async_graphql::Result<Kpi> {
        let w = begin(ctx).await?;
        let current = w
            .find::<kpi::Entity>("KPI", id_of("Kpi", "input.id", &input.id)?)
            .await?;
        w.allow(Need::Manage, &kpi_owner(&w, &current).await?)?;
        let mut draft = current.clone();
        set(&mut draft.name, input.name);
        patch(&mut draft.target, input.target);
        patch(&mut draft.actual, input.actual);
        patch(&mut draft.unit, input.unit);
        set(&mut draft.period_start, input.period_start);
        set(&mut draft.period_end, input.period_end);
        let mut check = Check::new();
        check_kpi(&mut check, &mut draft);
        check.finish()?;
        let saved = w
            .update::<kpi::Entity>("Kpi", &current, draft, input.version, &[])
            .await?;
        w.commit().await?;
        Ok(Kpi(saved))
    }

    /// Deletes a KPI (managers of its cluster or collaboration, stewards, admins).
    async fn delete_kpi(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
        #[graphql(desc = "The version you last read.")] version: i32,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<kpi::Entity>("KPI", id_of("Kpi", "id", &id)?)
            .await?;
        w.allow(Need::Manage, &kpi_owner(&w, &current).await?)?;
        w.delete::<kpi::Entity>("Kpi", &current, Some(version), &[])
            .await?;
        w.commit().await?;
        Ok(id)
    }
}
