//! Events for mobile apps and calendars: the upcoming feed and its filters, local times across
//! daylight saving, cacheable GET answers with ETags, automatic persisted queries, iCalendar feeds
//! and live updates, on SQLite and PostgreSQL.

mod support;

use cluster_directory::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Subscriber, TestApp};

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn get_url(app: &TestApp, query: &str, extensions: Option<Value>) -> String {
    let mut url = reqwest::Url::parse(&app.url("/graphql")).expect("url");
    {
        let mut pairs = url.query_pairs_mut();
        if !query.is_empty() {
            pairs.append_pair("query", query);
        }
        if let Some(ext) = extensions {
            pairs.append_pair("extensions", &ext.to_string());
        }
    }
    url.to_string()
}

fn sha256(text: &str) -> String {
    cluster_directory::http::apq::hash(text)
}

both!(
    get_answers_are_cacheable_and_revalidate_with_304,
    |app: TestApp| async move {
        let url = get_url(&app, "{ events { nodes { title } } }", None);
        let res = app.client.get(&url).send().await.expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, "cache-control"), "public, max-age=60");
        let etag = header(&res, "etag");
        assert!(etag.starts_with("W/\""), "{etag}");
        let again = app
            .client
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&again, "etag"), etag);
        assert!(again.bytes().await.expect("body").is_empty());

        // A change gives a new ETag.
        use sea_orm::ConnectionTrait;
        app.db
            .conn
            .execute_unprepared("UPDATE event SET title = title || ' (updated)'")
            .await
            .expect("update");
        let changed = app
            .client
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(changed.status(), StatusCode::OK);
        assert_ne!(header(&changed, "etag"), etag);

        // Answers for a key are private to its holder; errors are not cached.
        let key = app.key(Role::Reader, None, None).await;
        let res = app
            .client
            .get(&url)
            .bearer_auth(&key)
            .send()
            .await
            .expect("request");
        assert_eq!(header(&res, "cache-control"), "private, max-age=60");
        let res = app
            .client
            .get(get_url(&app, "{ cluster(slug: \"nope\") { name } }", None))
            .send()
            .await
            .expect("request");
        assert_eq!(header(&res, "cache-control"), "no-store");
    }
);

both!(
    persisted_queries_follow_the_apq_protocol,
    |app: TestApp| async move {
        let query =
            "{ events(filter: { themes: [\"health\"], includePast: true }) { totalCount } }";
        let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(query) } });
        // The hash alone is unknown at first.
        let res = app
            .client
            .get(get_url(&app, "", Some(ext.clone())))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_NOT_FOUND"
        );
        // The client registers it by sending query and hash; then the hash alone works over GET.
        let res = app
            .client
            .get(get_url(&app, query, Some(ext.clone())))
            .send()
            .await
            .expect("request");
        let registered: Value = res.json().await.expect("json");
        assert!(
            registered["data"]["events"]["totalCount"]
                .as_u64()
                .unwrap_or(0)
                > 0
        );
        let res = app
            .client
            .get(get_url(&app, "", Some(ext.clone())))
            .send()
            .await
            .expect("request");
        assert!(!header(&res, "etag").is_empty());
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["data"], registered["data"]);
        // A hash that is not the query's is refused.
        let res = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ __typename }", "extensions": ext }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: Value = res.json().await.expect("json");
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_HASH_MISMATCH"
        );
        // A persisted mutation is still refused over GET.
        let mutation = "mutation { revokeApiKey(id: \"x\") { name } }";
        let mext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(mutation) } });
        let key = app.key(Role::Admin, None, None).await;
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&key)
            .json(&json!({ "query": mutation, "extensions": mext }))
            .send()
            .await
            .expect("request");
        let res = app
            .client
            .get(get_url(&app, "", Some(mext)))
            .bearer_auth(&key)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
);

/// The id of a demo cluster.
async fn cluster_id(app: &TestApp, slug: &str) -> Value {
    app.data(
        "query($s: String!) { cluster(slug: $s) { id } }",
        json!({ "s": slug }),
    )
    .await["cluster"]["id"]
        .clone()
}

const CREATE_EVENT: &str = "mutation($i: CreateEventInput!) { createEvent(input: $i) { id slug startsAt localStartsAt localEndsAt timeZone } }";

both!(
    times_are_local_across_daylight_saving,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let own = cluster_id(&app, "sports-and-technology").await;
        let event = |title: &str, starts: &str, ends: &str, zone: &str| {
            json!({ "i": {
                "title": title, "format": "WORKSHOP", "startsAt": starts, "endsAt": ends,
                "timeZone": zone, "city": "Eindhoven", "countryCode": "NL",
                "organisers": { "clusters": [own] }
            } })
        };
        // Europe/Amsterdam moves from +01:00 to +02:00 on 28 March 2027.
        let before = app
            .data_as(
                Some(&admin),
                CREATE_EVENT,
                event(
                    "Before",
                    "2027-03-27T08:00:00Z",
                    "2027-03-27T16:00:00Z",
                    "Europe/Amsterdam",
                ),
            )
            .await;
        let after = app
            .data_as(
                Some(&admin),
                CREATE_EVENT,
                event(
                    "After",
                    "2027-03-29T07:00:00Z",
                    "2027-03-29T15:00:00Z",
                    "Europe/Amsterdam",
                ),
            )
            .await;
        assert_eq!(
            before["createEvent"]["localStartsAt"],
            "2027-03-27T09:00:00+01:00"
        );
        assert_eq!(
            after["createEvent"]["localStartsAt"],
            "2027-03-29T09:00:00+02:00"
        );
        assert_eq!(
            after["createEvent"]["startsAt"],
            "2027-03-29T07:00:00+00:00"
        );
        assert_eq!(after["createEvent"]["timeZone"], "Europe/Amsterdam");
        // The same instant elsewhere.
        let bcn = app
            .data_as(
                Some(&admin),
                CREATE_EVENT,
                event(
                    "Helsinki",
                    "2027-10-31T08:00:00Z",
                    "2027-10-31T10:00:00Z",
                    "Europe/Helsinki",
                ),
            )
            .await;
        assert_eq!(
            bcn["createEvent"]["localStartsAt"],
            "2027-10-31T10:00:00+02:00"
        );
        assert_eq!(
            bcn["createEvent"]["localEndsAt"],
            "2027-10-31T12:00:00+02:00"
        );
    }
);

both!(
    the_feed_is_upcoming_and_filters_by_region,
    |app: TestApp| async move {
        let q = "query($f: EventFilterInput) { events(filter: $f) { nodes { title startsAt status } } }";
        let all = app
            .data(q, json!({ "f": { "includePast": true, "region": "NL" } }))
            .await;
        let titles: Vec<&str> = all["events"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["title"].as_str())
            .collect();
        assert!(!titles.is_empty());
        let es = app
            .data(
                q,
                json!({ "f": { "includePast": true, "region": "ES511" } }),
            )
            .await;
        let es_titles: Vec<&str> = es["events"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["title"].as_str())
            .collect();
        assert!(!es_titles.is_empty());
        assert_ne!(titles, es_titles);
        let bad = app
            .error_code(q, json!({ "f": { "region": "not a region" } }))
            .await;
        assert_eq!(bad, "BAD_USER_INPUT");
        // Upcoming by default, ordered by start.
        let upcoming = app.data(q, json!({})).await;
        let starts: Vec<&str> = upcoming["events"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["startsAt"].as_str())
            .collect();
        let mut sorted = starts.clone();
        sorted.sort();
        assert_eq!(starts, sorted);
    }
);

/// A calendar as ical.js reads it.
async fn parse_calendar(url: String) -> Value {
    let out = support::node("ical.mjs", vec![url]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ical.js cannot parse it: {text}");
    serde_json::from_str(text.lines().last().unwrap_or_default()).expect("json")
}

both!(
    calendars_parse_with_an_independent_parser_and_stay_current,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let indescat = app
            .data("{ cluster(slug: \"indescat\") { id } }", json!({}))
            .await["cluster"]["id"]
            .clone();
        let title = "Esport, salut; innovació \\ \"Barcelona\" — a long title that will need folding at seventy-five octets";
        let created = app
            .data_as(
                Some(&admin),
                CREATE_EVENT,
                json!({ "i": {
                    "title": title, "format": "B2B_MATCHMAKING",
                    "description": "Line one\nLine two, with a comma; and a semicolon",
                    "startsAt": "2027-05-20T07:30:00Z", "endsAt": "2027-05-20T15:00:00Z",
                    "timeZone": "Europe/Madrid", "venue": "Estadi Olímpic", "city": "Barcelona",
                    "countryCode": "ES", "themes": ["health"],
                    "organisers": { "clusters": [indescat] }
                } }),
            )
            .await["createEvent"]
            .clone();
        let slug = created["slug"].as_str().expect("slug").to_owned();
        let feed_url = app.url("/calendar.ics?cluster=indescat&theme=health");
        let cal = parse_calendar(feed_url.clone()).await;
        assert_eq!(cal["status"], 200);
        assert!(
            cal["contentType"]
                .as_str()
                .unwrap_or_default()
                .starts_with("text/calendar")
        );
        assert_eq!(cal["version"], "2.0");
        let ours: Vec<&Value> = cal["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["summary"] == title)
            .collect();
        assert_eq!(ours.len(), 1, "{cal}");
        let e = ours[0];
        assert_eq!(
            e["description"],
            "Line one\nLine two, with a comma; and a semicolon"
        );
        assert_eq!(e["location"], "Estadi Olímpic, Barcelona, ES");
        assert_eq!(e["start"], "2027-05-20T07:30:00.000Z");
        assert_eq!(e["end"], "2027-05-20T15:00:00.000Z");
        assert_eq!(e["status"], "CONFIRMED");
        assert_eq!(e["sequence"], 0);
        assert_eq!(e["categories"], json!(["Health & vitality"]));
        let uid = e["uid"].as_str().expect("uid").to_owned();
        // Events on other themes are not in this calendar.
        for other in cal["events"].as_array().into_iter().flatten() {
            assert!(
                other["categories"].to_string().contains("Health"),
                "{other}"
            );
        }

        // Raw output: CRLF line ends, no line over 75 octets.
        let raw = app
            .client
            .get(&feed_url)
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("text");
        for l in raw.split("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l:?}", l.len());
            assert!(!l.contains('\n'));
        }

        // Cancelling keeps the event, with the same UID, a higher SEQUENCE and STATUS:CANCELLED.
        let v = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on Event { version } } }",
                json!({ "id": created["id"] }),
            )
            .await["node"]["version"]
            .clone();
        app.data_as(
            Some(&admin),
            "mutation($i: UpdateEventInput!) { updateEvent(input: $i) { status } }",
            json!({ "i": { "id": created["id"], "version": v, "status": "CANCELLED" } }),
        )
        .await;
        let cal = parse_calendar(app.url(&format!("/events/{slug}.ics"))).await;
        let e = &cal["events"][0];
        assert_eq!(e["uid"], uid.as_str());
        assert_eq!(e["status"], "CANCELLED");
        assert_eq!(e["sequence"], 1);

        // Filters are checked; unknown events are 404.
        let res = app
            .client
            .get(app.url("/calendar.ics?format=party"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = app
            .client
            .get(app.url("/calendar.ics?colour=red"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = app
            .client
            .get(app.url("/events/no-such-event.ics"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        // Calendar apps revalidate cheaply.
        let res = app.client.get(&feed_url).send().await.expect("request");
        let etag = header(&res, "etag");
        let res = app
            .client
            .get(&feed_url)
            .header("if-none-match", etag)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    }
);

const SUBSCRIBE: &str = "subscription($f: EventFilterInput) { events(filter: $f) {
    kind id event { title status themes { nodes { slug } } } } }";

both!(
    subscribers_hear_changes_of_their_events_live,
    |app: TestApp| async move {
        let manager = app
            .key(Role::ClusterManager, None, Some("sports-and-technology"))
            .await;
        let own = cluster_id(&app, "sports-and-technology").await;
        // On PostgreSQL the subscriber listens on another replica than the one written to.
        let postgres = app.database_url.starts_with("postgres");
        let replica = if postgres {
            Some(support::spawn_on(&app.database_url, false).await)
        } else {
            None
        };
        let listen_on = replica.as_ref().unwrap_or(&app);
        let ws = format!("ws://{}/graphql/ws", listen_on.addr);
        let mut sub = Subscriber::start(
            ws,
            SUBSCRIBE,
            json!({ "f": { "themes": ["health"] } }),
            None,
            "events",
        );
        let create = |title: String, theme: &'static str| {
            let (app, manager, own) = (&app, &manager, &own);
            async move {
                app.data_as(
                    Some(manager),
                    "mutation($i: CreateEventInput!) { createEvent(input: $i) { id version } }",
                    json!({ "i": {
                        "title": title, "format": "WEBINAR",
                        "startsAt": "2027-09-01T08:00:00Z", "endsAt": "2027-09-01T09:00:00Z",
                        "timeZone": "Europe/Amsterdam",
                        "onlineUrl": "https://events.example.org/live", "themes": [theme],
                        "organisers": { "clusters": [own] }
                    } }),
                )
                .await["createEvent"]
                    .clone()
            }
        };
        let mut n = 0;
        let first = sub
            .warm_up(|| {
                n += 1;
                let f = create(format!("Warm-up {n}"), "health");
                async move {
                    f.await;
                }
            })
            .await;
        assert_eq!(first["kind"], "CREATED");
        // Drain the other warm-up events.
        let mut seen = first["event"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        while seen != format!("Warm-up {n}") {
            seen = sub.next().await["event"]["title"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }

        // An event on another theme is not heard; the next one on the subscribed theme is.
        create("Mountain tourism day".into(), "tourism").await;
        let health = create("Vitality webinar".into(), "health").await;
        let got = sub.next().await;
        assert_eq!(got["kind"], "CREATED");
        assert_eq!(got["event"]["title"], "Vitality webinar");
        assert_eq!(got["id"], health["id"]);

        // A cancellation arrives, marked.
        app.data_as(
            Some(&manager),
            "mutation($i: UpdateEventInput!) { updateEvent(input: $i) { status } }",
            json!({ "i": { "id": health["id"], "version": health["version"], "status": "CANCELLED" } }),
        )
        .await;
        let got = sub.next().await;
        assert_eq!(got["kind"], "CANCELLED");
        assert_eq!(got["event"]["status"], "CANCELLED");

        // A rejected write announces nothing; a deletion does.
        let res = app
            .query_as(
                Some(&manager),
                "mutation($i: UpdateEventInput!) { updateEvent(input: $i) { status } }",
                json!({ "i": { "id": health["id"], "version": 1, "title": "Stale" } }),
            )
            .await;
        assert_eq!(res["errors"][0]["extensions"]["code"], "CONFLICT");
        app.data_as(
            Some(&manager),
            "mutation($id: ID!, $v: Int!) { deleteEvent(id: $id, version: $v) }",
            json!({ "id": health["id"], "v": 2 }),
        )
        .await;
        let got = sub.next().await;
        assert_eq!(got["kind"], "DELETED");
        assert_eq!(got["id"], health["id"]);
        assert!(got["event"].is_null());
    }
);

both!(
    the_theme_filter_follows_every_change_of_an_event,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let own = cluster_id(&app, "sports-and-technology").await;
        let created = app
            .data_as(
                Some(&admin),
                "mutation($i: CreateEventInput!) { createEvent(input: $i) { id version } }",
                json!({ "i": {
                    "title": "Padel sensors demo day", "format": "WORKSHOP",
                    "startsAt": "2031-05-01T08:00:00Z", "endsAt": "2031-05-01T16:00:00Z",
                    "timeZone": "Europe/Amsterdam", "countryCode": "NL",
                    "themes": ["health"], "organisers": { "clusters": [own] }
                } }),
            )
            .await["createEvent"]
            .clone();
        let titles = |country: &'static str| {
            let app = &app;
            async move {
                let data = app
                    .data(
                        "query($c: String!) { events(first: 100, filter: { themes: [\"health\"], country: $c, from: \"2031-01-01T00:00:00Z\" }) { nodes { title } } }",
                        json!({ "c": country }),
                    )
                    .await;
                data["events"]["nodes"]
                    .as_array()
                    .map(|n| n.iter().map(|e| e["title"].clone()).collect::<Vec<_>>())
                    .unwrap_or_default()
            }
        };
        assert_eq!(titles("NL").await, vec![json!("Padel sensors demo day")]);
        assert!(titles("ES").await.is_empty());

        // Moving the event moves it in the filtered feed.
        let update = "mutation($i: UpdateEventInput!) { updateEvent(input: $i) { version } }";
        let version = app
            .data_as(
                Some(&admin),
                update,
                json!({ "i": { "id": created["id"], "version": created["version"], "countryCode": "ES" } }),
            )
            .await["updateEvent"]["version"]
            .clone();
        assert!(titles("NL").await.is_empty());
        assert_eq!(titles("ES").await, vec![json!("Padel sensors demo day")]);

        // Ending before `from` takes it out; new themes replace the old.
        app.data_as(
            Some(&admin),
            update,
            json!({ "i": { "id": created["id"], "version": version, "startsAt": "2030-05-01T08:00:00Z", "endsAt": "2030-05-01T16:00:00Z", "themes": ["tourism", "health"] } }),
        )
        .await;
        assert!(titles("ES").await.is_empty());
        let past = app
            .data(
                "{ events(first: 100, filter: { themes: [\"tourism\"], country: \"ES\", from: \"2030-01-01T00:00:00Z\" }) { nodes { title } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            past["events"]["nodes"],
            json!([{ "title": "Padel sensors demo day" }])
        );
    }
);
