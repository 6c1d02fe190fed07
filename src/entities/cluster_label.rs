//! A cluster-management excellence label held by a cluster.

use crate::domain::LabelLevel;
use sea_orm::entity::prelude::*;

/// A cluster-management excellence label held by a cluster.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "cluster_label")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub cluster_id: i64,
    pub issuer: String,
    pub level: LabelLevel,
    pub awarded_on: Date,
    pub expires_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
