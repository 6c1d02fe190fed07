//! Black-box tests of the directory's read API over real HTTP, on SQLite and PostgreSQL.

mod support;

use serde_json::{Value, json};

fn names(conn: &Value) -> Vec<String> {
    conn["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| n["name"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

const CLUSTERS: &str =
    "query($filter: ClusterFilterInput, $first: Int, $after: String, $last: Int, $before: String) {
  clusters(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

both!(
    clusters_page_forward_and_back_with_cursors,
    |app: support::TestApp| async move {
        let all = app.data(CLUSTERS, json!({})).await;
        assert_eq!(all["clusters"]["totalCount"], 4);
        let first = app.data(CLUSTERS, json!({ "first": 2 })).await;
        assert_eq!(
            names(&first["clusters"]),
            vec!["Cluster Montagne", "Cluster Sports & Technology"]
        );
        assert_eq!(first["clusters"]["pageInfo"]["hasNextPage"], true);
        assert_eq!(first["clusters"]["pageInfo"]["hasPreviousPage"], false);
        let after = first["clusters"]["pageInfo"]["endCursor"].clone();
        let second = app
            .data(CLUSTERS, json!({ "first": 2, "after": after }))
            .await;
        assert_eq!(
            second["clusters"]["nodes"][0]["name"],
            "INDESCAT — Catalan Sports Industry Cluster"
        );
        assert_eq!(second["clusters"]["pageInfo"]["hasNextPage"], false);
        assert_eq!(second["clusters"]["pageInfo"]["hasPreviousPage"], true);
        let last = app.data(CLUSTERS, json!({ "last": 1 })).await;
        assert_eq!(
            names(&last["clusters"]),
            vec!["MSE Cluster — Hungarian Sport and Lifestyle Development Cluster"]
        );
        assert_eq!(last["clusters"]["pageInfo"]["hasPreviousPage"], true);
        let before = app
            .data(
                CLUSTERS,
                json!({ "last": 1, "before": last["clusters"]["pageInfo"]["startCursor"] }),
            )
            .await;
        assert_eq!(
            names(&before["clusters"]),
            vec!["INDESCAT — Catalan Sports Industry Cluster"]
        );
        let none = app.data(CLUSTERS, json!({ "first": 0 })).await;
        assert_eq!(none["clusters"]["nodes"], json!([]));
        assert_eq!(none["clusters"]["pageInfo"]["hasNextPage"], true);
    }
);

both!(
    page_sizes_and_cursors_are_checked,
    |app: support::TestApp| async move {
        assert_eq!(
            app.error_code(CLUSTERS, json!({ "first": 101 })).await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(CLUSTERS, json!({ "first": -1 })).await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(CLUSTERS, json!({ "after": "bm90LWEtY3Vyc29y" }))
                .await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(CLUSTERS, json!({ "after": "%%%" })).await,
            "BAD_USER_INPUT"
        );
        let resp = app.query(CLUSTERS, json!({ "first": 101 })).await;
        assert!(
            resp["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("100")
        );
        let by_date =
            "{ clusters(orderBy: {field: CREATED_AT}, first: 1) { pageInfo { endCursor } } }";
        let cursor =
            app.data(by_date, json!({})).await["clusters"]["pageInfo"]["endCursor"].clone();
        assert_eq!(
            app.error_code(CLUSTERS, json!({ "after": cursor })).await,
            "BAD_USER_INPUT",
            "a cursor of another ordering"
        );
        assert_eq!(
            app.error_code(
                "{ events(orderBy: {field: CODE}) { totalCount } }",
                json!({})
            )
            .await,
            "BAD_USER_INPUT"
        );
    }
);

both!(
    clusters_are_filtered_by_theme_region_country_kind_and_text,
    |app: support::TestApp| async move {
        let q = |filter: Value| {
            let app = &app;
            async move { names(&app.data(CLUSTERS, json!({ "filter": filter })).await["clusters"]) }
        };
        assert_eq!(
            q(json!({ "themes": ["tourism"] })).await,
            vec!["Cluster Montagne", "Cluster Sports & Technology"]
        );
        assert_eq!(
            q(json!({ "region": "NL" })).await,
            vec!["Cluster Sports & Technology"]
        );
        assert_eq!(
            q(json!({ "region": "es51" })).await,
            vec!["INDESCAT — Catalan Sports Industry Cluster"]
        );
        assert_eq!(
            q(json!({ "country": "HU" })).await,
            vec!["MSE Cluster — Hungarian Sport and Lifestyle Development Cluster"]
        );
        assert_eq!(
            q(json!({ "kinds": ["SPEARHEAD_CLUSTER"] })).await,
            Vec::<String>::new()
        );
        assert_eq!(
            q(json!({ "kinds": ["OPEN_INNOVATION_CLUSTER"] }))
                .await
                .len(),
            4
        );
        assert_eq!(q(json!({ "label": "GOLD" })).await, Vec::<String>::new());
        assert_eq!(
            q(json!({ "text": "brainport" })).await,
            vec!["Cluster Sports & Technology"]
        );
        assert_eq!(
            q(json!({ "themes": ["health"], "country": "NL" })).await,
            vec!["Cluster Sports & Technology"]
        );
        assert_eq!(
            app.error_code(CLUSTERS, json!({ "filter": { "country": "Netherlands" } }))
                .await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(CLUSTERS, json!({ "filter": { "region": "1" } }))
                .await,
            "BAD_USER_INPUT"
        );
    }
);

both!(
    organisations_are_filtered_by_type_size_cluster_theme_place_nace_and_text,
    |app: support::TestApp| async move {
        let q = |filter: Value| {
            let app = &app;
            async move {
                let d = app.data("query($f: OrganisationFilterInput) { organisations(filter: $f, first: 100) { totalCount nodes { name } } }", json!({ "f": filter })).await;
                names(&d["organisations"])
            }
        };
        assert_eq!(q(json!({})).await.len(), 16);
        assert_eq!(
            q(json!({ "types": ["UNIVERSITY"] })).await,
            vec![
                "Eindhoven University of Technology",
                "Fontys Sporthogeschool"
            ]
        );
        assert_eq!(
            q(json!({ "sizeClasses": ["MEDIUM"] })).await,
            vec!["Tèxtil Esport S.L."]
        );
        assert_eq!(
            q(json!({ "clusters": ["cluster-montagne"] })).await,
            vec!["Alpes Outdoor SAS", "Cluster Montagne"]
        );
        assert_eq!(
            q(json!({ "themes": ["textile"] })).await,
            vec!["Tèxtil Esport S.L."]
        );
        assert_eq!(
            q(json!({ "country": "FR" })).await,
            vec!["Alpes Outdoor SAS", "Cluster Montagne"]
        );
        assert_eq!(
            q(json!({ "region": "HU32" })).await,
            vec![
                "Debrecen Vitality Kft.",
                "MSE — Hungarian Sport and Lifestyle Development Cluster"
            ]
        );
        assert_eq!(
            q(json!({ "nace": "C32" })).await,
            vec!["Tèxtil Esport S.L."]
        );
        assert_eq!(
            q(json!({ "nace": "R93.1" })).await,
            vec!["Alpes Outdoor SAS", "Debrecen Vitality Kft."]
        );
        assert_eq!(
            q(json!({ "text": "VITALITY", "country": "HU" })).await,
            vec![
                "Debrecen Vitality Kft.",
                "MSE — Hungarian Sport and Lifestyle Development Cluster"
            ]
        );
    }
);

both!(
    collaborations_are_filtered_by_programme_status_participant_and_dates,
    |app: support::TestApp| async move {
        let q = |filter: Value| {
            let app = &app;
            async move {
                let d = app.data("query($f: CollaborationFilterInput) { collaborations(filter: $f) { nodes { name } } }", json!({ "f": filter })).await;
                names(&d["collaborations"])
            }
        };
        assert_eq!(
            q(json!({ "programme": "cosme" })).await,
            vec!["SmartSports4GoodLife"]
        );
        assert_eq!(
            q(json!({ "statuses": ["ACTIVE"] })).await,
            vec!["Inno4Sports"]
        );
        assert_eq!(
            q(json!({ "participants": ["cluster-montagne"] })).await,
            vec!["SmartSports4GoodLife"]
        );
        assert_eq!(
            q(json!({ "participants": ["epsi"] })).await,
            vec!["Inno4Sports", "SmartSports4GoodLife"]
        );
        assert_eq!(
            q(json!({ "themes": ["tourism"] })).await,
            vec!["SmartSports4GoodLife"]
        );
        assert_eq!(
            q(json!({ "activeFrom": "2023-01-01" })).await,
            vec!["Inno4Sports"]
        );
        assert_eq!(
            q(json!({ "activeUntil": "2019-01-01" })).await,
            vec!["Inno4Sports"]
        );
        let bad = app.error_code("{ collaborations(filter: {activeFrom: \"2022-01-01\", activeUntil: \"2021-01-01\"}) { totalCount } }", json!({})).await;
        assert_eq!(bad, "BAD_USER_INPUT");
        let inno = app.data("{ collaboration(slug: \"inno4sports\") { budgetEur participants { totalCount nodes { role organisation { slug } } } } }", json!({})).await;
        assert_eq!(inno["collaboration"]["budgetEur"], 1525274);
        assert_eq!(inno["collaboration"]["participants"]["totalCount"], 4);
        assert_eq!(
            inno["collaboration"]["participants"]["nodes"][0]["role"],
            "LEAD"
        );
    }
);

both!(
    events_are_upcoming_by_default_and_filtered,
    |app: support::TestApp| async move {
        let q = |filter: Value| {
            let app = &app;
            async move {
                let d = app.data("query($f: EventFilterInput) { events(filter: $f, first: 50) { nodes { title: slug } } }", json!({ "f": filter })).await;
                d["events"]["nodes"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|n| n["title"].as_str().unwrap_or_default().to_owned())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            }
        };
        assert_eq!(
            q(json!({})).await,
            vec![
                "b2b-matchmaking-sport-textiles-2027",
                "webinar-vitality-at-work-2027",
                "company-visit-sportfieldlab-2027"
            ]
        );
        assert_eq!(q(json!({ "includePast": true })).await.len(), 7);
        assert_eq!(
            q(json!({ "includePast": true })).await[0],
            "lerend-netwerk-clusterorganisaties-1"
        );
        assert_eq!(
            q(json!({ "from": "2019-01-01T00:00:00Z", "to": "2020-12-31T00:00:00Z" })).await,
            vec!["tci-2019", "smartsports4goodlife-kick-off"]
        );
        assert_eq!(
            q(json!({ "themes": ["health"] })).await,
            vec![
                "webinar-vitality-at-work-2027",
                "company-visit-sportfieldlab-2027"
            ]
        );
        assert_eq!(
            q(json!({ "clusters": ["indescat"], "includePast": true })).await,
            vec![
                "smartsports4goodlife-kick-off",
                "b2b-matchmaking-sport-textiles-2027"
            ]
        );
        assert_eq!(
            q(json!({ "collaborations": ["smartsports4goodlife"], "includePast": true })).await,
            vec!["smartsports4goodlife-kick-off"]
        );
        assert_eq!(
            q(json!({ "formats": ["LEARNING_NETWORK"], "includePast": true }))
                .await
                .len(),
            2
        );
        assert_eq!(
            q(json!({ "country": "NL" })).await,
            vec!["company-visit-sportfieldlab-2027"]
        );
        assert_eq!(
            q(json!({ "online": true })).await,
            vec!["webinar-vitality-at-work-2027"]
        );
        assert_eq!(q(json!({ "online": false })).await.len(), 2);
        assert_eq!(
            q(json!({ "language": "nl", "includePast": true }))
                .await
                .len(),
            2
        );
        let e = app.data("{ event(slug: \"tci-2019\") { startsAt endsAt timeZone organisers { nodes { organisation { slug } } } } }", json!({})).await;
        assert_eq!(e["event"]["startsAt"], "2019-10-08T07:00:00+00:00");
        assert_eq!(e["event"]["timeZone"], "Europe/Brussels");
        assert_eq!(
            e["event"]["organisers"]["nodes"][0]["organisation"]["slug"],
            "tci-network"
        );
    }
);

both!(
    offers_and_needs_are_filtered_by_kind_theme_and_cluster,
    |app: support::TestApp| async move {
        let q = |filter: Value| {
            let app = &app;
            async move {
                let d = app.data("query($f: OfferNeedFilterInput) { offersAndNeeds(filter: $f) { nodes { name: title } } }", json!({ "f": filter })).await;
                names(&d["offersAndNeeds"])
            }
        };
        assert_eq!(q(json!({})).await.len(), 3);
        assert_eq!(
            q(json!({ "kinds": ["TECHNOLOGY_OFFER"] })).await,
            vec!["Recycled polyester for technical sportswear"]
        );
        assert_eq!(
            q(json!({ "themes": ["tourism"] })).await,
            vec!["Low-carbon outdoor clothing supplier"]
        );
        assert_eq!(
            q(json!({ "clusters": ["sports-and-technology"] })).await,
            vec!["Partners for validating a running sensor"]
        );
    }
);

both!(
    lookups_by_slug_id_and_node,
    |app: support::TestApp| async move {
        let c = app.data("{ cluster(slug: \"sports-and-technology\") { id name innovationTurnoverEur region { code parent { code } } managingOrganisation { name } } }", json!({})).await;
        assert_eq!(c["cluster"]["region"]["code"], "NL414");
        assert_eq!(c["cluster"]["region"]["parent"]["code"], "NL41");
        assert_eq!(c["cluster"]["innovationTurnoverEur"], 5000000);
        let id = c["cluster"]["id"].clone();
        let by_id = app.data("query($id: ID!) { cluster(id: $id) { name } node(id: $id) { id ... on Cluster { slug } } }", json!({ "id": id })).await;
        assert_eq!(by_id["cluster"]["name"], "Cluster Sports & Technology");
        assert_eq!(by_id["node"]["slug"], "sports-and-technology");
        assert_eq!(
            app.error_code("{ cluster(slug: \"nope\") { name } }", json!({}))
                .await,
            "NOT_FOUND"
        );
        assert_eq!(
            app.error_code("{ cluster { name } }", json!({})).await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code("{ node(id: \"garbage\") { id } }", json!({}))
                .await,
            "BAD_USER_INPUT"
        );
        let org_id = app
            .data("{ organisation(slug: \"epsi\") { id } }", json!({}))
            .await["organisation"]["id"]
            .clone();
        assert_eq!(
            app.error_code(
                "query($id: ID!) { cluster(id: $id) { name } }",
                json!({ "id": org_id })
            )
            .await,
            "BAD_USER_INPUT"
        );
        let region = app.data("{ region(code: \"nl41\") { name subRegions { nodes { code } } } regions(level: 0, first: 100) { totalCount } theme(slug: \"health\") { clusters { totalCount } } }", json!({})).await;
        assert_eq!(region["region"]["subRegions"]["nodes"][0]["code"], "NL414");
        assert_eq!(region["regions"]["totalCount"], 7);
        assert_eq!(region["theme"]["clusters"]["totalCount"], 2);
    }
);

both!(
    only_public_contacts_are_visible,
    |app: support::TestApp| async move {
        let d = app.data("{ organisation(slug: \"sports-and-technology-foundation\") { contacts { totalCount nodes { id name visibility } } } }", json!({})).await;
        let contacts = &d["organisation"]["contacts"];
        assert_eq!(contacts["totalCount"], 1);
        assert_eq!(contacts["nodes"][0]["name"], "René Wijlens");
        let body = d.to_string();
        assert!(!body.contains("van der Zande"));
        // The members-only contact cannot be reached by its global id either.
        let hidden = cluster_directory::graphql::node::global_id(
            "Contact",
            cluster_directory::services::demo::public_id(
                "contact",
                "sports-and-technology-foundation/Marc van der Zande",
            ),
        );
        let node = app
            .data(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": hidden.0 }),
            )
            .await;
        assert_eq!(node["node"], Value::Null);
    }
);

both!(
    nested_lists_page_in_the_database,
    |app: support::TestApp| async move {
        let q = "query($after: String) { cluster(slug: \"sports-and-technology\") { memberships(first: 4, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { role organisation { slug } } } } }";
        let p1 = app.data(q, json!({})).await;
        let m = &p1["cluster"]["memberships"];
        assert_eq!(m["totalCount"], 6);
        assert_eq!(m["nodes"].as_array().map(Vec::len), Some(4));
        assert_eq!(m["pageInfo"]["hasNextPage"], true);
        let p2 = app
            .data(q, json!({ "after": m["pageInfo"]["endCursor"] }))
            .await;
        let m2 = &p2["cluster"]["memberships"];
        assert_eq!(m2["nodes"].as_array().map(Vec::len), Some(2));
        assert_eq!(m2["pageInfo"]["hasNextPage"], false);
        assert_eq!(
            m2["nodes"][1]["organisation"]["slug"],
            "brainport-sensing-bv"
        );
        assert_eq!(
            app.error_code(
                "{ clusters { nodes { memberships(first: 500) { totalCount } } } }",
                json!({})
            )
            .await,
            "BAD_USER_INPUT"
        );
    }
);

both!(
    statements_grow_with_depth_not_rows,
    |app: support::TestApp| async move {
        use cluster_directory::config::GenerateArgs;
        app.generate(GenerateArgs {
            clusters: 120,
            organisations: 400,
            memberships: 2400,
            events: 50,
            seed: 7,
        })
        .await;
        let q = "{ clusters(first: 100) { totalCount nodes { name region { code } themes { nodes { slug } } memberships(first: 10) { totalCount nodes { role organisation { name type countryCode } } } } } }";
        let before = app.db.statements();
        let d = app.data(q, json!({})).await;
        let used = app.db.statements() - before;
        let clusters = d["clusters"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(clusters.len(), 100);
        let members: usize = clusters
            .iter()
            .map(|c| {
                c["memberships"]["nodes"]
                    .as_array()
                    .map(Vec::len)
                    .unwrap_or(0)
            })
            .sum();
        assert!(members >= 900, "memberships loaded: {members}");
        // clusters with their regions + their count, themes, memberships with their
        // organisations + their count: the same five statements whatever the number of rows.
        assert_eq!(
            used, 5,
            "{used} statements for 100 clusters with members, themes and region"
        );
        // And the same five for a page of 5 with 2 members each.
        let small = q
            .replace("clusters(first: 100)", "clusters(first: 5)")
            .replace("memberships(first: 10)", "memberships(first: 2)");
        let before = app.db.statements();
        let d = app.data(&small, json!({})).await;
        assert_eq!(d["clusters"]["nodes"].as_array().map(Vec::len), Some(5));
        assert_eq!(
            app.db.statements() - before,
            5,
            "statements for a page of 5"
        );
    }
);

both!(
    one_list_asked_for_in_several_ways_answers_each_way,
    |app: support::TestApp| async move {
        use cluster_directory::config::GenerateArgs;
        app.generate(GenerateArgs {
            clusters: 25,
            organisations: 150,
            memberships: 600,
            events: 5,
            seed: 5,
        })
        .await;
        // A list is described once per field of the query and shared by all its parents; two
        // fields of one list, with their own arguments and selections, stay apart, and a
        // fragment's field serves every parent it stands under.
        let q = "fragment Two on Cluster { slug memberships(first: 2) { nodes { id } } } \
                 { clusters(first: 20) { nodes { ...Two \
                   one: memberships(first: 1) { nodes { id } } \
                   three: memberships(first: 3) { totalCount nodes { id organisation { slug } } } \
                   firstTheme: themes(first: 1) { nodes { slug } } themes { nodes { slug } } } } \
                   cluster: clusters(first: 1) { nodes { ...Two } } }";
        let d = app.data(q, json!({})).await;
        let ids = |list: &Value| -> Vec<Value> {
            list["nodes"]
                .as_array()
                .map(|n| n.iter().map(|m| m["id"].clone()).collect())
                .unwrap_or_default()
        };
        let clusters = d["clusters"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(clusters.len(), 20);
        let mut with_three = 0;
        for c in &clusters {
            let (one, two, three) = (ids(&c["one"]), ids(&c["memberships"]), ids(&c["three"]));
            let total = c["three"]["totalCount"].as_u64().unwrap_or(0) as usize;
            assert_eq!(three.len(), total.min(3), "{c}");
            assert_eq!(two[..], three[..three.len().min(2)], "{c}");
            assert_eq!(one[..], three[..three.len().min(1)], "{c}");
            with_three += usize::from(three.len() == 3);
            assert!(
                c["three"]["nodes"]
                    .as_array()
                    .is_some_and(|n| n.iter().all(|m| m["organisation"]["slug"].is_string()))
            );
            let themes = c["themes"]["nodes"].as_array().cloned().unwrap_or_default();
            assert_eq!(
                c["firstTheme"]["nodes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()[..],
                themes[..themes.len().min(1)]
            );
        }
        assert!(with_three > 10, "{with_three} clusters with three members");
        // The fragment under the other list answers as it does under the first.
        assert_eq!(
            d["cluster"]["nodes"][0],
            json!({
                "slug": clusters[0]["slug"],
                "memberships": clusters[0]["memberships"],
            })
        );
    }
);

/// The objects of `value` holding both `id` and `f`, the field under test, at any depth.
fn items_with_field(value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(o) => {
            if let (Some(Value::String(id)), Some(f)) = (o.get("id"), o.get("f")) {
                out.push((id.clone(), f.clone()));
            }
            o.values().for_each(|v| items_with_field(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| items_with_field(v, out)),
        _ => {}
    }
}

both!(
    every_field_of_a_narrowed_list_item_answers_as_the_whole_row,
    |app: support::TestApp| async move {
        use cluster_directory::config::GenerateArgs;
        app.generate(GenerateArgs {
            clusters: 8,
            organisations: 60,
            memberships: 160,
            events: 30,
            seed: 13,
        })
        .await;
        // Lists read only the columns their items' fields read (`Narrow`); clusters,
        // organisations, events, memberships, themes and regions not even those that cannot be
        // NULL. Every field of those types, selected alone in a list, must answer what
        // `node(id:)`, which reads whole rows, answers. A column left out reads as a
        // placeholder (an enumeration's first value), so the columns the generator fills with
        // one value get others first.
        use sea_orm::ConnectionTrait;
        for diversify in [
            "UPDATE event SET status = 'cancelled' WHERE id % 2 = 0",
            "UPDATE event SET text_language = 'nl' WHERE id % 3 = 0",
            "UPDATE cluster SET text_language = 'fr' WHERE id % 2 = 0",
            "UPDATE organisation SET text_language = 'es' WHERE id % 2 = 0",
            "UPDATE membership SET role = 'knowledge_partner' WHERE id % 2 = 0",
        ] {
            app.db
                .conn
                .execute_unprepared(diversify)
                .await
                .expect(diversify);
        }
        let lists = [
            ("Cluster", "clusters(first: 5) { nodes { id f: FIELD } }"),
            (
                "Cluster",
                "organisations(first: 3) { nodes { memberships(first: 3) { nodes { cluster { id f: FIELD } } } } }",
            ),
            (
                "Cluster",
                "themes { nodes { clusters(first: 3) { nodes { id f: FIELD } } } }",
            ),
            (
                "Organisation",
                "organisations(first: 5) { nodes { id f: FIELD } }",
            ),
            (
                "Region",
                "clusters(first: 5) { nodes { region { id f: FIELD } } }",
            ),
            (
                "Region",
                "organisations(first: 5) { nodes { region { id f: FIELD } } }",
            ),
            (
                "Event",
                "events(first: 5, filter: { from: \"2000-01-01T00:00:00Z\" }) { nodes { id f: FIELD } }",
            ),
            (
                "Event",
                "themes { nodes { events(first: 3) { nodes { id f: FIELD } } } }",
            ),
            (
                "Event",
                "clusters(first: 8) { nodes { events(first: 3, filter: { from: \"2000-01-01T00:00:00Z\" }) { nodes { id f: FIELD } } } }",
            ),
            (
                "Membership",
                "clusters(first: 3) { nodes { memberships(first: 4) { nodes { id f: FIELD } } } }",
            ),
            (
                "Membership",
                "organisations(first: 3) { nodes { memberships(first: 3) { nodes { id f: FIELD } } } }",
            ),
            (
                "Membership",
                "cluster(slug: \"SLUG\") { memberships(first: 4) { nodes { id f: FIELD } } }",
            ),
            (
                "Organisation",
                "clusters(first: 3) { nodes { memberships(first: 3) { nodes { organisation { id f: FIELD } } } } }",
            ),
            (
                "Organisation",
                "themes { nodes { organisations(first: 3) { nodes { id f: FIELD } } } }",
            ),
            (
                "Theme",
                "clusters(first: 3) { nodes { themes { nodes { id f: FIELD } } } }",
            ),
            (
                "Theme",
                "events(first: 3, filter: { from: \"2000-01-01T00:00:00Z\" }) { nodes { themes { nodes { id f: FIELD } } } }",
            ),
        ];
        let slug = app
            .data("{ clusters(first: 1) { nodes { slug } } }", json!({}))
            .await["clusters"]["nodes"][0]["slug"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
        let mut compared = 0;
        for (type_name, list) in lists {
            let fields = app
                .data(
                    "query($t: String!) { __type(name: $t) { fields { name \
                     args { type { kind } defaultValue } \
                     type { kind ofType { kind ofType { kind ofType { kind } } } } } } }",
                    json!({ "t": type_name }),
                )
                .await;
            for field in fields["__type"]["fields"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let name = field["name"].as_str().unwrap_or_default();
                let required_args = field["args"].as_array().is_some_and(|args| {
                    args.iter()
                        .any(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null())
                });
                if required_args || name == "counterparts" {
                    // `counterparts` is refused under a list of more than one (its own test).
                    continue;
                }
                let mut kind = &field["type"];
                while kind["kind"] == "NON_NULL" || kind["kind"] == "LIST" {
                    kind = &kind["ofType"];
                }
                let selection = match kind["kind"].as_str() {
                    Some("OBJECT" | "INTERFACE" | "UNION") => format!("{name} {{ __typename }}"),
                    _ => name.to_owned(),
                };
                let query = format!(
                    "{{ {} }}",
                    list.replace("FIELD", &selection).replace("SLUG", &slug)
                );
                let mut items = Vec::new();
                items_with_field(&app.data(&query, json!({})).await, &mut items);
                assert!(!items.is_empty(), "no items for {query}");
                // The rows' own lookups, a few per request (aliases are limited).
                for chunk in items.chunks(12) {
                    let lookups: Vec<String> = chunk
                        .iter()
                        .enumerate()
                        .map(|(i, (id, _))| {
                            format!(
                                "n{i}: node(id: \"{id}\") {{ ... on {type_name} {{ f: {selection} }} }}"
                            )
                        })
                        .collect();
                    let whole = app
                        .data(&format!("{{ {} }}", lookups.join(" ")), json!({}))
                        .await;
                    for (i, (id, f)) in chunk.iter().enumerate() {
                        assert_eq!(
                            &whole[format!("n{i}")]["f"],
                            f,
                            "{type_name}.{name} of {id}, read by `{query}`"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 300, "{compared} values compared");
    }
);

both!(
    rows_read_with_their_list_equal_rows_read_on_their_own,
    |app: support::TestApp| async move {
        use cluster_directory::config::GenerateArgs;
        app.generate(GenerateArgs {
            clusters: 30,
            organisations: 200,
            memberships: 900,
            events: 10,
            seed: 11,
        })
        .await;
        // A list whose items' region, organisation or cluster is selected reads those rows in
        // its own statement. What it returns must be what the rows' own lookups return.
        let org_fields = "id slug name type countryCode website updatedAt version";
        let joined = app
            .data(
                &format!(
                    "{{ clusters(first: 30) {{ nodes {{ id region {{ id code name }} \
                     memberships(first: 5) {{ nodes {{ id organisation {{ {org_fields} }} }} }} }} }} }}"
                ),
                json!({}),
            )
            .await;
        let clusters = joined["clusters"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(clusters.len(), 30);
        let mut checked = 0;
        for c in &clusters {
            let alone = app
                .data(
                    "query($id: ID!) { node(id: $id) { ... on Cluster { region { id code name } } } }",
                    json!({ "id": c["id"] }),
                )
                .await;
            assert_eq!(
                alone["node"]["region"], c["region"],
                "region of {}",
                c["id"]
            );
            for m in c["memberships"]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let alone = app
                    .data(
                        &format!(
                            "query($id: ID!) {{ node(id: $id) {{ ... on Membership {{ organisation {{ {org_fields} }} }} }} }}"
                        ),
                        json!({ "id": m["id"] }),
                    )
                    .await;
                assert_eq!(alone["node"]["organisation"], m["organisation"]);
                checked += 1;
            }
        }
        assert!(checked >= 50, "memberships compared: {checked}");
        let orgs = app
            .data(
                "{ organisations(first: 30) { nodes { id region { id code name } } } }",
                json!({}),
            )
            .await;
        for o in orgs["organisations"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let alone = app
                .data(
                    "query($id: ID!) { node(id: $id) { ... on Organisation { region { id code name } } } }",
                    json!({ "id": o["id"] }),
                )
                .await;
            assert_eq!(
                alone["node"]["region"], o["region"],
                "region of {}",
                o["id"]
            );
        }

        // The other way: an organisation's memberships with their clusters, in one statement
        // (the organisation's lookup reads its memberships and their clusters with it).
        let org = clusters[0]["memberships"]["nodes"][0]["organisation"]["id"].clone();
        let cluster_fields = "id slug name kind countryCode description yearEstablished createdAt";
        let q = format!(
            "query($id: ID!) {{ organisation(id: $id) {{ memberships {{ edges {{ node {{ id cluster {{ {cluster_fields} }} }} }} }} }} }}"
        );
        let before = app.db.statements();
        let joined = app.data(&q, json!({ "id": org })).await;
        assert_eq!(
            app.db.statements() - before,
            1,
            "statements for one organisation with its clusters"
        );
        let edges = joined["organisation"]["memberships"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!edges.is_empty());
        for e in edges {
            let alone = app
                .data(
                    &format!(
                        "query($id: ID!) {{ node(id: $id) {{ ... on Membership {{ cluster {{ {cluster_fields} }} }} }} }}"
                    ),
                    json!({ "id": e["node"]["id"] }),
                )
                .await;
            assert_eq!(alone["node"]["cluster"], e["node"]["cluster"]);
        }
    }
);

both!(
    a_lookup_reads_its_list_with_it_as_the_list_reads_alone,
    |app: support::TestApp| async move {
        use cluster_directory::config::GenerateArgs;
        app.generate(GenerateArgs {
            clusters: 20,
            organisations: 150,
            memberships: 400,
            events: 10,
            seed: 9,
        })
        .await;
        // `organisation(id:)` and `cluster(slug:)` read the row and its memberships in one
        // statement; `node(id:)` reads the same list through the list's own statement. Both
        // must answer alike, for every way of paging, with and without the rows the
        // memberships point to, for rows with and without memberships.
        let orgs = app
            .data(
                "{ organisations(first: 100) { nodes { id memberships(first: 1) { totalCount } } } }",
                json!({}),
            )
            .await;
        let orgs = orgs["organisations"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let empty = orgs
            .iter()
            .find(|o| o["memberships"]["totalCount"] == 0)
            .expect("an organisation without memberships");
        let busy = orgs
            .iter()
            .max_by_key(|o| o["memberships"]["totalCount"].as_u64())
            .expect("organisations");
        assert!(busy["memberships"]["totalCount"].as_u64() >= Some(3));
        let first = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on Organisation { memberships(first: 1) { pageInfo { endCursor } } } } }",
                json!({ "id": busy["id"] }),
            )
            .await;
        let cursor = first["node"]["memberships"]["pageInfo"]["endCursor"].clone();
        let lists = [
            (
                "memberships { nodes { role cluster { name slug kind } } }",
                1,
            ),
            (
                "memberships(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id since } } }",
                2,
            ),
            (
                "memberships(last: 2) { pageInfo { hasNextPage hasPreviousPage } nodes { cluster { name description } } }",
                1,
            ),
            (
                "memberships(first: 5, after: $cursor) { pageInfo { hasPreviousPage } nodes { id cluster { id } } }",
                1,
            ),
            (
                "memberships(last: 5, before: $cursor) { pageInfo { hasNextPage } nodes { id } }",
                1,
            ),
        ];
        for org in [empty, busy] {
            for (list, statements) in lists {
                let fields = format!("name description {list}");
                let vars = if list.contains("$cursor") {
                    "$id: ID!, $cursor: String"
                } else {
                    "$id: ID!"
                };
                let before = app.db.statements();
                let looked_up = app
                    .data(
                        &format!("query({vars}) {{ organisation(id: $id) {{ {fields} }} }}"),
                        json!({ "id": org["id"], "cursor": cursor }),
                    )
                    .await;
                assert_eq!(
                    app.db.statements() - before,
                    statements,
                    "statements for {list}"
                );
                let alone = app
                    .data(
                        &format!("query({vars}) {{ node(id: $id) {{ ... on Organisation {{ {fields} }} }} }}"),
                        json!({ "id": org["id"], "cursor": cursor }),
                    )
                    .await;
                assert_eq!(
                    looked_up["organisation"], alone["node"],
                    "{list} of {}",
                    org["id"]
                );
            }
        }
        // A cluster's members, by slug.
        let clusters = app
            .data("{ clusters(first: 20) { nodes { id slug } } }", json!({}))
            .await;
        for c in clusters["clusters"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let fields = "name memberships(first: 3) { totalCount nodes { role organisation { name type countryCode } } }";
            let looked_up = app
                .data(
                    &format!("query($s: String!) {{ cluster(slug: $s) {{ {fields} }} }}"),
                    json!({ "s": c["slug"] }),
                )
                .await;
            let alone = app
                .data(
                    &format!(
                        "query($id: ID!) {{ node(id: $id) {{ ... on Cluster {{ {fields} }} }} }}"
                    ),
                    json!({ "id": c["id"] }),
                )
                .await;
            assert_eq!(
                looked_up["cluster"], alone["node"],
                "members of {}",
                c["slug"]
            );
        }
        // What the list's field refuses, it still refuses; a row that does not exist is still
        // not found.
        assert_eq!(
            app.error_code(
                "query($id: ID!) { organisation(id: $id) { memberships(first: 500) { nodes { id } } } }",
                json!({ "id": busy["id"] })
            )
            .await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(
                "{ cluster(slug: \"no-such-cluster\") { memberships { nodes { id } } } }",
                json!({})
            )
            .await,
            "NOT_FOUND"
        );
    }
);

both!(
    nested_pages_of_many_parents_equal_each_parents_own,
    |app: support::TestApp| async move {
        use cluster_directory::config::GenerateArgs;
        app.generate(GenerateArgs {
            clusters: 60,
            organisations: 300,
            memberships: 1800,
            events: 10,
            seed: 5,
        })
        .await;
        // One statement serves a list under many parents; each parent's page must be the page
        // that parent alone gets, forwards and backwards, through a link table (themes) and
        // through the list's own table (memberships), with totals.
        let lists = "themes(first: 2) { totalCount nodes { slug } } \
            first: memberships(first: 3) { totalCount nodes { role organisation { slug } } } \
            last: memberships(last: 2) { pageInfo { hasPreviousPage } nodes { organisation { slug } } }";
        let all = app
            .data(
                &format!("{{ clusters(first: 40) {{ nodes {{ slug {lists} }} }} }}"),
                json!({}),
            )
            .await;
        let clusters = all["clusters"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(clusters.len(), 40);
        let mut members = 0;
        for cluster in &clusters {
            let own = app
                .data(
                    &format!("query($s: String!) {{ cluster(slug: $s) {{ slug {lists} }} }}"),
                    json!({ "s": cluster["slug"] }),
                )
                .await;
            assert_eq!(&own["cluster"], cluster, "pages of {}", cluster["slug"]);
            members += cluster["first"]["nodes"]
                .as_array()
                .map(Vec::len)
                .unwrap_or(0);
        }
        assert!(members > 60, "memberships read: {members}");
        // A cursor taken under one parent continues that parent's list in the batch too.
        let first = &clusters[0];
        let cursor_q = "query($after: String) { clusters(first: 40) { nodes { slug memberships(first: 2, after: $after) { pageInfo { endCursor } nodes { organisation { slug } } } } } }";
        let page1 = app.data(cursor_q, json!({})).await;
        let end = page1["clusters"]["nodes"][0]["memberships"]["pageInfo"]["endCursor"].clone();
        let page2 = app.data(cursor_q, json!({ "after": end })).await;
        let own = app
            .data(
                "query($s: String!, $after: String) { cluster(slug: $s) { memberships(first: 2, after: $after) { nodes { organisation { slug } } } } }",
                json!({ "s": first["slug"], "after": end }),
            )
            .await;
        assert_eq!(
            page2["clusters"]["nodes"][0]["memberships"]["nodes"],
            own["cluster"]["memberships"]["nodes"]
        );
        assert_eq!(
            own["cluster"]["memberships"]["nodes"][0]["organisation"]["slug"],
            first["first"]["nodes"][2]["organisation"]["slug"],
        );
    }
);

both!(
    keyset_pages_cover_every_row_once_in_both_directions,
    |app: support::TestApp| async move {
        use cluster_directory::config::GenerateArgs;
        use sea_orm::ConnectionTrait;
        app.generate(GenerateArgs {
            clusters: 3,
            organisations: 60,
            memberships: 60,
            events: 3,
            seed: 11,
        })
        .await;
        // Ties on the sort key: the id decides between them, in the key's direction.
        app.db
            .conn
            .execute_unprepared("UPDATE organisation SET name = 'Same Name' WHERE id % 6 = 0")
            .await
            .expect("ties");
        const Q: &str = "query($first: Int, $after: String, $last: Int, $before: String, $d: OrderDirection!) {
          organisations(first: $first, after: $after, last: $last, before: $before, orderBy: { field: NAME, direction: $d }) {
            totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id name } } }";
        for direction in ["ASC", "DESC"] {
            let mut forward: Vec<Value> = Vec::new();
            let mut after = Value::Null;
            let total = loop {
                let d = app
                    .data(Q, json!({ "first": 7, "after": after, "d": direction }))
                    .await;
                let page = &d["organisations"];
                forward.extend(page["nodes"].as_array().cloned().unwrap_or_default());
                if page["pageInfo"]["hasNextPage"] != true {
                    break page["totalCount"].as_u64().unwrap_or_default() as usize;
                }
                after = page["pageInfo"]["endCursor"].clone();
            };
            let mut backward: Vec<Value> = Vec::new();
            let mut before = Value::Null;
            loop {
                let d = app
                    .data(Q, json!({ "last": 7, "before": before, "d": direction }))
                    .await;
                let page = &d["organisations"];
                let mut nodes = page["nodes"].as_array().cloned().unwrap_or_default();
                nodes.extend(backward);
                backward = nodes;
                if page["pageInfo"]["hasPreviousPage"] != true {
                    break;
                }
                before = page["pageInfo"]["startCursor"].clone();
            }
            assert_eq!(forward.len(), total, "{direction}: every row once");
            assert_eq!(forward, backward, "{direction}: both ways give one order");
            let mut ids: Vec<&Value> = forward.iter().map(|n| &n["id"]).collect();
            ids.sort_by_key(|v| v.to_string());
            ids.dedup();
            assert_eq!(ids.len(), total, "{direction}: no row twice");
            let names: Vec<&str> = forward.iter().filter_map(|n| n["name"].as_str()).collect();
            assert!(names.iter().filter(|n| **n == "Same Name").count() >= 10);
        }
    }
);

both!(
    lists_read_only_the_columns_their_fields_need_and_answer_the_same,
    |app: support::TestApp| async move {
        use cluster_directory::config::GenerateArgs;
        app.generate(GenerateArgs {
            clusters: 20,
            organisations: 60,
            memberships: 120,
            events: 80,
            seed: 5,
        })
        .await;
        // No event comes with a registration address; give three one.
        let admin = app
            .key(cluster_directory::domain::Role::Admin, None, None)
            .await;
        let events = app
            .data(
                "{ events(first: 3, filter: { includePast: true }) { nodes { id version } } }",
                json!({}),
            )
            .await;
        for e in events["events"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            app.data_as(
                Some(&admin),
                "mutation($i: UpdateEventInput!) { updateEvent(input: $i) { id } }",
                json!({ "i": { "id": e["id"], "version": e["version"],
                               "registrationUrl": "https://example.org/register" } }),
            )
            .await;
        }
        // Each field alone reads only the columns it needs; with every field selected, the list
        // reads every column. Both must answer the same, and every field that reads a column of
        // its own must hold a value in some row, or this would not notice a column left out.
        let lists = [
            (
                "clusters",
                "",
                vec![
                    "slug",
                    "name",
                    "kind",
                    "countryCode",
                    "description",
                    "yearEstablished",
                    "website",
                    "email",
                    "innovationTurnoverEur",
                    "region { code }",
                    "managingOrganisation { slug }",
                    "createdAt",
                    "updatedAt",
                    "version",
                ],
            ),
            (
                "organisations",
                "",
                vec![
                    "slug",
                    "name",
                    "type",
                    "countryCode",
                    "sizeClass",
                    "headcount",
                    "naceCodes",
                    "naceVersion",
                    "city",
                    "website",
                    "description",
                    "region { code }",
                    "createdAt",
                    "updatedAt",
                    "version",
                ],
            ),
            (
                "events",
                ", filter: { includePast: true }",
                vec![
                    "slug",
                    "title",
                    "format",
                    "startsAt",
                    "localStartsAt",
                    "description",
                    "venue",
                    "city",
                    "countryCode",
                    "onlineUrl",
                    "online",
                    "language",
                    "registrationUrl",
                    "status",
                ],
            ),
        ];
        // Each list at the top and nested under the themes (one statement for every theme).
        let rows = |data: &Value, list: &str, nested: bool| -> Vec<Value> {
            let pages: Vec<Value> = if nested {
                data["themes"]["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| t[list].clone())
                    .collect()
            } else {
                vec![data[list].clone()]
            };
            pages
                .iter()
                .flat_map(|p| match p["edges"].as_array() {
                    Some(edges) => edges.iter().map(|e| e["node"].clone()).collect::<Vec<_>>(),
                    None => p["nodes"].as_array().cloned().unwrap_or_default(),
                })
                .collect()
        };
        for (list, top_args, fields) in lists {
            for nested in [false, true] {
                let query = |selection: String| {
                    let args = if nested { "" } else { top_args };
                    let page = format!("{list}(first: 100{args}) {{ {selection} }}");
                    if nested {
                        format!("{{ themes(first: 10) {{ nodes {{ {page} }} }} }}")
                    } else {
                        format!("{{ {page} }}")
                    }
                };
                let all = app
                    .data(
                        &query(format!("nodes {{ id {} }}", fields.join(" "))),
                        json!({}),
                    )
                    .await;
                let all = rows(&all, list, nested);
                assert!(all.len() > 20, "{list}: {}", all.len());
                for field in &fields {
                    let key = field.split(' ').next().unwrap_or(field);
                    assert!(
                        all.iter().any(|row| !row[key].is_null()),
                        "{list}.{key} is null in every row (nested: {nested})"
                    );
                    let alone = app
                        .data(
                            &query(format!("edges {{ node {{ id {field} }} }}")),
                            json!({}),
                        )
                        .await;
                    let alone = rows(&alone, list, nested);
                    assert_eq!(alone.len(), all.len());
                    for (one, full) in alone.iter().zip(&all) {
                        assert_eq!(one["id"], full["id"]);
                        assert_eq!(
                            one[key], full[key],
                            "{list}.{key} of {} (nested: {nested})",
                            full["id"]
                        );
                    }
                }
            }
        }
    }
);

both!(
    a_row_read_narrow_with_a_list_is_never_taken_for_a_whole_one,
    |app: support::TestApp| async move {
        use cluster_directory::config::GenerateArgs;
        app.generate(GenerateArgs {
            clusters: 10,
            organisations: 40,
            memberships: 80,
            events: 0,
            seed: 9,
        })
        .await;
        // The outer list reads each member organisation with its name only and hands it to the
        // request's loader; the same organisation, reached again below with its website and
        // description, must come with them.
        let data = app
            .data(
                "{ clusters(first: 10) { nodes { memberships(first: 5) { nodes { organisation { \
                 id name memberships(first: 1) { nodes { organisation { id website description } } } \
                 } } } } } }",
                json!({}),
            )
            .await;
        let mut checked = 0;
        for cluster in data["clusters"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            for m in cluster["memberships"]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let outer = &m["organisation"];
                let inner = &outer["memberships"]["nodes"][0]["organisation"];
                assert_eq!(inner["id"], outer["id"]);
                let alone = app
                    .data(
                        "query($id: ID!) { node(id: $id) { ... on Organisation { website description } } }",
                        json!({ "id": outer["id"] }),
                    )
                    .await;
                assert_eq!(inner["website"], alone["node"]["website"]);
                assert_eq!(inner["description"], alone["node"]["description"]);
                if !inner["website"].is_null() {
                    checked += 1;
                }
            }
        }
        assert!(checked > 10, "only {checked} organisations with a website");
    }
);

both!(
    a_single_row_read_narrow_answers_each_field_as_the_whole_row_does,
    |app: support::TestApp| async move {
        // The lookups by id read only the columns their selection needs; `node` reads whole rows.
        let cases = [
            (
                "organisation",
                "organisations(first: 12)",
                "Organisation",
                vec![
                    "name",
                    "type",
                    "sizeClass",
                    "headcount",
                    "naceCodes",
                    "naceVersion",
                    "city",
                    "website",
                    "description",
                    "region { code }",
                    "countryCode",
                ],
            ),
            (
                "cluster",
                "clusters(first: 12)",
                "Cluster",
                vec![
                    "name",
                    "kind",
                    "description",
                    "yearEstablished",
                    "website",
                    "email",
                    "innovationTurnoverEur",
                    "region { code }",
                    "managingOrganisation { name }",
                ],
            ),
            (
                "event",
                "events(first: 12, filter: { includePast: true })",
                "Event",
                vec![
                    "title",
                    "description",
                    "venue",
                    "city",
                    "countryCode",
                    "onlineUrl",
                    "online",
                    "language",
                    "registrationUrl",
                ],
            ),
        ];
        for (root, list, ty, fields) in cases {
            let ids = app
                .data(&format!("{{ x: {list} {{ nodes {{ id }} }} }}"), json!({}))
                .await;
            let ids = ids["x"]["nodes"].as_array().cloned().unwrap_or_default();
            assert!(ids.len() >= 4, "{root}: {}", ids.len());
            let mut filled = 0;
            for id in ids.iter().map(|n| n["id"].clone()) {
                let whole = app
                    .data(
                        &format!(
                            "query($id: ID!) {{ node(id: $id) {{ ... on {ty} {{ {} }} }} }}",
                            fields.join(" ")
                        ),
                        json!({ "id": id }),
                    )
                    .await;
                for field in &fields {
                    let key = field.split(' ').next().unwrap_or(field);
                    let alone = app
                        .data(
                            &format!("query($id: ID!) {{ x: {root}(id: $id) {{ {field} }} }}"),
                            json!({ "id": id }),
                        )
                        .await;
                    assert_eq!(alone["x"][key], whole["node"][key], "{root}.{key} of {id}");
                    if !alone["x"][key].is_null() {
                        filled += 1;
                    }
                }
            }
            assert!(
                filled > ids.len() * 3,
                "{root}: only {filled} values compared"
            );
        }
    }
);

/// Every index, constraint and trigger of the database, described the way its catalog does.
async fn schema_objects(app: &support::TestApp) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let sql = match app.db.backend() {
        DbBackend::Postgres => {
            "SELECT c.relname || ': ' || pg_get_indexdef(c.oid) AS d FROM pg_index x \
             JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' \
             UNION ALL SELECT k.conname || ': ' || pg_get_constraintdef(k.oid) FROM pg_constraint k \
             JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = 'public' \
             UNION ALL SELECT t.tgname || ': ' || pg_get_triggerdef(t.oid) FROM pg_trigger t \
             WHERE NOT t.tgisinternal ORDER BY 1"
        }
        _ => {
            "SELECT type || ' ' || name || ': ' || coalesce(sql, '') AS d FROM sqlite_master \
             WHERE type IN ('index', 'trigger') ORDER BY 1"
        }
    };
    app.db
        .conn
        .query_all_raw(Statement::from_string(app.db.backend(), sql))
        .await
        .expect("catalog")
        .iter()
        .map(|r| r.try_get::<String>("", "d").expect("d"))
        .collect()
}

async fn row_counts(app: &support::TestApp) -> Vec<i64> {
    let mut n = Vec::new();
    for table in ["organisation", "membership", "event", "search_document"] {
        n.push(app.count(table).await);
    }
    n
}

both!(
    generate_puts_back_what_it_set_aside_and_a_failed_load_changes_nothing,
    |app: support::TestApp| async move {
        use cluster_directory::config::GenerateArgs;
        let args = GenerateArgs {
            clusters: 20,
            organisations: 300,
            memberships: 1200,
            events: 40,
            seed: 11,
        };
        let before = schema_objects(&app).await;
        let demo = row_counts(&app).await;
        assert!(
            before
                .iter()
                .any(|d| d.contains("ix_membership_cluster_page")),
            "the catalog lists the indexes: {before:?}"
        );
        app.generate(args.clone()).await;
        assert_eq!(schema_objects(&app).await, before);
        if app.db.backend() == sea_orm::DbBackend::Sqlite {
            // The load left no write-ahead log behind: a checkpoint finds no frames in it.
            let row = app.sql_row("PRAGMA wal_checkpoint(PASSIVE)".into()).await;
            let frames: i64 = row.try_get_by_index(1).expect("log");
            assert_eq!(frames, 0, "frames left in the write-ahead log");
            // Each full-text index is one segment, which searches read without merging.
            for index in ["search_fts", "search_trigram"] {
                let row = app
                    .sql_row(format!(
                        "SELECT count(DISTINCT segid) AS n FROM {index}_idx"
                    ))
                    .await;
                let segments: i64 = row.try_get("", "n").expect("count");
                assert_eq!(segments, 1, "segments of {index}");
            }
        } else {
            // Vacuumed and analysed: nothing left for autovacuum to do under the first requests.
            use sea_orm::ConnectionTrait;
            let rows = app
                .db
                .conn
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT relname FROM pg_stat_user_tables \
                     WHERE relname IN ('organisation', 'membership', 'event', 'search_document') \
                     AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL ORDER BY 1",
                ))
                .await
                .expect("statistics");
            let settled: Vec<String> = rows
                .iter()
                .map(|r| r.try_get("", "relname").expect("relname"))
                .collect();
            assert_eq!(
                settled,
                ["event", "membership", "organisation", "search_document"]
            );
        }
        let rows = row_counts(&app).await;
        assert_eq!(rows[1] - demo[1], 1200, "memberships written: {rows:?}");
        // The same seed again: its slugs are taken, so the load fails, on PostgreSQL when the
        // unique constraint is put back, and leaves nothing behind.
        let again = cluster_directory::services::generate::generate(&app.db.conn, &args).await;
        assert!(again.is_err(), "a second load of the same seed must fail");
        assert_eq!(row_counts(&app).await, rows);
        assert_eq!(schema_objects(&app).await, before);
    }
);
