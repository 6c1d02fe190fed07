//! An inter-cluster project.

use crate::domain::CollaborationStatus;
use sea_orm::entity::prelude::*;

/// An inter-cluster project.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "collaboration")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub slug: String,
    pub name: String,
    pub programme: String,
    pub description: Option<String>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub budget_eur: Option<i64>,
    pub status: CollaborationStatus,
    pub website: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    /// Language its own texts are written in (ISO 639-1).
    pub text_language: crate::domain::Language,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
