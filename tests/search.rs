//! Black-box tests of search, matchmaking and multilingual texts, on SQLite and PostgreSQL:
//! relevance order, accents and case, misspellings, prefixes, filters, language fallback, that
//! the index follows every write, and that hidden data is never found.

mod support;

use cluster_directory::domain::Role;
use serde_json::{Value, json};
use support::{Subscriber, TestApp};

const SEARCH: &str = "query($q: String!, $f: SearchFilter, $lang: Language, $first: Int, $after: String) {
  search(query: $q, filter: $f, lang: $lang, first: $first, after: $after) {
    totalCount truncated similar
    pageInfo { hasNextPage endCursor }
    nodes { type score exactName language snippet { text html highlights { start length } }
      node { ... on Organisation { id name } ... on Cluster { id name } ... on OfferNeed { id title } ... on Event { id title } } }
  }
}";

const CREATE_ORG: &str =
    "mutation($i: CreateOrganisationInput!) { createOrganisation(input: $i) { id version } }";

async fn search(app: &TestApp, q: &str, filter: Value) -> Value {
    app.data(SEARCH, json!({ "q": q, "f": filter })).await["search"].clone()
}

/// Names of the hits, in order.
fn names(found: &Value) -> Vec<String> {
    found["nodes"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .map(|h| {
                    let n = &h["node"];
                    n["name"]
                        .as_str()
                        .or(n["title"].as_str())
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn cluster_id(app: &TestApp, slug: &str) -> Value {
    app.data(
        "query($s: String!) { cluster(slug: $s) { id } }",
        json!({ "s": slug }),
    )
    .await["cluster"]["id"]
        .clone()
}

/// An organisation made by an admin, member of `cluster`.
async fn org(app: &TestApp, admin: &str, cluster: &str, input: Value) -> Value {
    let mut input = input;
    input["cluster"] = cluster_id(app, cluster).await;
    input["type"] = json!("SME");
    app.data_as(Some(admin), CREATE_ORG, json!({ "i": input }))
        .await["createOrganisation"]
        .clone()
}

both!(
    exact_names_come_first_then_names_then_descriptions,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let c = "sports-and-technology";
        org(
            &app,
            &admin,
            c,
            json!({ "name": "Quantex Fabrics Lab", "countryCode": "NL" }),
        )
        .await;
        org(&app, &admin, c, json!({ "name": "Northwind Apparel", "countryCode": "NL", "description": "We weave quantex fabrics for cycling." })).await;
        org(
            &app,
            &admin,
            c,
            json!({ "name": "Quantex Fabrics", "countryCode": "NL" }),
        )
        .await;

        let found = search(&app, "quantex fabrics", json!(null)).await;
        assert_eq!(found["totalCount"], 3, "{found}");
        assert_eq!(
            names(&found),
            [
                "Quantex Fabrics",
                "Quantex Fabrics Lab",
                "Northwind Apparel"
            ]
        );
        assert_eq!(found["nodes"][0]["exactName"], true);
        assert_eq!(found["nodes"][1]["exactName"], false);
        assert_eq!(found["similar"], false);
        let snippet = &found["nodes"][2]["snippet"];
        assert!(
            snippet["html"]
                .as_str()
                .unwrap_or("")
                .contains("<mark>quantex</mark>"),
            "{snippet}"
        );
        let start = snippet["highlights"][0]["start"].as_u64().unwrap_or(0) as usize;
        let text: String = snippet["text"]
            .as_str()
            .unwrap_or("")
            .chars()
            .skip(start)
            .take(7)
            .collect();
        assert_eq!(text, "quantex");

        // Pages continue where the last one ended.
        let first = app
            .data(SEARCH, json!({ "q": "quantex", "first": 2 }))
            .await["search"]
            .clone();
        assert_eq!(first["pageInfo"]["hasNextPage"], true);
        let rest = app
            .data(
                SEARCH,
                json!({ "q": "quantex", "first": 2, "after": first["pageInfo"]["endCursor"] }),
            )
            .await["search"]
            .clone();
        let mut all = names(&first);
        all.extend(names(&rest));
        all.sort();
        assert_eq!(
            all,
            [
                "Northwind Apparel",
                "Quantex Fabrics",
                "Quantex Fabrics Lab"
            ]
        );
        assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    }
);

both!(
    within_a_tier_more_mentions_rank_higher_and_filters_keep_the_scores,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let c = "sports-and-technology";
        for (name, country, description) in [
            (
                "Orvella Once",
                "NL",
                "Orvella rope, among many other climbing products for gyms and outdoor walls.",
            ),
            (
                "Orvella Thrice",
                "NL",
                "Orvella rope. Orvella harness. Orvella chalk.",
            ),
            (
                "Orvella Abroad",
                "ES",
                "Orvella rope, among many other climbing products for gyms and outdoor walls.",
            ),
        ] {
            let name = name.replace("Orvella", "Bryn");
            org(
                &app,
                &admin,
                c,
                json!({ "name": name, "countryCode": country, "description": description }),
            )
            .await;
        }

        // Every hit holds the word in its description, none in its name (one tier); the one
        // whose texts say it most, in the fewest words, ranks first.
        let found = search(&app, "orvella", json!(null)).await;
        assert_eq!(found["totalCount"], 3, "{found}");
        assert_eq!(names(&found)[0], "Bryn Thrice", "{found}");
        let score = |found: &Value, name: &str| {
            found["nodes"]
                .as_array()
                .and_then(|hits| {
                    hits.iter()
                        .find(|h| h["node"]["name"] == name)
                        .and_then(|h| h["score"].as_f64())
                })
                .unwrap_or(f64::NAN)
        };
        let once = score(&found, "Bryn Once");
        assert!(once > 0.0, "{found}");
        assert!(score(&found, "Bryn Thrice") > once, "{found}");
        // The same texts score the same, wherever the organisation is.
        assert!(
            (score(&found, "Bryn Abroad") - once).abs() < 1e-9,
            "{found}"
        );

        // A filter decides what is found, not how well it matches.
        for filter in [
            json!({ "countries": ["NL"] }),
            json!({ "types": ["ORGANISATION"], "countries": ["NL"] }),
        ] {
            let narrowed = search(&app, "orvella", filter.clone()).await;
            assert_eq!(
                names(&narrowed),
                ["Bryn Thrice", "Bryn Once"],
                "{filter}: {narrowed}"
            );
            for name in ["Bryn Thrice", "Bryn Once"] {
                assert!(
                    (score(&narrowed, name) - score(&found, name)).abs() < 1e-9,
                    "{filter} {name}: {narrowed} against {found}"
                );
            }
        }

        // Names holding every word are scored by the name alone: what else their texts say
        // does not reorder them.
        org(&app, &admin, c, json!({ "name": "Zorvex Alpha", "countryCode": "NL", "description": "Zorvex, zorvex and more zorvex." })).await;
        org(
            &app,
            &admin,
            c,
            json!({ "name": "Zorvex Beta", "countryCode": "NL" }),
        )
        .await;
        let found = search(&app, "zorvex", json!(null)).await;
        assert_eq!(found["totalCount"], 2, "{found}");
        let (alpha, beta) = (score(&found, "Zorvex Alpha"), score(&found, "Zorvex Beta"));
        assert!(alpha > 0.0 && (alpha - beta).abs() < 1e-9, "{found}");
    }
);

both!(
    accents_case_prefixes_and_misspellings_still_find_it,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        org(&app, &admin, "indescat", json!({ "name": "Muntanya Catalunya Sportech", "countryCode": "ES", "description": "Cordes d'escalada fetes a Cataluña." })).await;

        for q in [
            "muntanya",
            "MUNTANYA",
            "Cataluna",
            "cataluña",
            "sporte",
            "Sportech Muntan",
        ] {
            let found = search(&app, q, json!(null)).await;
            assert!(
                names(&found).contains(&"Muntanya Catalunya Sportech".to_owned()),
                "{q}: {found}"
            );
            assert_eq!(found["similar"], false, "{q}");
        }
        // "montagne" finds "Montagne" (demo data), in either case.
        let found = search(&app, "MONTAGNE", json!({ "types": ["CLUSTER"] })).await;
        assert_eq!(names(&found), ["Cluster Montagne"]);

        // Misspelt: nothing holds the words, so names spelt alike are offered.
        let found = search(&app, "Catalunia Sportek", json!(null)).await;
        assert_eq!(found["similar"], true, "{found}");
        assert_eq!(names(&found)[0], "Muntanya Catalunya Sportech");
        assert!(
            found["nodes"][0]["snippet"]["html"]
                .as_str()
                .unwrap_or("")
                .contains("<mark>Catalunya</mark>")
        );
        // Something spelt like nothing finds nothing.
        let found = search(&app, "xqzvw", json!(null)).await;
        assert_eq!(found["totalCount"], 0);
    }
);

both!(
    filters_narrow_search_by_type_country_region_cluster_and_theme,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        org(&app, &admin, "sports-and-technology", json!({ "name": "Zephyrine Bikes Eindhoven", "countryCode": "NL", "region": "NL414", "themes": ["textile"] })).await;
        let barcelona = org(
            &app,
            &admin,
            "indescat",
            json!({ "name": "Zephyrine Bikes Barcelona", "countryCode": "ES", "region": "ES511" }),
        )
        .await;

        let all = search(&app, "zephyrine", json!(null)).await;
        assert_eq!(all["totalCount"], 2);
        let by = |f: Value| {
            let app = &app;
            async move { names(&search(app, "zephyrine", f).await) }
        };
        assert_eq!(
            by(json!({ "countries": ["es"] })).await,
            ["Zephyrine Bikes Barcelona"]
        );
        assert_eq!(
            by(json!({ "regions": ["NL4"] })).await,
            ["Zephyrine Bikes Eindhoven"]
        );
        assert_eq!(
            by(json!({ "clusters": ["indescat"] })).await,
            ["Zephyrine Bikes Barcelona"]
        );
        assert_eq!(
            by(json!({ "themes": ["textile"] })).await,
            ["Zephyrine Bikes Eindhoven"]
        );
        assert!(
            by(json!({ "types": ["EVENT", "CLUSTER"] }))
                .await
                .is_empty()
        );
        assert_eq!(
            by(json!({ "types": ["ORGANISATION", "EVENT"], "countries": ["NL", "FR"] })).await,
            ["Zephyrine Bikes Eindhoven"]
        );
        // An exact name is filtered like any other hit.
        let exact = |f: Value| {
            let app = &app;
            async move { names(&search(app, "zephyrine bikes barcelona", f).await) }
        };
        assert_eq!(
            exact(json!({ "types": ["ORGANISATION"], "countries": ["ES"] })).await,
            ["Zephyrine Bikes Barcelona"]
        );
        assert!(exact(json!({ "types": ["EVENT"] })).await.is_empty());
        assert!(
            !exact(json!({ "countries": ["NL"] }))
                .await
                .contains(&"Zephyrine Bikes Barcelona".to_owned())
        );
        // The words the index files filters under are not searchable themselves.
        for q in ["kindorganisation", "organisationes", "kindorg"] {
            let found = names(&search(&app, q, json!(null)).await);
            assert!(
                !found.iter().any(|n| n.contains("Zephyrine")),
                "{q}: {found:?}"
            );
        }
        // A move to another country moves the organisation between country filters.
        app.data_as(
            Some(&admin),
            "mutation($i: UpdateOrganisationInput!) { updateOrganisation(input: $i) { version } }",
            json!({ "i": { "id": barcelona["id"], "version": barcelona["version"], "countryCode": "FR", "region": null } }),
        )
        .await;
        assert_eq!(
            by(json!({ "types": ["ORGANISATION"], "countries": ["FR"] })).await,
            ["Zephyrine Bikes Barcelona"]
        );
        assert!(by(json!({ "countries": ["ES"] })).await.is_empty());
        assert_eq!(
            app.error_code(SEARCH, json!({ "q": "x", "f": { "countries": ["Spain"] } }))
                .await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(SEARCH, json!({ "q": " ?! " })).await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(SEARCH, json!({ "q": "x", "first": 500 }))
                .await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(SEARCH, json!({ "q": "x", "after": "nonsense" }))
                .await,
            "BAD_USER_INPUT"
        );
    }
);

both!(
    the_index_follows_every_write_and_never_holds_hidden_data,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let o = org(
            &app,
            &admin,
            "sports-and-technology",
            json!({ "name": "Oldname Velotech", "countryCode": "NL" }),
        )
        .await;

        // Renamed: found by the new name only.
        app.data_as(
            Some(&admin),
            "mutation($i: UpdateOrganisationInput!) { updateOrganisation(input: $i) { version } }",
            json!({ "i": { "id": o["id"], "version": o["version"], "name": "Newname Velotech" } }),
        )
        .await;
        assert_eq!(search(&app, "oldname", json!(null)).await["totalCount"], 0);
        assert_eq!(
            names(&search(&app, "newname", json!(null)).await),
            ["Newname Velotech"]
        );

        // A public contact is found with its organisation; a private one never is.
        let contact =
            "mutation($i: CreateContactInput!) { createContact(input: $i) { id version } }";
        let public = app
            .data_as(Some(&admin), contact, json!({ "i": { "organisation": o["id"], "name": "Wilhelmina Xylograph", "role": "Founder", "visibility": "PUBLIC" } }))
            .await["createContact"]
            .clone();
        app.data_as(Some(&admin), contact, json!({ "i": { "organisation": o["id"], "name": "Zebulon Quixotic", "email": "zq@example.org", "visibility": "PRIVATE" } }))
            .await;
        app.data_as(Some(&admin), contact, json!({ "i": { "organisation": o["id"], "name": "Members Onlyperson", "visibility": "MEMBERS" } }))
            .await;
        assert_eq!(
            names(&search(&app, "xylograph", json!(null)).await),
            ["Newname Velotech"]
        );
        for hidden in ["quixotic", "zq example", "onlyperson"] {
            assert_eq!(
                search(&app, hidden, json!(null)).await["totalCount"],
                0,
                "{hidden}"
            );
            // Not even for an admin.
            let as_admin = app
                .data_as(Some(&admin), SEARCH, json!({ "q": hidden }))
                .await;
            assert_eq!(as_admin["search"]["totalCount"], 0, "{hidden}");
        }
        // A contact made private is no longer found.
        app.data_as(
            Some(&admin),
            "mutation($i: UpdateContactInput!) { updateContact(input: $i) { id } }",
            json!({ "i": { "id": public["id"], "version": public["version"], "visibility": "PRIVATE" } }),
        )
        .await;
        assert_eq!(
            search(&app, "xylograph", json!(null)).await["totalCount"],
            0
        );

        // An offer is found; the message of an interest in it is not.
        let offer = app
            .data_as(
                Some(&admin),
                "mutation($i: CreateOfferNeedInput!) { createOfferNeed(input: $i) { id } }",
                json!({ "i": { "organisation": o["id"], "kind": "TECHNOLOGY_OFFER", "title": "Graphene saddle rails", "description": "Light rails." } }),
            )
            .await["createOfferNeed"]
            .clone();
        let other = org(
            &app,
            &admin,
            "indescat",
            json!({ "name": "Interested Sl", "countryCode": "ES" }),
        )
        .await;
        app.data_as(
            Some(&admin),
            "mutation($i: ExpressInterestInput!) { expressInterest(input: $i) { id } }",
            json!({ "i": { "offerNeed": offer["id"], "organisation": other["id"], "message": "Flibbertigibbet secret terms" } }),
        )
        .await;
        assert_eq!(
            names(&search(&app, "graphene", json!(null)).await),
            ["Graphene saddle rails"]
        );
        assert_eq!(
            search(&app, "flibbertigibbet", json!(null)).await["totalCount"],
            0
        );

        // A rejected write changes nothing in the index.
        let refused = app
            .query_as(
                Some(&admin),
                "mutation($i: UpdateOrganisationInput!) { updateOrganisation(input: $i) { version } }",
                json!({ "i": { "id": o["id"], "version": 1, "name": "Stalename Velotech" } }),
            )
            .await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "CONFLICT");
        assert_eq!(
            search(&app, "stalename", json!(null)).await["totalCount"],
            0
        );

        // Deleted with its offers: neither is found any more.
        let current = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on Organisation { version } } }",
                json!({ "id": o["id"] }),
            )
            .await;
        app.data_as(
            Some(&admin),
            "mutation($id: ID!, $v: Int!) { deleteOrganisation(id: $id, version: $v) }",
            json!({ "id": o["id"], "v": current["node"]["version"] }),
        )
        .await;
        assert_eq!(search(&app, "newname", json!(null)).await["totalCount"], 0);
        assert_eq!(search(&app, "graphene", json!(null)).await["totalCount"], 0);
    }
);

/// The ids of an organisation's search documents (new ones whenever they are rewritten).
async fn documents_of(app: &TestApp, name: &str) -> Vec<i64> {
    use sea_orm::ConnectionTrait;
    let backend = app.db.backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "$1",
        _ => "?",
    };
    app.db
        .conn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT id FROM search_document WHERE kind = 'organisation' \
                 AND entity_id IN (SELECT id FROM organisation WHERE name = {sql}) ORDER BY id"
            ),
            [name.into()],
        ))
        .await
        .expect("documents")
        .iter()
        .map(|r| r.try_get::<i64>("", "id").expect("id"))
        .collect()
}

both!(
    documents_are_rewritten_only_when_what_they_are_made_of_changes,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let o = org(
            &app,
            &admin,
            "sports-and-technology",
            json!({ "name": "Steadfast Velotech", "countryCode": "NL", "city": "Eindhoven" }),
        )
        .await;
        let update =
            "mutation($i: UpdateOrganisationInput!) { updateOrganisation(input: $i) { version } }";
        let first = documents_of(&app, "Steadfast Velotech").await;
        assert!(!first.is_empty());

        // A headcount is not searched: the documents stay as they are.
        let v = app
            .data_as(
                Some(&admin),
                update,
                json!({ "i": { "id": o["id"], "version": o["version"], "headcount": 12 } }),
            )
            .await["updateOrganisation"]["version"]
            .clone();
        assert_eq!(documents_of(&app, "Steadfast Velotech").await, first);
        assert_eq!(
            names(&search(&app, "steadfast", json!(null)).await),
            ["Steadfast Velotech"]
        );

        // A city is: rewritten, and found by the new one only.
        app.data_as(
            Some(&admin),
            update,
            json!({ "i": { "id": o["id"], "version": v, "city": "Zwartewaterland" } }),
        )
        .await;
        let second = documents_of(&app, "Steadfast Velotech").await;
        assert!(
            second.iter().all(|id| !first.contains(id)),
            "{first:?} {second:?}"
        );
        assert_eq!(
            names(&search(&app, "zwartewaterland", json!(null)).await),
            ["Steadfast Velotech"]
        );
        assert!(
            !names(&search(&app, "eindhoven", json!(null)).await)
                .contains(&"Steadfast Velotech".to_owned())
        );
    }
);

const TRANSLATE: &str = "mutation($i: TranslateInput!) { translate(input: $i) { id ... on Organisation { version name(lang: FR) } } }";
const TEXTS: &str = "query($id: ID!, $lang: Language) { node(id: $id) { ... on Organisation {
  name(lang: $lang) description(lang: $lang) textLanguage
  localizedName(lang: $lang) { text language fallback }
  localizedDescription(lang: $lang) { text language fallback }
  translations { field language text } } } }";

both!(
    texts_come_in_the_asked_language_with_fallback_to_english_then_the_original,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let o = org(&app, &admin, "cluster-montagne", json!({ "name": "Cordée Savoie", "countryCode": "FR", "textLanguage": "FR", "description": "Cordes d'alpinisme recyclées." })).await;
        let t = app
            .data_as(Some(&admin), TRANSLATE, json!({ "i": { "id": o["id"], "version": o["version"], "language": "EN", "description": "Recycled climbing ropes." } }))
            .await["translate"]
            .clone();
        assert_eq!(t["version"], o["version"].as_i64().unwrap_or(0) + 1);
        app.data_as(Some(&admin), TRANSLATE, json!({ "i": { "id": o["id"], "version": t["version"], "language": "NL", "name": "Touwgroep Savoie", "description": "Gerecyclede klimtouwen." } }))
            .await;

        let texts = |lang: Value| {
            let app = &app;
            let id = o["id"].clone();
            async move { app.data(TEXTS, json!({ "id": id, "lang": lang })).await["node"].clone() }
        };
        let nl = texts(json!("NL")).await;
        assert_eq!(nl["name"], "Touwgroep Savoie");
        assert_eq!(
            nl["localizedName"],
            json!({ "text": "Touwgroep Savoie", "language": "NL", "fallback": false })
        );
        assert_eq!(nl["translations"].as_array().map(Vec::len), Some(3));
        // Hungarian: no translation, so English where there is some, else the French original.
        let hu = texts(json!("HU")).await;
        assert_eq!(hu["description"], "Recycled climbing ropes.");
        assert_eq!(
            hu["localizedDescription"],
            json!({ "text": "Recycled climbing ropes.", "language": "EN", "fallback": true })
        );
        assert_eq!(
            hu["localizedName"],
            json!({ "text": "Cordée Savoie", "language": "FR", "fallback": true })
        );
        // Nothing asked: as written.
        let plain = texts(json!(null)).await;
        assert_eq!(plain["name"], "Cordée Savoie");
        assert_eq!(plain["textLanguage"], "FR");

        // Accept-Language when no `lang` is given, by quality.
        let resp = app
            .client
            .post(app.url("/graphql"))
            .header("accept-language", "pl, nl-BE;q=0.8, fr;q=0.5")
            .json(&json!({ "query": TEXTS, "variables": { "id": o["id"] } }))
            .send()
            .await
            .expect("request");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["data"]["node"]["name"], "Touwgroep Savoie", "{body}");

        // Search finds a text in any of its languages, and says which one matched.
        let found = search(&app, "klimtouwen", json!(null)).await;
        assert_eq!(found["nodes"][0]["language"], "nl", "{found}");
        assert_eq!(found["nodes"][0]["node"]["id"], o["id"]);
        let found = search(&app, "recycled ropes", json!(null)).await;
        assert_eq!(found["nodes"][0]["language"], "en", "{found}");
        // Stemmed or prefixed, the English form of the word is found too.
        assert_eq!(search(&app, "rope", json!(null)).await["totalCount"], 1);
    }
);

both!(
    bad_translations_are_refused_and_change_nothing,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let other_manager = app.key(Role::ClusterManager, None, Some("indescat")).await;
        let o = org(
            &app,
            &admin,
            "sports-and-technology",
            json!({ "name": "Vertaalbaar BV", "countryCode": "NL" }),
        )
        .await;
        let before = app.count("organisation_translation").await;
        let cases = [
            (
                None,
                json!({ "language": "FR", "name": "X" }),
                "UNAUTHENTICATED",
            ),
            (
                Some(&other_manager),
                json!({ "language": "FR", "name": "X" }),
                "FORBIDDEN",
            ),
            (
                Some(&admin),
                json!({ "language": "EN", "name": "Own language" }),
                "BAD_USER_INPUT",
            ),
            (
                Some(&admin),
                json!({ "language": "FR", "title": "Organisations have names" }),
                "BAD_USER_INPUT",
            ),
            (
                Some(&admin),
                json!({ "language": "FR", "name": "" }),
                "BAD_USER_INPUT",
            ),
            (Some(&admin), json!({ "language": "FR" }), "BAD_USER_INPUT"),
        ];
        for (key, mut input, code) in cases {
            input["id"] = o["id"].clone();
            input["version"] = o["version"].clone();
            let resp = app
                .query_as(key.map(String::as_str), TRANSLATE, json!({ "i": input }))
                .await;
            assert_eq!(
                resp["errors"][0]["extensions"]["code"], code,
                "{input}: {resp}"
            );
        }
        let stale = app
            .query_as(Some(&admin), TRANSLATE, json!({ "i": { "id": o["id"], "version": 99, "language": "FR", "name": "Traduisible" } }))
            .await;
        assert_eq!(stale["errors"][0]["extensions"]["code"], "CONFLICT");
        assert_eq!(app.count("organisation_translation").await, before);
        assert_eq!(
            search(&app, "traduisible", json!(null)).await["totalCount"],
            0
        );
    }
);

both!(
    search_statements_do_not_grow_with_hits,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        for i in 0..12 {
            org(
                &app,
                &admin,
                "sports-and-technology",
                json!({ "name": format!("Countable Works {i}"), "countryCode": "NL" }),
            )
            .await;
        }
        let used = |first: i64| {
            let app = &app;
            async move {
                let before = app.db.statements();
                let found = app
                    .data(SEARCH, json!({ "q": "countable", "first": first }))
                    .await;
                assert_eq!(
                    found["search"]["nodes"].as_array().map(Vec::len),
                    Some(first as usize)
                );
                app.db.statements() - before
            }
        };
        let (two, ten) = (used(2).await, used(10).await);
        assert_eq!(two, ten, "statements for 2 hits and for 10");
    }
);

both!(
    a_search_matching_more_than_it_ranks_says_so_and_pages_end_there,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let c = "sports-and-technology";
        // More names holding the word than a tier ranks (250), and a description holding it.
        for i in 0..255 {
            org(
                &app,
                &admin,
                c,
                json!({ "name": format!("Plentiful Works {i}"), "countryCode": "NL" }),
            )
            .await;
        }
        org(
            &app,
            &admin,
            c,
            json!({ "name": "Quiet Maker", "description": "Plentiful supplies", "countryCode": "NL" }),
        )
        .await;
        let found = app
            .data(SEARCH, json!({ "q": "plentiful", "first": 50 }))
            .await;
        let s = &found["search"];
        assert_eq!(s["totalCount"], 250, "{s}");
        assert_eq!(s["truncated"], true);
        let names: Vec<&str> = s["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .filter_map(|n| n["node"]["name"].as_str())
            .collect();
        assert_eq!(names.len(), 50);
        assert!(
            names.iter().all(|n| n.starts_with("Plentiful Works")),
            "{names:?}"
        );
        // Pages go on to the 250th hit and end there.
        let mut after = s["pageInfo"]["endCursor"].clone();
        let mut seen = 50;
        loop {
            let page = app
                .data(
                    SEARCH,
                    json!({ "q": "plentiful", "first": 50, "after": after }),
                )
                .await;
            let p = &page["search"];
            seen += p["nodes"].as_array().map_or(0, Vec::len);
            if p["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = p["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, 250);
        // More words narrow it: the exact name first, and the count is whole again.
        let found = app
            .data(SEARCH, json!({ "q": "plentiful works 17", "first": 50 }))
            .await;
        let s = &found["search"];
        assert_eq!(s["truncated"], false);
        assert_eq!(s["totalCount"], 11, "17 and 170 to 179: {s}");
        assert_eq!(s["nodes"][0]["exactName"], true);
        assert_eq!(s["nodes"][0]["node"]["name"], "Plentiful Works 17");
        // Without the names filling their window, descriptions are found too.
        let found = app.data(SEARCH, json!({ "q": "plentiful supplies" })).await;
        assert_eq!(found["search"]["nodes"][0]["node"]["name"], "Quiet Maker");
    }
);

const CREATE_OFFER: &str =
    "mutation($i: CreateOfferNeedInput!) { createOfferNeed(input: $i) { id } }";
const MATCHES: &str = "query($id: ID!) { node(id: $id) { ... on OfferNeed { matches(first: 50) {
  score parts { factor value weight contribution explanation }
  offerNeed { id title isOffer } organisation { name } } } } }";

/// An offer or need of `org`, made by an admin.
async fn offer(app: &TestApp, admin: &str, org: &Value, input: Value) -> Value {
    let mut input = input;
    input["organisation"] = org["id"].clone();
    app.data_as(Some(admin), CREATE_OFFER, json!({ "i": input }))
        .await["createOfferNeed"]["id"]
        .clone()
}

/// The ids of the offers and needs that match `id`, best first.
async fn matched(app: &TestApp, id: &Value) -> Vec<Value> {
    app.data(MATCHES, json!({ "id": id })).await["node"]["matches"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["offerNeed"]["id"].clone())
        .collect()
}

both!(
    offers_meet_the_needs_of_other_clusters_with_every_score_explained,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let a = org(
            &app,
            &admin,
            "cluster-montagne",
            json!({ "name": "Cordes Alpines", "countryCode": "FR", "naceCodes": ["C13.94"] }),
        )
        .await;
        let b = org(
            &app,
            &admin,
            "indescat",
            json!({ "name": "Rocòdrom Barcelona", "countryCode": "ES", "naceCodes": ["C13.96"] }),
        )
        .await;
        let c = org(
            &app,
            &admin,
            "indescat",
            json!({ "name": "Hotel Pirineu", "countryCode": "ES" }),
        )
        .await;
        let d = org(
            &app,
            &admin,
            "cluster-montagne",
            json!({ "name": "Voisin Savoyard", "countryCode": "FR", "naceCodes": ["C13.94"] }),
        )
        .await;

        let ropes = offer(&app, &admin, &a, json!({ "kind": "TECHNOLOGY_OFFER", "title": "Recycled climbing ropes", "description": "Dynamic ropes woven from recycled polyamide.", "themes": ["textile", "sustainability"], "targetCountries": ["es"] })).await;
        let wanted = offer(&app, &admin, &b, json!({ "kind": "BUSINESS_REQUEST", "title": "Recycled ropes for our climbing walls", "themes": ["textile", "sustainability"] })).await;
        let weak = offer(&app, &admin, &c, json!({ "kind": "BUSINESS_REQUEST", "title": "Booking software for mountain huts", "themes": ["tourism"] })).await;
        let same_cluster = offer(&app, &admin, &d, json!({ "kind": "BUSINESS_REQUEST", "title": "Recycled climbing ropes wanted", "themes": ["textile", "sustainability"] })).await;
        let other_offer = offer(&app, &admin, &b, json!({ "kind": "BUSINESS_OFFER", "title": "Recycled climbing ropes for sale", "themes": ["textile"] })).await;

        let found = app.data(MATCHES, json!({ "id": ropes })).await["node"]["matches"].clone();
        let matches = found.as_array().cloned().unwrap_or_default();
        let ids: Vec<&Value> = matches.iter().map(|m| &m["offerNeed"]["id"]).collect();
        assert_eq!(ids[0], &wanted, "{found}");
        let at = |id: &Value| ids.iter().position(|i| *i == id);
        assert!(at(&weak).is_some_and(|p| p > 0), "{found}");
        assert_eq!(
            at(&same_cluster),
            None,
            "members of the offer's own cluster are left out"
        );
        assert_eq!(at(&other_offer), None, "an offer does not answer an offer");
        assert!(matches.iter().all(|m| m["offerNeed"]["isOffer"] == false));

        // Candidates follow every change: a need no longer valid drops out, and comes back when
        // it is valid again; an offer made a need answers the offer.
        let update =
            "mutation($i: UpdateOfferNeedInput!) { updateOfferNeed(input: $i) { version } }";
        // Its last day passes (a write cannot set a day in the past).
        {
            use sea_orm::ConnectionTrait;
            app.db
                .conn
                .execute_unprepared(
                    "UPDATE offer_need SET valid_until = '2020-01-01' \
                     WHERE title = 'Recycled ropes for our climbing walls'",
                )
                .await
                .expect("expire");
        }
        assert!(
            !matched(&app, &ropes).await.contains(&wanted),
            "an expired need is no match"
        );
        app.data_as(
            Some(&admin),
            update,
            json!({ "i": { "id": wanted, "version": 1, "validUntil": "2099-12-31" } }),
        )
        .await;
        assert_eq!(matched(&app, &ropes).await.first(), Some(&wanted));
        app.data_as(
            Some(&admin),
            update,
            json!({ "i": { "id": other_offer, "version": 1, "kind": "BUSINESS_REQUEST" } }),
        )
        .await;
        assert!(
            matched(&app, &ropes).await.contains(&other_offer),
            "made a need, it answers the offer"
        );

        // The best match, explained part by part.
        let best = &matches[0];
        let parts = best["parts"].as_array().cloned().unwrap_or_default();
        let factors: Vec<&str> = parts.iter().filter_map(|p| p["factor"].as_str()).collect();
        assert_eq!(
            factors,
            [
                "THEMES",
                "NACE_CODES",
                "TARGET_COUNTRIES",
                "TEXT",
                "FRESHNESS"
            ]
        );
        let part = |f: &str| {
            parts
                .iter()
                .find(|p| p["factor"] == f)
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(part("THEMES")["value"], 1.0);
        assert!(
            part("THEMES")["explanation"]
                .as_str()
                .unwrap_or("")
                .contains("textile")
        );
        assert_eq!(part("NACE_CODES")["value"], 0.5);
        assert!(
            part("NACE_CODES")["explanation"]
                .as_str()
                .unwrap_or("")
                .contains("C13")
        );
        assert_eq!(part("TARGET_COUNTRIES")["value"], 0.75);
        assert!(
            part("TEXT")["explanation"]
                .as_str()
                .unwrap_or("")
                .contains("recycled")
        );
        let sum: f64 = parts
            .iter()
            .filter_map(|p| p["contribution"].as_f64())
            .sum();
        assert!((best["score"].as_f64().unwrap_or(0.0) - sum).abs() < 1e-9);
        assert!(best["score"].as_f64() > matches[1]["score"].as_f64());

        // And the other way round: the need finds the offer.
        let back = app.data(MATCHES, json!({ "id": wanted })).await["node"]["matches"].clone();
        assert_eq!(back[0]["offerNeed"]["id"], ropes, "{back}");

        // The organisation's best counterpart, with the pair that makes it.
        let cp = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on Organisation { counterparts(first: 3) { score organisation { name } own { id } answer { id } parts { factor } } } } }",
                json!({ "id": a["id"] }),
            )
            .await["node"]["counterparts"]
            .clone();
        assert_eq!(cp[0]["organisation"]["name"], "Rocòdrom Barcelona", "{cp}");
        assert_eq!(cp[0]["own"]["id"], ropes);
        assert_eq!(cp[0]["answer"]["id"], wanted);
        assert_eq!(
            app.error_code(
                "query($id: ID!) { node(id: $id) { ... on OfferNeed { matches(first: 0) { score } } } }",
                json!({ "id": ropes })
            )
            .await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(
                "{ offersAndNeeds(first: 5) { nodes { matches(first: 3) { score } } } }",
                json!({})
            )
            .await,
            "QUERY_TOO_COSTLY",
            "matches across a list"
        );
        assert_eq!(
            app.error_code(CREATE_OFFER, json!({ "i": { "organisation": a["id"], "kind": "BUSINESS_OFFER", "title": "X", "targetCountries": ["Spain"] } })).await,
            "UNAUTHENTICATED"
        );
        let bad = app
            .query_as(Some(&admin), CREATE_OFFER, json!({ "i": { "organisation": a["id"], "kind": "BUSINESS_OFFER", "title": "X", "targetCountries": ["Spain"] } }))
            .await;
        assert_eq!(
            bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{bad}"
        );
    }
);

both!(
    owners_hear_when_somebody_expresses_interest,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let owner_key = app
            .key(Role::ClusterManager, None, Some("cluster-montagne"))
            .await;
        let stranger_key = app
            .key(Role::ClusterManager, None, Some("sports-and-technology"))
            .await;
        let a = org(
            &app,
            &admin,
            "cluster-montagne",
            json!({ "name": "Gants de Savoie", "countryCode": "FR" }),
        )
        .await;
        let ws = format!("ws://{}/graphql/ws", app.addr);
        const LISTEN: &str = "subscription($o: ID!) { interestExpressed(organisation: $o) { message organisation { name } offerNeed { title } } }";

        let mut anonymous = Subscriber::start(
            ws.clone(),
            LISTEN,
            json!({ "o": a["id"] }),
            None,
            "interestExpressed",
        );
        assert_eq!(anonymous.error().await, "UNAUTHENTICATED");
        let mut stranger = Subscriber::start(
            ws.clone(),
            LISTEN,
            json!({ "o": a["id"] }),
            Some(&stranger_key),
            "interestExpressed",
        );
        assert_eq!(stranger.error().await, "FORBIDDEN");

        let mut owner = Subscriber::start(
            ws,
            LISTEN,
            json!({ "o": a["id"] }),
            Some(&owner_key),
            "interestExpressed",
        );
        let mut n = 0;
        let heard = owner
            .warm_up(|| {
                n += 1;
                let (app, admin, a) = (&app, &admin, &a);
                async move {
                    let gloves = offer(app, admin, a, json!({ "kind": "BUSINESS_OFFER", "title": format!("Gloves {n}") })).await;
                    let other = org(app, admin, "indescat", json!({ "name": format!("Interested {n}"), "countryCode": "ES" })).await;
                    app.data_as(
                        Some(admin),
                        "mutation($i: ExpressInterestInput!) { expressInterest(input: $i) { id } }",
                        json!({ "i": { "offerNeed": gloves, "organisation": other["id"], "message": "We would like samples." } }),
                    )
                    .await;
                }
            })
            .await;
        assert_eq!(heard["message"], "We would like samples.");
        assert!(
            heard["organisation"]["name"]
                .as_str()
                .unwrap_or("")
                .starts_with("Interested")
        );
        assert!(
            heard["offerNeed"]["title"]
                .as_str()
                .unwrap_or("")
                .starts_with("Gloves")
        );
    }
);

both!(
    matchmaking_statements_do_not_grow_with_candidates_or_matches,
    |app: TestApp| async move {
        app.generate(cluster_directory::config::GenerateArgs {
            clusters: 12,
            organisations: 400,
            memberships: 800,
            events: 0,
            seed: 5,
        })
        .await;
        let subject = app
            .data("{ offersAndNeeds(first: 1) { nodes { id } } }", json!({}))
            .await["offersAndNeeds"]["nodes"][0]["id"]
            .clone();
        let used = |first: usize| {
            let app = &app;
            let subject = subject.clone();
            async move {
                let before = app.db.statements();
                let found = app
                    .data(
                        "query($id: ID!, $first: Int!) { node(id: $id) { ... on OfferNeed { matches(first: $first) { score parts { factor } offerNeed { title } organisation { name } } } } }",
                        json!({ "id": subject, "first": first }),
                    )
                    .await;
                assert_eq!(
                    found["node"]["matches"].as_array().map(Vec::len),
                    Some(first),
                    "{found}"
                );
                app.db.statements() - before
            }
        };
        let (two, twenty) = (used(2).await, used(20).await);
        assert_eq!(two, twenty, "statements for 2 matches and for 20");
        // The lookup, the subject, the candidates on its themes, the newest others (this
        // subject's themes have fewer than the 300 it scores) and their rows, and the matches'
        // offers and organisations.
        assert_eq!(twenty, 7, "statements for one offer's matches");
    }
);

/// PostgreSQL's planner knows how many themes and regions there are once the demo data is in:
/// autovacuum never analyzes tables this small, and without statistics matchmaking's reads of
/// each candidate's themes hashed the whole theme table, candidate after candidate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_plans_with_the_sizes_of_the_reference_tables() {
    let app = support::spawn(support::Backend::Postgres, true).await;
    for table in ["theme", "region"] {
        let row = app
            .sql_row(format!(
                "SELECT reltuples::float8 AS n FROM pg_class WHERE relname = '{table}'"
            ))
            .await;
        let estimated: f64 = row.try_get("", "n").expect("n");
        assert_eq!(estimated, app.count(table).await as f64, "{table}");
    }
}
