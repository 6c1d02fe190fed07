//! Grouped statistics, computed by the database (`GROUP BY`): counts, and sums and averages where
//! the subject has a measure (collaboration budgets, indicator values). Only public rows are
//! counted; nothing hidden from anybody (contacts, interests, keys) takes part.

use crate::domain::{OrganisationType, SizeClass};
use crate::error::{AppError, AppResult};
use crate::services::filter::{CountryCode, NutsPrefix, col, has_theme, ids_by_slug, region_ids};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend};

/// What is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "StatisticsSubject")]
pub enum Subject {
    /// Organisations.
    Organisations,
    /// Clusters.
    Clusters,
    /// Memberships of organisations in clusters.
    Memberships,
    /// Collaborations; `sum` and `average` are of their budgets in euro.
    Collaborations,
    /// Events.
    Events,
    /// State-of-affairs indicators; `sum` and `average` are of their values.
    Indicators,
}

/// What the counts are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "StatisticsDimension")]
pub enum Dimension {
    /// Helix type of the organisation (organisations, memberships).
    Type,
    /// EU SME size class (organisations).
    SizeClass,
    /// Country (organisations, clusters, events; the organisation's for memberships).
    Country,
    /// NUTS region at `regionLevel` (organisations, clusters).
    Region,
    /// Theme (organisations, clusters, collaborations, events); rows without one count under null.
    Theme,
    /// Cluster slug (organisations by membership, memberships, indicators).
    Cluster,
    /// Kind of cluster (clusters).
    Kind,
    /// Label level (clusters); clusters without a label count under null.
    Label,
    /// Membership role (memberships).
    Role,
    /// Funding programme (collaborations).
    Programme,
    /// Status (collaborations, events).
    Status,
    /// Year the collaboration starts (collaborations).
    StartYear,
    /// Month of the start, `YYYY-MM` in UTC (events).
    Month,
    /// Format (events).
    Format,
    /// Indicator key (indicators).
    Key,
    /// Year (indicators).
    Year,
}

/// Narrows what is counted; every part given must match, and must apply to the subject.
#[derive(Clone, Debug, Default)]
pub struct StatisticsFilter {
    /// Organisation types (organisations, memberships).
    pub types: Vec<OrganisationType>,
    /// SME size classes (organisations, memberships).
    pub size_classes: Vec<SizeClass>,
    /// Theme slugs (organisations, clusters, collaborations, events).
    pub themes: Vec<String>,
    /// Countries.
    pub countries: Vec<CountryCode>,
    /// NUTS prefix.
    pub region: Option<NutsPrefix>,
    /// Cluster slugs.
    pub clusters: Vec<String>,
    /// From this year on (collaborations, events, indicators, clusters by year established).
    pub from_year: Option<i32>,
    /// Up to this year.
    pub to_year: Option<i32>,
}

/// One group: its key (one value per dimension, in order) and its figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The values of the dimensions.
    pub key: Vec<Option<String>>,
    /// Rows counted.
    pub count: i64,
    /// Sum of the measure, for subjects with one.
    pub sum: Option<f64>,
    /// Average of the measure, for subjects with one.
    pub average: Option<f64>,
}

fn table(subject: Subject) -> &'static str {
    match subject {
        Subject::Organisations => "organisation",
        Subject::Clusters => "cluster",
        Subject::Memberships => "membership",
        Subject::Collaborations => "collaboration",
        Subject::Events => "event",
        Subject::Indicators => "indicator",
    }
}

fn theme_link(subject: Subject) -> Option<(&'static str, &'static str)> {
    match subject {
        Subject::Organisations => Some(("organisation_theme", "organisation_id")),
        Subject::Clusters => Some(("cluster_theme", "cluster_id")),
        Subject::Collaborations => Some(("collaboration_theme", "collaboration_id")),
        Subject::Events => Some(("event_theme", "event_id")),
        _ => None,
    }
}

fn unsupported(what: &str, subject: Subject) -> AppError {
    AppError::bad_input(
        what,
        format!(
            "`{what}` does not apply to {subject:?}; see the field's description for what does"
        ),
    )
}

/// A column of the subject or of a joined table.
fn c(t: &str, column: &str) -> Expr {
    Expr::col((Alias::new(t), Alias::new(column)))
}

/// Whether grouping by the dimension joins rows that a subject row has many of.
fn fans_out(subject: Subject, dim: Dimension) -> bool {
    matches!(
        (subject, dim),
        (_, Dimension::Theme)
            | (Subject::Organisations, Dimension::Cluster)
            | (Subject::Clusters, Dimension::Label)
    )
}

/// Adds a dimension: its joins and its grouping expression.
fn add_dimension(
    q: &mut SelectStatement,
    subject: Subject,
    dim: Dimension,
    i: usize,
    region_level: u8,
    backend: DbBackend,
) -> AppResult<()> {
    let s = table(subject);
    let alias = |n: &str| format!("d{i}_{n}");
    let on = |left: Expr, t: &str, column: &str| left.equals((Alias::new(t), Alias::new(column)));
    let expr: Expr = match (subject, dim) {
        (Subject::Organisations, Dimension::Type) => c(s, "org_type"),
        (Subject::Organisations, Dimension::SizeClass) => c(s, "size_class"),
        (Subject::Organisations | Subject::Clusters | Subject::Events, Dimension::Country) => {
            c(s, "country_code")
        }
        (Subject::Memberships, Dimension::Type | Dimension::Country) => {
            let o = alias("o");
            q.join_as(
                JoinType::LeftJoin,
                Alias::new("organisation"),
                Alias::new(&o),
                on(c(&o, "id"), s, "organisation_id"),
            );
            c(
                &o,
                if dim == Dimension::Type {
                    "org_type"
                } else {
                    "country_code"
                },
            )
        }
        (Subject::Organisations | Subject::Clusters, Dimension::Region) => {
            let r = alias("r");
            q.join_as(
                JoinType::LeftJoin,
                Alias::new("region"),
                Alias::new(&r),
                on(c(&r, "id"), s, "region_id"),
            );
            Expr::cust(format!(
                "SUBSTR({r}.code, 1, {})",
                2 + region_level as usize
            ))
        }
        (_, Dimension::Theme) => {
            let (link, owner) = theme_link(subject).ok_or_else(|| unsupported("THEME", subject))?;
            let (l, t) = (alias("l"), alias("t"));
            q.join_as(
                JoinType::LeftJoin,
                Alias::new(link),
                Alias::new(&l),
                on(c(&l, owner), s, "id"),
            );
            q.join_as(
                JoinType::LeftJoin,
                Alias::new("theme"),
                Alias::new(&t),
                on(c(&t, "id"), &l, "theme_id"),
            );
            c(&t, "slug")
        }
        (Subject::Organisations, Dimension::Cluster) => {
            let (m, k) = (alias("m"), alias("k"));
            q.join_as(
                JoinType::LeftJoin,
                Alias::new("membership"),
                Alias::new(&m),
                on(c(&m, "organisation_id"), s, "id"),
            );
            q.join_as(
                JoinType::LeftJoin,
                Alias::new("cluster"),
                Alias::new(&k),
                on(c(&k, "id"), &m, "cluster_id"),
            );
            c(&k, "slug")
        }
        (Subject::Memberships | Subject::Indicators, Dimension::Cluster) => {
            let k = alias("k");
            q.join_as(
                JoinType::LeftJoin,
                Alias::new("cluster"),
                Alias::new(&k),
                on(c(&k, "id"), s, "cluster_id"),
            );
            c(&k, "slug")
        }
        (Subject::Clusters, Dimension::Kind) => c(s, "kind"),
        (Subject::Clusters, Dimension::Label) => {
            let l = alias("l");
            q.join_as(
                JoinType::LeftJoin,
                Alias::new("cluster_label"),
                Alias::new(&l),
                on(c(&l, "cluster_id"), s, "id"),
            );
            c(&l, "level")
        }
        (Subject::Memberships, Dimension::Role) => c(s, "role"),
        (Subject::Collaborations, Dimension::Programme) => c(s, "programme"),
        (Subject::Collaborations | Subject::Events, Dimension::Status) => c(s, "status"),
        (Subject::Collaborations, Dimension::StartYear) => {
            Expr::cust(format!("SUBSTR(CAST({s}.starts_on AS TEXT), 1, 4)"))
        }
        (Subject::Events, Dimension::Month) => match backend {
            DbBackend::Postgres => Expr::cust(format!(
                "to_char({s}.starts_at AT TIME ZONE 'UTC', 'YYYY-MM')"
            )),
            _ => Expr::cust(format!("SUBSTR({s}.starts_at, 1, 7)")),
        },
        (Subject::Events, Dimension::Format) => c(s, "format"),
        (Subject::Indicators, Dimension::Key) => c(s, "key"),
        (Subject::Indicators, Dimension::Year) => Expr::cust(format!("CAST({s}.year AS TEXT)")),
        _ => return Err(unsupported(&format!("{dim:?}"), subject)),
    };
    let name = format!("g{i}");
    q.expr_as(expr, Alias::new(&name));
    q.add_group_by([Expr::col(Alias::new(&name))]);
    q.order_by(Alias::new(&name), Order::Asc);
    Ok(())
}

/// The filter as conditions on the subject's table.
fn conditions(subject: Subject, f: &StatisticsFilter) -> AppResult<Cond> {
    let s = table(subject);
    let mut cond = Cond::all();
    let orgs_where = |cond: Cond| {
        Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("organisation"))
            .cond_where(cond)
            .to_owned()
    };
    if !f.types.is_empty() || !f.size_classes.is_empty() {
        let mut org = Cond::all();
        if !f.types.is_empty() {
            org = org.add(
                col("organisation", "org_type")
                    .is_in(f.types.iter().map(sea_orm::ActiveEnum::to_value)),
            );
        }
        if !f.size_classes.is_empty() {
            org = org.add(
                col("organisation", "size_class")
                    .is_in(f.size_classes.iter().map(sea_orm::ActiveEnum::to_value)),
            );
        }
        cond = match subject {
            Subject::Organisations => cond.add(col(s, "id").in_subquery(orgs_where(org))),
            Subject::Memberships => {
                cond.add(col(s, "organisation_id").in_subquery(orgs_where(org)))
            }
            _ => return Err(unsupported("filter.types / filter.sizeClasses", subject)),
        };
    }
    if !f.themes.is_empty() {
        let (link, owner) =
            theme_link(subject).ok_or_else(|| unsupported("filter.themes", subject))?;
        cond = cond.add(has_theme(s, link, owner, &f.themes));
    }
    if !f.countries.is_empty() {
        let codes: Vec<String> = f.countries.iter().map(|c| c.0.clone()).collect();
        cond = match subject {
            Subject::Organisations | Subject::Clusters | Subject::Events => {
                cond.add(col(s, "country_code").is_in(codes))
            }
            Subject::Memberships => cond.add(col(s, "organisation_id").in_subquery(orgs_where(
                Cond::all().add(col("organisation", "country_code").is_in(codes)),
            ))),
            _ => return Err(unsupported("filter.countries", subject)),
        };
    }
    let clusters_where = |cond: Cond| {
        Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("cluster"))
            .cond_where(cond)
            .to_owned()
    };
    if let Some(prefix) = &f.region {
        let in_region =
            Cond::all().add(col("cluster", "region_id").in_subquery(region_ids(prefix)));
        cond = match subject {
            Subject::Organisations | Subject::Clusters => {
                cond.add(col(s, "region_id").in_subquery(region_ids(prefix)))
            }
            Subject::Memberships | Subject::Indicators => {
                cond.add(col(s, "cluster_id").in_subquery(clusters_where(in_region)))
            }
            _ => return Err(unsupported("filter.region", subject)),
        };
    }
    if !f.clusters.is_empty() {
        let ids = ids_by_slug("cluster", &f.clusters);
        cond = match subject {
            Subject::Clusters => cond.add(col(s, "id").in_subquery(ids)),
            Subject::Memberships | Subject::Indicators => {
                cond.add(col(s, "cluster_id").in_subquery(ids))
            }
            Subject::Organisations => cond.add(
                col(s, "id").in_subquery(
                    Query::select()
                        .column(Alias::new("organisation_id"))
                        .from(Alias::new("membership"))
                        .and_where(col("membership", "cluster_id").in_subquery(ids))
                        .to_owned(),
                ),
            ),
            _ => return Err(unsupported("filter.clusters", subject)),
        };
    }
    if f.from_year.is_some() || f.to_year.is_some() {
        let year: Expr = match subject {
            Subject::Indicators => col(s, "year"),
            Subject::Clusters => col(s, "year_established"),
            Subject::Collaborations => Expr::cust(format!(
                "CAST(SUBSTR(CAST({s}.starts_on AS TEXT), 1, 4) AS INTEGER)"
            )),
            Subject::Events => Expr::cust(format!(
                "CAST(SUBSTR(CAST({s}.starts_at AS TEXT), 1, 4) AS INTEGER)"
            )),
            _ => return Err(unsupported("filter.fromYear / filter.toYear", subject)),
        };
        if let Some(y) = f.from_year {
            cond = cond.add(year.clone().gte(y));
        }
        if let Some(y) = f.to_year {
            cond = cond.add(year.lte(y));
        }
    }
    Ok(cond)
}

/// Counts `subject` grouped by `dims` (at most three), in one statement.
pub async fn compute(
    db: &impl ConnectionTrait,
    subject: Subject,
    dims: &[Dimension],
    region_level: u8,
    filter: &StatisticsFilter,
) -> AppResult<Vec<Group>> {
    if dims.len() > 3 {
        return Err(AppError::bad_input(
            "groupBy",
            "group by at most three dimensions",
        ));
    }
    if region_level > 3 {
        return Err(AppError::bad_input(
            "regionLevel",
            "NUTS levels run from 0 to 3",
        ));
    }
    let backend = db.get_database_backend();
    let s = table(subject);
    let mut q = Query::select();
    q.from(Alias::new(s));
    for (i, d) in dims.iter().enumerate() {
        add_dimension(&mut q, subject, *d, i, region_level, backend)?;
    }
    // A row counts once per group. Only one-to-many joins (themes, an organisation's clusters,
    // a cluster's labels) can bring a row into a group twice; without them a plain count is
    // exact, and it spares the database the de-duplication (Q5 in docs/benchmarks.md).
    let count = if dims.iter().any(|d| fans_out(subject, *d)) {
        format!("COUNT(DISTINCT {s}.id)")
    } else {
        "COUNT(*)".to_owned()
    };
    q.expr_as(Expr::cust(count), Alias::new("n"));
    let measure = match subject {
        Subject::Collaborations => Some("budget_eur"),
        Subject::Indicators => Some("value"),
        _ => None,
    };
    if let Some(m) = measure {
        q.expr_as(
            Expr::cust(format!("CAST(SUM({s}.{m}) AS DOUBLE PRECISION)")),
            Alias::new("total"),
        );
        q.expr_as(
            Expr::cust(format!("CAST(AVG({s}.{m}) AS DOUBLE PRECISION)")),
            Alias::new("mean"),
        );
    }
    q.cond_where(conditions(subject, filter)?);
    let enum_like = |d: &Dimension| {
        matches!(
            d,
            Dimension::Type
                | Dimension::SizeClass
                | Dimension::Kind
                | Dimension::Label
                | Dimension::Role
                | Dimension::Status
                | Dimension::Format
        )
    };
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        let mut key = Vec::with_capacity(dims.len());
        for (i, d) in dims.iter().enumerate() {
            let v: Option<String> = row.try_get("", &format!("g{i}"))?;
            key.push(v.map(|v| {
                if enum_like(d) {
                    v.to_ascii_uppercase()
                } else {
                    v
                }
            }));
        }
        let (sum, average) = if measure.is_some() {
            (
                row.try_get::<Option<f64>>("", "total")?,
                row.try_get::<Option<f64>>("", "mean")?,
            )
        } else {
            (None, None)
        };
        out.push(Group {
            key,
            count: row.try_get("", "n")?,
            sum,
            average,
        });
    }
    Ok(out)
}
