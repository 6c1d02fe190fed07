//! An organisation's membership of a cluster.

use crate::domain::MembershipRole;
use sea_orm::entity::prelude::*;

/// An organisation's membership of a cluster.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "membership")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub cluster_id: i64,
    pub organisation_id: i64,
    pub role: MembershipRole,
    pub since: Option<Date>,
    pub until: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
