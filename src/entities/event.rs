//! A thematic meeting, conference or webinar.

use crate::domain::{EventFormat, EventStatus};
use sea_orm::entity::prelude::*;

/// A thematic meeting, conference or webinar.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub format: EventFormat,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub time_zone: String,
    pub venue: Option<String>,
    pub city: Option<String>,
    pub country_code: Option<String>,
    pub online_url: Option<String>,
    pub language: Option<String>,
    pub registration_url: Option<String>,
    pub status: EventStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    /// Language its own texts are written in (ISO 639-1).
    pub text_language: crate::domain::Language,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
