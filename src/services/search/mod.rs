//! Full-text search over clusters, organisations, events, collaborations and offers and needs,
//! with each database's own engine: FTS5 on SQLite, full-text search with `unaccent` and
//! `pg_trgm` on PostgreSQL.
//!
//! A search runs in two passes. The first finds documents holding every word of the query, each
//! word also as a prefix (search-as-you-type), and ranks them: an exact name match first, then by
//! the engine's relevance. Only when it finds nothing does the second pass look for names that
//! are spelt alike (trigram similarity), so that a misspelling still finds its target.
//!
//! Filters by kind and by the country of clusters, organisations and events are words of each
//! document's `facets`, which the full-text index intersects with the query's words; the other
//! filters are conditions on the documents the index hands over.

pub mod index;
pub mod text;

use crate::db::Database;
use crate::domain::Language;
use crate::error::AppResult;
use crate::services::filter::{CountryCode, NutsPrefix, col, region_ids, union_all};
use index::Kind;
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend};
use text::{MARK_END, MARK_START, Snippet};

/// How alike a name must be to a misspelt query to be found by the second pass (0 to 1).
const SIMILAR: f64 = 0.3;
/// Most candidates the second pass considers (per stage).
const CANDIDATES: u64 = 400;

/// A validated search.
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    /// The query's words, folded.
    pub terms: Vec<String>,
    /// Only these kinds; all when empty.
    pub kinds: Vec<Kind>,
    /// Only rows on any of these themes (slugs).
    pub themes: Vec<String>,
    /// Only rows in any of these countries.
    pub countries: Vec<CountryCode>,
    /// Only rows in any of these regions (NUTS prefixes).
    pub regions: Vec<NutsPrefix>,
    /// Only rows of any of these clusters (slugs).
    pub clusters: Vec<String>,
    /// The language the query is written in, for stemming it.
    pub language: Option<Language>,
    /// Hits to skip.
    pub offset: u64,
    /// Hits to return.
    pub limit: u64,
}

/// One row found.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Its kind.
    pub kind: Kind,
    /// Its internal id.
    pub entity_id: i64,
    /// Relevance; higher is better.
    pub score: f64,
    /// Whether its name is the query.
    pub exact: bool,
    /// The language of the document that matched.
    pub lang: String,
    /// Where it matched.
    pub snippet: Snippet,
}

/// A page of hits.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// The hits of the page.
    pub hits: Vec<Hit>,
    /// Hits in all; only those ranked when `truncated`.
    pub total: u64,
    /// Whether more rows match than the search ranked (see [`WINDOW`]).
    pub truncated: bool,
    /// Whether the hits are names spelt like the query rather than matches of its words.
    pub similar: bool,
}

/// The ids of `kind`'s rows that some subquery describes, as a condition on documents; every
/// row of a kind without one.
///
/// On PostgreSQL with `faceted`, a kind without a subquery is already decided by the facets, and
/// its condition is compared in the `C` collation, which no index serves: PostgreSQL still counts
/// it when it estimates the matches (without it, it walked the primary key backwards, 64-85 ms
/// for a broad word), but no longer reads the index on `kind` for it (100,000 entries for
/// organisations, a quarter of such a search's 21 ms).
fn per_kind(
    kinds: &[Kind],
    unindexed: bool,
    ids: impl Fn(Kind) -> Option<SelectStatement>,
) -> Cond {
    kinds.iter().fold(Cond::any(), |c, k| {
        let (kind, ids) = match ids(*k) {
            Some(q) => (
                col("search_document", "kind").eq(k.table()),
                Some(col("search_document", "entity_id").in_subquery(q)),
            ),
            None if unindexed => (
                pg("search_document.kind COLLATE \"C\" = ?", [k.table()]),
                None,
            ),
            None => (col("search_document", "kind").eq(k.table()), None),
        };
        c.add(Cond::all().add(kind).add_option(ids))
    })
}

fn select(table: &'static str, column: &'static str) -> SelectStatement {
    Query::select()
        .expr(col(table, column))
        .from(Alias::new(table))
        .to_owned()
}

fn where_in(
    table: &'static str,
    column: &'static str,
    key: &'static str,
    sub: SelectStatement,
) -> SelectStatement {
    select(table, column)
        .and_where(col(table, key).in_subquery(sub))
        .to_owned()
}

/// The filters of a search, as a condition on `search_document`. With `faceted`, the statement
/// also asks for the search's [`facets`], which decide the kinds and the countries of kinds
/// with a country of their own; the condition leaves those out (see [`per_kind`] for
/// `postgres`).
fn scope(req: &SearchRequest, faceted: bool, postgres: bool) -> Cond {
    let unindexed = faceted && postgres;
    let kinds: Vec<Kind> = if req.kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        req.kinds.clone()
    };
    let mut cond = Cond::all();
    if !faceted {
        cond = cond.add(col("search_document", "kind").is_in(kinds.iter().map(|k| k.table())));
    }
    if !req.themes.is_empty() {
        let themes = select("theme", "id")
            .and_where(col("theme", "slug").is_in(req.themes.iter().cloned()))
            .to_owned();
        cond = cond.add(per_kind(&kinds, unindexed, |k| {
            let (link, fk) = match k {
                Kind::Cluster => ("cluster_theme", "cluster_id"),
                Kind::Organisation => ("organisation_theme", "organisation_id"),
                Kind::Event => ("event_theme", "event_id"),
                Kind::Collaboration => ("collaboration_theme", "collaboration_id"),
                Kind::OfferNeed => ("offer_need_theme", "offer_need_id"),
            };
            Some(where_in(link, fk, "theme_id", themes.clone()))
        }));
    }
    // Where a row lies: its own place (`own`, when the statement's facets do not say), or
    // (offers and needs) its organisation's, or (events and collaborations) the place of the
    // clusters and organisations that organise or take part.
    let placed = |own: [Option<SelectStatement>; 3],
                  clusters: SelectStatement,
                  orgs: SelectStatement| {
        let [own_clusters, own_orgs, events] = own;
        per_kind(&kinds, unindexed, |k| match k {
            Kind::Cluster => own_clusters.clone(),
            Kind::Organisation => own_orgs.clone(),
            Kind::Event => events.clone(),
            Kind::OfferNeed => Some(where_in(
                "offer_need",
                "id",
                "organisation_id",
                orgs.clone(),
            )),
            Kind::Collaboration => Some(
                select("participant", "collaboration_id")
                    .cond_where(
                        Cond::any()
                            .add(col("participant", "organisation_id").in_subquery(orgs.clone()))
                            .add(col("participant", "cluster_id").in_subquery(clusters.clone())),
                    )
                    .to_owned(),
            ),
        })
    };
    let organised_by = |clusters: &SelectStatement, orgs: &SelectStatement| {
        select("event_organiser", "event_id")
            .cond_where(
                Cond::any()
                    .add(col("event_organiser", "cluster_id").in_subquery(clusters.clone()))
                    .add(col("event_organiser", "organisation_id").in_subquery(orgs.clone())),
            )
            .to_owned()
    };
    if !req.countries.is_empty() {
        let codes = || req.countries.iter().map(|c| c.0.clone());
        let in_countries = |table: &'static str| {
            select(table, "id")
                .and_where(col(table, "country_code").is_in(codes()))
                .to_owned()
        };
        // Clusters, organisations and events are placed by their facets, when the statement
        // asks for them.
        let own = |table: &'static str| (!faceted).then(|| in_countries(table));
        cond = cond.add(placed(
            [own("cluster"), own("organisation"), own("event")],
            in_countries("cluster"),
            in_countries("organisation"),
        ));
    }
    if !req.regions.is_empty() {
        let regions = req.regions.iter().fold(Cond::any(), |c, p| {
            c.add(col("region", "id").in_subquery(region_ids(p)))
        });
        let regions = select("region", "id").cond_where(regions).to_owned();
        let clusters = where_in("cluster", "id", "region_id", regions.clone());
        let orgs = where_in("organisation", "id", "region_id", regions);
        let events = organised_by(&clusters, &orgs);
        cond = cond.add(placed(
            [Some(clusters.clone()), Some(orgs.clone()), Some(events)],
            clusters,
            orgs,
        ));
    }
    if !req.clusters.is_empty() {
        let clusters = select("cluster", "id")
            .and_where(col("cluster", "slug").is_in(req.clusters.iter().cloned()))
            .to_owned();
        let members = where_in(
            "membership",
            "organisation_id",
            "cluster_id",
            clusters.clone(),
        );
        cond = cond.add(per_kind(&kinds, unindexed, |k| {
            Some(match k {
                Kind::Cluster => clusters.clone(),
                Kind::Organisation => members.clone(),
                Kind::OfferNeed => where_in("offer_need", "id", "organisation_id", members.clone()),
                Kind::Event => where_in(
                    "event_organiser",
                    "event_id",
                    "cluster_id",
                    clusters.clone(),
                ),
                Kind::Collaboration => where_in(
                    "participant",
                    "collaboration_id",
                    "cluster_id",
                    clusters.clone(),
                ),
            })
        }));
    }
    cond
}

/// The facets a document in the search's scope carries (see [`index::country_facet`]), as
/// alternatives: for each kind asked for, its kind's word, or where the kind has a country of its
/// own and countries are asked for, any of its words for those countries. `None` when the search
/// is narrowed by neither kind nor country. The index intersects these with the words, so a
/// filtered search reads only documents that may be in scope; [`scope`] still decides, for what
/// facets do not hold (themes, regions, clusters, and the places of offers, needs and
/// collaborations).
fn facets(req: &SearchRequest) -> Option<Vec<String>> {
    let all_kinds = req.kinds.is_empty() || Kind::ALL.iter().all(|k| req.kinds.contains(k));
    if all_kinds && req.countries.is_empty() {
        return None;
    }
    let kinds = if req.kinds.is_empty() {
        &Kind::ALL[..]
    } else {
        &req.kinds[..]
    };
    Some(
        kinds
            .iter()
            .flat_map(|k| {
                if k.has_own_country() && !req.countries.is_empty() {
                    req.countries
                        .iter()
                        .map(|c| index::country_facet(*k, &c.0))
                        .collect()
                } else {
                    vec![k.facet()]
                }
            })
            .collect(),
    )
}

/// Searches; the caller has validated the request.
pub async fn search(db: &Database, req: &SearchRequest) -> AppResult<Found> {
    if req.terms.is_empty() {
        return Ok(Found::default());
    }
    let postgres = db.backend() == DbBackend::Postgres;
    let found = words(db, req, postgres).await?;
    if found.total > 0 {
        return Ok(found);
    }
    similar(db, req, postgres).await
}

/// Most documents each tier of the first pass ranks (see [`Tier`]). Ranking costs time in
/// proportion to the documents ranked, so a query matching more than this in a tier ranks the
/// most recently written of them, and its count says it is incomplete: more words or a filter
/// narrow it. (Full-text engines with no upper bound on the work of one query, such as
/// Elasticsearch, cap their hit counts the same way.)
pub const WINDOW: u64 = 250;

/// How a document matched, best first: hits are ordered by tier, then by relevance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    /// Its name is the query.
    Exact,
    /// Its name holds every word of the query.
    Name,
    /// Its texts hold every word; its name does not.
    Text,
}

impl Tier {
    const ALL: [Tier; 3] = [Tier::Exact, Tier::Name, Tier::Text];

    fn of(n: i32) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| *t as i32 == n)
    }
}

/// A document of the first pass, before its snippet.
#[derive(Clone, Debug, PartialEq)]
struct Ranked {
    doc: i64,
    kind: Kind,
    entity_id: i64,
    lang: String,
    tier: Tier,
    score: f64,
}

fn ranked(row: &sea_orm::QueryResult) -> AppResult<Ranked> {
    let unknown = |what: String| crate::error::AppError::Internal(what.into());
    let kind: String = row.try_get("", "kind")?;
    let tier: i32 = row.try_get("", "tier")?;
    Ok(Ranked {
        doc: row.try_get("", "id")?,
        kind: Kind::of_table(&kind).ok_or_else(|| unknown(format!("search kind {kind}")))?,
        entity_id: row.try_get("", "entity_id")?,
        lang: row.try_get("", "lang")?,
        tier: Tier::of(tier).ok_or_else(|| unknown(format!("search tier {tier}")))?,
        score: row.try_get("", "score")?,
    })
}

/// Keeps each row's best document (a row has one per language) and orders the rows: by tier,
/// then by relevance, then by kind and id so that equal hits keep their order between pages.
fn best_per_row(mut docs: Vec<Ranked>) -> Vec<Ranked> {
    let better = |a: &Ranked, b: &Ranked| a.tier.cmp(&b.tier).then(b.score.total_cmp(&a.score));
    docs.sort_by(|a, b| {
        (a.kind, a.entity_id)
            .cmp(&(b.kind, b.entity_id))
            .then(better(a, b))
    });
    docs.dedup_by(|b, a| (a.kind, a.entity_id) == (b.kind, b.entity_id));
    docs.sort_by(|a, b| better(a, b).then((a.kind, a.entity_id).cmp(&(b.kind, b.entity_id))));
    docs
}

/// Tiers of the first pass in one statement: each tier's documents in the search's scope, at
/// most [`WINDOW`] of each, with `id`, `kind`, `entity_id`, `lang`, `tier` and `score`.
fn tiers(req: &SearchRequest, postgres: bool, tiers: &[Tier]) -> Option<SelectStatement> {
    let facets = facets(req);
    let arm = |tier: Tier| {
        let mut q = if postgres {
            tier_postgres(req, tier, facets.as_deref())
        } else {
            tier_sqlite(req, tier, facets.as_deref())
        };
        if tier == Tier::Exact {
            // Exact names are few: look them up by name first, then keep those in scope (a
            // planner left to choose may walk the scope's rows instead).
            q.limit(WINDOW);
            q = Query::select()
                .column(sea_orm::sea_query::Asterisk)
                .from_subquery(q, Alias::new("search_document"))
                .to_owned();
        }
        q.cond_where(scope(req, facets.is_some(), postgres))
            .limit(WINDOW);
        if postgres {
            // Ranked after the window is cut: PostgreSQL would otherwise rank every match
            // before sorting them by id (a quarter of the time of a broad word).
            q = Query::select()
                .columns(
                    ["id", "kind", "entity_id", "lang", "tier"]
                        .map(|c| (Alias::new("d"), Alias::new(c))),
                )
                .expr_as(
                    Expr::cust("ts_rank_cd(d.ranked, d.q)::float8"),
                    Alias::new("score"),
                )
                .from_subquery(q, Alias::new("d"))
                .to_owned();
        }
        q
    };
    union_all(tiers.iter().map(|t| arm(*t)))
}

/// FTS5's query: every term, each also as a prefix.
fn fts5_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\"*"))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// One tier of the first pass on SQLite, before its scope and limit, asking the index for the
/// search's `facets` too. The name and text tiers read the full-text index newest document
/// first (the order it keeps), so a limit stops the reading; the exact tier looks names up in
/// their index.
fn tier_sqlite(req: &SearchRequest, tier: Tier, facets: Option<&[String]>) -> SelectStatement {
    let words = fts5_query(&req.terms);
    let mut q = Query::select();
    q.expr(Expr::cust(
        "search_document.id, search_document.kind, search_document.entity_id, search_document.lang",
    ))
    .expr_as(Expr::val(tier as i32), Alias::new("tier"))
    .expr_as(
        // BM25 over the query's words, the first phrases of the query (see `db::rank`). Names
        // weigh ten times the other texts; the facets are filters, not relevance.
        Expr::cust_with_values(
            "cd_rank(search_fts, ?, 10.0, 1.0, 0.0)",
            [req.terms.len() as i32],
        ),
        Alias::new("score"),
    );
    // Words are looked for in the names and texts only, never in the facets.
    let mut query = match tier {
        Tier::Exact => format!("({{name body}} : ({words}))"),
        Tier::Name => format!("({{name}} : ({words}))"),
        Tier::Text => format!("({{name body}} : ({words}) NOT {{name}} : ({words}))"),
    };
    if let Some(f) = facets {
        query = format!("{query} AND ({{facets}} : ({}))", f.join(" OR "));
    }
    // CROSS JOIN fixes the order of the loops: SQLite would otherwise be free to scan the
    // documents and run the full-text query once for each. (sea-query writes no ON for a cross
    // join, so the join condition goes into WHERE.)
    if tier == Tier::Exact {
        return q
            .from(Alias::new("search_document"))
            .cross_join(Alias::new("search_fts"))
            .and_where(col("search_document", "name_norm").eq(req.terms.join(" ")))
            .and_where(Expr::cust("search_fts.rowid = search_document.id"))
            .and_where(Expr::cust_with_values("search_fts MATCH ?", [query]))
            .to_owned();
    }
    q.from(Alias::new("search_fts"))
        .cross_join(Alias::new("search_document"))
        .and_where(Expr::cust("search_document.id = search_fts.rowid"))
        .and_where(Expr::cust_with_values("search_fts MATCH ?", [query]))
        .order_by_expr(Expr::cust("search_fts.rowid"), sea_orm::Order::Desc)
        .to_owned()
}

/// Words in a snippet of a longer text.
const SNIPPET_WORDS: usize = 16;

/// Snippets on SQLite, made here from the documents' texts: FTS5's `snippet()` would run the
/// full-text query again for each document, which for a prefix means merging every word that
/// starts with it, each time. The name when it holds every word, else the part of the other
/// texts that holds the most of them.
fn snippet_sqlite(terms: &[String], name: &str, body: Option<&str>) -> Snippet {
    let name_snippet = Snippet::of_terms(name, terms, usize::MAX);
    let in_name = name_snippet.as_ref().map_or(0, |s| s.highlights.len());
    if in_name < terms.len()
        && let Some(b) = body.and_then(|b| Snippet::of_terms(b, terms, SNIPPET_WORDS))
    {
        return b;
    }
    name_snippet.unwrap_or_else(|| Snippet::with_words(name, &[]))
}

/// A custom PostgreSQL expression written with `?` placeholders: sea-query numbers
/// PostgreSQL's placeholders (`$1`, `$2`, ...) itself only when they are written numbered.
fn pg<V: Into<sea_orm::Value>>(sql: &str, values: impl IntoIterator<Item = V>) -> Expr {
    let mut n = 0;
    let numbered: String = sql
        .split('?')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_owned()
            } else {
                n += 1;
                format!("${n}{part}")
            }
        })
        .collect();
    Expr::cust_with_values(numbered, values)
}

/// PostgreSQL's text-search configuration for a language (see the search migration).
fn config(language: Option<Language>) -> &'static str {
    match language.unwrap_or(Language::En) {
        Language::En => "cd_en",
        Language::Nl => "cd_nl",
        Language::Fr => "cd_fr",
        Language::Es => "cd_es",
        Language::Hu => "cd_hu",
        Language::Fi => "cd_fi",
        Language::De => "cd_de",
        Language::It => "cd_it",
        Language::Pt => "cd_pt",
        Language::Sv => "cd_sv",
        Language::Da => "cd_da",
        Language::Ca | Language::Pl => "cd_simple",
    }
}

/// PostgreSQL's query: every term, each as an accent-free prefix or as a stemmed word of the
/// query's language. It is asked of `document` (names and other texts) and of `name_document`
/// (names alone, so that the name tiers need no check of weights, which GIN does not keep).
fn tsquery(req: &SearchRequest) -> Expr {
    let cfg = config(req.language);
    let sql = req
        .terms
        .iter()
        .map(|_| format!("(to_tsquery('cd_simple', ? || ':*') || plainto_tsquery('{cfg}', ?))"))
        .collect::<Vec<_>>()
        .join(" && ");
    let values: Vec<String> = req
        .terms
        .iter()
        .flat_map(|t| [t.clone(), t.clone()])
        .collect();
    pg(&format!("({sql})"), values)
}

/// One tier of the first pass on PostgreSQL, before its scope and limit, with the search's
/// `facets`: newest document first, so that a limit stops the reading where the planner walks
/// the primary key.
fn tier_postgres(req: &SearchRequest, tier: Tier, facets: Option<&[String]>) -> SelectStatement {
    let matches = match tier {
        Tier::Exact | Tier::Name => "search_document.name_document @@ q.q",
        Tier::Text => {
            "search_document.document @@ q.q AND NOT search_document.name_document @@ q.q"
        }
    };
    let mut q = Query::select();
    q.columns(
        ["id", "kind", "entity_id", "lang"].map(|c| (Alias::new("search_document"), Alias::new(c))),
    )
    .expr_as(Expr::val(tier as i32), Alias::new("tier"))
    // What the tier is ranked by: a name tier by the names alone, as on SQLite, without reading
    // each hit's whole `document` (names and other texts in two configurations).
    .expr_as(
        Expr::col((
            Alias::new("search_document"),
            Alias::new(match tier {
                Tier::Text => "document",
                Tier::Exact | Tier::Name => "name_document",
            }),
        )),
        Alias::new("ranked"),
    )
    .column((Alias::new("q"), Alias::new("q")))
    .from(Alias::new("search_document"))
    .join_subquery(
        sea_orm::sea_query::JoinType::InnerJoin,
        Query::select()
            .expr_as(tsquery(req), Alias::new("q"))
            .to_owned(),
        Alias::new("q"),
        Expr::cust(matches),
    )
    .order_by(
        (Alias::new("search_document"), Alias::new("id")),
        sea_orm::Order::Desc,
    );
    if tier == Tier::Exact {
        q.and_where(col("search_document", "name_norm").eq(req.terms.join(" ")));
    }
    if let Some(f) = facets {
        // Written as the index on the facets is, so that PostgreSQL combines the two indexes.
        q.and_where(pg(
            "to_tsvector('simple'::regconfig, search_document.facets) @@ to_tsquery('simple'::regconfig, ?)",
            [f.join(" | ")],
        ));
    }
    q
}

/// PostgreSQL's snippets (headlines) of the documents `ids`.
fn snippets_postgres(req: &SearchRequest, ids: Vec<i64>) -> SelectStatement {
    let options = format!(
        "StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8, ShortWord=2, HighlightAll=false"
    );
    Query::select()
        .column((Alias::new("search_document"), Alias::new("id")))
        .expr_as(
            pg(
                "ts_headline('cd_simple', CASE WHEN to_tsvector('cd_simple', coalesce(search_document.body, '')) @@ q.q AND NOT to_tsvector('cd_simple', search_document.name) @@ q.q THEN search_document.body ELSE search_document.name END, q.q, ?)",
                [options],
            ),
            Alias::new("snippet"),
        )
        .from(Alias::new("search_document"))
        .join_subquery(
            sea_orm::sea_query::JoinType::InnerJoin,
            Query::select()
                .expr_as(tsquery(req), Alias::new("q"))
                .to_owned(),
            Alias::new("q"),
            Expr::cust("true"),
        )
        .and_where(col("search_document", "id").is_in(ids))
        .to_owned()
}

/// The first pass: documents holding every term, ranked, with snippets for the page.
async fn words(db: &Database, req: &SearchRequest, postgres: bool) -> AppResult<Found> {
    let mut docs = Vec::new();
    let mut per_tier = [0u64; 3];
    // Names first. Other texts rank below every name, so when the names fill their window the
    // texts could not reach a page, and reading them (all of them, when the names hold the
    // words too) is skipped.
    for stage in [&[Tier::Exact, Tier::Name][..], &[Tier::Text]] {
        if stage[0] == Tier::Text && per_tier[Tier::Name as usize] >= WINDOW {
            break;
        }
        let Some(q) = tiers(req, postgres, stage) else {
            continue;
        };
        for row in db.reads.query_all(&q).await? {
            let doc = ranked(&row)?;
            per_tier[doc.tier as usize] += 1;
            docs.push(doc);
        }
    }
    let rows = best_per_row(docs);
    let total = rows.len() as u64;
    let page: Vec<Ranked> = rows
        .into_iter()
        .skip(req.offset as usize)
        .take(req.limit as usize)
        .collect();
    let mut snippets = std::collections::HashMap::new();
    if !page.is_empty() {
        let ids: Vec<i64> = page.iter().map(|r| r.doc).collect();
        if postgres {
            for row in db.reads.query_all(&snippets_postgres(req, ids)).await? {
                let id: i64 = row.try_get("", "id")?;
                let s: Option<String> = row.try_get("", "snippet")?;
                snippets.insert(id, Snippet::from_marked(&s.unwrap_or_default()));
            }
        } else {
            let texts = Query::select()
                .columns(["id", "name", "body"].map(Alias::new))
                .from(Alias::new("search_document"))
                .and_where(Expr::col(Alias::new("id")).is_in(ids))
                .to_owned();
            for row in db.reads.query_all(&texts).await? {
                let id: i64 = row.try_get("", "id")?;
                let name: String = row.try_get("", "name")?;
                let body: Option<String> = row.try_get("", "body")?;
                snippets.insert(id, snippet_sqlite(&req.terms, &name, body.as_deref()));
            }
        }
    }
    Ok(Found {
        hits: page
            .into_iter()
            .map(|r| Hit {
                snippet: snippets.remove(&r.doc).unwrap_or_default(),
                kind: r.kind,
                entity_id: r.entity_id,
                score: r.score,
                exact: r.tier == Tier::Exact,
                lang: r.lang,
            })
            .collect(),
        total,
        truncated: per_tier.iter().any(|n| *n >= WINDOW),
        similar: false,
    })
}

/// A candidate of the second pass.
struct Candidate {
    kind: Kind,
    entity_id: i64,
    lang: String,
    name: String,
    score: f64,
    words: Vec<usize>,
}

/// Keeps each row's best candidate among the rows of a candidates statement (at most
/// [`CANDIDATES`]), orders them and cuts the page.
fn similar_page(rows: Vec<sea_orm::QueryResult>, req: &SearchRequest) -> AppResult<Found> {
    let truncated = rows.len() as u64 >= CANDIDATES;
    let mut all = Vec::new();
    for row in rows {
        all.extend(candidate(&row, req)?);
    }
    all.sort_by(|a, b| {
        (a.kind, a.entity_id)
            .cmp(&(b.kind, b.entity_id))
            .then(b.score.total_cmp(&a.score))
    });
    all.dedup_by(|b, a| (a.kind, a.entity_id) == (b.kind, b.entity_id));
    all.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then((a.kind, a.entity_id).cmp(&(b.kind, b.entity_id)))
    });
    let total = all.len() as u64;
    let hits = all
        .into_iter()
        .skip(req.offset as usize)
        .take(req.limit as usize)
        .map(|c| Hit {
            snippet: Snippet::with_words(&c.name, &c.words),
            kind: c.kind,
            entity_id: c.entity_id,
            score: c.score,
            exact: false,
            lang: c.lang,
        })
        .collect();
    Ok(Found {
        hits,
        total,
        truncated,
        similar: true,
    })
}

fn candidate(row: &sea_orm::QueryResult, req: &SearchRequest) -> AppResult<Option<Candidate>> {
    let kind: String = row.try_get("", "kind")?;
    let Some(kind) = Kind::of_table(&kind) else {
        return Ok(None);
    };
    let norm: String = row.try_get("", "name_norm")?;
    let (score, words) = text::name_similarity(&req.terms, &norm);
    if score < SIMILAR {
        return Ok(None);
    }
    Ok(Some(Candidate {
        kind,
        entity_id: row.try_get("", "entity_id")?,
        lang: row.try_get("", "lang")?,
        name: row.try_get("", "name")?,
        score,
        words,
    }))
}

fn candidates() -> SelectStatement {
    Query::select()
        .columns(
            ["kind", "entity_id", "lang", "name", "name_norm"]
                .map(|c| (Alias::new("search_document"), Alias::new(c))),
        )
        .to_owned()
}

/// A term's trigrams as the alternatives a name spelt like it holds: two neighbouring trigrams
/// (one wrong letter spoils at most three in a row), or for a term too short to keep a pair
/// whole, any one of them.
fn trigram_alternatives(term: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = term.chars().collect();
    let trigrams: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    if trigrams.len() >= 5 {
        trigrams.windows(2).map(<[String]>::to_vec).collect()
    } else {
        trigrams.into_iter().map(|t| vec![t]).collect()
    }
}

/// AND and OR in the query language of the database's trigram index: FTS5's on SQLite,
/// `tsquery`'s on PostgreSQL.
fn trigram_operators(postgres: bool) -> (&'static str, &'static str) {
    if postgres {
        (" & ", " | ")
    } else {
        (" AND ", " OR ")
    }
}

/// The names spelt like a term, as a query of the database's trigram index: FTS5's on SQLite,
/// a `tsquery` over `show_trgm`'s trigrams on PostgreSQL.
fn trigram_query(term: &str, postgres: bool) -> Option<String> {
    let alternatives = trigram_alternatives(term);
    if alternatives.is_empty() {
        return None;
    }
    let quote: fn(&str) -> String = if postgres {
        |t| format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        |t| format!("\"{}\"", t.replace('"', "\"\""))
    };
    let (and, or) = trigram_operators(postgres);
    let any: Vec<String> = alternatives
        .iter()
        .map(|pair| {
            let all: Vec<String> = pair.iter().map(|t| quote(t)).collect();
            if all.len() == 1 {
                all.concat()
            } else {
                format!("({})", all.join(and))
            }
        })
        .collect();
    Some(format!("({})", any.join(or)))
}

/// The second pass: names spelt like every term first, then like any; each stage takes the
/// newest names the trigram index hands over, without ranking every name that shares a trigram
/// (FTS5's `bm25` would count each trigram's whole list first, `word_similarity` costs about
/// 3.5 µs a name). Similarity in Rust orders them.
async fn similar(db: &Database, req: &SearchRequest, postgres: bool) -> AppResult<Found> {
    let terms: Vec<String> = req
        .terms
        .iter()
        .filter_map(|t| trigram_query(t, postgres))
        .collect();
    if terms.is_empty() {
        return Ok(Found::default());
    }
    let (and, or) = trigram_operators(postgres);
    let mut stages = vec![terms.join(and)];
    if terms.len() > 1 {
        stages.push(terms.join(or));
    }
    let mut found = Found::default();
    for query in stages {
        let mut q = candidates();
        // Newest first, in the order the trigram index holds them.
        let newest = if postgres {
            q.from(Alias::new("search_document")).and_where(pg(
                "array_to_tsvector(show_trgm(search_document.name_norm)) @@ ?::tsquery",
                [query],
            ));
            "search_document.id"
        } else {
            q.from(Alias::new("search_trigram"))
                // CROSS JOIN keeps the full-text index the outer loop: SQLite may otherwise
                // scan the documents and run the full-text query once per document. (sea-query
                // writes no ON for a cross join, so the join condition goes into WHERE.)
                .cross_join(Alias::new("search_document"))
                .and_where(Expr::cust("search_document.id = search_trigram.rowid"))
                .and_where(Expr::cust_with_values("search_trigram MATCH ?", [query]));
            "search_trigram.rowid"
        };
        q.cond_where(scope(req, false, postgres))
            .order_by_expr(Expr::cust(newest), sea_orm::Order::Desc)
            .limit(CANDIDATES);
        found = similar_page(db.reads.query_all(&q).await?, req)?;
        if found.total > 0 {
            break;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered() {
        use sea_orm::sea_query::PostgresQueryBuilder;
        let q = Query::select().expr(pg("f(?, ?)", ["a", "b"])).to_owned();
        assert_eq!(q.build(PostgresQueryBuilder).0, "SELECT f($1, $2)");
    }

    #[test]
    fn each_row_keeps_its_best_document_and_rows_go_by_tier_then_score() {
        let doc = |doc, kind, entity_id, tier, score| Ranked {
            doc,
            kind,
            entity_id,
            lang: "en".into(),
            tier,
            score,
        };
        let rows = best_per_row(vec![
            doc(1, Kind::Organisation, 7, Tier::Text, 9.0),
            doc(2, Kind::Organisation, 7, Tier::Name, 1.0),
            doc(3, Kind::Event, 7, Tier::Text, 5.0),
            doc(4, Kind::Cluster, 2, Tier::Exact, 0.5),
            doc(5, Kind::Event, 8, Tier::Text, 5.0),
            doc(6, Kind::Event, 7, Tier::Text, 6.0),
        ]);
        let order: Vec<i64> = rows.iter().map(|r| r.doc).collect();
        // The exact name first whatever its score; the organisation by its name, not by its
        // better-scored description; the event by its best document; ties by kind and id.
        assert_eq!(order, vec![4, 2, 6, 5]);
    }

    #[test]
    fn fts5_queries_ask_for_every_term_as_a_prefix() {
        assert_eq!(
            fts5_query(&["smart".into(), "textil".into()]),
            "\"smart\"* AND \"textil\"*"
        );
    }

    #[test]
    fn facets_narrow_by_kind_and_by_country_only_where_a_kind_has_its_own() {
        let mut req = SearchRequest::default();
        assert_eq!(facets(&req), None);
        req.kinds = vec![Kind::Organisation, Kind::OfferNeed];
        req.countries = vec![CountryCode("ES".into()), CountryCode("FR".into())];
        assert_eq!(
            facets(&req).expect("filtered").join(" OR "),
            "organisationes OR organisationfr OR kindofferneed"
        );
        req.kinds = Kind::ALL.to_vec();
        req.countries.clear();
        assert_eq!(facets(&req), None);
    }

    #[test]
    fn misspelt_terms_ask_for_neighbouring_trigrams_or_any_of_few() {
        assert_eq!(
            trigram_query("textils", false).as_deref(),
            Some(
                "((\"tex\" AND \"ext\") OR (\"ext\" AND \"xti\") OR (\"xti\" AND \"til\") OR (\"til\" AND \"ils\"))"
            )
        );
        assert_eq!(
            trigram_query("textils", true).as_deref(),
            Some("(('tex' & 'ext') | ('ext' & 'xti') | ('xti' & 'til') | ('til' & 'ils'))")
        );
        assert_eq!(
            trigram_query("bike", false).as_deref(),
            Some("(\"bik\" OR \"ike\")")
        );
        assert_eq!(
            trigram_query("d'or", true).as_deref(),
            Some("('d''o' | '''or')")
        );
        assert_eq!(trigram_query("ok", true), None);
    }
}
