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
        let db = &ctx.data::<Loaders>()?.db.reads;
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

/// One indicator of one cluster in a comparison; null values where the cluster reports none.
#[derive(SimpleObject)]
pub struct ComparisonCell {
    /// The cluster's slug.
    pub cluster: String,
    /// The value; null when the cluster has no value for this key and year.
    pub value: Option<f64>,
    /// Unit of the value.
    pub unit: Option<String>,
    /// Direction it moves in.
    pub trend: Option<crate::domain::Trend>,
    /// The cluster's goal for it.
    pub goal: Option<String>,
    /// Where the value comes from.
    pub source: Option<String>,
}

/// One indicator key in one year, across the compared clusters.
#[derive(SimpleObject)]
pub struct ComparisonRow {
    /// The indicator key.
    pub key: String,
    /// The year.
    pub year: i32,
    /// One cell per compared cluster, in the order asked.
    pub cells: Vec<ComparisonCell>,
    /// Slugs of the clusters without a value.
    pub missing: Vec<String>,
}

/// Regional states of affairs side by side.
#[derive(SimpleObject)]
pub struct ClusterComparison {
    /// The compared clusters' slugs, in the order asked.
    pub clusters: Vec<String>,
    /// Rows by key, then year.
    pub rows: Vec<ComparisonRow>,
}

/// How alike a cluster is to the one asked about, with the score broken into its parts.
#[derive(SimpleObject)]
pub struct ClusterSimilarity {
    /// The other cluster.
    pub cluster: super::types::Cluster,
    /// The total: 0.4 × themes + 0.3 × indicators + 0.3 × complementarity, from 0 to 1.
    pub score: f64,
    /// Shared themes over all themes of either (Jaccard index), 0 to 1.
    pub themes: f64,
    /// How close their latest values are on the indicator keys both report (1 − relative
    /// difference, averaged), times the share of keys both report, 0 to 1.
    pub indicators: f64,
    /// Offers of one's members meeting needs of the other's on a shared theme, one fifth per
    /// pair, at most 1.
    pub complementarity: f64,
    /// Slugs of the themes both work on.
    pub shared_themes: Vec<String>,
    /// Indicator keys both report.
    pub shared_indicator_keys: Vec<String>,
    /// Offers of this cluster's members that meet needs of the asked cluster's members.
    pub their_offers_for_your_needs: u32,
    /// Offers of the asked cluster's members that meet needs of this cluster's members.
    pub your_offers_for_their_needs: u32,
}

/// Cross-cluster comparison.
#[derive(Default)]
pub struct ComparisonQuery;

#[Object]
impl ComparisonQuery {
    /// The regional states of affairs of clusters side by side: for each indicator key and year,
    /// each cluster's value, unit, trend and goal, and which clusters lack a value.
    async fn compare_clusters(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Slugs of the clusters to compare (1 to 20).")] clusters: Vec<String>,
        #[graphql(desc = "Indicator keys; all that any of them reports when omitted.")]
        keys: Option<Vec<String>>,
        #[graphql(desc = "Years; all that any of them reports when omitted.")] years: Option<
            Vec<i32>,
        >,
    ) -> async_graphql::Result<ClusterComparison> {
        let db = &ctx.data::<Loaders>()?.db.reads;
        let t = crate::services::comparison::table(
            db,
            &clusters,
            &keys.unwrap_or_default(),
            &years.unwrap_or_default(),
        )
        .await?;
        let mut rows = Vec::new();
        for key in &t.keys {
            for year in &t.years {
                let mut cells = Vec::new();
                let mut missing = Vec::new();
                for c in &t.clusters {
                    let i = t.cells.get(&(key.clone(), *year, c.id));
                    if i.and_then(|i| i.value).is_none() {
                        missing.push(c.slug.clone());
                    }
                    cells.push(ComparisonCell {
                        cluster: c.slug.clone(),
                        value: i.and_then(|i| i.value),
                        unit: i.and_then(|i| i.unit.clone()),
                        trend: i.and_then(|i| i.trend),
                        goal: i.and_then(|i| i.goal.clone()),
                        source: i.and_then(|i| i.source.clone()),
                    });
                }
                rows.push(ComparisonRow {
                    key: key.clone(),
                    year: *year,
                    cells,
                    missing,
                });
            }
        }
        Ok(ClusterComparison {
            clusters: t.clusters.iter().map(|c| c.slug.clone()).collect(),
            rows,
        })
    }

    /// The clusters most like one cluster, best first: shared themes, a similar indicator
    /// profile and complementary offers and needs, each part shown.
    async fn similar_clusters(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cluster's slug.")] cluster: String,
        #[graphql(desc = "How many (1 to 50).", default = 5)] first: i32,
    ) -> async_graphql::Result<Vec<ClusterSimilarity>> {
        if !(1..=50).contains(&first) {
            return Err(
                crate::error::AppError::bad_input("first", "`first` must be 1 to 50").into(),
            );
        }
        let db = &ctx.data::<Loaders>()?.db.reads;
        let found = crate::services::comparison::similar(db, &cluster, first as usize).await?;
        Ok(found
            .into_iter()
            .map(|s| ClusterSimilarity {
                cluster: super::types::Cluster(s.cluster),
                score: s.score,
                themes: s.themes,
                indicators: s.indicators,
                complementarity: s.complementarity,
                shared_themes: s.shared_themes,
                shared_indicator_keys: s.shared_indicator_keys,
                their_offers_for_your_needs: s.offers_for_us,
                your_offers_for_their_needs: s.offers_from_us,
            })
            .collect())
    }
}
