//! Per-request DataLoaders: rows by id, and nested pages batched across parents, so that the
//! statements a request sends grow with the query's depth, not with the rows it returns.

use crate::db::Database;
use crate::error::AppError;
use crate::services::page::{Nested, Page};
use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{EntityTrait, FromQueryResult, ModelTrait, QueryFilter, Value};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// How long a loader collects keys before it queries: long enough for every sibling resolver
/// of a list to ask, short enough not to show in latency.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(5);

/// The loaders of one request, created lazily per type.
pub struct Loaders {
    /// The database.
    pub db: Database,
    loaders: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Loaders {
    /// Fresh loaders for one request.
    pub fn new(db: Database) -> Self {
        Self {
            db,
            loaders: Mutex::new(HashMap::new()),
        }
    }

    fn get<L: Send + Sync + 'static>(&self, make: impl FnOnce() -> L) -> Arc<DataLoader<L>> {
        let mut map = self.loaders.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(Ok(loader)) = map
            .get(&TypeId::of::<L>())
            .map(|l| l.clone().downcast::<DataLoader<L>>())
        {
            return loader;
        }
        let loader = Arc::new(DataLoader::new(make(), tokio::spawn).delay(BATCH_WINDOW));
        map.insert(TypeId::of::<L>(), loader.clone());
        loader
    }

    /// Rows of entity `E` by id.
    pub fn by_id<E: EntityTrait>(&self) -> Arc<DataLoader<ById<E>>>
    where
        E::Model: Sync,
    {
        self.get(|| ById {
            db: self.db.clone(),
            entity: PhantomData,
        })
    }

    /// Nested pages of rows read as `M`.
    pub fn pages<M: FromQueryResult + Clone + Send + Sync + 'static>(
        &self,
    ) -> Arc<DataLoader<PageLoader<M>>> {
        self.get(|| PageLoader {
            db: self.db.clone(),
            model: PhantomData,
        })
    }

    /// Loads one row of `E` by id; `None` when it does not exist.
    pub async fn one<E: EntityTrait>(&self, id: i64) -> async_graphql::Result<Option<E::Model>>
    where
        E::Model: Sync,
    {
        self.by_id::<E>().load_one(id).await
    }
}

/// Loads rows of one entity by their internal ids.
pub struct ById<E> {
    db: Database,
    entity: PhantomData<fn() -> E>,
}

impl<E: EntityTrait> Loader<i64> for ById<E>
where
    E::Model: Sync,
{
    type Value = E::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, E::Model>, Self::Error> {
        let table = E::default().table_name().to_owned();
        let id = E::Column::from_str("id")
            .map_err(|_| AppError::Internal(format!("{table} has no id column").into()))?;
        let rows = E::find()
            .filter(Expr::col((Alias::new(table), Alias::new("id"))).is_in(keys.iter().copied()))
            .all(&self.db.conn)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .filter_map(|m| match m.get(id) {
                Value::BigInt(Some(k)) => Some((k, m)),
                _ => None,
            })
            .collect())
    }
}

/// A nested list under one parent.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NestedKey {
    /// The parent's internal id.
    pub parent: i64,
    /// Which list, filtered, ordered and paged how.
    pub nested: Arc<Nested>,
}

/// Loads nested pages: one statement per distinct list, whatever the number of parents.
pub struct PageLoader<M> {
    db: Database,
    model: PhantomData<fn() -> M>,
}

impl<M: FromQueryResult + Clone + Send + Sync + 'static> Loader<NestedKey> for PageLoader<M> {
    type Value = Page<M>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[NestedKey]) -> Result<HashMap<NestedKey, Page<M>>, Self::Error> {
        let mut lists: HashMap<Arc<Nested>, Vec<i64>> = HashMap::new();
        for k in keys {
            lists.entry(k.nested.clone()).or_default().push(k.parent);
        }
        let mut out = HashMap::new();
        for (nested, parents) in lists {
            for (parent, page) in nested.load::<M>(&self.db.conn, &parents).await? {
                out.insert(
                    NestedKey {
                        parent,
                        nested: nested.clone(),
                    },
                    page,
                );
            }
        }
        Ok(out)
    }
}
