//! The regional state of affairs (indicators per cluster and year) and KPIs.

use super::loader::Loaders;
use super::node::global_id;
use super::types::*;
use crate::domain::{IndicatorTopic, Trend};
use crate::entities::{cluster, collaboration};
use async_graphql::{Context, ID, Object};
use chrono::NaiveDate;

wrapper!(
    /// One figure of a cluster's regional state of affairs: goals, figures and trends of its
    /// region on SMEs, digitalisation, sustainability and low-carbon products, per year.
    Indicator, indicator
);
wrapper!(
    /// A shared objective of a cluster or collaboration: target against actual for a period.
    Kpi, kpi
);

/// One figure of a cluster's regional state of affairs: goals, figures and trends of its
/// region on SMEs, digitalisation, sustainability and low-carbon products, per year.
#[Object]
impl Indicator {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Indicator", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Year the figure is for.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// Topic.
    async fn topic(&self) -> IndicatorTopic {
        self.0.topic
    }
    /// Stable key of the indicator, e.g. `member_companies`; compare clusters by it.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Value.
    async fn value(&self) -> Option<f64> {
        self.0.value
    }
    /// Unit of the value, e.g. `EUR/year`.
    async fn unit(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }
    /// Direction the figure is moving in.
    async fn trend(&self) -> Option<Trend> {
        self.0.trend
    }
    /// The region's goal on this point.
    async fn goal(&self) -> Option<&str> {
        self.0.goal.as_deref()
    }
    /// Where the figure comes from.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    /// The cluster whose region it describes.
    async fn cluster(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Cluster>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<cluster::Entity>(self.0.cluster_id)
            .await?
            .map(Cluster))
    }
}

/// A shared objective of a cluster or collaboration: target against actual for a period.
#[Object]
impl Kpi {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Kpi", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// What is measured, e.g. `B2B meetings held`.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Target for the period.
    async fn target(&self) -> Option<f64> {
        self.0.target
    }
    /// Actual value reached.
    async fn actual(&self) -> Option<f64> {
        self.0.actual
    }
    /// Unit.
    async fn unit(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }
    /// First day of the period.
    async fn period_start(&self) -> NaiveDate {
        self.0.period_start
    }
    /// Last day of the period.
    async fn period_end(&self) -> NaiveDate {
        self.0.period_end
    }
    /// The cluster the objective belongs to, if any.
    async fn cluster(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Cluster>> {
        let Some(id) = self.0.cluster_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .one::<cluster::Entity>(id)
            .await?
            .map(Cluster))
    }
    /// The collaboration the objective belongs to, if any.
    async fn collaboration(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Collaboration>> {
        let Some(id) = self.0.collaboration_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .one::<collaboration::Entity>(id)
            .await?
            .map(Collaboration))
    }
}
