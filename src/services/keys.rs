//! API keys: creation (the secret is shown once and stored only as a SHA-256 hash beside a short
//! public prefix), listing, revocation, and turning an `Authorization` header into a caller.

use crate::domain::Role;
use crate::entities::{api_key, cluster, region};
use crate::error::{AppError, AppResult};
use crate::services::access::{Caller, KeyCaller};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Every key starts with this, so that leaked keys are easy to find in code and logs.
pub const KEY_MARK: &str = "cdk_";
/// Characters of the key that are stored in clear to find it.
const PREFIX_LEN: usize = 8;
/// Random bytes in a key: 192 bits.
const SECRET_BYTES: usize = 24;

/// What a new key may do.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// A name for people: whose key it is and what for.
    pub name: String,
    /// The role.
    pub role: Role,
    /// For stewards: the NUTS code of their region.
    pub region: Option<String>,
    /// For cluster managers: the slug of their cluster.
    pub cluster: Option<String>,
    /// When the key stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two equal-length strings in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Checks a new key's role and scope and resolves the scope to ids.
async fn scope(db: &impl ConnectionTrait, key: &NewKey) -> AppResult<(Option<i64>, Option<i64>)> {
    let name = key.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input(
            "name",
            "give the key a name of 1 to 200 characters, e.g. whose key it is",
        ));
    }
    match (key.role, &key.region, &key.cluster) {
        (Role::Steward, Some(code), None) => {
            let code = code.trim().to_ascii_uppercase();
            let found = region::Entity::find()
                .filter(region::Column::Code.eq(code.clone()))
                .one(db)
                .await?
                .ok_or_else(|| {
                    AppError::bad_input("region", format!("no region has the NUTS code `{code}`"))
                })?;
            Ok((Some(found.id), None))
        }
        (Role::ClusterManager, None, Some(slug)) => {
            let found = cluster::Entity::find()
                .filter(cluster::Column::Slug.eq(slug.trim()))
                .one(db)
                .await?
                .ok_or_else(|| {
                    AppError::bad_input("cluster", format!("no cluster has the slug `{slug}`"))
                })?;
            Ok((None, Some(found.id)))
        }
        (Role::Admin | Role::Reader, None, None) => Ok((None, None)),
        (Role::Steward, _, _) => Err(AppError::bad_input(
            "region",
            "a steward key needs the NUTS code of its region, and no cluster",
        )),
        (Role::ClusterManager, _, _) => Err(AppError::bad_input(
            "cluster",
            "a cluster manager key needs the slug of its cluster, and no region",
        )),
        (_, _, _) => Err(AppError::bad_input(
            "role",
            "admin and reader keys have no region or cluster",
        )),
    }
}

/// Creates a key; returns it with the secret, which is never shown again.
pub async fn create(
    db: &impl ConnectionTrait,
    key: &NewKey,
) -> AppResult<(api_key::Model, String)> {
    let (region_id, cluster_id) = scope(db, key).await?;
    if let Some(at) = key.expires_at
        && at <= Utc::now()
    {
        return Err(AppError::bad_input(
            "expiresAt",
            "the expiry must lie in the future",
        ));
    }
    let mut random = [0u8; SECRET_BYTES];
    getrandom::fill(&mut random)
        .map_err(|e| AppError::Internal(format!("no randomness: {e}").into()))?;
    let body = URL_SAFE_NO_PAD.encode(random);
    let secret = format!("{KEY_MARK}{body}");
    let model = api_key::ActiveModel {
        public_id: Set(Uuid::new_v4()),
        prefix: Set(body[..PREFIX_LEN].to_owned()),
        secret_hash: Set(hash(&secret)),
        name: Set(key.name.trim().to_owned()),
        role: Set(key.role),
        region_id: Set(region_id),
        cluster_id: Set(cluster_id),
        expires_at: Set(key.expires_at),
        revoked_at: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((model, secret))
}

/// Creates a key inside a write and audits it; returns it with its secret.
pub async fn issue(
    w: &crate::services::write::Write,
    key: &NewKey,
) -> AppResult<(api_key::Model, String)> {
    let (created, secret) = create(&w.txn, key).await?;
    w.audit(
        crate::services::audit::Operation::Create,
        "ApiKey",
        created.public_id,
        &["name", "role", "region", "cluster", "expiresAt"],
    )
    .await?;
    Ok((created, secret))
}

/// Revokes a key inside a write, auditing it when it was not revoked yet.
pub async fn withdraw(
    w: &crate::services::write::Write,
    key: api_key::Model,
) -> AppResult<api_key::Model> {
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let revoked = revoke(&w.txn, key).await?;
    w.audit(
        crate::services::audit::Operation::Update,
        "ApiKey",
        revoked.public_id,
        &["revokedAt"],
    )
    .await?;
    Ok(revoked)
}

/// Every key, newest first.
pub async fn list(db: &impl ConnectionTrait) -> AppResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find()
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await?)
}

/// Finds a key by its public id or its prefix.
pub async fn find(db: &impl ConnectionTrait, id_or_prefix: &str) -> AppResult<api_key::Model> {
    let query = match Uuid::parse_str(id_or_prefix) {
        Ok(id) => api_key::Entity::find().filter(api_key::Column::PublicId.eq(id)),
        Err(_) => api_key::Entity::find().filter(api_key::Column::Prefix.eq(id_or_prefix)),
    };
    query.one(db).await?.ok_or_else(|| {
        AppError::not_found(format!("no API key has the id or prefix `{id_or_prefix}`"))
    })
}

/// Revokes a key; it stops working at once. Revoking twice keeps the first time.
pub async fn revoke(db: &impl ConnectionTrait, key: api_key::Model) -> AppResult<api_key::Model> {
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut active: api_key::ActiveModel = key.into();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

/// The caller a request's `Authorization` header names: anonymous without one, a key's role and
/// scope with a valid bearer key, `UNAUTHENTICATED` for anything else.
pub async fn authenticate(db: &impl ConnectionTrait, header: Option<&str>) -> AppResult<Caller> {
    let Some(header) = header else {
        return Ok(Caller::Anonymous);
    };
    let unauthenticated = |why: &str| {
        AppError::Unauthenticated(format!(
            "{why}; send `Authorization: Bearer {KEY_MARK}…` with a valid key, or no Authorization header to read public data"
        ))
    };
    let secret = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthenticated("the Authorization header is not a bearer key"))?;
    let body = secret
        .strip_prefix(KEY_MARK)
        .filter(|b| b.len() > PREFIX_LEN && b.is_char_boundary(PREFIX_LEN))
        .ok_or_else(|| unauthenticated("this is not an API key of this directory"))?;
    let key = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(&body[..PREFIX_LEN]))
        .one(db)
        .await?
        .filter(|k| same(&k.secret_hash, &hash(secret)))
        .ok_or_else(|| unauthenticated("this API key is not known"))?;
    if key.revoked_at.is_some() {
        return Err(unauthenticated("this API key has been revoked"));
    }
    if key.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(unauthenticated("this API key has expired"));
    }
    let region = match key.region_id {
        Some(id) => region::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|r| r.code),
        None => None,
    };
    Ok(Caller::Key(KeyCaller {
        key_id: key.public_id,
        role: key.role,
        region,
        cluster: key.cluster_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_are_the_same_and_others_not() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
