//! The append-only audit log: every write records who made it, what it changed (the names of the
//! changed fields, never their values) and when, in the write's own transaction.

use crate::entities::audit_entry;
use crate::error::AppResult;
use crate::services::access::Caller;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

/// The request id of the HTTP request a write came in (the `x-request-id` header).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestId(pub String);

/// What a write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A row was created.
    Create,
    /// A row was changed.
    Update,
    /// A row was deleted.
    Delete,
}

impl Operation {
    /// What the change feed says of it.
    fn feed(self) -> crate::services::changes::Operation {
        match self {
            Self::Delete => crate::services::changes::Operation::Delete,
            _ => crate::services::changes::Operation::Upsert,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// Who wrote, in which request: what every audit entry starts from.
#[derive(Clone, Debug)]
pub struct Actor {
    /// The caller.
    pub caller: Caller,
    /// The request's id, when it came over HTTP.
    pub request_id: Option<String>,
}

/// One audit row: who (from the actor), what and when.
fn row(
    actor: &Actor,
    operation: Operation,
    entity_type: &str,
    entity_id: Uuid,
    fields: String,
    at: chrono::DateTime<Utc>,
) -> audit_entry::ActiveModel {
    audit_entry::ActiveModel {
        public_id: Set(Uuid::new_v4()),
        at: Set(at),
        key_id: Set(actor.caller.key_id()),
        role: Set(actor.caller.role_name().to_owned()),
        operation: Set(operation.name().to_owned()),
        entity_type: Set(entity_type.to_owned()),
        entity_id: Set(entity_id),
        fields: Set(fields),
        request_id: Set(actor.request_id.clone().filter(|r| !r.is_empty())),
        ..Default::default()
    }
}

/// Appends one entry; call it inside the write's transaction.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    operation: Operation,
    entity_type: &str,
    entity_id: Uuid,
    fields: &[&str],
) -> AppResult<()> {
    row(
        actor,
        operation,
        entity_type,
        entity_id,
        fields.join(","),
        Utc::now(),
    )
    .insert(db)
    .await?;
    crate::services::changes::record(db, &[(entity_type, entity_id, operation.feed())]).await
}

/// One entry for [`record_many`].
pub struct Entry {
    /// What was done.
    pub operation: Operation,
    /// The type written.
    pub entity_type: &'static str,
    /// The row's public id.
    pub entity_id: Uuid,
    /// Names of the fields written.
    pub fields: String,
}

/// Appends many entries at once (bulk writes such as imports); inside the write's transaction.
pub async fn record_many(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entries: Vec<Entry>,
) -> AppResult<()> {
    use sea_orm::EntityTrait;
    let now = Utc::now();
    let feed: Vec<(&str, Uuid, crate::services::changes::Operation)> = entries
        .iter()
        .map(|e| (e.entity_type, e.entity_id, e.operation.feed()))
        .collect();
    crate::services::changes::record(db, &feed).await?;
    let rows: Vec<audit_entry::ActiveModel> = entries
        .into_iter()
        .map(|e| {
            row(
                actor,
                e.operation,
                e.entity_type,
                e.entity_id,
                e.fields,
                now,
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        audit_entry::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
