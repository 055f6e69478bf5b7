//! What a user installs around the binary: shell completions, the manual page,
//! and the binary as a kubectl plugin. Where the real consumer is on the
//! machine (bash's completion machinery, groff, kubectl) it is asked, not our
//! own reading of the output.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

const COMMANDS: [&str; 7] = [
    "audit",
    "snapshot",
    "can-i",
    "who-can",
    "reach",
    "completions",
    "man",
];

fn iamscope(args: &[&str]) -> Output {
    Command::cargo_bin("iamscope")
        .expect("binary built")
        .args(args)
        .env_remove("AWS_PROFILE")
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

fn on_path(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok()
}

#[test]
fn completion_scripts_name_every_command_and_flag() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&iamscope(&["completions", shell]));
        for cmd in COMMANDS {
            assert!(script.contains(cmd), "{shell} completions lack {cmd}");
        }
        for flag in ["demo", "from", "context", "fail-on", "as-group"] {
            // fish names a long flag `-l NAME`, bash and zsh `--NAME`.
            let written = if shell == "fish" {
                format!("-l {flag}")
            } else {
                format!("--{flag}")
            };
            assert!(
                script.contains(&written),
                "{shell} completions lack {written}"
            );
        }
    }
}

#[test]
fn an_unknown_shell_is_refused_with_the_known_ones() {
    let o = iamscope(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("tcsh") && err.contains("bash") && err.contains("zsh"));
}

/// bash itself completes `iamscope wh<TAB>` and `iamscope audit --fa<TAB>` with
/// the generated script (https://www.gnu.org/software/bash/manual/html_node/Programmable-Completion.html).
#[test]
fn bash_completes_commands_and_flags_with_the_script() {
    let script = stdout(&iamscope(&["completions", "bash"]));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("iamscope.bash");
    std::fs::write(&file, script).expect("write");
    let ask = |words: &str| -> String {
        let probe = format!(
            "source {f}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
             _iamscope iamscope \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            f = file.display()
        );
        let o = std::process::Command::new("bash")
            .args(["-c", &probe])
            .output()
            .expect("bash runs");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let words = ask("iamscope wh");
    assert_eq!(words.trim(), "who-can", "completing `iamscope wh`: {words}");
    let flags = ask("iamscope audit --fa");
    assert_eq!(
        flags.trim(),
        "--fail-on",
        "completing `iamscope audit --fa`: {flags}"
    );
}

#[test]
fn the_man_page_documents_every_command() {
    let page = stdout(&iamscope(&["man"]));
    assert!(page.contains(".TH iamscope 1"), "{page}");
    for cmd in COMMANDS {
        assert!(
            page.contains(&format!("iamscope\\-{}(1)", cmd.replace('-', "\\-"))),
            "iamscope(1) does not list {cmd}"
        );
    }
    let audit = stdout(&iamscope(&["man", "audit"]));
    assert!(audit.contains(".TH iamscope-audit 1"), "{audit}");
    for flag in ["fail\\-on", "max\\-related", "all\\-rules"] {
        assert!(audit.contains(flag), "iamscope-audit(1) lacks --{flag}");
    }
    let o = iamscope(&["man", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("man pages exist for audit"));
}

/// groff renders the page as `man` would show it.
#[test]
fn groff_renders_the_man_page() {
    if !on_path("groff") {
        eprintln!("groff is not installed: the rendering is not checked");
        return;
    }
    let page = stdout(&iamscope(&["man", "who-can"]));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("iamscope-who-can.1");
    std::fs::write(&file, page).expect("write");
    let o = std::process::Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww"])
        .arg(&file)
        .output()
        .expect("groff runs");
    let text = String::from_utf8_lossy(&o.stdout);
    let warnings = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && warnings.trim().is_empty(),
        "{warnings}"
    );
    // groff typesets hyphens as U+2010 and emboldens with backspaces.
    let plain: String = text.replace(['\u{2010}', '\u{2212}'], "-");
    let plain = strip_overstrike(&plain);
    assert!(plain.contains("SYNOPSIS"), "{plain}");
    assert!(plain.contains("iamscope who-can"), "{plain}");
    assert!(plain.contains("--include-system"), "{plain}");
}

/// `X\bX` (bold) and `_\bX` (underline) as plain `X`.
fn strip_overstrike(s: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{8}' {
            out.pop();
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

fn as_plugin(dir: &Path) -> std::path::PathBuf {
    let bin = assert_cmd::cargo::cargo_bin("iamscope");
    let plugin = dir.join("kubectl-iamscope");
    std::fs::copy(&bin, &plugin).expect("copy the binary");
    plugin
}

/// Installed as `kubectl-iamscope`, the binary is the same program and says
/// how it was called in its usage lines.
#[test]
fn as_kubectl_iamscope_it_audits_and_names_itself_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plugin = as_plugin(dir.path());
    let run = |args: &[&str]| {
        std::process::Command::new(&plugin)
            .args(args)
            .env_remove("AWS_PROFILE")
            .output()
            .expect("plugin runs")
    };
    let help = stdout(&run(&["audit", "--help"]));
    assert!(
        help.contains("Usage: kubectl iamscope audit"),
        "usage as a plugin: {help}"
    );
    let as_plugin = stdout(&run(&["audit", "--demo", "--format", "json"]));
    let direct = stdout(&iamscope(&["audit", "--demo", "--format", "json"]));
    assert_eq!(as_plugin, direct, "the plugin's report differs");
    let plain_help = stdout(&iamscope(&["audit", "--help"]));
    assert!(plain_help.contains("Usage: iamscope audit"), "{plain_help}");
}

/// kubectl finds the plugin on PATH and runs it: `kubectl iamscope audit …`
/// (https://kubernetes.io/docs/tasks/extend-kubectl/kubectl-plugins/).
#[test]
fn kubectl_runs_it_as_a_plugin() {
    if !on_path("kubectl") {
        eprintln!("kubectl is not installed: `kubectl iamscope` is not checked");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    as_plugin(dir.path());
    let path = std::env::join_paths(std::iter::once(dir.path().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    let kubectl = |args: &[&str]| {
        std::process::Command::new("kubectl")
            .args(args)
            .env("PATH", &path)
            .env("KUBECONFIG", dir.path().join("none"))
            .env_remove("AWS_PROFILE")
            .output()
            .expect("kubectl runs")
    };
    let list = stdout(&kubectl(&["plugin", "list"]));
    assert!(
        list.contains("kubectl-iamscope"),
        "kubectl plugin list: {list}"
    );
    let report = stdout(&kubectl(&[
        "iamscope", "audit", "--demo", "--format", "json",
    ]));
    let direct = stdout(&iamscope(&["audit", "--demo", "--format", "json"]));
    assert_eq!(report, direct, "`kubectl iamscope audit` differs");
    let o = kubectl(&[
        "iamscope",
        "audit",
        "--fail-on",
        "high",
        "--demo",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the plugin's exit code reaches the user"
    );
}
