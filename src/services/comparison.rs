//! Cross-cluster comparison: regional states of affairs side by side, and the clusters most like
//! one cluster, with the score broken into its parts.

use crate::domain::OfferNeedKind;
use crate::entities::{cluster, indicator};
use crate::error::{AppError, AppResult};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Weights of the similarity parts; they sum to 1.
pub const THEME_WEIGHT: f64 = 0.4;
/// Weight of the indicator profile.
pub const INDICATOR_WEIGHT: f64 = 0.3;
/// Weight of complementary offers and needs.
pub const COMPLEMENT_WEIGHT: f64 = 0.3;
/// Matching offer–need pairs that make complementarity complete.
pub const FULL_COMPLEMENT: f64 = 5.0;

/// The indicators of clusters by key and year.
pub struct Table {
    /// The clusters, in the order asked.
    pub clusters: Vec<cluster::Model>,
    /// Keys compared.
    pub keys: Vec<String>,
    /// Years compared.
    pub years: Vec<i32>,
    /// Indicator by (key, year, cluster id).
    pub cells: HashMap<(String, i32, i64), indicator::Model>,
}

/// The indicators of `slugs` for `keys` and `years` (all that any of them has when empty).
pub async fn table(
    db: &impl ConnectionTrait,
    slugs: &[String],
    keys: &[String],
    years: &[i32],
) -> AppResult<Table> {
    if !(1..=20).contains(&slugs.len()) {
        return Err(AppError::bad_input("clusters", "compare 1 to 20 clusters"));
    }
    let found = cluster::Entity::find()
        .filter(cluster::Column::Slug.is_in(slugs.iter().cloned()))
        .all(db)
        .await?;
    let mut clusters = Vec::new();
    for s in slugs {
        let c = found
            .iter()
            .find(|c| &c.slug == s)
            .cloned()
            .ok_or_else(|| {
                AppError::bad_input("clusters", format!("no cluster has the slug `{s}`"))
            })?;
        clusters.push(c);
    }
    let mut q = indicator::Entity::find()
        .filter(indicator::Column::ClusterId.is_in(clusters.iter().map(|c| c.id)))
        .order_by_asc(indicator::Column::Key)
        .order_by_asc(indicator::Column::Year);
    if !keys.is_empty() {
        q = q.filter(indicator::Column::Key.is_in(keys.iter().cloned()));
    }
    if !years.is_empty() {
        q = q.filter(indicator::Column::Year.is_in(years.iter().copied()));
    }
    let rows = q.all(db).await?;
    let keys: Vec<String> = if keys.is_empty() {
        rows.iter()
            .map(|r| r.key.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    } else {
        keys.to_vec()
    };
    let years: Vec<i32> = if years.is_empty() {
        rows.iter()
            .map(|r| r.year)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    } else {
        years.to_vec()
    };
    let cells = rows
        .into_iter()
        .map(|r| ((r.key.clone(), r.year, r.cluster_id), r))
        .collect();
    Ok(Table {
        clusters,
        keys,
        years,
        cells,
    })
}

/// How alike two clusters are, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Similarity {
    /// The other cluster.
    pub cluster: cluster::Model,
    /// The weighted total, 0 to 1.
    pub score: f64,
    /// Themes both work on, over the themes either works on (Jaccard), 0 to 1.
    pub themes: f64,
    /// How alike their indicator values are on the keys both report, times the share of keys
    /// both report, 0 to 1.
    pub indicators: f64,
    /// Offers of one's members that meet needs of the other's on a shared theme, up to
    /// [`FULL_COMPLEMENT`] pairs, 0 to 1.
    pub complementarity: f64,
    /// Slugs of the shared themes.
    pub shared_themes: Vec<String>,
    /// Indicator keys both report.
    pub shared_indicator_keys: Vec<String>,
    /// Offers of the other cluster's members that meet needs of this cluster's members.
    pub offers_for_us: u32,
    /// Offers of this cluster's members that meet needs of the other's.
    pub offers_from_us: u32,
}

/// Themes per cluster, as slugs.
async fn cluster_themes(db: &impl ConnectionTrait) -> AppResult<HashMap<i64, BTreeSet<String>>> {
    let q = Query::select()
        .expr_as(
            Expr::col((Alias::new("cluster_theme"), Alias::new("cluster_id"))),
            Alias::new("c"),
        )
        .expr_as(
            Expr::col((Alias::new("theme"), Alias::new("slug"))),
            Alias::new("slug"),
        )
        .from(Alias::new("cluster_theme"))
        .inner_join(
            Alias::new("theme"),
            Expr::col((Alias::new("theme"), Alias::new("id")))
                .equals((Alias::new("cluster_theme"), Alias::new("theme_id"))),
        )
        .to_owned();
    let mut out: HashMap<i64, BTreeSet<String>> = HashMap::new();
    for row in db.query_all(&q).await? {
        out.entry(row.try_get("", "c")?)
            .or_default()
            .insert(row.try_get("", "slug")?);
    }
    Ok(out)
}

/// Offers and needs of each cluster's members: (cluster, offer or need, theme slugs).
async fn member_offers(
    db: &impl ConnectionTrait,
) -> AppResult<HashMap<i64, Vec<(i64, bool, BTreeSet<String>)>>> {
    let col = |t: &str, c: &str| Expr::col((Alias::new(t), Alias::new(c)));
    let q = Query::select()
        .expr_as(col("membership", "cluster_id"), Alias::new("c"))
        .expr_as(col("offer_need", "id"), Alias::new("o"))
        .expr_as(col("offer_need", "kind"), Alias::new("kind"))
        .expr_as(col("theme", "slug"), Alias::new("slug"))
        .from(Alias::new("membership"))
        .inner_join(
            Alias::new("offer_need"),
            col("offer_need", "organisation_id")
                .equals((Alias::new("membership"), Alias::new("organisation_id"))),
        )
        .inner_join(
            Alias::new("offer_need_theme"),
            col("offer_need_theme", "offer_need_id")
                .equals((Alias::new("offer_need"), Alias::new("id"))),
        )
        .inner_join(
            Alias::new("theme"),
            col("theme", "id").equals((Alias::new("offer_need_theme"), Alias::new("theme_id"))),
        )
        .to_owned();
    let mut by: BTreeMap<(i64, i64), (bool, BTreeSet<String>)> = BTreeMap::new();
    for row in db.query_all(&q).await? {
        let kind: String = row.try_get("", "kind")?;
        let kind: OfferNeedKind = serde_json::from_value(serde_json::Value::String(kind))
            .map_err(|e| AppError::Internal(Box::new(e)))?;
        let e = by
            .entry((row.try_get("", "c")?, row.try_get("", "o")?))
            .or_insert((kind.is_offer(), BTreeSet::new()));
        e.1.insert(row.try_get("", "slug")?);
    }
    let mut out: HashMap<i64, Vec<(i64, bool, BTreeSet<String>)>> = HashMap::new();
    for ((c, o), (offer, themes)) in by {
        out.entry(c).or_default().push((o, offer, themes));
    }
    Ok(out)
}

/// Latest value per indicator key, per cluster.
async fn profiles(db: &impl ConnectionTrait) -> AppResult<HashMap<i64, BTreeMap<String, f64>>> {
    let rows = indicator::Entity::find()
        .filter(indicator::Column::Value.is_not_null())
        .order_by_asc(indicator::Column::Year)
        .all(db)
        .await?;
    let mut out: HashMap<i64, BTreeMap<String, f64>> = HashMap::new();
    for r in rows {
        if let Some(v) = r.value {
            out.entry(r.cluster_id).or_default().insert(r.key, v);
        }
    }
    Ok(out)
}

/// Offers on one side that meet needs on the other on a shared theme.
fn meets(offers: &[(i64, bool, BTreeSet<String>)], needs: &[(i64, bool, BTreeSet<String>)]) -> u32 {
    let mut n = 0;
    for (_, is_offer, themes) in offers.iter().filter(|o| o.1) {
        debug_assert!(*is_offer);
        n += needs
            .iter()
            .filter(|x| !x.1 && !x.2.is_disjoint(themes))
            .count() as u32;
    }
    n
}

/// The clusters most like `slug`, best first, at most `limit`.
pub async fn similar(
    db: &impl ConnectionTrait,
    slug: &str,
    limit: usize,
) -> AppResult<Vec<Similarity>> {
    let all = cluster::Entity::find().all(db).await?;
    let me = all
        .iter()
        .find(|c| c.slug == slug)
        .cloned()
        .ok_or_else(|| {
            AppError::bad_input("cluster", format!("no cluster has the slug `{slug}`"))
        })?;
    let themes = cluster_themes(db).await?;
    let offers = member_offers(db).await?;
    let profiles = profiles(db).await?;
    let empty_t = BTreeSet::new();
    let empty_o = Vec::new();
    let empty_p = BTreeMap::new();
    let my_themes = themes.get(&me.id).unwrap_or(&empty_t);
    let my_offers = offers.get(&me.id).unwrap_or(&empty_o);
    let my_profile = profiles.get(&me.id).unwrap_or(&empty_p);
    let mut out: Vec<Similarity> = all
        .into_iter()
        .filter(|c| c.id != me.id)
        .map(|c| {
            let their_themes = themes.get(&c.id).unwrap_or(&empty_t);
            let shared: Vec<String> = my_themes.intersection(their_themes).cloned().collect();
            let union = my_themes.union(their_themes).count();
            let theme_part = if union == 0 {
                0.0
            } else {
                shared.len() as f64 / union as f64
            };
            let their_profile = profiles.get(&c.id).unwrap_or(&empty_p);
            let shared_keys: Vec<String> = my_profile
                .keys()
                .filter(|k| their_profile.contains_key(*k))
                .cloned()
                .collect();
            let all_keys: BTreeSet<&String> =
                my_profile.keys().chain(their_profile.keys()).collect();
            let indicator_part = if shared_keys.is_empty() {
                0.0
            } else {
                let closeness: f64 = shared_keys
                    .iter()
                    .map(|k| {
                        let (a, b) = (my_profile[k], their_profile[k]);
                        let scale = a.abs().max(b.abs());
                        if scale == 0.0 {
                            1.0
                        } else {
                            1.0 - (a - b).abs() / scale
                        }
                    })
                    .sum::<f64>()
                    / shared_keys.len() as f64;
                closeness * shared_keys.len() as f64 / all_keys.len() as f64
            };
            let their_offers = offers.get(&c.id).unwrap_or(&empty_o);
            let for_us = meets(their_offers, my_offers);
            let from_us = meets(my_offers, their_offers);
            let complement = ((for_us + from_us) as f64 / FULL_COMPLEMENT).min(1.0);
            let score = THEME_WEIGHT * theme_part
                + INDICATOR_WEIGHT * indicator_part
                + COMPLEMENT_WEIGHT * complement;
            Similarity {
                cluster: c,
                score,
                themes: theme_part,
                indicators: indicator_part,
                complementarity: complement,
                shared_themes: shared,
                shared_indicator_keys: shared_keys,
                offers_for_us: for_us,
                offers_from_us: from_us,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.cluster.name.cmp(&b.cluster.name))
    });
    out.truncate(limit);
    Ok(out)
}
