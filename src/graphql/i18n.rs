//! Multilingual texts: which language a client asks for (`lang` arguments, else the request's
//! `Accept-Language`), translations loaded in one batch per request, and the fallback from the
//! asked language to English to the original text.

use super::loader::{Loader, Loaders};
use crate::domain::Language;
use crate::error::AppError;
use crate::services::search::index::Kind;
use async_graphql::{Context, SimpleObject};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use std::collections::HashMap;
use std::sync::Arc;

/// The languages a request's `Accept-Language` asks for, most wanted first.
#[derive(Clone, Debug, Default)]
pub struct RequestLanguages(pub Vec<Language>);

/// The languages of an `Accept-Language` header that the directory knows, by falling quality;
/// `*`, unknown languages and `q=0` are left out.
pub fn accept_language(header: &str) -> Vec<Language> {
    let mut ranked: Vec<(f32, usize, Language)> = Vec::new();
    for (i, part) in header.split(',').enumerate() {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or_default().trim();
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if let Some(lang) = Language::from_tag(tag)
            && q > 0.0
            && !ranked.iter().any(|(_, _, l)| *l == lang)
        {
            ranked.push((q, i, lang));
        }
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.into_iter().map(|(_, _, l)| l).collect()
}

/// The languages the request prefers (from `Accept-Language`), most wanted first.
pub fn preferred(ctx: &Context<'_>) -> Vec<Language> {
    ctx.data_opt::<RequestLanguages>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// A text in the language it was chosen in.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct LocalizedText {
    /// The text.
    pub text: String,
    /// The language it is written in.
    pub language: Language,
    /// True when it is not in the asked language (no translation there): it is then in
    /// English if there is an English text, else in its original language.
    pub fallback: bool,
}

/// One stored translation of one field.
#[derive(SimpleObject, Clone, Debug)]
pub struct Translation {
    /// The translated field (`name`, `title` or `description`).
    pub field: String,
    /// The language of the translation.
    pub language: Language,
    /// The translated text.
    pub text: String,
}

/// `(language, field, text)` of one translation.
pub type Text = (Language, String, String);

/// Every translation of one row.
pub type Texts = Arc<Vec<Text>>;

/// Loads the translations of rows of any translatable kind: one statement per kind.
pub struct Translations {
    pub(super) db: crate::db::Database,
}

impl Loader<(Kind, i64)> for Translations {
    type Value = Texts;

    async fn load(
        &self,
        keys: &[(Kind, i64)],
    ) -> async_graphql::Result<HashMap<(Kind, i64), Texts>> {
        let mut out: HashMap<(Kind, i64), Vec<Text>> = HashMap::new();
        for kind in Kind::ALL {
            let ids: Vec<i64> = keys
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, id)| *id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let q = Query::select()
                .columns(["owner_id", "lang", "field", "value"].map(Alias::new))
                .from(Alias::new(kind.translation_table()))
                .and_where(Expr::col(Alias::new("owner_id")).is_in(ids))
                .order_by(Alias::new("id"), sea_orm::Order::Asc)
                .to_owned();
            for row in self.db.reads.query_all(&q).await.map_err(AppError::from)? {
                let owner: i64 = row.try_get("", "owner_id").map_err(AppError::from)?;
                let lang: String = row.try_get("", "lang").map_err(AppError::from)?;
                let Some(lang) = Language::from_tag(&lang) else {
                    continue;
                };
                out.entry((kind, owner)).or_default().push((
                    lang,
                    row.try_get("", "field").map_err(AppError::from)?,
                    row.try_get("", "value").map_err(AppError::from)?,
                ));
            }
        }
        Ok(out.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

/// Chooses the text of `field` for the asked languages: the first asked language that has a
/// text (the original's own language counts), else English, else the original.
pub fn choose(
    asked: &[Language],
    field: &str,
    original: Option<&str>,
    original_language: Language,
    translations: &[(Language, String, String)],
) -> Option<LocalizedText> {
    let text_in = |lang: Language| -> Option<&str> {
        if lang == original_language {
            original
        } else {
            translations
                .iter()
                .find(|(l, f, _)| *l == lang && f == field)
                .map(|(_, _, t)| t.as_str())
        }
    };
    for lang in asked {
        if let Some(text) = text_in(*lang) {
            return Some(LocalizedText {
                text: text.to_owned(),
                language: *lang,
                fallback: false,
            });
        }
    }
    let fallback = !asked.is_empty();
    if let Some(text) = text_in(Language::En) {
        return Some(LocalizedText {
            text: text.to_owned(),
            language: Language::En,
            fallback,
        });
    }
    original.map(|text| LocalizedText {
        text: text.to_owned(),
        language: original_language,
        fallback,
    })
}

/// A translatable row, as its GraphQL type sees it.
pub struct Localizable<'a> {
    /// Its kind.
    pub kind: Kind,
    /// Its internal id.
    pub id: i64,
    /// The language of its own texts.
    pub language: Language,
    /// Its own text of the field.
    pub original: Option<&'a str>,
}

impl Localizable<'_> {
    /// The text of `field` for `lang` (or the request's languages): without any language asked,
    /// the original text, with no statement sent.
    pub async fn text(
        &self,
        ctx: &Context<'_>,
        field: &str,
        lang: Option<Language>,
    ) -> async_graphql::Result<Option<LocalizedText>> {
        let asked = match lang {
            Some(l) => vec![l],
            None => preferred(ctx),
        };
        if asked.is_empty() || asked == [self.language] {
            return Ok(self.original.map(|text| LocalizedText {
                text: text.to_owned(),
                language: self.language,
                fallback: false,
            }));
        }
        let texts = ctx
            .data::<Loaders>()?
            .translations()
            .load_one((self.kind, self.id))
            .await?
            .unwrap_or_default();
        Ok(choose(&asked, field, self.original, self.language, &texts))
    }
}

/// A GraphQL type whose texts can be translated.
pub trait Translatable {
    /// Its kind.
    const KIND: Kind;
    /// Its row's internal id.
    fn row_id(&self) -> i64;
    /// The language of its own texts.
    fn own_language(&self) -> Language;

    /// The text of `field` (whose own text is `original`) for `lang` or the request's languages.
    fn localized(
        &self,
        ctx: &Context<'_>,
        field: &str,
        original: Option<&str>,
        lang: Option<Language>,
    ) -> impl Future<Output = async_graphql::Result<Option<LocalizedText>>> + Send
    where
        Self: Sync,
    {
        let row = Localizable {
            kind: Self::KIND,
            id: self.row_id(),
            language: self.own_language(),
            original,
        };
        let field = field.to_owned();
        async move { row.text(ctx, &field, lang).await }
    }
}

macro_rules! translatable {
    ($($ty:ident => $kind:ident),+ $(,)?) => {$(
        impl Translatable for super::types::$ty {
            const KIND: Kind = Kind::$kind;
            fn row_id(&self) -> i64 {
                self.0.id
            }
            fn own_language(&self) -> Language {
                self.0.text_language
            }
        }
    )+};
}

translatable!(
    Cluster => Cluster,
    Organisation => Organisation,
    Event => Event,
    Collaboration => Collaboration,
    OfferNeed => OfferNeed,
);

/// The stored translations of a row.
pub async fn translations_of(
    ctx: &Context<'_>,
    kind: Kind,
    id: i64,
) -> async_graphql::Result<Vec<Translation>> {
    let texts = ctx
        .data::<Loaders>()?
        .translations()
        .load_one((kind, id))
        .await?
        .unwrap_or_default();
    Ok(texts
        .iter()
        .map(|(language, field, text)| Translation {
            field: field.clone(),
            language: *language,
            text: text.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Language::*;

    fn tr() -> Vec<(Language, String, String)> {
        vec![
            (Fr, "name".into(), "Grappe".into()),
            (En, "description".into(), "In English".into()),
        ]
    }

    #[test]
    fn accept_language_is_ordered_by_quality_and_unknown_tags_are_dropped() {
        assert_eq!(
            accept_language("de;q=0.5, fr-BE, ja, nl;q=0.8, *;q=0.1, es;q=0"),
            [Fr, Nl, De]
        );
        assert!(accept_language("").is_empty());
    }

    #[test]
    fn a_translation_in_the_asked_language_wins() {
        let t = choose(&[Fr], "name", Some("Cluster"), Nl, &tr());
        assert_eq!(
            t,
            Some(LocalizedText {
                text: "Grappe".into(),
                language: Fr,
                fallback: false
            })
        );
    }

    #[test]
    fn a_missing_translation_falls_back_to_english_then_to_the_original() {
        let english = choose(&[Hu], "description", Some("Nederlands"), Nl, &tr());
        assert_eq!(english.map(|t| (t.language, t.fallback)), Some((En, true)));
        let original = choose(&[Hu], "name", Some("Cluster"), Nl, &tr());
        assert_eq!(
            original.map(|t| (t.text, t.language, t.fallback)),
            Some(("Cluster".into(), Nl, true))
        );
        let own = choose(&[Nl], "name", Some("Cluster"), Nl, &tr());
        assert_eq!(own.map(|t| t.fallback), Some(false));
    }
}
