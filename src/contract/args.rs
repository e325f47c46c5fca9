//! The flags every verify command (`verify`, `verify-server`, `verify-client`)
//! takes, declared once and flattened into each command's arguments.

use super::report::ReportFiles;

/// What to run and where the report goes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CommonVerifyArgs {
    /// Only scenarios matching this tag expression, e.g. `@S-PULL-2 or @C-PUSH-6`.
    #[arg(long, value_name = "EXPR")]
    pub tags: Option<String>,
    /// Seed of the random cases, to replay a run.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Where the report goes besides the terminal.
    #[command(flatten)]
    pub report: ReportFiles,
}
