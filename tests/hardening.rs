//! Abuse resistance: query cost, depth, alias, root-field and directive limits, fragment cycles,
//! and introspection switched off, on SQLite and PostgreSQL.

mod support;

use cluster_directory::domain::Role;
use serde_json::{Value, json};
use support::TestApp;

async fn post(app: &TestApp, key: Option<&str>, query: &str) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query }));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.expect("json"))
}

/// The value of an unlabelled metric in `/metrics` text.
fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

/// The text of `/metrics`.
async fn metrics_text(app: &TestApp) -> String {
    app.client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

both!(
    every_answer_reports_its_cost_and_costly_queries_are_refused,
    |app: TestApp| async move {
        let (status, body) = post(
            &app,
            None,
            "{ clusters(first: 100) { nodes { memberships(first: 10) { nodes { role } } } } }",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["extensions"]["cost"]["requested"], 100 + 100 * 10);
        assert_eq!(body["extensions"]["cost"]["limit"], 50_000);

        let (status, body) = post(
            &app,
            None,
            "{ clusters(first: 100) { nodes { memberships(first: 100) { nodes { organisation {
                memberships(first: 100) { totalCount } } } } } } }",
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(code(&body), "QUERY_TOO_COSTLY");
        assert!(body.get("data").is_none());
        assert_eq!(
            body["extensions"]["cost"]["requested"],
            100 + 10_000 + 1_000_000
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("1010100") && message.contains("50000"),
            "{message}"
        );

        // Page sizes from variables count too.
        let res = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({
                "query": "query($n: Int) { clusters(first: $n) { nodes { memberships(first: $n) { nodes { organisation { memberships(first: $n) { totalCount } } } } } } }",
                "variables": { "n": 100 }
            }))
            .send()
            .await
            .expect("request");
        let body: Value = res.json().await.expect("json");
        assert_eq!(code(&body), "QUERY_TOO_COSTLY");
    }
);

both!(
    deep_aliased_flooded_and_cyclic_documents_are_refused_cheaply,
    |app: TestApp| async move {
        let deep = "{ clusters { nodes { memberships { nodes { organisation { memberships { nodes {
            cluster { memberships { nodes { organisation { memberships { nodes { cluster { name } } } } } } } } } } } } } } }";
        let (status, body) = post(&app, None, deep).await;
        assert_eq!((status, code(&body)), (400, "QUERY_TOO_DEEP"), "{body}");

        let aliases: String = (0..31)
            .map(|i| format!("c{i}: clusters(first: 1) {{ totalCount }} "))
            .collect();
        let (status, body) = post(&app, None, &format!("{{ {aliases} }}")).await;
        assert_eq!(status, 400);
        assert!(
            ["TOO_MANY_ALIASES", "TOO_MANY_ROOT_FIELDS"].contains(&code(&body)),
            "{body}"
        );
        let roots: String = (0..21)
            .map(|i| format!("r{i}: theme(slug: \"health\") {{ name }} "))
            .collect();
        let small = support::serve_args();
        assert!(small.max_root_fields < 21);
        let (_, body) = post(&app, None, &format!("{{ {roots} }}")).await;
        assert!(
            ["TOO_MANY_ALIASES", "TOO_MANY_ROOT_FIELDS"].contains(&code(&body)),
            "{body}"
        );

        let flood = "@skip(if: false) ".repeat(200);
        let (status, body) = post(
            &app,
            None,
            &format!("{{ clusters {{ totalCount {flood} }} }}"),
        )
        .await;
        assert_eq!((status, code(&body)), (400, "TOO_MANY_DIRECTIVES"));

        let cycle = "query { clusters { ...A } }
            fragment A on ClusterConnection { nodes { memberships { ...B } } }
            fragment B on MembershipConnection { nodes { cluster { memberships { ...A } } } }";
        let (status, body) = post(&app, None, cycle).await;
        assert_eq!(status, 400);
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED");

        // A fragment spread many times over does not expand forever.
        let mut doc = String::from(
            "query { clusters { ...F0 } } fragment F0 on ClusterConnection { totalCount }",
        );
        for i in 1..20 {
            doc.push_str(&format!(
                " fragment F{i} on ClusterConnection {{ ...F{p} ...F{p} }}",
                p = i - 1
            ));
        }
        doc = doc.replace("{ clusters { ...F0 } }", "{ clusters { ...F19 } }");
        let (status, body) = post(&app, None, &doc).await;
        assert_eq!((status, code(&body)), (400, "QUERY_TOO_LARGE"), "{body}");

        // A refused mutation writes nothing.
        let admin = app.key(Role::Admin, None, None).await;
        let before = app.count("theme").await;
        let aliased: String = (0..31)
            .map(|i| format!("t{i}: createTheme(input: {{ name: \"Theme {i}\" }}) {{ slug }} "))
            .collect();
        let (status, body) = post(&app, Some(&admin), &format!("mutation {{ {aliased} }}")).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(app.count("theme").await, before);
    }
);

both!(
    introspection_and_suggestions_can_be_switched_off,
    |app: TestApp| async move {
        let (_, body) = post(&app, None, "{ __schema { queryType { name } } }").await;
        assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
        let mut args = support::serve_args();
        args.no_introspection = true;
        let closed = support::spawn_with(&app.database_url, args).await;
        let (_, body) = post(&closed, None, "{ __schema { queryType { name } } }").await;
        assert!(body["data"]["__schema"].is_null(), "{body}");
        let (_, body) = post(&closed, None, "{ clustrs { totalCount } }").await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(!message.contains("Did you mean"), "{message}");
        let (_, body) = post(&app, None, "{ clustrs { totalCount } }").await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("Did you mean"), "{message}");
        // Ordinary queries still work.
        let (status, body) = post(&closed, None, "{ clusters { totalCount } }").await;
        assert_eq!(status, 200, "{body}");
    }
);

both!(
    slow_requests_are_stopped_and_write_nothing,
    |app: TestApp| async move {
        let mut args = support::serve_args();
        args.request_timeout_secs = 1;
        args.max_body_bytes = 16 * 1024 * 1024;
        let strict = support::spawn_with(&app.database_url, args).await;
        let admin = strict.key(Role::Admin, None, None).await;
        let indescat = strict
            .data("{ cluster(slug: \"indescat\") { id } }", json!({}))
            .await["cluster"]["id"]
            .clone();
        let mut csv =
            String::from("external_id,name,type,country_code,region,website,contact_name\n");
        for i in 0..30_000 {
            csv.push_str(&format!(
                "slow-{i},Slow Company {i},sme,ES,ES511,https://slow-{i}.example.es,Person {i}\n"
            ));
        }
        let before = strict.count("organisation").await;
        let res = strict
            .client
            .post(strict.url("/graphql"))
            .bearer_auth(&admin)
            .header("accept", "application/graphql-response+json")
            .json(&json!({
                "query": "mutation($i: ImportOrganisationsInput!) { importOrganisations(input: $i) { rows } }",
                "variables": { "i": { "cluster": indescat, "format": "CSV", "data": csv } }
            }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 503);
        let body: Value = res.json().await.expect("json");
        assert_eq!(code(&body), "TIMEOUT");
        // The cancelled import left nothing behind.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(strict.count("organisation").await, before);
    }
);

both!(
    rate_limits_spend_a_cost_budget_that_spoofing_cannot_reset,
    |app: TestApp| async move {
        let mut args = support::serve_args();
        args.rate_limit_anonymous = 100;
        args.rate_limit_key = 1000;
        args.rate_limit_window_secs = 3600;
        let limited = support::spawn_with(&app.database_url, args.clone()).await;
        // Each query costs 20 (one default page).
        let q = json!({ "query": "{ clusters { totalCount } }" });
        let mut statuses = Vec::new();
        for i in 0..8 {
            let res = limited
                .client
                .post(limited.url("/graphql"))
                .header("x-forwarded-for", format!("203.0.113.{i}"))
                .json(&q)
                .send()
                .await
                .expect("request");
            statuses.push(res.status().as_u16());
            if res.status() == 429 {
                let retry: u64 = res
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .expect("Retry-After");
                assert!(retry > 0);
                assert_eq!(
                    res.headers()
                        .get("ratelimit-remaining")
                        .and_then(|v| v.to_str().ok()),
                    Some("0")
                );
                let body: Value = res.json().await.expect("json");
                assert_eq!(code(&body), "RATE_LIMITED");
            } else {
                assert!(res.headers().get("ratelimit-remaining").is_some());
            }
        }
        assert_eq!(statuses, vec![200, 200, 200, 200, 200, 429, 429, 429]);
        // A key has its own, larger budget.
        let key = limited.key(Role::Reader, None, None).await;
        let (status, _) = post(&limited, Some(&key), "{ clusters { totalCount } }").await;
        assert_eq!(status, 200);

        // Behind a trusted proxy, the forwarded address is the client.
        args.trusted_proxies = vec!["127.0.0.1".to_owned()];
        let proxied = support::spawn_with(&app.database_url, args).await;
        for i in 0..8 {
            let res = proxied
                .client
                .post(proxied.url("/graphql"))
                .header("x-forwarded-for", format!("198.51.100.{i}"))
                .json(&q)
                .send()
                .await
                .expect("request");
            assert_eq!(res.status(), 200, "client {i} has its own budget");
        }
    }
);

both!(
    operations_see_liveness_readiness_metrics_and_json_logs,
    |app: TestApp| async move {
        let get = |path: &str| app.client.get(app.url(path)).send();
        let live = get("/health").await.expect("request");
        assert_eq!(live.status(), 200);
        let ready = get("/ready").await.expect("request");
        assert_eq!(ready.status(), 200);
        let body: Value = ready.json().await.expect("json");
        assert_eq!(body["database"], "ok");

        post(&app, None, "{ clusters(first: 5) { totalCount } }").await;
        post(&app, None, "{ clusters(first: 500) { totalCount } }").await;
        let metrics = get("/metrics").await.expect("request");
        assert!(
            metrics
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .starts_with("application/openmetrics-text")
        );
        let text = metrics.text().await.expect("text");
        for needle in [
            "cluster_directory_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}",
            "cluster_directory_graphql_errors_total{code=\"BAD_USER_INPUT\"} 1",
            "cluster_directory_http_request_duration_seconds_bucket",
            "cluster_directory_graphql_query_cost_count",
            "cluster_directory_db_pool_connections",
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
        // The statement counter: a one-list query adds exactly one statement.
        let statements = |text: &str| metric(text, "cluster_directory_db_statements_total");
        let before = statements(&text);
        post(&app, None, "{ clusters(first: 5) { nodes { name } } }").await;
        let after = get("/metrics")
            .await
            .expect("request")
            .text()
            .await
            .expect("text");
        assert_eq!(statements(&after), before + 1);

        // JSON logs, one object per line, on standard error.
        let url = app.database_url.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_cluster-directory"))
                .args(["--log-json", "migrate"])
                .env("DATABASE_URL", url)
                .env("RUST_LOG", "info")
                .output()
                .expect("runs")
        })
        .await
        .expect("finished");
        assert!(out.status.success());
        let logs = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(!lines.is_empty());
        for l in lines {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"));
            assert!(
                v.get("level").is_some() && v.get("timestamp").is_some(),
                "{v}"
            );
        }
    }
);

/// The server binary on `url`, started as its own process; returns it with its address.
fn start_server(url: &str) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cluster-directory"))
        .args(["--port", "0"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server says where it listens");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    (child, addr)
}

both!(
    acknowledged_writes_survive_sigkill,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let mut rng = fastrand::Rng::with_seed(20);
        for round in 0..20 {
            let url = app.database_url.clone();
            let (mut child, addr) = tokio::task::spawn_blocking(move || start_server(&url))
                .await
                .expect("started");
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let mut writers = Vec::new();
            for w in 0..4 {
                let (client, admin, addr) = (app.client.clone(), admin.clone(), addr.clone());
                let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
                writers.push(tokio::spawn(async move {
                    let mut n = 0;
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        n += 1;
                        let name = format!("Crash theme {round} {w} {n}");
                        let res = client
                            .post(format!("http://{addr}/graphql"))
                            .bearer_auth(&admin)
                            .json(&json!({
                                "query": "mutation($i: CreateThemeInput!) { createTheme(input: $i) { slug } }",
                                "variables": { "i": { "name": name } }
                            }))
                            .send()
                            .await;
                        let Ok(res) = res else { break };
                        let Ok(body) = res.json::<Value>().await else { break };
                        if let Some(slug) = body["data"]["createTheme"]["slug"].as_str() {
                            acknowledged
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(slug.to_owned());
                        }
                    }
                }));
            }
            tokio::time::sleep(std::time::Duration::from_millis(rng.u64(50..300))).await;
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            for w in writers {
                let _ = w.await;
            }
        }
        // Every acknowledged write is there, after a restart.
        let url = app.database_url.clone();
        let (mut child, addr) = tokio::task::spawn_blocking(move || start_server(&url))
            .await
            .expect("started");
        let acked = acknowledged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        assert!(
            acked.len() > 20,
            "only {} writes were acknowledged",
            acked.len()
        );
        for slug in &acked {
            let res: Value = app
                .client
                .post(format!("http://{addr}/graphql"))
                .json(&json!({ "query": "query($s: String) { theme(slug: $s) { slug } }", "variables": { "s": slug } }))
                .send()
                .await
                .expect("request")
                .json()
                .await
                .expect("json");
            assert_eq!(res["data"]["theme"]["slug"], slug.as_str(), "lost: {slug}");
        }
        let _ = child.kill();
        let _ = child.wait();
        // The database is intact.
        let check = if app.database_url.starts_with("sqlite") {
            "PRAGMA integrity_check"
        } else {
            "SELECT 'ok' AS integrity_check FROM theme LIMIT 1"
        };
        let row = app.sql_row(check.to_owned()).await;
        let verdict: String = row.try_get_by_index(0).expect("verdict");
        assert_eq!(verdict, "ok");
        // Audit entries and feed entries were written with their themes, or not at all.
        assert_eq!(
            app.count("change_log").await,
            app.count("audit_entry").await,
            "every audited write has its change-feed entry"
        );
    }
);

both!(
    racing_unique_writes_are_conflicts_and_never_show_internals,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let before = app.count("theme").await;
        let tries = (0..12).map(|_| {
            app.query_as(
                Some(&admin),
                "mutation { createTheme(input: { name: \"Padel and pickleball\" }) { slug } }",
                json!({}),
            )
        });
        let answers = futures_util::future::join_all(tries).await;
        let ok = answers.iter().filter(|a| a.get("errors").is_none()).count();
        assert_eq!(ok, 1, "{answers:?}");
        for a in answers.iter().filter(|a| a.get("errors").is_some()) {
            let code = a["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or_default();
            assert!(["BAD_USER_INPUT", "CONFLICT"].contains(&code), "{a}");
            let text = a.to_string().to_lowercase();
            for leak in [
                "duplicate key",
                "unique constraint",
                "sqlstate",
                "insert into",
            ] {
                assert!(!text.contains(leak), "internal detail shown: {a}");
            }
        }
        assert_eq!(app.count("theme").await, before + 1);
    }
);

both!(
    sigterm_lets_requests_in_flight_finish,
    |app: TestApp| async move {
        let admin = app.key(Role::Admin, None, None).await;
        let url = app.database_url.clone();
        let (mut child, addr) = tokio::task::spawn_blocking(move || start_server(&url))
            .await
            .expect("started");
        let indescat = app
            .data("{ cluster(slug: \"indescat\") { id } }", json!({}))
            .await["cluster"]["id"]
            .clone();
        let mut csv = String::from("external_id,name,type,country_code\n");
        for i in 0..4_000 {
            csv.push_str(&format!("term-{i},Terminating Company {i},sme,ES\n"));
        }
        let client = app.client.clone();
        let target = format!("http://{addr}/graphql");
        let in_flight = tokio::spawn(async move {
            client
                .post(target)
                .bearer_auth(&admin)
                .json(&json!({
                    "query": "mutation($i: ImportOrganisationsInput!) { importOrganisations(input: $i) { organisationsCreated } }",
                    "variables": { "i": { "cluster": indescat, "format": "CSV", "data": csv } }
                }))
                .send()
                .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let pid = child.id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        let res = in_flight
            .await
            .expect("joined")
            .expect("the request in flight is answered");
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("json");
        assert_eq!(
            body["data"]["importOrganisations"]["organisationsCreated"], 4000,
            "{body}"
        );
        let exit = tokio::task::spawn_blocking(move || child.wait().expect("exits"))
            .await
            .expect("joined");
        assert!(exit.success(), "{exit:?}");
        // Once it has stopped, nothing answers.
        assert!(
            app.client
                .get(format!("http://{addr}/health"))
                .send()
                .await
                .is_err()
        );
    }
);

both!(
    a_stopped_server_closes_its_database_connections,
    |app: TestApp| async move {
        // A database that only the server below opens, so that its connections are the last.
        let backend = match app.db.backend() {
            sea_orm::DbBackend::Sqlite => support::Backend::Sqlite,
            _ => support::Backend::Postgres,
        };
        let url = support::fresh_database(backend).await;
        let (mut child, addr) = tokio::task::spawn_blocking({
            let url = url.clone();
            move || start_server(&url)
        })
        .await
        .expect("started");
        // Requests side by side, so that several connections are kept between statements; on
        // PostgreSQL the change listener holds one more for good.
        let requests = (0..8).map(|_| {
            app.client
                .post(format!("http://{addr}/graphql"))
                .json(&json!({ "query": "{ clusters(first: 5) { nodes { name members: memberships(first: 3) { nodes { organisation { name } } } } } }" }))
                .send()
        });
        for res in futures_util::future::join_all(requests).await {
            assert_eq!(res.expect("answered").status(), 200);
        }
        let stopping = std::time::Instant::now();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = tokio::task::spawn_blocking(move || child.wait().expect("exits"))
            .await
            .expect("joined");
        assert!(exit.success(), "{exit:?}");
        // Every connection was handed back and closed: it did not wait out its limit for one.
        assert!(
            stopping.elapsed() < std::time::Duration::from_secs(4),
            "stopping took {:?}",
            stopping.elapsed()
        );
        if let Some(file) = url
            .strip_prefix("sqlite://")
            .and_then(|rest| rest.split('?').next())
        {
            // The last connection to close folded the write-ahead log into the database.
            let wal = std::path::PathBuf::from(format!("{file}-wal"));
            assert!(std::path::Path::new(file).exists());
            assert!(!wal.exists(), "{} left behind", wal.display());
        } else {
            // Each connection said goodbye: PostgreSQL counts a session that ended without it
            // (the client's socket simply closed) as abandoned.
            use sea_orm::ConnectionTrait;
            let name = url.rsplit('/').next().expect("database name").to_owned();
            let sessions = || async {
                let row = app
                    .db
                    .conn
                    .query_one_raw(sea_orm::Statement::from_sql_and_values(
                        sea_orm::DbBackend::Postgres,
                        "SELECT numbackends::bigint AS open, sessions AS ended, \
                         sessions_abandoned AS abandoned FROM pg_stat_database WHERE datname = $1",
                        [name.clone().into()],
                    ))
                    .await
                    .expect("statistics")
                    .expect("the database");
                let read = |c: &str| row.try_get::<i64>("", c).expect(c);
                (read("open"), read("ended"), read("abandoned"))
            };
            // Backends report as they exit, just after the server has.
            let mut seen = sessions().await;
            for _ in 0..50 {
                if seen.0 == 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                seen = sessions().await;
            }
            let (open, ended, abandoned) = seen;
            assert_eq!(open, 0, "sessions still open");
            assert!(ended >= 2, "{ended} sessions");
            assert_eq!(abandoned, 0, "of {ended} sessions");
        }
    }
);

/// The fuzzer, installed from its pinned requirements once per test process.
fn schemathesis() -> std::path::PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let st = dir.join(".venv/bin/st");
    if !st.exists() {
        let ok = std::process::Command::new("python3")
            .args(["-m", "venv", ".venv"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success())
            && std::process::Command::new(dir.join(".venv/bin/pip"))
                .args(["install", "-q", "-r", "requirements.txt"])
                .current_dir(&dir)
                .status()
                .is_ok_and(|s| s.success());
        assert!(ok, "schemathesis could not be installed");
    }
    st
}

both!(
    schema_driven_fuzzing_finds_no_server_errors,
    |app: TestApp| async move {
        let st = schemathesis();
        let admin = app.key(Role::Admin, None, None).await;
        let url = app.url("/graphql");
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(st)
                .args([
                    "run",
                    &url,
                    "--max-examples",
                    "15",
                    "--seed",
                    "20261123",
                    "--checks",
                    "no_server_error",
                    "--header",
                    &format!("Authorization: Bearer {admin}"),
                ])
                .env("SCHEMATHESIS_HOOKS", "hooks")
                .env(
                    "PYTHONPATH",
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz"),
                )
                .current_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz"))
                .output()
                .expect("schemathesis runs")
        })
        .await
        .expect("finished");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = report
            .lines()
            .find(|l| l.contains("generated"))
            .unwrap_or_default()
            .to_owned();
        eprintln!("schemathesis: {}", summary.trim());
        assert!(summary.contains("passed"), "{summary}");
        assert!(!report.contains("failures"), "{report}");
    }
);

both!(
    websocket_operations_meet_the_same_limits,
    |app: TestApp| async move {
        let deep = "subscription { events { event { organisers { nodes { cluster { memberships { nodes {
            organisation { memberships { nodes { cluster { memberships { nodes { role } } } } } } } } } } } } } }";
        let url = format!("ws://{}/graphql/ws", app.addr);
        let dir = support::js_dir();
        let read = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut child = std::process::Command::new("node")
                .args(["subscribe.mjs", &url, deep, "{}"])
                .current_dir(dir)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("node starts");
            let stdout = child.stdout.take().expect("stdout");
            let mut seen = String::new();
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains("next") || line.contains("error") || line.contains("complete") {
                    break;
                }
            }
            let _ = child.kill();
            let _ = child.wait();
            seen
        });
        let text = tokio::time::timeout(std::time::Duration::from_secs(30), read)
            .await
            .expect("an answer within 30 s")
            .expect("joined");
        assert!(text.contains("QUERY_TOO_DEEP"), "{text}");
    }
);

both!(refused_requests_write_nothing, |app: TestApp| async move {
    let admin = app.key(Role::Admin, None, None).await;
    let before = app.count("theme").await;
    let create = "mutation { createTheme(input: { name: \"Should not exist\" }) { slug } }";
    let admin = &admin;
    let send = |req: reqwest::RequestBuilder| async move {
        let res = req.bearer_auth(admin).send().await.expect("request");
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        (status, code(&body).to_owned())
    };
    // A batch of mutations.
    let batch: Vec<Value> = (0..500).map(|_| json!({ "query": create })).collect();
    let got = send(app.client.post(app.url("/graphql")).json(&batch)).await;
    assert_eq!(got, (400, "BAD_REQUEST".to_owned()));
    // A mutation over GET.
    let mut url = reqwest::Url::parse(&app.url("/graphql")).expect("url");
    url.query_pairs_mut().append_pair("query", create);
    let got = send(app.client.get(url)).await;
    assert_eq!(got, (405, "METHOD_NOT_ALLOWED".to_owned()));
    // A mutation as text/plain (what a cross-site form could send).
    let got = send(
        app.client
            .post(app.url("/graphql"))
            .header("content-type", "text/plain")
            .body(json!({ "query": create }).to_string()),
    )
    .await;
    assert_eq!(got, (415, "UNSUPPORTED_MEDIA_TYPE".to_owned()));
    // An oversized body. The server answers before reading it all and then closes the
    // connection; `Connection: close` keeps the client from reusing it for the next request.
    let padding = " ".repeat(200 * 1024);
    let got = send(
        app.client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .header("connection", "close")
            .body(json!({ "query": format!("{create}{padding}") }).to_string()),
    )
    .await;
    assert_eq!(got.0, 413);
    // A page over the maximum.
    let (status, body) = post(&app, None, "{ clusters(first: 1000) { totalCount } }").await;
    assert_eq!((status, code(&body)), (200, "BAD_USER_INPUT"));
    assert_eq!(app.count("theme").await, before);
});

both!(
    reads_and_writes_share_a_pool_of_three_connections,
    |app: TestApp| async move {
        // Reads keep connections out of the pool between their statements, but never the one
        // the writes' transactions need (nor, on PostgreSQL, the one the live-change listener
        // holds), or the writes would wait until timed out.
        let mut args = support::serve_args();
        args.max_connections = 3;
        let small = std::sync::Arc::new(support::spawn_with(&app.database_url, args).await);
        let admin = small.key(Role::Admin, None, None).await;
        let cluster = small
            .data("{ cluster(slug: \"indescat\") { id } }", json!({}))
            .await["cluster"]["id"]
            .clone();
        let before = small.count("organisation").await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let (small, admin, cluster) = (small.clone(), admin.clone(), cluster.clone());
            tasks.push(tokio::spawn(async move {
                if i % 3 == 0 {
                    small
                        .data_as(
                            Some(&admin),
                            "mutation($i: CreateOrganisationInput!) { createOrganisation(input: $i) { id } }",
                            json!({ "i": { "name": format!("Pooled {i}"), "type": "SME", "countryCode": "ES", "cluster": cluster } }),
                        )
                        .await;
                } else {
                    let d = small
                        .data(
                            "{ clusters(first: 5) { nodes { name memberships(first: 5) { nodes { organisation { name } } } } } }",
                            json!({}),
                        )
                        .await;
                    assert!(!d["clusters"]["nodes"].as_array().expect("nodes").is_empty());
                }
            }));
        }
        for t in tasks {
            t.await.expect("request task");
        }
        assert_eq!(small.count("organisation").await, before + 8);
        let metrics = metrics_text(&small).await;
        let open = metric(&metrics, "cluster_directory_db_pool_connections");
        assert!(open <= 3, "{open} connections open");
    }
);

both!(
    workers_share_the_port_and_the_connections,
    |app: TestApp| async move {
        // Two workers, each with its own socket on the one port and its own share of the
        // connections: every new connection is answered, whichever socket the kernel hands it
        // to, and the workers' connections with the shared pool's stay within the limit.
        for workers in [2, 1] {
            let mut args = support::serve_args();
            args.max_connections = 6;
            args.workers = workers;
            let server = std::sync::Arc::new(support::spawn_with(&app.database_url, args).await);
            let clusters = server.count("cluster").await.min(5);
            let mut tasks = Vec::new();
            for _ in 0..32 {
                let server = server.clone();
                tasks.push(tokio::spawn(async move {
                    // A client of its own: a new connection for each request.
                    let client = reqwest::Client::builder()
                        .pool_max_idle_per_host(0)
                        .build()
                        .expect("client");
                    let d: Value = client
                        .post(server.url("/graphql"))
                        .json(&json!({ "query": "{ clusters(first: 5) { nodes { name memberships(first: 3) { nodes { organisation { name } } } } } }" }))
                        .send()
                        .await
                        .expect("request")
                        .json()
                        .await
                        .expect("json");
                    assert!(d["errors"].is_null(), "{d}");
                    d["data"]["clusters"]["nodes"].as_array().map(Vec::len)
                }));
            }
            for t in tasks {
                assert_eq!(
                    t.await.expect("request task"),
                    usize::try_from(clusters).ok()
                );
            }
            let metrics = metrics_text(&server).await;
            let open = metric(&metrics, "cluster_directory_db_pool_connections");
            // The reads ran on connections the workers opened (with two workers; the shared
            // pool's with one), and they are counted: more than the shared pool's reserved ones.
            let reserved = match server.db.backend() {
                sea_orm::DbBackend::Postgres => 2,
                _ => 1,
            };
            assert!(
                open > reserved && open <= 6,
                "{workers} worker(s): {open} connections open"
            );
        }
    }
);
