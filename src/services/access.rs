//! Who may do what: the caller of a request, the owner of a row, and the rules between them.
//!
//! - Anonymous callers and `reader` keys read public data and write nothing.
//! - `admin` keys may do everything.
//! - `steward` keys act on whatever lies in their region or below: clusters and organisations whose
//!   NUTS code starts with the steward's, and everything those own.
//! - `cluster_manager` keys act on what their cluster owns: its profile and labels, its
//!   memberships, its member organisations with their contacts and offers and needs, the events it
//!   organises, its indicators and KPIs, and the collaborations it leads. They do not create or
//!   delete clusters, and do not delete organisations (they end memberships instead).

use crate::domain::Role;
use crate::error::{AppError, AppResult};
use uuid::Uuid;

/// A caller that presented a valid API key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyCaller {
    /// The key's public id, recorded in the audit log.
    pub key_id: Uuid,
    /// The key's role.
    pub role: Role,
    /// For stewards: the NUTS code of their region.
    pub region: Option<String>,
    /// For cluster managers: their cluster's internal id.
    pub cluster: Option<i64>,
}

/// Who sends a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No key: public data only.
    Anonymous,
    /// A valid API key.
    Key(KeyCaller),
    /// The operator on the command line (imports, key management): acts as an admin.
    Operator,
}

/// What a write needs, from least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Change what a cluster owns: cluster managers, stewards and admins.
    Manage,
    /// Create or delete clusters and organisations: stewards (in their region) and admins.
    Steward,
    /// Keys, themes and regions: admins only.
    Admin,
}

/// What a row belongs to: the clusters that own it and the regions it lies in (NUTS codes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    /// Internal ids of the owning clusters.
    pub clusters: Vec<i64>,
    /// NUTS codes of the regions of the row and of its owning clusters.
    pub regions: Vec<String>,
}

impl Owner {
    /// Everything that either owner covers.
    pub fn merge(mut self, other: Owner) -> Owner {
        for c in other.clusters {
            if !self.clusters.contains(&c) {
                self.clusters.push(c);
            }
        }
        for r in other.regions {
            if !self.regions.contains(&r) {
                self.regions.push(r);
            }
        }
        self
    }
}

impl Caller {
    /// The audit log's name for the caller's role.
    pub fn role_name(&self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Operator => "operator",
            Self::Key(k) => match k.role {
                Role::Admin => "admin",
                Role::Steward => "steward",
                Role::ClusterManager => "cluster_manager",
                Role::Reader => "reader",
            },
        }
    }

    /// The key's public id, when the caller has a key.
    pub fn key_id(&self) -> Option<Uuid> {
        match self {
            Self::Key(k) => Some(k.key_id),
            _ => None,
        }
    }

    /// Admins and the operator.
    pub fn is_admin(&self) -> bool {
        matches!(self, Self::Operator) || matches!(self, Self::Key(k) if k.role == Role::Admin)
    }

    /// Whether the caller may see what only the owners of `owner` see (e.g. members-only and
    /// private contacts).
    pub fn sees_private_of(&self, owner: &Owner) -> bool {
        self.may(Need::Manage, owner).is_ok()
    }

    /// Allows the write when the caller may act on `owner` with `need`; otherwise
    /// `UNAUTHENTICATED` (no key) or `FORBIDDEN` (a key without the right).
    pub fn may(&self, need: Need, owner: &Owner) -> AppResult<()> {
        let key = match self {
            Self::Operator => return Ok(()),
            Self::Anonymous => {
                return Err(AppError::Unauthenticated(
                    "writing needs an API key: send `Authorization: Bearer <key>`".to_owned(),
                ));
            }
            Self::Key(key) => key,
        };
        let allowed = match (key.role, need) {
            (Role::Admin, _) => true,
            (Role::Steward, Need::Manage | Need::Steward) => key
                .region
                .as_deref()
                .is_some_and(|prefix| owner.regions.iter().any(|r| r.starts_with(prefix))),
            (Role::ClusterManager, Need::Manage) => {
                key.cluster.is_some_and(|c| owner.clusters.contains(&c))
            }
            _ => false,
        };
        if allowed {
            return Ok(());
        }
        Err(AppError::Forbidden(match (key.role, need) {
            (Role::Reader, _) => "reader keys are read-only".to_owned(),
            (_, Need::Admin) => "only admin keys may do this".to_owned(),
            (Role::ClusterManager, Need::Steward) => {
                "only stewards of the region and admins may do this; cluster managers may not"
                    .to_owned()
            }
            (Role::Steward, _) => "this lies outside the region of your key".to_owned(),
            _ => "this belongs to another cluster than the one of your key".to_owned(),
        }))
    }
}

/// The organisations whose private data `caller` may see and manage, as a subquery of ids:
/// `None` for all of them (admins), an empty list for callers without such rights.
pub fn managed_organisations(caller: &Caller) -> Option<sea_orm::sea_query::SelectStatement> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

    let ids = |table: &str, column: &str| {
        Query::select()
            .column(Alias::new(column))
            .from(Alias::new(table))
            .to_owned()
    };
    match caller {
        Caller::Operator => None,
        Caller::Key(k) if k.role == Role::Admin => None,
        Caller::Key(KeyCaller {
            role: Role::ClusterManager,
            cluster: Some(cluster),
            ..
        }) => Some(
            ids("membership", "organisation_id")
                .and_where(Expr::col(Alias::new("cluster_id")).eq(*cluster))
                .to_owned(),
        ),
        Caller::Key(KeyCaller {
            role: Role::Steward,
            region: Some(prefix),
            ..
        }) => {
            let regions = ids("region", "id")
                .and_where(Expr::col(Alias::new("code")).like(format!("{prefix}%")))
                .to_owned();
            let clusters = ids("cluster", "id")
                .and_where(Expr::col(Alias::new("region_id")).in_subquery(regions.clone()))
                .to_owned();
            let members = ids("membership", "organisation_id")
                .and_where(Expr::col(Alias::new("cluster_id")).in_subquery(clusters))
                .to_owned();
            Some(
                ids("organisation", "id")
                    .cond_where(
                        sea_orm::sea_query::Cond::any()
                            .add(Expr::col(Alias::new("region_id")).in_subquery(regions))
                            .add(Expr::col(Alias::new("id")).in_subquery(members)),
                    )
                    .to_owned(),
            )
        }
        _ => Some(
            ids("organisation", "id")
                .and_where(Expr::val(1).eq(0))
                .to_owned(),
        ),
    }
}

/// The rows of `table` whose `column` names an organisation `caller` manages.
pub fn of_managed_organisations(
    caller: &Caller,
    table: &'static str,
    column: &'static str,
) -> sea_orm::sea_query::Cond {
    use crate::services::filter::col;
    use sea_orm::sea_query::{Cond, ExprTrait};
    match managed_organisations(caller) {
        None => Cond::all(),
        Some(ids) => Cond::all().add(col(table, column).in_subquery(ids)),
    }
}

/// The contacts `caller` may see: public ones for everybody; members-only and private ones also
/// for admins, for the managers of a cluster the contact's organisation belongs to, and for
/// stewards of a region that holds the organisation or one of those clusters.
pub fn visible_contacts(caller: &Caller) -> sea_orm::sea_query::Cond {
    use crate::domain::Visibility;
    use crate::services::filter::col;
    use sea_orm::sea_query::{Cond, ExprTrait};

    let public =
        col("contact", "visibility").eq(sea_orm::ActiveEnum::to_value(&Visibility::Public));
    Cond::any().add(public).add(of_managed_organisations(
        caller,
        "contact",
        "organisation_id",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(role: Role, region: Option<&str>, cluster: Option<i64>) -> Caller {
        Caller::Key(KeyCaller {
            key_id: Uuid::nil(),
            role,
            region: region.map(str::to_owned),
            cluster,
        })
    }

    fn owner(clusters: &[i64], regions: &[&str]) -> Owner {
        Owner {
            clusters: clusters.to_vec(),
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    #[test]
    fn stewards_act_in_their_region_and_below() {
        let steward = key(Role::Steward, Some("NL4"), None);
        assert!(steward.may(Need::Steward, &owner(&[1], &["NL414"])).is_ok());
        assert!(steward.may(Need::Manage, &owner(&[1], &["NL414"])).is_ok());
        assert!(
            steward
                .may(Need::Steward, &owner(&[1], &["ES511"]))
                .is_err()
        );
        assert!(steward.may(Need::Admin, &owner(&[1], &["NL414"])).is_err());
    }

    #[test]
    fn managers_act_on_their_cluster_only() {
        let manager = key(Role::ClusterManager, None, Some(7));
        assert!(manager.may(Need::Manage, &owner(&[7], &["ES511"])).is_ok());
        assert!(manager.may(Need::Manage, &owner(&[8], &["ES511"])).is_err());
        assert!(
            manager
                .may(Need::Steward, &owner(&[7], &["ES511"]))
                .is_err()
        );
    }

    #[test]
    fn readers_and_anonymous_callers_write_nothing() {
        let o = owner(&[7], &["ES511"]);
        assert!(matches!(
            Caller::Anonymous.may(Need::Manage, &o),
            Err(AppError::Unauthenticated(_))
        ));
        assert!(matches!(
            key(Role::Reader, None, None).may(Need::Manage, &o),
            Err(AppError::Forbidden(_))
        ));
        assert!(key(Role::Admin, None, None).may(Need::Admin, &o).is_ok());
    }
}
