//! Matchmaking: for an offer, the needs of organisations in other clusters that it answers (and
//! for a need, the offers), scored by shared themes, NACE codes, target countries, text
//! similarity and freshness, each part kept so that the score can be explained.

use crate::entities::offer_need;
use crate::error::AppResult;
use crate::services::filter::{col, union_all};
use crate::services::organisation::unpack_codes;
use crate::services::search::text::fold;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// Candidates scored per offer or need.
const CANDIDATES: u64 = 300;

/// What a match score is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum Factor {
    /// Themes both concern.
    Themes,
    /// NACE codes of the two organisations: the same code, or the same division.
    NaceCodes,
    /// Whether each side lies in a country the other targets.
    TargetCountries,
    /// Words both texts use.
    Text,
    /// How recently the counterpart changed.
    Freshness,
}

impl Factor {
    /// Its share of the score.
    pub fn weight(self) -> f64 {
        match self {
            Factor::Themes => 0.35,
            Factor::NaceCodes => 0.15,
            Factor::TargetCountries => 0.15,
            Factor::Text => 0.25,
            Factor::Freshness => 0.10,
        }
    }
}

/// One part of a score.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// What it measures.
    pub factor: Factor,
    /// How well the pair does on it, from 0 to 1.
    pub value: f64,
    /// Why, in words.
    pub explanation: String,
}

/// One side of a pair, as matchmaking sees it.
#[derive(Clone, Debug, Default)]
pub struct Side {
    /// The offer's or need's id.
    pub id: i64,
    /// Its organisation's id.
    pub organisation_id: i64,
    /// Theme slugs.
    pub themes: BTreeSet<String>,
    /// The organisation's NACE codes.
    pub nace: Vec<String>,
    /// The organisation's country.
    pub country: String,
    /// Countries it targets; empty for anywhere.
    pub targets: Vec<String>,
    /// The words of its title and description that say something (see [`Words`]).
    pub words: Words,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A scored counterpart.
#[derive(Clone, Debug)]
pub struct Scored {
    /// The counterpart.
    pub other: Side,
    /// The weighted sum of the parts, from 0 to 1.
    pub score: f64,
    /// The parts.
    pub parts: Vec<Part>,
}

/// Words a text shares with another say little when they are this common.
const COMMON: &[&str] = &[
    "with",
    "from",
    "that",
    "this",
    "they",
    "their",
    "have",
    "será",
    "pour",
    "dans",
    "voor",
    "into",
    "also",
    "more",
    "other",
    "about",
    "which",
    "will",
    "your",
    "looking",
    "offer",
    "offers",
    "need",
    "needs",
    "company",
    "companies",
    "partner",
    "partners",
];

/// The words of a folded text that say something: at least four letters, and not among
/// [`COMMON`].
fn meaningful(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4 && !COMMON.contains(w))
}

/// The words of a text that say something (see [`meaningful`]), as matchmaking compares them:
/// the folded text, and its words' hashes, sorted, without repeats. Ranking hundreds of
/// candidates counts the words two texts share by merging their hashes, without a set of strings
/// per candidate; the words themselves are read again from the folded text only to explain a
/// match.
#[derive(Clone, Debug, Default)]
pub struct Words {
    folded: String,
    hashes: Vec<u64>,
}

impl Words {
    /// The words of `text`.
    pub fn of(text: &str) -> Self {
        let folded = fold(text);
        let mut hashes: Vec<u64> = meaningful(&folded)
            .map(|w| {
                let mut h = std::hash::DefaultHasher::new();
                w.hash(&mut h);
                h.finish()
            })
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        Self { folded, hashes }
    }

    /// How many distinct words.
    fn count(&self) -> usize {
        self.hashes.len()
    }

    /// How many words both texts hold.
    fn common(&self, other: &Self) -> usize {
        let (mut i, mut j, mut n) = (0, 0, 0);
        while let (Some(a), Some(b)) = (self.hashes.get(i), other.hashes.get(j)) {
            match a.cmp(b) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    n += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        n
    }

    /// The words both texts hold, in alphabetical order.
    fn shared<'a>(&'a self, other: &Self) -> BTreeSet<&'a str> {
        let theirs: BTreeSet<&str> = meaningful(&other.folded).collect();
        meaningful(&self.folded)
            .filter(|w| theirs.contains(w))
            .collect()
    }
}

fn list(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The division of a NACE code: "C13" of "C13.96".
fn division(code: &str) -> &str {
    code.split('.').next().unwrap_or(code)
}

/// Scores `other` against `subject`, each part explained.
pub fn score(subject: &Side, other: &Side, now: DateTime<Utc>) -> Scored {
    let parts = parts(subject, other, now, true);
    Scored {
        other: other.clone(),
        score: weighted(&parts),
        parts,
    }
}

/// The weighted sum of a score's parts.
fn weighted(parts: &[Part]) -> f64 {
    parts.iter().map(|p| p.factor.weight() * p.value).sum()
}

/// The parts of `other`'s score against `subject`; explained only when `explain` (ranking
/// hundreds of candidates needs the values alone).
fn parts(subject: &Side, other: &Side, now: DateTime<Utc>, explain: bool) -> Vec<Part> {
    let say = |words: &dyn Fn() -> String| if explain { words() } else { String::new() };
    let mut parts = Vec::with_capacity(5);

    let shared: Vec<&String> = subject.themes.intersection(&other.themes).collect();
    let union = subject.themes.union(&other.themes).count();
    parts.push(Part {
        factor: Factor::Themes,
        value: if union == 0 {
            0.0
        } else {
            shared.len() as f64 / union as f64
        },
        explanation: say(&|| {
            if shared.is_empty() {
                "no theme in common".to_owned()
            } else {
                format!(
                    "{} of {union} themes in common: {}",
                    shared.len(),
                    list(&shared)
                )
            }
        }),
    });

    let same_code: Vec<&String> = subject
        .nace
        .iter()
        .filter(|c| other.nace.contains(c))
        .collect();
    let same_division: Vec<&str> = subject
        .nace
        .iter()
        .map(|c| division(c))
        .filter(|d| other.nace.iter().any(|o| division(o) == *d))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (value, explanation) = if !same_code.is_empty() {
        (
            1.0,
            say(&|| format!("same NACE code: {}", list(&same_code))),
        )
    } else if !same_division.is_empty() {
        (
            0.5,
            say(&|| format!("same NACE division: {}", list(&same_division))),
        )
    } else {
        (
            0.0,
            say(&|| "no NACE code or division in common".to_owned()),
        )
    };
    parts.push(Part {
        factor: Factor::NaceCodes,
        value,
        explanation,
    });

    let fits = |targets: &[String], country: &str| {
        if targets.is_empty() {
            0.5
        } else if targets.iter().any(|t| t == country) {
            1.0
        } else {
            0.0
        }
    };
    let reach = |who: &str, targets: &[String], country: &str| {
        if targets.is_empty() {
            format!("{who} targets no country in particular")
        } else if targets.iter().any(|t| t == country) {
            format!("{who} targets {country}")
        } else {
            format!("{who} targets {}, not {country}", list(targets))
        }
    };
    parts.push(Part {
        factor: Factor::TargetCountries,
        value: (fits(&subject.targets, &other.country) + fits(&other.targets, &subject.country))
            / 2.0,
        explanation: say(&|| {
            format!(
                "{}; {}",
                reach("this one", &subject.targets, &other.country),
                reach("the other", &other.targets, &subject.country)
            )
        }),
    });

    let (a, b) = (&subject.words, &other.words);
    let common = a.common(b);
    parts.push(Part {
        factor: Factor::Text,
        // Dice rather than Jaccard: two short texts sharing a few words are a fair match.
        value: if common == 0 {
            0.0
        } else {
            2.0 * common as f64 / (a.count() + b.count()) as f64
        },
        explanation: say(&|| {
            if common == 0 {
                "no words in common".to_owned()
            } else {
                format!("words in common: {}", list(a.shared(b).into_iter().take(8)))
            }
        }),
    });

    let days = Ord::max((now - other.updated_at).num_days(), 0);
    parts.push(Part {
        factor: Factor::Freshness,
        value: 0.5f64.powf(days as f64 / 90.0),
        explanation: say(&|| format!("changed {days} days ago (the value halves every 90 days)")),
    });
    parts
}

/// A row of [`side_columns`]; `clusters` only where the statement reads it (the subject's).
#[derive(FromQueryResult)]
struct SideRow {
    id: i64,
    organisation_id: i64,
    title: String,
    description: Option<String>,
    target_countries: Option<String>,
    updated_at: DateTime<Utc>,
    nace_codes: Option<String>,
    country_code: String,
    themes: Option<String>,
    clusters: Option<String>,
}

impl SideRow {
    fn side(self) -> Side {
        Side {
            id: self.id,
            organisation_id: self.organisation_id,
            themes: split(self.themes.as_deref()).map(str::to_owned).collect(),
            nace: unpack_codes(self.nace_codes.as_deref()),
            country: self.country_code,
            targets: unpack_codes(self.target_countries.as_deref()),
            words: Words::of(&format!(
                "{} {}",
                self.title,
                self.description.unwrap_or_default()
            )),
            updated_at: self.updated_at,
        }
    }
}

/// The items of a list that [`joined`] made.
fn split(list: Option<&str>) -> impl Iterator<Item = &str> {
    list.unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
}

/// The values of `column` over the rows of `from_where` (a `FROM … WHERE …` clause), joined by
/// commas, as a scalar subquery: slugs and ids hold no commas.
fn joined(backend: DbBackend, column: &str, from_where: &str) -> Expr {
    let aggregate = match backend {
        DbBackend::Postgres => format!("string_agg(CAST({column} AS TEXT), ',')"),
        _ => format!("group_concat(CAST({column} AS TEXT), ',')"),
    };
    Expr::cust(format!("(SELECT {aggregate} {from_where})"))
}

/// What matchmaking reads of offers and needs, in one row each: their own columns, their
/// organisation's codes and country, and their themes' slugs.
fn side_columns(backend: DbBackend) -> SelectStatement {
    let on = |c: &'static str| (Alias::new("offer_need"), Alias::new(c));
    let org = |c: &'static str| (Alias::new("organisation"), Alias::new(c));
    Query::select()
        .columns(
            [
                "id",
                "organisation_id",
                "title",
                "description",
                "target_countries",
                "updated_at",
            ]
            .map(on),
        )
        .columns(["nace_codes", "country_code"].map(org))
        .expr_as(
            joined(
                backend,
                "theme.slug",
                "FROM offer_need_theme JOIN theme ON theme.id = offer_need_theme.theme_id \
                 WHERE offer_need_theme.offer_need_id = offer_need.id",
            ),
            Alias::new("themes"),
        )
        .from(Alias::new("offer_need"))
        .inner_join(
            Alias::new("organisation"),
            Expr::col(org("id")).equals(on("organisation_id")),
        )
        .to_owned()
}

/// Reads offers and needs with their themes and what matchmaking needs of their organisations.
async fn sides(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<Vec<Side>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let rows = SideRow::find_by_statement(backend.build(
        side_columns(backend).and_where(col("offer_need", "id").is_in(ids.iter().copied())),
    ))
    .all(db)
    .await?;
    Ok(rows.into_iter().map(SideRow::side).collect())
}

/// The best counterparts of one offer or need: open offers or needs of the other side, of
/// organisations that share no cluster with its own, best first.
///
/// Two statements whatever the number of candidates: the subject with its organisation's
/// clusters, and the candidates on its themes with what scoring needs of them. Only when its
/// themes have too few candidates, two more read the newest others.
pub async fn matches(
    db: &impl ConnectionTrait,
    subject: &offer_need::Model,
    limit: usize,
) -> AppResult<Vec<Scored>> {
    let backend = db.get_database_backend();
    let mine = side_columns(backend)
        .expr_as(
            joined(
                backend,
                "membership.cluster_id",
                "FROM membership WHERE membership.organisation_id = offer_need.organisation_id",
            ),
            Alias::new("clusters"),
        )
        .and_where(col("offer_need", "id").eq(subject.id))
        .to_owned();
    let Some(mine) = SideRow::find_by_statement(backend.build(&mine))
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    // Counterparts must share no cluster with the subject's organisation: none of their
    // memberships is in one of its clusters (a few index probes per candidate).
    let my_clusters = split(mine.clusters.as_deref())
        .map(str::parse::<i64>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| crate::error::AppError::Internal(format!("cluster ids: {e}").into()))?;
    let me = mine.side();
    let other_side: Vec<_> = <crate::domain::OfferNeedKind as sea_orm::Iterable>::iter()
        .filter(|k| k.is_offer() != subject.kind.is_offer())
        .collect();
    // Open counterparts, as a condition on `table`: `offer_need` itself, or `offer_need_theme`,
    // whose rows carry their offer's or need's side, organisation and validity (migration 16).
    let open = |table: &'static str| {
        let side = if table == "offer_need" {
            col(table, "kind").is_in(other_side.iter().map(sea_orm::ActiveEnum::to_value))
        } else {
            col(table, "offer").eq(!subject.kind.is_offer())
        };
        let mut open = Cond::all()
            .add(side)
            .add(col(table, "organisation_id").ne(subject.organisation_id))
            .add(
                Cond::any()
                    .add(col(table, "valid_until").is_null())
                    .add(col(table, "valid_until").gte(Utc::now().date_naive())),
            );
        if !my_clusters.is_empty() {
            // Asked through the index on `(organisation_id, cluster_id)`: one descent per
            // candidate. SQLite would rather take the unique index on `(cluster_id,
            // organisation_id)`, one descent per cluster of the subject, each elsewhere in the
            // index; a unary `+` keeps it from using an index for the clusters' column.
            let cluster = match backend {
                DbBackend::Sqlite => Expr::cust(r#"+"membership"."cluster_id""#),
                _ => col("membership", "cluster_id"),
            };
            open = open.add(
                Expr::exists(
                    Query::select()
                        .expr(Expr::val(1))
                        .from(Alias::new("membership"))
                        .and_where(
                            col("membership", "organisation_id")
                                .equals((Alias::new(table), Alias::new("organisation_id"))),
                        )
                        .and_where(cluster.is_in(my_clusters.iter().copied()))
                        .to_owned(),
                )
                .not(),
            );
        }
        open
    };
    // The newest open counterparts on each of the subject's themes, ranked by themes shared
    // (then newest first); reading a bounded number per theme keeps the work of one match
    // independent of how many offers and needs the directory holds.
    // Each theme's id is read inside its branch, as a scalar subquery by slug (the subject's
    // themes came as slugs), which saves a statement.
    let per_theme = |slug: &str| {
        let theme_id = Query::select()
            .column((Alias::new("theme"), Alias::new("id")))
            .from(Alias::new("theme"))
            .and_where(col("theme", "slug").eq(slug))
            .to_owned();
        // From the index on `(theme_id, offer, offer_need_id, organisation_id, valid_until)`
        // alone: no visit to `offer_need` for a candidate, nor for the subject's own side.
        Query::select()
            .expr_as(col("offer_need_theme", "offer_need_id"), Alias::new("id"))
            .from(Alias::new("offer_need_theme"))
            .and_where(
                col("offer_need_theme", "theme_id")
                    .eq(Expr::SubQuery(None, Box::new(theme_id.into()))),
            )
            .cond_where(open("offer_need_theme"))
            .order_by(
                (Alias::new("offer_need_theme"), Alias::new("offer_need_id")),
                sea_orm::Order::Desc,
            )
            .limit(CANDIDATES)
            .to_owned()
    };
    let mut others = Vec::new();
    if let Some(all) = union_all(me.themes.iter().map(|t| per_theme(t))) {
        // Counted and cut in the database, and read with what scoring needs, in one statement.
        let shared = Alias::new("shared");
        let best = Query::select()
            .column(Alias::new("id"))
            .expr_as(Expr::cust("COUNT(*)"), shared.clone())
            .from_subquery(all, Alias::new("t"))
            .group_by_col(Alias::new("id"))
            .order_by(shared.clone(), sea_orm::Order::Desc)
            .order_by(Alias::new("id"), sea_orm::Order::Desc)
            .limit(CANDIDATES)
            .to_owned();
        let candidates = side_columns(backend)
            .join_subquery(
                sea_orm::sea_query::JoinType::InnerJoin,
                best,
                Alias::new("best"),
                col("best", "id").equals((Alias::new("offer_need"), Alias::new("id"))),
            )
            .to_owned();
        others = SideRow::find_by_statement(backend.build(&candidates))
            .all(db)
            .await?
            .into_iter()
            .map(SideRow::side)
            .collect();
    }
    if (others.len() as u64) < CANDIDATES {
        // Too few on its themes: the newest others fill up.
        let seen: HashSet<i64> = others.iter().map(|o| o.id).collect();
        let recent = Query::select()
            .column((Alias::new("offer_need"), Alias::new("id")))
            .from(Alias::new("offer_need"))
            .cond_where(open("offer_need"))
            .order_by(
                (Alias::new("offer_need"), Alias::new("id")),
                sea_orm::Order::Desc,
            )
            .limit(CANDIDATES)
            .to_owned();
        let mut more = Vec::new();
        for row in db.query_all(&recent).await? {
            let id: i64 = row.try_get("", "id")?;
            if !seen.contains(&id) && others.len() + more.len() < CANDIDATES as usize {
                more.push(id);
            }
        }
        others.extend(sides(db, &more).await?);
    }
    // Rank every candidate by value, then explain the best.
    let now = Utc::now();
    let mut ranked: Vec<(f64, &Side)> = others
        .iter()
        .map(|other| (weighted(&parts(&me, other, now, false)), other))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    ranked.truncate(limit);
    Ok(ranked
        .into_iter()
        .map(|(_, other)| score(&me, other, now))
        .collect())
}

/// The best counterpart organisations of an organisation: those whose offers or needs best
/// answer its own, each with its best pair.
pub async fn counterparts(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    limit: usize,
) -> AppResult<Vec<(offer_need::Model, Scored)>> {
    let mine = offer_need::Entity::find()
        .filter(offer_need::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(offer_need::Column::UpdatedAt)
        .limit(20)
        .all(db)
        .await?;
    let mut best: HashMap<i64, (offer_need::Model, Scored)> = HashMap::new();
    for subject in mine {
        for m in matches(db, &subject, limit.max(10)).await? {
            let org = m.other.organisation_id;
            if best.get(&org).is_none_or(|(_, b)| m.score > b.score) {
                best.insert(org, (subject.clone(), m));
            }
        }
    }
    let mut out: Vec<_> = best.into_values().collect();
    out.sort_by(|a, b| {
        b.1.score
            .total_cmp(&a.1.score)
            .then(a.1.other.organisation_id.cmp(&b.1.other.organisation_id))
    });
    out.truncate(limit);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(themes: &[&str], nace: &[&str], country: &str, targets: &[&str], text: &str) -> Side {
        Side {
            id: 1,
            organisation_id: 1,
            themes: themes.iter().map(|t| (*t).to_owned()).collect(),
            nace: nace.iter().map(|t| (*t).to_owned()).collect(),
            country: country.into(),
            targets: targets.iter().map(|t| (*t).to_owned()).collect(),
            words: Words::of(text),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn a_score_is_the_weighted_sum_of_explained_parts() {
        let offer = side(
            &["textile", "tourism"],
            &["C13.96"],
            "FR",
            &["ES"],
            "Recycled ropes for mountain sports",
        );
        let need = side(
            &["textile"],
            &["C13.20"],
            "ES",
            &[],
            "We need recycled ropes",
        );
        let s = score(&offer, &need, Utc::now());
        let value = |f: Factor| s.parts.iter().find(|p| p.factor == f).map(|p| p.value);
        assert_eq!(value(Factor::Themes), Some(0.5));
        assert_eq!(value(Factor::NaceCodes), Some(0.5));
        assert_eq!(value(Factor::TargetCountries), Some(0.75));
        assert!(value(Factor::Text).unwrap_or(0.0) > 0.5);
        assert_eq!(value(Factor::Freshness), Some(1.0));
        let sum: f64 = s.parts.iter().map(|p| p.factor.weight() * p.value).sum();
        assert!((s.score - sum).abs() < 1e-9);
        assert!(s.parts[0].explanation.contains("textile"));
        assert!(s.parts[1].explanation.contains("C13"));
        // Ranking reads the same values without their explanations.
        let now = Utc::now();
        let unexplained = parts(&offer, &need, now, false);
        assert_eq!(
            unexplained.iter().map(|p| p.value).collect::<Vec<_>>(),
            parts(&offer, &need, now, true)
                .iter()
                .map(|p| p.value)
                .collect::<Vec<_>>()
        );
        assert!(unexplained.iter().all(|p| p.explanation.is_empty()));
    }

    #[test]
    fn texts_share_the_words_their_sets_of_words_share() {
        let a = Words::of("Recycled ROPES for mountain sports, recycled nets; Cataluña");
        let b = Words::of("We need recycled ropes and nets in Catalunya (cataluna) with partners");
        // Words of four letters or more, folded, without the common ones, counted once.
        assert_eq!(a.count(), 6);
        assert_eq!(b.count(), 5);
        assert_eq!(a.common(&b), 4);
        assert_eq!(b.common(&a), 4);
        assert_eq!(
            a.shared(&b).into_iter().collect::<Vec<_>>(),
            ["cataluna", "nets", "recycled", "ropes"]
        );
        assert_eq!(a.common(&Words::of("")), 0);
        assert_eq!(a.common(&a), a.count());
    }

    #[test]
    fn the_weights_add_up_to_one() {
        let all = [
            Factor::Themes,
            Factor::NaceCodes,
            Factor::TargetCountries,
            Factor::Text,
            Factor::Freshness,
        ];
        let total: f64 = all.iter().map(|f| f.weight()).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }
}
