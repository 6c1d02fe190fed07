//! Keyset (cursor) pagination over any table: one page of a top-level list, or one page per
//! parent for nested lists in a single statement (the list's limited query joined `LATERAL` to
//! the parents on PostgreSQL, a correlated subquery per parent on SQLite).
//! Pages never use OFFSET, so a page deep in a list costs what the first page costs.

use crate::db::decode::{Decode, Positions};
use crate::error::{AppError, AppResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Asterisk, Cond, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement,
    SqliteQueryBuilder,
};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable, QueryResult, Statement,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Page size when the client asks for none.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// The value of the sort column at a row, as carried in a cursor.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    /// A whole number.
    Int(i64),
    /// A point in time.
    Time(DateTime<Utc>),
    /// Text.
    Text(String),
}

/// How the sort column's values are typed, to read them back from a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// Integer column.
    Int,
    /// Timestamp column.
    Time,
    /// Text column.
    Text,
}

/// One ordering of a list: a column with a kind, a direction, and the table's id as tiebreak.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sort {
    /// Name written into cursors, so a cursor of one ordering is refused by another.
    pub name: &'static str,
    /// Table of the sorted entity.
    pub table: &'static str,
    /// Sort column in that table.
    pub column: &'static str,
    /// Type of the sort column.
    pub kind: KeyKind,
    /// Descending instead of ascending.
    pub desc: bool,
}

impl Sort {
    /// An ordering of `table` by `column`.
    pub const fn new(
        name: &'static str,
        table: &'static str,
        column: &'static str,
        kind: KeyKind,
    ) -> Self {
        Self {
            name,
            table,
            column,
            kind,
            desc: false,
        }
    }

    /// The same ordering, descending when `desc`.
    pub fn direction(mut self, desc: bool) -> Self {
        self.desc = desc;
        self
    }

    fn key_expr(&self) -> Expr {
        Expr::col((Alias::new(self.table), Alias::new(self.column)))
    }

    fn id_expr(&self) -> Expr {
        Expr::col((Alias::new(self.table), Alias::new("id")))
    }

    fn order(&self, backward: bool) -> Order {
        if self.desc != backward {
            Order::Desc
        } else {
            Order::Asc
        }
    }

    /// Rows strictly after (`after == true`) or before the cursor, in this ordering, as one
    /// row-value comparison `(key, id) > (value, id)`: both databases read it as a range of the
    /// `(key, id)` index, so a page deep into a list costs what the first page costs (an `OR` of
    /// the two conditions was read by scanning from the start of the index).
    fn beyond(&self, cursor: &Cursor, after: bool) -> Cond {
        let forward = after != self.desc;
        let value = match &cursor.key {
            SortValue::Int(v) => Expr::val(*v),
            SortValue::Time(v) => Expr::val(*v),
            SortValue::Text(v) => Expr::val(v.clone()),
        };
        let row = Expr::tuple([self.key_expr(), self.id_expr()]);
        let at = Expr::tuple([value, Expr::val(cursor.id)]);
        Cond::all().add(if forward { row.gt(at) } else { row.lt(at) })
    }

    /// The sort key `_k` of a row, the `k`-th column of `at`.
    fn read_key(&self, row: &QueryResult, at: &Positions, k: usize) -> AppResult<SortValue> {
        Ok(match self.kind {
            KeyKind::Int => SortValue::Int(at.get(row, k, "_k")?),
            KeyKind::Time => SortValue::Time(at.get(row, k, "_k")?),
            KeyKind::Text => SortValue::Text(at.get(row, k, "_k")?),
        })
    }
}

/// An opaque position in an ordered list.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The ordering the cursor belongs to.
    pub order: String,
    /// The sort value at the position.
    pub key: SortValue,
    /// The row id at the position (tiebreak).
    pub id: i64,
}

impl Cursor {
    /// The cursor as clients see it: base64url of a small JSON array.
    pub fn encode(&self) -> String {
        let raw = serde_json::json!([self.order, self.key, self.id]).to_string();
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Reads a client's cursor, refusing one that is malformed or of another ordering.
    pub fn decode(field: &str, text: &str, sort: &Sort) -> AppResult<Self> {
        let bad = || {
            AppError::bad_input(
                field,
                format!(
                    "`{field}` is not a cursor of this list; pass a `cursor` or `pageInfo` value this list returned"
                ),
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let (order, key, id): (String, SortValue, i64) =
            serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let kind_matches = matches!(
            (&key, sort.kind),
            (SortValue::Int(_), KeyKind::Int)
                | (SortValue::Time(_), KeyKind::Time)
                | (SortValue::Text(_), KeyKind::Text)
        );
        if order != sort.name || !kind_matches {
            return Err(bad());
        }
        Ok(Self { order, key, id })
    }
}

/// A validated request for one page: how many rows, which way, and between which cursors.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// Rows wanted.
    pub limit: u64,
    /// Counting back from the end (`last`) instead of forward (`first`).
    pub backward: bool,
    /// Only rows after this position.
    pub after: Option<Cursor>,
    /// Only rows before this position.
    pub before: Option<Cursor>,
}

impl PageRequest {
    /// Validates Relay pagination arguments for a list in the given ordering.
    pub fn parse(
        first: Option<i32>,
        after: Option<&str>,
        last: Option<i32>,
        before: Option<&str>,
        sort: &Sort,
    ) -> AppResult<Self> {
        let size = |field: &str, n: i32| -> AppResult<u64> {
            match u64::try_from(n) {
                Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
                _ => Err(AppError::bad_input(
                    field,
                    format!(
                        "`{field}` must be between 0 and {MAX_PAGE_SIZE}, got {n}; page through longer lists with cursors"
                    ),
                )),
            }
        };
        let (limit, backward) = match (first, last) {
            (Some(_), Some(_)) => {
                return Err(AppError::bad_input(
                    "last",
                    "pass either `first` or `last`, not both",
                ));
            }
            (Some(n), None) => (size("first", n)?, false),
            (None, Some(n)) => (size("last", n)?, true),
            (None, None) => (DEFAULT_PAGE_SIZE, false),
        };
        Ok(Self {
            limit,
            backward,
            after: after
                .map(|c| Cursor::decode("after", c, sort))
                .transpose()?,
            before: before
                .map(|c| Cursor::decode("before", c, sort))
                .transpose()?,
        })
    }

    /// The first page in the default size.
    pub fn first_page() -> Self {
        Self {
            limit: DEFAULT_PAGE_SIZE,
            backward: false,
            after: None,
            before: None,
        }
    }
}

/// One page of a list, each item with its cursor.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The rows with their cursors, in list order. Cursors are encoded only when a client asks
    /// for them.
    pub items: Vec<(Cursor, T)>,
    /// More rows follow the last one.
    pub has_next: bool,
    /// More rows precede the first one.
    pub has_previous: bool,
    /// Rows in the whole (filtered) list, when asked for.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// An empty page.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            has_next: false,
            has_previous: false,
            total: Some(0),
        }
    }

    /// The same page with every item mapped by `f`.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(|(c, t)| (c, f(t))).collect(),
            has_next: self.has_next,
            has_previous: self.has_previous,
            total: self.total,
        }
    }

    fn from_rows(mut rows: Vec<(Cursor, T)>, req: &PageRequest) -> Self {
        let more = rows.len() as u64 > req.limit;
        rows.truncate(req.limit as usize);
        if req.backward {
            rows.reverse();
        }
        let (has_next, has_previous) = if req.backward {
            (req.before.is_some(), more)
        } else {
            (more, req.after.is_some())
        };
        Self {
            items: rows,
            has_next,
            has_previous,
            total: None,
        }
    }
}

/// The alias of the row an [`Also`] joins, and the prefix of its columns in the result.
const ALSO: &str = "_r";
const ALSO_PREFIX: &str = "_r_";

/// A row that each item of a list points to (a membership's cluster, say), read in the list's
/// own statement by a `LEFT JOIN` on its id, so that it needs no statement of its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Also {
    table: &'static str,
    key: &'static str,
    columns: Vec<&'static str>,
}

impl Also {
    /// The row of `E` whose id the item's column `key` holds.
    pub fn of<E: EntityTrait>(key: &'static str) -> Self {
        Self {
            table: E::default().table_name(),
            key,
            columns: E::Column::iter().map(|c| c.as_str()).collect(),
        }
    }

    /// The same row with only `columns` read (see `graphql::connection::Narrow`).
    pub fn only(mut self, columns: Vec<&'static str>) -> Self {
        self.columns = columns;
        self
    }

    /// Joins the row to `stmt`, whose items are the rows of `items`, and selects its columns
    /// under [`ALSO_PREFIX`].
    fn join(&self, stmt: &mut SelectStatement, items: &str) {
        let also = Alias::new(ALSO);
        stmt.join_as(
            JoinType::LeftJoin,
            Alias::new(self.table),
            also.clone(),
            Expr::col((also.clone(), Alias::new("id")))
                .equals((Alias::new(items), Alias::new(self.key))),
        );
        for c in &self.columns {
            stmt.expr_as(
                Expr::col((also.clone(), Alias::new(*c))),
                Alias::new(format!("{ALSO_PREFIX}{c}")),
            );
        }
    }
}

/// An item of a list with the row it points to, read from a statement that joined an
/// [`Also`]; `also` is `None` when the item points to no row.
#[derive(Clone, Debug)]
pub struct Joined<M, R> {
    /// The list's item.
    pub item: M,
    /// The row it points to.
    pub also: Option<R>,
}

impl<M: Decode, R: Decode> Decode for Joined<M, R> {
    type Layout = (M::Layout, R::Layout, Positions);

    fn layout(row: &QueryResult, prefix: &str) -> Self::Layout {
        (
            M::layout(row, prefix),
            R::layout(row, ALSO_PREFIX),
            Positions::find(row, ALSO_PREFIX, &["id"]),
        )
    }

    fn decode(row: &QueryResult, (item, also, id): &Self::Layout) -> Result<Self, DbErr> {
        let item = M::decode(row, item)?;
        let id: Option<i64> = id.get(row, 0, "id")?;
        let also = match id {
            Some(_) => Some(R::decode(row, also)?),
            None => None,
        };
        Ok(Self { item, also })
    }
}

/// A page's statement on PostgreSQL with its `LIMIT`, the last parameter, read from a subquery.
/// PostgreSQL plans a prepared statement again on every execution while a plan for the values at
/// hand (a custom plan) looks cheaper than the plan for any values (the generic one). Seeing the
/// parents' array and the limit, it estimated 20 parents with 11 rows each, against 100 parents
/// with a tenth of each list for the generic plan, and so planned the statement each time, which
/// took longer than running it (0.5-1.5 ms against 0.5-1.9 ms for the pages of Q2). A top-level
/// page is planned each time for its limit alone: the first 21 clusters by name cost PostgreSQL
/// 73 µs of CPU so, 49 µs with the plan kept. Hidden from it, both plans are estimated alike and
/// the generic one is kept, unless the statement's other values make a custom plan look
/// cheaper; the plan is the same: the rows read in order from an index, up to the limit.
fn limit_unseen(mut statement: Statement) -> Statement {
    let last = statement.values.as_ref().map_or(0, |v| v.0.len());
    let limit = format!("LIMIT ${last}");
    if statement.sql.matches(&limit).count() == 1 {
        statement.sql = statement
            .sql
            .replace(&limit, &format!("LIMIT (SELECT ${last})"));
    }
    statement
}

/// Ids separated by commas, for an array or JSON literal.
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Adds the cursor window, sort key and ordering to a query.
fn windowed(mut query: SelectStatement, sort: &Sort, req: &PageRequest) -> SelectStatement {
    query.expr_as(sort.key_expr(), Alias::new("_k"));
    if let Some(c) = &req.after {
        query.cond_where(sort.beyond(c, true));
    }
    if let Some(c) = &req.before {
        query.cond_where(sort.beyond(c, false));
    }
    query
}

/// The page's rows of a query: its cursor window in the list's order, one row more than the
/// page holds to tell whether another page follows.
fn limited(query: SelectStatement, sort: &Sort, req: &PageRequest) -> SelectStatement {
    let mut query = windowed(query, sort, req);
    let order = sort.order(req.backward);
    query
        .order_by_expr(sort.key_expr(), order.clone())
        .order_by_expr(sort.id_expr(), order)
        .limit(req.limit + 1);
    query
}

/// Reads the rows of a page's statement as models with their cursors, each column found once
/// per statement (see [`Decode`]).
struct Reader<'s, M: Decode> {
    sort: &'s Sort,
    model: M::Layout,
    /// The row's `id` and its sort key `_k`.
    cursor: Positions,
}

impl<'s, M: Decode> Reader<'s, M> {
    /// The reader of the statement whose first row is `first`.
    fn new(first: &QueryResult, sort: &'s Sort) -> Self {
        Self {
            sort,
            model: M::layout(first, ""),
            cursor: Positions::find(first, "", &["id", "_k"]),
        }
    }

    fn read(&self, row: &QueryResult) -> AppResult<(Cursor, M)> {
        let model = M::decode(row, &self.model)?;
        let cursor = Cursor {
            order: self.sort.name.to_owned(),
            key: self.sort.read_key(row, &self.cursor, 1)?,
            id: self.cursor.get(row, 0, "id")?,
        };
        Ok((cursor, model))
    }
}

/// The rows of a statement read as models with their cursors.
fn read_rows<M: Decode>(rows: &[QueryResult], sort: &Sort) -> AppResult<Vec<(Cursor, M)>> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let reader = Reader::new(first, sort);
    rows.iter().map(|r| reader.read(r)).collect()
}

/// One page of a top-level list. `query` selects the entity's columns with its filters applied.
/// With `also`, each row's [`Also`] is read alongside (see [`Joined`]).
pub async fn page<M: Decode>(
    db: &impl ConnectionTrait,
    query: SelectStatement,
    sort: &Sort,
    req: &PageRequest,
    with_total: bool,
    also: Option<&Also>,
) -> AppResult<Page<M>> {
    let total = if with_total {
        Some(count(db, query.clone()).await?)
    } else {
        None
    };
    let statement = top_page(db.get_database_backend(), query, sort, req, also);
    let rows = db.query_all_raw(statement).await?;
    let rows = read_rows(&rows, sort)?;
    Ok(Page {
        total,
        ..Page::from_rows(rows, req)
    })
}

/// The statement of a top-level page (see [`page`]): on PostgreSQL with its limit unseen (see
/// [`limit_unseen`]).
fn top_page(
    backend: DbBackend,
    query: SelectStatement,
    sort: &Sort,
    req: &PageRequest,
    also: Option<&Also>,
) -> Statement {
    let mut statement = limited(query, sort, req);
    if let Some(also) = also {
        also.join(&mut statement, sort.table);
    }
    let statement = backend.build(&statement);
    match backend {
        DbBackend::Postgres => limit_unseen(statement),
        _ => statement,
    }
}

/// Rows a filtered query selects.
pub async fn count(db: &impl ConnectionTrait, mut query: SelectStatement) -> AppResult<u64> {
    query
        .clear_selects()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("_n"));
    let row = db.query_one(&query).await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "_n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A nested list: the rows of `query` that belong to a parent through `partition`
/// (a `table.column` holding the parent's id, in the entity's table or a joined link table).
/// Its parts are set when it is made, and hashed then.
#[derive(Clone, Debug)]
pub struct Nested {
    /// The entity's columns with filters and any link-table join applied.
    query: SelectStatement,
    /// Table and column holding the parent id.
    partition: (&'static str, &'static str),
    /// The list's ordering.
    sort: Sort,
    /// The page wanted under every parent.
    page: PageRequest,
    /// Whether to count each parent's whole list.
    with_total: bool,
    /// The row each item points to, read alongside.
    also: Option<Also>,
    /// The columns of the list's entity that `query` selects, when it selects only some (see
    /// [`Nested::with_items`]).
    items: Option<Vec<&'static str>>,
    fingerprint: String,
    /// The hash of all of the above, computed once: the request's loader hashes the list's key
    /// for each parent, which walked the whole description each time.
    hashed: u64,
}

impl Nested {
    /// Describes a nested list; equal descriptions are batched into one statement.
    pub fn new(
        query: SelectStatement,
        partition: (&'static str, &'static str),
        sort: Sort,
        page: PageRequest,
        with_total: bool,
    ) -> Self {
        let fingerprint = query.to_string(SqliteQueryBuilder);
        Self {
            query,
            partition,
            sort,
            page,
            with_total,
            also: None,
            items: None,
            fingerprint,
            hashed: 0,
        }
        .hashed()
    }

    /// The same list, reading the row each item points to alongside (see [`Joined`]).
    pub fn with_also(mut self, also: Also) -> Self {
        self.also = Some(also);
        self.hashed()
    }

    /// The same list, whose query selects only the entity's columns `items`: on SQLite, whose
    /// statement for many parents reads the rows again by id, those are the columns it reads.
    pub fn with_items(mut self, items: Vec<&'static str>) -> Self {
        self.items = Some(items);
        self.hashed()
    }

    /// The list with its hash computed from what describes it.
    fn hashed(mut self) -> Self {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        self.fingerprint.hash(&mut h);
        self.partition.hash(&mut h);
        self.sort.hash(&mut h);
        self.page.hash(&mut h);
        self.with_total.hash(&mut h);
        self.also.hash(&mut h);
        self.items.hash(&mut h);
        self.hashed = h.finish();
        self
    }

    fn partition_expr(&self) -> Expr {
        Expr::col((Alias::new(self.partition.0), Alias::new(self.partition.1)))
    }

    /// One page per parent, in one statement (two when totals are asked for).
    pub async fn load<M: Decode>(
        &self,
        db: &impl ConnectionTrait,
        parents: &[i64],
    ) -> AppResult<HashMap<i64, Page<M>>> {
        if parents.is_empty() {
            return Ok(HashMap::new());
        }
        let req = &self.page;
        let backend = db.get_database_backend();
        let statement = match parents {
            [parent] => self.built(self.single(*parent), self.sort.table, backend),
            _ => self.pages_of(Parents::Ids(parents), backend),
        };
        let mut grouped: HashMap<i64, Vec<(Cursor, M)>> = HashMap::new();
        let rows = db.query_all_raw(statement).await?;
        if let Some(first) = rows.first() {
            let reader = Reader::new(first, &self.sort);
            let parent = Positions::find(first, "", &["_p"]);
            for row in &rows {
                grouped
                    .entry(parent.get(row, 0, "_p")?)
                    .or_default()
                    .push(reader.read(row)?);
            }
        }
        let totals = if self.with_total {
            Some(self.count(db, parents).await?)
        } else {
            None
        };
        Ok(parents
            .iter()
            .map(|p| {
                let rows = grouped.remove(p).unwrap_or_default();
                let total = totals.as_ref().map(|t| t.get(p).copied().unwrap_or(0));
                (
                    *p,
                    Page {
                        total,
                        ..Page::from_rows(rows, req)
                    },
                )
            })
            .collect())
    }

    /// The page under the one parent that `parent` selects, read in the same statement as the
    /// parent's row: `parent` selects the parent's columns under [`PARENT_PREFIX`], its `id`
    /// among them, and at most one row. Returns the parent's id, its row read as `P`, and its
    /// page; `None` when `parent` selects no row. The page is the one [`Nested::load`] reads.
    pub async fn load_with_parent<P: Decode, M: Decode>(
        &self,
        db: &impl ConnectionTrait,
        parent: SelectStatement,
    ) -> AppResult<Option<(i64, P, Page<M>)>> {
        let statement = self.pages_of(Parents::Row(Box::new(parent)), db.get_database_backend());
        let rows = db.query_all_raw(statement).await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let id: i64 = first.try_get(PARENT_PREFIX, "id")?;
        let found = P::decode_one(first, PARENT_PREFIX)?;
        let reader = Reader::new(first, &self.sort);
        let item = Positions::find(first, "", &["id"]);
        let mut read = Vec::with_capacity(rows.len());
        for row in &rows {
            // Under a parent whose list is empty, the one row holds the parent alone.
            if item.get::<Option<i64>>(row, 0, "id")?.is_some() {
                read.push(reader.read(row)?);
            }
        }
        let total = if self.with_total {
            Some(self.count(db, &[id]).await?.get(&id).copied().unwrap_or(0))
        } else {
            None
        };
        Ok(Some((
            id,
            found,
            Page {
                total,
                ..Page::from_rows(read, &self.page)
            },
        )))
    }

    /// The statement of the pages under `parents`: joined `LATERAL` on PostgreSQL (its limit
    /// unseen, see [`limit_unseen`]), by a correlated subquery on SQLite.
    fn pages_of(&self, parents: Parents, backend: DbBackend) -> Statement {
        match backend {
            DbBackend::Postgres => limit_unseen(backend.build(&self.lateral(parents))),
            _ => self.built(self.correlated(parents), self.sort.table, backend),
        }
    }

    /// `statement`, whose items are the rows of `items`, with the row each item points to
    /// joined (see [`Also`]), built for `backend`.
    fn built(&self, mut statement: SelectStatement, items: &str, backend: DbBackend) -> Statement {
        if let Some(also) = &self.also {
            also.join(&mut statement, items);
        }
        backend.build(&statement)
    }

    /// The list's limited page under the parent that `parent` names: a value, or a column of
    /// the parents joined to the list.
    fn limited(&self, parent: Expr) -> SelectStatement {
        let mut part = limited(self.query.clone(), &self.sort, &self.page);
        part.and_where(self.partition_expr().eq(parent))
            .expr_as(self.partition_expr(), Alias::new("_p"));
        part
    }

    /// The page of one parent: the list's limited query alone, cheaper to plan and to run than
    /// the forms for many parents.
    fn single(&self, parent: i64) -> SelectStatement {
        self.limited(Expr::val(parent))
    }

    /// The parents' pages on PostgreSQL: the list's limited query joined `LATERAL` to each
    /// parent. Given by their ids, the parents are one array parameter: the statement's text is
    /// the same for any number of parents, and PostgreSQL plans the list's query once, not once
    /// per parent. The row each item points to is joined inside, to the page's items: outside,
    /// PostgreSQL looked the rows up through a cache (`Memoize`) that every one of them missed,
    /// about a sixth of the statement's cost in Q2.
    fn lateral(&self, parents: Parents) -> SelectStatement {
        let order = self.sort.order(self.page.backward);
        let mut statement = Query::select();
        statement.column((Alias::new("t"), Asterisk));
        let (parent, join) = parents.read_by(&mut statement, DbBackend::Postgres);
        let mut page = self.limited(parent);
        if let Some(also) = &self.also {
            also.join(&mut page, self.sort.table);
        }
        statement
            .join_lateral(join, page, Alias::new("t"), Expr::cust("TRUE"))
            .order_by((Alias::new("t"), Alias::new("_p")), Order::Asc)
            .order_by((Alias::new("t"), Alias::new("_k")), order.clone())
            .order_by((Alias::new("t"), Alias::new("id")), order)
            .to_owned()
    }

    /// The parents' pages on SQLite, which has no `LATERAL`: for each parent, the rows whose id
    /// is among the ids of its page, which a correlated subquery reads through the parent's
    /// index. Given by their ids, the parents are one JSON parameter read by `json_each`, and
    /// the statement's text is the same for any number of parents. The rows are then fetched by
    /// id alone: the list's query holds only the entity's columns (joins serve its filters),
    /// and a join or the parent's column in the outer query made SQLite read the parent's
    /// whole list.
    fn correlated(&self, parents: Parents) -> SelectStatement {
        let sort = &self.sort;
        let order = sort.order(self.page.backward);
        let mut statement = Query::select();
        match &self.items {
            Some(items) => {
                for item in items {
                    statement.column((Alias::new(sort.table), Alias::new(*item)));
                }
            }
            None => {
                statement.column((Alias::new(sort.table), Asterisk));
            }
        }
        statement.expr_as(sort.key_expr(), Alias::new("_k"));
        let (parent, join) = parents.read_by(&mut statement, DbBackend::Sqlite);
        statement.expr_as(parent.clone(), Alias::new("_p"));
        let mut first = self.limited(parent);
        first.clear_selects().expr(sort.id_expr());
        statement
            .join(
                join,
                Alias::new(sort.table),
                sort.id_expr().in_subquery(first),
            )
            .order_by(Alias::new("_p"), Order::Asc)
            .order_by(Alias::new("_k"), order.clone())
            .order_by_expr(sort.id_expr(), order)
            .to_owned()
    }

    async fn count(
        &self,
        db: &impl ConnectionTrait,
        parents: &[i64],
    ) -> AppResult<HashMap<i64, u64>> {
        let mut q = self.query.clone();
        q.clear_selects()
            .expr_as(self.partition_expr(), Alias::new("_p"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("_n"))
            .and_where(self.partition_expr().is_in(parents.iter().copied()))
            .add_group_by([self.partition_expr()]);
        let mut out = HashMap::new();
        for row in db.query_all(&q).await? {
            let n: i64 = row.try_get("", "_n")?;
            out.insert(row.try_get::<i64>("", "_p")?, u64::try_from(n).unwrap_or(0));
        }
        Ok(out)
    }
}

/// The prefix of the parent's columns in a statement that reads a parent's row with its page
/// (see [`Nested::load_with_parent`]).
pub const PARENT_PREFIX: &str = "_o_";

/// Where a statement of nested pages reads its parents from.
enum Parents<'a> {
    /// Their ids.
    Ids(&'a [i64]),
    /// The one row a query selects, its columns under [`PARENT_PREFIX`]; its page is joined
    /// `LEFT`, so that the row is read even when its list is empty.
    Row(Box<SelectStatement>),
}

impl Parents<'_> {
    /// Makes the parents the first table of `statement`, and returns the expression of a
    /// parent's id and how the pages join them.
    fn read_by(self, statement: &mut SelectStatement, backend: DbBackend) -> (Expr, JoinType) {
        let alias = Alias::new("_parent");
        match (self, backend) {
            (Self::Ids(ids), DbBackend::Postgres) => {
                // The array is read from a subquery, unseen by the planner (see
                // [`limit_unseen`]).
                let array = Expr::cust_with_values(
                    "(SELECT CAST($1 AS bigint[]))",
                    [format!("{{{}}}", id_list(ids))],
                );
                statement.from_function(Func::cust(Alias::new("unnest")).arg(array), alias);
                (
                    Expr::col((Alias::new("_parent"), Alias::new("_parent"))),
                    JoinType::InnerJoin,
                )
            }
            (Self::Ids(ids), _) => {
                statement.from_function(
                    Func::cust(Alias::new("json_each"))
                        .arg(Expr::val(format!("[{}]", id_list(ids)))),
                    alias,
                );
                (
                    Expr::col((Alias::new("_parent"), Alias::new("value"))),
                    JoinType::InnerJoin,
                )
            }
            (Self::Row(query), _) => {
                statement
                    .column((alias.clone(), Asterisk))
                    .from_subquery(*query, alias);
                let id = Alias::new(format!("{PARENT_PREFIX}id"));
                (Expr::col((Alias::new("_parent"), id)), JoinType::LeftJoin)
            }
        }
    }
}

impl PartialEq for Nested {
    fn eq(&self, other: &Self) -> bool {
        self.hashed == other.hashed
            && self.fingerprint == other.fingerprint
            && self.partition == other.partition
            && self.sort == other.sort
            && self.page == other.page
            && self.with_total == other.with_total
            && self.also == other.also
            && self.items == other.items
    }
}

impl Eq for Nested {}

impl std::hash::Hash for Nested {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hashed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BY_NAME: Sort = Sort::new("name", "cluster", "name", KeyKind::Text);

    #[test]
    fn a_cursor_survives_the_round_trip() {
        let c = Cursor {
            order: "name".into(),
            key: SortValue::Text("INDESCAT".into()),
            id: 7,
        };
        assert_eq!(Cursor::decode("after", &c.encode(), &BY_NAME).ok(), Some(c));
    }

    #[test]
    fn a_cursor_of_another_ordering_is_refused() {
        let c = Cursor {
            order: "createdAt".into(),
            key: SortValue::Text("x".into()),
            id: 7,
        };
        assert!(Cursor::decode("after", &c.encode(), &BY_NAME).is_err());
        assert!(Cursor::decode("after", "not a cursor!", &BY_NAME).is_err());
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert!(PageRequest::parse(Some(101), None, None, None, &BY_NAME).is_err());
        assert!(PageRequest::parse(Some(-1), None, None, None, &BY_NAME).is_err());
        assert!(PageRequest::parse(Some(1), None, Some(1), None, &BY_NAME).is_err());
        assert_eq!(
            PageRequest::parse(None, None, None, None, &BY_NAME)
                .ok()
                .map(|p| p.limit),
            Some(20)
        );
        assert_eq!(
            PageRequest::parse(Some(0), None, None, None, &BY_NAME)
                .ok()
                .map(|p| p.limit),
            Some(0)
        );
    }

    #[test]
    fn the_limit_of_nested_pages_is_read_from_a_subquery() {
        let nested = Nested::new(
            Query::select()
                .column((Alias::new("cluster"), Alias::new("id")))
                .from(Alias::new("cluster"))
                .to_owned(),
            ("cluster", "region_id"),
            BY_NAME,
            PageRequest::first_page(),
            false,
        );
        let statement =
            limit_unseen(DbBackend::Postgres.build(&nested.lateral(Parents::Ids(&[1, 2]))));
        assert!(
            statement
                .sql
                .contains("unnest((SELECT CAST($1 AS bigint[])))")
                && statement.sql.contains("LIMIT (SELECT $2)"),
            "{}",
            statement.sql
        );
        assert_eq!(statement.values.map(|v| v.0.len()), Some(2));
    }

    #[test]
    fn the_limit_of_a_top_level_page_is_read_from_a_subquery_on_postgres_only() {
        let query = Query::select()
            .column((Alias::new("cluster"), Alias::new("id")))
            .from(Alias::new("cluster"))
            .and_where(Expr::col((Alias::new("cluster"), Alias::new("kind"))).eq("regional"))
            .to_owned();
        let req = PageRequest::first_page();
        let pg = top_page(DbBackend::Postgres, query.clone(), &BY_NAME, &req, None);
        assert!(pg.sql.ends_with("LIMIT (SELECT $2)"), "{}", pg.sql);
        assert_eq!(pg.values.map(|v| v.0.len()), Some(2));
        let sqlite = top_page(DbBackend::Sqlite, query, &BY_NAME, &req, None);
        assert!(sqlite.sql.ends_with("LIMIT ?"), "{}", sqlite.sql);
    }

    #[test]
    fn a_backward_page_is_returned_in_list_order() {
        let req = PageRequest {
            limit: 2,
            backward: true,
            after: None,
            before: None,
        };
        let cur = |id| Cursor {
            order: "name".into(),
            key: SortValue::Int(id),
            id,
        };
        let page = Page::from_rows(vec![(cur(3), 3), (cur(2), 2), (cur(1), 1)], &req);
        assert_eq!(
            page.items.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(page.has_previous && !page.has_next);
    }
}
