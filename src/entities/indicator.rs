//! A figure of a cluster's regional state of affairs for one year.

use crate::domain::{IndicatorTopic, Trend};
use sea_orm::entity::prelude::*;

/// A figure of a cluster's regional state of affairs for one year.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "indicator")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub cluster_id: i64,
    pub year: i32,
    pub topic: IndicatorTopic,
    pub key: String,
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub trend: Option<Trend>,
    pub goal: Option<String>,
    pub source: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
