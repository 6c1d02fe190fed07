//! Rows read as models by position.
//!
//! SeaORM reads a model's columns by name, row after row: each column's name is formatted with
//! the row's prefix and looked up among the statement's columns, and a column that a narrowed
//! statement left out becomes an error, formatted and dropped, before it reads as `None`. The
//! lists read hundreds of rows per request, so [`Decode`] finds where each column sits once per
//! statement, from its first row, and reads every row by position.

use sea_orm::{DbErr, QueryResult, TryGetable};

/// A type read from the rows of a statement: a [`Layout`] found once from its first row, then
/// each row read through it.
pub trait Decode: Sized {
    /// Where the type's columns sit in the statement's rows.
    type Layout;

    /// Finds the type's columns, named with `prefix` before their own names, in `row`.
    fn layout(row: &QueryResult, prefix: &str) -> Self::Layout;

    /// Reads one row of the statement that `layout` was found in.
    fn decode(row: &QueryResult, layout: &Self::Layout) -> Result<Self, DbErr>;

    /// Reads one row alone, as `FromQueryResult` does.
    fn decode_one(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Self::decode(row, &Self::layout(row, prefix))
    }
}

/// Where each column of a model sits in a statement's rows; `None` for a column the statement
/// does not select.
#[derive(Clone, Debug)]
pub struct Positions {
    prefix: String,
    at: Vec<Option<usize>>,
}

impl Positions {
    /// The positions of `names`, each named with `prefix` before it, among `row`'s columns.
    pub fn find(row: &QueryResult, prefix: &str, names: &[&str]) -> Self {
        let mut at = vec![None; names.len()];
        let mut place = |i: usize, column: &str| {
            if let Some(name) = column.strip_prefix(prefix)
                && let Some(k) = names.iter().position(|n| *n == name)
                && at[k].is_none()
            {
                at[k] = Some(i);
            }
        };
        // The columns' names as the row holds them: SeaORM's `column_names` copies each into a
        // `String` of its own, which for a statement of 30 columns read by a few models was
        // most of what finding them cost.
        use sea_orm::sqlx::{Column, Row};
        if let Some(r) = row.try_as_pg_row() {
            r.columns()
                .iter()
                .enumerate()
                .for_each(|(i, c)| place(i, c.name()));
        } else if let Some(r) = row.try_as_sqlite_row() {
            r.columns()
                .iter()
                .enumerate()
                .for_each(|(i, c)| place(i, c.name()));
        } else {
            row.column_names()
                .iter()
                .enumerate()
                .for_each(|(i, c)| place(i, c));
        }
        Self {
            prefix: prefix.to_owned(),
            at,
        }
    }

    /// The `k`-th column, `name`: read by position when the statement selects it, else by name,
    /// which reads a column left out as `None` (and fails for a column that cannot be `NULL`).
    pub fn get<T: TryGetable>(&self, row: &QueryResult, k: usize, name: &str) -> Result<T, DbErr> {
        match self.at.get(k).copied().flatten() {
            Some(i) => row.try_get_by_index(i),
            None => row.try_get(&self.prefix, name),
        }
    }

    /// The `k`-th column, one that cannot be `NULL` but that a list of precisely narrowed items
    /// (see `Narrow::PRECISE` in `src/graphql/connection.rs`) leaves out when none of the fields
    /// it answers reads it: a [`Placeholder`] then, which nothing reads.
    pub fn kept<T: TryGetable + Placeholder>(
        &self,
        row: &QueryResult,
        k: usize,
    ) -> Result<T, DbErr> {
        match self.at.get(k).copied().flatten() {
            Some(i) => row.try_get_by_index(i),
            None => Ok(T::placeholder()),
        }
    }

    /// The `k`-th column, a nullable one: `None` when the statement leaves the column out or
    /// holds `NULL` in it, told without the error SeaORM makes of either before it reads it as
    /// `None`.
    pub fn optional<T: TryGetable>(&self, row: &QueryResult, k: usize) -> Result<Option<T>, DbErr> {
        match self.at.get(k).copied().flatten() {
            Some(i) if is_null(row, i) => Ok(None),
            Some(i) => row.try_get_by_index(i),
            None => Ok(None),
        }
    }
}

/// The value a model holds for a column that cannot be `NULL` but that its statement left out
/// (see [`Positions::kept`]): any value of the type, never read.
pub trait Placeholder {
    /// Any value of the type.
    fn placeholder() -> Self;
}

macro_rules! placeholder_by_default {
    ($($t:ty),+) => {$(
        impl Placeholder for $t {
            fn placeholder() -> Self {
                Self::default()
            }
        }
    )+};
}

placeholder_by_default!(
    i16,
    i32,
    i64,
    bool,
    String,
    uuid::Uuid,
    chrono::DateTime<chrono::Utc>
);

/// Whether the `i`-th column of `row` is `NULL`.
fn is_null(row: &QueryResult, i: usize) -> bool {
    use sea_orm::sqlx::{Row, ValueRef};
    if let Some(row) = row.try_as_pg_row() {
        row.try_get_raw(i).is_ok_and(|v| v.is_null())
    } else if let Some(row) = row.try_as_sqlite_row() {
        row.try_get_raw(i).is_ok_and(|v| v.is_null())
    } else {
        false
    }
}

/// Implements [`Decode`] for models by position: the fields that cannot be `NULL`, then after a
/// `;` the `Option` ones, then, after another `;`, fields that cannot be `NULL` but that a
/// precisely narrowed list may leave out (read as a [`Placeholder`] then), each named as its
/// column. The struct literal it builds fails to compile when a field is missing, unknown or in
/// the wrong group.
#[macro_export]
macro_rules! decode_by_position {
    ($($model:path {
        $($field:ident),+ ; $($optional:ident),* $(; $($kept:ident),+)? $(,)?
    })+) => {$(
        impl $crate::db::decode::Decode for $model {
            type Layout = $crate::db::decode::Positions;

            fn layout(row: &sea_orm::QueryResult, prefix: &str) -> Self::Layout {
                $crate::db::decode::Positions::find(
                    row,
                    prefix,
                    &[$(stringify!($field),)+ $(stringify!($optional),)* $($(stringify!($kept),)+)?],
                )
            }

            fn decode(
                row: &sea_orm::QueryResult,
                at: &Self::Layout,
            ) -> Result<Self, sea_orm::DbErr> {
                let mut k = 0..;
                Ok(Self {
                    $($field: at.get(row, k.next().unwrap_or_default(), stringify!($field))?,)+
                    $($optional: at.optional(row, k.next().unwrap_or_default())?,)*
                    $($($kept: at.kept(row, k.next().unwrap_or_default())?,)+)?
                })
            }
        }
    )+};
}
