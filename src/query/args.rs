//! The questions' grammar: the words and flags of `can-i`, `who-can` and
//! `reach` (clap), and the action they name. The command line flattens
//! [`QuestionArgs`] into its commands; the UI reads `:can`, `:who` and `:reach`
//! with [`QuestionLine`], the same grammar, so both accept exactly the same
//! questions (one notation, one parser). Parsing only: asking is `Asker`'s.

use clap::{Args, Parser, Subcommand};

use super::Action;
use super::action::{KubeScope, parse_action};
use crate::source::Target;

/// The three questions, as commands.
#[derive(Debug, Subcommand)]
pub enum QuestionArgs {
    /// Can SUBJECT do ACTION, by any path across Kubernetes and AWS? (exit 0 yes, 1 no, 3 conditional)
    #[command(name = "can-i")]
    CanI(CanIArgs),
    /// Who can do ACTION: every subject on both sides, shortest path first
    #[command(name = "who-can")]
    WhoCan(WhoCanArgs),
    /// The blast radius of SUBJECT: Kubernetes rules, identities, IAM roles and their permissions
    Reach(ReachArgs),
}

/// A question as the command line takes it, program name first: one of the
/// three commands with the command line's global flags (where to read from,
/// `-v`), which a question asked of an inventory already read accepts and
/// leaves aside. `cli::Cli` declares the same global flags; a test holds the
/// two grammars' help equal.
#[derive(Debug, Parser)]
#[command(name = "iamscope")]
pub struct QuestionLine {
    #[command(subcommand)]
    pub question: QuestionArgs,

    #[command(flatten)]
    pub target: Target,

    /// More log output on stderr (-v, -vv); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The action that `words` name, scoped by the flags of `a`.
pub fn action_of(words: &[String], a: &ActionArgs) -> Result<Action, String> {
    let scope = KubeScope {
        namespace: a.namespace.clone(),
        all_namespaces: a.all_namespaces,
        subresource: a.subresource.clone(),
    };
    parse_action(words, &scope, &a.context_entry, a.context_complete)
}

/// How a question's action is scoped (kubectl's flags) and its AWS context.
#[derive(Debug, Args, Clone, Default)]
pub struct ActionArgs {
    /// Namespace of a Kubernetes request (default: default)
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,

    /// A Kubernetes request in every namespace (as kubectl -A)
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// Subresource of a Kubernetes request (log, exec, status, …)
    #[arg(long, value_name = "SUB")]
    pub subresource: Option<String>,

    /// AWS request context KEY=VALUE (repeatable; a key given twice has several values)
    #[arg(long = "context-entry", value_name = "KEY=VALUE")]
    pub context_entry: Vec<String>,

    /// The AWS request carries no other context keys (they are absent, not unknown)
    #[arg(long)]
    pub context_complete: bool,
}

#[derive(Debug, Args)]
pub struct QueryOutputArgs {
    /// Output format
    #[arg(
        long = "output",
        short = 'o',
        value_enum,
        default_value = "table",
        visible_alias = "format"
    )]
    pub format: super::output::QueryFormat,

    /// Paths (or subjects) shown in table and markdown output; json has all; 0 shows all
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  iamscope can-i --demo --as system:serviceaccount:ci:deployer create pods -n ci\n  iamscope can-i --demo --as group:sre s3:GetObject 'arn:aws:s3:::bucket/x'\n  iamscope can-i --demo --as arn:aws:iam::111122223333:role/x --direct --context-complete '*:*'\n  iamscope can-i --demo --batch questions.jsonl"
)]
pub struct CanIArgs {
    /// The subject: system:serviceaccount:NS:NAME, pod:NS/NAME, group:NAME, a user NAME, or an IAM role/user/assumed-role ARN
    #[arg(long = "as", value_name = "SUBJECT", required_unless_present = "batch")]
    pub as_subject: Option<String>,

    /// A group of the user (repeatable), as kubectl --as-group
    #[arg(long = "as-group", value_name = "GROUP")]
    pub as_group: Vec<String>,

    /// Only the subject's own credentials, not what it can become or assume
    #[arg(long)]
    pub direct: bool,

    /// Answer JSON questions, one a line, from FILE (- for standard input)
    #[arg(long, value_name = "FILE", conflicts_with = "as_subject")]
    pub batch: Option<String>,

    #[command(flatten)]
    pub action_args: ActionArgs,

    #[command(flatten)]
    pub output: QueryOutputArgs,

    /// VERB TYPE[.GROUP][/NAME], VERB /URL, or SERVICE:Action [RESOURCE_ARN]
    #[arg(value_name = "ACTION", num_args = 0..)]
    pub action: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WhoCanArgs {
    #[command(flatten)]
    pub action_args: ActionArgs,

    /// Also list Kubernetes' own system subjects (system:* users and groups, kube-system controllers)
    #[arg(long)]
    pub include_system: bool,

    #[command(flatten)]
    pub output: QueryOutputArgs,

    /// VERB TYPE[.GROUP][/NAME], VERB /URL, or SERVICE:Action [RESOURCE_ARN]
    #[arg(value_name = "ACTION", num_args = 1.., required = true)]
    pub action: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReachArgs {
    /// The subject (as can-i --as)
    #[arg(value_name = "SUBJECT")]
    pub subject: String,

    /// A group of the user (repeatable), as kubectl --as-group
    #[arg(long = "as-group", value_name = "GROUP")]
    pub as_group: Vec<String>,

    #[command(flatten)]
    pub output: QueryOutputArgs,
}
