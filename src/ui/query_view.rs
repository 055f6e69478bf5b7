//! Questions in the terminal UI (`../shared/spec/query.md`, "TUI"): `:can`,
//! `:who`, `:reach`, and `a` on the selected row, open a results view.
//!
//! One evaluation: a question is read with the command line's own parser
//! (`crate::cli::Cli`, so `-n`, `-A`, `--subresource`, `--as-group`,
//! `--context-entry`, `--direct` mean what they mean there) and answered by
//! the same `query::Asker` as `iamscope can-i`/`who-can`/`reach`; the view
//! only lays the answer out, and `e`/`E` write it with the command line's own
//! markdown and JSON writers.
//!
//! The question runs on a thread of its own; the UI keeps drawing (a spinner
//! in the status line) and Esc abandons it. When the answer arrives the
//! runner polls faster, so the view opens within a frame of it.

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use clap::Parser;

use super::app::{App, Effect, ScreenKind};
use super::keymap::Action as Key;
use super::views::{Col, Line, Model, Node, Row, Table, Tone};
use crate::cli::{Cli, Command};
use crate::model::Inventory;
use crate::query::answer::{Answer, Decision, Hop, Node as QNode};
use crate::query::output::{self, QueryFormat};
use crate::query::reach::{self, Reach};
use crate::query::{Action, AsSubject, Asker, parse_subject};

/// Rows of paths or subjects a results view lists; the rest are counted in a
/// last row (and are all in the export).
pub const MAX_ROWS: usize = 2000;
/// Lines of one detail pane (a scope's Kubernetes rules, a role's permissions).
const MAX_DETAIL: usize = 500;
/// Answers kept for the history (`[`/`]` and Esc go back to them).
const KEPT: usize = 16;

/// The commands, for the help screen.
pub const HELP: &[(&str, &str)] = &[
    (
        ":can SUBJECT ACTION…",
        "can-i --as SUBJECT, e.g. :can group:sre get pods -n ci",
    ),
    (
        ":who ACTION…",
        "who-can, e.g. :who s3:GetObject arn:aws:s3:::bucket/key",
    ),
    (
        ":reach [SUBJECT]",
        "blast radius (alone: of the selected row)",
    ),
    (
        "in an answer",
        "Enter: hops; Enter on a hop: its view; y copy; e/E export",
    ),
];

/// A question as understood.
#[derive(Debug, Clone)]
pub enum Question {
    CanI {
        subject: AsSubject,
        action: Action,
        direct: bool,
    },
    WhoCan {
        action: Action,
        include_system: bool,
    },
    Reach {
        subject: AsSubject,
    },
}

/// A question with the command line that asks the same (`who-can s3:GetObject …`).
#[derive(Debug, Clone)]
pub struct Asked {
    pub text: String,
    pub question: Question,
}

/// What a question's engine answered.
#[derive(Debug)]
pub enum Outcome {
    Answer(Answer),
    Reach(Reach),
}

/// An answer with its question and how long it took.
#[derive(Debug)]
pub struct Done {
    pub text: String,
    pub outcome: Outcome,
    pub took: Duration,
}

/// A row of a results view, or (with `hop`) of a path's hops view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ref {
    pub id: usize,
    pub item: Item,
    pub hop: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Item {
    /// The decision, the question, misses and coverage.
    Summary,
    /// `answers[i]` of a can-i / who-can answer.
    Path(usize),
    /// `roles[i]` of a reach.
    Role(usize),
    /// `becomes[i]` of a reach.
    Becomes(usize),
    /// The i-th scope of a reach's Kubernetes rules.
    Rules(usize),
    /// `misses[i]` of a `no`.
    Miss(usize),
    /// A source not seen.
    Gap(usize),
    /// The rows left out of a big answer.
    More,
}

/// Split a command line into words; '…' and "…" keep spaces.
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            None => cur.push(c),
        }
    }
    if let Some(q) = quote {
        return Err(format!("unclosed {q} in the command"));
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn shell_word(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/=@,+%".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// Read `:can …`, `:who …` or `:reach …` with the command line's parser.
/// `include_system` is the UI's `s` toggle (who-can's `--include-system`).
pub fn parse(cmd: &str, include_system: bool) -> Result<Asked, String> {
    let words = split_words(cmd.trim().trim_start_matches(':'))?;
    let Some((verb, rest)) = words.split_first() else {
        return Err("empty question".into());
    };
    let (sub, usage) = match verb.as_str() {
        "can" | "can-i" => ("can-i", ":can SUBJECT ACTION…"),
        "who" | "who-can" => ("who-can", ":who ACTION…"),
        "reach" => ("reach", ":reach SUBJECT"),
        other => return Err(format!("not a question: {other}")),
    };
    let mut args: Vec<String> = vec![sub.to_string()];
    if sub == "can-i" && !rest.iter().any(|w| w == "--as" || w.starts_with("--as=")) {
        args.push("--as".into());
    }
    args.extend(rest.iter().cloned());
    if rest.is_empty() {
        return Err(format!("usage: {usage} (? lists the forms)"));
    }
    let argv = std::iter::once("iamscope".to_string()).chain(args.iter().cloned());
    let cli = Cli::try_parse_from(argv).map_err(|e| {
        let text = e.to_string();
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim_start_matches("error: ")
            .to_string();
        format!("{first} — usage: {usage}")
    })?;
    let text = args
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ");
    let question = match cli.command {
        Some(Command::CanI(a)) => {
            if a.batch.is_some() {
                return Err("--batch is for the command line (iamscope can-i --batch FILE)".into());
            }
            let subject = parse_subject(a.as_subject.as_deref().unwrap_or(""), &a.as_group)?;
            let action = crate::cli::query::action_of(&a.action, &a.action_args)?;
            Question::CanI {
                subject,
                action,
                direct: a.direct,
            }
        }
        Some(Command::WhoCan(a)) => Question::WhoCan {
            action: crate::cli::query::action_of(&a.action, &a.action_args)?,
            include_system: a.include_system || include_system,
        },
        Some(Command::Reach(a)) => Question::Reach {
            subject: parse_subject(&a.subject, &a.as_group)?,
        },
        _ => return Err(format!("usage: {usage}")),
    };
    Ok(Asked { text, question })
}

/// Answer a question with the command line's engines.
pub fn answer(inv: &Inventory, q: &Question) -> Result<Outcome, String> {
    let asker = Asker::new(inv);
    Ok(match q {
        Question::CanI {
            subject,
            action,
            direct,
        } => Outcome::Answer(asker.can_i(subject, action, *direct)?),
        Question::WhoCan {
            action,
            include_system,
        } => Outcome::Answer(asker.who_can(action, *include_system)),
        Question::Reach { subject } => Outcome::Reach(asker.reach(subject)?),
    })
}

struct Pending {
    text: String,
    started: Instant,
    rx: mpsc::Receiver<Result<Done, String>>,
}

/// The answers of this session and the question being answered.
#[derive(Default)]
pub struct Questions {
    answers: Vec<Option<Arc<Done>>>,
    pending: Option<Pending>,
}

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

impl Questions {
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// The status line while a question runs: spinner, question, time so far.
    pub fn progress(&self) -> Option<String> {
        let p = self.pending.as_ref()?;
        let t = p.started.elapsed();
        let frame = SPINNER[(t.as_millis() / 100) as usize % SPINNER.len()];
        Some(format!(
            "{frame} asking {} ({:.1} s) — Esc abandons",
            clip(&p.text, 70),
            t.as_secs_f64()
        ))
    }

    /// Ask on a thread of its own; a question already running is abandoned.
    pub fn start(&mut self, inv: Arc<Inventory>, asked: Asked) {
        let (tx, rx) = mpsc::channel();
        let text = asked.text.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let r = answer(&inv, &asked.question).map(|outcome| Done {
                text: asked.text,
                outcome,
                took: t.elapsed(),
            });
            // Abandoned: nobody listens any more, and that is fine.
            let _ = tx.send(r);
        });
        self.pending = Some(Pending {
            text,
            started: Instant::now(),
            rx,
        });
    }

    /// Stop waiting for the running question; its question text.
    pub fn abandon(&mut self) -> Option<String> {
        self.pending.take().map(|p| p.text)
    }

    /// An answer that has arrived: its id (or the error).
    fn take_arrived(&mut self) -> Option<Result<usize, String>> {
        let p = self.pending.as_ref()?;
        let r = match p.rx.try_recv() {
            Ok(r) => r,
            Err(mpsc::TryRecvError::Empty) => return None,
            Err(mpsc::TryRecvError::Disconnected) => {
                Err("the question stopped without an answer".to_string())
            }
        };
        self.pending = None;
        Some(r.map(|d| self.keep(d)))
    }

    /// Store an answer; the oldest beyond `KEPT` are let go.
    pub fn keep(&mut self, done: Done) -> usize {
        let id = self.answers.len();
        self.answers.push(Some(Arc::new(done)));
        if id >= KEPT
            && let Some(old) = self.answers[id - KEPT].take()
        {
            // Freeing an answer of tens of thousands of paths takes
            // milliseconds of the frame that shows the new one: done aside.
            std::thread::spawn(move || drop(old));
        }
        id
    }

    pub fn get(&self, id: usize) -> Option<&Arc<Done>> {
        self.answers.get(id).and_then(Option::as_ref)
    }
}

/// Whether a `:` command is a question: `:can …`, `:who …` (a bare `:who`
/// stays the subjects view), `:reach [SUBJECT]`.
pub fn is_question(cmd: &str) -> bool {
    let mut words = cmd.split_whitespace();
    match words.next() {
        Some("can" | "can-i" | "who-can" | "reach") => true,
        Some("who") => words.next().is_some(),
        _ => false,
    }
}

/// Start a question typed as a command (`:who …`); a bare `:reach` asks
/// about the selected row.
pub fn ask(app: &mut App, cmd: &str) {
    let Some(model) = app.model.clone() else {
        app.status = Some("the inventory is still loading; ask again when it is on screen".into());
        return;
    };
    if cmd.split_whitespace().count() == 1 && cmd.trim() == "reach" {
        let row = app.selected_node().cloned();
        let q = row.and_then(|n| match n {
            Node::IamRole(arn) => Some(format!("reach {}", shell_word(&arn))),
            n => question_for(&n, app, &model),
        });
        match q {
            Some(q) if q.starts_with("reach ") => ask(app, &q),
            _ => {
                app.status = Some(
                    "usage: :reach SUBJECT, or :reach on a service account, subject or pod row"
                        .into(),
                )
            }
        }
        return;
    }
    match parse(cmd, model.include_system) {
        Ok(asked) => {
            app.status = None;
            app.questions.start(Arc::clone(&model.inv), asked);
        }
        Err(e) => app.status = Some(e),
    }
}

/// Called by the runner before each frame: open the view of an arrived answer.
pub fn poll(app: &mut App) -> bool {
    match app.questions.take_arrived() {
        None => false,
        Some(Ok(id)) => {
            open(app, id);
            true
        }
        Some(Err(e)) => {
            app.status = Some(e);
            true
        }
    }
}

/// Wait (tests, benchmarks) until the running question is answered and shown.
pub fn wait(app: &mut App, timeout: Duration) -> bool {
    let start = Instant::now();
    while app.questions.is_pending() {
        if poll(app) {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

/// Show an answer that is already computed (what `poll` does when one arrives).
pub fn show(app: &mut App, done: Done) -> usize {
    let id = app.questions.keep(done);
    open(app, id);
    id
}

fn open(app: &mut App, id: usize) {
    app.push(ScreenKind::Query(id));
    if let Some(d) = app.questions.get(id) {
        app.status = Some(format!(
            "{} in {} ms — Enter opens a path, y copies it, e/E export",
            d.headline(),
            d.took.as_millis()
        ));
    }
}

/// Esc while a question runs: abandon it (and nothing else).
pub fn abandon(app: &mut App) -> bool {
    match app.questions.abandon() {
        Some(text) => {
            app.status = Some(format!("abandoned: {}", clip(&text, 70)));
            true
        }
        None => false,
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The notation of a path node as a subject, when it is one.
fn notation(n: &QNode) -> Option<String> {
    Some(match n {
        QNode::ServiceAccount { namespace, name } => {
            format!("system:serviceaccount:{namespace}:{name}")
        }
        QNode::Pod { namespace, name } => format!("pod:{namespace}/{name}"),
        QNode::User { name } => name.clone(),
        QNode::Group { name } => format!("group:{name}"),
        QNode::IamRole { arn } | QNode::IamUser { arn } => arn.clone(),
        _ => return None,
    })
}

/// The question `a` asks about a row of the inventory views (or an answer's subject).
pub fn question_for(node: &Node, app: &App, m: &Model) -> Option<String> {
    let q = |s: String| Some(format!("reach {}", shell_word(&s)));
    match node {
        Node::ServiceAccount { namespace, name } => {
            q(format!("system:serviceaccount:{namespace}:{name}"))
        }
        Node::Subject {
            kind,
            name,
            namespace,
        } => match kind.as_str() {
            "ServiceAccount" => q(format!(
                "system:serviceaccount:{}:{name}",
                namespace.as_deref().unwrap_or("default")
            )),
            "Group" => q(format!("group:{name}")),
            _ => q(name.clone()),
        },
        Node::Pod(i) => {
            let p = m.inv.pods.get(*i)?;
            q(format!("pod:{}/{}", p.namespace, p.name))
        }
        Node::IamRole(arn) => {
            // Who can assume it: through a projected token where its trust
            // names web identity (IRSA), else sts:AssumeRole (Pod Identity,
            // other principals).
            let web = m
                .inv
                .iam
                .roles
                .iter()
                .find(|r| r.arn.eq_ignore_ascii_case(arn))
                .and_then(|r| r.trust_policy.as_ref())
                .is_some_and(|t| t.to_string().contains("AssumeRoleWithWebIdentity"));
            let action = if web {
                "sts:AssumeRoleWithWebIdentity"
            } else {
                "sts:AssumeRole"
            };
            Some(format!("who-can {action} {}", shell_word(arn)))
        }
        Node::Query(r) => {
            let d = app.questions.get(r.id)?;
            q(notation(&d.subject_of(r.item)?)?)
        }
        _ => None,
    }
}

impl Done {
    pub fn decision(&self) -> Decision {
        match &self.outcome {
            Outcome::Answer(a) => a.decision,
            Outcome::Reach(r) => {
                if r.roles.is_empty() && r.becomes.is_empty() && r.kubernetes_rules.is_empty() {
                    Decision::No
                } else {
                    Decision::Yes
                }
            }
        }
    }

    /// `yes — 40 subjects`, `no`, `reach: 3 roles, 2 identities`.
    pub fn headline(&self) -> String {
        match &self.outcome {
            Outcome::Answer(a) => {
                let n = a.answers.len();
                let what = if a.query.as_.is_some() {
                    "path"
                } else {
                    "subject"
                };
                format!(
                    "{} — {n} {what}{}",
                    a.decision.as_str(),
                    if n == 1 { "" } else { "s" }
                )
            }
            Outcome::Reach(r) => format!(
                "reach — {} IAM role{}, {} identit{}, rules in {} scope{}",
                r.roles.len(),
                if r.roles.len() == 1 { "" } else { "s" },
                r.becomes.len(),
                if r.becomes.len() == 1 { "y" } else { "ies" },
                r.kubernetes_rules.len(),
                if r.kubernetes_rules.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ),
        }
    }

    fn hops(&self, item: Item) -> Option<&[Hop]> {
        match (&self.outcome, item) {
            (Outcome::Answer(a), Item::Path(i)) => a.answers.get(i).map(|p| p.path.as_slice()),
            (Outcome::Reach(r), Item::Role(i)) => r.roles.get(i).map(|p| p.path.as_slice()),
            (Outcome::Reach(r), Item::Becomes(i)) => r.becomes.get(i).map(|p| p.path.as_slice()),
            _ => None,
        }
    }

    fn subject_of(&self, item: Item) -> Option<QNode> {
        match (&self.outcome, item) {
            (Outcome::Answer(a), Item::Path(i)) => a.answers.get(i).map(|p| p.subject.clone()),
            (Outcome::Reach(r), Item::Role(i)) => r.roles.get(i).map(|p| QNode::IamRole {
                arn: p.role.clone(),
            }),
            (Outcome::Reach(r), Item::Becomes(i)) => r.becomes.get(i).map(|p| p.identity.clone()),
            (Outcome::Reach(r), Item::Summary) => Some(r.subject.clone()),
            _ => None,
        }
    }

    fn item_label(&self, item: Item) -> String {
        match (&self.outcome, item) {
            (Outcome::Answer(a), Item::Path(i)) => a
                .answers
                .get(i)
                .map(|p| {
                    format!(
                        "{} — {} ({} hop{})",
                        p.decision.as_str(),
                        p.subject.label(),
                        p.path.len(),
                        if p.path.len() == 1 { "" } else { "s" }
                    )
                })
                .unwrap_or_default(),
            (Outcome::Reach(r), Item::Role(i)) => r
                .roles
                .get(i)
                .map(|p| format!("{} — IamRole {}", p.decision.as_str(), p.role))
                .unwrap_or_default(),
            (Outcome::Reach(r), Item::Becomes(i)) => r
                .becomes
                .get(i)
                .map(|p| format!("becomes {}", p.identity.label()))
                .unwrap_or_default(),
            _ => self.headline(),
        }
    }

    fn conditions(&self, item: Item) -> &[String] {
        match (&self.outcome, item) {
            (Outcome::Answer(a), Item::Path(i)) => {
                a.answers.get(i).map(|p| p.conditions.as_slice())
            }
            (Outcome::Reach(r), Item::Role(i)) => r.roles.get(i).map(|p| p.conditions.as_slice()),
            _ => None,
        }
        .unwrap_or(&[])
    }

    fn coverage(&self) -> &crate::query::answer::CoverageNote {
        match &self.outcome {
            Outcome::Answer(a) => &a.coverage,
            Outcome::Reach(r) => &r.coverage,
        }
    }

    fn gaps(&self) -> Vec<String> {
        let c = self.coverage();
        let mut out: Vec<String> = c
            .sources
            .iter()
            .map(|s| {
                let get = |k: &str| s.get(k).and_then(|x| x.as_str()).unwrap_or("");
                format!("{} {} {}", get("source"), get("status"), get("detail"))
            })
            .collect();
        out.extend(c.problems.iter().cloned());
        out
    }

    /// The selected path as text, hop by hop with evidence (as `can-i -o table` prints one).
    pub fn path_text(&self, item: Item) -> Option<String> {
        let hops = self.hops(item)?;
        let mut lines = output::hang(&self.item_label(item), 0, 3);
        if let Some(first) = hops.first() {
            lines.extend(output::wrap(&first.from.label(), 3));
        }
        for (i, h) in hops.iter().enumerate() {
            let indent = 3 + 2 * (i + 1).min(6);
            lines.extend(output::hang(
                &format!("└ {} → {}", h.edge, h.to.label()),
                indent,
                indent + 4,
            ));
            lines.extend(output::wrap(&h.evidence, indent + 4));
        }
        let cond = self.conditions(item);
        if !cond.is_empty() {
            lines.extend(output::wrap(&format!("only if: {}", cond.join("; ")), 3));
        }
        Some(lines.join("\n"))
    }
}

/// A node as a row names it: IAM principals by name (the ARN is in the detail pane).
fn short_label(n: &QNode) -> String {
    match n {
        QNode::IamRole { arn } => format!("IamRole {}", arn.rsplit('/').next().unwrap_or(arn)),
        QNode::IamUser { arn } => format!("IamUser {}", arn.rsplit('/').next().unwrap_or(arn)),
        QNode::AwsAction { action, .. } => action.clone(),
        _ => n.label(),
    }
}

fn compact(hops: &[Hop]) -> String {
    let mut s = String::new();
    for (i, h) in hops.iter().enumerate() {
        if i > 0 {
            s.push_str(" → ");
        }
        s.push_str(h.edge);
        s.push(' ');
        s.push_str(&short_label(&h.to));
        if s.len() > 240 {
            return clip(&s, 240);
        }
    }
    s
}

fn row(cells: Vec<String>, r: Ref) -> Row {
    Row {
        cells,
        severity: None,
        node: Node::Query(r),
        namespace: None,
        rules: Vec::new(),
        // Made when a filter first reads it.
        haystack: std::sync::OnceLock::new(),
        new: false,
    }
}

fn missing(id: usize) -> Table {
    Table {
        title: "Answer".into(),
        headers: vec!["", "WHAT"],
        widths: vec![Col::Fixed(2), Col::Fill(100)],
        rows: Vec::new(),
        empty: format!(
            "answer #{id} is no longer kept (the last {KEPT} are); ask again with :can, :who or :reach"
        ),
    }
}

/// The results view: the decision first, then each path or subject (at most
/// `MAX_ROWS`, the rest counted), then misses and sources not seen.
pub fn table(q: &Questions, id: usize) -> Table {
    let Some(d) = q.get(id) else {
        return missing(id);
    };
    let at = |item: Item| Ref {
        id,
        item,
        hop: None,
    };
    let mut rows = Vec::new();
    rows.push(row(
        vec![
            d.decision().as_str().to_uppercase(),
            d.text.clone(),
            String::new(),
            d.headline(),
        ],
        at(Item::Summary),
    ));
    let mut more = 0;
    match &d.outcome {
        Outcome::Answer(a) => {
            rows.reserve(a.answers.len().min(MAX_ROWS) + a.misses.len() + 4);
            for (i, p) in a.answers.iter().enumerate().take(MAX_ROWS) {
                rows.push(row(
                    vec![
                        p.decision.as_str().to_string(),
                        short_label(&p.subject),
                        p.path.len().to_string(),
                        compact(&p.path),
                    ],
                    at(Item::Path(i)),
                ));
            }
            more += a.answers.len().saturating_sub(MAX_ROWS);
            for (i, m) in a.misses.iter().enumerate().take(MAX_ROWS) {
                rows.push(row(
                    vec!["why not".into(), clip(m, 240), String::new(), String::new()],
                    at(Item::Miss(i)),
                ));
            }
            more += a.misses.len().saturating_sub(MAX_ROWS);
        }
        Outcome::Reach(r) => {
            for (i, role) in r.roles.iter().enumerate().take(MAX_ROWS) {
                let services: Vec<&str> = role.permissions.keys().map(String::as_str).collect();
                let flag = if role.flagged.is_empty() {
                    String::new()
                } else {
                    format!(" [flagged: {}]", role.flagged.join(", "))
                };
                rows.push(row(
                    vec![
                        format!("role {}", role.decision.as_str()),
                        short_label(&QNode::IamRole {
                            arn: role.role.clone(),
                        }),
                        role.path.len().to_string(),
                        clip(
                            &format!(
                                "{} service{}: {}{flag}",
                                services.len(),
                                if services.len() == 1 { "" } else { "s" },
                                services.join(", ")
                            ),
                            240,
                        ),
                    ],
                    at(Item::Role(i)),
                ));
            }
            for (i, b) in r.becomes.iter().enumerate().take(MAX_ROWS) {
                rows.push(row(
                    vec![
                        "becomes".into(),
                        short_label(&b.identity),
                        b.path.len().to_string(),
                        compact(&b.path),
                    ],
                    at(Item::Becomes(i)),
                ));
            }
            more +=
                r.roles.len().saturating_sub(MAX_ROWS) + r.becomes.len().saturating_sub(MAX_ROWS);
            for (i, (scope, rules)) in r.kubernetes_rules.iter().enumerate() {
                rows.push(row(
                    vec![
                        "rules".into(),
                        scope.clone(),
                        String::new(),
                        clip(
                            &format!("{} rule(s): {}", rules.len(), rules.join("; ")),
                            240,
                        ),
                    ],
                    at(Item::Rules(i)),
                ));
            }
        }
    }
    if more > 0 {
        rows.push(row(
            vec![
                "…".into(),
                format!("{more} more not listed here"),
                String::new(),
                "narrow the question (-n NS, a resource ARN), or e / E export it whole".into(),
            ],
            at(Item::More),
        ));
    }
    for (i, g) in d.gaps().iter().enumerate() {
        rows.push(row(
            vec![
                "not seen".into(),
                clip(g, 240),
                String::new(),
                String::new(),
            ],
            at(Item::Gap(i)),
        ));
    }
    Table {
        title: format!("Answer: {} — {}", clip(&d.text, 100), d.headline()),
        headers: vec!["DECISION", "SUBJECT", "HOPS", "PATH"],
        widths: vec![Col::Fixed(11), Col::Fill(60), Col::Fixed(4), Col::Fill(40)],
        rows,
        empty: "no answer".into(),
    }
}

/// A path's hops: where it starts, then each hop with its evidence.
pub fn hops_table(q: &Questions, id: usize, item: Item) -> Table {
    let Some(d) = q.get(id) else {
        return missing(id);
    };
    let hops = d.hops(item).unwrap_or(&[]);
    let mut rows = Vec::with_capacity(hops.len() + 1);
    if let Some(first) = hops.first() {
        rows.push(row(
            vec![
                "0".into(),
                "from".into(),
                short_label(&first.from),
                "where the path starts".into(),
            ],
            Ref {
                id,
                item,
                hop: None,
            },
        ));
    }
    for (k, h) in hops.iter().enumerate() {
        rows.push(row(
            vec![
                (k + 1).to_string(),
                h.edge.to_string(),
                short_label(&h.to),
                clip(&h.evidence, 400),
            ],
            Ref {
                id,
                item,
                hop: Some(k),
            },
        ));
    }
    Table {
        title: format!("Path: {}", clip(&d.item_label(item), 100)),
        headers: vec!["#", "EDGE", "TO", "EVIDENCE"],
        widths: vec![Col::Fixed(2), Col::Fixed(14), Col::Fill(50), Col::Fill(50)],
        rows,
        empty: "no hops: the subject is itself the answer".into(),
    }
}

fn heading(s: &str) -> Line {
    vec![(s.to_string(), Tone::Heading)]
}

fn kv(k: &str, v: &str) -> Line {
    vec![(format!("{k}: "), Tone::Key), (v.to_string(), Tone::Plain)]
}

fn plain(s: &str, t: Tone) -> Line {
    vec![(s.to_string(), t)]
}

fn hop_lines(k: usize, h: &Hop, out: &mut Vec<Line>) {
    out.push(vec![
        (format!("{}. ", k + 1), Tone::Dim),
        (h.edge.to_string(), Tone::Highlight),
        (format!(" → {}", h.to.label()), Tone::Plain),
    ]);
    out.push(plain(&format!("   {}", h.evidence), Tone::Dim));
}

/// The detail pane of a results row or a hop.
pub fn detail(q: &Questions, r: &Ref) -> Vec<Line> {
    let Some(d) = q.get(r.id) else {
        return vec![plain("this answer is no longer kept", Tone::Dim)];
    };
    let mut out: Vec<Line> = Vec::new();
    if let (Some(k), Some(hops)) = (r.hop, d.hops(r.item)) {
        if let Some(h) = hops.get(k) {
            out.push(heading(&format!(
                "Hop {} of {}: {}",
                k + 1,
                hops.len(),
                h.edge
            )));
            out.push(kv("from", &h.from.label()));
            out.push(kv("to", &h.to.label()));
            out.push(Vec::new());
            out.push(heading("Evidence"));
            out.push(plain(&h.evidence, Tone::Plain));
            out.push(Vec::new());
            out.push(plain(
                "Enter opens it in the inventory views; y copies the whole path.",
                Tone::Dim,
            ));
        }
        return out;
    }
    match r.item {
        Item::Summary | Item::More => {
            out.push(heading(&d.headline()));
            out.push(kv("question", &format!("iamscope {}", d.text)));
            out.push(kv("answered in", &format!("{} ms", d.took.as_millis())));
            if let Outcome::Answer(a) = &d.outcome
                && !a.misses.is_empty()
            {
                out.push(Vec::new());
                out.push(heading("Why not / nearest misses"));
                for m in a.misses.iter().take(MAX_DETAIL) {
                    out.push(plain(&format!("- {m}"), Tone::Plain));
                }
            }
            let gaps = d.gaps();
            if !gaps.is_empty() {
                out.push(Vec::new());
                out.push(heading("Not seen (the answer may be incomplete there)"));
                for g in gaps.iter().take(MAX_DETAIL) {
                    out.push(plain(
                        &format!("- {g}"),
                        Tone::Sev(crate::audit::Severity::Medium),
                    ));
                }
            }
            out.push(Vec::new());
            out.push(plain(
                "Enter on a row opens its path; e / E export the whole answer (markdown / json).",
                Tone::Dim,
            ));
        }
        Item::Path(_) | Item::Role(_) | Item::Becomes(_) => {
            out.push(heading(&d.item_label(r.item)));
            let cond = d.conditions(r.item);
            if !cond.is_empty() {
                out.push(kv("only if", &cond.join("; ")));
            }
            out.push(Vec::new());
            let hops = d.hops(r.item).unwrap_or(&[]);
            if let Some(first) = hops.first() {
                out.push(kv("from", &first.from.label()));
            }
            for (k, h) in hops.iter().enumerate() {
                hop_lines(k, h, &mut out);
            }
            if let (Outcome::Reach(rc), Item::Role(i)) = (&d.outcome, r.item)
                && let Some(role) = rc.roles.get(i)
            {
                for f in &role.flagged {
                    out.push(kv("flagged", f));
                }
                for p in &role.problems {
                    out.push(kv("not evaluated", p));
                }
                out.push(Vec::new());
                out.push(heading("Effective permissions (service: level count)"));
                for (svc, levels) in role.permissions.iter().take(MAX_DETAIL) {
                    for (level, g) in levels {
                        out.push(vec![
                            (format!("{svc}: "), Tone::Key),
                            (
                                format!(
                                    "{level} {}{} — {} — on {}",
                                    g.count,
                                    if g.conditional { " (conditional)" } else { "" },
                                    g.examples.join(", "),
                                    g.resources.join(", ")
                                ),
                                Tone::Plain,
                            ),
                        ]);
                    }
                }
                if role.permissions.len() > MAX_DETAIL {
                    out.push(plain(
                        &format!(
                            "… {} more services (E exports all)",
                            role.permissions.len() - MAX_DETAIL
                        ),
                        Tone::Dim,
                    ));
                }
            }
            out.push(Vec::new());
            out.push(plain(
                "Enter opens the hops; y copies the path; a asks the reach of this subject.",
                Tone::Dim,
            ));
        }
        Item::Rules(i) => {
            if let Outcome::Reach(rc) = &d.outcome
                && let Some((scope, rules)) = rc.kubernetes_rules.iter().nth(i)
            {
                out.push(heading(&format!("Kubernetes rules, {scope}")));
                for rule in rules.iter().take(MAX_DETAIL) {
                    out.push(plain(&format!("- {rule}"), Tone::Plain));
                }
                if rules.len() > MAX_DETAIL {
                    out.push(plain(
                        &format!("… {} more (E exports all)", rules.len() - MAX_DETAIL),
                        Tone::Dim,
                    ));
                }
            }
        }
        Item::Miss(i) => {
            if let Outcome::Answer(a) = &d.outcome
                && let Some(m) = a.misses.get(i)
            {
                out.push(heading("Why not"));
                out.push(plain(m, Tone::Plain));
            }
        }
        Item::Gap(i) => {
            out.push(heading("Not seen"));
            if let Some(g) = d.gaps().get(i) {
                out.push(plain(g, Tone::Plain));
            }
            out.push(plain(
                "A `no` or a short list may be incomplete where a source was not read.",
                Tone::Dim,
            ));
        }
    }
    out
}

/// The inventory view's node for a path node, where the views have one.
fn inventory_node(n: &QNode, m: &Model) -> Option<Node> {
    Some(match n {
        QNode::ServiceAccount { namespace, name } => Node::ServiceAccount {
            namespace: namespace.clone(),
            name: name.clone(),
        },
        QNode::Pod { namespace, name } => Node::Pod(
            m.inv
                .pods
                .iter()
                .position(|p| &p.namespace == namespace && &p.name == name)?,
        ),
        QNode::User { name } => Node::Subject {
            kind: "User".into(),
            name: name.clone(),
            namespace: None,
        },
        QNode::Group { name } => Node::Subject {
            kind: "Group".into(),
            name: name.clone(),
            namespace: None,
        },
        QNode::IamRole { arn } => Node::IamRole(arn.clone()),
        _ => return None,
    })
}

/// The screen's answer id, when a results or hops view is on top.
fn screen_answer(app: &App) -> Option<usize> {
    match &app.screen().kind {
        ScreenKind::Query(id) | ScreenKind::QueryPath(id, _) => Some(*id),
        _ => None,
    }
}

/// Keys with a meaning of their own on questions; true when handled here.
pub fn on_action(app: &mut App, a: Key) -> bool {
    if a == Key::Ask {
        let (Some(node), Some(m)) = (app.selected_node().cloned(), app.model.clone()) else {
            app.status = Some("nothing selected".into());
            return true;
        };
        match question_for(&node, app, &m) {
            Some(cmd) => ask(app, &cmd),
            None => {
                app.status = Some(
                    "a asks about service accounts, subjects, pods and IAM roles (or :can, :who, :reach)"
                        .into(),
                )
            }
        }
        return true;
    }
    let Some(id) = screen_answer(app) else {
        return false;
    };
    let Some(Node::Query(r)) = app.selected_node().cloned() else {
        return false;
    };
    let Some(d) = app.questions.get(id).cloned() else {
        return false;
    };
    match a {
        Key::Open | Key::Path => {
            let on_path_screen = matches!(app.screen().kind, ScreenKind::QueryPath(..));
            let hops = d.hops(r.item).unwrap_or(&[]);
            let target = match r.hop {
                Some(k) => hops.get(k).map(|h| &h.to),
                None if on_path_screen => hops.first().map(|h| &h.from),
                None => None,
            };
            if on_path_screen || r.hop.is_some() {
                match (target, app.model.clone()) {
                    (Some(t), Some(m)) => match inventory_node(t, &m) {
                        Some(n) => app.push(ScreenKind::Related(n)),
                        None => app.status = Some(format!("{} has no inventory view", t.label())),
                    },
                    _ => app.status = Some("nothing further to open here".into()),
                }
            } else if !hops.is_empty() {
                app.push(ScreenKind::QueryPath(id, r.item));
            } else if matches!(r.item, Item::Path(_)) {
                app.status = Some("the subject is itself the answer: no hops".into());
            } else {
                app.status = Some("nothing further to open; the detail pane has it all".into());
            }
            true
        }
        Key::Copy => {
            let text = d
                .path_text(r.item)
                .unwrap_or_else(|| format!("iamscope {}", d.text));
            app.status = Some(format!(
                "copied: {}",
                clip(text.lines().next().unwrap_or(""), 60)
            ));
            app.effects.push(Effect::Copy(text));
            true
        }
        _ => false,
    }
}

/// The answer on screen, as the command line would print it with `-o json`
/// or `-o markdown` (every path: no `--limit`), and a file name for it.
pub fn export_text(app: &App, json: bool) -> Option<(String, String)> {
    let d = app.questions.get(screen_answer(app)?)?;
    let format = if json {
        QueryFormat::Json
    } else {
        QueryFormat::Markdown
    };
    let mut buf: Vec<u8> = Vec::new();
    let written = match &d.outcome {
        Outcome::Answer(a) => output::write(a, format, 0, &mut buf),
        Outcome::Reach(r) => reach::write(r, format, 0, &mut buf),
    };
    written.ok()?;
    let mut slug = String::new();
    for c in d.text.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        if !(c == '-' && slug.ends_with('-')) {
            slug.push(c);
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(80).collect();
    Some((
        format!(
            "iamscope-{}.{}",
            slug.trim_end_matches('-'),
            if json { "json" } else { "md" }
        ),
        String::from_utf8_lossy(&buf).into_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_quoted_spaces() {
        assert_eq!(
            split_words(r#"who s3:GetObject 'arn:aws:s3:::b/a b' --context-entry "k=v w""#)
                .unwrap(),
            vec![
                "who",
                "s3:GetObject",
                "arn:aws:s3:::b/a b",
                "--context-entry",
                "k=v w"
            ]
        );
        assert!(split_words("who 'open").is_err());
    }

    #[test]
    fn questions_read_like_the_command_line() {
        let a = parse(
            "can system:serviceaccount:ci:deployer create pods -n ci",
            false,
        )
        .unwrap();
        assert_eq!(
            a.text,
            "can-i --as system:serviceaccount:ci:deployer create pods -n ci"
        );
        assert!(matches!(a.question, Question::CanI { direct: false, .. }));
        let w = parse(":who s3:GetObject arn:aws:s3:::b/k", true).unwrap();
        assert!(matches!(
            w.question,
            Question::WhoCan {
                include_system: true,
                ..
            }
        ));
        assert!(matches!(
            parse("reach group:sre", false).unwrap().question,
            Question::Reach { .. }
        ));
        // The CLI's own errors, on one line, with the usage.
        let e = parse("who", false).unwrap_err();
        assert!(e.contains(":who ACTION"), "{e}");
        let e = parse("can pod:web get pods", false).unwrap_err();
        assert!(e.contains("accepted subjects"), "{e}");
        let e = parse("who get pods --bogus", false).unwrap_err();
        assert!(e.contains("--bogus") && e.contains("usage"), "{e}");
        assert!(parse("can --batch x.jsonl", false).is_err());
    }
}
