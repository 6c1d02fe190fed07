//! Offers and needs of organisations, and expressions of interest in them.
//!
//! An offer or need belongs to its organisation: the managers of the organisation's clusters,
//! stewards of its region and admins write it. An expression of interest belongs to the interested
//! organisation in the same way. Deleting an offer or need deletes the interest in it.

use super::{begin, id_of, patch, set};
use crate::domain::OfferNeedKind;
use crate::entities::{interest, offer_need, organisation};
use crate::error::{AppError, AppResult};
use crate::graphql::types::{Interest, OfferNeed};
use crate::services::access::Need;
use crate::services::links::{set_themes, theme_ids_of};
use crate::services::validate::{Check, today};
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// A new offer or need.
#[derive(InputObject)]
pub struct CreateOfferNeedInput {
    /// The organisation that offers or needs it.
    pub organisation: ID,
    /// Kind (the Enterprise Europe Network kinds).
    pub kind: OfferNeedKind,
    /// Title (1 to 200 characters).
    pub title: String,
    /// Details (at most 10,000 characters).
    pub description: Option<String>,
    /// Last day it stands; today or later.
    pub valid_until: Option<NaiveDate>,
    /// Slugs of the themes it concerns.
    pub themes: Option<Vec<String>>,
    /// Countries it targets (ISO 3166-1 alpha-2); none for anywhere.
    pub target_countries: Option<Vec<String>>,
    /// Language of its title and description (English when omitted).
    pub text_language: Option<crate::domain::Language>,
}

/// Changes to an offer or need; omitted fields stay as they are, `null` clears a field.
#[derive(InputObject)]
pub struct UpdateOfferNeedInput {
    /// Its id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// Kind.
    pub kind: Option<OfferNeedKind>,
    /// Title.
    pub title: Option<String>,
    /// Details.
    pub description: MaybeUndefined<String>,
    /// Last day it stands.
    pub valid_until: MaybeUndefined<NaiveDate>,
    /// Slugs of the themes it concerns; replaces the current ones.
    pub themes: Option<Vec<String>>,
    /// Countries it targets; replaces the current ones (empty or `null` for anywhere).
    pub target_countries: MaybeUndefined<Vec<String>>,
    /// Language of its own texts.
    pub text_language: Option<crate::domain::Language>,
}

/// An organisation's interest in an offer or need.
#[derive(InputObject)]
pub struct ExpressInterestInput {
    /// The offer or need.
    pub offer_need: ID,
    /// The interested organisation.
    pub organisation: ID,
    /// A message to its owner (at most 2,000 characters).
    pub message: Option<String>,
}

/// Target countries, checked and stored as `,ES,FR,`; none means anywhere.
fn target_countries(check: &mut Check, codes: Option<Vec<String>>) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, code) in codes.unwrap_or_default().iter().enumerate() {
        match crate::services::filter::CountryCode::parse(
            &format!("input.targetCountries[{i}]"),
            code,
        ) {
            Ok(c) if !out.contains(&c.0) => out.push(c.0),
            Ok(_) => {}
            Err(crate::error::AppError::BadUserInput { field, message }) => {
                check.fail(&field.unwrap_or_default(), message)
            }
            Err(_) => {}
        }
    }
    out.sort();
    crate::services::organisation::pack_codes(&out)
}

fn check_offer_need(check: &mut Check, draft: &mut offer_need::Model, is_new: bool) {
    check.text("input.title", &mut draft.title, 1, 200);
    check.opt_text("input.description", &mut draft.description, 10_000);
    if is_new && draft.valid_until.is_some_and(|d| d < today()) {
        check.fail("input.validUntil", "`validUntil` must not lie in the past");
    }
}

/// Offer, need and interest writes.
#[derive(Default)]
pub struct OfferNeedMutation;

#[Object]
impl OfferNeedMutation {
    /// Creates an offer or need of an organisation (managers of its clusters, stewards, admins).
    async fn create_offer_need(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new offer or need.")] input: CreateOfferNeedInput,
    ) -> async_graphql::Result<OfferNeed> {
        let w = begin(ctx).await?;
        let org = w
            .find::<organisation::Entity>(
                "organisation",
                id_of("Organisation", "input.organisation", &input.organisation)?,
            )
            .await?;
        w.allow(Need::Manage, &w.organisation_owner(&org).await?)?;
        let mut check = Check::new();
        let themes = theme_ids_of(&w.txn, &mut check, input.themes.as_ref()).await?;
        let now = Utc::now();
        let mut draft = offer_need::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            organisation_id: org.id,
            kind: input.kind,
            title: input.title,
            description: input.description,
            valid_until: input.valid_until,
            created_at: now,
            updated_at: now,
            text_language: input.text_language.unwrap_or(crate::domain::Language::En),
            target_countries: target_countries(&mut check, input.target_countries),
            version: 1,
        };
        check_offer_need(&mut check, &mut draft, true);
        check.finish()?;
        let saved = w.create::<offer_need::Entity>("OfferNeed", draft).await?;
        if let Some(themes) = themes {
            set_themes(
                &w.txn,
                "offer_need_theme",
                "offer_need_id",
                saved.id,
                &themes,
            )
            .await?;
        }
        w.commit().await?;
        Ok(OfferNeed(saved))
    }

    /// Changes an offer or need (managers of its organisation's clusters, stewards, admins).
    async fn update_offer_need(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")]
        input: UpdateOfferNeedInput,
    ) -> async_graphql::Result<OfferNeed> {
        let w = begin(ctx).await?;
        let current = w
            .find::<offer_need::Entity>("offer or need", id_of("OfferNeed", "input.id", &input.id)?)
            .await?;
        w.allow(
            Need::Manage,
            &w.organisation_owner_by_id(current.organisation_id).await?,
        )?;
        let mut check = Check::new();
        let mut draft = current.clone();
        set(&mut draft.kind, input.kind);
        set(&mut draft.title, input.title);
        set(&mut draft.text_language, input.text_language);
        match input.target_countries {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => draft.target_countries = None,
            MaybeUndefined::Value(codes) => {
                draft.target_countries = target_countries(&mut check, Some(codes))
            }
        }
        patch(&mut draft.description, input.description);
        let new_date = matches!(input.valid_until, MaybeUndefined::Value(_));
        patch(&mut draft.valid_until, input.valid_until);
        let themes = theme_ids_of(&w.txn, &mut check, input.themes.as_ref()).await?;
        check_offer_need(&mut check, &mut draft, new_date);
        check.finish()?;
        let mut linked = Vec::new();
        if let Some(themes) = themes
            && set_themes(
                &w.txn,
                "offer_need_theme",
                "offer_need_id",
                current.id,
                &themes,
            )
            .await?
        {
            linked.push("themes");
        }
        let saved = w
            .update::<offer_need::Entity>("OfferNeed", &current, draft, input.version, &linked)
            .await?;
        w.commit().await?;
        Ok(OfferNeed(saved))
    }

    /// Deletes an offer or need with the interest expressed in it.
    async fn delete_offer_need(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
        #[graphql(desc = "The version you last read.")] version: i32,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<offer_need::Entity>("offer or need", id_of("OfferNeed", "id", &id)?)
            .await?;
        w.allow(
            Need::Manage,
            &w.organisation_owner_by_id(current.organisation_id).await?,
        )?;
        w.delete::<offer_need::Entity>(
            "OfferNeed",
            &current,
            Some(version),
            &["interests", "themes"],
        )
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Expresses an organisation's interest in another organisation's offer or need (managers of
    /// the interested organisation's clusters, stewards, admins). Once per organisation.
    async fn express_interest(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The interest.")] input: ExpressInterestInput,
    ) -> async_graphql::Result<Interest> {
        let w = begin(ctx).await?;
        let org = w
            .find::<organisation::Entity>(
                "organisation",
                id_of("Organisation", "input.organisation", &input.organisation)?,
            )
            .await?;
        w.allow(Need::Manage, &w.organisation_owner(&org).await?)?;
        let target = w
            .find::<offer_need::Entity>(
                "offer or need",
                id_of("OfferNeed", "input.offerNeed", &input.offer_need)?,
            )
            .await?;
        if target.organisation_id == org.id {
            return Err(AppError::bad_input(
                "input.organisation",
                "an organisation cannot express interest in its own offer or need",
            )
            .into());
        }
        let already = interest::Entity::find()
            .filter(interest::Column::OfferNeedId.eq(target.id))
            .filter(interest::Column::OrganisationId.eq(org.id))
            .count(&w.txn)
            .await?;
        if already > 0 {
            return Err(AppError::Conflict(
                "this organisation has already expressed interest in it".to_owned(),
            )
            .into());
        }
        let mut message = input.message;
        let mut check = Check::new();
        check.opt_text("input.message", &mut message, 2000);
        check.finish()?;
        let now = Utc::now();
        let saved = w
            .create::<interest::Entity>(
                "Interest",
                interest::Model {
                    id: 0,
                    public_id: uuid::Uuid::nil(),
                    offer_need_id: target.id,
                    organisation_id: org.id,
                    message,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                },
            )
            .await?;
        w.interest_expressed(saved.public_id, target.organisation_id)
            .await?;
        w.commit().await?;
        Ok(Interest(saved))
    }

    /// Withdraws an expression of interest (whoever may manage the interested organisation).
    async fn withdraw_interest(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The interest's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = interest_of(&w, &id).await?;
        w.delete::<interest::Entity>("Interest", &current, None, &[])
            .await?;
        w.commit().await?;
        Ok(id)
    }
}

/// An interest the caller may withdraw; others do not learn that it exists.
async fn interest_of(w: &super::Write, id: &ID) -> AppResult<interest::Model> {
    let current = w
        .find::<interest::Entity>("interest", id_of("Interest", "id", id)?)
        .await?;
    let owner = w.organisation_owner_by_id(current.organisation_id).await?;
    if !w.actor.caller.sees_private_of(&owner) {
        return Err(AppError::not_found("no interest has this id"));
    }
    Ok(current)
}
