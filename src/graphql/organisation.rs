//! Organisations (the quadruple helix), their memberships of clusters and their contact persons.

use super::connection::*;
use super::i18n::{LocalizedText, Translatable, Translation, translations_of};
use super::loader::Loaders;
use super::node::{global_id, lookup_with_list};
use super::ordering::{Ordering, by_creation, by_name};
use super::region::{region_of, themes_of};
use super::types::*;
use crate::domain::Language;
use crate::domain::{MembershipRole, OrganisationType, SizeClass, Visibility};
use crate::entities::{
    cluster, contact, membership, offer_need, organisation, participant, region,
};
use crate::error::AppError;
use crate::services::access::{Caller, visible_contacts};
use crate::services::filter::{CountryCode, NutsPrefix, Text};
use crate::services::organisation::{OrganisationFilter, unpack_codes};
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

wrapper!(
    /// A member organisation: company, start-up, knowledge institution, university, SportFieldLab,
    /// public authority, sports club or federation, or network.
    Organisation, organisation
);
wrapper!(
    /// An organisation's membership of a cluster, with its role and dates.
    Membership, membership
);
wrapper!(
    /// A contact person at an organisation. Personal data: only contacts the caller may see are
    /// ever returned (anonymous callers see `PUBLIC` ones).
    Contact, contact
);

/// An organisation's `memberships`, each reaching its cluster.
fn memberships_of_organisation()
-> async_graphql::Result<NestedList<membership::Model, cluster::Entity>> {
    Ok(NestedList::new(
        "memberships",
        || membership::Entity::find().into_query(),
        ("membership", "organisation_id"),
        by_creation("membership").sort(None)?,
        ("cluster", "cluster_id"),
    ))
}

/// Narrows a list of organisations; every part given must match.
#[derive(InputObject, Default, Clone)]
pub struct OrganisationFilterInput {
    /// Of any of these helix types.
    pub types: Option<Vec<OrganisationType>>,
    /// Of any of these EU size classes.
    pub size_classes: Option<Vec<SizeClass>>,
    /// Member of any of these clusters (slugs).
    pub clusters: Option<Vec<String>>,
    /// Working on any of these themes (slugs).
    pub themes: Option<Vec<String>>,
    /// In this country (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// In a region whose NUTS code starts with this.
    pub region: Option<String>,
    /// With a NACE Rev. 2 code starting with this, e.g. `C32` or `R93.1`.
    pub nace: Option<String>,
    /// Name or description contains this text (case-insensitive).
    pub text: Option<String>,
}

impl OrganisationFilterInput {
    /// Validates the filter.
    pub fn parse(self) -> Result<OrganisationFilter, AppError> {
        let nace = match self.nace.map(|n| n.trim().to_ascii_uppercase()) {
            Some(n)
                if n.is_empty()
                    || n.len() > 8
                    || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') =>
            {
                return Err(AppError::bad_input(
                    "filter.nace",
                    "give the start of a NACE code, such as `C32` or `R93.1`",
                ));
            }
            other => other,
        };
        Ok(OrganisationFilter {
            types: self.types.unwrap_or_default(),
            size_classes: self.size_classes.unwrap_or_default(),
            clusters: self.clusters.unwrap_or_default(),
            themes: self.themes.unwrap_or_default(),
            country: self
                .country
                .map(|c| CountryCode::parse("filter.country", &c))
                .transpose()?,
            region: self
                .region
                .map(|r| NutsPrefix::parse("filter.region", &r))
                .transpose()?,
            nace,
            text: self
                .text
                .map(|t| Text::parse("filter.text", &t))
                .transpose()?
                .flatten(),
        })
    }
}

/// The top-level organisation queries.
#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// One organisation, by `id` or by `slug` (give exactly one).
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation's id.")] id: Option<ID>,
        #[graphql(desc = "The organisation's slug, e.g. `epsi`.")] slug: Option<String>,
    ) -> async_graphql::Result<Option<Organisation>> {
        Ok(Some(Organisation(
            lookup_with_list::<organisation::Entity, _, _>(
                ctx,
                "Organisation",
                id,
                "slug",
                organisation::Column::Slug,
                slug,
                memberships_of_organisation()?,
            )
            .await?,
        )))
    }

    /// Organisations, filtered and ordered; by name when no order is given.
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<OrganisationFilterInput>,
        #[graphql(desc = "Order of the list; by name when omitted.")] order_by: Option<Ordering>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<OrganisationConnection> {
        let sort = by_name("organisation").sort(order_by)?;
        let filter = filter.unwrap_or_default().parse()?;
        let q = organisation::Entity::find()
            .filter(filter.condition())
            .into_query();
        let q = narrow::<organisation::Entity>(ctx, q);
        top_joined::<organisation::Model, region::Entity, _>(
            ctx,
            q,
            sort,
            PageArgs::new(first, after, last, before),
            "region",
            "region_id",
        )
        .await
    }
}

impl Narrow for organisation::Entity {
    const PRECISE: bool = true;

    fn columns_of(field: &str) -> Option<&'static [&'static str]> {
        Some(match field {
            "__typename" | "translations" | "themes" | "memberships" | "contacts"
            | "offersAndNeeds" | "participations" | "counterparts" => &[],
            "id" => &["public_id"],
            "version" => &["version"],
            "slug" => &["slug"],
            // A localized text falls back to the row's own, in the row's language.
            "name" | "localizedName" => &["name", "text_language"],
            "textLanguage" => &["text_language"],
            "type" => &["org_type"],
            "sizeClass" => &["size_class"],
            "headcount" => &["headcount"],
            "naceCodes" => &["nace_codes"],
            "naceVersion" => &["nace_version"],
            "countryCode" => &["country_code"],
            "city" => &["city"],
            "website" => &["website"],
            "description" | "localizedDescription" => &["description", "text_language"],
            "region" => &["region_id"],
            "createdAt" => &["created_at"],
            "updatedAt" => &["updated_at"],
            _ => return None,
        })
    }
}

impl Narrow for membership::Entity {
    const PRECISE: bool = true;

    fn columns_of(field: &str) -> Option<&'static [&'static str]> {
        Some(match field {
            "__typename" => &[],
            "id" => &["public_id"],
            "version" => &["version"],
            "role" => &["role"],
            "since" => &["since"],
            "until" => &["until"],
            "cluster" => &["cluster_id"],
            "organisation" => &["organisation_id"],
            "createdAt" => &["created_at"],
            _ => return None,
        })
    }
}

/// A member organisation: company, start-up, knowledge institution, university, SportFieldLab,
/// public authority, sports club or federation, or network.
#[Object]
impl Organisation {
    /// Organisations of other clusters whose offers or needs best answer this organisation's,
    /// best first, each with its best pair and the score explained. Computed for one
    /// organisation at a time: under a list of more than one, the query is refused with
    /// `QUERY_TOO_COSTLY`.
    async fn counterparts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the best n counterparts (1 to 50, default 10).")] first: Option<
            i32,
        >,
    ) -> async_graphql::Result<Vec<super::matchmaking::Counterpart>> {
        let n = super::matchmaking::wanted(first)?;
        let db = &ctx.data::<Loaders>()?.db.reads;
        // Boxed: inline, this future would set the size of every field's (see `Boxed`).
        Ok(
            Box::pin(crate::services::matchmaking::counterparts(db, self.0.id, n))
                .await?
                .into_iter()
                .map(|(own, scored)| super::matchmaking::Counterpart(own, scored))
                .collect(),
        )
    }
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Organisation", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Stable short name; use it in filters and URLs.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Name of the organisation. In the language asked for with `lang` or `Accept-Language`, falling back to
    /// English, then to the original; as written when no language is asked for.
    async fn name(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language wanted; overrides `Accept-Language`.")] lang: Option<
            Language,
        >,
    ) -> async_graphql::Result<String> {
        Ok(self
            .localized(ctx, "name", Some(&self.0.name), lang)
            .await?
            .map(|t| t.text)
            .unwrap_or_default())
    }
    /// The name as `name` chooses it, with the language it is in.
    async fn localized_name(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language wanted; overrides `Accept-Language`.")] lang: Option<
            Language,
        >,
    ) -> async_graphql::Result<Option<LocalizedText>> {
        self.localized(ctx, "name", Some(&self.0.name), lang).await
    }
    /// The language its own texts are written in.
    async fn text_language(&self) -> Language {
        self.0.text_language
    }
    /// Every stored translation of its texts.
    async fn translations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Translation>> {
        translations_of(ctx, <Self as Translatable>::KIND, self.0.id).await
    }
    /// Place in the quadruple helix.
    #[graphql(name = "type")]
    async fn org_type(&self) -> OrganisationType {
        self.0.org_type
    }
    /// EU enterprise size class, for companies.
    async fn size_class(&self) -> Option<SizeClass> {
        self.0.size_class
    }
    /// Number of staff (headcount), when known.
    async fn headcount(&self) -> Option<i32> {
        self.0.headcount
    }
    /// NACE codes of the organisation's activities, e.g. `C32.30` (sports goods).
    async fn nace_codes(&self) -> Vec<String> {
        unpack_codes(self.0.nace_codes.as_deref())
    }
    /// Version of the NACE classification the codes are from, e.g. `NACE Rev. 2`.
    async fn nace_version(&self) -> Option<&str> {
        self.0.nace_version.as_deref()
    }
    /// ISO 3166-1 alpha-2 code of the organisation's country.
    async fn country_code(&self) -> &str {
        &self.0.country_code
    }
    /// City.
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    /// Website.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    /// What the organisation does. Chosen like `name`.
    async fn description(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language wanted; overrides `Accept-Language`.")] lang: Option<
            Language,
        >,
    ) -> async_graphql::Result<Option<String>> {
        Ok(self
            .localized(ctx, "description", self.0.description.as_deref(), lang)
            .await?
            .map(|t| t.text))
    }
    /// The description as `description` chooses it, with the language it is in.
    async fn localized_description(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language wanted; overrides `Accept-Language`.")] lang: Option<
            Language,
        >,
    ) -> async_graphql::Result<Option<LocalizedText>> {
        self.localized(ctx, "description", self.0.description.as_deref(), lang)
            .await
    }
    /// The region the organisation is based in.
    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Region>> {
        region_of(ctx, self.0.region_id).await
    }
    /// Themes the organisation works on.
    async fn themes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ThemeConnection> {
        themes_of(
            ctx,
            self.0.id,
            "organisation_theme",
            "organisation_id",
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// The clusters the organisation belongs to, with its role in each.
    async fn memberships(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<MembershipConnection> {
        memberships_of_organisation()?
            .resolve(ctx, self.0.id, PageArgs::new(first, after, last, before))
            .await
    }
    /// Contact persons the caller may see.
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ContactConnection> {
        let caller = ctx.data::<Caller>()?;
        let q = || {
            contact::Entity::find()
                .filter(visible_contacts(caller))
                .into_query()
        };
        let sort = by_name("contact").sort(None)?;
        nested::<contact::Model, _, _>(
            ctx,
            self.0.id,
            q,
            ("contact", "organisation_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// What the organisation offers and needs.
    async fn offers_and_needs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<OfferNeedConnection> {
        let sort = by_creation("offer_need").sort(None)?;
        nested::<offer_need::Model, _, _>(
            ctx,
            self.0.id,
            || offer_need::Entity::find().into_query(),
            ("offer_need", "organisation_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// The organisation's part in collaborations, with its role.
    async fn participations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ParticipantConnection> {
        let sort = by_creation("participant").sort(None)?;
        nested::<participant::Model, _, _>(
            ctx,
            self.0.id,
            || participant::Entity::find().into_query(),
            ("participant", "organisation_id"),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
    /// When this record was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When this record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An organisation's membership of a cluster, with its role and dates.
#[Object]
impl Membership {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Membership", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The organisation's role in the cluster.
    async fn role(&self) -> MembershipRole {
        self.0.role
    }
    /// Member since this day.
    async fn since(&self) -> Option<NaiveDate> {
        self.0.since
    }
    /// Member until this day.
    async fn until(&self) -> Option<NaiveDate> {
        self.0.until
    }
    /// The cluster.
    async fn cluster(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Cluster>> {
        Ok(ctx
            .data::<Loaders>()?
            .one_covering::<cluster::Entity>(self.0.cluster_id, needed::<cluster::Entity>(ctx))
            .await?
            .map(Cluster))
    }
    /// The member organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        Ok(ctx
            .data::<Loaders>()?
            .one_covering::<organisation::Entity>(
                self.0.organisation_id,
                needed::<organisation::Entity>(ctx),
            )
            .await?
            .map(Organisation))
    }
    /// When this record was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A contact person at an organisation. Personal data: only contacts the caller may see are
/// ever returned (anonymous callers see `PUBLIC` ones).
#[Object]
impl Contact {
    /// Globally unique, stable id.
    pub async fn id(&self) -> ID {
        global_id("Contact", self.0.public_id)
    }
    /// Version of this record, raised by every change; send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Role or job title at the organisation.
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }
    /// Email address.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Phone number in international format.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// Who may see this contact.
    async fn visibility(&self) -> Visibility {
        self.0.visibility
    }
    /// The organisation the person works at.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<organisation::Entity>(self.0.organisation_id)
            .await?
            .map(Organisation))
    }
}
