//! An API key: a role, its scope, and the hash of its secret.

use crate::domain::Role;
use sea_orm::entity::prelude::*;

/// An API key. The secret itself is never stored, only its SHA-256 hash.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    #[sea_orm(unique)]
    pub prefix: String,
    pub secret_hash: String,
    pub name: String,
    pub role: Role,
    pub region_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
