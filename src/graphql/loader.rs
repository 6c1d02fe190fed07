//! Per-request DataLoaders: rows by id, and nested pages batched across parents, so that the
//! statements a request sends grow with the query's depth, not with the rows it returns.

use crate::db::Database;
use crate::db::decode::Decode;
use crate::error::AppError;
use crate::services::page::{Nested, Page};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{EntityTrait, ModelTrait, QueryFilter, Value};
use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use uuid::Uuid;

/// Loads the values of many keys at once.
pub trait Loader<K>: Send + Sync + 'static {
    /// What one key loads.
    type Value: Send + Sync + Clone + 'static;

    /// The values of `keys`; a key without a value is absent from the map.
    fn load(
        &self,
        keys: &[K],
    ) -> impl Future<Output = async_graphql::Result<HashMap<K, Self::Value>>> + Send;
}

/// The outcome of one batch, shared by every resolver that asked for a key in it.
type BatchResult<K, V> = Result<Arc<HashMap<K, V>>, async_graphql::Error>;

/// The slot of the batch that is still collecting keys, if one is.
type OpenSlot<K, V> = Arc<Mutex<Option<OpenBatch<K, V>>>>;

/// The batch that is still collecting keys.
struct OpenBatch<K, V> {
    keys: HashSet<K>,
    result: Shared<BoxFuture<'static, BatchResult<K, V>>>,
}

/// The passes of one request's execution. A pass ends when the request's future has polled
/// every resolver that could make progress and waits for I/O or for a batch; a batch opened
/// during a pass is loaded once the pass ends, when every sibling resolver of the same list has
/// registered its key. Unlike a timer, this does not depend on how fast the machine is, so a
/// query costs the same number of statements every time.
///
/// Outside [`Passes::drive`] (subscription streams, whose items the WebSocket layer resolves), a
/// batch waits for one turn of the scheduler instead.
#[derive(Default)]
pub struct Passes {
    ended: AtomicU64,
    waiting: Mutex<Vec<Waker>>,
    driven: AtomicBool,
}

/// Notes whether a future woke its own task while being polled, which is how executors inside a
/// request (lists and objects resolve their items in `FuturesUnordered`) yield part-way.
struct YieldFlag {
    woken: AtomicBool,
    task: Waker,
}

impl Wake for YieldFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake_by_ref();
    }
}

impl Passes {
    /// Runs a request's execution, ending a pass each time it waits without having yielded.
    pub async fn drive<F: Future>(&self, fut: F) -> F::Output {
        self.driven.store(true, Ordering::Release);
        let mut fut = std::pin::pin!(fut);
        std::future::poll_fn(|cx| {
            let flag = Arc::new(YieldFlag {
                woken: AtomicBool::new(false),
                task: cx.waker().clone(),
            });
            let waker = Waker::from(flag.clone());
            let polled = fut.as_mut().poll(&mut Context::from_waker(&waker));
            if polled.is_pending() && !flag.woken.load(Ordering::Acquire) {
                self.end_pass();
            }
            polled
        })
        .await
    }

    fn end_pass(&self) {
        self.ended.fetch_add(1, Ordering::AcqRel);
        for waker in std::mem::take(&mut *lock(&self.waiting)) {
            waker.wake();
        }
    }

    /// Completes when the current pass has ended.
    async fn end_of_pass(&self) {
        if !self.driven.load(Ordering::Acquire) {
            tokio::task::yield_now().await;
            return;
        }
        let started = self.ended.load(Ordering::Acquire);
        std::future::poll_fn(|cx: &mut Context<'_>| {
            if self.ended.load(Ordering::Acquire) > started {
                return Poll::Ready(());
            }
            lock(&self.waiting).push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

/// Collects the keys that the resolvers of one request ask for during one pass and loads them
/// together when the pass ends.
pub struct Batcher<K, L: Loader<K>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    loader: Arc<L>,
    passes: Arc<Passes>,
    open: OpenSlot<K, L::Value>,
    primed: Mutex<HashMap<K, (L::Value, Columns)>>,
}

/// The columns a row read by a list holds, one bit per column in the entity's order (see
/// [`super::connection::Narrow`]); [`WHOLE`] for a whole row.
pub type Columns = u64;
/// Every column of a row.
pub const WHOLE: Columns = u64::MAX;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<K, L> Batcher<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    fn new(loader: L, passes: Arc<Passes>) -> Self {
        Self {
            loader: Arc::new(loader),
            passes,
            open: Arc::new(Mutex::new(None)),
            primed: Mutex::new(HashMap::new()),
        }
    }

    /// Hands over values already read by another statement of the request (a list that joined
    /// the rows its items point to), holding `columns`, so that asking for their keys sends no
    /// statement. A value already held with more columns is kept.
    pub fn prime(&self, values: impl IntoIterator<Item = (K, L::Value)>, columns: Columns) {
        let mut primed = lock(&self.primed);
        for (key, value) in values {
            match primed.get(&key) {
                Some((_, held)) if held & columns != *held => {}
                _ => {
                    primed.insert(key, (value, columns));
                }
            }
        }
    }

    /// The value for `key`, loaded in one batch with every key asked for alongside it.
    pub async fn load_one(&self, key: K) -> async_graphql::Result<Option<L::Value>> {
        self.load_covering(key, WHOLE).await
    }

    /// The value for `key` holding at least the columns `needed`: one handed over with them,
    /// or else loaded whole like [`Self::load_one`].
    pub async fn load_covering(
        &self,
        key: K,
        needed: Columns,
    ) -> async_graphql::Result<Option<L::Value>> {
        if let Some((value, held)) = lock(&self.primed).get(&key)
            && held & needed == needed
        {
            return Ok(Some(value.clone()));
        }
        let result = {
            let mut open = lock(&self.open);
            match open.as_mut() {
                Some(batch) => {
                    batch.keys.insert(key.clone());
                    batch.result.clone()
                }
                None => {
                    let result = self.run().boxed().shared();
                    *open = Some(OpenBatch {
                        keys: HashSet::from([key.clone()]),
                        result: result.clone(),
                    });
                    result
                }
            }
        };
        Ok(result.await?.get(&key).cloned())
    }

    /// Waits for the end of the pass, closes the batch and loads it.
    fn run(&self) -> impl Future<Output = BatchResult<K, L::Value>> + Send + 'static {
        let (loader, passes, open) = (self.loader.clone(), self.passes.clone(), self.open.clone());
        async move {
            passes.end_of_pass().await;
            let keys: Vec<K> = lock(&open)
                .take()
                .map(|b| b.keys.into_iter().collect())
                .unwrap_or_default();
            loader.load(&keys).await.map(Arc::new)
        }
    }
}

/// The loaders of one request, created lazily per type. The request's execution must run
/// inside [`Passes::drive`] of [`Loaders::passes`], or batches never close.
pub struct Loaders {
    /// The database.
    pub db: Database,
    passes: Arc<Passes>,
    loaders: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    per_field: Mutex<HashMap<FieldKey, Box<dyn Any + Send + Sync>>>,
}

/// What [`Loaders::per_field`] keeps a value under: the field's node in the request's document
/// (by address: the document outlives the request's loaders), a part the caller names, and the
/// value's type.
type FieldKey = (usize, (&'static str, &'static str), TypeId);

impl Loaders {
    /// Fresh loaders for one request.
    pub fn new(db: Database) -> Self {
        Self {
            db,
            passes: Arc::default(),
            loaders: Mutex::new(HashMap::new()),
            per_field: Mutex::new(HashMap::new()),
        }
    }

    /// A value worked out from the field being resolved alone (its arguments, its selection,
    /// the request's caller and variables), never from its parent: made by `make` for the
    /// field's first parent and handed to every other, so that a list under 20 parents is
    /// described once, not 20 times. `part` tells apart values of one type that a field's
    /// resolver asks for more than one of (a fragment's field can also stand under parents of
    /// different types, whose lists differ). An error is not kept: each parent meets it.
    pub fn per_field<T: Clone + Send + Sync + 'static>(
        &self,
        ctx: &async_graphql::Context<'_>,
        part: (&'static str, &'static str),
        make: impl FnOnce() -> async_graphql::Result<T>,
    ) -> async_graphql::Result<T> {
        let key = (
            std::ptr::from_ref(ctx.item) as usize,
            part,
            TypeId::of::<T>(),
        );
        if let Some(value) = lock(&self.per_field)
            .get(&key)
            .and_then(|v| v.downcast_ref::<T>())
        {
            return Ok(value.clone());
        }
        let value = make()?;
        lock(&self.per_field).insert(key, Box::new(value.clone()));
        Ok(value)
    }

    /// The passes of the request these loaders serve; drive its execution with them.
    pub fn passes(&self) -> Arc<Passes> {
        self.passes.clone()
    }

    fn get<K, L>(&self, make: impl FnOnce() -> L) -> Arc<Batcher<K, L>>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        L: Loader<K>,
    {
        let mut map = lock(&self.loaders);
        if let Some(Ok(loader)) = map
            .get(&TypeId::of::<L>())
            .map(|l| l.clone().downcast::<Batcher<K, L>>())
        {
            return loader;
        }
        let loader = Arc::new(Batcher::new(make(), self.passes.clone()));
        map.insert(TypeId::of::<L>(), loader.clone());
        loader
    }

    /// Rows of entity `E` by id.
    pub fn by_id<E: EntityTrait>(&self) -> Arc<Batcher<i64, ById<E>>>
    where
        E::Model: Sync,
    {
        self.get(|| ById {
            db: self.db.clone(),
            entity: PhantomData,
        })
    }

    /// Translations of translatable rows.
    pub fn translations(
        &self,
    ) -> Arc<Batcher<(crate::services::search::index::Kind, i64), super::i18n::Translations>> {
        self.get(|| super::i18n::Translations {
            db: self.db.clone(),
        })
    }

    /// Rows of entity `E` by natural key.
    pub fn by_key<E: EntityTrait>(&self) -> Arc<Batcher<Key, ByKey<E>>>
    where
        E::Model: Sync,
    {
        self.get(|| ByKey {
            db: self.db.clone(),
            entity: PhantomData,
        })
    }

    /// Nested pages of rows read as `M`.
    pub fn pages<M: Decode + Clone + Send + Sync + 'static>(
        &self,
    ) -> Arc<Batcher<NestedKey, PageLoader<M>>> {
        self.get(|| PageLoader {
            db: self.db.clone(),
            model: PhantomData,
        })
    }

    /// Loads one row of `E` by id; `None` when it does not exist. The future is boxed, as a
    /// nested list's is (see [`Boxed`](super::connection::Boxed)): it holds the row.
    pub fn one<E: EntityTrait>(
        &self,
        id: i64,
    ) -> super::connection::Boxed<'static, Option<E::Model>>
    where
        E::Model: Sync,
    {
        let loader = self.by_id::<E>();
        Box::pin(async move { loader.load_one(id).await })
    }

    /// Loads one row of `E` by id holding at least the columns `needed` (see [`Columns`]); a
    /// row a list read with those columns is used as it is.
    pub async fn one_covering<E: EntityTrait>(
        &self,
        id: i64,
        needed: Columns,
    ) -> async_graphql::Result<Option<E::Model>>
    where
        E::Model: Sync,
    {
        self.by_id::<E>().load_covering(id, needed).await
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

    async fn load(&self, keys: &[i64]) -> async_graphql::Result<HashMap<i64, E::Model>> {
        let table = E::default().table_name();
        let rows = E::find()
            .filter(Expr::col((Alias::new(table), Alias::new("id"))).is_in(keys.iter().copied()))
            .all(&self.db.reads)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .filter_map(|m| Some((id_of::<E>(&m)?, m)))
            .collect())
    }
}

/// The internal id of a row of `E`, which every table keeps in its `id` column.
pub fn id_of<E: EntityTrait>(model: &E::Model) -> Option<i64> {
    match model.get(E::Column::from_str("id").ok()?) {
        Value::BigInt(Some(id)) => Some(id),
        _ => None,
    }
}

/// A natural key of a row: its public id, or a unique text column such as a slug.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// The row's public id (the UUID inside its global id).
    PublicId(Uuid),
    /// The value of a unique text column.
    Text(&'static str, String),
}

/// Loads rows of one entity by natural keys: one statement per kind of key.
pub struct ByKey<E> {
    db: Database,
    entity: PhantomData<fn() -> E>,
}

impl<E: EntityTrait> Loader<Key> for ByKey<E>
where
    E::Model: Sync,
{
    type Value = E::Model;

    async fn load(&self, keys: &[Key]) -> async_graphql::Result<HashMap<Key, E::Model>> {
        let table = E::default().table_name().to_owned();
        let column = |name: &str| {
            E::Column::from_str(name)
                .map_err(|_| AppError::Internal(format!("{table} has no {name} column").into()))
        };
        let mut groups: HashMap<&'static str, Vec<sea_orm::Value>> = HashMap::new();
        for key in keys {
            let (name, value) = match key {
                Key::PublicId(u) => ("public_id", (*u).into()),
                Key::Text(c, t) => (*c, t.clone().into()),
            };
            groups.entry(name).or_default().push(value);
        }
        let mut out = HashMap::new();
        for (name, values) in groups {
            let col = column(name)?;
            let rows = E::find()
                .filter(Expr::col((Alias::new(table.clone()), Alias::new(name))).is_in(values))
                .all(&self.db.reads)
                .await
                .map_err(AppError::from)?;
            for m in rows {
                let key = match m.get(col) {
                    Value::Uuid(Some(u)) => Key::PublicId(u),
                    Value::String(Some(t)) => Key::Text(name, t),
                    _ => continue,
                };
                out.insert(key, m);
            }
        }
        Ok(out)
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

impl<M: Decode + Clone + Send + Sync + 'static> Loader<NestedKey> for PageLoader<M> {
    type Value = Page<M>;

    async fn load(&self, keys: &[NestedKey]) -> async_graphql::Result<HashMap<NestedKey, Page<M>>> {
        let mut lists: HashMap<Arc<Nested>, Vec<i64>> = HashMap::new();
        for k in keys {
            lists.entry(k.nested.clone()).or_default().push(k.parent);
        }
        let mut out = HashMap::new();
        for (nested, parents) in lists {
            for (parent, page) in nested.load::<M>(&self.db.reads, &parents).await? {
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use futures_util::stream::FuturesUnordered;
    use std::sync::atomic::AtomicUsize;

    /// Doubles keys and counts its calls.
    struct Doubler(Arc<AtomicUsize>);

    impl Loader<i64> for Doubler {
        type Value = i64;
        async fn load(&self, keys: &[i64]) -> async_graphql::Result<HashMap<i64, i64>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok(keys.iter().map(|k| (*k, k * 2)).collect())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_batch_per_pass_even_when_lists_yield_part_way() {
        let calls = Arc::new(AtomicUsize::new(0));
        let passes = Arc::new(Passes::default());
        let batcher = Batcher::new(Doubler(calls.clone()), passes.clone());
        // Two levels of FuturesUnordered, which yield after every full round, as lists and
        // objects do while a request resolves.
        let work = async {
            let mut outer: FuturesUnordered<_> = (0..10)
                .map(|i| {
                    let batcher = &batcher;
                    async move {
                        let mut inner: FuturesUnordered<_> =
                            (0..10).map(|j| batcher.load_one(i * 10 + j)).collect();
                        let mut sum = 0;
                        while let Some(v) = inner.next().await {
                            sum += v.ok().flatten().unwrap_or_default();
                        }
                        sum
                    }
                })
                .collect();
            let mut total = 0;
            while let Some(v) = outer.next().await {
                total += v;
            }
            total
        };
        let total = passes.drive(work).await;
        assert_eq!(total, (0..100).map(|k| k * 2).sum::<i64>());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
