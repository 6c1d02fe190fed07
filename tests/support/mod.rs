//! The test harness: the real server on port 0 over a fresh database per test, on SQLite (a
//! temporary file) and on PostgreSQL (a throwaway cluster started from the system's binaries
//! once per test process and stopped when the process exits).

#![allow(dead_code)]

use cluster_directory::config::ServeArgs;
use cluster_directory::db::Database;
use cluster_directory::startup::Application;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and a client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: Database,
    pub database_url: String,
}

/// Runs a test body on both databases: `both!(name, |app| async move { ... })`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::support::spawn($crate::support::Backend::Sqlite, true).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::support::spawn($crate::support::Backend::Postgres, true).await;
                ($body)(app).await;
            }
        }
    };
}

/// Removes the databases earlier test runs left behind (a server keeps its file open until the
/// test process ends, so each run sweeps up after the ones before it).
fn sweep(dir: &std::path::Path) {
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < hour_ago);
        if old {
            std::fs::remove_file(entry.path()).ok();
        }
    }
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A fresh database URL on the backend.
pub async fn fresh_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("cluster-directory-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            static SWEEP: std::sync::Once = std::sync::Once::new();
            SWEEP.call_once(|| sweep(&dir));
            format!(
                "sqlite://{}?mode=rwc",
                dir.join(format!("{}.db", unique())).display()
            )
        }
        Backend::Postgres => {
            let server = postgres();
            let name = format!("t_{}", unique());
            let admin = sea_orm::Database::connect(server.url("postgres"))
                .await
                .expect("connect to test PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
            admin.close().await.ok();
            server.url(&name)
        }
    }
}

/// Starts the server on a fresh database (with the demo data when `demo`).
pub async fn spawn(backend: Backend, demo: bool) -> TestApp {
    let database_url = fresh_database(backend).await;
    spawn_on(&database_url, demo).await
}

/// The options the tests run the server with.
pub fn serve_args() -> ServeArgs {
    ServeArgs {
        host: "127.0.0.1".parse().expect("address"),
        port: 0,
        no_migrate: false,
        no_demo_data: false,
        max_body_bytes: 64 * 1024,
        max_connections: 4,
        no_federation: false,
        cache_max_age: 60,
        max_query_cost: 50_000,
        max_query_depth: 12,
        max_aliases: 30,
        max_root_fields: 20,
        max_directives: 50,
        request_timeout_secs: 10,
        no_introspection: false,
        rate_limit_anonymous: 100_000_000,
        rate_limit_key: 100_000_000,
        rate_limit_window_secs: 60,
        trusted_proxies: Vec::new(),
        workers: 0,
    }
}

/// Starts the server on an existing database.
pub async fn spawn_on(database_url: &str, demo: bool) -> TestApp {
    let mut args = serve_args();
    args.no_demo_data = !demo;
    spawn_with(database_url, args).await
}

/// Starts the server on an existing database with the given options.
pub async fn spawn_with(database_url: &str, args: ServeArgs) -> TestApp {
    let app = Application::build(database_url, &args)
        .await
        .unwrap_or_else(|e| panic!("server starts: {e:?}"));
    let addr = app.local_addr();
    let db = app.database();
    tokio::spawn(app.run());
    TestApp {
        addr,
        client: reqwest::Client::new(),
        db,
        database_url: database_url.to_owned(),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POSTs a query with variables and returns the whole JSON response.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.client
            .post(self.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON response")
    }

    /// POSTs a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let resp = self.query(query, variables).await;
        assert!(resp.get("errors").is_none(), "unexpected errors: {resp}");
        resp["data"].clone()
    }

    /// POSTs a query with an API key (`None`: anonymous); returns the whole JSON response.
    pub async fn query_as(&self, key: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .header("x-request-id", "test-request")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        req.send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON response")
    }

    /// Like [`Self::query_as`] for a request that must succeed; returns its `data`.
    pub async fn data_as(&self, key: Option<&str>, query: &str, variables: Value) -> Value {
        let resp = self.query_as(key, query, variables).await;
        assert!(resp.get("errors").is_none(), "unexpected errors: {resp}");
        resp["data"].clone()
    }

    /// Creates an API key directly in the database and returns its secret.
    pub async fn key(
        &self,
        role: cluster_directory::domain::Role,
        region: Option<&str>,
        cluster: Option<&str>,
    ) -> String {
        cluster_directory::services::keys::create(
            &self.db.conn,
            &cluster_directory::services::keys::NewKey {
                name: format!("{role:?} test key"),
                role,
                region: region.map(str::to_owned),
                cluster: cluster.map(str::to_owned),
                expires_at: None,
            },
        )
        .await
        .expect("key")
        .1
    }

    /// Adds a generated synthetic dataset to the database.
    pub async fn generate(&self, args: cluster_directory::config::GenerateArgs) {
        cluster_directory::services::generate::generate(&self.db.conn, &args)
            .await
            .expect("generate");
    }

    /// Rows in a table, to show that a refused write changed nothing.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .sql_row(format!("SELECT COUNT(*) AS n FROM {table}"))
            .await;
        row.try_get("", "n").expect("n")
    }

    /// The first row of a statement sent to the database directly, for what GraphQL does not
    /// show: the database's own state.
    pub async fn sql_row(&self, sql: String) -> sea_orm::QueryResult {
        self.db
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.backend(),
                sql.clone(),
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("{sql}: no row"))
    }

    /// POSTs a query that must fail and returns the first error's `extensions.code`.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let resp = self.query(query, variables).await;
        resp["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error: {resp}"))
            .to_owned()
    }
}

/// The throwaway PostgreSQL cluster of this test process.
pub struct PgServer {
    port: u16,
}

impl PgServer {
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

fn as_postgres(program: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn pg_bin(name: &str) -> String {
    for dir in ["/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin"] {
        let p = PathBuf::from(dir).join(name);
        if p.exists() {
            return p.display().to_string();
        }
    }
    name.to_owned()
}

/// Starts the cluster once per test process; a watchdog stops it when the process exits.
pub fn postgres() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dir = PathBuf::from(format!("/tmp/cluster-directory-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("pg dir");
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
        let data = dir.join("data");
        let out = as_postgres(&pg_bin("initdb"))
            .args(["-D"]).arg(&data)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"])
            .output()
            .expect("run initdb");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let opts = format!("-k {} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", dir.display());
        let out = as_postgres(&pg_bin("pg_ctl"))
            .args(["-D"]).arg(&data)
            .args(["-o", &opts, "-l"]).arg(dir.join("log"))
            .args(["-w", "start"])
            .output()
            .expect("run pg_ctl");
        assert!(out.status.success(), "pg_ctl start failed: {}", String::from_utf8_lossy(&out.stderr));
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            ctl = if is_root() { format!("runuser -u postgres -- {}", pg_bin("pg_ctl")) } else { pg_bin("pg_ctl") },
            data = data.display(),
            dir = dir.display(),
        );
        // The watchdog outlives this process on purpose: it stops the cluster once we exit.
        #[allow(clippy::zombie_processes)]
        Command::new("sh").args(["-c", &stop]).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().expect("watchdog");
        PgServer { port }
    })
}

/// The folder of the npm packages the tests drive the server with, installed from the lock
/// file once per test process.
pub fn js_dir() -> PathBuf {
    static INSTALL: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let mut installed = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if !*installed && !dir.join("node_modules/.package-lock.json").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm runs (Node.js and npm are needed for these tests)");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    *installed = true;
    dir
}

/// Runs `node SCRIPT ARGS…` in the npm folder and returns its output.
pub async fn node(script: &str, args: Vec<String>) -> std::process::Output {
    let dir = js_dir();
    let script = script.to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args(args)
            .current_dir(dir)
            .output()
            .expect("node runs")
    })
    .await
    .expect("node finishes")
}

/// A `graphql-ws` client subscribed through the npm package; stopped when dropped.
pub struct Subscriber {
    field: &'static str,
    child: std::process::Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<Value>,
}

impl Subscriber {
    /// Subscribes to `query`, whose root field is `field`, with an API key when given.
    pub fn start(
        url: String,
        query: &str,
        variables: Value,
        key: Option<&str>,
        field: &'static str,
    ) -> Self {
        use std::io::BufRead;
        let dir = js_dir();
        let mut child = std::process::Command::new("node")
            .arg("subscribe.mjs")
            .arg(url)
            .arg(query)
            .arg(variables.to_string())
            .args(key)
            .current_dir(dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
        Self {
            field,
            child,
            lines,
        }
    }

    /// The next update (a safety timeout keeps a broken run from hanging).
    pub async fn next(&mut self) -> Value {
        loop {
            let line = tokio::time::timeout(std::time::Duration::from_secs(20), self.lines.recv())
                .await
                .expect("a message within 20 s")
                .expect("the subscriber runs");
            if let Some(error) = line.get("error") {
                panic!("subscription failed: {error}");
            }
            if let Some(next) = line.get("next") {
                return next["data"][self.field].clone();
            }
        }
    }

    /// The `extensions.code` of the error the subscription is refused with (or the message of a
    /// protocol error).
    pub async fn error(&mut self) -> String {
        loop {
            let line = tokio::time::timeout(std::time::Duration::from_secs(20), self.lines.recv())
                .await
                .expect("a message within 20 s")
                .expect("the subscriber runs");
            if let Some(error) = line.get("error") {
                return error.as_str().unwrap_or_default().to_owned();
            }
            if let Some(code) = line["next"]["errors"][0]["extensions"]["code"].as_str() {
                return code.to_owned();
            }
            if line.get("next").is_some() {
                panic!("expected the subscription to be refused: {line}");
            }
        }
    }

    /// Waits until the subscription hears something, by making warm-up changes until one arrives.
    pub async fn warm_up<F, Fut>(&mut self, mut create: F) -> Value
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        for _ in 0..100 {
            create().await;
            if let Ok(Some(line)) =
                tokio::time::timeout(std::time::Duration::from_millis(200), self.lines.recv()).await
                && let Some(next) = line.get("next")
            {
                return next["data"][self.field].clone();
            }
        }
        panic!("the subscription never heard an event");
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
