//! Collaborations between clusters and their participants.
//!
//! A collaboration belongs to the clusters that lead it (participants with role `LEAD` and a
//! cluster). The managers of a leading cluster, stewards of its region and admins change it and
//! its participants. Creating one needs the right to manage the cluster that will lead it.
//! Deleting one deletes its participants, KPIs and organiser links; it is refused while it is the
//! only organiser of an event. The last lead cannot be removed.

use super::cluster::sole_organiser_of;
use super::{begin, id_of, patch, set};
use crate::domain::{CollaborationStatus, ParticipantRole};
use crate::entities::{cluster, collaboration, organisation, participant};
use crate::error::{AppError, AppResult};
use crate::graphql::types::{Collaboration, Participant};
use crate::services::access::Need;
use crate::services::links::{free_slug, set_themes, slug_free, theme_ids_of};
use crate::services::validate::Check;
use crate::services::write::Write;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// A new collaboration, with the cluster that leads it.
#[derive(InputObject)]
pub struct CreateCollaborationInput {
    /// Name (1 to 200 characters).
    pub name: String,
    /// Stable short name for URLs; made from the name when omitted.
    pub slug: Option<String>,
    /// Funding programme, e.g. `Interreg Europe`.
    pub programme: String,
    /// Goals and activities (at most 10,000 characters).
    pub description: Option<String>,
    /// First day.
    pub starts_on: Option<NaiveDate>,
    /// Last day, not before the first.
    pub ends_on: Option<NaiveDate>,
    /// Budget in euro.
    pub budget_eur: Option<i64>,
    /// Status; `PLANNED` when omitted.
    pub status: Option<CollaborationStatus>,
    /// Website.
    pub website: Option<String>,
    /// Slugs of its themes.
    pub themes: Option<Vec<String>>,
    /// The cluster that leads it.
    pub lead_cluster: ID,
    /// The organisation that takes part as lead for that cluster; the cluster's managing
    /// organisation when omitted.
    pub lead_organisation: Option<ID>,
    /// Language of its name and description (English when omitted).
    pub text_language: Option<crate::domain::Language>,
}

/// Changes to a collaboration; omitted fields stay as they are, `null` clears a field.
#[derive(InputObject)]
pub struct UpdateCollaborationInput {
    /// Its id.
    pub id: ID,
    /// The `version` you last read.
    pub version: i32,
    /// Name.
    pub name: Option<String>,
    /// Funding programme.
    pub programme: Option<String>,
    /// Goals and activities.
    pub description: MaybeUndefined<String>,
    /// First day.
    pub starts_on: MaybeUndefined<NaiveDate>,
    /// Last day.
    pub ends_on: MaybeUndefined<NaiveDate>,
    /// Budget in euro.
    pub budget_eur: MaybeUndefined<i64>,
    /// Status.
    pub status: Option<CollaborationStatus>,
    /// Website.
    pub website: MaybeUndefined<String>,
    /// Slugs of its themes; replaces the current ones.
    pub themes: Option<Vec<String>>,
    /// Language of its own texts.
    pub text_language: Option<crate::domain::Language>,
}

/// A new participant in a collaboration.
#[derive(InputObject)]
pub struct AddParticipantInput {
    /// The collaboration.
    pub collaboration: ID,
    /// The participating organisation.
    pub organisation: ID,
    /// The cluster it takes part for, if any.
    pub cluster: Option<ID>,
    /// Its role.
    pub role: ParticipantRole,
}

async fn check_collaboration(
    w: &Write,
    check: &mut Check,
    draft: &mut collaboration::Model,
    saved: Option<&collaboration::Model>,
) -> AppResult<()> {
    check.text("input.name", &mut draft.name, 1, 200);
    check.text("input.programme", &mut draft.programme, 1, 200);
    check.opt_text("input.description", &mut draft.description, 10_000);
    check.url("input.website", &mut draft.website);
    check.not_negative("input.budgetEur", draft.budget_eur);
    check.in_order(
        "input.endsOn",
        draft.starts_on,
        draft.ends_on,
        "the last day",
    );
    check.slug("input.slug", &draft.slug);
    slug_free(
        &w.txn,
        check,
        "collaboration",
        "collaboration",
        &draft.slug,
        draft.id,
        saved.map(|s| s.slug.as_str()),
    )
    .await?;
    Ok(())
}

async fn add_participant(
    w: &Write,
    collaboration_id: i64,
    organisation_id: i64,
    cluster_id: Option<i64>,
    role: ParticipantRole,
) -> AppResult<participant::Model> {
    let exists = participant::Entity::find()
        .filter(participant::Column::CollaborationId.eq(collaboration_id))
        .filter(participant::Column::OrganisationId.eq(organisation_id))
        .count(&w.txn)
        .await?;
    if exists > 0 {
        return Err(AppError::Conflict(
            "the organisation already takes part in this collaboration".to_owned(),
        ));
    }
    let now = Utc::now();
    w.create::<participant::Entity>(
        "Participant",
        participant::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            collaboration_id,
            organisation_id,
            cluster_id,
            role,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await
}

/// Refuses to take away a collaboration's only lead.
async fn last_lead_stays(w: &Write, lead: &participant::Model) -> AppResult<()> {
    let leads = participant::Entity::find()
        .filter(participant::Column::CollaborationId.eq(lead.collaboration_id))
        .filter(participant::Column::Role.eq(ParticipantRole::Lead))
        .count(&w.txn)
        .await?;
    if leads <= 1 {
        return Err(AppError::Conflict(
            "this is the collaboration's only lead; add another lead first".to_owned(),
        ));
    }
    Ok(())
}

/// Collaboration and participant writes.
#[derive(Default)]
pub struct CollaborationMutation;

#[Object]
impl CollaborationMutation {
    /// Creates a collaboration led by a cluster (its managers, stewards of its region, admins).
    async fn create_collaboration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new collaboration.")] input: CreateCollaborationInput,
    ) -> async_graphql::Result<Collaboration> {
        let w = begin(ctx).await?;
        let lead = w
            .find::<cluster::Entity>(
                "cluster",
                id_of("Cluster", "input.leadCluster", &input.lead_cluster)?,
            )
            .await?;
        w.allow(Need::Manage, &w.cluster_owner(&[lead.id]).await?)?;
        let lead_org = match &input.lead_organisation {
            Some(id) => {
                w.find::<organisation::Entity>(
                    "organisation",
                    id_of("Organisation", "input.leadOrganisation", id)?,
                )
                .await?
                .id
            }
            None => lead.managing_organisation_id.ok_or_else(|| {
                AppError::bad_input(
                    "input.leadOrganisation",
                    "the lead cluster has no managing organisation; name the lead organisation",
                )
            })?,
        };
        let mut check = Check::new();
        let slug = match input.slug {
            Some(s) => s.trim().to_owned(),
            None => free_slug(&w.txn, "collaboration", &input.name).await?,
        };
        let themes = theme_ids_of(&w.txn, &mut check, input.themes.as_ref()).await?;
        let now = Utc::now();
        let mut draft = collaboration::Model {
            id: 0,
            public_id: uuid::Uuid::nil(),
            slug,
            name: input.name,
            programme: input.programme,
            description: input.description,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            budget_eur: input.budget_eur,
            status: input.status.unwrap_or(CollaborationStatus::Planned),
            website: input.website,
            created_at: now,
            updated_at: now,
            text_language: input.text_language.unwrap_or(crate::domain::Language::En),
            version: 1,
        };
        check_collaboration(&w, &mut check, &mut draft, None).await?;
        check.finish()?;
        let saved = w
            .create::<collaboration::Entity>("Collaboration", draft)
            .await?;
        add_participant(&w, saved.id, lead_org, Some(lead.id), ParticipantRole::Lead).await?;
        if let Some(themes) = themes {
            set_themes(
                &w.txn,
                "collaboration_theme",
                "collaboration_id",
                saved.id,
                &themes,
            )
            .await?;
        }
        w.commit().await?;
        Ok(Collaboration(saved))
    }

    /// Changes a collaboration (managers of a leading cluster, stewards, admins).
    async fn update_collaboration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes, with the version you last read.")]
        input: UpdateCollaborationInput,
    ) -> async_graphql::Result<Collaboration> {
        let w = begin(ctx).await?;
        let current = w
            .find::<collaboration::Entity>(
                "collaboration",
                id_of("Collaboration", "input.id", &input.id)?,
            )
            .await?;
        w.allow(Need::Manage, &w.collaboration_owner(current.id).await?)?;
        let mut check = Check::new();
        let mut draft = current.clone();
        set(&mut draft.name, input.name);
        set(&mut draft.text_language, input.text_language);
        set(&mut draft.programme, input.programme);
        patch(&mut draft.description, input.description);
        patch(&mut draft.starts_on, input.starts_on);
        patch(&mut draft.ends_on, input.ends_on);
        patch(&mut draft.budget_eur, input.budget_eur);
        set(&mut draft.status, input.status);
        patch(&mut draft.website, input.website);
        let themes = theme_ids_of(&w.txn, &mut check, input.themes.as_ref()).await?;
        check_collaboration(&w, &mut check, &mut draft, Some(&current)).await?;
        check.finish()?;
        let mut linked = Vec::new();
        if let Some(themes) = themes
            && set_themes(
                &w.txn,
                "collaboration_theme",
                "collaboration_id",
                current.id,
                &themes,
            )
            .await?
        {
            linked.push("themes");
        }
        let saved = w
            .update::<collaboration::Entity>(
                "Collaboration",
                &current,
                draft,
                input.version,
                &linked,
            )
            .await?;
        w.commit().await?;
        Ok(Collaboration(saved))
    }

    /// Deletes a collaboration with its participants, KPIs and organiser links (managers of a
    /// leading cluster, stewards, admins). Refused while it is the only organiser of an event.
    async fn delete_collaboration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
        #[graphql(desc = "The version you last read.")] version: i32,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<collaboration::Entity>("collaboration", id_of("Collaboration", "id", &id)?)
            .await?;
        w.allow(Need::Manage, &w.collaboration_owner(current.id).await?)?;
        let sole = sole_organiser_of(&w, "collaboration_id", current.id).await?;
        if sole > 0 {
            return Err(AppError::Conflict(format!(
                "this collaboration is the only organiser of {sole} event(s); delete them or add another organiser first"
            ))
            .into());
        }
        w.delete::<collaboration::Entity>(
            "Collaboration",
            &current,
            Some(version),
            &["participants", "kpis", "themes"],
        )
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Adds a participant (managers of a leading cluster, stewards, admins).
    async fn add_participant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The participant.")] input: AddParticipantInput,
    ) -> async_graphql::Result<Participant> {
        let w = begin(ctx).await?;
        let collab = w
            .find::<collaboration::Entity>(
                "collaboration",
                id_of("Collaboration", "input.collaboration", &input.collaboration)?,
            )
            .await?;
        w.allow(Need::Manage, &w.collaboration_owner(collab.id).await?)?;
        let org = w
            .find::<organisation::Entity>(
                "organisation",
                id_of("Organisation", "input.organisation", &input.organisation)?,
            )
            .await?;
        let cluster_id = match &input.cluster {
            Some(id) => Some(
                w.find::<cluster::Entity>("cluster", id_of("Cluster", "input.cluster", id)?)
                    .await?
                    .id,
            ),
            None => None,
        };
        let saved = add_participant(&w, collab.id, org.id, cluster_id, input.role).await?;
        w.commit().await?;
        Ok(Participant(saved))
    }

    /// Changes a participant's role (managers of a leading cluster, stewards, admins). The last
    /// lead keeps its role.
    async fn update_participant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The participant's id.")] id: ID,
        #[graphql(desc = "The version you last read.")] version: i32,
        #[graphql(desc = "Its new role.")] role: ParticipantRole,
    ) -> async_graphql::Result<Participant> {
        let w = begin(ctx).await?;
        let current = w
            .find::<participant::Entity>("participant", id_of("Participant", "id", &id)?)
            .await?;
        w.allow(
            Need::Manage,
            &w.collaboration_owner(current.collaboration_id).await?,
        )?;
        if current.role == ParticipantRole::Lead && role != ParticipantRole::Lead {
            last_lead_stays(&w, &current).await?;
        }
        let draft = participant::Model {
            role,
            ..current.clone()
        };
        let saved = w
            .update::<participant::Entity>("Participant", &current, draft, version, &[])
            .await?;
        w.commit().await?;
        Ok(Participant(saved))
    }

    /// Removes a participant (managers of a leading cluster, stewards, admins). The last lead
    /// cannot be removed.
    async fn remove_participant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The participant's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let w = begin(ctx).await?;
        let current = w
            .find::<participant::Entity>("participant", id_of("Participant", "id", &id)?)
            .await?;
        w.allow(
            Need::Manage,
            &w.collaboration_owner(current.collaboration_id).await?,
        )?;
        if current.role == ParticipantRole::Lead {
            last_lead_stays(&w, &current).await?;
        }
        w.delete::<participant::Entity>("Participant", &current, None, &[])
            .await?;
        w.commit().await?;
        Ok(id)
    }
}
