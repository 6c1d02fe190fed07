//! Themes of an offer or need.

use sea_orm::entity::prelude::*;

/// Themes of an offer or need.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offer_need_theme")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub offer_need_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub theme_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
