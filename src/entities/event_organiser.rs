//! Who organises an event: a cluster, a collaboration or an organisation.

use sea_orm::entity::prelude::*;

/// Who organises an event: a cluster, a collaboration or an organisation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "event_organiser")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub event_id: i64,
    pub cluster_id: Option<i64>,
    pub collaboration_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
