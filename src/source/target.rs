//! Where to read from: a snapshot directory, the bundled demo, or live (kubeconfig
//! context, AWS profile and region). The command line flattens it into every
//! command; tests, benchmarks and the UI's `:ctx` build one without clap parsing.
//! It names places only (with the two files that go with an audit: the
//! baseline report and the acceptance file): reading them is `source::load`'s
//! and `drift::Extras::read`'s job.

use std::path::PathBuf;

use clap::Args;

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

    /// Mark findings new, unchanged or absent against an earlier JSON report (audit, UI); --fail-on counts new ones only
    #[arg(long, value_name = "REPORT.json", global = true)]
    pub baseline: Option<PathBuf>,

    /// Accepted risks (YAML); default .iamscope.yaml in or beside the snapshot directory
    #[arg(long, value_name = "FILE", global = true)]
    pub accept: Option<PathBuf>,
}
