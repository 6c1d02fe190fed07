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
    /// Language its own texts are written in (ISO 639-1).
    pub text_language: crate::domain::Language,
    /// Countries it targets (ISO 3166-1 alpha-2, comma-separated); none means anywhere.
    pub target_countries: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
