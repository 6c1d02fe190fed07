//! The frame of every write: one transaction, the caller's rights checked against the owner of
//! what is written, optimistic concurrency through row versions, and an audit entry in the same
//! transaction. A write that fails at any step is rolled back whole.

use crate::db::Database;
use crate::domain::ParticipantRole;
use crate::entities::{
    cluster, event_organiser, membership, offer_need, organisation, participant, region,
};
use crate::error::{AppError, AppResult};
use crate::services::access::{Need, Owner};
use crate::services::audit::{self, Actor, Operation};
use crate::services::live::{ChangeKind, EventBus, EventChange, InterestChange, LiveChange};
use crate::services::search::{self, index::Kind};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IdenStatic, IntoActiveModel, Iterable, ModelTrait, QueryFilter, QuerySelect,
    TransactionTrait, Value,
};
use std::str::FromStr;
use uuid::Uuid;

/// One write in progress.
pub struct Write {
    /// The transaction everything happens in.
    pub txn: DatabaseTransaction,
    /// Who writes.
    pub actor: Actor,
    /// Where event changes are announced, when anybody listens.
    bus: Option<EventBus>,
    /// Changes to publish once the write has committed.
    pending: std::sync::Mutex<Vec<LiveChange>>,
    /// Rows whose search documents must be rewritten before the write commits.
    touched: std::sync::Mutex<Vec<(Kind, i64)>>,
    /// This process's turn to write, on SQLite, held until the write ends.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

fn column<E: EntityTrait>(name: &str) -> AppResult<E::Column> {
    E::Column::from_str(name).map_err(|_| {
        AppError::Internal(format!("{} has no column {name}", E::default().table_name()).into())
    })
}

/// `snake_case` column name to the `camelCase` GraphQL field name.
fn field_name(column: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in column.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Columns a client never changes directly.
const MANAGED: &[&str] = &["id", "public_id", "created_at", "updated_at", "version"];

impl Write {
    /// Starts a write.
    pub async fn begin(db: &Database, actor: Actor) -> AppResult<Self> {
        let turn = db.writer_turn().await;
        Ok(Self {
            txn: db.conn.begin().await?,
            _turn: turn,
            actor,
            bus: None,
            pending: Default::default(),
            touched: Default::default(),
        })
    }

    /// Announces the write's event changes on `bus`.
    pub fn with_bus(mut self, bus: Option<EventBus>) -> Self {
        self.bus = bus;
        self
    }

    /// Rewrites the search documents of what the write touched, commits, then tells subscribers
    /// what changed.
    pub async fn commit(self) -> AppResult<()> {
        let mut touched =
            std::mem::take(&mut *self.touched.lock().unwrap_or_else(|p| p.into_inner()));
        touched.sort_unstable();
        touched.dedup();
        for kind in Kind::ALL {
            let ids: Vec<i64> = touched
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, id)| *id)
                .collect();
            if !ids.is_empty() {
                search::index::refresh(&self.txn, kind, &ids).await?;
            }
        }
        self.txn.commit().await?;
        if let Some(bus) = &self.bus {
            let pending =
                std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
            bus.publish(pending);
        }
        Ok(())
    }

    /// Records that an event changed, for live subscriptions: announced only if the write commits.
    pub async fn event_changed(&self, kind: ChangeKind, event: Uuid) -> AppResult<()> {
        self.announce(LiveChange::Event(EventChange { event, kind }))
            .await
    }

    /// Records that an organisation expressed interest in an offer or need of `owner`.
    pub async fn interest_expressed(&self, interest: Uuid, owner: i64) -> AppResult<()> {
        self.announce(LiveChange::Interest(InterestChange { interest, owner }))
            .await
    }

    async fn announce(&self, change: LiveChange) -> AppResult<()> {
        let Some(bus) = &self.bus else {
            return Ok(());
        };
        if let Some(change) = bus.stage(&self.txn, change).await? {
            self.pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(change);
        }
        Ok(())
    }

    /// Marks a row whose search documents must be rewritten before the write commits.
    pub fn touch(&self, kind: Kind, id: i64) {
        self.touched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((kind, id));
    }

    /// Marks the search documents a written row of `E` feeds: its own, or for a contact its
    /// organisation's.
    fn touch_row<E: EntityTrait>(&self, model: &E::Model) -> AppResult<()> {
        let table = E::default().table_name();
        let feeds = match Kind::of_table(table) {
            Some(kind) => Some((kind, "id")),
            None if table == "contact" => Some((Kind::Organisation, "organisation_id")),
            None => None,
        };
        if let Some((kind, column_name)) = feeds
            && let Value::BigInt(Some(id)) = model.get(column::<E>(column_name)?)
        {
            self.touch(kind, id);
        }
        Ok(())
    }

    /// Fails unless the caller may act on `owner` with `need`.
    pub fn allow(&self, need: Need, owner: &Owner) -> AppResult<()> {
        self.actor.caller.may(need, owner)
    }

    /// The row of `E` with this public id, or `NOT_FOUND`.
    pub async fn find<E: EntityTrait>(
        &self,
        type_name: &str,
        public_id: Uuid,
    ) -> AppResult<E::Model> {
        E::find()
            .filter(column::<E>("public_id")?.eq(public_id))
            .one(&self.txn)
            .await?
            .ok_or_else(|| AppError::not_found(format!("no {type_name} has this id")))
    }

    /// Inserts a new row from a validated draft (its id, public id, timestamps and version are
    /// assigned here) and records it in the audit log.
    pub async fn create<E>(&self, type_name: &str, draft: E::Model) -> AppResult<E::Model>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel>,
        E::ActiveModel: ActiveModelBehavior + Send,
    {
        let mut active = draft.into_active_model();
        let now = Utc::now();
        active.not_set(column::<E>("id")?);
        active.set(column::<E>("public_id")?, Uuid::new_v4().into());
        active.set(column::<E>("created_at")?, now.into());
        active.set(column::<E>("updated_at")?, now.into());
        active.set(column::<E>("version")?, 1i32.into());
        let fields: Vec<String> = E::Column::iter()
            .filter(|c| !MANAGED.contains(&c.as_str()))
            .filter(|c| active.get(*c).into_value().is_some_and(|v| !is_null(&v)))
            .map(|c| field_name(c.as_str()))
            .collect();
        let model = active.insert(&self.txn).await?;
        self.touch_row::<E>(&model)?;
        let id = public_id_of::<E>(&model)?;
        self.audit(Operation::Create, type_name, id, &fields)
            .await?;
        Ok(model)
    }

    /// Writes the fields in which `draft` differs from `current`, if the caller saw the current
    /// version; otherwise `CONFLICT`. `linked` names changes the caller made besides the row's own
    /// columns (e.g. `themes`), which also make a new version. Records the names of the changed
    /// fields in the audit log.
    pub async fn update<E>(
        &self,
        type_name: &str,
        current: &E::Model,
        draft: E::Model,
        seen_version: i32,
        linked: &[&str],
    ) -> AppResult<E::Model>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel> + Clone,
        E::ActiveModel: ActiveModelBehavior + Send,
    {
        let version_col = column::<E>("version")?;
        let id_col = column::<E>("id")?;
        let version = match current.get(version_col) {
            Value::Int(Some(v)) => v,
            _ => 0,
        };
        if version != seen_version {
            return Err(stale(type_name, seen_version, version));
        }
        let mut changes = <E::ActiveModel as ActiveModelBehavior>::new();
        let mut changed = Vec::new();
        for col in E::Column::iter() {
            if MANAGED.contains(&col.as_str()) {
                continue;
            }
            let (old, new) = (current.get(col), draft.get(col));
            if old != new {
                changes.set(col, new);
                changed.push(col.as_str());
            }
        }
        let fields: Vec<String> = changed
            .iter()
            .map(|c| field_name(c))
            .chain(linked.iter().map(|f| (*f).to_owned()))
            .collect();
        if fields.is_empty() {
            return Ok(current.clone());
        }
        let id = current.get(id_col);
        let done = E::update_many()
            .set(changes)
            .col_expr(version_col, Expr::col(version_col).add(1))
            .col_expr(column::<E>("updated_at")?, Expr::val(Utc::now()))
            .filter(id_col.eq(id.clone()))
            .filter(version_col.eq(seen_version))
            .exec(&self.txn)
            .await?;
        if done.rows_affected == 0 {
            return Err(stale(type_name, seen_version, seen_version + 1));
        }
        let model = E::find()
            .filter(id_col.eq(id))
            .one(&self.txn)
            .await?
            .ok_or_else(|| AppError::not_found(format!("no {type_name} has this id")))?;
        // A row's documents are rewritten only when what they are made of changed: not for a
        // new headcount, say, or new themes.
        let searched = match Kind::of_table(E::default().table_name()) {
            Some(kind) => {
                linked.contains(&"translations") || changed.iter().any(|c| kind.made_of(c))
            }
            None => true,
        };
        if searched {
            self.touch_row::<E>(&model)?;
        }
        let public_id = public_id_of::<E>(&model)?;
        self.audit(Operation::Update, type_name, public_id, &fields)
            .await?;
        Ok(model)
    }

    /// Deletes a row (the database cascades to what it owns, as documented per type) if the
    /// caller saw its current version, and records it.
    pub async fn delete<E>(
        &self,
        type_name: &str,
        current: &E::Model,
        seen_version: Option<i32>,
        cascades: &[&str],
    ) -> AppResult<()>
    where
        E: EntityTrait,
    {
        let version_col = column::<E>("version")?;
        let version = match current.get(version_col) {
            Value::Int(Some(v)) => v,
            _ => 0,
        };
        if let Some(seen) = seen_version
            && seen != version
        {
            return Err(stale(type_name, seen, version));
        }
        let id_col = column::<E>("id")?;
        if let Value::BigInt(Some(id)) = current.get(id_col) {
            crate::services::changes::record_cascades(&self.txn, E::default().table_name(), id)
                .await?;
            if E::default().table_name() == "organisation" {
                // Its offers and needs go with it, and so must their documents.
                let offers: Vec<i64> = offer_need::Entity::find()
                    .select_only()
                    .column(offer_need::Column::Id)
                    .filter(offer_need::Column::OrganisationId.eq(id))
                    .into_tuple()
                    .all(&self.txn)
                    .await?;
                for o in offers {
                    self.touch(Kind::OfferNeed, o);
                }
            }
        }
        self.touch_row::<E>(current)?;
        E::delete_many()
            .filter(id_col.eq(current.get(id_col)))
            .filter(version_col.eq(version))
            .exec(&self.txn)
            .await?;
        let public_id = public_id_of::<E>(current)?;
        self.audit(Operation::Delete, type_name, public_id, cascades)
            .await
    }

    /// Records a write in the audit log.
    pub async fn audit<S: AsRef<str>>(
        &self,
        operation: Operation,
        type_name: &str,
        public_id: Uuid,
        fields: &[S],
    ) -> AppResult<()> {
        let fields: Vec<&str> = fields.iter().map(AsRef::as_ref).collect();
        audit::record(
            &self.txn,
            &self.actor,
            operation,
            type_name,
            public_id,
            &fields,
        )
        .await
    }

    /// What a cluster belongs to: itself and its region; the regions' codes in one statement.
    pub async fn cluster_owner(&self, clusters: &[i64]) -> AppResult<Owner> {
        let regions = Query::select()
            .column((cluster::Entity, cluster::Column::RegionId))
            .from(cluster::Entity)
            .and_where(
                Expr::col((cluster::Entity, cluster::Column::Id)).is_in(clusters.iter().copied()),
            )
            .to_owned();
        Ok(Owner {
            clusters: clusters.to_vec(),
            regions: region::Entity::find()
                .select_only()
                .column(region::Column::Code)
                .filter(region::Column::Id.in_subquery(regions))
                .into_tuple()
                .all(&self.txn)
                .await?,
        })
    }

    /// What an organisation belongs to: the clusters it is a member of, its region and theirs,
    /// in one statement (see [`Self::owner_rows`]).
    pub async fn organisation_owner(&self, org: &organisation::Model) -> AppResult<Owner> {
        let mut query = clusters_with_codes(
            membership::Entity,
            membership::Column::ClusterId,
            Expr::col((membership::Entity, membership::Column::OrganisationId)).eq(org.id),
        );
        if let Some(region_id) = org.region_id {
            query.union(
                UnionType::All,
                Query::select()
                    .expr(Expr::cust("NULL"))
                    .column((region::Entity, region::Column::Code))
                    .from(region::Entity)
                    .and_where(Expr::col((region::Entity, region::Column::Id)).eq(region_id))
                    .to_owned(),
            );
        }
        self.owner_rows(query).await
    }

    /// The owner that the rows of `query` make up: each row a cluster's id and its region's
    /// code, either of them `NULL`.
    async fn owner_rows(&self, query: SelectStatement) -> AppResult<Owner> {
        let mut owner = Owner::default();
        for row in self.txn.query_all(&query).await? {
            let cluster: Option<i64> = row.try_get_by_index(0)?;
            let code: Option<String> = row.try_get_by_index(1)?;
            if let Some(c) = cluster.filter(|c| !owner.clusters.contains(c)) {
                owner.clusters.push(c);
            }
            if let Some(r) = code.filter(|r| !owner.regions.contains(r)) {
                owner.regions.push(r);
            }
        }
        Ok(owner)
    }

    /// What an organisation belongs to, by id.
    pub async fn organisation_owner_by_id(&self, id: i64) -> AppResult<Owner> {
        let org = organisation::Entity::find_by_id(id)
            .one(&self.txn)
            .await?
            .ok_or_else(|| AppError::not_found("no organisation has this id"))?;
        self.organisation_owner(&org).await
    }

    /// What an event belongs to: what each of its organisers belongs to, in one statement
    /// whatever their number: the organising clusters, the clusters of the organising
    /// organisations and those leading the organising collaborations, each with its region, and
    /// the organising organisations' own regions.
    pub async fn event_owner(&self, event_id: i64) -> AppResult<Owner> {
        let organising = |column: event_organiser::Column| {
            Query::select()
                .column((event_organiser::Entity, column))
                .from(event_organiser::Entity)
                .and_where(
                    Expr::col((event_organiser::Entity, event_organiser::Column::EventId))
                        .eq(event_id),
                )
                .and_where(Expr::col((event_organiser::Entity, column)).is_not_null())
                .to_owned()
        };
        let mut query = clusters_with_codes(
            event_organiser::Entity,
            event_organiser::Column::ClusterId,
            Expr::col((event_organiser::Entity, event_organiser::Column::EventId))
                .eq(event_id)
                .and(
                    Expr::col((event_organiser::Entity, event_organiser::Column::ClusterId))
                        .is_not_null(),
                ),
        );
        let organisations = organising(event_organiser::Column::OrganisationId);
        query
            .union(
                UnionType::All,
                clusters_with_codes(
                    membership::Entity,
                    membership::Column::ClusterId,
                    Expr::col((membership::Entity, membership::Column::OrganisationId))
                        .in_subquery(organisations.clone()),
                ),
            )
            .union(
                UnionType::All,
                Query::select()
                    .expr(Expr::cust("NULL"))
                    .column((region::Entity, region::Column::Code))
                    .from(organisation::Entity)
                    .inner_join(
                        region::Entity,
                        Expr::col((region::Entity, region::Column::Id))
                            .equals((organisation::Entity, organisation::Column::RegionId)),
                    )
                    .and_where(
                        Expr::col((organisation::Entity, organisation::Column::Id))
                            .in_subquery(organisations),
                    )
                    .to_owned(),
            )
            .union(
                UnionType::All,
                leading_clusters(
                    Expr::col((participant::Entity, participant::Column::CollaborationId))
                        .in_subquery(organising(event_organiser::Column::CollaborationId)),
                ),
            );
        self.owner_rows(query).await
    }

    /// What a collaboration belongs to: the clusters that lead it, and their regions, in one
    /// statement.
    pub async fn collaboration_owner(&self, collaboration_id: i64) -> AppResult<Owner> {
        self.owner_rows(leading_clusters(
            Expr::col((participant::Entity, participant::Column::CollaborationId))
                .eq(collaboration_id),
        ))
        .await
    }
}

/// `SELECT cluster_id, code FROM table WHERE filter`: the clusters a table's rows name, each
/// with its region's code. The code is a subquery per row, a probe by primary key each: joined,
/// PostgreSQL hashed the whole cluster table and planned the statement again on every
/// execution.
fn clusters_with_codes<T: EntityTrait>(
    table: T,
    cluster: T::Column,
    filter: Expr,
) -> SelectStatement {
    let code = Query::select()
        .column((region::Entity, region::Column::Code))
        .from(cluster::Entity)
        .inner_join(
            region::Entity,
            Expr::col((region::Entity, region::Column::Id))
                .equals((cluster::Entity, cluster::Column::RegionId)),
        )
        .and_where(Expr::col((cluster::Entity, cluster::Column::Id)).equals((table, cluster)))
        .to_owned();
    Query::select()
        .column((table, cluster))
        .expr(Expr::SubQuery(None, Box::new(code.into())))
        .from(table)
        .and_where(filter)
        .to_owned()
}

/// The clusters leading the collaborations that `filter` picks among participants, with their
/// regions' codes.
fn leading_clusters(filter: Expr) -> SelectStatement {
    clusters_with_codes(
        participant::Entity,
        participant::Column::ClusterId,
        filter
            .and(participant::Column::Role.eq(ParticipantRole::Lead))
            .and(Expr::col((participant::Entity, participant::Column::ClusterId)).is_not_null()),
    )
}

fn is_null(v: &Value) -> bool {
    matches!(
        v,
        Value::String(None)
            | Value::Int(None)
            | Value::BigInt(None)
            | Value::SmallInt(None)
            | Value::Double(None)
            | Value::Bool(None)
            | Value::ChronoDate(None)
            | Value::ChronoDateTimeUtc(None)
    )
}

fn public_id_of<E: EntityTrait>(model: &E::Model) -> AppResult<Uuid> {
    match model.get(column::<E>("public_id")?) {
        Value::Uuid(Some(u)) => Ok(u),
        _ => Err(AppError::Internal("a row without a public id".into())),
    }
}

fn stale(type_name: &str, seen: i32, current: i32) -> AppError {
    AppError::Conflict(format!(
        "this {type_name} has changed since you read it (you sent version {seen}, it is at {current}); read it again, reapply your change and send the new version"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_become_field_names() {
        assert_eq!(field_name("year_established"), "yearEstablished");
        assert_eq!(field_name("name"), "name");
    }
}
