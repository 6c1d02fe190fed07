//! The demo dataset (`data/demo.json`): the real clusters, organisations, projects and events
//! of the sport & vitality network, loaded into an empty database in one transaction.

use crate::domain::*;
use crate::entities::*;
use crate::error::{AppError, AppResult};
use crate::services::organisation::pack_codes;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait, TransactionSession,
    TransactionTrait,
};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The dataset shipped with the server.
pub const DEMO_JSON: &str = include_str!("../../data/demo.json");

/// Namespace of the name-based public ids of loaded data, so that the same record gets the same id
/// in every database it is loaded into.
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f1b_7c2e_93a4_4d55_8e0a_5b1c_2d3e_4f50);

/// The stable public id of a loaded record, from its type and natural key.
pub fn public_id(kind: &str, key: &str) -> Uuid {
    Uuid::new_v5(&ID_NAMESPACE, format!("{kind}:{key}").as_bytes())
}

#[derive(Deserialize)]
struct Dataset {
    regions: Vec<RegionIn>,
    themes: Vec<ThemeIn>,
    organisations: Vec<OrganisationIn>,
    clusters: Vec<ClusterIn>,
    collaborations: Vec<CollaborationIn>,
    events: Vec<EventIn>,
    offers_and_needs: Vec<OfferNeedIn>,
    indicators: Vec<IndicatorIn>,
    kpis: Vec<KpiIn>,
}

#[derive(Deserialize)]
struct RegionIn {
    code: String,
    name: String,
    level: i16,
    parent: Option<String>,
    country: String,
}
#[derive(Deserialize)]
struct ThemeIn {
    slug: String,
    name: String,
    core: bool,
    description: Option<String>,
}
#[derive(Deserialize)]
struct ContactIn {
    name: String,
    role: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    visibility: Visibility,
}
#[derive(Deserialize)]
struct OrganisationIn {
    slug: String,
    name: String,
    #[serde(rename = "type")]
    org_type: OrganisationType,
    size_class: Option<SizeClass>,
    headcount: Option<i32>,
    #[serde(default)]
    nace: Vec<String>,
    nace_version: Option<String>,
    country: String,
    region: Option<String>,
    city: Option<String>,
    website: Option<String>,
    description: Option<String>,
    #[serde(default)]
    themes: Vec<String>,
    #[serde(default)]
    contacts: Vec<ContactIn>,
}
#[derive(Deserialize)]
struct LabelIn {
    issuer: String,
    level: LabelLevel,
    awarded_on: NaiveDate,
    expires_on: Option<NaiveDate>,
}
#[derive(Deserialize)]
struct MemberIn {
    organisation: String,
    role: MembershipRole,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
}
#[derive(Deserialize)]
struct ClusterIn {
    slug: String,
    name: String,
    kind: ClusterKind,
    description: Option<String>,
    year_established: Option<i32>,
    website: Option<String>,
    email: Option<String>,
    country: String,
    region: Option<String>,
    managing_organisation: Option<String>,
    innovation_turnover_eur: Option<i64>,
    #[serde(default)]
    themes: Vec<String>,
    #[serde(default)]
    labels: Vec<LabelIn>,
    #[serde(default)]
    members: Vec<MemberIn>,
}
#[derive(Deserialize)]
struct ParticipantIn {
    organisation: String,
    cluster: Option<String>,
    role: ParticipantRole,
}
#[derive(Deserialize)]
struct CollaborationIn {
    slug: String,
    name: String,
    programme: String,
    description: Option<String>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    budget_eur: Option<i64>,
    status: CollaborationStatus,
    website: Option<String>,
    #[serde(default)]
    themes: Vec<String>,
    #[serde(default)]
    participants: Vec<ParticipantIn>,
}
#[derive(Deserialize)]
struct OrganiserIn {
    cluster: Option<String>,
    collaboration: Option<String>,
    organisation: Option<String>,
}
#[derive(Deserialize)]
struct EventIn {
    slug: String,
    title: String,
    description: Option<String>,
    format: EventFormat,
    starts_at: DateTime<FixedOffset>,
    ends_at: DateTime<FixedOffset>,
    time_zone: String,
    venue: Option<String>,
    city: Option<String>,
    country: Option<String>,
    online_url: Option<String>,
    language: Option<String>,
    registration_url: Option<String>,
    status: EventStatus,
    #[serde(default)]
    themes: Vec<String>,
    #[serde(default)]
    organisers: Vec<OrganiserIn>,
}
#[derive(Deserialize)]
struct OfferNeedIn {
    organisation: String,
    kind: OfferNeedKind,
    title: String,
    description: Option<String>,
    valid_until: Option<NaiveDate>,
    #[serde(default)]
    themes: Vec<String>,
}
#[derive(Deserialize)]
struct IndicatorIn {
    cluster: String,
    year: i32,
    topic: IndicatorTopic,
    key: String,
    value: Option<f64>,
    unit: Option<String>,
    trend: Option<Trend>,
    goal: Option<String>,
    source: Option<String>,
}
#[derive(Deserialize)]
struct KpiIn {
    cluster: Option<String>,
    collaboration: Option<String>,
    name: String,
    target: Option<f64>,
    actual: Option<f64>,
    unit: Option<String>,
    period_start: NaiveDate,
    period_end: NaiveDate,
}

/// Slug-to-id maps of what has been inserted so far.
#[derive(Default)]
struct Ids(HashMap<(&'static str, String), i64>);

impl Ids {
    fn get(&self, kind: &'static str, key: &str) -> AppResult<i64> {
        self.0.get(&(kind, key.to_owned())).copied().ok_or_else(|| {
            AppError::Internal(format!("demo data refers to unknown {kind} `{key}`").into())
        })
    }
    fn opt(&self, kind: &'static str, key: Option<&String>) -> AppResult<Option<i64>> {
        key.map(|k| self.get(kind, k)).transpose()
    }
}

/// Loads the demo dataset when the database holds no clusters yet; returns whether it did.
pub async fn load_if_empty(db: &(impl ConnectionTrait + TransactionTrait)) -> AppResult<bool> {
    if cluster::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    load(db, DEMO_JSON).await?;
    crate::db::bulk::analyze_reference(db).await?;
    Ok(true)
}

/// Loads a dataset in the demo format in one transaction: all of it or nothing.
pub async fn load(db: &impl TransactionTrait, json: &str) -> AppResult<()> {
    let data: Dataset = serde_json::from_str(json)
        .map_err(|e| AppError::Internal(format!("the demo dataset does not parse: {e}").into()))?;
    let txn = db.begin().await?;
    insert_all(&txn, data).await?;
    crate::services::search::index::rebuild(&txn).await?;
    txn.commit().await?;
    Ok(())
}

macro_rules! insert {
    ($txn:expr, $module:ident, { $($field:ident : $value:expr),* $(,)? }) => {{
        let now = Utc::now();
        $module::Entity::insert($module::ActiveModel {
            $($field: Set($value),)*
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec($txn)
        .await?
        .last_insert_id
    }};
}

macro_rules! link {
    ($txn:expr, $module:ident, $left:ident: $l:expr, $right:ident: $r:expr) => {
        $module::Entity::insert($module::ActiveModel {
            $left: Set($l),
            $right: Set($r),
        })
        .exec($txn)
        .await?;
    };
}

async fn insert_all(txn: &impl ConnectionTrait, data: Dataset) -> AppResult<()> {
    let mut ids = Ids::default();
    for r in data.regions {
        let parent = ids.opt("region", r.parent.as_ref())?;
        let id = insert!(txn, region, { public_id: public_id("region", &r.code), code: r.code.clone(), name: r.name, level: r.level, parent_id: parent, country_code: r.country });
        ids.0.insert(("region", r.code), id);
    }
    for t in data.themes {
        let id = insert!(txn, theme, { public_id: public_id("theme", &t.slug), slug: t.slug.clone(), name: t.name, description: t.description, core: t.core });
        ids.0.insert(("theme", t.slug), id);
    }
    for o in data.organisations {
        let region = ids.opt("region", o.region.as_ref())?;
        let id = insert!(txn, organisation, {
            public_id: public_id("organisation", &o.slug), slug: o.slug.clone(), name: o.name, org_type: o.org_type,
            size_class: o.size_class, headcount: o.headcount, nace_codes: pack_codes(&o.nace), nace_version: o.nace_version,
            country_code: o.country, region_id: region, city: o.city, website: o.website, description: o.description,
        });
        for t in &o.themes {
            link!(txn, organisation_theme, organisation_id: id, theme_id: ids.get("theme", t)?);
        }
        for c in o.contacts {
            insert!(txn, contact, {
                public_id: public_id("contact", &format!("{}/{}", o.slug, c.name)), organisation_id: id, name: c.name,
                role: c.role, email: c.email, phone: c.phone, visibility: c.visibility,
            });
        }
        ids.0.insert(("organisation", o.slug), id);
    }
    for c in data.clusters {
        let id = insert!(txn, cluster, {
            public_id: public_id("cluster", &c.slug), slug: c.slug.clone(), name: c.name, kind: c.kind,
            description: c.description, year_established: c.year_established, website: c.website, email: c.email,
            country_code: c.country, region_id: ids.opt("region", c.region.as_ref())?,
            managing_organisation_id: ids.opt("organisation", c.managing_organisation.as_ref())?,
            innovation_turnover_eur: c.innovation_turnover_eur,
        });
        for t in &c.themes {
            link!(txn, cluster_theme, cluster_id: id, theme_id: ids.get("theme", t)?);
        }
        for l in c.labels {
            insert!(txn, cluster_label, {
                public_id: public_id("label", &format!("{}/{}/{}", c.slug, l.issuer, l.awarded_on)), cluster_id: id,
                issuer: l.issuer, level: l.level, awarded_on: l.awarded_on, expires_on: l.expires_on,
            });
        }
        for m in c.members {
            insert!(txn, membership, {
                public_id: public_id("membership", &format!("{}/{}", c.slug, m.organisation)), cluster_id: id,
                organisation_id: ids.get("organisation", &m.organisation)?, role: m.role, since: m.since, until: m.until,
            });
        }
        ids.0.insert(("cluster", c.slug), id);
    }
    for c in data.collaborations {
        let id = insert!(txn, collaboration, {
            public_id: public_id("collaboration", &c.slug), slug: c.slug.clone(), name: c.name, programme: c.programme,
            description: c.description, starts_on: c.starts_on, ends_on: c.ends_on, budget_eur: c.budget_eur,
            status: c.status, website: c.website,
        });
        for t in &c.themes {
            link!(txn, collaboration_theme, collaboration_id: id, theme_id: ids.get("theme", t)?);
        }
        for p in c.participants {
            insert!(txn, participant, {
                public_id: public_id("participant", &format!("{}/{}", c.slug, p.organisation)), collaboration_id: id,
                organisation_id: ids.get("organisation", &p.organisation)?, cluster_id: ids.opt("cluster", p.cluster.as_ref())?,
                role: p.role,
            });
        }
        ids.0.insert(("collaboration", c.slug), id);
    }
    for e in data.events {
        let id = insert!(txn, event, {
            public_id: public_id("event", &e.slug), slug: e.slug.clone(), title: e.title, description: e.description,
            format: e.format, starts_at: e.starts_at.with_timezone(&Utc), ends_at: e.ends_at.with_timezone(&Utc),
            time_zone: e.time_zone, venue: e.venue, city: e.city, country_code: e.country, online_url: e.online_url,
            language: e.language, registration_url: e.registration_url, status: e.status,
        });
        for t in &e.themes {
            link!(txn, event_theme, event_id: id, theme_id: ids.get("theme", t)?);
        }
        for (n, o) in e.organisers.iter().enumerate() {
            insert!(txn, event_organiser, {
                public_id: public_id("event_organiser", &format!("{}/{n}", e.slug)), event_id: id,
                cluster_id: ids.opt("cluster", o.cluster.as_ref())?, collaboration_id: ids.opt("collaboration", o.collaboration.as_ref())?,
                organisation_id: ids.opt("organisation", o.organisation.as_ref())?,
            });
        }
    }
    for o in data.offers_and_needs {
        let id = insert!(txn, offer_need, {
            public_id: public_id("offer_need", &format!("{}/{}", o.organisation, o.title)),
            organisation_id: ids.get("organisation", &o.organisation)?, kind: o.kind, title: o.title,
            description: o.description, valid_until: o.valid_until,
        });
        for t in &o.themes {
            link!(txn, offer_need_theme, offer_need_id: id, theme_id: ids.get("theme", t)?);
        }
    }
    for i in data.indicators {
        insert!(txn, indicator, {
            public_id: public_id("indicator", &format!("{}/{}/{}", i.cluster, i.year, i.key)),
            cluster_id: ids.get("cluster", &i.cluster)?, year: i.year, topic: i.topic, key: i.key, value: i.value,
            unit: i.unit, trend: i.trend, goal: i.goal, source: i.source,
        });
    }
    for k in data.kpis {
        let owner = k
            .cluster
            .clone()
            .or(k.collaboration.clone())
            .unwrap_or_default();
        insert!(txn, kpi, {
            public_id: public_id("kpi", &format!("{owner}/{}/{}", k.name, k.period_start)),
            cluster_id: ids.opt("cluster", k.cluster.as_ref())?, collaboration_id: ids.opt("collaboration", k.collaboration.as_ref())?,
            name: k.name, target: k.target, actual: k.actual, unit: k.unit, period_start: k.period_start, period_end: k.period_end,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_dataset_parses() {
        let data: Dataset = serde_json::from_str(DEMO_JSON).expect("demo.json parses");
        assert!(
            data.clusters
                .iter()
                .any(|c| c.slug == "sports-and-technology")
        );
    }
}
