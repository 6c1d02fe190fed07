//! What EPSI's platform pulls: the full export, the change feed that keeps a copy exact, grouped
//! statistics and cross-cluster comparison, on SQLite and PostgreSQL.

mod support;

use cluster_directory::domain::Role;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use support::TestApp;

type Copy = BTreeMap<(String, String), Value>;

/// Reads the export: the rows, and the cursor to continue from.
async fn export(app: &TestApp) -> (Copy, String) {
    let res = app
        .client
        .get(app.url("/export.ndjson"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("application/x-ndjson")
    );
    let text = res.text().await.expect("body");
    let mut rows = Copy::new();
    let mut cursor = None;
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        if let Some(c) = v.get("cursor") {
            cursor = Some(c.as_str().expect("cursor").to_owned());
        } else {
            let key = (
                v["type"].as_str().expect("type").to_owned(),
                v["id"].as_str().expect("id").to_owned(),
            );
            rows.insert(key, v["data"].clone());
        }
    }
    (rows, cursor.expect("the last line holds the cursor"))
}

const CHANGES: &str = "query($after: String) { changes(after: $after, first: 50) {
    nodes { entityType entityId operation data } pageInfo { hasNextPage endCursor } } }";

/// Applies every change after `cursor` to `copy`; returns the new cursor.
async fn catch_up(app: &TestApp, copy: &mut Copy, mut cursor: String) -> String {
    loop {
        let d = app.data(CHANGES, json!({ "after": cursor })).await;
        let page = &d["changes"];
        for c in page["nodes"].as_array().into_iter().flatten() {
            let key = (
                c["entityType"].as_str().expect("type").to_owned(),
                c["entityId"].as_str().expect("id").to_owned(),
            );
            match (c["operation"].as_str(), c["data"].is_null()) {
                (Some("DELETE"), _) => {
                    copy.remove(&key);
                }
                // Deleted since: its DELETE follows.
                (Some("UPSERT"), true) => {}
                _ => {
                    copy.insert(key, c["data"].clone());
                }
            }
        }
        cursor = page["pageInfo"]["endCursor"]
            .as_str()
            .expect("endCursor")
            .to_owned();
        if page["pageInfo"]["hasNextPage"] != true {
            return cursor;
        }
    }
}

async fn write(app: &TestApp, key: &str, query: &str, vars: Value) -> Value {
    app.data_as(Some(key), query, vars).await
}

/// One writer's share of the random mix: creates, updates and deletes of its own rows, cascades
/// included. `seed` makes each run the same.
async fn writer(app: &TestApp, key: &str, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let cluster = write(
        app,
        key,
        "mutation($i: CreateClusterInput!) { createCluster(input: $i) { id version } }",
        json!({ "i": { "name": format!("Sync cluster {seed}"), "kind": "OTHER", "countryCode": "NL", "region": "NL414", "themes": ["health"] } }),
    )
    .await["createCluster"]
        .clone();
    let mut orgs: Vec<Value> = Vec::new();
    let mut events: Vec<Value> = Vec::new();
    for step in 0..14 {
        match rng.u8(0..6) {
            0 | 1 => {
                let o = write(
                    app,
                    key,
                    "mutation($i: CreateOrganisationInput!) { createOrganisation(input: $i) { id version } }",
                    json!({ "i": { "name": format!("Sync org {seed}-{step}"), "type": "SME", "countryCode": "NL", "cluster": cluster["id"], "themes": ["technology"] } }),
                )
                .await["createOrganisation"]
                    .clone();
                orgs.push(o);
            }
            2 if !orgs.is_empty() => {
                let i = rng.usize(..orgs.len());
                let o = &orgs[i];
                let u = write(
                    app,
                    key,
                    "mutation($i: UpdateOrganisationInput!) { updateOrganisation(input: $i) { id version } }",
                    json!({ "i": { "id": o["id"], "version": o["version"], "city": format!("City {step}"), "themes": ["health", "technology"] } }),
                )
                .await["updateOrganisation"]
                    .clone();
                orgs[i] = u;
            }
            3 if !orgs.is_empty() => {
                let o = orgs.swap_remove(rng.usize(..orgs.len()));
                write(
                    app,
                    key,
                    "mutation($id: ID!, $v: Int!) { deleteOrganisation(id: $id, version: $v) }",
                    json!({ "id": o["id"], "v": o["version"] }),
                )
                .await;
            }
            4 => {
                let e = write(
                    app,
                    key,
                    "mutation($i: CreateEventInput!) { createEvent(input: $i) { id version } }",
                    json!({ "i": { "title": format!("Sync event {seed}-{step}"), "format": "WEBINAR",
                        "startsAt": "2027-06-01T08:00:00Z", "endsAt": "2027-06-01T09:00:00Z",
                        "timeZone": "Europe/Brussels", "onlineUrl": "https://events.example.org/sync",
                        "organisers": { "clusters": [cluster["id"]] } } }),
                )
                .await["createEvent"]
                    .clone();
                events.push(e);
            }
            _ if !events.is_empty() => {
                let i = rng.usize(..events.len());
                let e = events[i].clone();
                if rng.bool() {
                    events[i] = write(
                        app,
                        key,
                        "mutation($i: UpdateEventInput!) { updateEvent(input: $i) { id version } }",
                        json!({ "i": { "id": e["id"], "version": e["version"], "description": format!("Changed at step {step}") } }),
                    )
                    .await["updateEvent"]
                        .clone();
                } else {
                    events.swap_remove(i);
                    write(
                        app,
                        key,
                        "mutation($id: ID!, $v: Int!) { deleteEvent(id: $id, version: $v) }",
                        json!({ "id": e["id"], "v": e["version"] }),
                    )
                    .await;
                }
            }
            _ => {}
        }
    }
    // Half the writers delete their cluster with what it owns (events first: a sole organiser
    // cannot go).
    if seed.is_multiple_of(2) {
        for e in events {
            write(
                app,
                key,
                "mutation($id: ID!, $v: Int!) { deleteEvent(id: $id, version: $v) }",
                json!({ "id": e["id"], "v": e["version"] }),
            )
            .await;
        }
        let c = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on Cluster { version } } }",
                json!({ "id": cluster["id"] }),
            )
            .await;
        write(
            app,
            key,
            "mutation($id: ID!, $v: Int!) { deleteCluster(id: $id, version: $v) }",
            json!({ "id": cluster["id"], "v": c["node"]["version"] }),
        )
        .await;
    }
}

both!(
    a_copy_from_export_and_change_feed_equals_the_source,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let (mut copy, mut cursor) = export(&app).await;
        assert!(copy.keys().any(|(t, _)| t == "Cluster"));
        assert!(
            !copy.keys().any(|(t, _)| t == "Contact"),
            "contacts are not exported"
        );

        // Four concurrent writers, while the copy polls the feed.
        let done = std::sync::atomic::AtomicBool::new(false);
        let writers = async {
            futures_util::future::join_all((1..=4).map(|seed| writer(&app, &admin, seed))).await;
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        };
        let poller = async {
            let mut c = cursor.clone();
            let mut copy = copy.clone();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                c = catch_up(&app, &mut copy, c).await;
                tokio::task::yield_now().await;
            }
            (copy, c)
        };
        let ((), (polled, polled_cursor)) = tokio::join!(writers, poller);
        copy = polled;
        cursor = polled_cursor;
        // Entries become readable once every older transaction on the server has ended (other
        // tests' transactions may hold that back for a moment): poll as a client would.
        let (source, _) = export(&app).await;
        for _ in 0..100 {
            cursor = catch_up(&app, &mut copy, cursor).await;
            if copy == source {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let missing: Vec<_> = source.keys().filter(|k| !copy.contains_key(*k)).collect();
        let extra: Vec<_> = copy.keys().filter(|k| !source.contains_key(*k)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing {missing:?}, extra {extra:?}"
        );
        for (k, v) in &source {
            assert_eq!(&copy[k], v, "{k:?}");
        }
        // Nothing more to read.
        let d = app.data(CHANGES, json!({ "after": cursor })).await;
        assert_eq!(d["changes"]["nodes"], json!([]));
        assert_eq!(d["changes"]["pageInfo"]["endCursor"], cursor.as_str());
    }
);

both!(compacted_cursors_are_refused, |app: TestApp| async move {
    let admin = app.key(Role::Admin, None, None).await;
    let (_, start) = export(&app).await;
    writer(&app, &admin, 11).await;
    // Compaction keeps whatever a transaction still open anywhere on the server (other tests
    // share it) might yet see; it goes ahead once those have finished.
    let mut gone = 0;
    for _ in 0..200 {
        gone = cluster_directory::services::changes::compact(
            &app.db.conn,
            chrono::Utc::now() + chrono::Duration::seconds(1),
        )
        .await
        .expect("compact");
        if gone > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(gone > 0);
    let res = app.query(CHANGES, json!({ "after": start })).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "CONFLICT", "{res}");
    // A new export continues.
    let (_, fresh) = export(&app).await;
    app.data(CHANGES, json!({ "after": fresh })).await;
    let res = app.query(CHANGES, json!({ "after": "garbage" })).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
});

/// (row id, values) pairs from SQL that selects `id` and a text `v`.
async fn values(app: &TestApp, sql: &str) -> Vec<(i64, Option<String>)> {
    use sea_orm::ConnectionTrait;
    let rows = app
        .db
        .conn
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|r| {
            (
                r.try_get::<i64>("", "id").expect("id"),
                r.try_get::<Option<String>>("", "v").expect("v"),
            )
        })
        .collect()
}

/// The values of one dimension, computed by the test with plain SQL (no grouping).
async fn dimension(app: &TestApp, subject: &str, dim: &str) -> Vec<(i64, Option<String>)> {
    let link = |table: &str, link: &str, owner: &str| {
        format!(
            "SELECT s.id AS id, t.slug AS v FROM {table} s LEFT JOIN {link} l ON l.{owner} = s.id LEFT JOIN theme t ON t.id = l.theme_id"
        )
    };
    let sql = match (subject, dim) {
        ("ORGANISATIONS", "TYPE") => "SELECT id, UPPER(org_type) AS v FROM organisation".to_owned(),
        ("ORGANISATIONS", "SIZE_CLASS") => "SELECT id, UPPER(size_class) AS v FROM organisation".to_owned(),
        ("ORGANISATIONS", "COUNTRY") => "SELECT id, country_code AS v FROM organisation".to_owned(),
        ("ORGANISATIONS", "REGION") => "SELECT o.id AS id, r.code AS v FROM organisation o LEFT JOIN region r ON r.id = o.region_id".to_owned(),
        ("ORGANISATIONS", "THEME") => link("organisation", "organisation_theme", "organisation_id"),
        ("ORGANISATIONS", "CLUSTER") => "SELECT o.id AS id, c.slug AS v FROM organisation o LEFT JOIN membership m ON m.organisation_id = o.id LEFT JOIN cluster c ON c.id = m.cluster_id".to_owned(),
        ("CLUSTERS", "COUNTRY") => "SELECT id, country_code AS v FROM cluster".to_owned(),
        ("CLUSTERS", "KIND") => "SELECT id, UPPER(kind) AS v FROM cluster".to_owned(),
        ("CLUSTERS", "THEME") => link("cluster", "cluster_theme", "cluster_id"),
        ("CLUSTERS", "LABEL") => "SELECT c.id AS id, UPPER(l.level) AS v FROM cluster c LEFT JOIN cluster_label l ON l.cluster_id = c.id".to_owned(),
        ("CLUSTERS", "REGION") => "SELECT c.id AS id, r.code AS v FROM cluster c LEFT JOIN region r ON r.id = c.region_id".to_owned(),
        ("MEMBERSHIPS", "CLUSTER") => "SELECT m.id AS id, c.slug AS v FROM membership m JOIN cluster c ON c.id = m.cluster_id".to_owned(),
        ("MEMBERSHIPS", "ROLE") => "SELECT id, UPPER(role) AS v FROM membership".to_owned(),
        ("MEMBERSHIPS", "TYPE") => "SELECT m.id AS id, UPPER(o.org_type) AS v FROM membership m JOIN organisation o ON o.id = m.organisation_id".to_owned(),
        ("MEMBERSHIPS", "COUNTRY") => "SELECT m.id AS id, o.country_code AS v FROM membership m JOIN organisation o ON o.id = m.organisation_id".to_owned(),
        ("COLLABORATIONS", "PROGRAMME") => "SELECT id, programme AS v FROM collaboration".to_owned(),
        ("COLLABORATIONS", "THEME") => link("collaboration", "collaboration_theme", "collaboration_id"),
        ("COLLABORATIONS", "STATUS") => "SELECT id, UPPER(status) AS v FROM collaboration".to_owned(),
        ("COLLABORATIONS", "START_YEAR") => "SELECT id, CAST(starts_on AS TEXT) AS v FROM collaboration".to_owned(),
        ("EVENTS", "FORMAT") => "SELECT id, UPPER(format) AS v FROM event".to_owned(),
        ("EVENTS", "THEME") => link("event", "event_theme", "event_id"),
        ("EVENTS", "COUNTRY") => "SELECT id, country_code AS v FROM event".to_owned(),
        ("EVENTS", "STATUS") => "SELECT id, UPPER(status) AS v FROM event".to_owned(),
        ("INDICATORS", "KEY") => "SELECT id, key AS v FROM indicator".to_owned(),
        ("INDICATORS", "YEAR") => "SELECT id, CAST(year AS TEXT) AS v FROM indicator".to_owned(),
        ("INDICATORS", "CLUSTER") => "SELECT i.id AS id, c.slug AS v FROM indicator i JOIN cluster c ON c.id = i.cluster_id".to_owned(),
        ("EVENTS", "MONTH") => {
            use sea_orm::{EntityTrait, QuerySelect};
            use cluster_directory::entities::event;
            let rows: Vec<(i64, chrono::DateTime<chrono::Utc>)> = event::Entity::find()
                .select_only()
                .column(event::Column::Id)
                .column(event::Column::StartsAt)
                .into_tuple()
                .all(&app.db.conn)
                .await
                .expect("events");
            return rows
                .into_iter()
                .map(|(id, at)| (id, Some(at.format("%Y-%m").to_string())))
                .collect();
        }
        other => panic!("no brute force for {other:?}"),
    };
    let mut out = values(app, &sql).await;
    if dim == "REGION" {
        for (_, v) in &mut out {
            *v = v.as_ref().map(|c| c.chars().take(4).collect());
        }
    }
    if dim == "START_YEAR" {
        for (_, v) in &mut out {
            *v = v.as_ref().map(|c| c.chars().take(4).collect());
        }
    }
    out
}

/// Counts per key, brute force: every combination of a row's values counts the row once.
async fn brute_force(
    app: &TestApp,
    subject: &str,
    dims: &[&str],
) -> BTreeMap<Vec<Option<String>>, i64> {
    let mut per_row: BTreeMap<i64, Vec<Vec<Option<String>>>> = BTreeMap::new();
    for (i, d) in dims.iter().enumerate() {
        for (id, v) in dimension(app, subject, d).await {
            let slot = per_row
                .entry(id)
                .or_insert_with(|| vec![Vec::new(); dims.len()]);
            if !slot[i].contains(&v) {
                slot[i].push(v);
            }
        }
    }
    let mut counts = BTreeMap::new();
    for values in per_row.values() {
        let mut keys: Vec<Vec<Option<String>>> = vec![Vec::new()];
        for vs in values {
            let vs = if vs.is_empty() {
                vec![None]
            } else {
                vs.clone()
            };
            keys = keys
                .into_iter()
                .flat_map(|k| {
                    vs.iter().map(move |v| {
                        let mut k = k.clone();
                        k.push(v.clone());
                        k
                    })
                })
                .collect();
        }
        for k in keys {
            *counts.entry(k).or_insert(0) += 1;
        }
    }
    counts
}

both!(
    statistics_equal_brute_force_counts,
    |app: TestApp| async move {
        app.generate(cluster_directory::config::GenerateArgs {
            clusters: 12,
            organisations: 240,
            memberships: 600,
            events: 80,
            seed: 5,
        })
        .await;
        let cases: &[(&str, &[&str])] = &[
            ("ORGANISATIONS", &["TYPE"]),
            ("ORGANISATIONS", &["SIZE_CLASS"]),
            ("ORGANISATIONS", &["COUNTRY"]),
            ("ORGANISATIONS", &["REGION"]),
            ("ORGANISATIONS", &["THEME"]),
            ("ORGANISATIONS", &["CLUSTER"]),
            ("ORGANISATIONS", &["TYPE", "COUNTRY"]),
            ("ORGANISATIONS", &["THEME", "CLUSTER", "SIZE_CLASS"]),
            ("CLUSTERS", &["COUNTRY"]),
            ("CLUSTERS", &["KIND"]),
            ("CLUSTERS", &["THEME"]),
            ("CLUSTERS", &["LABEL"]),
            ("CLUSTERS", &["REGION", "KIND"]),
            ("MEMBERSHIPS", &["CLUSTER"]),
            ("MEMBERSHIPS", &["ROLE"]),
            ("MEMBERSHIPS", &["TYPE", "COUNTRY"]),
            ("COLLABORATIONS", &["PROGRAMME"]),
            ("COLLABORATIONS", &["THEME"]),
            ("COLLABORATIONS", &["STATUS", "START_YEAR"]),
            ("EVENTS", &["MONTH"]),
            ("EVENTS", &["FORMAT", "THEME"]),
            ("EVENTS", &["COUNTRY", "STATUS"]),
            ("INDICATORS", &["KEY", "YEAR"]),
            ("INDICATORS", &["CLUSTER"]),
        ];
        let q = "query($s: StatisticsSubject!, $g: [StatisticsDimension!]!) {
            statistics(subject: $s, groupBy: $g) { groups { key count sum average } } }";
        for (subject, dims) in cases {
            let d = app.data(q, json!({ "s": subject, "g": dims })).await;
            let got: BTreeMap<Vec<Option<String>>, i64> = d["statistics"]["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|g| {
                    let key = g["key"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect();
                    (key, g["count"].as_i64().expect("count"))
                })
                .collect();
            let want = brute_force(&app, subject, dims).await;
            assert_eq!(got, want, "{subject} by {dims:?}");
        }

        // Sums and averages of budgets, and a filter.
        let d = app
            .data(
                "{ statistics(subject: COLLABORATIONS, groupBy: [STATUS]) { groups { key count sum average } } }",
                json!({}),
            )
            .await;
        use sea_orm::EntityTrait;
        let collabs = cluster_directory::entities::collaboration::Entity::find()
            .all(&app.db.conn)
            .await
            .expect("collaborations");
        for g in d["statistics"]["groups"].as_array().into_iter().flatten() {
            let status = g["key"][0]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let budgets: Vec<i64> = collabs
                .iter()
                .filter(|c| format!("{:?}", c.status).to_ascii_lowercase() == status)
                .filter_map(|c| c.budget_eur)
                .collect();
            let sum: i64 = budgets.iter().sum();
            if budgets.is_empty() {
                assert!(g["sum"].is_null());
            } else {
                assert_eq!(g["sum"].as_f64(), Some(sum as f64), "{g}");
            }
        }
        let filtered = app
            .data(
                "{ statistics(subject: ORGANISATIONS, groupBy: [COUNTRY], filter: { types: [SME], themes: [\"health\"] }) { groups { key count } } }",
                json!({}),
            )
            .await;
        let total: i64 = filtered["statistics"]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| g["count"].as_i64().unwrap_or(0))
            .sum();
        let sme_health = values(
            &app,
            "SELECT o.id AS id, o.org_type AS v FROM organisation o WHERE o.org_type = 'sme' AND EXISTS (SELECT 1 FROM organisation_theme l JOIN theme t ON t.id = l.theme_id WHERE l.organisation_id = o.id AND t.slug = 'health')",
        )
        .await;
        assert_eq!(total, sme_health.len() as i64);
        // Filters that do not apply are refused.
        let res = app
            .query(
                "{ statistics(subject: EVENTS, groupBy: [FORMAT], filter: { sizeClasses: [MICRO] }) { groups { count } } }",
                json!({}),
            )
            .await;
        assert_eq!(res["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let res = app
            .query(
                "{ statistics(subject: EVENTS, groupBy: [KIND]) { groups { count } } }",
                json!({}),
            )
            .await;
        assert_eq!(res["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
);

both!(
    clusters_compare_side_by_side_and_explain_their_similarity,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let indescat = app
            .data("{ cluster(slug: \"indescat\") { id } }", json!({}))
            .await["cluster"]["id"]
            .clone();
        app.data_as(
            Some(&admin),
            "mutation($i: CreateIndicatorInput!) { createIndicator(input: $i) { id } }",
            json!({ "i": { "cluster": indescat, "year": 2020, "topic": "SMES", "key": "member_companies", "value": 120.0, "unit": "companies", "trend": "RISING" } }),
        )
        .await;
        let d = app
            .data(
                "{ compareClusters(clusters: [\"sports-and-technology\", \"indescat\"], keys: [\"member_companies\", \"sport_field_labs\"], years: [2020]) {
                    clusters rows { key year missing cells { cluster value unit trend } } } }",
                json!({}),
            )
            .await;
        let c = &d["compareClusters"];
        assert_eq!(c["clusters"], json!(["sports-and-technology", "indescat"]));
        assert_eq!(c["rows"][0]["key"], "member_companies");
        assert_eq!(c["rows"][0]["cells"][0]["value"], 100.0);
        assert_eq!(c["rows"][0]["cells"][1]["value"], 120.0);
        assert_eq!(c["rows"][0]["cells"][1]["trend"], "RISING");
        assert_eq!(c["rows"][0]["missing"], json!([]));
        assert_eq!(c["rows"][1]["key"], "sport_field_labs");
        assert_eq!(c["rows"][1]["cells"][1]["value"], Value::Null);
        assert_eq!(c["rows"][1]["missing"], json!(["indescat"]));

        let d = app
            .data(
                "{ similarClusters(cluster: \"indescat\") { cluster { slug } score themes indicators complementarity
                    sharedThemes sharedIndicatorKeys theirOffersForYourNeeds yourOffersForTheirNeeds } }",
                json!({}),
            )
            .await;
        let list = d["similarClusters"].as_array().cloned().unwrap_or_default();
        assert_eq!(list.len(), 3);
        let close = |a: &Value, b: f64| (a.as_f64().unwrap_or(-1.0) - b).abs() < 1e-9;
        for s in &list {
            let total = 0.4 * s["themes"].as_f64().unwrap_or(0.0)
                + 0.3 * s["indicators"].as_f64().unwrap_or(0.0)
                + 0.3 * s["complementarity"].as_f64().unwrap_or(0.0);
            assert!(close(&s["score"], total), "{s}");
        }
        // Cluster Montagne: shares sustainability, and a Savoie need meets a Catalan offer.
        let montagne = &list[0];
        assert_eq!(montagne["cluster"]["slug"], "cluster-montagne");
        assert_eq!(montagne["sharedThemes"], json!(["sustainability"]));
        assert!(close(&montagne["themes"], 0.25));
        assert_eq!(montagne["yourOffersForTheirNeeds"], 1);
        assert!(close(&montagne["complementarity"], 0.2));
        // Brainport: one shared theme of six, and a close indicator profile.
        let brainport = &list[1];
        assert_eq!(brainport["cluster"]["slug"], "sports-and-technology");
        assert_eq!(
            brainport["sharedIndicatorKeys"],
            json!(["member_companies"])
        );
        assert!(close(&brainport["themes"], 1.0 / 6.0));
        assert!(close(&brainport["indicators"], (1.0 - 20.0 / 120.0) / 3.0));
        assert_eq!(list[2]["score"], 0.0);
        let bad = app
            .query(
                "{ similarClusters(cluster: \"nope\") { score } }",
                json!({}),
            )
            .await;
        assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
);
