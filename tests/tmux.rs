//! The real binary in a real terminal: tmux runs `iamscope --demo`, keys are
//! sent, and the captured screen is checked for what a person would see.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

struct Session {
    name: String,
}

impl Session {
    fn start(w: u16, h: u16, env: &[(&str, &str)]) -> Session {
        Session::start_in(w, h, env, None)
    }

    /// Started in `dir` (where `e`/`E` write their files).
    fn start_in(w: u16, h: u16, env: &[(&str, &str)], dir: Option<&std::path::Path>) -> Session {
        assert!(
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success()),
            "tmux is needed for this test (scripts/test.sh installs it)"
        );
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("iamscope-test-{}-{n}-{w}x{h}", std::process::id());
        let bin = assert_cmd::cargo::cargo_bin("iamscope");
        let mut cmd = String::new();
        for (k, v) in env {
            cmd.push_str(&format!("{k}={v} "));
        }
        // The shell stays after iamscope exits, so the restored screen can be read.
        cmd.push_str(&format!(
            "{} --demo; echo EXITED=$?; sleep 30",
            bin.display()
        ));
        let (w, h) = (w.to_string(), h.to_string());
        let mut args = vec![
            "-L",
            &name,
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            &w,
            "-y",
            &h,
        ];
        let dir = dir.map(|d| d.display().to_string());
        if let Some(d) = &dir {
            args.extend(["-c", d]);
        }
        args.extend(["sh", "-c", &cmd]);
        let ok = Command::new("tmux")
            .args(&args)
            .status()
            .expect("tmux runs");
        assert!(ok.success());
        Session { name }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let st = Command::new("tmux")
                .args(["-L", &self.name, "send-keys", "-t", &self.name, k])
                .status()
                .expect("send-keys");
            assert!(st.success());
            sleep(Duration::from_millis(60));
        }
    }

    /// The pid of iamscope: the child of the pane's shell.
    fn iamscope_pid(&self) -> String {
        let shell = Command::new("tmux")
            .args([
                "-L",
                &self.name,
                "display-message",
                "-p",
                "-t",
                &self.name,
                "#{pane_pid}",
            ])
            .output()
            .expect("pane pid");
        let shell = String::from_utf8_lossy(&shell.stdout).trim().to_string();
        let child = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&child.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.name, "capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until the screen shows `text` (the UI redraws within 100 ms of input).
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("screen never showed {text:?}:\n{s}");
            }
            sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.name, "kill-server"])
            .status();
    }
}

#[test]
fn an_investigation_in_a_real_terminal() {
    let t = Session::start(160, 48, &[("NO_COLOR", "1")]);
    let s = t.wait_for("Findings [");
    assert!(
        s.contains("cluster prod-eks") && s.contains("account 111122223333"),
        "{s}"
    );
    assert!(s.contains("Detail"), "the detail pane is there: {s}");

    // Filter to the admin role finding, drill into it, then into the role.
    t.keys(&["/", "rule:IAM-001", "Enter"]);
    let s = t.wait_for("/rule:IAM-001");
    assert!(
        s.contains("IAM-001") && s.contains("prod-eks-data-platform-airflow"),
        "{s}"
    );
    t.keys(&["Enter"]);
    t.wait_for("Findings › IAM-001");
    t.keys(&["Enter"]);
    let s = t.wait_for("› IamRole arn:aws:iam::111122223333:role/prod-eks-data-platform-airflow");
    assert!(
        s.contains("Trust policy") || s.contains("ServiceAccount"),
        "{s}"
    );

    // Back twice, the filter is still there; Esc clears it.
    t.keys(&["Escape", "Escape"]);
    let s = t.wait_for("Findings  /rule:IAM-001");
    assert!(!s.contains("› IamRole"), "{s}");
    t.keys(&["Escape"]);
    let s = t.wait_for("Findings [");
    assert!(!s.contains("/rule:IAM-001"), "{s}");

    // A command switches view; help opens and closes.
    t.keys(&[":", "sa", "Enter"]);
    t.wait_for("Service accounts [");
    t.keys(&["?"]);
    t.wait_for("any key closes this help");
    t.keys(&["x"]);
    let s = t.wait_for("Service accounts [");
    assert!(!s.contains("any key closes this help"), "{s}");

    // Quit restores the terminal: the alternate screen is gone and the shell prints the exit status.
    t.keys(&["q"]);
    let s = t.wait_for("EXITED=0");
    assert!(
        !s.contains("Service accounts ["),
        "UI left on screen after quit:\n{s}"
    );
}

#[test]
fn small_terminal_and_resize() {
    let t = Session::start(80, 24, &[]);
    let s = t.wait_for("Findings [");
    assert!(s.contains("1 Findings"), "{s}");
    for (w, h) in [(40, 10), (20, 5), (250, 70), (80, 24)] {
        let st = Command::new("tmux")
            .args([
                "-L",
                &t.name,
                "resize-window",
                "-t",
                &t.name,
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .status()
            .expect("resize");
        assert!(st.success());
        sleep(Duration::from_millis(200));
    }
    let s = t.wait_for("Findings [");
    assert!(s.contains("iamscope"), "{s}");
    t.keys(&["C-c"]);
    t.wait_for("EXITED=0");
}

/// SIGTERM (a scheduler, `kill`) and SIGHUP (the terminal closing) end the UI
/// and leave the terminal usable; no process is left spinning.
#[test]
fn signals_restore_the_terminal() {
    let t = Session::start(100, 30, &[]);
    t.wait_for("Findings [");
    let pid = t.iamscope_pid();
    assert!(!pid.is_empty(), "iamscope's pid");
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let s = t.wait_for("EXITED=");
    assert!(
        !s.contains("Findings ["),
        "UI left on screen after SIGTERM:\n{s}"
    );

    // Closing the terminal under a running UI must not leave it behind.
    let t2 = Session::start(100, 30, &[]);
    t2.wait_for("Findings [");
    let pid = t2.iamscope_pid();
    drop(t2);
    let start = Instant::now();
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "iamscope {pid} still running after its terminal closed"
        );
        sleep(Duration::from_millis(100));
    }
}

/// A panic restores the terminal before the message is printed.
#[test]
fn a_panic_restores_the_terminal() {
    let t = Session::start(
        100,
        30,
        &[
            ("IAMSCOPE_TEST_PANIC", "1"),
            ("RUST_BACKTRACE", "0"),
            ("RUST_LIB_BACKTRACE", "0"),
        ],
    );
    let s = t.wait_for("EXITED=");
    assert!(
        s.contains("deliberate panic"),
        "the panic message is readable:\n{s}"
    );
    assert!(
        !s.contains("Findings ["),
        "UI left on screen after a panic:\n{s}"
    );
    assert!(!s.contains("EXITED=0"), "a panic is not a clean exit:\n{s}");
}

/// Issue 15 in a real terminal: `:who` answers off the UI thread and opens its
/// results view; Enter shows a path's hops; `E` writes the answer to the file
/// the status line names, equal to `iamscope who-can … -o json`.
#[test]
fn a_question_answered_in_a_real_terminal() {
    let lake = "arn:aws:s3:::acme-data-lake-raw/kafka/x";
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Session::start_in(160, 48, &[("NO_COLOR", "1")], Some(dir.path()));
    t.wait_for("Findings [");
    t.keys(&[":", &format!("who s3:GetObject {lake}"), "Enter"]);
    let s = t.wait_for("Answer: who-can s3:GetObject");
    assert!(s.contains("yes — 40 subjects"), "{s}");
    assert!(s.contains("ServiceAccount ci/jenkins"), "{s}");
    // Filtered to ci/jenkins (its own row comes first: shortest path) and its hops.
    t.keys(&["/", "ci/jenkins", "Enter"]);
    t.wait_for("/ci/jenkins");
    t.keys(&["Enter"]);
    let s = t.wait_for("Path: yes — ServiceAccount ci/jenkins");
    assert!(
        s.contains("assumes") && s.contains("IamRole prod-eks-ci-jenkins"),
        "{s}"
    );
    assert!(s.contains("IRSA annotation"), "the evidence: {s}");
    t.keys(&["E"]);
    let name = "iamscope-who-can-s3-getobject-arn-aws-s3-acme-data-lake-raw-kafka-x.json";
    t.wait_for(&format!("exported the whole answer to {name}"));
    let ui: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(name)).expect("the file"))
            .expect("json");
    let out = Command::new(assert_cmd::cargo::cargo_bin("iamscope"))
        .args(["who-can", "--demo", "s3:GetObject", lake, "-o", "json"])
        .output()
        .expect("who-can runs");
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(ui, cli);
    t.keys(&["q"]);
    t.wait_for("EXITED=0");
}
