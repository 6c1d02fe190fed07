//! API keys and the audit log: what only admins manage and read.

use super::{begin, caller};
use crate::domain::Role;
use crate::entities::{api_key, audit_entry, cluster, region};
use crate::error::AppError;
use crate::graphql::connection::{PageArgs, top};
use crate::graphql::loader::Loaders;
use crate::graphql::node::global_id;
use crate::services::access::{Need, Owner};
use crate::services::keys::{self, NewKey};
use crate::services::page::{KeyKind, Sort};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, QueryTrait};

/// An API key, without its secret.
#[derive(Clone, Debug)]
pub struct ApiKey(pub api_key::Model);

/// An API key, without its secret.
#[Object]
impl ApiKey {
    /// Globally unique, stable id.
    async fn id(&self) -> ID {
        global_id("ApiKey", self.0.public_id)
    }
    /// The first characters of the key after `cdk_`, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    /// Whose key it is and what for.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the key may do.
    async fn role(&self) -> Role {
        self.0.role
    }
    /// For stewards: the NUTS code of their region.
    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let Some(id) = self.0.region_id else {
            return Ok(None);
        };
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders.one::<region::Entity>(id).await?.map(|r| r.code))
    }
    /// For cluster managers: the slug of their cluster.
    async fn cluster(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let Some(id) = self.0.cluster_id else {
            return Ok(None);
        };
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders.one::<cluster::Entity>(id).await?.map(|c| c.slug))
    }
    /// When the key stops working, if ever.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// When the key was revoked; null while it works.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// When the key was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A new key with its secret, which is shown this once and never again.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    /// The key.
    pub key: ApiKey,
    /// The secret to send as `Authorization: Bearer <secret>`. Store it now: only its hash is kept.
    pub secret: String,
}

/// A new API key.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// Whose key it is and what for, e.g. `INDESCAT cluster office`.
    pub name: String,
    /// What the key may do.
    pub role: Role,
    /// For stewards (and only them): the NUTS code of their region.
    pub region: Option<String>,
    /// For cluster managers (and only them): the slug of their cluster.
    pub cluster: Option<String>,
    /// When the key stops working; never when omitted.
    pub expires_at: Option<DateTime<Utc>>,
}

/// One entry of the audit log: who changed what, when. Values are never recorded, only the names
/// of the changed fields.
#[derive(Clone, Debug)]
pub struct AuditEntry(pub audit_entry::Model);

impl From<audit_entry::Model> for AuditEntry {
    fn from(m: audit_entry::Model) -> Self {
        Self(m)
    }
}

/// One entry of the audit log: who changed what, when. Values are never recorded, only the names
/// of the changed fields.
#[Object]
impl AuditEntry {
    /// Globally unique, stable id.
    async fn id(&self) -> ID {
        global_id("AuditEntry", self.0.public_id)
    }
    /// When the write committed.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The id of the API key that wrote; null for the operator on the command line.
    async fn key_id(&self) -> Option<ID> {
        self.0.key_id.map(|k| global_id("ApiKey", k))
    }
    /// The writer's role: `admin`, `steward`, `cluster_manager` or `operator`.
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// `create`, `update` or `delete`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// The type written, e.g. `Cluster`.
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }
    /// The global id of the row written.
    async fn entity_id(&self) -> ID {
        global_id(&self.0.entity_type, self.0.entity_id)
    }
    /// Names of the fields written (for deletes: what was deleted with the row).
    async fn fields(&self) -> Vec<&str> {
        self.0.fields.split(',').filter(|f| !f.is_empty()).collect()
    }
    /// The `x-request-id` of the HTTP request, to find it in the server's logs.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
}

crate::graphql::connection::connection!(
    AuditEntryConnection,
    AuditEntryEdge,
    AuditEntry,
    "A page of audit entries, newest first.",
    "An audit entry and its cursor."
);

/// Queries for admin keys only.
#[derive(Default)]
pub struct AdminQuery;

fn admin_only(ctx: &Context<'_>) -> Result<(), AppError> {
    caller(ctx).may(Need::Admin, &Owner::default())
}

#[Object]
impl AdminQuery {
    /// Every API key, newest first (admin keys only).
    async fn api_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiKey>> {
        admin_only(ctx)?;
        let db = &ctx.data::<Loaders>()?.db.reads;
        Ok(keys::list(db).await?.into_iter().map(ApiKey).collect())
    }

    /// The audit log, newest first (admin keys only). It cannot be changed through the API.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only entries about the row with this global id.")] entity_id: Option<ID>,
        #[graphql(desc = "Return the first n items (0 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<AuditEntryConnection> {
        use sea_orm::{ColumnTrait, QueryFilter};
        admin_only(ctx)?;
        let mut q = audit_entry::Entity::find();
        if let Some(id) = entity_id {
            let (_, uuid) = crate::graphql::node::parse_global_id(&id)?;
            q = q.filter(audit_entry::Column::EntityId.eq(uuid));
        }
        let sort = Sort::new("auditNewest", "audit_entry", "id", KeyKind::Int).direction(true);
        top::<audit_entry::Model, AuditEntryConnection>(
            ctx,
            q.into_query(),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
}

/// Key management (admin keys only).
#[derive(Default)]
pub struct KeyMutation;

#[Object]
impl KeyMutation {
    /// Creates an API key and returns its secret, which is shown only this once.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key's name, role and scope.")] input: CreateApiKeyInput,
    ) -> async_graphql::Result<CreatedApiKey> {
        let w = begin(ctx).await?;
        w.allow(Need::Admin, &Owner::default())?;
        let (key, secret) = keys::issue(
            &w,
            &NewKey {
                name: input.name,
                role: input.role,
                region: input.region,
                cluster: input.cluster,
                expires_at: input.expires_at,
            },
        )
        .await
        .map_err(|e| match e {
            AppError::BadUserInput {
                message,
                field: Some(f),
            } => AppError::bad_input(format!("input.{f}"), message),
            other => other,
        })?;
        w.commit().await?;
        Ok(CreatedApiKey {
            key: ApiKey(key),
            secret,
        })
    }

    /// Revokes an API key at once. Revoking a revoked key changes nothing.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key's id, or its prefix.")] id: String,
    ) -> async_graphql::Result<ApiKey> {
        let w = begin(ctx).await?;
        w.allow(Need::Admin, &Owner::default())?;
        let lookup = match crate::graphql::node::parse_global_id(&ID(id.clone())) {
            Ok((kind, uuid)) if kind == "ApiKey" => uuid.to_string(),
            _ => id,
        };
        let key = keys::withdraw(&w, keys::find(&w.txn, &lookup).await?).await?;
        w.commit().await?;
        Ok(ApiKey(key))
    }
}
