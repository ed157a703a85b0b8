//! ca-cli: the companion CLI of privca.
mod cli;
mod client;
mod cmd;
mod pki;
mod util;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cmd::run(args) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
