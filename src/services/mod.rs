//! Plain async functions and query builders over the database; no GraphQL types here.

pub mod access;
pub mod audit;
pub mod changes;
pub mod cluster;
pub mod collaboration;
pub mod comparison;
pub mod demo;
pub mod event;
pub mod export;
pub mod filter;
pub mod generate;
pub mod ical;
pub mod import;
pub mod keys;
pub mod links;
pub mod live;
pub mod matchmaking;
pub mod offer_need;
pub mod organisation;
pub mod page;
pub mod search;
pub mod statistics;
pub mod validate;
pub mod write;
