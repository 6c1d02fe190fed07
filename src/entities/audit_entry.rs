//! One entry of the append-only audit log.

use sea_orm::entity::prelude::*;

/// Who changed what, when: names of changed fields, never their values.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub at: DateTimeUtc,
    pub key_id: Option<Uuid>,
    pub role: String,
    pub operation: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub fields: String,
    pub request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
