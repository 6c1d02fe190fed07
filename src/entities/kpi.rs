//! A shared objective of a cluster or collaboration: target against actual for a period.

use sea_orm::entity::prelude::*;

/// A shared objective of a cluster or collaboration: target against actual for a period.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "kpi")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub cluster_id: Option<i64>,
    pub collaboration_id: Option<i64>,
    pub name: String,
    pub target: Option<f64>,
    pub actual: Option<f64>,
    pub unit: Option<String>,
    pub period_start: Date,
    pub period_end: Date,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
