//! The directory as an Apollo Federation v2 subgraph: batched entity lookups, and real engines
//! around it: `@apollo/composition` composes it with a partner subgraph written with
//! `@apollo/subgraph`, and `@apollo/gateway` routes queries across both, over two replicas of
//! the server on one database.

mod support;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// Reads the gateway's output up to the JSON line that carries `key`, and returns its value.
fn read_until(stdout: &mut BufReader<ChildStdout>, key: &str) -> Value {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("the gateway stopped before saying `{key}`:\n{seen}");
        }
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && let Some(found) = v.get(key)
        {
            return found.clone();
        }
        seen.push_str(&line);
    }
}

/// The gateway process with the partner subgraph; stopped when dropped.
struct Gateway {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    url: String,
}

impl Gateway {
    async fn start(config: Value) -> Self {
        let dir = support::js_dir();
        tokio::task::spawn_blocking(move || {
            let mut child = Command::new("node")
                .arg("gateway.mjs")
                .arg(config.to_string())
                .current_dir(dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("node starts");
            let stdin = child.stdin.take();
            let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
            let url = read_until(&mut stdout, "gateway")
                .as_str()
                .expect("gateway url")
                .to_owned();
            Self {
                child,
                stdin,
                stdout,
                url,
            }
        })
        .await
        .expect("gateway starts")
    }

    /// How many subgraph requests went to each directory replica so far.
    async fn replicas_used(mut self) -> (Value, Self) {
        tokio::task::spawn_blocking(move || {
            let stdin = self.stdin.as_mut().expect("stdin");
            stdin.write_all(b"?\n").expect("ask");
            stdin.flush().expect("flush");
            (read_until(&mut self.stdout, "replicasUsed"), self)
        })
        .await
        .expect("answer")
    }

    /// Sends a query through the gateway with the key, which the gateway forwards.
    async fn query(&self, client: &reqwest::Client, key: &str, query: &str) -> Value {
        let res = self.send(client, key, query).await;
        assert!(
            res.get("errors").is_none(),
            "errors through the gateway: {res}"
        );
        res["data"].clone()
    }

    async fn send(&self, client: &reqwest::Client, key: &str, query: &str) -> Value {
        client
            .post(&self.url)
            .header("authorization", format!("Bearer {key}"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("gateway answers")
            .json()
            .await
            .expect("json")
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

both!(
    a_gateway_joins_the_directory_with_a_partner_subgraph_over_two_replicas,
    |app: support::TestApp| async move {
        let replica = support::spawn_on(&app.database_url, false).await;
        let clusters = app
            .data(
                "{ clusters { nodes { id slug name region { code name } } } }",
                json!({}),
            )
            .await;
        let clusters = clusters["clusters"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let by_slug = |slug: &str| {
            clusters
                .iter()
                .find(|c| c["slug"] == slug)
                .cloned()
                .unwrap_or_else(|| panic!("demo cluster {slug}"))
        };
        let indescat = by_slug("indescat");
        let brainport = by_slug("sports-and-technology");
        let facility = |id: &str, name: &str, sport: &str, cluster: &Value| {
            json!({ "id": id, "name": name, "sport": sport,
                    "clusterId": cluster["id"], "regionCode": cluster["region"]["code"] })
        };
        let gateway = Gateway::start(json!({
            "directory": [app.url("/graphql"), replica.url("/graphql")],
            "facilities": [
                facility("f1", "Indoor athletics lab", "athletics", &indescat),
                facility("f2", "Open-water test basin", "swimming", &indescat),
                facility("f3", "Smart running track", "running", &brainport),
            ],
        }))
        .await;

        let (_, key) = cluster_directory::services::keys::create(
            &app.db.conn,
            &cluster_directory::services::keys::NewKey {
                name: "EPSI platform".into(),
                role: cluster_directory::domain::Role::Reader,
                region: None,
                cluster: None,
                expires_at: None,
            },
        )
        .await
        .expect("a reader key");
        // The gateway forwards the Authorization header: a wrong key is refused by the directory.
        let refused = gateway
            .send(
                &app.client,
                "cdk_not-a-valid-key",
                "{ clusters { totalCount } }",
            )
            .await;
        assert!(refused.get("errors").is_some(), "{refused}");

        // From the directory into the partner's service.
        let d = gateway
            .query(
                &app.client,
                &key,
                r#"{ cluster(slug: "indescat") { name region { code } facilities { name sport } } }"#,
            )
            .await;
        assert_eq!(d["cluster"]["name"], indescat["name"]);
        assert_eq!(
            d["cluster"]["facilities"],
            json!([
                { "name": "Indoor athletics lab", "sport": "athletics" },
                { "name": "Open-water test basin", "sport": "swimming" },
            ])
        );

        // From the partner's service into the directory, by id and by NUTS code.
        let across = "{ facilities { name cluster { slug name } region { code name } } }";
        let d = gateway.query(&app.client, &key, across).await;
        let f3 = &d["facilities"][2];
        assert_eq!(f3["name"], "Smart running track");
        assert_eq!(f3["cluster"]["name"], brainport["name"]);
        assert_eq!(f3["region"]["name"], brainport["region"]["name"]);
        assert_eq!(d["facilities"][0]["cluster"]["slug"], "indescat");

        // Both replicas answer, and answer alike.
        for _ in 0..6 {
            assert_eq!(gateway.query(&app.client, &key, across).await, d);
        }
        // A change committed to the shared database shows through every replica at once.
        use sea_orm::ConnectionTrait;
        app.db
            .conn
            .execute_unprepared(
                "UPDATE cluster SET name = 'INDESCAT (renamed)' WHERE slug = 'indescat'",
            )
            .await
            .expect("update");
        for _ in 0..4 {
            let d = gateway.query(&app.client, &key, across).await;
            assert_eq!(d["facilities"][0]["cluster"]["name"], "INDESCAT (renamed)");
        }
        let (used, _gateway) = gateway.replicas_used().await;
        for url in [app.url("/graphql"), replica.url("/graphql")] {
            assert!(
                used[&url].as_u64().unwrap_or(0) >= 5,
                "requests per replica: {used}"
            );
        }
    }
);

both!(
    entity_references_are_resolved_in_a_constant_number_of_statements,
    |app: support::TestApp| async move {
        app.generate(cluster_directory::config::GenerateArgs {
            clusters: 10,
            organisations: 150,
            memberships: 300,
            events: 0,
            seed: 3,
        })
        .await;
        let orgs = app
            .data(
                "{ organisations(first: 100) { nodes { id name } } }",
                json!({}),
            )
            .await;
        let orgs = orgs["organisations"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(orgs.len(), 100);
        let mut representations: Vec<Value> = orgs
            .iter()
            .map(|o| json!({ "__typename": "Organisation", "id": o["id"] }))
            .collect();
        for slug in ["indescat", "cluster-montagne", "sports-and-technology"] {
            representations.push(json!({ "__typename": "Cluster", "slug": slug }));
        }
        for code in ["NL414", "es511"] {
            representations.push(json!({ "__typename": "Region", "code": code }));
        }
        let q = "query($r: [_Any!]!) { _entities(representations: $r) {
            ... on Organisation { name }
            ... on Cluster { slug }
            ... on Region { code } } }";
        let before = app.db.statements();
        let d = app.data(q, json!({ "r": representations })).await;
        let used = app.db.statements() - before;
        let found = d["_entities"].as_array().cloned().unwrap_or_default();
        assert_eq!(found.len(), 105);
        for (i, o) in orgs.iter().enumerate() {
            assert_eq!(found[i]["name"], o["name"]);
        }
        assert_eq!(found[101]["slug"], "cluster-montagne");
        assert_eq!(found[104]["code"], "ES511");
        // Organisations by id, clusters by slug, regions by code: one statement each.
        assert_eq!(used, 3, "{used} statements for 105 references");
    }
);

both!(
    the_plain_schema_has_no_federation_fields,
    |app: support::TestApp| async move {
        let d = app.data("{ _service { sdl } }", json!({})).await;
        let sdl = d["_service"]["sdl"].as_str().unwrap_or_default();
        assert!(sdl.contains("@key(fields: \"id\")"), "{sdl}");

        let mut args = support::serve_args();
        args.no_federation = true;
        let plain = support::spawn_with(&app.database_url, args).await;
        let res = plain.query("{ _service { sdl } }", json!({})).await;
        assert_eq!(
            res["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{res}"
        );
    }
);
