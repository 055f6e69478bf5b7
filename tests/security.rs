//! Secrets and credentials never leave iamscope: a marker planted in Secret
//! data (JSON and YAML, `data`, `stringData`, and the last-applied annotation
//! that copies them) and in kubeconfig credentials is absent from every report
//! format, every log level, the UI's exports and every TUI screen, including
//! when the file is malformed right next to it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use iamscope::audit::{self, Options};
use iamscope::ui::app::App;
use iamscope::ui::draw::{self, Theme};
use iamscope::ui::views::{Model, ViewKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

const MARKER: &str = "SUPERSECRET-planted-7f3a9c";
/// The marker as Secret `data` holds it (base64).
const MARKER_B64: &str = "U1VQRVJTRUNSRVQtcGxhbnRlZC03ZjNhOWM=";
const TOKEN: &str = "kubeconfig-bearer-token-51b2e0d4";
const PASSWORD: &str = "kubeconfig-password-a8c1d93e";
const KEY_DATA: &str = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCmtleS1kYXRhLW1hcmtlcg==";

fn leaks(text: &str) -> Vec<&'static str> {
    [MARKER, MARKER_B64, TOKEN, PASSWORD, KEY_DATA]
        .into_iter()
        .filter(|m| text.contains(m))
        .collect()
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scenarios")
        .join(name)
}

fn secret(name: &str) -> Value {
    let applied = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": "default"},
        "stringData": {"password": MARKER}, "data": {"token": MARKER_B64}});
    json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": name, "namespace": "default",
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "annotations": {
                "kubernetes.io/service-account.name": "sa-app",
                "kubectl.kubernetes.io/last-applied-configuration": applied.to_string()}},
        "data": {"token": MARKER_B64, "ca.crt": MARKER_B64, "raw": MARKER},
        "stringData": {"password": MARKER}})
}

/// A scenario snapshot with Secrets in every form a user might hand over.
fn snapshot_with_secrets() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for e in fs::read_dir(scenario("guide-example")).expect("scenario") {
        let e = e.expect("entry");
        fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
    }
    let d = dir.path();
    fs::write(
        d.join("kubernetes-secrets.json"),
        json!({"apiVersion": "v1", "kind": "List", "items": [secret("sa-app-token")]}).to_string(),
    )
    .expect("write");
    // YAML: a List document and a bare Secret document, flow and block style.
    let yaml = format!(
        "apiVersion: v1\nkind: List\nitems:\n- {}\n---\napiVersion: v1\nkind: Secret\ntype: Opaque\nmetadata:\n  name: yaml-block\n  namespace: default\ndata:\n  token: {MARKER_B64}\nstringData:\n  password: |\n    {MARKER}\n",
        secret("yaml-flow")
    );
    fs::write(d.join("kubernetes-secrets.yaml"), yaml).expect("write");
    // Malformed right next to the data: JSON and YAML.
    fs::write(
        d.join("kubernetes-secrets-broken.json"),
        format!(
            r#"{{"apiVersion":"v1","kind":"List","items":[{{"kind":"Secret","metadata":{{"name":"b","namespace":"default"}},"data":{{"token":"{MARKER}" "x": }}}}]}}"#
        ),
    )
    .expect("write");
    fs::write(
        d.join("kubernetes-secrets-broken.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: c, namespace: default}}\ndata:\n  token: {MARKER}\n  other: [{MARKER}, {{\nstringData: {{password: {MARKER}\n"
        ),
    )
    .expect("write");
    // Secret data in the wrong type, and a Secret with data where metadata should be.
    fs::write(
        d.join("kubernetes-secrets-odd.json"),
        json!({"apiVersion": "v1", "kind": "List", "items": [
            {"kind": "Secret", "metadata": {"name": "d", "namespace": "default"}, "data": MARKER, "type": 5},
            {"kind": "Secret", "metadata": {"name": "e", "namespace": "default", "labels": {"x": [MARKER]}}},
            {"kind": "Secret", "metadata": {"name": MARKER_B64.len().to_string(), "namespace": "default"}, "stringData": [MARKER]}
        ]})
        .to_string(),
    )
    .expect("write");
    dir
}

fn kubeconfigs(dir: &Path) -> String {
    let files = [
        (
            "kc-good",
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {{server: https://prod:6443, insecure-skip-tls-verify: true}}\nusers:\n- name: bot\n  user:\n    token: {TOKEN}\n- name: legacy\n  user: {{username: admin, password: {PASSWORD}, client-key-data: {KEY_DATA}}}\n"
            ),
        ),
        // Malformed right next to each credential.
        (
            "kc-broken-token",
            format!(
                "users:\n- name: bot\n  user:\n    token: {TOKEN}\n    password: [unclosed {PASSWORD}\n"
            ),
        ),
        (
            "kc-broken-flow",
            format!(
                "users: [{{name: x, user: {{token: \"{TOKEN}\\q\", password: {PASSWORD}}}}}]\n"
            ),
        ),
        (
            "kc-bad-indent",
            format!("users:\n- name: x\n  user:\n    token: {TOKEN}\n   password: {PASSWORD}\n"),
        ),
        (
            "kc-dup",
            format!("users:\n- name: x\n  user:\n    token: {TOKEN}\n    token: {PASSWORD}\n"),
        ),
        ("kc-wrong-shape", format!("- {TOKEN}\n- {PASSWORD}\n")),
    ];
    let mut paths = Vec::new();
    for (name, text) in files {
        let p = dir.join(name);
        fs::write(&p, text).expect("write");
        paths.push(p.to_str().expect("utf-8").to_string());
    }
    // Not UTF-8 right after the token.
    let p = dir.join("kc-not-utf8");
    let mut bytes = format!("users:\n- name: x\n  user:\n    token: {TOKEN}").into_bytes();
    bytes.extend_from_slice(b"\xff\xfe\n");
    fs::write(&p, bytes).expect("write");
    paths.push(p.to_str().expect("utf-8").to_string());
    paths.join(":")
}

fn run(args: &[&str], rust_log: Option<&str>) -> (Option<i32>, String, String) {
    let mut cmd = Command::cargo_bin("iamscope").expect("binary");
    cmd.args(args).timeout(Duration::from_secs(60));
    match rust_log {
        Some(l) => cmd.env("RUST_LOG", l),
        None => cmd.env_remove("RUST_LOG"),
    };
    let out = cmd.output().expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn secret_data_and_credentials_never_appear_in_reports_or_logs() {
    let snap = snapshot_with_secrets();
    let kc_dir = tempfile::tempdir().expect("tempdir");
    let kc = kubeconfigs(kc_dir.path());
    let from = snap.path().to_str().expect("utf-8");
    let mut checked = 0;
    for format in ["json", "sarif", "markdown", "table"] {
        for (verbose, log) in [
            (None, None),
            (Some("-v"), None),
            (Some("-vv"), None),
            (Some("-vv"), Some("trace")),
        ] {
            let mut args = vec![
                "audit",
                "--from",
                from,
                "--kubeconfig",
                &kc,
                "--format",
                format,
            ];
            args.extend(verbose);
            let (code, out, err) = run(&args, log);
            assert_eq!(code, Some(0), "{err}");
            assert_eq!(
                leaks(&out),
                Vec::<&str>::new(),
                "stdout, {format} {verbose:?} {log:?}"
            );
            assert_eq!(
                leaks(&err),
                Vec::<&str>::new(),
                "stderr, {format} {verbose:?} {log:?}: {err}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 16);
    // The report did read the Secrets (metadata), the broken files and the kubeconfigs.
    let (_, out, _) = run(
        &[
            "audit",
            "--from",
            from,
            "--kubeconfig",
            &kc,
            "--format",
            "json",
        ],
        None,
    );
    let r: Value = serde_json::from_str(&out).expect("report");
    let secrets = r["coverage"]["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == "kubernetes/secrets")
        .expect("secrets coverage")
        .clone();
    assert_eq!(secrets["status"], "ok");
    let problems = r["coverage"]["problems"].to_string();
    for file in [
        "kubernetes-secrets-broken.json",
        "kubernetes-secrets-broken.yaml",
        "kc-broken-token",
        "kc-broken-flow",
        "kc-bad-indent",
        "kc-dup",
        "kc-wrong-shape",
        "kc-not-utf8",
    ] {
        assert!(problems.contains(file), "{file} not reported: {problems}");
    }
    assert!(
        problems.contains("line 4, column 44: not valid UTF-8"),
        "{problems}"
    );
    // The good kubeconfig's credentials are found, by where they are, not by value.
    let text = r["findings"].to_string();
    assert!(
        text.contains("users[name=bot].user has a static bearer token"),
        "{text}"
    );
}

#[test]
fn the_snapshot_reader_keeps_no_secret_data() {
    let snap = snapshot_with_secrets();
    let (inv, _) = iamscope::source::snapshot::read_dir(snap.path(), &iamscope::graph::ReadCheck)
        .expect("readable");
    let dump = format!("{inv:?}");
    assert_eq!(leaks(&dump), Vec::<&str>::new());
    assert!(
        inv.secrets.iter().any(|s| s.name == "sa-app-token"),
        "{:?}",
        inv.secrets
    );
    assert!(inv.secrets.iter().any(|s| s.name == "yaml-block"));
    // Kubeconfig parsing keeps whether a credential is there, never its value, even in errors.
    for text in [
        format!("users:\n- name: x\n  user:\n    token: {TOKEN}\n    password: [{PASSWORD}\n"),
        format!("users:\n- name: x\n  user: {{token: {TOKEN}, password: {PASSWORD}}}\n"),
        format!("users:\n- name: x\n  user:\n    token: \"{TOKEN}\n"),
    ] {
        let got = iamscope::source::kubeconfig::parse("kc", &text, Some(0o600));
        let shown = match &got {
            Ok(kc) => format!("{kc:?}"),
            Err(e) => e.clone(),
        };
        assert_eq!(leaks(&shown), Vec::<&str>::new(), "{shown}");
    }
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| draw::draw(f, app, Theme { color: false }))
        .expect("draw");
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn secret_data_never_reaches_the_tui_or_its_exports() {
    let snap = snapshot_with_secrets();
    let (mut inv, _) =
        iamscope::source::snapshot::read_dir(snap.path(), &iamscope::graph::ReadCheck)
            .expect("readable");
    let kc_dir = tempfile::tempdir().expect("tempdir");
    let kc = kubeconfigs(kc_dir.path());
    let paths = iamscope::source::kubeconfig::split_paths(&kc);
    inv.kubeconfigs = iamscope::source::kubeconfig::read_all(&paths, &mut inv.coverage);
    let findings = audit::run(&inv, &Options::default());
    let mut app = App::new("snapshot".into());
    app.set_model(Model::new(inv, findings, true));
    let mut screens = 0;
    for v in ViewKind::ALL {
        app.goto(v);
        let rows = app.visible().len();
        for i in 0..rows.clamp(1, 40) {
            app.select(i);
            let s = screen(&mut app, 200, 60);
            assert_eq!(leaks(&s), Vec::<&str>::new(), "{v:?} row {i}:\n{s}");
            screens += 1;
        }
        for json in [false, true] {
            if let Some((name, text)) = iamscope::ui::export_text(&app, json) {
                assert_eq!(leaks(&text), Vec::<&str>::new(), "{name}");
            }
        }
    }
    assert!(screens >= ViewKind::ALL.len());
}
