//! An organisation taking part in a collaboration, optionally for a cluster.

use crate::domain::ParticipantRole;
use sea_orm::entity::prelude::*;

/// An organisation taking part in a collaboration, optionally for a cluster.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "participant")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub collaboration_id: i64,
    pub organisation_id: i64,
    pub cluster_id: Option<i64>,
    pub role: ParticipantRole,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
