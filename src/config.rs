//! The command line and environment: every option documented in `--help`.

use clap::{Parser, Subcommand};
use std::net::IpAddr;

/// The default database: a SQLite file in the working directory, created when missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://cluster-directory.db?mode=rwc";

/// cluster-directory: the GraphQL directory of Europe's sport & vitality innovation clusters.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    /// Database to use: `sqlite://FILE?mode=rwc` (the default, embedded) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Write logs as JSON lines instead of text.
    #[arg(long, env = "LOG_JSON", global = true)]
    pub log_json: bool,

    /// What to do; without a command the server starts.
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve(ServeArgs),
    /// Write a deterministic synthetic dataset of the given size into the database.
    Generate(GenerateArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) the server serves.
    Schema(SchemaArgs),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Write every public row as NDJSON (one JSON object per line), ending with the change-feed
    /// cursor to continue from; the same as `GET /export.ndjson`.
    Export {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Delete change-feed entries older than the retention; clients with older cursors must
    /// take a new export.
    CompactChanges {
        /// Keep the entries of this many days.
        #[arg(long, default_value_t = 90)]
        older_than_days: u32,
    },
    /// Import organisations with their membership and contacts into a cluster from a CSV or JSON
    /// file: all rows or none; importing the same file again updates instead of duplicating.
    Import(ImportArgs),
}

/// The `keys` commands.
#[derive(Debug, Clone, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print its secret, which is shown only this once.
    Create {
        /// Whose key it is and what for, e.g. `INDESCAT cluster office`.
        #[arg(long)]
        name: String,
        /// What the key may do: admin, steward, cluster-manager or reader.
        #[arg(long, value_parser = ["admin", "steward", "cluster-manager", "reader"])]
        role: String,
        /// For stewards: the NUTS code of their region, e.g. `NL4`.
        #[arg(long)]
        region: Option<String>,
        /// For cluster managers: the slug of their cluster, e.g. `indescat`.
        #[arg(long)]
        cluster: Option<String>,
        /// When the key stops working (RFC 3339, e.g. `2027-12-31T23:59:59Z`); never when omitted.
        #[arg(long)]
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// List every key (never their secrets).
    List,
    /// Revoke a key at once.
    Revoke {
        /// The key's prefix (as `list` shows it) or id. Prefixes may begin with `-`.
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
}

/// Options of `import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The file: `.csv` (with a header row) or `.json` (an array of objects).
    pub file: std::path::PathBuf,
    /// Slug of the cluster the organisations join, e.g. `indescat`.
    #[arg(long)]
    pub cluster: String,
    /// Only check the file and report what would change.
    #[arg(long)]
    pub dry_run: bool,
}

/// Options of `schema`.
#[derive(Debug, Clone, clap::Args)]
pub struct SchemaArgs {
    /// Print the federation subgraph SDL (what `_service { sdl }` answers and composition reads)
    /// instead of the plain schema.
    #[arg(long)]
    pub federation: bool,
}

/// Options of the server.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// Do not apply pending migrations on start.
    #[arg(long, env = "NO_MIGRATE")]
    pub no_migrate: bool,
    /// Do not load the demo dataset into an empty database on start.
    #[arg(long, env = "NO_DEMO_DATA")]
    pub no_demo_data: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Serve the plain schema instead of an Apollo Federation v2 subgraph (no `@key`,
    /// `_entities` or `_service`).
    #[arg(long, env = "NO_FEDERATION")]
    pub no_federation: bool,
    /// Most rows a query may ask for (connection page sizes multiplied along their nesting).
    #[arg(long, env = "MAX_QUERY_COST", default_value_t = 50_000)]
    pub max_query_cost: u64,
    /// Deepest nesting of fields in a query.
    #[arg(long, env = "MAX_QUERY_DEPTH", default_value_t = 12)]
    pub max_query_depth: usize,
    /// Most aliased fields in a query.
    #[arg(long, env = "MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,
    /// Most root fields in a query.
    #[arg(long, env = "MAX_ROOT_FIELDS", default_value_t = 20)]
    pub max_root_fields: usize,
    /// Most directives in a query document.
    #[arg(long, env = "MAX_DIRECTIVES", default_value_t = 50)]
    pub max_directives: usize,
    /// Seconds a request may run before it is stopped (its work cancelled, its writes rolled back).
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 10)]
    pub request_timeout_secs: u64,
    /// Query cost a client address without a key may spend per window.
    #[arg(long, env = "RATE_LIMIT_ANONYMOUS", default_value_t = 100_000)]
    pub rate_limit_anonymous: u64,
    /// Query cost an API key may spend per window.
    #[arg(long, env = "RATE_LIMIT_KEY", default_value_t = 1_000_000)]
    pub rate_limit_key: u64,
    /// The window over which a spent budget refills, in seconds.
    #[arg(long, env = "RATE_LIMIT_WINDOW_SECS", default_value_t = 60)]
    pub rate_limit_window_secs: u64,
    /// Proxies (addresses or IPv4 networks such as `10.0.0.0/8`, comma-separated) whose
    /// `X-Forwarded-For` header names the client; without them the header is ignored.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// Switch off introspection and field suggestions in errors.
    #[arg(long, env = "NO_INTROSPECTION")]
    pub no_introspection: bool,
    /// `max-age` of cacheable answers to GET queries, in seconds.
    #[arg(long, env = "CACHE_MAX_AGE", default_value_t = 60)]
    pub cache_max_age: u32,
    /// Most database connections in the pool. More than a few per core only adds switching
    /// between database processes (docs/benchmarks.md).
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 8)]
    pub max_connections: u32,
    /// Threads that serve requests, each running a single-threaded runtime of its own, with its
    /// own share of the database connections; each new connection goes to the one serving the
    /// fewest. 0 (the default) starts one per core; 1 serves on one runtime whose threads (one
    /// per core) share the work.
    #[arg(long, env = "WORKERS", default_value_t = 0)]
    pub workers: usize,
}

impl ServeArgs {
    /// How many workers serve requests: `workers`, or one per core when it is 0.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }
}

/// Options of `generate`.
#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// Number of clusters.
    #[arg(long, default_value_t = 1_000)]
    pub clusters: u32,
    /// Number of organisations.
    #[arg(long, default_value_t = 100_000)]
    pub organisations: u32,
    /// Number of memberships (at most one per organisation and cluster).
    #[arg(long, default_value_t = 1_000_000)]
    pub memberships: u32,
    /// Number of events.
    #[arg(long, default_value_t = 100_000)]
    pub events: u32,
    /// Seed of the generator: the same seed writes the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}
