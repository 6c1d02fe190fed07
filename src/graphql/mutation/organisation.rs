//! Creating, changing and deleting organisations, their memberships and their contacts.
//!
//! Stewards (in their region) and admins create and delete organisations. A cluster manager
//! creates organisations as members of their cluster, and changes the organisations that are
//! members of it, with their contacts. Memberships are managed by the cluster's managers. Deleting
//! an organisation deletes its memberships, contacts, offers and needs, expressions of interest and
//! participations with it; it is refused while it runs a cluster or is the only organiser of an
//! event.

use super::cluster::sole_organiser_of;
use super::{begin, id_of, patch, set};
use crate::domain::{MembershipRole, OrganisationType, SizeClass, Visibility};
use crate::entities::{cluster, contact, membership, organisation};
use crate::error::{AppError, AppResult};
use crate::graphql::types::{Contact, Membership, Organisation};
use crate::services::access::{Need, Owner};
use crate::services::import::{ImportFormat, ImportReport, import};
use crate::services::links::{free_slug, place, set_themes, slug_free, theme_ids_of};
use crate::services::organisation::{check_organisation_fields, pack_codes};
use crate::services::validate::Check;
use crate::services::write::Write;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// A new organisation.
#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// Name (1 to 200 characters).
    pub name: String,
    /// Stable short name for URLs; made from the name when omitted.
    pub slug: Option<String>,
    /// Place in the quadruple helix.
    #[graphql(name = "type")]
    pub org_type: OrganisationType,
    /// EU SME size class.
    pub size_class: Option<SizeClass>,
    /// Number of staff.
    pub headcount: Option<i32>,
    /// NACE codes of its activities, e.g. `C32.30`.
    pub nace_codes: Option<Vec<String>>,
    /// Country (ISO 3166-1 alpha-2).
    pub country_code: String,
    /// NUTS code of its region, in its country.
    pub region: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Website (an `http` or `https` URL).
    pub website: Option<String>,
    /// What the organisation does (at most 5,000 characters).
    pub description: Option<String>,
    /// Your own stable id for it (at most 128 characters), e.g. from your CRM; imports match on it.
    pub external_id: Option<String>,
    /// Slugs of its themes.
    pub themes: Option<Vec<String>>,
    /// A cluster it joins as a member at once (cluster managers must give their own cluster).
    pub cluster: Option<ID>,
    /// Language of its name and description (English when omitted).
    pub text_language: Option<crate::domain::Language>,
}

/// Changes to an organisation; omitted fields stay as they are, `null` clears a field.
#[derive(InputObject)]
pub struct UpdateOrganisationInput {
    /// The organisation's id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// Name.
    pub name: Option<String>,
    /// Place in the quadruple helix.
    #[graphql(name = "type")]
    pub org_type: Option<OrganisationType>,
    /// EU SME size class.
    pub size_class: MaybeUndefined<SizeClass>,
    /// Number of staff.
    pub headcount: MaybeUndefined<i32>,
    /// NACE codes; replaces the current ones.
    pub nace_codes: Option<Vec<String>>,
    /// Country (ISO 3166-1 alpha-2).
    pub country_code: Option<String>,
    /// NUTS code of its region.
    pub region: MaybeUndefined<String>,
    /// City.
    pub city: MaybeUndefined<String>,
    /// Website.
    pub website: MaybeUndefined<String>,
    /// What the organisation does.
    pub description: MaybeUndefined<String>,
    /// Your own stable id for it.
    pub external_id: MaybeUndefined<String>,
    /// Slugs of its themes; replaces the current ones.
    pub themes: Option<Vec<String>>,
    /// Language of its own texts.
    pub text_language: Option<crate::domain::Language>,
}

/// A new membership of an organisation in a cluster.
#[derive(InputObject)]
pub struct AddMembershipInput {
    /// The cluster's id.
    pub cluster: ID,
    /// The organisation's id.
    pub organisation: ID,
    /// Its role in the cluster; `MEMBER` when omitted.
    pub role: Option<MembershipRole>,
    /// Member since.
    pub since: Option<NaiveDate>,
    /// Member until.
    pub until: Option<NaiveDate>,
}

/// Changes to a membership.
#[derive(InputObject)]
pub struct UpdateMembershipInput {
    /// The membership's id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// Its role in the cluster.
    pub role: Option<MembershipRole>,
    /// Member since.
    pub since: MaybeUndefined<NaiveDate>,
    /// Member until.
    pub until: MaybeUndefined<NaiveDate>,
}

/// A new contact person of an organisation.
#[derive(InputObject)]
pub struct CreateContactInput {
    /// The organisation's id.
    pub organisation: ID,
    /// Full name.
    pub name: String,
    /// Role or job title.
    pub role: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Who may see the contact; `PRIVATE` when omitted.
    pub visibility: Option<Visibility>,
}

/// Changes to a contact person.
#[derive(InputObject)]
pub struct UpdateContactInput {
    /// The contact's id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// Full name.
    pub name: Option<String>,
    /// Role or job title.
    pub role: MaybeUndefined<String>,
    /// E-mail address.
    pub email: MaybeUndefined<String>,
    /// Phone number.
    pub phone: MaybeUndefined<String>,
    /// Who may see the contact.
    pub visibility: Option<Visibility>,
}

/// Checks an organisation as it would be saved.
pub async fn check_organisation(
    w: &Write,
    check: &mut Check,
    draft: &mut organisation::Model,
    region: Option<&str>,
    saved: Option<&organisation::Model>,
) -> AppResult<()> {
    check_organisation_fields(check, draft);
    if let Some(code) = region {
        draft.region_id = place(
            &w.txn,
            check,
            "input.region",
            Some(code),
            &draft.country_code,
        )
        .await?;
    }
    slug_free(
        &w.txn,
        check,
        "organisation",
        "organisation",
        &draft.slug,
        draft.id,
        saved.map(|s| s.slug.as_str()),
    )
    .await?;
    // An external id kept as it is needs no look either.
    if let Some(ext) = &draft.external_id
        && saved.is_none_or(|s| s.external_id.as_ref() != Some(ext))
    {
        let taken = organisation::Entity::find()
            .filter(organisation::Column::ExternalId.eq(ext.clone()))
            .filter(organisation::Column::Id.ne(draft.id))
            .count(&w.txn)
            .await?;
        if taken > 0 {
            check.fail(
                "input.externalId",
                format!("the external id `{ext}` belongs to another organisation"),
            );
        }
    }
    Ok(())
}

/// Normalises NACE codes as typed by people (`c32.30 ` becomes `C32.30`).
fn nace(codes: Vec<String>) -> Option<String> {
    let codes: Vec<String> = codes
        .into_iter()
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    pack_codes(&codes)
}

/// Checks a contact as it would be saved.
fn check_contact(check: &mut Check, draft: &mut contact::Model) {
    check.text("input.name", &mut draft.name, 1, 200);
    check.opt_text("input.role", &mut draft.role, 200);
    check.email("input.email", &mut draft.email);
    check.phone("input.phone", &mut draft.phone);
}

/// A file of organisations to import into one cluster.
#[derive(InputObject)]
pub struct ImportOrganisationsInput {
    /// The cluster the organisations join (or are already members of).
    pub cluster: ID,
    /// The file's format.
    pub format: ImportFormat,
    /// The file's content. CSV needs a header row; JSON is an array of objects. The columns are
    /// `external_id`, `name`, `type`, `size_class`, `headcount`, `nace_codes`, `country_code`,
    /// `region`, `city`, `website`, `description`, `themes`, `role`, `since`, `until`,
    /// `contact_name`, `contact_role`, `contact_email`, `contact_phone`, `contact_visibility`.
    pub data: String,
    /// Only check the file and count what would change; write nothing.
    pub dry_run: Option<bool>,
}

/// Organisation, membership and contact writes.
#[derive(Default)]
pub struct OrganisationMutation;

#[Object]
impl OrganisationMutation {
    /// Creates an organisation: stewards of its region and admins, or a cluster's managers when it
    /// joins their cluster at once (`cluster`).
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new organisation.")] input: CreateOrganisationInput,
    ) -> async_graphql::Result<Organisation> {
        let w = begin(ctx).await?;
        let joins = match &input.cluster {
            Some(id) => Some(
                w.find::<cluster::Entity>("cluster", id_of("Cluster", "input.cluster", id)?)
                    .await?,
            ),
            None => None,
        };
        match &joins {
            Some(c) => w.allow(Need::Manage, &w.cluster_owner(&[c.id]).await?)?,
            None => w.allow(
                Need::Steward,
                &Owner {
                    clusters: Vec::new(),
                    regions: vec![
                        input
                            .region
                            .as_deref()
                            .unwrap_or(&input.country_code)
                            .trim()
                            .to_ascii_uppercase(),
                    ],
                },
            )?,
        }
        let mut check = Check::new();
        let slug = match input.slug {
            Some(s) => s.trim().to_owned(),
            None => free_slug(&w.txn, "organisation", &input.name).await?,
        };
        let themes = theme_ids_of(&w.txn, &mut check, input.themes.as_ref()).await?;
        let now = chrono::Utc::now();
        let mut draft = organisation::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            slug,
            name: input.name,
            org_type: input.org_type,
            size_class: input.size_class,
            headcount: input.headcount,
            nace_codes: nace(input.nace_codes.unwrap_or_default()),
            nace_version: Some("NACE Rev. 2".to_owned()),
            country_code: input.country_code,
            region_id: None,
            city: input.city,
            website: input.website,
            description: input.description,
            created_at: now,
            updated_at: now,
            text_language: input.text_language.unwrap_or(crate::domain::Language::En),
            version: 1,
            external_id: input.external_id,
        };
        check_organisation(&w, &mut check, &mut draft, input.region.as_deref(), None).await?;
        check.finish()?;
        let saved = w
            .create::<organisation::Entity>("Organisation", draft)
            .await?;
        if let Some(themes) = themes {
            set_themes(
                &w.txn,
                "organisation_theme",
                "organisation_id",
                saved.id,
                &themes,
            )
            .await?;
        }
        if let Some(c) = joins {
            add_membership(&w, c.id, saved.id, MembershipRole::Member, None, None).await?;
        }
        w.commit().await?;
        Ok(Organisation(saved))
    }

    /// Changes an organisation (managers of its clusters, stewards of its region, admins).
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")]
        input: UpdateOrganisationInput,
    ) -> async_graphql::Result<Organisation> {
        let w = begin(ctx).await?;
        let current = w
            .find::<organisation::Entity>(
                "organisation",
                id_of("Organisation", "input.id", &input.id)?,
            )
            .await?;
        let owner = w.organisation_owner(&current).await?;
        w.allow(Need::Manage, &owner)?;
        let mut check = Check::new();
        let mut draft = current.clone();
        set(&mut draft.name, input.name);
        set(&mut draft.text_language, input.text_language);
        set(&mut draft.org_type, input.org_type);
        patch(&mut draft.size_class, input.size_class);
        patch(&mut draft.headcount, input.headcount);
        if let Some(codes) = input.nace_codes {
            draft.nace_codes = nace(codes);
        }
        set(&mut draft.country_code, input.country_code);
        patch(&mut draft.city, input.city);
        patch(&mut draft.website, input.website);
        patch(&mut draft.description, input.description);
        patch(&mut draft.external_id, input.external_id);
        let region = match input.region {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => {
                draft.region_id = None;
                None
            }
            MaybeUndefined::Value(code) => Some(code),
        };
        let themes = theme_ids_of(&w.txn, &mut check, input.themes.as_ref()).await?;
        check_organisation(
            &w,
            &mut check,
            &mut draft,
            region.as_deref(),
            Some(&current),
        )
        .await?;
        check.finish()?;
        if draft.region_id != current.region_id && owner.clusters.is_empty() {
            let code = region.as_deref().unwrap_or(&draft.country_code);
            w.allow(
                Need::Steward,
                &Owner {
                    clusters: Vec::new(),
                    regions: vec![code.to_ascii_uppercase()],
                },
            )?;
        }
        let mut linked = Vec::new();
        if let Some(themes) = themes
            && set_themes(
                &w.txn,
                "organisation_theme",
                "organisation_id",
                current.id,
                &themes,
            )
            .await?
        {
            linked.push("themes");
        }
        let saved = w
            .update::<organisation::Entity>("Organisation", &current, draft, input.version, &linked)
            .await?;
        w.commit().await?;
        Ok(Organisation(saved))
    }

    /// Deletes an organisation with its memberships, contacts, offers and needs, expressions of
    /// interest and participations (stewards of its region and admins). Refused while it runs a
    /// cluster or is the only organiser of an event.
    async fn delete_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation's id.")] id: ID,
        #[graphql(desc = "The version you last read.")] version: i32,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<organisation::Entity>("organisation", id_of("Organisation", "id", &id)?)
            .await?;
        w.allow(Need::Steward, &w.organisation_owner(&current).await?)?;
        let runs = cluster::Entity::find()
            .filter(cluster::Column::ManagingOrganisationId.eq(current.id))
            .count(&w.txn)
            .await?;
        if runs > 0 {
            return Err(AppError::Conflict(format!(
                "this organisation runs {runs} cluster(s); give them another managing organisation first"
            ))
            .into());
        }
        let sole = sole_organiser_of(&w, "organisation_id", current.id).await?;
        if sole > 0 {
            return Err(AppError::Conflict(format!(
                "this organisation is the only organiser of {sole} event(s); delete them or add another organiser first"
            ))
            .into());
        }
        w.delete::<organisation::Entity>(
            "Organisation",
            &current,
            Some(version),
            &[
                "memberships",
                "contacts",
                "offersAndNeeds",
                "interests",
                "participations",
            ],
        )
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Imports organisations with their membership and contacts into a cluster (its managers,
    /// stewards of its region, admins). Every row is checked first and every problem reported
    /// (`rows[N].field`); either all rows are written or none. Rows match existing organisations
    /// by `external_id`, else by `website`, so importing a file again updates instead of
    /// duplicating; cells left empty clear the field.
    async fn import_organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file and the cluster.")] input: ImportOrganisationsInput,
    ) -> async_graphql::Result<ImportReport> {
        let w = begin(ctx).await?;
        let c = w
            .find::<cluster::Entity>(
                "cluster",
                id_of("Cluster", "input.cluster", &input.cluster)?,
            )
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[c.id]).await?)?;
        let dry_run = input.dry_run.unwrap_or(false);
        let report = import(&w, c.id, input.format, &input.data, dry_run).await?;
        if !dry_run {
            w.commit().await?;
        }
        Ok(report)
    }

    /// Adds an organisation to a cluster (the cluster's managers, stewards of its region, admins).
    async fn add_membership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The membership.")] input: AddMembershipInput,
    ) -> async_graphql::Result<Membership> {
        let w = begin(ctx).await?;
        let c = w
            .find::<cluster::Entity>(
                "cluster",
                id_of("Cluster", "input.cluster", &input.cluster)?,
            )
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[c.id]).await?)?;
        let org = w
            .find::<organisation::Entity>(
                "organisation",
                id_of("Organisation", "input.organisation", &input.organisation)?,
            )
            .await?;
        let saved = add_membership(
            &w,
            c.id,
            org.id,
            input.role.unwrap_or(MembershipRole::Member),
            input.since,
            input.until,
        )
        .await?;
        w.commit().await?;
        Ok(Membership(saved))
    }

    /// Changes a membership's role or dates (the cluster's managers, stewards, admins).
    async fn update_membership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")]
        input: UpdateMembershipInput,
    ) -> async_graphql::Result<Membership> {
        let w = begin(ctx).await?;
        let current = w
            .find::<membership::Entity>("membership", id_of("Membership", "input.id", &input.id)?)
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[current.cluster_id]).await?)?;
        let mut draft = current.clone();
        set(&mut draft.role, input.role);
        patch(&mut draft.since, input.since);
        patch(&mut draft.until, input.until);
        let mut check = Check::new();
        check.in_order(
            "input.until",
            draft.since,
            draft.until,
            "the end of a membership",
        );
        check.finish()?;
        let saved = w
            .update::<membership::Entity>("Membership", &current, draft, input.version, &[])
            .await?;
        w.commit().await?;
        Ok(Membership(saved))
    }

    /// Ends a membership by removing it (the cluster's managers, stewards, admins).
    async fn remove_membership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The membership's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<membership::Entity>("membership", id_of("Membership", "id", &id)?)
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[current.cluster_id]).await?)?;
        w.delete::<membership::Entity>("Membership", &current, None, &[])
            .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Adds a contact person to an organisation (managers of its clusters, stewards, admins).
    async fn create_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new contact.")] input: CreateContactInput,
    ) -> async_graphql::Result<Contact> {
        let w = begin(ctx).await?;
        let org = w
            .find::<organisation::Entity>(
                "organisation",
                id_of("Organisation", "input.organisation", &input.organisation)?,
            )
            .await?;
        w.allow(Need::Manage, &w.organisation_owner(&org).await?)?;
        let now = chrono::Utc::now();
        let mut draft = contact::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            organisation_id: org.id,
            name: input.name,
            role: input.role,
            email: input.email,
            phone: input.phone,
            visibility: input.visibility.unwrap_or(Visibility::Private),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut check = Check::new();
        check_contact(&mut check, &mut draft);
        check.finish()?;
        let saved = w.create::<contact::Entity>("Contact", draft).await?;
        w.commit().await?;
        Ok(Contact(saved))
    }

    /// Changes a contact person (managers of the organisation's clusters, stewards, admins).
    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")] input: UpdateContactInput,
    ) -> async_graphql::Result<Contact> {
        let w = begin(ctx).await?;
        let current = contact_for_owner(&w, "input.id", &input.id).await?;
        let mut draft = current.clone();
        set(&mut draft.name, input.name);
        patch(&mut draft.role, input.role);
        patch(&mut draft.email, input.email);
        patch(&mut draft.phone, input.phone);
        set(&mut draft.visibility, input.visibility);
        let mut check = Check::new();
        check_contact(&mut check, &mut draft);
        check.finish()?;
        let saved = w
            .update::<contact::Entity>("Contact", &current, draft, input.version, &[])
            .await?;
        w.commit().await?;
        Ok(Contact(saved))
    }

    /// Removes a contact person (managers of the organisation's clusters, stewards, admins).
    async fn delete_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = contact_for_owner(&w, "id", &id).await?;
        w.delete::<contact::Entity>("Contact", &current, None, &[])
            .await?;
        w.commit().await?;
        Ok(id)
    }
}

/// A contact the caller may change. One the caller may not even see is `NOT_FOUND`, so that a
/// write never reveals that a hidden contact exists.
async fn contact_for_owner(w: &Write, field: &str, id: &ID) -> AppResult<contact::Model> {
    let current = w
        .find::<contact::Entity>("contact", id_of("Contact", field, id)?)
        .await?;
    let owner = w.organisation_owner_by_id(current.organisation_id).await?;
    if current.visibility != Visibility::Public && !w.actor.caller.sees_private_of(&owner) {
        return Err(AppError::not_found("no contact has this id"));
    }
    w.allow(Need::Manage, &owner)?;
    Ok(current)
}

/// Adds a membership; an organisation is a member of a cluster at most once.
async fn add_membership(
    w: &Write,
    cluster_id: i64,
    organisation_id: i64,
    role: MembershipRole,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> AppResult<membership::Model> {
    let mut check = Check::new();
    check.in_order("input.until", since, until, "the end of a membership");
    check.finish()?;
    let exists = membership::Entity::find()
        .filter(membership::Column::ClusterId.eq(cluster_id))
        .filter(membership::Column::OrganisationId.eq(organisation_id))
        .count(&w.txn)
        .await?;
    if exists > 0 {
        return Err(AppError::Conflict(
            "the organisation is already a member of this cluster; change that membership instead"
                .to_owned(),
        ));
    }
    let now = chrono::Utc::now();
    w.create::<membership::Entity>(
        "Membership",
        membership::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            cluster_id,
            organisation_id,
            role,
            since,
            until,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await
}
