//! The terminal UI on the demo snapshot, drawn with ratatui's TestBackend:
//! reviewed snapshots of every view at 80x24 and 160x48, and the keys an
//! administrator uses, asserted on what the screen shows.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamscope::audit::{self, Options};
use iamscope::graph::ReadCheck;
use iamscope::ui::app::{App, Effect, Mode};
use iamscope::ui::draw::{self, Theme};
use iamscope::ui::views::{Model, ViewKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn model(include_system: bool) -> Model {
    let (inv, trusts) = iamscope::source::demo::read(&ReadCheck).expect("demo snapshot");
    let opts = Options {
        include_system,
        all_rules: false,
        // Fixed "now" so age-based findings do not drift.
        now: "2026-11-29T00:00:00Z".parse().expect("timestamp"),
        ..Options::default()
    };
    let findings = audit::run_with_trusts(&inv, &trusts, &opts);
    Model::new(inv, findings, include_system).with_trusts(trusts)
}

fn app() -> App {
    let mut a = App::new("demo snapshot".into());
    a.set_model(model(false));
    a
}

fn screen(app: &mut App, w: u16, h: u16, theme: Theme) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| draw::draw(f, app, theme)).expect("draw");
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

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

const MONO: Theme = Theme { color: false };

#[test]
fn every_view_at_two_sizes() {
    for (i, v) in ViewKind::ALL.iter().enumerate() {
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let mut a = app();
            a.goto(*v);
            let text = screen(&mut a, w, h, MONO);
            assert!(
                text.contains(&format!("{} {}", i + 1, v.title())) || w < 100,
                "tab bar at {w}x{h}"
            );
            insta::assert_snapshot!(format!("view_{}_{}x{}", v.commands()[0], w, h), text);
        }
    }
}

#[test]
fn drill_into_a_finding_and_back() {
    let mut a = app();
    let _ = screen(&mut a, 160, 48, MONO);
    // Find the IAM-001 finding and open what is related to it.
    typed(&mut a, "/");
    typed(&mut a, "rule:IAM-001");
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 160, 48, MONO);
    assert!(s.contains("Findings [1]") || s.contains("(1 of"), "{s}");
    assert!(s.contains("IAM-001"));
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 160, 48, MONO);
    assert!(s.contains("Findings › IAM-001"), "breadcrumbs: {s}");
    assert!(s.contains("IamRole"), "{s}");
    // Open the role: its trust policy and policies are in the detail pane.
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 160, 48, MONO);
    assert!(
        s.contains("› IamRole arn:aws:iam::111122223333:role/prod-eks-data-platform-airflow"),
        "{s}"
    );
    assert!(
        s.contains("ServiceAccount") && s.contains("AdministratorAccess"),
        "{s}"
    );
    // Esc twice: back to the filtered findings, then Esc clears the filter.
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Esc);
    let s = screen(&mut a, 160, 48, MONO);
    assert!(s.contains("/rule:IAM-001"));
    key(&mut a, KeyCode::Esc);
    let s = screen(&mut a, 160, 48, MONO);
    assert!(!s.contains("/rule:IAM-001"));
    // `[` and `]` walk the history.
    key(&mut a, KeyCode::Char(']'));
    let s = screen(&mut a, 160, 48, MONO);
    assert!(s.contains("Findings › IAM-001"), "{s}");
    key(&mut a, KeyCode::Char('['));
    assert_eq!(a.screens.len(), 1);
}

#[test]
fn commands_switch_views_and_unknown_ones_say_so() {
    let mut a = app();
    for (cmd, title) in [
        ("sa", "Service accounts"),
        ("roles", "IAM roles"),
        ("auth", "Cluster access"),
        ("api", "API server"),
        ("findings", "Findings"),
        ("cov", "Coverage"),
    ] {
        key(&mut a, KeyCode::Char(':'));
        typed(&mut a, cmd);
        key(&mut a, KeyCode::Enter);
        let s = screen(&mut a, 160, 48, MONO);
        assert!(s.contains(&format!("┌ {title} [")), ":{cmd} → {title}\n{s}");
    }
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "pods");
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 160, 48, MONO);
    assert!(s.contains("unknown command :pods"), "{s}");
    // `:sa payments` filters the new view.
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "sa ns:payments");
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 160, 48, MONO);
    assert!(
        s.contains("payments-api") && !s.contains("kube-system "),
        "{s}"
    );
}

#[test]
fn filter_language_on_findings() {
    let mut a = app();
    let total = a.visible().len();
    typed(&mut a, "/sev:critical");
    let crit = a.visible().len();
    assert!(crit > 0 && crit < total);
    key(&mut a, KeyCode::Enter);
    typed(&mut a, "/");
    for _ in 0.."sev:critical".len() {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "!sev:critical");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.visible().len(), total - crit);
    // A bad filter keeps the last good one and says why.
    typed(&mut a, "/");
    typed(&mut a, " sev:severe");
    let s = screen(&mut a, 160, 48, MONO);
    assert!(s.contains("is not a severity"), "{s}");
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.visible().len(), total - crit);
    // Esc in filter mode restores the filter from before.
    assert_eq!(a.mode, Mode::Normal);
}

#[test]
fn help_is_generated_from_the_keymap_and_closes() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    let s = screen(&mut a, 100, 40, MONO);
    for b in iamscope::ui::keymap::BINDINGS {
        assert!(
            s.contains(b.help.split(' ').next().unwrap_or("")),
            "help lacks {}",
            b.keys
        );
    }
    key(&mut a, KeyCode::Char('x'));
    let s = screen(&mut a, 100, 40, MONO);
    assert!(!s.contains("any key closes this help"));
}

#[test]
fn copy_export_and_system_toggle_are_effects() {
    let mut a = app();
    let _ = screen(&mut a, 160, 48, MONO);
    key(&mut a, KeyCode::Char('y'));
    match a.effects.pop() {
        Some(Effect::Copy(text)) => assert!(!text.is_empty()),
        other => panic!("expected a copy, got {other:?}"),
    }
    key(&mut a, KeyCode::Char('s'));
    assert_eq!(a.effects.pop(), Some(Effect::ToggleSystem));
    let (name, text) = iamscope::ui::export_text(&a, false).expect("export");
    assert_eq!(name, "iamscope-findings.md");
    assert!(text.starts_with("# Findings") && text.contains("AUTH-001"));
    let (name, text) = iamscope::ui::export_text(&a, true).expect("export");
    assert_eq!(name, "iamscope-findings.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(a.visible().len()));
}

#[test]
fn system_subjects_hidden_by_default() {
    let mut hidden = App::new("demo".into());
    hidden.set_model(model(false));
    hidden.goto(ViewKind::Subjects);
    let mut shown = App::new("demo".into());
    shown.set_model(model(true));
    shown.goto(ViewKind::Subjects);
    assert!(shown.visible().len() > hidden.visible().len());
    let s = screen(&mut shown, 160, 48, MONO);
    assert!(s.contains("Subjects (system shown)"));
}

#[test]
fn tiny_terminals_and_resizes_never_panic() {
    let mut a = app();
    for (w, h) in [
        (20, 5),
        (1, 1),
        (0, 0),
        (19, 4),
        (250, 70),
        (80, 24),
        (33, 7),
        (120, 10),
    ] {
        let _ = screen(&mut a, w, h, MONO);
        key(&mut a, KeyCode::Char('j'));
        key(&mut a, KeyCode::Tab);
    }
    let s = screen(&mut a, 20, 5, MONO);
    assert!(s.contains("iamscope"), "{s}");
}

#[test]
fn loading_screen_appears_before_data() {
    let mut a = App::new("live prod".into());
    let s = screen(&mut a, 80, 24, MONO);
    assert!(s.contains("loading"), "{s}");
    assert!(s.contains("live prod"));
}

#[test]
fn failed_sources_show_a_banner() {
    let mut m = model(false);
    std::sync::Arc::make_mut(&mut m.inv).coverage.set(
        "kubernetes/secrets",
        iamscope::model::Status::Forbidden,
        None,
        Some("403".into()),
    );
    let banner = iamscope::ui::banner_for(&m).expect("banner");
    assert!(banner.contains("kubernetes/secrets"));
    let mut a = App::new("live".into());
    a.banner = Some(banner);
    a.set_model(m);
    let s = screen(&mut a, 120, 30, MONO);
    assert!(s.contains("⚠ not seen: kubernetes/secrets"), "{s}");
}

#[test]
fn colour_theme_marks_severities_and_no_color_does_not() {
    let color = Theme { color: true };
    let c = color.sev(iamscope::audit::Severity::Critical);
    assert!(c.fg.is_some());
    let m = MONO.sev(iamscope::audit::Severity::Critical);
    assert!(
        m.fg.is_none() && !m.add_modifier.is_empty(),
        "monochrome still distinguishes critical"
    );
}

#[test]
fn path_between_two_marked_nodes() {
    let mut a = app();
    typed(&mut a, "/rule:IAM-001");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Char('m'));
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "sa airflow-worker");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Char('p'));
    let s = screen(&mut a, 160, 48, MONO);
    // The finding names the service account among its related objects: one link.
    assert!(s.contains("Path [2]"), "{s}");
    assert!(
        s.contains("IAM-001 IamRole prod-eks-data-platform-airflow (related)"),
        "{s}"
    );
    assert!(
        s.contains("└▶ ServiceAccount data-platform/airflow-worker"),
        "{s}"
    );
    // From a role to a pod: role → service account → pod.
    let mut a = app();
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "roles prod-eks-payments-api");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Char('m'));
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "sa payments-api");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Enter);
    typed(&mut a, "/pod");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Char('p'));
    let s = screen(&mut a, 160, 48, MONO);
    assert!(s.contains("Path [3]"), "{s}");
    assert!(
        s.contains("IamRole arn:aws:iam::111122223333:role/prod-eks-payments-api"),
        "{s}"
    );
    assert!(s.contains("└▶ Pod payments/"), "{s}");
}

// ------------------------------------------------------------------ view-models

use iamscope::ui::views::{self, Node, Tone};

#[test]
fn service_account_rows_name_their_role_and_findings() {
    let m = model(false);
    let t = views::table(ViewKind::ServiceAccounts, &m);
    assert_eq!(
        t.rows.len(),
        m.inv.service_accounts.len(),
        "one row per service account"
    );
    let row = t
        .rows
        .iter()
        .find(|r| r.cells[0] == "ci" && r.cells[1] == "jenkins")
        .expect("ci/jenkins");
    assert!(
        row.cells[2].starts_with("prod-eks-ci-jenkins"),
        "{:?}",
        row.cells
    );
    assert_eq!(row.cells[3], "IRSA");
    assert_eq!(row.severity, Some(iamscope::audit::Severity::Critical));
    assert!(row.rules.contains(&"RBAC-001"));
    assert_eq!(row.namespace.as_deref(), Some("ci"));
}

#[test]
fn related_links_a_role_to_its_service_accounts_and_policies() {
    let m = model(false);
    let arn = "arn:aws:iam::111122223333:role/prod-eks-data-platform-airflow".to_string();
    let t = views::related(&Node::IamRole(arn.clone()), &m);
    let kinds: Vec<&str> = t.rows.iter().map(|r| r.cells[0].as_str()).collect();
    assert!(
        kinds.contains(&"ServiceAccount") && kinds.contains(&"Policy"),
        "{kinds:?}"
    );
    assert!(t.rows.iter().any(|r| r.cells[1] == "AdministratorAccess"));
    assert!(t.rows.iter().any(|r| r.cells[0] == "IAM-001"));
}

#[test]
fn finding_detail_has_evidence_and_a_copyable_fix() {
    let m = model(false);
    let i = m
        .findings
        .iter()
        .position(|f| f.rule == "IRSA-005")
        .expect("IRSA-005");
    let lines = views::detail(&Node::Finding(i), &m);
    let text: Vec<String> = lines
        .iter()
        .map(|l| l.iter().map(|(s, _)| s.as_str()).collect())
        .collect();
    assert!(text.iter().any(|l| l == "Evidence"));
    assert!(text.iter().any(|l| l.starts_with("Fix")));
    // The evidence lines are the highlighted ones.
    assert!(lines.iter().any(|l| {
        l.iter()
            .any(|(s, t)| *t == Tone::Highlight && s.contains("sub"))
    }));
    // y copies the fix itself: the corrected trust policy for this exact account.
    let fix = views::copy_text(&Node::Finding(i), &m);
    assert!(fix.contains("system:serviceaccount:checkout:cart"), "{fix}");
    assert!(fix.contains("aws iam update-assume-role-policy"), "{fix}");
}

#[test]
fn empty_views_say_why() {
    let mut m = model(false);
    std::sync::Arc::make_mut(&mut m.inv).apiserver = None;
    let t = views::table(ViewKind::ApiServer, &m);
    assert!(
        t.rows.iter().any(|r| r.cells[1].contains("not observable")),
        "EKS shows why flags are absent"
    );
    let mut bare = iamscope::model::Inventory::default();
    bare.coverage.set(
        "aws/iam",
        iamscope::model::Status::Forbidden,
        None,
        Some("AccessDenied".into()),
    );
    let m = Model::new(bare, Vec::new(), false);
    let t = views::table(ViewKind::IamRoles, &m);
    assert!(t.rows.is_empty());
    assert!(
        t.empty.contains("aws/iam forbidden: AccessDenied"),
        "{}",
        t.empty
    );
}

#[test]
fn ctx_lists_kubeconfig_contexts_and_enter_switches() {
    let mut a = app();
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "ctx");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.effects.pop(), Some(Effect::ListContexts));

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\ncurrent-context: staging\nclusters: []\nusers: []\ncontexts:\n- name: prod\n  context: {cluster: p, user: u}\n- name: staging\n  context: {cluster: s, user: u}\n",
    )
    .expect("write");
    let target = iamscope::cli::Target {
        kubeconfig: Some(path.display().to_string()),
        ..Default::default()
    };
    let (names, current) = iamscope::ui::contexts(&target).expect("contexts");
    assert_eq!(names, ["prod", "staging"]);
    assert_eq!(current.as_deref(), Some("staging"));

    a.show_contexts(names, current);
    let s = screen(&mut a, 100, 30, MONO);
    assert!(s.contains("Contexts [2]") && s.contains("* staging"), "{s}");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.effects.pop(), Some(Effect::SwitchContext("prod".into())));
    assert_eq!(a.screens.len(), 1, "the contexts list closes");
}

#[test]
fn back_shows_the_list_as_it_was_and_a_new_model_is_never_shown_stale() {
    let mut a = app();
    a.goto(ViewKind::ServiceAccounts);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    let before = screen(&mut a, 160, 48, MONO);
    let chosen = a.selected_node().cloned();
    key(&mut a, KeyCode::Enter);
    let opened = screen(&mut a, 160, 48, MONO);
    assert_ne!(opened, before, "Enter opens the role");
    key(&mut a, KeyCode::Esc);
    assert_eq!(
        screen(&mut a, 160, 48, MONO),
        before,
        "Esc: the list as it was"
    );
    assert_eq!(a.selected_node().cloned(), chosen);
    // Open again, then a new model arrives (a reload: one service account
    // fewer): the list Esc goes back to is the new model's.
    let smaller = || {
        let (mut inv, _) = iamscope::source::demo::read(&ReadCheck).expect("demo snapshot");
        inv.service_accounts.pop();
        let findings = audit::run(&inv, &Options::default());
        Model::new(inv, findings, false)
    };
    key(&mut a, KeyCode::Enter);
    a.set_model(smaller());
    let fresh = {
        let mut b = App::new("demo snapshot".into());
        b.set_model(smaller());
        b.goto(ViewKind::ServiceAccounts);
        b.table().map(|t| t.rows.len())
    };
    key(&mut a, KeyCode::Esc);
    let old = {
        let mut b = app();
        b.goto(ViewKind::ServiceAccounts);
        b.table().map(|t| t.rows.len())
    };
    assert_ne!(old, fresh, "the two models differ in service accounts");
    assert_eq!(a.table().map(|t| t.rows.len()), fresh);
}
