//! The `keygate` binary.

#![recursion_limit = "1024"] // the release (non-erased) view types of the app nest deeply

use std::process::ExitCode;

use clap::Parser as _;
use keygate_server::config::{AdminCommand, Cli, Command, Config, VaultCommand};
use keygate_server::{Server, cli, telemetry};

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn serve(config: &Config) -> Result<(), String> {
    let server = Server::bind(config).await.map_err(|e| e.to_string())?;
    tracing::info!(addr = %server.addr, database = if config.database_url().starts_with("postgres") { "postgres" } else { "sqlite" }, "Keygate is listening");
    if let Some(token) = &server.setup_token {
        let url = format!("{}/setup?token={token}", config.public_url());
        tracing::warn!(
            setup_url = %url,
            "No user exists yet. Open this one-time setup URL to create the first organization and its owner."
        );
    }
    server
        .run(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
}

/// Logging (and trace export) is set up before the async runtime exists: the OTLP exporter's
/// blocking HTTP client must not be created or dropped inside it. Spans are flushed after
/// the runtime has stopped.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, None | Some(Command::Serve));
    let telemetry = telemetry::init(&cli.config, serving);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("keygate: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(&cli));
    drop(runtime);
    drop(telemetry);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if serving {
                tracing::error!("{message}");
            }
            eprintln!("keygate: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: &Cli) -> Result<(), String> {
    match &cli.command {
        None | Some(Command::Serve) => serve(&cli.config).await,
        Some(Command::Admin {
            command: AdminCommand::Create { org, email, name },
        }) => cli::admin_create(&cli.config, org, email, name.as_deref())
            .await
            .map(|_| ()),
        Some(Command::Vault {
            command:
                VaultCommand::Rotate {
                    batch_size,
                    max_rows,
                    json,
                },
        }) => cli::vault_rotate(&cli.config, *batch_size, *max_rows, *json).await,
        Some(Command::Token { command }) => cli::tokens::run(&cli.config, command).await,
        Some(Command::Vault {
            command: VaultCommand::Status { json },
        }) => cli::vault_status(&cli.config, *json).await,
        Some(Command::Org { command }) => cli::orgs::run(&cli.config, command).await,
        Some(Command::Project { command }) => cli::projects::run(&cli.config, command).await,
        Some(Command::Key { command }) => cli::keys::run(&cli.config, command).await,
        Some(Command::User { command }) => cli::users::run(&cli.config, command).await,
        Some(Command::Report {
            month,
            day,
            csv,
            json,
            org_id,
        }) => {
            let period = day.as_deref().or(month.as_deref());
            cli::report::run(&cli.config, period, *csv, *json, *org_id).await
        }
        Some(Command::Jwt { command }) => cli::jwts::run(&cli.config, command).await,
        Some(Command::Persona { command }) => cli::personas::run(&cli.config, command).await,
        Some(Command::Audit { command }) => cli::audit::run(&cli.config, command).await,
        Some(Command::Limit { command }) => cli::limits::run(&cli.config, command).await,
        Some(Command::Backup(args)) => {
            cli::backup::run_backup(&cli.config, &args.out, args.json).await
        }
        Some(Command::Restore(args)) => {
            cli::backup::run_restore(&cli.config, &args.from, args.force, args.json).await
        }
    }
}
