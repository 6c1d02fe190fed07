//! A partner region by NUTS code (level 0 is the country).

use sea_orm::entity::prelude::*;

/// A partner region by NUTS code (level 0 is the country).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "region")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub code: String,
    pub name: String,
    pub level: i16,
    pub parent_id: Option<i64>,
    pub country_code: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
