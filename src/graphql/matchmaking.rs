//! Matches between offers and needs of different clusters, with their scores explained.

use super::loader::Loaders;
use super::types::*;
use crate::entities::{offer_need, organisation};
use crate::error::AppError;
use crate::services::matchmaking::{Factor, Part, Scored};
use async_graphql::{Context, Object, SimpleObject};

/// Most matches per list.
pub const MAX_MATCHES: i32 = 50;

/// The number of matches asked for, checked.
pub fn wanted(first: Option<i32>) -> Result<usize, AppError> {
    let first = first.unwrap_or(10);
    if (1..=MAX_MATCHES).contains(&first) {
        Ok(first as usize)
    } else {
        Err(AppError::bad_input(
            "first",
            format!("`first` must lie between 1 and {MAX_MATCHES}"),
        ))
    }
}

/// One part of a match score.
#[derive(SimpleObject)]
pub struct ScorePart {
    /// What it measures.
    pub factor: Factor,
    /// How well the pair does on it, from 0 to 1.
    pub value: f64,
    /// Its share of the score.
    pub weight: f64,
    /// What it adds to the score: `value × weight`.
    pub contribution: f64,
    /// Why, in words, to explain the match.
    pub explanation: String,
}

fn parts(parts: &[Part]) -> Vec<ScorePart> {
    parts
        .iter()
        .map(|p| ScorePart {
            factor: p.factor,
            value: p.value,
            weight: p.factor.weight(),
            contribution: p.value * p.factor.weight(),
            explanation: p.explanation.clone(),
        })
        .collect()
}

/// An offer or need that answers another: a need for an offer, an offer for a need.
pub struct Match(pub Scored);

/// An offer or need that answers another: a need for an offer, an offer for a need.
#[Object]
impl Match {
    /// How well it answers, from 0 to 1: the sum of the parts' contributions.
    async fn score(&self) -> f64 {
        self.0.score
    }
    /// The score, part by part.
    async fn parts(&self) -> Vec<ScorePart> {
        parts(&self.0.parts)
    }
    /// The answering offer or need.
    async fn offer_need(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OfferNeed>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<offer_need::Entity>(self.0.other.id)
            .await?
            .map(OfferNeed))
    }
    /// The organisation that put it forward.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<organisation::Entity>(self.0.other.organisation_id)
            .await?
            .map(Organisation))
    }
}

/// An organisation whose offers or needs answer another organisation's, with the best pair.
pub struct Counterpart(pub offer_need::Model, pub Scored);

/// An organisation whose offers or needs answer another organisation's, with the best pair.
#[Object]
impl Counterpart {
    /// The counterpart organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<organisation::Entity>(self.1.other.organisation_id)
            .await?
            .map(Organisation))
    }
    /// The score of the best pair, from 0 to 1.
    async fn score(&self) -> f64 {
        self.1.score
    }
    /// The score of the best pair, part by part.
    async fn parts(&self) -> Vec<ScorePart> {
        parts(&self.1.parts)
    }
    /// The organisation's own offer or need of the best pair.
    async fn own(&self) -> OfferNeed {
        OfferNeed(self.0.clone())
    }
    /// The counterpart's offer or need of the best pair.
    async fn answer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OfferNeed>> {
        Ok(ctx
            .data::<Loaders>()?
            .one::<offer_need::Entity>(self.1.other.id)
            .await?
            .map(OfferNeed))
    }
}
