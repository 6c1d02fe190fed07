//! Grouped statistics and cross-cluster comparison for platforms that pull aggregated figures.

use super::loader::Loaders;
use crate::domain::{OrganisationType, SizeClass};
use crate::services::filter::{CountryCode, NutsPrefix};
use crate::services::statistics::{self, Dimension, StatisticsFilter, Subject};
use async_graphql::{Context, InputObject, Object, SimpleObject};

/// Narrows what is counted; every part given must match. A part that does not apply to the
/// subject is refused with `BAD_USER_INPUT`.
#[derive(InputObject, Default)]
pub struct StatisticsFilterInput {
    /// Only these organisation types (organisations, memberships).
    pub types: Option<Vec<OrganisationType>>,
    /// Only these SME size classes (organisations, memberships).
    pub size_classes: Option<Vec<SizeClass>>,
    /// Only rows on any of these themes (organisations, clusters, collaborations, events).
    pub themes: Option<Vec<String>>,
    /// Only these countries (organisations, clusters, events; the organisation's for memberships).
    pub countries: Option<Vec<String>>,
    /// Only this NUTS region and below (organisations, clusters; the cluster's for memberships
    /// and indicators).
    pub region: Option<String>,
    /// Only these clusters, by slug (clusters, memberships, indicators; members for organisations).
    pub clusters: Option<Vec<String>>,
    /// From this year on (collaborations by start, events, indicators, clusters by year
    /// established).
    pub from_year: Option<i32>,
    /// Up to and including this year.
    pub to_year: Option<i32>,
}

/// One group of the statistics.
#[derive(SimpleObject)]
pub struct StatisticsGroup {
    /// The group's values, one per `groupBy` dimension and in its order; null where a row has
    /// no value (e.g. an organisation without a theme).
    pub key: Vec<Option<String>>,
    /// How many rows the group holds.
    pub count: i64,
    /// Sum of the subject's measure (collaboration budgets in euro, indicator values); null for
    /// subjects without one.
    pub sum: Option<f64>,
    /// Average of the subject's measure; null for subjects without one.
    pub average: Option<f64>,
}

/// Counts of one subject grouped by one or more dimensions.
#[derive(SimpleObject)]
pub struct Statistics {
    /// What was counted.
    pub subject: Subject,
    /// The dimensions, in the order of each group's `key`.
    pub group_by: Vec<Dimension>,
    /// The groups, ordered by key.
    pub groups: Vec<StatisticsGroup>,
}

/// Statistics queries.
#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// Counts (and sums and averages of budgets or indicator values) of a subject grouped by up
    /// to three dimensions, computed by the database. Organisations group by type, size class,
    /// country, region, theme and cluster; clusters by country, kind, theme, label and region;
    /// memberships by cluster, role, type and country; collaborations by programme, theme, status
    /// and start year; events by month, format, theme, country and status; indicators by key,
    /// year and cluster. A row with several themes (or clusters, labels) counts once in each.
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to count.")] subject: Subject,
        #[graphql(desc = "The dimensions to group by (one to three).")] group_by: Vec<Dimension>,
        #[graphql(
            desc = "NUTS level of `REGION` groups: 0 country, 1 to 3 ever smaller regions.",
            default = 2
        )]
        region_level: u8,
        #[graphql(desc = "Narrows what is counted.")] filter: Option<StatisticsFilterInput>,
    ) -> async_graphql::Result<Statistics> {
        let f = filter.unwrap_or_default();
        let filter = StatisticsFilter {
            types: f.types.unwrap_or_default(),
            size_classes: f.size_classes.unwrap_or_default(),
            themes: f.themes.unwrap_or_default(),
            countries: f
                .countries
                .unwrap_or_default()
                .iter()
                .map(|c| CountryCode::parse("filter.countries", c))
                .collect::<Result<_, _>>()?,
            region: f
                .region
                .map(|r| NutsPrefix::parse("filter.region", &r))
                .transpose()?,
            clusters: f.clusters.unwrap_or_default(),
            from_year: f.from_year,
            to_year: f.to_year,
        };
        if group_by.is_empty() {
            return Err(crate::error::AppError::bad_input(
                "groupBy",
                "group by at least one dimension",
            )
            .into());
        }
        let db = &ctx.data::<Loaders>()?.db.conn;
        let groups = statistics::compute(db, subject, &group_by, region_level, &filter).await?;
        Ok(Statistics {
            subject,
            group_by,
            groups: groups
                .into_iter()
                .map(|g| StatisticsGroup {
                    key: g.key,
                    count: g.count,
                    sum: g.sum,
                    average: g.average,
                })
                .collect(),
        })
    }
}
