//! Questions in the terminal UI (`:can`, `:who`, `:reach`, the `a` key) on the
//! demo snapshot, drawn with ratatui's TestBackend and asserted on what the
//! screen shows. The answers are checked against the hand review of
//! `tests/snapshots/query-who-can-data-lake.review.md` and against the
//! command line's own JSON for the same question (one evaluation).

use std::collections::BTreeSet;
use std::time::Duration;

use assert_cmd::Command;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamscope::audit::{self, Options};
use iamscope::ui::app::{App, Effect};
use iamscope::ui::draw::{self, Theme};
use iamscope::ui::query_view;
use iamscope::ui::views::{Model, ViewKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const LAKE: &str = "arn:aws:s3:::acme-data-lake-raw/kafka/x";

fn app() -> App {
    // Read as `iamscope --demo` reads it (the TUI's loader and the CLI alike).
    let target = <iamscope::cli::Cli as clap::Parser>::parse_from(["iamscope", "--demo"]).target;
    let (inv, trusts) = iamscope::source::load(&target, &|_| {}, &iamscope::graph::ReadCheck)
        .expect("demo snapshot");
    let opts = Options {
        now: "2026-11-29T00:00:00Z".parse().expect("timestamp"),
        ..Options::default()
    };
    let findings = audit::run_with_trusts(&inv, &trusts, &opts);
    let mut a = App::new("demo snapshot".into());
    a.set_model(Model::new(inv, findings, false).with_trusts(trusts));
    a
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| draw::draw(f, app, Theme { color: false }))
        .expect("draw");
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn key(app: &mut App, c: KeyCode) {
    app.on_key(KeyEvent::new(c, KeyModifiers::NONE));
}

/// Type `:text` and Enter, as a user does.
fn command(app: &mut App, text: &str) {
    key(app, KeyCode::Char(':'));
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter);
}

fn answered(app: &mut App) {
    assert!(
        query_view::wait(app, Duration::from_secs(60)),
        "no answer within a minute"
    );
}

/// Select the visible row whose second cell is `label`.
fn select(app: &mut App, label: &str) {
    let t = app.table().expect("a table");
    let i = app
        .visible()
        .iter()
        .position(|&i| t.rows[i].cells.get(1).map(String::as_str) == Some(label))
        .unwrap_or_else(|| panic!("no row {label}"));
    app.select(i);
}

fn cli_json(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("iamscope")
        .expect("binary")
        .args(args)
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout).expect("the CLI prints JSON")
}

#[test]
fn who_lists_the_service_accounts_the_review_names() {
    let mut a = app();
    command(&mut a, &format!("who s3:GetObject {LAKE}"));
    // The question runs off the UI thread: the screen still draws, and says so.
    if a.questions.is_pending() {
        let s = screen(&mut a, 160, 48);
        assert!(
            s.contains("asking who-can s3:GetObject") && s.contains("Esc abandons"),
            "{s}"
        );
    }
    answered(&mut a);
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("Answer: who-can s3:GetObject arn:aws:s3:::acme-data-lake-raw/kafka/x"),
        "{s}"
    );
    // The decision first, then the subjects, shortest path first.
    let yes = s.find("YES").expect("the decision row");
    let first = s.find("IamRole").expect("a subject row");
    assert!(yes < first, "{s}");
    assert!(s.contains("yes — 40 subjects"), "{s}");
    // At 80x24 the decision is still the first row; tiny terminals do not panic.
    let small = screen(&mut a, 80, 24);
    assert!(
        small.contains("YES") && small.contains("IamRole"),
        "{small}"
    );
    for (w, h) in [(20, 5), (40, 10)] {
        let _ = screen(&mut a, w, h);
    }
    // Exactly the service accounts the hand review names (2 and 3 hops).
    let t = a.table().expect("table");
    let sas: BTreeSet<&str> = t
        .rows
        .iter()
        .filter_map(|r| r.cells[1].strip_prefix("ServiceAccount "))
        .collect();
    let reviewed: BTreeSet<&str> = [
        "ci/jenkins",
        "data-platform/airflow-worker",
        "data-platform/airflow-scheduler",
        "data-platform/default",
        "data-platform/flink",
        "data-platform/kafka-connect",
        "data-platform/lake-sync",
        "data-platform/spark",
        "data-platform/trino",
        "ci/deployer",
        "kube-system/cluster-autoscaler",
        "monitoring/kube-prometheus-stack-operator",
        "cert-manager/cert-manager",
        "ci/gitlab-runner",
    ]
    .into_iter()
    .collect();
    assert_eq!(sas, reviewed);
    // Not listed, rightly (the review): the payments developers' SSO role.
    assert!(
        !t.rows
            .iter()
            .any(|r| r.cells[1].contains("PaymentsDeveloper")),
        "PaymentsDeveloper cannot read the lake"
    );
    // Sources not seen are listed with the answer (its summary's detail, its last rows).
    assert!(
        s.contains("Not seen") && s.contains("apiserver/flags"),
        "{s}"
    );
    assert!(t.rows.last().is_some_and(|r| r.cells[0] == "not seen"));
    // The service accounts are on screen once scrolled to (paged list).
    a.run_command("who s3:GetObject arn:aws:s3:::acme-data-lake-raw/kafka/x");
    answered(&mut a);
    key(&mut a, KeyCode::Char('/'));
    for c in "serviceaccount ci/".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("ServiceAccount ci/jenkins") && s.contains("ServiceAccount ci/deployer"),
        "{s}"
    );
}

#[test]
fn enter_opens_the_hops_with_their_evidence_and_y_copies_the_path() {
    let mut a = app();
    command(&mut a, &format!("who s3:GetObject {LAKE}"));
    answered(&mut a);
    let _ = screen(&mut a, 160, 48);
    select(&mut a, "ServiceAccount ci/jenkins");
    let s = screen(&mut a, 160, 48);
    // The detail pane of the subject shows its path with evidence.
    assert!(s.contains("IRSA annotation"), "{s}");
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("› Path: yes — ServiceAccount ci/jenkins"), "{s}");
    assert!(
        s.contains("assumes") && s.contains("IamRole prod-eks-ci-jenkins"),
        "{s}"
    );
    assert!(
        s.contains("allows") && s.contains("managed policy PowerUserAccess Statement[0]"),
        "{s}"
    );
    // The trust hop's evidence in the detail pane.
    key(&mut a, KeyCode::Char('j'));
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("Hop 1 of 2: assumes") && s.contains("Evidence"),
        "{s}"
    );
    assert!(s.contains("system:serviceaccount:ci:jenkins"), "{s}");
    // y copies the whole path, hop by hop, with evidence.
    key(&mut a, KeyCode::Char('y'));
    let copied = a
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Copy(t) => Some(t.clone()),
            _ => None,
        })
        .expect("a copy");
    assert!(copied.contains("└ assumes → IamRole"), "{copied}");
    assert!(copied.contains("└ allows → s3:GetObject"), "{copied}");
    assert!(copied.contains("PowerUserAccess"), "{copied}");
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("copied: yes — ServiceAccount ci/jenkins"), "{s}");
    // Enter on a hop opens its node in the inventory views; Esc comes back.
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 160, 48);
    let crumbs = a.breadcrumbs();
    assert!(
        crumbs.ends_with("› IamRole arn:aws:iam::111122223333:role/prod-eks-ci-jenkins"),
        "{crumbs}"
    );
    assert!(
        s.contains("ServiceAccount ci/jenkins") && s.contains("Trust"),
        "{s}"
    );
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Esc);
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("Answer: who-can") && !s.contains("› Path"),
        "{s}"
    );
}

#[test]
fn export_is_the_command_lines_own_answer() {
    let mut a = app();
    command(&mut a, &format!("who s3:GetObject {LAKE}"));
    answered(&mut a);
    key(&mut a, KeyCode::Char('E'));
    assert!(a.effects.contains(&Effect::Export { json: true }));
    let (name, text) = iamscope::ui::export_text(&a, true).expect("an export");
    assert_eq!(
        name,
        "iamscope-who-can-s3-getobject-arn-aws-s3-acme-data-lake-raw-kafka-x.json"
    );
    let ui: serde_json::Value = serde_json::from_str(&text).expect("json");
    let cli = cli_json(&["who-can", "--demo", "s3:GetObject", LAKE, "-o", "json"]);
    assert_eq!(ui, cli, "the export is the CLI's answer, every subject");
    assert_eq!(ui["answers"].as_array().map(Vec::len), Some(40));
    // Markdown: the CLI's markdown with every path (no --limit).
    let (name, md) = iamscope::ui::export_text(&a, false).expect("an export");
    assert!(name.ends_with(".md"));
    let out = Command::cargo_bin("iamscope")
        .expect("binary")
        .args([
            "who-can",
            "--demo",
            "s3:GetObject",
            LAKE,
            "-o",
            "markdown",
            "--limit",
            "0",
        ])
        .output()
        .expect("runs");
    assert_eq!(md, String::from_utf8_lossy(&out.stdout));
    // From a path's hops the export is still the whole answer.
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Enter);
    let (_, again) = iamscope::ui::export_text(&a, true).expect("an export");
    assert_eq!(again, text);
}

#[test]
fn a_on_an_account_asks_its_reach_and_on_a_role_who_can_assume_it() {
    let mut a = app();
    a.goto(ViewKind::ServiceAccounts);
    a.run_command("sa kafka-connect");
    let _ = screen(&mut a, 160, 48);
    key(&mut a, KeyCode::Char('a'));
    answered(&mut a);
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("reach system:serviceaccount:data-platform:kafka-connect"),
        "{s}"
    );
    let cli = cli_json(&[
        "reach",
        "--demo",
        "system:serviceaccount:data-platform:kafka-connect",
        "-o",
        "json",
    ]);
    let roles: Vec<&str> = cli["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["role"].as_str())
        .collect();
    assert_eq!(roles.len(), 3);
    for r in &roles {
        let short = r.rsplit('/').next().unwrap_or(r);
        assert!(s.contains(short), "{short} missing:\n{s}");
    }
    assert!(s.contains("cluster-wide"), "its Kubernetes rules: {s}");
    // The role's effective permissions per service and level in the detail pane.
    let t = a.table().expect("table");
    let i = a
        .visible()
        .iter()
        .position(|&i| t.rows[i].cells[1].ends_with("prod-eks-kafka-connect"))
        .expect("the role row");
    a.select(i);
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("Effective permissions") && s.contains("s3: Write"),
        "{s}"
    );

    // On an IRSA role: who can assume it through a projected token.
    a.goto(ViewKind::IamRoles);
    a.run_command("roles prod-eks-data-platform-airflow");
    let _ = screen(&mut a, 160, 48);
    key(&mut a, KeyCode::Char('a'));
    answered(&mut a);
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("who-can sts:AssumeRoleWithWebIdentity") && s.contains("yes — 20 subjects"),
        "{s}"
    );
    assert!(
        s.contains("ServiceAccount data-platform/airflow-worker"),
        "{s}"
    );

    // On a row that is no subject, `a` says what it works on.
    a.goto(ViewKind::Coverage);
    let _ = screen(&mut a, 160, 48);
    key(&mut a, KeyCode::Char('a'));
    assert!(!a.questions.is_pending());
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("a asks about service accounts"), "{s}");
}

#[test]
fn can_answers_no_with_what_was_not_seen() {
    let mut a = app();
    command(
        &mut a,
        &format!("can system:serviceaccount:payments:api s3:GetObject {LAKE}"),
    );
    answered(&mut a);
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("NO") && s.contains("no — 0 paths"), "{s}");
    assert!(
        s.contains("not seen") && s.contains("apiserver/flags"),
        "{s}"
    );
    // A yes with its one path, kubectl's notation and flags.
    command(
        &mut a,
        "can group:data-engineers create pods -n data-platform",
    );
    answered(&mut a);
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("YES") && s.contains("grants"), "{s}");
    assert!(
        s.contains("can-i --as group:data-engineers create pods -n data-platform"),
        "{s}"
    );
}

#[test]
fn esc_abandons_a_running_question_and_bad_ones_say_why() {
    let mut a = app();
    let before = a.breadcrumbs();
    command(&mut a, &format!("who s3:GetObject {LAKE}"));
    assert!(a.questions.is_pending(), "asked off the UI thread");
    key(&mut a, KeyCode::Esc);
    assert!(!a.questions.is_pending());
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("abandoned: who-can s3:GetObject"), "{s}");
    // Its answer, when it comes, opens nothing.
    std::thread::sleep(Duration::from_millis(300));
    assert!(!query_view::poll(&mut a));
    assert_eq!(a.breadcrumbs(), before);

    // The command line's own errors, on the status line.
    command(&mut a, "who get");
    let s = screen(&mut a, 160, 48);
    assert!(!a.questions.is_pending());
    assert!(s.contains("accepted actions"), "{s}");
    command(&mut a, "reach pod:nope");
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("a pod is pod:NAMESPACE/NAME"), "{s}");

    // Before the inventory is loaded there is nothing to ask.
    let mut empty = App::new("demo snapshot".into());
    command(&mut empty, "reach group:sre");
    assert!(!empty.questions.is_pending());
    let s = screen(&mut empty, 160, 48);
    assert!(s.contains("still loading"), "{s}");
}

#[test]
fn help_lists_the_questions() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    let s = screen(&mut a, 160, 60);
    for want in [
        ":can SUBJECT ACTION",
        ":who ACTION",
        ":reach [SUBJECT]",
        "ask about the row",
    ] {
        assert!(s.contains(want), "{want} missing from help:\n{s}");
    }
}

#[test]
fn the_ui_reads_questions_with_the_command_lines_grammar() {
    // The UI parses `:can`, `:who` and `:reach` with `query::args::QuestionLine`,
    // the command line with `cli::Cli`: each question has the same texts and
    // usage, and the same arguments (words, flags, the global flags, their
    // help) in both. Only the order in which help lists the global flags
    // differs (clap numbers them after the root's subcommands).
    use clap::CommandFactory;
    fn described(mut root: clap::Command, name: &str) -> (String, Vec<String>) {
        root.build();
        let sub = root.find_subcommand_mut(name).expect(name);
        let usage = sub.render_usage().to_string();
        let head = format!(
            "{:?} {:?} {:?} {usage}",
            sub.get_about(),
            sub.get_long_about(),
            sub.get_after_help(),
        );
        let mut args: Vec<String> = sub
            .get_arguments()
            .map(|a| format!("{:?}", a.clone().display_order(None)))
            .collect();
        args.sort();
        (head, args)
    }
    for name in ["can-i", "who-can", "reach"] {
        let cli = described(iamscope::cli::Cli::command(), name);
        let ui = described(iamscope::query::args::QuestionLine::command(), name);
        assert!(cli.1.len() > 10, "{name}: {:?}", cli.1);
        assert_eq!(cli, ui, "{name}");
    }
}

/// `--help` (or `-h`) after a question's verb answers with its forms, not
/// with an error about the subject it was taken for.
#[test]
fn help_after_a_verb_gives_its_usage() {
    for (cmd, usage) in [
        (":can --help", "usage: :can SUBJECT ACTION…"),
        (":who -h", "usage: :who ACTION…"),
        (":reach --help", "usage: :reach SUBJECT"),
        (":can", "usage: :can SUBJECT ACTION…"),
    ] {
        match query_view::parse(cmd, false) {
            Err(e) => assert!(e.starts_with(usage), "{cmd}: {e}"),
            Ok(_) => panic!("{cmd} was taken for a question"),
        }
    }
}
