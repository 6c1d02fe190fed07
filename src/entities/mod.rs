//! SeaORM entities, one file per table.

pub mod api_key;
pub mod audit_entry;
pub mod cluster;
pub mod cluster_label;
pub mod cluster_theme;
pub mod collaboration;
pub mod collaboration_theme;
pub mod contact;
pub mod event;
pub mod event_organiser;
pub mod event_theme;
pub mod indicator;
pub mod interest;
pub mod kpi;
pub mod membership;
pub mod offer_need;
pub mod offer_need_theme;
pub mod organisation;
pub mod organisation_theme;
pub mod participant;
pub mod region;
pub mod theme;
