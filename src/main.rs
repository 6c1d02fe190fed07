//! The `cluster-directory` command: parses the command line and hands over to the library.

use clap::Parser;
use cluster_directory::config::{Cli, Command, ImportArgs, KeysCommand};
use cluster_directory::db::Database;
use cluster_directory::error::AppError;
use cluster_directory::{graphql, services, startup::Application, telemetry};
use std::process::ExitCode;

/// mimalloc: many small, short-lived allocations per request from several threads, where it
/// measured faster than the system allocator (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_json);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            match err {
                AppError::Internal(cause) => {
                    eprintln!("error: {}", cluster_directory::error::chain(cause.as_ref()))
                }
                AppError::Invalid(errors) => {
                    eprintln!("error: {} problem(s); nothing was written", errors.len());
                    for e in errors {
                        eprintln!("  {}: {}", e.field, e.message);
                    }
                }
                other => eprintln!("error: {}", other.public_message()),
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        Some(Command::Schema(args)) => {
            let schema = graphql::build_schema(true);
            let sdl = match args.federation {
                true => schema.federation_sdl().unwrap_or_default(),
                false => schema.sdl(),
            };
            println!("{sdl}");
            Ok(())
        }
        Some(Command::Migrate) => {
            Database::connect(&cli.database_url, 1)
                .await?
                .migrate()
                .await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Some(Command::Generate(args)) => {
            let db = Database::connect(&cli.database_url, 2).await?;
            db.migrate().await?;
            let started = std::time::Instant::now();
            let done = services::generate::generate(&db.conn, &args).await?;
            tracing::info!(
                ?done,
                seconds = started.elapsed().as_secs_f64(),
                "synthetic dataset written"
            );
            Ok(())
        }
        Some(Command::Keys(command)) => {
            let db = Database::connect(&cli.database_url, 1).await?;
            db.migrate().await?;
            keys(&db, command).await
        }
        Some(Command::Export { output }) => {
            let db = Database::connect(&cli.database_url, 2).await?;
            db.migrate().await?;
            let started = std::time::Instant::now();
            let lines = match output {
                Some(path) => {
                    let file = std::fs::File::create(&path).map_err(|e| {
                        AppError::bad_input("output", format!("{}: {e}", path.display()))
                    })?;
                    let mut out = std::io::BufWriter::new(file);
                    services::export::write(db.conn.clone(), &mut out).await?
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout());
                    services::export::write(db.conn.clone(), &mut out).await?
                }
            };
            tracing::info!(
                lines,
                seconds = started.elapsed().as_secs_f64(),
                "export written"
            );
            Ok(())
        }
        Some(Command::CompactChanges { older_than_days }) => {
            let db = Database::connect(&cli.database_url, 1).await?;
            db.migrate().await?;
            let before = chrono::Utc::now() - chrono::Duration::days(i64::from(older_than_days));
            let gone = services::changes::compact(&db.conn, before).await?;
            eprintln!("deleted {gone} change-feed entries written before {before}");
            Ok(())
        }
        Some(Command::Import(args)) => {
            let db = Database::connect(&cli.database_url, 1).await?;
            db.migrate().await?;
            import(&db, args).await
        }
        Some(Command::Serve(args)) => serve(&cli.database_url, args).await,
        None => serve(&cli.database_url, cli.serve).await,
    }
}

/// `import FILE --cluster SLUG`, as the operator.
async fn import(db: &Database, args: ImportArgs) -> Result<(), AppError> {
    use cluster_directory::entities::cluster;
    use cluster_directory::services::access::Caller;
    use cluster_directory::services::audit::Actor;
    use cluster_directory::services::import::{ImportFormat, import};
    use cluster_directory::services::write::Write;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let format = match args.file.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("csv") => ImportFormat::Csv,
        Some(e) if e.eq_ignore_ascii_case("json") => ImportFormat::Json,
        _ => {
            return Err(AppError::bad_input("file", "name a `.csv` or `.json` file"));
        }
    };
    let data = std::fs::read_to_string(&args.file).map_err(|e| {
        AppError::bad_input(
            "file",
            format!("{} cannot be read: {e}", args.file.display()),
        )
    })?;
    let started = std::time::Instant::now();
    let w = Write::begin(
        db,
        Actor {
            caller: Caller::Operator,
            request_id: None,
        },
    )
    .await?;
    let target = cluster::Entity::find()
        .filter(cluster::Column::Slug.eq(args.cluster.trim()))
        .one(&w.txn)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!("no cluster has the slug `{}`", args.cluster))
        })?;
    let report = import(&w, target.id, format, &data, args.dry_run).await?;
    if !args.dry_run {
        w.commit().await?;
    }
    println!("{report:#?}");
    eprintln!("done in {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `keys create|list|revoke`, as the operator; creation and revocation are audited.
async fn keys(db: &Database, command: KeysCommand) -> Result<(), AppError> {
    use cluster_directory::domain::Role;
    use cluster_directory::services::access::Caller;
    use cluster_directory::services::audit::Actor;
    use cluster_directory::services::keys::{self, NewKey};
    use cluster_directory::services::write::Write;

    let actor = Actor {
        caller: Caller::Operator,
        request_id: None,
    };
    match command {
        KeysCommand::Create {
            name,
            role,
            region,
            cluster,
            expires_at,
        } => {
            let role = match role.as_str() {
                "admin" => Role::Admin,
                "steward" => Role::Steward,
                "cluster-manager" => Role::ClusterManager,
                _ => Role::Reader,
            };
            let w = Write::begin(db, actor).await?;
            let (key, secret) = keys::issue(
                &w,
                &NewKey {
                    name,
                    role,
                    region,
                    cluster,
                    expires_at,
                },
            )
            .await?;
            w.commit().await?;
            println!("{secret}");
            eprintln!(
                "created key {} ({:?}); the secret above is shown only this once",
                key.prefix, key.role
            );
        }
        KeysCommand::List => {
            println!("prefix\trole\tname\tcreated\texpires\trevoked");
            for k in keys::list(&db.conn).await? {
                let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".to_owned())
                };
                println!(
                    "{}\t{:?}\t{}\t{}\t{}\t{}",
                    k.prefix,
                    k.role,
                    k.name,
                    k.created_at.to_rfc3339(),
                    when(k.expires_at),
                    when(k.revoked_at)
                );
            }
        }
        KeysCommand::Revoke { key } => {
            let w = Write::begin(db, actor).await?;
            let found = keys::find(&w.txn, &key).await?;
            keys::withdraw(&w, found).await?;
            w.commit().await?;
            eprintln!("key {key} is revoked");
        }
    }
    Ok(())
}

async fn serve(
    database_url: &str,
    args: cluster_directory::config::ServeArgs,
) -> Result<(), AppError> {
    let app = Application::build(database_url, &args).await?;
    let addr = app.local_addr();
    tracing::info!(%addr, "listening");
    println!(
        "cluster-directory is running: GraphQL playground at http://{addr}/ (endpoint http://{addr}/graphql)"
    );
    app.run().await
}
