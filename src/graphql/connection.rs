//! Relay cursor connections: the generic page type every list returns, and the helpers that
//! fill it from a top-level query or, batched per request, from a nested one.

use super::loader::{Columns, Loaders, NestedKey, WHOLE, id_of};
use super::types::*;
use crate::db::decode::Decode;
use crate::error::AppError;
use crate::services::page::{self, Also, Joined, Nested, Page, PageRequest, Sort};
use async_graphql::parser::types::OperationType;
use async_graphql::{Context, Lookahead, SelectionField, SimpleObject, Value};
use sea_orm::sea_query::{Alias, SelectStatement};
use sea_orm::{ColumnTrait, EntityTrait, IdenStatic, Iterable, ModelTrait};
use std::any::TypeId;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock, RwLock};

/// Where a page lies in its list.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(shareable)]
pub struct PageInfo {
    /// More items follow this page.
    pub has_next_page: bool,
    /// More items precede this page.
    pub has_previous_page: bool,
    /// Cursor of the first item of this page.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of this page.
    pub end_cursor: Option<String>,
}

/// A page of items that can be built from a page of models.
pub trait ConnectionType: Sized {
    /// The item type.
    type Node;
    /// Assembles the connection.
    fn build(items: Vec<(page::Cursor, Self::Node)>, page_info: PageInfo, total_count: u64)
    -> Self;

    /// Wraps a page of models as a connection of their GraphQL types.
    fn from_page<M>(page: Page<M>) -> Self
    where
        Self::Node: From<M>,
    {
        let page_info = PageInfo {
            has_next_page: page.has_next,
            has_previous_page: page.has_previous,
            start_cursor: page.items.first().map(|(c, _)| c.encode()),
            end_cursor: page.items.last().map(|(c, _)| c.encode()),
        };
        let items = page
            .items
            .into_iter()
            .map(|(c, m)| (c, Self::Node::from(m)))
            .collect();
        Self::build(items, page_info, page.total.unwrap_or_default())
    }
}

/// Declares the connection and edge types of one item type. Edges and nodes are views of the
/// same items (nothing is copied), and a cursor is encoded only when a client asks for it.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ident, $doc:literal, $edge_doc:literal) => {
        #[doc = $edge_doc]
        pub struct $edge<'a> {
            cursor: &'a $crate::services::page::Cursor,
            node: &'a $node,
        }

        #[doc = $edge_doc]
        #[async_graphql::Object]
        impl<'a> $edge<'a> {
            /// Opaque position of this item: pass it as `after` or `before` to page from here.
            async fn cursor(&self) -> String {
                self.cursor.encode()
            }

            /// The item.
            async fn node(&self) -> &$node {
                self.node
            }
        }

        #[doc = $doc]
        pub struct $conn {
            items: Vec<($crate::services::page::Cursor, $node)>,
            page_info: $crate::graphql::connection::PageInfo,
            total_count: u64,
        }

        #[doc = $doc]
        #[async_graphql::Object]
        impl $conn {
            /// The items of this page with their cursors.
            async fn edges(&self) -> Vec<$edge<'_>> {
                self.items
                    .iter()
                    .map(|(cursor, node)| $edge { cursor, node })
                    .collect()
            }

            /// The items of this page, without cursors.
            async fn nodes(&self) -> Vec<&$node> {
                self.items.iter().map(|(_, node)| node).collect()
            }

            /// Where this page lies in the whole list.
            async fn page_info(&self) -> &$crate::graphql::connection::PageInfo {
                &self.page_info
            }

            /// How many items the whole list holds, across all pages.
            async fn total_count(&self) -> u64 {
                self.total_count
            }
        }

        impl $crate::graphql::connection::ConnectionType for $conn {
            type Node = $node;
            fn build(
                items: Vec<($crate::services::page::Cursor, $node)>,
                page_info: $crate::graphql::connection::PageInfo,
                total_count: u64,
            ) -> Self {
                Self {
                    items,
                    page_info,
                    total_count,
                }
            }
        }
    };
}

pub(crate) use connection;

connection!(
    RegionConnection,
    RegionEdge,
    Region,
    "A page of regions.",
    "A region and its cursor."
);
connection!(
    ThemeConnection,
    ThemeEdge,
    Theme,
    "A page of themes.",
    "A theme and its cursor."
);
connection!(
    ClusterConnection,
    ClusterEdge,
    Cluster,
    "A page of clusters.",
    "A cluster and its cursor."
);
connection!(
    ClusterLabelConnection,
    ClusterLabelEdge,
    ClusterLabel,
    "A page of cluster labels.",
    "A cluster label and its cursor."
);
connection!(
    OrganisationConnection,
    OrganisationEdge,
    Organisation,
    "A page of organisations.",
    "An organisation and its cursor."
);
connection!(
    MembershipConnection,
    MembershipEdge,
    Membership,
    "A page of memberships.",
    "A membership and its cursor."
);
connection!(
    ContactConnection,
    ContactEdge,
    Contact,
    "A page of contacts.",
    "A contact and its cursor."
);
connection!(
    CollaborationConnection,
    CollaborationEdge,
    Collaboration,
    "A page of collaborations.",
    "A collaboration and its cursor."
);
connection!(
    ParticipantConnection,
    ParticipantEdge,
    Participant,
    "A page of participants.",
    "A participant and its cursor."
);
connection!(
    EventConnection,
    EventEdge,
    Event,
    "A page of events.",
    "An event and its cursor."
);
connection!(
    EventOrganiserConnection,
    EventOrganiserEdge,
    EventOrganiser,
    "A page of event organisers.",
    "An event organiser and its cursor."
);
connection!(
    OfferNeedConnection,
    OfferNeedEdge,
    OfferNeed,
    "A page of offers and needs.",
    "An offer or need and its cursor."
);
connection!(
    InterestConnection,
    InterestEdge,
    Interest,
    "A page of expressions of interest.",
    "An expression of interest and its cursor."
);
connection!(
    IndicatorConnection,
    IndicatorEdge,
    Indicator,
    "A page of state-of-affairs indicators.",
    "An indicator and its cursor."
);
connection!(
    KpiConnection,
    KpiEdge,
    Kpi,
    "A page of KPIs.",
    "A KPI and its cursor."
);

/// The Relay arguments of a list field, as the client sent them.
#[derive(Default, Debug, Clone)]
pub struct PageArgs {
    /// `first`.
    pub first: Option<i32>,
    /// `after`.
    pub after: Option<String>,
    /// `last`.
    pub last: Option<i32>,
    /// `before`.
    pub before: Option<String>,
}

impl PageArgs {
    /// The arguments of a list field.
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        Self {
            first,
            after,
            last,
            before,
        }
    }

    /// Validates the arguments for a list in this ordering.
    pub fn request(&self, sort: &Sort) -> Result<PageRequest, AppError> {
        PageRequest::parse(
            self.first,
            self.after.as_deref(),
            self.last,
            self.before.as_deref(),
            sort,
        )
    }
}

/// Whether the client selected `totalCount` on this connection field.
fn wants_total(ctx: &Context<'_>) -> bool {
    wants_total_in(&ctx.look_ahead())
}

/// Whether `list`, the selection of a connection field, holds `totalCount`.
fn wants_total_in(list: &Lookahead<'_>) -> bool {
    list.field("totalCount").exists()
}

/// A top-level list: one page of `query` in `sort` order.
pub async fn top<M, C>(
    ctx: &Context<'_>,
    query: SelectStatement,
    sort: Sort,
    args: PageArgs,
) -> async_graphql::Result<C>
where
    M: Decode,
    C: ConnectionType,
    C::Node: From<M>,
{
    let req = args.request(&sort)?;
    let db = &ctx.data::<Loaders>()?.db;
    let page = page::page::<M>(&db.reads, query, &sort, &req, wants_total(ctx), None).await?;
    Ok(C::from_page(page))
}

/// An entity whose lists read only the columns their items' selected fields need. Unless the
/// entity is [`PRECISE`], only nullable columns are left out: a model reads a column that is not
/// in its row as `None`, the same as a `NULL`, so the rows stay models and the resolvers stay as
/// they are, and columns that cannot be `NULL` are always read; they are the narrow ones (ids,
/// names, codes, times). A [`PRECISE`] entity names every column each field reads, and only
/// `id` is always read.
///
/// [`PRECISE`]: Narrow::PRECISE
pub trait Narrow: EntityTrait {
    /// Whether [`Narrow::columns_of`] names the columns that cannot be `NULL` too, so that a
    /// list leaves out every column its fields do not read but `id`: the model reads those left
    /// out as placeholders (see `decode_by_position!`), which no resolver of its fields reads.
    /// The items of nested lists (memberships, themes, organisations) are such entities: the
    /// pages of 20 parents hand over hundreds of them per request; so are clusters, whose
    /// lists are the directory's most asked for.
    const PRECISE: bool = false;

    /// The nullable columns (with [`Narrow::PRECISE`], all the columns) that the item type's
    /// field `field` reads, or `None` for a field this does not know (the whole row is read
    /// then).
    fn columns_of(field: &str) -> Option<&'static [&'static str]>;
}

/// The columns of `E` that items selecting `fields` read, with their [`Columns`] bits, or `None`
/// when one of the fields needs the whole row.
fn kept_columns<'f, E: Narrow>(
    fields: impl IntoIterator<Item = &'f str>,
    reader: Reader,
) -> Option<(Vec<E::Column>, Columns)> {
    let mut wanted: Vec<&'static str> = Vec::new();
    for field in fields {
        wanted.extend(E::columns_of(field)?);
    }
    let required = if E::PRECISE && reader == Reader::ByPosition {
        0
    } else {
        required::<E>()?
    };
    let mut bits = 0;
    let mut kept = Vec::new();
    for (i, c) in E::Column::iter().enumerate() {
        let bit = 1u64.checked_shl(u32::try_from(i).ok()?)?;
        if required & bit != 0 || c.as_str() == "id" || wanted.contains(&c.as_str()) {
            bits |= bit;
            kept.push(c);
        }
    }
    Some((kept, bits))
}

/// The bits of the columns of `E` that cannot be `NULL`, found once per entity (a column's
/// `def()` builds its whole definition each time, and every object of a list asks); `None` for a
/// table wider than [`Columns`] has bits for, which is read whole.
fn required<E: EntityTrait>() -> Option<Columns> {
    type Found = HashMap<TypeId, Option<Columns>>;
    static FOUND: OnceLock<RwLock<Found>> = OnceLock::new();
    let found = FOUND.get_or_init(Default::default);
    let id = TypeId::of::<E>();
    if let Some(bits) = found.read().ok().and_then(|f| f.get(&id).copied()) {
        return bits;
    }
    let bits = (|| {
        let mut bits = 0u64;
        for (i, c) in E::Column::iter().enumerate() {
            let bit = 1u64.checked_shl(u32::try_from(i).ok()?)?;
            if !c.def().is_null() {
                bits |= bit;
            }
        }
        Some(bits)
    })();
    if let Ok(mut f) = found.write() {
        f.insert(id, bits);
    }
    bits
}

/// The names of the fields selected under the fields of `look` (fragments expanded).
fn fields_below<'a>(look: &async_graphql::Lookahead<'a>) -> Vec<&'a str> {
    look.selection_fields()
        .into_iter()
        .flat_map(|f| f.selection_set().map(|g| g.name()).collect::<Vec<_>>())
        .collect()
}

/// The items of a list as `list`, the selection of its connection field, selects them: under
/// `nodes`, and under `edges { node }`.
fn items<'a>(list: &Lookahead<'a>) -> [Lookahead<'a>; 2] {
    [list.field("nodes"), list.field("edges").field("node")]
}

/// The fields selected on the items of the list being resolved.
fn item_fields<'a>(ctx: &'a Context<'_>) -> Vec<&'a str> {
    items(&ctx.look_ahead())
        .iter()
        .flat_map(fields_below)
        .collect()
}

/// `query`, a list of `E`, selecting only the columns its items' selected fields read (see
/// [`Narrow`]). PostgreSQL and SQLite send fewer values, and fewer are turned into models.
pub fn narrow<E: Narrow>(ctx: &Context<'_>, query: SelectStatement) -> SelectStatement {
    narrow_items::<E>(item_fields(ctx), query).query
}

/// `query`, one row of `E` for the field being resolved, selecting only the columns that field's
/// selection reads (see [`Narrow`]), and every column that cannot be `NULL`: SeaORM reads a
/// lookup's row, and needs those.
pub fn narrow_one<E: Narrow>(ctx: &Context<'_>, query: SelectStatement) -> SelectStatement {
    match kept_columns::<E>(fields_below(&ctx.look_ahead()), Reader::SeaOrm) {
        Some((columns, _)) => select_under(columns, query, ""),
        None => query,
    }
}

/// What turns the rows a narrowed statement reads into models: SeaORM needs every column that
/// cannot be `NULL`; [`Decode`] holds a placeholder for one a [`Narrow::PRECISE`] entity's
/// statement leaves out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    SeaOrm,
    ByPosition,
}

/// A nested list's query, with the columns of its entity it selects when it selects only some
/// (items of a [`Narrow::PRECISE`] entity): SQLite's statement for many parents reads the rows
/// again by id, and reads those columns.
pub struct Listed {
    /// The list's query.
    pub query: SelectStatement,
    /// The entity's columns `query` selects, when not all.
    pub items: Option<Vec<&'static str>>,
}

impl From<SelectStatement> for Listed {
    fn from(query: SelectStatement) -> Self {
        Self { query, items: None }
    }
}

impl Listed {
    /// The nested list this query pages.
    fn describe(
        self,
        partition: (&'static str, &'static str),
        sort: Sort,
        req: PageRequest,
        with_total: bool,
    ) -> Nested {
        let nested = Nested::new(self.query, partition, sort, req, with_total);
        match self.items {
            Some(items) => nested.with_items(items),
            None => nested,
        }
    }
}

/// `query`, a nested list of `E`, selecting only the columns its items' selected `fields` read,
/// and which those are.
fn narrow_items<'f, E: Narrow>(
    fields: impl IntoIterator<Item = &'f str>,
    query: SelectStatement,
) -> Listed {
    match kept_columns::<E>(fields, Reader::ByPosition) {
        Some((columns, _)) => Listed {
            items: Some(columns.iter().map(|c| c.as_str()).collect()),
            query: select_under(columns, query, ""),
        },
        None => query.into(),
    }
}

/// `query`, the nested list of `E` being resolved, selecting only the columns its items'
/// selected fields read (see [`narrow`]), and which those are.
pub fn narrow_list<E: Narrow>(ctx: &Context<'_>, query: SelectStatement) -> Listed {
    narrow_items::<E>(item_fields(ctx), query)
}

/// `query` selecting `columns`, each named with `prefix` before its own name.
fn select_under<C: ColumnTrait>(
    columns: impl IntoIterator<Item = C>,
    mut query: SelectStatement,
    prefix: &str,
) -> SelectStatement {
    query.clear_selects();
    for c in columns {
        let name = Alias::new(format!("{prefix}{}", c.as_str()));
        query.expr_as(c.select_as(c.into_expr()), name);
    }
    query
}

/// The columns of `E` that the field being resolved, a row of `E`, reads for its selection:
/// what to ask [`Loaders::one_covering`] for.
pub fn needed<E: Narrow>(ctx: &Context<'_>) -> Columns {
    let work_out = || {
        kept_columns::<E>(fields_below(&ctx.look_ahead()), Reader::ByPosition)
            .map_or(WHOLE, |(_, bits)| bits)
    };
    match ctx.data::<Loaders>() {
        Ok(loaders) => loaders
            .per_field(ctx, ("", ""), || Ok(Needed::<E>(work_out(), PhantomData)))
            .map_or(WHOLE, |n| n.0),
        Err(_) => work_out(),
    }
}

/// The columns of `E` a field reads, as [`Loaders::per_field`] keeps them.
struct Needed<E>(Columns, PhantomData<fn() -> E>);

impl<E> Clone for Needed<E> {
    fn clone(&self) -> Self {
        Self(self.0, PhantomData)
    }
}

/// The row of `R` that the items of a list, whose connection field selects `list`, reach
/// through `field`, read in the list's statement through the items' column `key` with only the
/// columns that field's selection reads, and those columns' bits; `None` when the field is not
/// selected, or outside queries: the loaders keep the rows they are handed for the rest of the
/// request, and a mutation's later field (or a subscription's later event) must see the rows as
/// its own writes (or the writes since) left them.
fn also_for<R: Narrow>(
    ctx: &Context<'_>,
    list: &Lookahead<'_>,
    field: &str,
    key: &'static str,
) -> Option<(Also, Columns)> {
    if ctx.query_env.operation.node.ty != OperationType::Query {
        return None;
    }
    let reached = items(list).map(|items| items.field(field));
    if !reached.iter().any(|r| r.exists()) {
        return None;
    }
    let names: Vec<&str> = reached.iter().flat_map(fields_below).collect();
    let also = Also::of::<R>(key);
    Some(match kept_columns::<R>(names, Reader::ByPosition) {
        Some((columns, bits)) => (
            also.only(columns.iter().map(|c| c.as_str()).collect()),
            bits,
        ),
        None => (also, WHOLE),
    })
}

/// Gives the rows that a page's items point to to the loader of `R` by id, and returns the
/// page of items.
fn prime<M, R: EntityTrait>(
    loaders: &Loaders,
    page: Page<Joined<M, R::Model>>,
    columns: Columns,
) -> Page<M>
where
    R::Model: Sync,
{
    let mut reached = Vec::with_capacity(page.items.len());
    let page = page.map(|j| {
        reached.extend(j.also);
        j.item
    });
    loaders.by_id::<R>().prime(
        reached
            .into_iter()
            .filter_map(|m| Some((id_of::<R>(&m)?, m))),
        columns,
    );
    page
}

/// A top-level list whose items point to a row of `R` through their column `key`, which the
/// query reaches by the items' field `field` (the region of a cluster, say). When that field is
/// selected, the rows are read in the list's own statement and given to the loader of `R`, so
/// they cost no statement of their own; otherwise this is [`top`].
pub async fn top_joined<M, R, C>(
    ctx: &Context<'_>,
    query: SelectStatement,
    sort: Sort,
    args: PageArgs,
    field: &str,
    key: &'static str,
) -> async_graphql::Result<C>
where
    M: Decode,
    R: Narrow,
    R::Model: Decode + Sync,
    C: ConnectionType,
    C::Node: From<M>,
{
    let Some((also, columns)) = also_for::<R>(ctx, &ctx.look_ahead(), field, key) else {
        return top::<M, C>(ctx, query, sort, args).await;
    };
    let req = args.request(&sort)?;
    let loaders = ctx.data::<Loaders>()?;
    let page = page::page::<Joined<M, R::Model>>(
        &loaders.db.reads,
        query,
        &sort,
        &req,
        wants_total(ctx),
        Some(&also),
    )
    .await?;
    Ok(C::from_page(prime::<M, R>(loaders, page, columns)))
}

/// A nested list under `parent`: batched with the same list under every other parent of the
/// request into one statement (plus one for totals). `query`, the list's rows under any parent,
/// is built once per field of the request (see [`Loaders::per_field`]), not once per parent.
///
/// The list is described here, before the returned future runs, and that future is boxed (see
/// [`Boxed`]).
pub fn nested<'a, M, C, Q>(
    ctx: &Context<'a>,
    parent: i64,
    query: impl FnOnce() -> Q,
    partition: (&'static str, &'static str),
    sort: Sort,
    args: PageArgs,
) -> Boxed<'a, C>
where
    M: Decode + Clone + Send + Sync + 'static,
    C: ConnectionType + 'a,
    C::Node: From<M>,
    Q: Into<Listed>,
{
    let described = ctx.data::<Loaders>().and_then(|loaders| {
        let nested: Arc<Nested> = loaders.per_field(ctx, partition, || {
            let req = args.request(&sort)?;
            Ok(Arc::new(query().into().describe(
                partition,
                sort,
                req,
                wants_total(ctx),
            )))
        })?;
        Ok((loaders, nested))
    });
    Box::pin(async move {
        let (loaders, nested) = described?;
        page_under(loaders, parent, nested).await
    })
}

/// The page of `nested` under `parent`, batched by the request's loader.
async fn page_under<M, C>(
    loaders: &Loaders,
    parent: i64,
    nested: Arc<Nested>,
) -> async_graphql::Result<C>
where
    M: Decode + Clone + Send + Sync + 'static,
    C: ConnectionType,
    C::Node: From<M>,
{
    let page = loaders
        .pages::<M>()
        .load_one(NestedKey { parent, nested })
        .await?;
    Ok(C::from_page(page.unwrap_or_else(Page::empty)))
}

/// The future of a nested list's page. Boxed, because an object type's field resolvers are
/// polled inside one future whose size is the largest of theirs, and the executor allocates and
/// copies that size for every field selected, scalar fields too: inline, a list's future made
/// an organisation's `name` cost what its `memberships` cost.
pub type Boxed<'a, C> = futures_util::future::BoxFuture<'a, async_graphql::Result<C>>;

/// How a field's nested list reads the rows its items point to (see [`nested_joined`]): the
/// list, and the columns of those rows it reads; without them, the list reads its items alone.
#[derive(Clone)]
struct JoinedList {
    nested: Arc<Nested>,
    columns: Option<Columns>,
}

/// A nested list whose items point to a row of `R` through their column `key`, which the query
/// reaches by the items' field `field` (a membership's cluster, say). When that field is
/// selected, the rows are read in the list's own statement and given to the loader of `R`, so
/// they cost no statement of their own; otherwise this is [`nested`].
#[allow(clippy::too_many_arguments)]
pub fn nested_joined<'a, M, R, C>(
    ctx: &Context<'a>,
    parent: i64,
    query: impl FnOnce() -> Listed,
    partition: (&'static str, &'static str),
    sort: Sort,
    args: PageArgs,
    field: &str,
    key: &'static str,
) -> Boxed<'a, C>
where
    M: Decode + Clone + Send + Sync + 'static,
    R: Narrow,
    R::Model: Decode + Sync,
    C: ConnectionType + 'a,
    C::Node: From<M>,
{
    let described = ctx.data::<Loaders>().and_then(|loaders| {
        let list = loaders.per_field(ctx, partition, || {
            let req = args.request(&sort)?;
            let nested = query().describe(partition, sort, req, wants_total(ctx));
            Ok(match also_for::<R>(ctx, &ctx.look_ahead(), field, key) {
                Some((also, columns)) => JoinedList {
                    nested: Arc::new(nested.with_also(also)),
                    columns: Some(columns),
                },
                None => JoinedList {
                    nested: Arc::new(nested),
                    columns: None,
                },
            })
        })?;
        Ok((loaders, list))
    });
    Box::pin(async move {
        let (loaders, list) = described?;
        let JoinedList {
            nested,
            columns: Some(columns),
        } = list
        else {
            return page_under::<M, C>(loaders, parent, list.nested).await;
        };
        let page = loaders
            .pages::<Joined<M, R::Model>>()
            .load_one(NestedKey { parent, nested })
            .await?;
        Ok(C::from_page(prime::<M, R>(
            loaders,
            page.unwrap_or_else(Page::empty),
            columns,
        )))
    })
}

/// A nested list of `M` whose items point to a row of `R` (a membership's cluster, say),
/// described once for two readers: its field's resolver ([`NestedList::resolve`], that is
/// [`nested_joined`]), and a lookup of its parent by id, which reads the parent's row and the
/// page that resolver would read in one statement ([`NestedList::read_with_parent`]).
pub struct NestedList<M, R> {
    /// The list's field on the parent's type.
    pub name: &'static str,
    /// Builds the entity's columns with filters and any link-table join applied (once per
    /// request, see [`nested`]).
    pub query: fn() -> SelectStatement,
    /// Table and column holding the parent id.
    pub partition: (&'static str, &'static str),
    /// The list's ordering.
    pub sort: Sort,
    /// The items' field that reaches the row of `R`.
    pub field: &'static str,
    /// The items' column holding that row's id.
    pub key: &'static str,
    model: PhantomData<fn() -> (M, R)>,
}

impl<M, R> NestedList<M, R>
where
    M: ModelTrait + Decode + Clone + Send + Sync + 'static,
    M::Entity: Narrow,
    R: Narrow,
    R::Model: Decode + Clone + Send + Sync,
{
    /// Describes the list; see the fields for the arguments.
    pub fn new(
        name: &'static str,
        query: fn() -> SelectStatement,
        partition: (&'static str, &'static str),
        sort: Sort,
        (field, key): (&'static str, &'static str),
    ) -> Self {
        Self {
            name,
            query,
            partition,
            sort,
            field,
            key,
            model: PhantomData,
        }
    }

    /// The page under `parent` for the field being resolved, the list's field.
    pub fn resolve<'a, C>(self, ctx: &Context<'a>, parent: i64, args: PageArgs) -> Boxed<'a, C>
    where
        C: ConnectionType + 'a,
        C::Node: From<M>,
    {
        let query = self.query;
        nested_joined::<M, R, C>(
            ctx,
            parent,
            || narrow_list::<M::Entity>(ctx, query()),
            self.partition,
            self.sort,
            args,
            self.field,
            self.key,
        )
    }

    /// For the field being resolved, a lookup of one row of `P` by `query` (its filter; its
    /// columns are chosen here, as [`narrow_one`] does), when the lookup's selection holds
    /// this list once: reads the row and the list's page under it in one statement, and hands
    /// the page to the request's loader, where the list's field will find it. `Ok(None)` when
    /// the selection does not hold the list once, or holds it with arguments the list's field
    /// will refuse; `Ok(Some(None))` when no row matches.
    pub async fn read_with_parent<P: Narrow>(
        &self,
        ctx: &Context<'_>,
        query: SelectStatement,
    ) -> async_graphql::Result<Option<Option<P::Model>>>
    where
        P::Model: Decode,
    {
        let look = ctx.look_ahead();
        let list = look.field(self.name);
        let [field] = list.selection_fields()[..] else {
            return Ok(None);
        };
        let Some(args) = page_args_of(&field) else {
            return Ok(None);
        };
        let Ok(req) = args.request(&self.sort) else {
            return Ok(None);
        };
        let columns = kept_columns::<P>(fields_below(&look), Reader::ByPosition)
            .map_or_else(|| P::Column::iter().collect(), |(columns, _)| columns);
        let parent = select_under(columns, query, page::PARENT_PREFIX);
        let items: Vec<&str> = items(&list).iter().flat_map(fields_below).collect();
        let nested = narrow_items::<M::Entity>(items, (self.query)()).describe(
            self.partition,
            self.sort.clone(),
            req,
            wants_total_in(&list),
        );
        let loaders = ctx.data::<Loaders>()?;
        let found = match also_for::<R>(ctx, &list, self.field, self.key) {
            Some((also, _)) => {
                read_and_prime::<P, Joined<M, R::Model>>(loaders, nested.with_also(also), parent)
                    .await?
            }
            None => read_and_prime::<P, M>(loaders, nested, parent).await?,
        };
        Ok(Some(found))
    }
}

/// Reads a parent's row with its page of `nested` and hands the page to the request's loader.
async fn read_and_prime<P: EntityTrait, M>(
    loaders: &Loaders,
    nested: Nested,
    parent: SelectStatement,
) -> async_graphql::Result<Option<P::Model>>
where
    P::Model: Decode,
    M: Decode + Clone + Send + Sync + 'static,
{
    let Some((id, found, page)) = nested
        .load_with_parent::<P::Model, M>(&loaders.db.reads, parent)
        .await?
    else {
        return Ok(None);
    };
    let key = NestedKey {
        parent: id,
        nested: Arc::new(nested),
    };
    loaders.pages::<M>().prime([(key, page)], WHOLE);
    Ok(Some(found))
}

/// The Relay arguments a list's field is given in `field`, its selection; `None` when one is
/// not of its type (the field's resolver reports that).
fn page_args_of(field: &SelectionField<'_>) -> Option<PageArgs> {
    let mut args = PageArgs::default();
    let count = |v: Value| match v {
        Value::Number(n) => i32::try_from(n.as_i64()?).ok(),
        _ => None,
    };
    let cursor = |v: Value| match v {
        Value::String(s) => Some(s),
        _ => None,
    };
    for (name, value) in field.arguments().ok()? {
        if value == Value::Null {
            continue;
        }
        match name.as_str() {
            "first" => args.first = Some(count(value)?),
            "last" => args.last = Some(count(value)?),
            "after" => args.after = Some(cursor(value)?),
            "before" => args.before = Some(cursor(value)?),
            _ => return None,
        }
    }
    Some(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::cluster;

    #[test]
    fn a_list_leaves_out_the_nullable_columns_its_fields_do_not_read() {
        let (kept, bits) =
            kept_columns::<cluster::Entity>(["name", "slug", "region"], Reader::ByPosition)
                .expect("known fields");
        assert_eq!(bits.count_ones() as usize, kept.len());
        let kept = kept.iter().map(|c| c.as_str()).collect::<Vec<_>>();
        assert!(kept.contains(&"id") && kept.contains(&"name") && kept.contains(&"region_id"));
        assert!(!kept.contains(&"description") && !kept.contains(&"website"));
        assert!(
            kept_columns::<cluster::Entity>(["name", "aFieldAddedLater"], Reader::ByPosition)
                .is_none()
        );
    }
}
