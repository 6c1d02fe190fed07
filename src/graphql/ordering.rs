//! How lists are ordered: one `Ordering` input for every list, checked against what the list offers.

use crate::error::AppError;
use crate::services::page::{KeyKind, Sort};
use async_graphql::{Enum, InputObject};

/// What to order a list by. Every ordering ends with the item's id, so pages are stable.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrderField {
    /// By name (or title, for events and offers/needs).
    Name,
    /// By when the item was added.
    CreatedAt,
    /// By when the item last changed.
    UpdatedAt,
    /// By start time (events only).
    StartsAt,
    /// By code (regions only).
    Code,
}

/// Ascending or descending.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest first (A to Z, oldest first).
    #[default]
    Asc,
    /// Largest first (Z to A, newest first).
    Desc,
}

/// An ordering of a list.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct Ordering {
    /// The field to order by.
    pub field: OrderField,
    /// The direction.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// The orderings a list offers: its table, the column that `NAME` means, and whether it has
/// start times or codes.
pub struct Orderable {
    /// Table of the list's entity.
    pub table: &'static str,
    /// Column behind `NAME`.
    pub name_column: &'static str,
    /// The fields this list accepts.
    pub fields: &'static [OrderField],
}

impl Orderable {
    /// The sort for a client's ordering, or the list's default (its first field, ascending).
    pub fn sort(&self, ordering: Option<Ordering>) -> Result<Sort, AppError> {
        let o = ordering.unwrap_or(Ordering {
            field: self.fields[0],
            direction: OrderDirection::Asc,
        });
        if !self.fields.contains(&o.field) {
            let allowed: Vec<String> = self.fields.iter().map(|f| format!("{f:?}")).collect();
            return Err(AppError::bad_input(
                "orderBy",
                format!(
                    "this list cannot be ordered by {:?}; use one of {}",
                    o.field,
                    allowed.join(", ")
                ),
            ));
        }
        let sort = match o.field {
            OrderField::Name => Sort::new("name", self.table, self.name_column, KeyKind::Text),
            OrderField::Code => Sort::new("code", self.table, "code", KeyKind::Text),
            OrderField::CreatedAt => {
                Sort::new("createdAt", self.table, "created_at", KeyKind::Time)
            }
            OrderField::UpdatedAt => {
                Sort::new("updatedAt", self.table, "updated_at", KeyKind::Time)
            }
            OrderField::StartsAt => Sort::new("startsAt", self.table, "starts_at", KeyKind::Time),
        };
        Ok(sort.direction(o.direction == OrderDirection::Desc))
    }
}

/// The usual orderings of a named entity.
pub const fn by_name(table: &'static str) -> Orderable {
    Orderable {
        table,
        name_column: "name",
        fields: &[
            OrderField::Name,
            OrderField::CreatedAt,
            OrderField::UpdatedAt,
        ],
    }
}

/// Lists without a name, in the order their items were added.
pub const fn by_creation(table: &'static str) -> Orderable {
    Orderable {
        table,
        name_column: "id",
        fields: &[OrderField::CreatedAt, OrderField::UpdatedAt],
    }
}
