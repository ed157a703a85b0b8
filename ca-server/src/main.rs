//! ca-server: the privca daemon. Thin layers over ca-core and ca-store: it unlocks the issuing
//! keys, serves the HTTPS API (tokio-rustls) and the plain-HTTP publication listener.
mod acme;
mod app;
mod args;
mod devhome;
mod http;
mod metrics;
mod revocation;
mod serve;
mod server_cert;
mod tls;

use anyhow::Result;
use clap::Parser;

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PRIVCA_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = args::Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if let Err(e) = runtime.block_on(serve::run(args)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
    Ok(())
}
