//! A regional open-innovation cluster.

use crate::domain::ClusterKind;
use sea_orm::entity::prelude::*;

/// A regional open-innovation cluster.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "cluster")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub slug: String,
    pub name: String,
    pub kind: ClusterKind,
    pub description: Option<String>,
    pub year_established: Option<i32>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub country_code: String,
    pub region_id: Option<i64>,
    pub managing_organisation_id: Option<i64>,
    pub innovation_turnover_eur: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    /// Language its own texts are written in (ISO 639-1).
    pub text_language: crate::domain::Language,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
