//! A migration that replaces one index of a table by another.

use sea_orm_migration::prelude::*;

/// An index of `table` that replaces another: `old` and `new` are each a name with its columns.
pub struct IndexSwap {
    /// The table.
    pub table: &'static str,
    /// The index replaced.
    pub old: (&'static str, &'static [&'static str]),
    /// The index replacing it.
    pub new: (&'static str, &'static [&'static str]),
}

impl IndexSwap {
    /// Builds the new index, then drops the old one.
    pub async fn up(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        manager
            .create_index(self.index(self.new).if_not_exists().to_owned())
            .await?;
        self.drop(manager, self.old.0).await
    }

    /// Builds the old index again, then drops the new one.
    pub async fn down(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        manager.create_index(self.index(self.old)).await?;
        self.drop(manager, self.new.0).await
    }

    fn index(&self, (name, columns): (&str, &[&str])) -> IndexCreateStatement {
        let mut index = Index::create();
        index.name(name).table(Alias::new(self.table));
        for c in columns {
            index.col(Alias::new(*c));
        }
        index
    }

    async fn drop(&self, manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(name)
                    .table(Alias::new(self.table))
                    .to_owned(),
            )
            .await
    }
}
