//! Database migrations of the cluster directory, run on start and from this crate's command line.

pub use sea_orm_migration::prelude::*;

mod index_swap;
mod m20261123_000001_create_directory;
mod m20261123_000002_writes;
mod m20261123_000003_change_log;
mod m20261123_000004_page_indexes;
mod m20261123_000005_event_feed;
mod m20261123_000006_statistics_index;
mod m20261123_000007_search;
mod m20261123_000008_search_names;
mod m20261123_000009_match_candidates;
mod m20261123_000010_search_facets;
mod m20261123_000011_search_name_trigrams;
mod m20261123_000012_search_name_documents;
mod m20261124_000013_membership_by_organisation;
mod m20261124_000014_membership_pages_covering;
mod m20261125_000015_analyze_reference_tables;
mod m20261125_000016_match_candidates_by_side;
mod statements;

/// Every migration of the directory, in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_directory::Migration),
            Box::new(m20261123_000002_writes::Migration),
            Box::new(m20261123_000003_change_log::Migration),
            Box::new(m20261123_000004_page_indexes::Migration),
            Box::new(m20261123_000005_event_feed::Migration),
            Box::new(m20261123_000006_statistics_index::Migration),
            Box::new(m20261123_000007_search::Migration),
            Box::new(m20261123_000008_search_names::Migration),
            Box::new(m20261123_000009_match_candidates::Migration),
            Box::new(m20261123_000010_search_facets::Migration),
            Box::new(m20261123_000011_search_name_trigrams::Migration),
            Box::new(m20261123_000012_search_name_documents::Migration),
            Box::new(m20261124_000013_membership_by_organisation::Migration),
            Box::new(m20261124_000014_membership_pages_covering::Migration),
            Box::new(m20261125_000015_analyze_reference_tables::Migration),
            Box::new(m20261125_000016_match_candidates_by_side::Migration),
        ]
    }
}
