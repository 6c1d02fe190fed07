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
    let gone = cluster_directory::services::changes::compact(
        &app.db.conn,
        chrono::Utc::now() + chrono::Duration::seconds(1),
    )
    .await
    .expect("compact");
    assert!(gone > 0);
    let res = app.query(CHANGES, json!({ "after": start })).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "CONFLICT", "{res}");
    // A new export continues.
    let (_, fresh) = export(&app).await;
    app.data(CHANGES, json!({ "after": fresh })).await;
    let res = app.query(CHANGES, json!({ "after": "garbage" })).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
});
