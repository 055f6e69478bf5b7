//! Command line: kubectl- and aws-CLI-like flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

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
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Directory to write (created 0700; files 0600)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// Where to read from: a snapshot directory, the bundled demo, or (later) live.
#[derive(Debug, Args, Clone, Default)]
pub struct Target {
    /// Read a snapshot directory (kubectl/aws outputs) instead of a live cluster
    #[arg(long, value_name = "DIR", global = true, conflicts_with = "demo")]
    pub from: Option<PathBuf>,

    /// Use the bundled demo snapshot of an EKS cluster
    #[arg(long, global = true)]
    pub demo: bool,

    /// Kubeconfig file(s) to audit (CFG rules) and, live, to connect with; as KUBECONFIG, ':'-separated
    #[arg(long, value_name = "PATH", global = true)]
    pub kubeconfig: Option<String>,

    /// Kubeconfig context to use (live)
    #[arg(long, value_name = "NAME", global = true)]
    pub context: Option<String>,

    /// AWS profile (live)
    #[arg(long, value_name = "NAME", global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,

    /// AWS region (live)
    #[arg(long, value_name = "REGION", global = true)]
    pub region: Option<String>,

    /// EKS cluster name (live; inferred from the kubeconfig when omitted)
    #[arg(long, value_name = "NAME", global = true)]
    pub cluster_name: Option<String>,
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
}

fn parse_severity(s: &str) -> Result<crate::audit::Severity, String> {
    crate::audit::Severity::parse(s)
        .ok_or_else(|| format!("{s:?} is not a severity: use critical, high, medium, low or info"))
}
