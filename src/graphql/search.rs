//! The `search` query: free text over clusters, organisations, events, collaborations and offers
//! and needs, ranked by relevance, each hit with a highlighted snippet of where it matched.

use super::i18n::preferred;
use super::loader::Loaders;
use super::types::*;
use crate::domain::Language;
use crate::entities::{cluster, collaboration, event, offer_need, organisation};
use crate::error::AppError;
use crate::services::filter::{CountryCode, NutsPrefix};
use crate::services::search::index::Kind;
use crate::services::search::text::{Snippet, terms};
use crate::services::search::{Hit, SearchRequest, search};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, Union};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Most hits per page.
const MAX_FIRST: i32 = 50;

/// The kinds of things search finds.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum SearchType {
    /// A cluster organisation.
    Cluster,
    /// A member organisation.
    Organisation,
    /// An event.
    Event,
    /// A collaboration (project).
    Collaboration,
    /// An offer or need.
    OfferNeed,
}

impl SearchType {
    fn kind(self) -> Kind {
        match self {
            Self::Cluster => Kind::Cluster,
            Self::Organisation => Kind::Organisation,
            Self::Event => Kind::Event,
            Self::Collaboration => Kind::Collaboration,
            Self::OfferNeed => Kind::OfferNeed,
        }
    }

    fn of(kind: Kind) -> Self {
        match kind {
            Kind::Cluster => Self::Cluster,
            Kind::Organisation => Self::Organisation,
            Kind::Event => Self::Event,
            Kind::Collaboration => Self::Collaboration,
            Kind::OfferNeed => Self::OfferNeed,
        }
    }
}

/// Narrows a search; every part given must match.
#[derive(InputObject, Default)]
pub struct SearchFilter {
    /// Only these kinds of things; all when omitted.
    pub types: Option<Vec<SearchType>>,
    /// Only things on any of these themes (slugs).
    pub themes: Option<Vec<String>>,
    /// Only things in any of these countries (ISO 3166-1 alpha-2). Offers and needs lie where
    /// their organisation lies; collaborations where a participant lies.
    pub countries: Option<Vec<String>>,
    /// Only things in any of these regions (NUTS codes or prefixes). Offers and needs lie where
    /// their organisation lies; events and collaborations where an organiser or participant lies.
    pub regions: Option<Vec<String>>,
    /// Only things of any of these clusters (slugs): the clusters themselves, their members and
    /// their members' offers and needs, the events they organise and the collaborations they
    /// take part in.
    pub clusters: Option<Vec<String>>,
}

/// What a hit is.
#[derive(Union, Clone)]
pub enum Searchable {
    /// A cluster.
    Cluster(Cluster),
    /// An organisation.
    Organisation(Organisation),
    /// An event.
    Event(Event),
    /// A collaboration.
    Collaboration(Collaboration),
    /// An offer or need.
    OfferNeed(OfferNeed),
}

/// A part of a text, in characters (Unicode scalar values) from its start.
#[derive(SimpleObject, Clone, Copy)]
pub struct TextRange {
    /// Characters before the part.
    pub start: i32,
    /// Characters in the part.
    pub length: i32,
}

/// A short piece of the text that matched, with the matching words marked.
#[derive(Clone)]
pub struct SearchSnippet(Snippet);

/// A short piece of the text that matched, with the matching words marked.
#[Object]
impl SearchSnippet {
    /// The piece of text, plain.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// The parts of `text` that matched the query.
    async fn highlights(&self) -> Vec<TextRange> {
        self.0
            .highlights
            .iter()
            .map(|(s, l)| TextRange {
                start: *s as i32,
                length: *l as i32,
            })
            .collect()
    }
    /// The piece of text as HTML, escaped, with the matching parts in `<mark>`.
    async fn html(&self) -> String {
        self.0.html()
    }
}

/// One thing found.
pub struct SearchHit(Hit);

/// One thing found.
#[Object]
impl SearchHit {
    /// What kind of thing it is.
    async fn r#type(&self) -> SearchType {
        SearchType::of(self.0.kind)
    }
    /// How well its text matches (the database's relevance: BM25 over the query's words on
    /// SQLite, without weighing rarer words more; cover density on PostgreSQL); higher is better.
    /// Scores compare hits of one search and one tier only: a name holding every word ranks
    /// above other texts whatever their scores, and such names are scored by the name alone.
    async fn score(&self) -> f64 {
        self.0.score
    }
    /// Whether its name (or title) is exactly the query, accents, case and punctuation aside.
    /// Such hits come first.
    async fn exact_name(&self) -> bool {
        self.0.exact
    }
    /// The language of the text that matched (ISO 639-1 code).
    async fn language(&self) -> &str {
        &self.0.lang
    }
    /// Where it matched.
    async fn snippet(&self) -> SearchSnippet {
        SearchSnippet(self.0.snippet.clone())
    }
    /// The thing itself.
    async fn node(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Searchable>> {
        let loaders = ctx.data::<Loaders>()?;
        let id = self.0.entity_id;
        Ok(match self.0.kind {
            Kind::Cluster => loaders
                .one::<cluster::Entity>(id)
                .await?
                .map(|m| Searchable::Cluster(Cluster(m))),
            Kind::Organisation => loaders
                .one::<organisation::Entity>(id)
                .await?
                .map(|m| Searchable::Organisation(Organisation(m))),
            Kind::Event => loaders
                .one::<event::Entity>(id)
                .await?
                .map(|m| Searchable::Event(Event(m))),
            Kind::Collaboration => loaders
                .one::<collaboration::Entity>(id)
                .await?
                .map(|m| Searchable::Collaboration(Collaboration(m))),
            Kind::OfferNeed => loaders
                .one::<offer_need::Entity>(id)
                .await?
                .map(|m| Searchable::OfferNeed(OfferNeed(m))),
        })
    }
}

/// A page of hits, best first.
pub struct SearchConnection {
    hits: Vec<(String, SearchHit)>,
    total: u64,
    truncated: bool,
    similar: bool,
    has_previous: bool,
    has_next: bool,
}

/// A hit and its cursor.
pub struct SearchEdge<'a>(&'a str, &'a SearchHit);

/// A hit and its cursor.
#[Object]
impl<'a> SearchEdge<'a> {
    /// Pass to `after` for the hits after this one.
    async fn cursor(&self) -> &str {
        self.0
    }
    /// The hit.
    async fn node(&self) -> &SearchHit {
        self.1
    }
}

/// A page of hits, best first.
#[Object]
impl SearchConnection {
    /// The hits with their cursors.
    async fn edges(&self) -> Vec<SearchEdge<'_>> {
        self.hits.iter().map(|(c, h)| SearchEdge(c, h)).collect()
    }
    /// The hits.
    async fn nodes(&self) -> Vec<&SearchHit> {
        self.hits.iter().map(|(_, h)| h).collect()
    }
    /// Where this page lies.
    async fn page_info(&self) -> super::connection::PageInfo {
        super::connection::PageInfo {
            has_next_page: self.has_next,
            has_previous_page: self.has_previous,
            start_cursor: self.hits.first().map(|(c, _)| c.clone()),
            end_cursor: self.hits.last().map(|(c, _)| c.clone()),
        }
    }
    /// Hits in all; when `truncated`, only those the search ranked.
    async fn total_count(&self) -> i32 {
        self.total.min(i32::MAX as u64) as i32
    }
    /// True when more things match than the search ranks: `totalCount` then counts only the
    /// ranked ones and the pages end with them. Each tier (exact names, names holding every
    /// word, other texts holding every word) ranks its 250 most recently written matches.
    /// More words or a filter narrow the search.
    async fn truncated(&self) -> bool {
        self.truncated
    }
    /// True when no text held every word of the query and the hits are instead names spelt like
    /// it (for misspellings): show them as "did you mean".
    async fn similar(&self) -> bool {
        self.similar
    }
}

fn cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("search:{offset}"))
}

fn offset_after(cursor: &str) -> Result<u64, AppError> {
    let bad = || {
        AppError::bad_input(
            "after",
            "not a cursor of this search; pass an `endCursor` or edge `cursor` it returned",
        )
    };
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let n: u64 = text
        .strip_prefix("search:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad)?;
    Ok(n + 1)
}

fn each<T>(
    field: &str,
    values: Option<Vec<String>>,
    parse: impl Fn(&str, &str) -> Result<T, AppError>,
) -> Result<Vec<T>, AppError> {
    values
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, v)| parse(&format!("{field}[{i}]"), v))
        .collect()
}

/// The search query.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Finds clusters, organisations, events, collaborations and offers and needs by free text,
    /// in any of the languages their texts are written or translated in. Accents, case and
    /// punctuation do not matter; every word also matches as the start of a longer word, for
    /// search-as-you-type. Hits are ranked: exact names first, then names holding every word,
    /// then other texts holding every word, each by relevance. A search matching very many
    /// things ranks the most recently written of them and says so (`truncated`). When no text
    /// holds every word, names spelt like the query are returned instead (`similar`). Only public
    /// data is searched.
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The words to look for (at most 200 characters; the first 8 words count)."
        )]
        query: String,
        #[graphql(desc = "Narrows the search.")] filter: Option<SearchFilter>,
        #[graphql(
            desc = "The language the query is written in, for matching other forms of its words; from `Accept-Language` when omitted, else English."
        )]
        lang: Option<Language>,
        #[graphql(desc = "Return the first n hits (1 to 50, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return hits after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<SearchConnection> {
        if query.chars().count() > 200 {
            return Err(
                AppError::bad_input("query", "search text is limited to 200 characters").into(),
            );
        }
        let words = terms(&query);
        if words.is_empty() {
            return Err(AppError::bad_input(
                "query",
                "give at least one word to search for (punctuation alone finds nothing)",
            )
            .into());
        }
        let first = first.unwrap_or(20);
        if !(1..=MAX_FIRST).contains(&first) {
            return Err(AppError::bad_input(
                "first",
                format!("`first` must lie between 1 and {MAX_FIRST}"),
            )
            .into());
        }
        let offset = after.as_deref().map(offset_after).transpose()?.unwrap_or(0);
        let f = filter.unwrap_or_default();
        let req = SearchRequest {
            terms: words,
            kinds: f
                .types
                .unwrap_or_default()
                .into_iter()
                .map(SearchType::kind)
                .collect(),
            themes: f.themes.unwrap_or_default(),
            countries: each("filter.countries", f.countries, CountryCode::parse)?,
            regions: each("filter.regions", f.regions, NutsPrefix::parse)?,
            clusters: f.clusters.unwrap_or_default(),
            language: lang.or_else(|| preferred(ctx).first().copied()),
            offset,
            limit: first as u64 + 1,
        };
        let db = &ctx.data::<Loaders>()?.db;
        let mut found = search(db, &req).await?;
        let has_next = found.hits.len() > first as usize;
        found.hits.truncate(first as usize);
        Ok(SearchConnection {
            hits: found
                .hits
                .into_iter()
                .enumerate()
                .map(|(i, h)| (cursor(offset + i as u64), SearchHit(h)))
                .collect(),
            total: found.total,
            truncated: found.truncated,
            similar: found.similar,
            has_previous: offset > 0,
            has_next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_continue_after_their_hit() {
        assert_eq!(offset_after(&cursor(0)).ok(), Some(1));
        assert_eq!(offset_after(&cursor(41)).ok(), Some(42));
        assert!(offset_after("bm9wZQ").is_err());
    }
}
