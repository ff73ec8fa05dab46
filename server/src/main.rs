//! The `server` binary: parses configuration and runs Botme.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = server::Config::parse();
    server::ops::init_tracing(&config.log);
    match server::run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
