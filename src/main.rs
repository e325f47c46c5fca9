//! The `kosync-contract` command line: a thin shell over the library.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use kosync_contract::exit::Outcome;
use kosync_contract::{contract, protocol, server};

/// Contract tests and a fake server for KOReader / BookLore reading-progress sync.
///
/// Exit codes of the verify commands: 0 conformant; 1 a gating rule failed (a
/// MUST rule, or an INTERPRETATION rule as the target's profile reads it;
/// SHOULD failures are reported without changing the code); 2 the harness
/// could not do its job (bad usage, target unreachable, adapter crashed);
/// 3 (verify-server) nothing failed but a MUST rule could not be checked on
/// the target (--allow-skips accepts such a partial run).
#[derive(Parser)]
#[command(name = "kosync-contract", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify both sides against the built-in targets and print one summary.
    Verify(contract::verify::VerifyArgs),
    /// Verify a sync server against the contract, rule by rule (the built-in fake server without --base-url).
    // Boxed: its many flags make it much larger than the other commands.
    VerifyServer(Box<contract::server::cli::VerifyServerArgs>),
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
    /// Print a shell completion script, e.g. `kosync-contract completions bash > ~/.local/share/bash-completion/completions/kosync-contract`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `--version`: the crate version and the size of the catalogue it checks, so a
/// CI log says which contract a verdict was reached against.
fn version() -> String {
    format!(
        "{} (catalogue: {} rules)",
        env!("CARGO_PKG_VERSION"),
        contract::catalogue::all().len()
    )
}

/// The command line with its run-time `--version` text (leaked: clap wants a
/// `'static` string, and it is built once or twice per process).
fn command() -> clap::Command {
    let version: &'static str = Box::leak(version().into_boxed_str());
    Cli::command().version(version)
}

fn main() -> ExitCode {
    let cli = match Cli::from_arg_matches(&command().get_matches()) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let outcome = match cli.command {
        Command::Verify(args) => contract::verify::run(args),
        Command::VerifyServer(args) => contract::server::cli::run(*args),
        Command::VerifyClient(args) => contract::client::cli::run(args),
        Command::Serve(args) => server::cli::run(args),
        Command::Adapter(args) => kosync_contract::adapter::stdio::run(args),
        Command::Hash { files } => hash_files(&files),
        Command::Docs(args) => contract::docs::run_docs(&args),
        Command::Rules(args) => contract::docs::run_rules(&args),
        Command::Completions { shell } => {
            // Rendered first, then written: a closed pipe (`… | head`) is the
            // reader's choice, not a panic.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command(), "kosync-contract", &mut script);
            contract::report::say(&String::from_utf8_lossy(&script));
            Outcome::SUCCESS
        }
    };
    // The one place an outcome becomes the process's exit code.
    ExitCode::from(outcome)
}

/// Hash every file, reporting unreadable ones on stderr and still hashing the rest.
fn hash_files(files: &[PathBuf]) -> Outcome {
    let mut failed = false;
    for path in files {
        match protocol::hash::partial_md5_file(path) {
            Ok(hash) => contract::report::say(&format!("{hash}  {}\n", path.display())),
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
