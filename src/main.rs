//! The `kosync-contract` command line: a thin shell over the library.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use kosync_contract::exit::Outcome;
use kosync_contract::{contract, protocol, server};

/// Contract tests and a fake server for KOReader / BookLore reading-progress sync.
///
/// Exit codes of the verify commands: 0 conformant, 1 a MUST rule failed,
/// 2 the harness could not do its job (bad usage, target unreachable, adapter crashed),
/// 3 (verify-server) a MUST rule could not be checked on this target.
#[derive(Parser)]
#[command(name = "kosync-contract", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify both sides against the built-in targets and print one summary.
    Verify(contract::verify::VerifyArgs),
    /// Verify a sync server against the contract, rule by rule (the built-in fake server without --base-url).
    VerifyServer(contract::server::cli::VerifyServerArgs),
    /// Verify a client against the contract (the reference model without --adapter):
    /// the client features, then the differential run.
    VerifyClient(contract::client::cli::VerifyClientArgs),
    /// Run the fake sync server (BookLore or kosync dialect) with its admin API.
    Serve(server::cli::ServeArgs),
    /// Serve the reference client model over the stdio adapter protocol (docs/adapter-protocol.md).
    Adapter(kosync_contract::adapter::stdio::AdapterArgs),
    /// Print the KOReader partial-MD5 document hash of each file (md5sum-style: HASH  PATH).
    Hash {
        /// Files to hash.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Render the features as a readable spec: Markdown per feature plus one HTML page.
    Docs(contract::docs::DocsArgs),
    /// List every rule of the catalogue with the scenarios that cover it.
    Rules(contract::docs::RulesArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Verify(args) => contract::verify::run(args),
        Command::VerifyServer(args) => contract::server::cli::run(args),
        Command::VerifyClient(args) => contract::client::cli::run(args),
        Command::Serve(args) => server::cli::run(args),
        Command::Adapter(args) => kosync_contract::adapter::stdio::run(args),
        Command::Hash { files } => hash_files(&files),
        Command::Docs(args) => contract::docs::run_docs(&args),
        Command::Rules(args) => contract::docs::run_rules(&args),
    };
    // The one place an outcome becomes the process's exit code.
    ExitCode::from(outcome)
}

/// Hash every file, reporting unreadable ones on stderr and still hashing the rest.
fn hash_files(files: &[PathBuf]) -> Outcome {
    let mut failed = false;
    for path in files {
        match protocol::hash::partial_md5_file(path) {
            Ok(hash) => println!("{hash}  {}", path.display()),
            Err(err) => {
                failed = true;
                eprintln!("kosync-contract hash: {}: {err}", path.display());
            }
        }
    }
    if failed {
        Outcome::HarnessError
    } else {
        Outcome::SUCCESS
    }
}
