//! The `cluster-directory` command: parses the command line and hands over to the library.

use clap::Parser;
use cluster_directory::config::{Cli, Command};
use cluster_directory::db::Database;
use cluster_directory::error::AppError;
use cluster_directory::{graphql, services, startup::Application, telemetry};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            match err {
                AppError::Internal(cause) => {
                    eprintln!("error: {}", cluster_directory::error::chain(cause.as_ref()))
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
        Some(Command::Serve(args)) => serve(&cli.database_url, args).await,
        None => serve(&cli.database_url, cli.serve).await,
    }
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
