//! Every GraphQL object type of the directory, re-exported from its own file.

pub use super::cluster::{Cluster, ClusterLabel};
pub use super::collaboration::{Collaboration, Participant};
pub use super::event::{Event, EventOrganiser};
pub use super::indicator::{Indicator, Kpi};
pub use super::offer_need::{Interest, OfferNeed};
pub use super::organisation::{Contact, Membership, Organisation};
pub use super::region::{Region, Theme};

/// Declares a GraphQL wrapper around an entity's model.
macro_rules! wrapper {
    ($(#[$meta:meta])* $name:ident, $module:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        pub struct $name(pub crate::entities::$module::Model);

        impl From<crate::entities::$module::Model> for $name {
            fn from(m: crate::entities::$module::Model) -> Self {
                Self(m)
            }
        }
    };
}
pub(crate) use wrapper;
