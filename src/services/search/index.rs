//! The search documents: one per searchable row and language (its own language and every
//! language it is translated into), rewritten inside the transaction of every write that changes
//! what they hold. Only public data goes in: names, descriptions, places, programmes, and the
//! names and roles of public contacts; never members-only or private contacts, nor messages of
//! expressions of interest.

use super::text::normalize;
use crate::error::AppResult;
use crate::services::filter::col;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, QueryResult};
use std::collections::BTreeMap;

/// The kinds of rows search finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
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

/// Rows indexed per statement.
const CHUNK: usize = 500;

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::Cluster,
        Kind::Organisation,
        Kind::Event,
        Kind::Collaboration,
        Kind::OfferNeed,
    ];

    /// Its table, also its name in `search_document.kind`.
    pub fn table(self) -> &'static str {
        match self {
            Kind::Cluster => "cluster",
            Kind::Organisation => "organisation",
            Kind::Event => "event",
            Kind::Collaboration => "collaboration",
            Kind::OfferNeed => "offer_need",
        }
    }

    /// The kind stored in a table.
    pub fn of_table(table: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.table() == table)
    }

    /// The column (and translated field) that names a row.
    pub fn name_field(self) -> &'static str {
        match self {
            Kind::Event | Kind::OfferNeed => "title",
            _ => "name",
        }
    }

    /// Further public columns that are searched along with the description.
    fn extras(self) -> &'static [&'static str] {
        match self {
            Kind::Cluster => &[],
            Kind::Organisation => &["city"],
            Kind::Event => &["venue", "city"],
            Kind::Collaboration => &["programme"],
            Kind::OfferNeed => &[],
        }
    }

    /// The columns of a row its documents are made of, besides its translations and an
    /// organisation's public contacts: what `write` reads.
    fn source_columns(self) -> impl Iterator<Item = &'static str> {
        [self.name_field(), "description", "text_language"]
            .into_iter()
            .chain(self.extras().iter().copied())
            .chain(self.has_own_country().then_some("country_code"))
    }

    /// Whether a row's column is one its documents are made of, so that changing it changes
    /// them.
    pub fn made_of(self, column: &str) -> bool {
        self.source_columns().any(|c| c == column)
    }

    /// Whether its rows have a country of their own (`country_code`), which its documents carry
    /// as a facet. Offers and needs lie in their organisation's country and collaborations in
    /// their participants': those change without a write of the row, so they stay out.
    pub fn has_own_country(self) -> bool {
        matches!(self, Kind::Cluster | Kind::Organisation | Kind::Event)
    }

    /// The facet word of this kind in the documents' `facets`.
    pub fn facet(self) -> String {
        format!("kind{}", self.word())
    }

    /// Its table's name as one word, for facet words.
    fn word(self) -> String {
        self.table().replace('_', "")
    }

    /// Its translation table.
    pub fn translation_table(self) -> &'static str {
        match self {
            Kind::Cluster => "cluster_translation",
            Kind::Organisation => "organisation_translation",
            Kind::Event => "event_translation",
            Kind::Collaboration => "collaboration_translation",
            Kind::OfferNeed => "offer_need_translation",
        }
    }
}

/// The facet word of a kind of row in a country (an ISO code) in the documents' `facets`: one
/// word for both, so that the index finds the documents of a kind in a country in one list no
/// longer than theirs.
pub fn country_facet(kind: Kind, code: &str) -> String {
    format!("{}{}", kind.word(), code.to_ascii_lowercase())
}

/// The facets of a row's documents: its kind, and its kind in its country where it has a
/// country of its own.
fn facets(kind: Kind, country: Option<&str>) -> String {
    match country {
        Some(c) if kind.has_own_country() && !c.trim().is_empty() => {
            format!("{} {}", kind.facet(), country_facet(kind, c.trim()))
        }
        _ => kind.facet(),
    }
}

/// What one row contributes to its documents.
#[derive(Debug, Default)]
struct Source {
    name: String,
    description: Option<String>,
    language: String,
    extras: Vec<String>,
    /// Its own country, where it has one.
    country: Option<String>,
    /// `(language, field, text)`.
    translations: Vec<(String, String, String)>,
}

/// One document to store.
#[derive(Debug, PartialEq)]
struct Document {
    lang: String,
    name: String,
    body: Option<String>,
}

/// The documents of one row: one in its own language, one per further language it is translated
/// into, each with the translated texts where there are some and the original ones elsewhere.
fn documents(kind: Kind, source: &Source) -> Vec<Document> {
    let body = |description: Option<&str>| {
        let parts: Vec<&str> = description
            .into_iter()
            .chain(source.extras.iter().map(String::as_str))
            .filter(|p| !p.trim().is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join("\n"))
    };
    let mut out = vec![Document {
        lang: source.language.clone(),
        name: source.name.clone(),
        body: body(source.description.as_deref()),
    }];
    let mut languages: Vec<&str> = source
        .translations
        .iter()
        .map(|(l, _, _)| l.as_str())
        .filter(|l| *l != source.language)
        .collect();
    languages.sort_unstable();
    languages.dedup();
    for lang in languages {
        let text = |field: &str| {
            source
                .translations
                .iter()
                .find(|(l, f, _)| l == lang && f == field)
                .map(|(_, _, t)| t.as_str())
        };
        out.push(Document {
            lang: lang.to_owned(),
            name: text(kind.name_field()).unwrap_or(&source.name).to_owned(),
            body: body(text("description").or(source.description.as_deref())),
        });
    }
    out
}

fn text_of(row: &QueryResult, column: &str) -> AppResult<Option<String>> {
    Ok(row.try_get::<Option<String>>("", column)?)
}

/// Rewrites the documents of these rows of `kind`; rows that no longer exist lose theirs.
pub async fn refresh(db: &impl ConnectionTrait, kind: Kind, ids: &[i64]) -> AppResult<()> {
    for chunk in ids.chunks(CHUNK) {
        let delete = Query::delete()
            .from_table(Alias::new("search_document"))
            .and_where(Expr::col(Alias::new("kind")).eq(kind.table()))
            .and_where(Expr::col(Alias::new("entity_id")).is_in(chunk.iter().copied()))
            .to_owned();
        db.execute(&delete).await?;
    }
    write(db, kind, ids).await
}

/// Writes the documents of these rows of `kind`, which have none.
async fn write(db: &impl ConnectionTrait, kind: Kind, ids: &[i64]) -> AppResult<()> {
    for chunk in ids.chunks(CHUNK) {
        let table = kind.table();
        let mut select = Query::select();
        select
            .expr_as(col(table, "id"), Alias::new("id"))
            .from(Alias::new(table))
            .and_where(col(table, "id").is_in(chunk.iter().copied()));
        for column in kind.source_columns() {
            // The name field is a title for some kinds; it is read as `name` for all.
            let alias = if column == kind.name_field() {
                "name"
            } else {
                column
            };
            select.expr_as(col(table, column), Alias::new(alias));
        }
        let mut sources: BTreeMap<i64, Source> = BTreeMap::new();
        for row in db.query_all(&select).await? {
            let id: i64 = row.try_get("", "id")?;
            let mut extras = Vec::new();
            for extra in kind.extras() {
                extras.extend(text_of(&row, extra)?);
            }
            sources.insert(
                id,
                Source {
                    name: row.try_get("", "name")?,
                    description: text_of(&row, "description")?,
                    language: row.try_get("", "text_language")?,
                    extras,
                    country: if kind.has_own_country() {
                        text_of(&row, "country_code")?
                    } else {
                        None
                    },
                    translations: Vec::new(),
                },
            );
        }
        if sources.is_empty() {
            continue;
        }
        let translations = Query::select()
            .columns(["owner_id", "lang", "field", "value"].map(Alias::new))
            .from(Alias::new(kind.translation_table()))
            .and_where(Expr::col(Alias::new("owner_id")).is_in(sources.keys().copied()))
            .to_owned();
        for row in db.query_all(&translations).await? {
            let owner: i64 = row.try_get("", "owner_id")?;
            if let Some(s) = sources.get_mut(&owner) {
                s.translations.push((
                    row.try_get("", "lang")?,
                    row.try_get("", "field")?,
                    row.try_get("", "value")?,
                ));
            }
        }
        if kind == Kind::Organisation {
            let contacts = Query::select()
                .columns(["organisation_id", "name", "role"].map(Alias::new))
                .from(Alias::new("contact"))
                .and_where(Expr::col(Alias::new("organisation_id")).is_in(sources.keys().copied()))
                .and_where(Expr::col(Alias::new("visibility")).eq("public"))
                .order_by(Alias::new("id"), sea_orm::Order::Asc)
                .to_owned();
            for row in db.query_all(&contacts).await? {
                let owner: i64 = row.try_get("", "organisation_id")?;
                if let Some(s) = sources.get_mut(&owner) {
                    let name: String = row.try_get("", "name")?;
                    s.extras.push(match text_of(&row, "role")? {
                        Some(role) => format!("{name}, {role}"),
                        None => name,
                    });
                }
            }
        }
        let mut insert = Query::insert();
        insert.into_table(Alias::new("search_document")).columns(
            [
                "kind",
                "entity_id",
                "lang",
                "name",
                "name_norm",
                "body",
                "facets",
            ]
            .map(Alias::new),
        );
        for (id, source) in &sources {
            let facets = facets(kind, source.country.as_deref());
            for d in documents(kind, source) {
                let norm = normalize(&d.name);
                let values: [sea_orm::Value; 7] = [
                    kind.table().into(),
                    (*id).into(),
                    d.lang.into(),
                    d.name.into(),
                    norm.into(),
                    d.body.into(),
                    facets.clone().into(),
                ];
                insert
                    .values(values.map(Expr::val))
                    .map_err(|e| crate::error::AppError::Internal(Box::new(e)))?;
            }
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Rewrites every document; for data written without the write frame (demo data, generated
/// data) and for databases indexed before search existed.
pub async fn rebuild(db: &impl ConnectionTrait) -> AppResult<()> {
    db.execute(
        &Query::delete()
            .from_table(Alias::new("search_document"))
            .to_owned(),
    )
    .await?;
    let aside = crate::db::bulk::set_aside(db, &["search_document"]).await?;
    for kind in Kind::ALL {
        let ids = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new(kind.table()))
            .order_by(Alias::new("id"), sea_orm::Order::Asc)
            .to_owned();
        let ids: Vec<i64> = db
            .query_all(&ids)
            .await?
            .iter()
            .map(|r| r.try_get("", "id"))
            .collect::<Result<_, _>>()?;
        // Nothing to delete first: reading the emptied table for each chunk made the rebuild
        // quadratic on PostgreSQL, whose planner has no statistics for it yet.
        write(db, kind, &ids).await?;
    }
    aside.restore(db).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Give the planner statistics of the new documents. (The indexes were built anew, so no
        // entries wait in a GIN pending list, which every search would read through until a
        // vacuum merged it: a misspelt search took 580 ms instead of 50 after a rebuild that
        // grew the indexes row by row.)
        db.execute_unprepared("ANALYZE search_document").await?;
    } else {
        // Merge each full-text index into one segment. Filled in chunks, FTS5 leaves a dozen
        // segments, and every term of every search is read from each of them and merged.
        for index in ["search_fts", "search_trigram"] {
            db.execute_unprepared(&format!("INSERT INTO {index}({index}) VALUES ('optimize')"))
                .await?;
        }
    }
    Ok(())
}

/// Indexes a database whose rows have no documents yet (one migrated from before search), in
/// one transaction; on PostgreSQL replicas starting together take turns.
pub async fn fill_if_empty(db: &sea_orm::DatabaseConnection) -> AppResult<()> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(7243001)")
            .await?;
    }
    fill(&txn).await?;
    txn.commit().await?;
    Ok(())
}

async fn fill(db: &impl ConnectionTrait) -> AppResult<()> {
    let any = |table: &str| {
        Query::select()
            .expr(Expr::val(1))
            .from(Alias::new(table))
            .limit(1)
            .to_owned()
    };
    if db.query_one(&any("search_document")).await?.is_some() {
        return Ok(());
    }
    for kind in Kind::ALL {
        if db.query_one(&any(kind.table())).await?.is_some() {
            tracing::info!("building the search index");
            return rebuild(db).await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Source {
        Source {
            name: "Cluster Montagne".into(),
            description: Some("Mountain economy".into()),
            language: "fr".into(),
            extras: vec!["Chambéry".into()],
            country: Some("FR".into()),
            translations: vec![
                (
                    "en".into(),
                    "description".into(),
                    "Mountain economy, in English".into(),
                ),
                ("nl".into(), "name".into(), "Cluster Bergen".into()),
                (
                    "fr".into(),
                    "name".into(),
                    "ignored: the original is French".into(),
                ),
            ],
        }
    }

    #[test]
    fn a_row_has_a_document_per_language_with_original_texts_where_none_are_translated() {
        let docs = documents(Kind::Cluster, &source());
        assert_eq!(
            docs,
            [
                Document {
                    lang: "fr".into(),
                    name: "Cluster Montagne".into(),
                    body: Some("Mountain economy\nChambéry".into())
                },
                Document {
                    lang: "en".into(),
                    name: "Cluster Montagne".into(),
                    body: Some("Mountain economy, in English\nChambéry".into())
                },
                Document {
                    lang: "nl".into(),
                    name: "Cluster Bergen".into(),
                    body: Some("Mountain economy\nChambéry".into())
                },
            ]
        );
    }

    #[test]
    fn documents_are_made_of_the_texts_and_own_country_of_their_row() {
        for column in [
            "name",
            "description",
            "text_language",
            "city",
            "country_code",
        ] {
            assert!(Kind::Organisation.made_of(column), "{column}");
        }
        for column in ["headcount", "nace_codes", "website", "slug", "org_type"] {
            assert!(!Kind::Organisation.made_of(column), "{column}");
        }
        assert!(Kind::OfferNeed.made_of("title"));
        assert!(!Kind::OfferNeed.made_of("name"));
        assert!(!Kind::OfferNeed.made_of("country_code"));
        assert!(Kind::Event.made_of("venue"));
        assert!(Kind::Collaboration.made_of("programme"));
    }

    #[test]
    fn facets_name_the_kind_and_only_a_country_of_the_row_itself() {
        assert_eq!(
            facets(Kind::Organisation, Some("ES")),
            "kindorganisation organisationes"
        );
        assert_eq!(facets(Kind::Event, None), "kindevent");
        assert_eq!(facets(Kind::OfferNeed, Some("ES")), "kindofferneed");
    }
}
