//! Translations of the texts of clusters, organisations, events, collaborations and offers and
//! needs. Whoever may change a row may translate it; a translation makes a new version of the
//! row, so that it shows in the change feed, and the row is found by search in its new language
//! as soon as the write commits.

use super::{begin, patch};
use crate::domain::Language;
use crate::entities::{cluster, collaboration, event, offer_need, organisation};
use crate::error::AppError;
use crate::graphql::node::{Node, parse_global_id};
use crate::graphql::types::*;
use crate::services::access::Need;
use crate::services::search::index::Kind;
use crate::services::validate::Check;
use crate::services::write::Write;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};

/// Texts of a row in one language; omitted fields stay as they are, `null` removes a field's
/// translation.
#[derive(InputObject)]
pub struct TranslateInput {
    /// The cluster, organisation, event, collaboration or offer or need.
    pub id: ID,
    /// The `version` of it you last read.
    pub version: i32,
    /// The language of these texts; not the language the row's own texts are written in (change
    /// those with its update).
    pub language: Language,
    /// The name (clusters, organisations, collaborations), 1 to 200 characters.
    pub name: MaybeUndefined<String>,
    /// The title (events, offers and needs), 1 to 200 characters.
    pub title: MaybeUndefined<String>,
    /// The description, at most 10,000 characters.
    pub description: MaybeUndefined<String>,
}

/// Translation writes.
#[derive(Default)]
pub struct TranslationMutation;

/// Sets (or with `None`, removes) the translation of one field.
async fn put(
    w: &Write,
    kind: Kind,
    owner: i64,
    lang: Language,
    field: &str,
    text: Option<String>,
) -> Result<(), AppError> {
    let table = Alias::new(kind.translation_table());
    match text {
        None => {
            let delete = Query::delete()
                .from_table(table)
                .and_where(Expr::col(Alias::new("owner_id")).eq(owner))
                .and_where(Expr::col(Alias::new("lang")).eq(lang.code()))
                .and_where(Expr::col(Alias::new("field")).eq(field))
                .to_owned();
            w.txn.execute(&delete).await?;
        }
        Some(text) => {
            let insert = Query::insert()
                .into_table(table)
                .columns(["owner_id", "lang", "field", "value"].map(Alias::new))
                .values([owner.into(), lang.code().into(), field.into(), text.into()])
                .map_err(|e| AppError::Internal(Box::new(e)))?
                .on_conflict(
                    OnConflict::columns(["owner_id", "lang", "field"].map(Alias::new))
                        .update_column(Alias::new("value"))
                        .to_owned(),
                )
                .to_owned();
            w.txn.execute(&insert).await?;
        }
    }
    Ok(())
}

/// Checks the input against the row's kind and its own language, then writes every field given.
async fn write_texts(
    w: &Write,
    kind: Kind,
    owner: i64,
    own_language: Language,
    input: TranslateInput,
) -> Result<(), AppError> {
    let mut check = Check::new();
    if input.language == own_language {
        check.fail(
            "input.language",
            format!(
                "its own texts are written in {}; change them with its update, or translate into another language",
                own_language.code()
            ),
        );
    }
    let (name_field, other) = match kind.name_field() {
        "title" => ("title", "name"),
        _ => ("name", "title"),
    };
    let (named, unused) = if name_field == "title" {
        (input.title, input.name)
    } else {
        (input.name, input.title)
    };
    if !unused.is_undefined() {
        check.fail(
            &format!("input.{other}"),
            format!("this kind of row has a `{name_field}`, not a `{other}`"),
        );
    }
    let mut texts: Vec<(&str, Option<String>)> = Vec::new();
    let mut name: Option<String> = None;
    let given = !named.is_undefined();
    patch(&mut name, named);
    if given {
        if let Some(n) = name.as_mut() {
            check.text(&format!("input.{name_field}"), n, 1, 200);
        }
        texts.push((name_field, name));
    }
    if !input.description.is_undefined() {
        let mut description: Option<String> = None;
        patch(&mut description, input.description);
        check.opt_text("input.description", &mut description, 10_000);
        texts.push(("description", description));
    }
    if texts.is_empty() {
        check.fail(
            "input",
            format!("give `{name_field}` or `description` (or `null` to remove one)"),
        );
    }
    check.finish()?;
    for (field, text) in texts {
        put(w, kind, owner, input.language, field, text).await?;
    }
    Ok(())
}

/// Translates one row of `$entity` found by `$uuid`, checked against the owner `$owner` computes
/// from the row, and returns the row's new version as a node.
macro_rules! translate_row {
    ($w:ident, $input:ident, $uuid:ident, $entity:ident, $ty:ident, $name:literal, |$row:ident| $owner:expr) => {{
        let $row = $w.find::<$entity::Entity>($name, $uuid).await?;
        let owner = $owner;
        $w.allow(Need::Manage, &owner)?;
        let version = $input.version;
        write_texts(&$w, Kind::$ty, $row.id, $row.text_language, $input).await?;
        let saved = $w
            .update::<$entity::Entity>(
                stringify!($ty),
                &$row,
                $row.clone(),
                version,
                &["translations"],
            )
            .await?;
        Node::$ty($ty(saved))
    }};
}

#[Object]
impl TranslationMutation {
    /// Sets or removes translations of a cluster's, organisation's, event's, collaboration's or
    /// offer's or need's texts in one language (whoever may change the row). Returns the row.
    async fn translate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The texts in one language, with the version you last read.")]
        input: TranslateInput,
    ) -> async_graphql::Result<Node> {
        let w = begin(ctx).await?;
        let (type_name, uuid) = parse_global_id(&input.id).map_err(|_| {
            AppError::bad_input(
                "input.id",
                "not an id of this directory; use an `id` it returned",
            )
        })?;
        let node = match type_name.as_str() {
            "Cluster" => translate_row!(w, input, uuid, cluster, Cluster, "cluster", |row| {
                w.cluster_owner(&[row.id]).await?
            }),
            "Organisation" => translate_row!(
                w,
                input,
                uuid,
                organisation,
                Organisation,
                "organisation",
                |row| w.organisation_owner(&row).await?
            ),
            "Event" => translate_row!(w, input, uuid, event, Event, "event", |row| {
                w.event_owner(row.id).await?
            }),
            "Collaboration" => translate_row!(
                w,
                input,
                uuid,
                collaboration,
                Collaboration,
                "collaboration",
                |row| w.collaboration_owner(row.id).await?
            ),
            "OfferNeed" => translate_row!(
                w,
                input,
                uuid,
                offer_need,
                OfferNeed,
                "offer or need",
                |row| w.organisation_owner_by_id(row.organisation_id).await?
            ),
            other => {
                return Err(AppError::bad_input(
                    "input.id",
                    format!(
                        "a {other} has no translatable texts; translate clusters, organisations, events, collaborations or offers and needs"
                    ),
                )
                .into());
            }
        };
        w.commit().await?;
        Ok(node)
    }
}
