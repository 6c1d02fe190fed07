//! `generate`: a deterministic synthetic dataset of any size, written with multi-row inserts,
//! for load tests and benchmarks. The same seed and sizes always write the same rows.

use crate::config::GenerateArgs;
use crate::db::bulk;
use crate::domain::*;
use crate::entities::*;
use crate::error::{AppError, AppResult};
use crate::services::demo;
use crate::services::organisation::pack_codes;
use chrono::{Duration, TimeZone, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QuerySelect, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

/// The tables `generate` writes many rows into: their secondary indexes (and constraints, on
/// PostgreSQL) are built once all rows are in, as are the search documents' (see `bulk`).
const FILLED: &[&str] = &[
    "organisation",
    "organisation_theme",
    "cluster",
    "cluster_theme",
    "membership",
    "event",
    "event_theme",
    "event_organiser",
    "offer_need",
    "offer_need_theme",
];

/// Rows per INSERT statement: well under both engines' limits on bound parameters.
const CHUNK: usize = 1_000;

const COUNTRIES: &[(&str, &str)] = &[
    ("NL", "NL414"),
    ("ES", "ES511"),
    ("FR", "FRK27"),
    ("HU", "HU321"),
    ("BE", "BE211"),
    ("BE", "BE100"),
    ("FI", "FI"),
    ("PL", "PL"),
];
const KINDS: &[ClusterKind] = &[
    ClusterKind::OpenInnovationCluster,
    ClusterKind::SpearheadCluster,
    ClusterKind::InnovativeBusinessNetwork,
    ClusterKind::Other,
];
const TYPES: &[OrganisationType] = &[
    OrganisationType::Sme,
    OrganisationType::Sme,
    OrganisationType::Sme,
    OrganisationType::StartUp,
    OrganisationType::LargeCompany,
    OrganisationType::KnowledgeInstitution,
    OrganisationType::University,
    OrganisationType::SportFieldLab,
    OrganisationType::PublicAuthority,
    OrganisationType::SportsClub,
];
const SIZES: &[SizeClass] = &[SizeClass::Micro, SizeClass::Small, SizeClass::Medium];
const FORMATS: &[EventFormat] = &[
    EventFormat::B2bMatchmaking,
    EventFormat::CompanyVisit,
    EventFormat::NetworkEvent,
    EventFormat::Webinar,
    EventFormat::Conference,
    EventFormat::Workshop,
];
const NACE: &[&str] = &[
    "C32.30", "C14.19", "R93.11", "R93.13", "R93.19", "M72.19", "N79.90", "Q86.90",
];
const OFFER_KINDS: &[OfferNeedKind] = &[
    OfferNeedKind::BusinessOffer,
    OfferNeedKind::TechnologyOffer,
    OfferNeedKind::BusinessRequest,
    OfferNeedKind::TechnologyRequest,
    OfferNeedKind::ResearchRequest,
];
const SUBJECTS: &[&str] = &[
    "recycled textiles",
    "wearable sensors",
    "climbing ropes",
    "bike sharing",
    "ski wax",
    "running shoes",
    "sports nutrition",
    "smart insoles",
    "outdoor apparel",
    "fitness apps",
    "trail tourism",
    "padel courts",
];
const WORDS: &[&str] = &[
    "Active", "Alpine", "Smart", "Vital", "Green", "Motion", "Peak", "Nordic", "Urban", "Blue",
    "Pulse", "Trail",
];

/// What `generate` wrote.
#[derive(Debug)]
pub struct Generated {
    /// Clusters written.
    pub clusters: u32,
    /// Organisations written.
    pub organisations: u32,
    /// Memberships written.
    pub memberships: u32,
    /// Events written.
    pub events: u32,
    /// Offers and needs written: one for every second organisation.
    pub offers_needs: u32,
}

fn uuid(rng: &mut fastrand::Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.u128(..).to_le_bytes()).into_uuid()
}

async fn insert_chunks<A, I>(db: &impl ConnectionTrait, rows: I) -> AppResult<()>
where
    A: sea_orm::ActiveModelTrait + Send,
    I: IntoIterator<Item = A>,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Writes the synthetic dataset in one transaction, after the demo data (for themes and regions).
pub async fn generate(
    db: &(impl ConnectionTrait + TransactionTrait),
    args: &GenerateArgs,
) -> AppResult<Generated> {
    demo::load_if_empty(db).await?;
    let txn = db.begin().await?;
    let sqlite = txn.get_database_backend() == sea_orm::DbBackend::Sqlite;
    if sqlite {
        // Each multi-row INSERT keeps the pages it changes in a statement journal, to undo itself
        // alone on a constraint error; in memory rather than in a temporary file (a third of
        // the time went into writing them), with a page cache that holds the whole dataset.
        txn.execute_unprepared("PRAGMA temp_store = MEMORY").await?;
        txn.execute_unprepared("PRAGMA cache_size = -2097152")
            .await?;
    }
    let written = write(&txn, args).await;
    if sqlite {
        // The connection goes back to the pool, loaded or not: SQLite's defaults again.
        txn.execute_unprepared("PRAGMA temp_store = DEFAULT")
            .await?;
        txn.execute_unprepared("PRAGMA cache_size = -2000").await?;
    }
    let written = written?;
    txn.commit().await?;
    let mut tables = FILLED.to_vec();
    tables.push("search_document");
    bulk::settle(db, &tables).await?;
    Ok(written)
}

/// Writes the dataset and its search documents in `txn`.
async fn write(txn: &impl ConnectionTrait, args: &GenerateArgs) -> AppResult<Generated> {
    let aside = bulk::set_aside(txn, FILLED).await?;
    let mut rng = fastrand::Rng::with_seed(args.seed);
    let now = Utc::now();
    let themes: Vec<i64> = theme::Entity::find()
        .select_only()
        .column(theme::Column::Id)
        .into_tuple()
        .all(txn)
        .await?;
    let regions: Vec<(i64, String)> = region::Entity::find()
        .select_only()
        .column(region::Column::Id)
        .column(region::Column::Code)
        .into_tuple()
        .all(txn)
        .await?;
    let region_of = |code: &str| regions.iter().find(|(_, c)| c == code).map(|(id, _)| *id);
    let tag = format!("gen{}", args.seed);

    let orgs = (0..args.organisations)
        .map(|i| {
            let (country, region) = COUNTRIES[i as usize % COUNTRIES.len()];
            let org_type = TYPES[rng.usize(..TYPES.len())];
            let nace = vec![NACE[rng.usize(..NACE.len())].to_owned()];
            organisation::ActiveModel {
                public_id: Set(uuid(&mut rng)),
                slug: Set(format!("{tag}-org-{i}")),
                name: Set(format!(
                    "{} {} {i}",
                    WORDS[rng.usize(..WORDS.len())],
                    WORDS[rng.usize(..WORDS.len())]
                )),
                org_type: Set(org_type),
                size_class: Set(matches!(
                    org_type,
                    OrganisationType::Sme | OrganisationType::StartUp
                )
                .then(|| SIZES[rng.usize(..SIZES.len())])),
                headcount: Set(None),
                nace_codes: Set(pack_codes(&nace)),
                nace_version: Set(Some("NACE Rev. 2".to_owned())),
                country_code: Set(country.to_owned()),
                region_id: Set(region_of(region)),
                city: Set(None),
                website: Set(Some(format!("https://{tag}-org-{i}.example.org"))),
                description: Set(Some(
                    "Synthetic organisation written by `generate`.".to_owned(),
                )),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        })
        .collect::<Vec<_>>();
    insert_chunks(txn, orgs).await?;
    let org_ids = ids_of(
        txn,
        "organisation",
        &format!("{tag}-org-"),
        args.organisations,
    )
    .await?;
    insert_chunks(
        txn,
        (0..args.organisations).map(|i| organisation_theme::ActiveModel {
            organisation_id: Set(org_ids[i as usize]),
            theme_id: Set(themes[i as usize % themes.len()]),
        }),
    )
    .await?;

    let clusters = (0..args.clusters)
        .map(|i| {
            let (country, region) = COUNTRIES[i as usize % COUNTRIES.len()];
            cluster::ActiveModel {
                public_id: Set(uuid(&mut rng)),
                slug: Set(format!("{tag}-cluster-{i}")),
                name: Set(format!(
                    "{} {} Cluster {i}",
                    WORDS[rng.usize(..WORDS.len())],
                    WORDS[rng.usize(..WORDS.len())]
                )),
                kind: Set(KINDS[i as usize % KINDS.len()]),
                description: Set(Some("Synthetic cluster written by `generate`.".to_owned())),
                year_established: Set(Some(2000 + (i % 25) as i32)),
                website: Set(None),
                email: Set(None),
                country_code: Set(country.to_owned()),
                region_id: Set(region_of(region)),
                managing_organisation_id: Set(
                    (args.organisations > 0).then(|| org_ids[(i % args.organisations) as usize])
                ),
                innovation_turnover_eur: Set(Some(rng.i64(100_000..10_000_000))),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        })
        .collect::<Vec<_>>();
    insert_chunks(txn, clusters).await?;
    let cluster_ids = ids_of(txn, "cluster", &format!("{tag}-cluster-"), args.clusters).await?;
    insert_chunks(
        txn,
        (0..args.clusters).flat_map(|i| {
            let a = themes[i as usize % themes.len()];
            let b = themes[(i as usize + 1) % themes.len()];
            let cluster = cluster_ids[i as usize];
            [a, b].into_iter().map(move |t| cluster_theme::ActiveModel {
                cluster_id: Set(cluster),
                theme_id: Set(t),
            })
        }),
    )
    .await?;

    // Each organisation joins `per` distinct clusters (the first `extra` one more), spread by a
    // stride coprime with typical cluster counts so that (cluster, organisation) stays unique.
    let memberships = if args.clusters == 0 || args.organisations == 0 {
        0
    } else {
        Ord::min(
            args.memberships,
            args.clusters.saturating_mul(args.organisations),
        )
    };
    let (per, extra) = if memberships == 0 {
        (0, 0)
    } else {
        (
            memberships / args.organisations,
            memberships % args.organisations,
        )
    };
    let mut mrng = fastrand::Rng::with_seed(args.seed ^ 0x5eed);
    let rows = (0..args.organisations)
        .flat_map(|o| {
            let n = per + u32::from(o < extra);
            (0..n).map(move |j| (o, (o as u64 * 7 + j as u64 * 101) % args.clusters as u64))
        })
        .map(|(o, c)| membership::ActiveModel {
            public_id: Set(uuid(&mut mrng)),
            cluster_id: Set(cluster_ids[c as usize]),
            organisation_id: Set(org_ids[o as usize]),
            role: Set(MembershipRole::Member),
            since: Set(None),
            until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    insert_chunks(txn, rows).await?;

    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
        .single()
        .unwrap_or(now);
    let events = (0..args.events)
        .map(|i| {
            let (country, _) = COUNTRIES[i as usize % COUNTRIES.len()];
            let starts = start
                + Duration::hours(i as i64 % (24 * 365 * 2))
                + Duration::minutes(rng.i64(0..60));
            event::ActiveModel {
                public_id: Set(uuid(&mut rng)),
                slug: Set(format!("{tag}-event-{i}")),
                title: Set(format!(
                    "{} {} meeting {i}",
                    WORDS[rng.usize(..WORDS.len())],
                    WORDS[rng.usize(..WORDS.len())]
                )),
                description: Set(None),
                format: Set(FORMATS[i as usize % FORMATS.len()]),
                starts_at: Set(starts),
                ends_at: Set(starts + Duration::hours(3)),
                time_zone: Set("Europe/Brussels".to_owned()),
                venue: Set(None),
                city: Set(None),
                country_code: Set(Some(country.to_owned())),
                online_url: Set((i % 5 == 0).then(|| format!("https://{tag}.example.org/e/{i}"))),
                language: Set(Some("en".to_owned())),
                registration_url: Set(None),
                status: Set(EventStatus::Scheduled),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        })
        .collect::<Vec<_>>();
    insert_chunks(txn, events).await?;
    let event_ids = ids_of(txn, "event", &format!("{tag}-event-"), args.events).await?;
    insert_chunks(
        txn,
        (0..args.events).map(|i| event_theme::ActiveModel {
            event_id: Set(event_ids[i as usize]),
            theme_id: Set(themes[i as usize % themes.len()]),
        }),
    )
    .await?;
    let mut org_rng = fastrand::Rng::with_seed(args.seed ^ 0xe7e7);
    insert_chunks(
        txn,
        (0..args.events)
            .filter(|_| args.clusters > 0)
            .map(|i| event_organiser::ActiveModel {
                public_id: Set(uuid(&mut org_rng)),
                event_id: Set(event_ids[i as usize]),
                cluster_id: Set(Some(cluster_ids[(i % args.clusters) as usize])),
                collaboration_id: Set(None),
                organisation_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }),
    )
    .await?;
    // Offers and needs: one for every second organisation, on one or two themes, some aimed at
    // a few countries.
    let offers_needs = args.organisations / 2;
    let mut offer_rng = fastrand::Rng::with_seed(args.seed ^ 0x0ffe);
    insert_chunks(
        txn,
        (0..offers_needs).map(|i| {
            let kind = OFFER_KINDS[offer_rng.usize(..OFFER_KINDS.len())];
            let subject = SUBJECTS[offer_rng.usize(..SUBJECTS.len())];
            let word = WORDS[offer_rng.usize(..WORDS.len())];
            let targets = (offer_rng.u8(..4) == 0).then(|| {
                let (a, _) = COUNTRIES[offer_rng.usize(..COUNTRIES.len())];
                a.to_owned()
            });
            offer_need::ActiveModel {
                public_id: Set(uuid(&mut offer_rng)),
                organisation_id: Set(org_ids[(i as usize * 2) % org_ids.len()]),
                kind: Set(kind),
                title: Set(format!("{word} {subject} {i}")),
                description: Set(Some(format!(
                    "{} {subject} for {} clubs and events.",
                    if kind.is_offer() {
                        "We supply"
                    } else {
                        "We look for"
                    },
                    WORDS[offer_rng.usize(..WORDS.len())].to_lowercase()
                ))),
                valid_until: Set(None),
                target_countries: Set(pack_codes(&Vec::from_iter(targets))),
                text_language: Set(Language::En),
                created_at: Set(now),
                updated_at: Set(now - Duration::days(offer_rng.i64(0..365))),
                version: Set(1),
                ..Default::default()
            }
        }),
    )
    .await?;
    let newest = Query::select()
        .column("id")
        .from("offer_need")
        .order_by("id", sea_orm::Order::Desc)
        .limit(offers_needs as u64)
        .to_owned();
    let mut offer_ids: Vec<i64> = Vec::new();
    for row in txn.query_all(&newest).await? {
        offer_ids.push(row.try_get("", "id")?);
    }
    insert_chunks(
        txn,
        offer_ids.iter().enumerate().flat_map(|(i, id)| {
            let first = themes[i % themes.len()];
            let second = themes[(i * 7 + 3) % themes.len()];
            let mut links = vec![offer_need_theme::ActiveModel {
                offer_need_id: Set(*id),
                theme_id: Set(first),
            }];
            if second != first && i % 2 == 0 {
                links.push(offer_need_theme::ActiveModel {
                    offer_need_id: Set(*id),
                    theme_id: Set(second),
                });
            }
            links
        }),
    )
    .await?;
    aside.restore(txn).await?;
    crate::services::search::index::rebuild(txn).await?;
    Ok(Generated {
        clusters: args.clusters,
        organisations: args.organisations,
        memberships,
        events: args.events,
        offers_needs,
    })
}

/// The ids of the `n` rows of `table` whose slugs are `prefix` followed by their index, in index
/// order: whatever ids the database assigned.
async fn ids_of(
    db: &impl ConnectionTrait,
    table: &'static str,
    prefix: &str,
    n: u32,
) -> AppResult<Vec<i64>> {
    let query = Query::select()
        .column("id")
        .column("slug")
        .from(table)
        .and_where(Expr::col("slug").like(format!("{prefix}%")))
        .to_owned();
    let mut ids = vec![0; n as usize];
    for row in db.query_all(&query).await? {
        let slug: String = row.try_get("", "slug")?;
        let index = slug
            .strip_prefix(prefix)
            .and_then(|i| i.parse::<usize>().ok());
        if let Some(slot) = index.and_then(|i| ids.get_mut(i)) {
            *slot = row.try_get("", "id")?;
        }
    }
    if ids.contains(&0) {
        return Err(AppError::Internal(
            format!("some generated {table} rows were not found after inserting them").into(),
        ));
    }
    Ok(ids)
}
