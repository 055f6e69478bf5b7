//! Command line: kubectl- and aws-CLI-like flags.

pub mod docs;
pub mod query;

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

pub use crate::query::args::{
    ActionArgs, CanIArgs, QueryOutputArgs, QuestionArgs, ReachArgs, WhoCanArgs,
};
use crate::report::Format;
pub use crate::source::Target;

#[derive(Debug, Parser)]
#[command(
    name = "iamscope",
    version,
    about = "Audit who can do what in a Kubernetes cluster on AWS: IRSA, Pod Identity, IAM, RBAC, aws-auth, access entries, API server authentication",
    long_about = None,
    after_help = "Examples:\n  iamscope audit --demo --format table       audit the bundled demo snapshot\n  iamscope audit --from ./snap --format json audit a snapshot directory\n  iamscope audit --from ./snap --fail-on high --format sarif > iamscope.sarif"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub target: Target,

    /// More log output on stderr (-v, -vv); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit and print a report (json, sarif, markdown, table)
    Audit(AuditArgs),
    /// Collect from the live cluster and account and write a snapshot directory
    Snapshot(SnapshotArgs),
    // can-i, who-can and reach, in this place: the questions' own grammar
    // (`query::args`), which the UI reads its questions with too.
    #[command(flatten)]
    Question(QuestionArgs),
    /// Print a shell completion script: iamscope completions bash > /etc/bash_completion.d/iamscope
    Completions(CompletionsArgs),
    /// Print a manual page (roff): iamscope man > iamscope.1; man ./iamscope.1
    Man(ManArgs),
    /// What changed between two audits: findings new, resolved, changed, and the objects underneath
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The page of one command (iamscope-COMMAND(1)) instead of iamscope(1)
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// How the program was called: as `kubectl-iamscope` (a kubectl plugin, run as
/// `kubectl iamscope …`) its usage lines say `kubectl iamscope`, else `iamscope`.
/// kubectl runs a plugin with the plugin's path as argv[0] and the words after
/// `kubectl iamscope` as the arguments
/// (https://kubernetes.io/docs/tasks/extend-kubectl/kubectl-plugins/).
pub fn bin_name(argv0: &std::ffi::OsStr) -> &'static str {
    let file = std::path::Path::new(argv0)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if file == "kubectl-iamscope" {
        "kubectl iamscope"
    } else {
        "iamscope"
    }
}

impl Cli {
    /// Parse the process's arguments (clap's errors and `--help` exit here),
    /// naming the program as it was called (see [`bin_name`]).
    pub fn parse_env() -> Cli {
        let mut args = std::env::args_os();
        let argv0 = args.next().unwrap_or_default();
        Cli::parse_with(bin_name(&argv0), std::iter::once(argv0).chain(args))
    }

    /// As [`Cli::parse_env`] for given arguments (the first is the program).
    pub fn parse_with<I, T>(bin: &str, args: I) -> Cli
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Cli::command().bin_name(bin).get_matches_from(args);
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "OLD and NEW are snapshot directories or JSON reports (audit --format json); with snapshots\nthe objects that changed underneath (bindings, roles, trust policies, …) are shown too.\nWith one directory of dated snapshots (snapshot DIR --keep N), its last two are compared.\n\nExamples:\n  iamscope diff ./snap-monday ./snap-tuesday\n  iamscope diff baseline.json ./snap --fail-on high\n  iamscope diff /var/lib/iamscope --format markdown"
)]
pub struct DiffArgs {
    /// The earlier snapshot directory or JSON report (or a directory of dated snapshots)
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The later snapshot directory or JSON report
    #[arg(value_name = "NEW")]
    pub new: Option<PathBuf>,

    /// Output format
    #[arg(
        long,
        short = 'o',
        value_enum,
        default_value = "table",
        visible_alias = "output"
    )]
    pub format: DiffFormat,

    /// Exit 1 when a new or worsened finding has this severity or worse
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<crate::audit::Severity>,

    /// Also report grants made by Kubernetes' own bootstrap bindings (snapshots)
    #[arg(long)]
    pub include_system: bool,

    /// Judge age-based rules (IAM-006, unused for 90 days) as of this time instead of the current one: RFC 3339 (2026-12-01T00:00:00Z) or a date (2026-12-01, midnight UTC); a report made twice then reads the same
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Directory to write (created 0700; files 0600)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Write a dated snapshot (DIR/snapshot-YYYYMMDDTHHMMSSZ) and keep the newest N of them
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub keep: Option<u64>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Report format
    #[arg(
        long,
        short = 'o',
        value_enum,
        default_value = "table",
        visible_alias = "output"
    )]
    pub format: Format,

    /// Exit 1 when a finding of this severity or worse exists
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<crate::audit::Severity>,

    /// Also report grants made by Kubernetes' own bootstrap bindings
    #[arg(long)]
    pub include_system: bool,

    /// Report each RBAC rule a cluster-admin subject raises, not only its RBAC-001
    #[arg(long)]
    pub all_rules: bool,

    /// Write the report to a file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// List at most N related subjects per finding (the rest are counted in related_total); 0 lists all
    #[arg(long, value_name = "N", default_value_t = crate::audit::MAX_RELATED)]
    pub max_related: usize,

    /// List accepted (suppressed) findings in table and markdown output too
    #[arg(long)]
    pub show_suppressed: bool,

    /// Judge age-based rules (IAM-006, unused for 90 days) as of this time instead of the current one: RFC 3339 (2026-12-01T00:00:00Z) or a date (2026-12-01, midnight UTC); a report made twice then reads the same
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<jiff::Timestamp>,
}

fn parse_now(s: &str) -> Result<jiff::Timestamp, String> {
    let s = s.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    s.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            format!(
                "{s:?} is not a time: use RFC 3339 (2026-12-01T00:00:00Z) or a date (2026-12-01)"
            )
        })
}

fn parse_severity(s: &str) -> Result<crate::audit::Severity, String> {
    crate::audit::Severity::parse(s)
        .ok_or_else(|| format!("{s:?} is not a severity: use critical, high, medium, low or info"))
}
