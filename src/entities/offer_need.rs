//! What an SME offers or needs, to be matched across clusters.

use crate::domain::OfferNeedKind;
use sea_orm::entity::prelude::*;

/// What an SME offers or needs, to be matched across clusters.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "offer_need")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub organisation_id: i64,
    pub kind: OfferNeedKind,
    pub title: String,
    pub description: Option<String>,
    pub valid_until: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
