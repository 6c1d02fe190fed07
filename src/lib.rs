//! cluster-directory: the federated GraphQL directory of Europe's sport & vitality innovation
//! clusters, their members, collaborations, events, offers and needs.

pub mod config;
pub mod db;
pub mod domain;
pub mod entities;
pub mod error;
pub mod graphql;
pub mod http;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod workers;
