//! A member organisation of the quadruple helix.

use crate::domain::{OrganisationType, SizeClass};
use sea_orm::entity::prelude::*;

/// A member organisation of the quadruple helix.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub slug: String,
    pub name: String,
    pub org_type: OrganisationType,
    pub size_class: Option<SizeClass>,
    pub headcount: Option<i32>,
    pub nace_codes: Option<String>,
    pub nace_version: Option<String>,
    pub country_code: String,
    pub region_id: Option<i64>,
    pub city: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    /// Language its own texts are written in (ISO 639-1).
    pub text_language: crate::domain::Language,
    #[sea_orm(unique)]
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
