//! The terminal UI: the only module that touches ratatui and crossterm.
//!
//! The screen appears at once; the inventory loads on a worker thread and the
//! panes fill when it arrives. The terminal is restored on quit, on error, on
//! panic and on SIGTERM.

pub mod app;
pub mod draw;
pub mod filter;
pub mod keymap;
pub mod nodes;
pub mod query_view;
pub mod views;

use std::io::{self, Write};
use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, MouseButton, MouseEvent, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;

use crate::audit::{self, Options};
use crate::graph::ReadCheck;
use crate::model::Status;
use crate::source::Target;
use app::{App, Effect, Pane};
use views::Model;

enum Msg {
    Progress(String),
    Loaded(Box<Model>),
    Failed(String),
    Terminate,
}

/// What the header says about where the data comes from.
pub fn source_label(target: &Target) -> String {
    if target.demo {
        "demo snapshot".to_string()
    } else if let Some(d) = &target.from {
        format!("snapshot {}", d.display())
    } else {
        format!(
            "live {}",
            target.context.as_deref().unwrap_or("(current context)")
        )
    }
}

/// The banner for sources that failed: never an empty pane that looks clean.
pub fn banner_for(model: &Model) -> Option<String> {
    let bad: Vec<&str> = model
        .inv
        .coverage
        .sources
        .iter()
        .filter(|s| matches!(s.status, Status::Forbidden | Status::Error))
        .map(|s| s.source.as_str())
        .collect();
    if bad.is_empty() {
        None
    } else {
        Some(format!(
            "not seen: {} — results are partial (see 7 Coverage)",
            bad.join(", ")
        ))
    }
}

fn spawn_loader(target: Target, include_system: bool, tx: mpsc::Sender<Msg>) {
    std::thread::spawn(move || {
        let ptx = tx.clone();
        // The header shows the latest line, a back-off ("retrying in 2.0s …") included.
        let progress = move |p: crate::source::live::Progress| {
            let _ = ptx.send(Msg::Progress(p.line()));
        };
        let sync_progress = std::sync::Mutex::new(progress);
        let result = crate::source::load(
            &target,
            &|p| {
                if let Ok(f) = sync_progress.lock() {
                    f(p)
                }
            },
            &ReadCheck,
        );
        let extras = crate::drift::Extras::read(&target);
        let msg = match result.and_then(|read| Ok((read, extras?))) {
            Ok(((inv, trusts), extras)) => {
                let mut findings = audit::run_with_trusts(
                    &inv,
                    &trusts,
                    &Options {
                        include_system,
                        ..Options::default()
                    },
                );
                // --baseline marks new findings; accepted risks are marked too.
                if let Err(e) = extras.apply(&mut findings) {
                    let _ = tx.send(Msg::Failed(e));
                    return;
                }
                let model = Model::new(inv, findings, include_system).with_trusts(trusts);
                // Index the role links here, off the UI thread, so that the
                // first role opened renders at once.
                model.prepare_links();
                Msg::Loaded(Box::new(model))
            }
            Err(e) => Msg::Failed(e),
        };
        let _ = tx.send(msg);
    });
}

struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
        Ok(TerminalGuard)
    }
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Run the UI until the user quits.
pub fn run(mut target: Target) -> Result<(), String> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(
            "the terminal UI needs a terminal; for a report use `iamscope audit` (e.g. `iamscope audit --demo --format table`)"
                .to_string(),
        );
    }
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        prev(info);
    }));
    let (tx, rx) = mpsc::channel::<Msg>();
    watch_sigterm(tx.clone());
    let mut include_system = false;
    spawn_loader(target.clone(), include_system, tx.clone());

    let _guard =
        TerminalGuard::enter().map_err(|e| format!("cannot start the terminal UI: {e}"))?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))
        .map_err(|e| format!("cannot start the terminal UI: {e}"))?;
    let theme = draw::Theme::from_env();
    let mut app = App::new(source_label(&target));

    // Debug builds only: a way for tests to prove a panic leaves the terminal restored.
    let panic_for_test =
        cfg!(debug_assertions) && std::env::var_os("IAMSCOPE_TEST_PANIC").is_some();
    while !app.quit {
        // An answer that has arrived opens in this frame.
        query_view::poll(&mut app);
        terminal
            .draw(|f| draw::draw(f, &mut app, theme))
            .map_err(|e| format!("drawing failed: {e}"))?;
        if panic_for_test && app.model.is_some() {
            panic!("IAMSCOPE_TEST_PANIC: a deliberate panic to test terminal restoration");
        }
        let area: Rect = terminal
            .size()
            .map(|s| Rect::new(0, 0, s.width, s.height))
            .unwrap_or_default();

        // Messages from the loader first, then input.
        while let Ok(msg) = rx.try_recv() {
            on_message(&mut app, msg);
        }
        if app.quit {
            break;
        }
        // While a question runs: wake often, for the spinner and so that its
        // answer is on screen within a frame of arriving.
        let wait = if app.questions.is_pending() { 10 } else { 100 };
        if event::poll(Duration::from_millis(wait)).map_err(|e| e.to_string())? {
            match event::read().map_err(|e| e.to_string())? {
                Event::Key(k) if k.kind == event::KeyEventKind::Press => app.on_key(k),
                Event::Mouse(m) => on_mouse(&mut app, m, area),
                _ => {}
            }
        }
        for effect in std::mem::take(&mut app.effects) {
            on_effect(&mut app, effect, &mut target, &mut include_system, &tx);
        }
    }
    drop(terminal);
    Ok(())
}

/// A message from the loader: progress, the model, a failure, or the end.
fn on_message(app: &mut App, msg: Msg) {
    match msg {
        Msg::Progress(p) => app.loading = Some(p),
        Msg::Loaded(model) => {
            app.banner = banner_for(&model);
            app.set_model(*model);
        }
        Msg::Failed(e) => {
            app.loading = None;
            app.banner = Some(e);
        }
        Msg::Terminate => app.quit = true,
    }
}

/// The wheel scrolls the pane under the pointer; a left click selects a list
/// row or focuses the detail pane.
fn on_mouse(app: &mut App, m: MouseEvent, area: Rect) {
    let (_, list, detail, _) = draw::layout(area, app.banner.is_some());
    let inside = |r: Rect| {
        m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
    };
    match m.kind {
        MouseEventKind::ScrollDown => {
            app.pane = if inside(detail) {
                Pane::Detail
            } else {
                Pane::List
            };
            app.scroll(3);
        }
        MouseEventKind::ScrollUp => {
            app.pane = if inside(detail) {
                Pane::Detail
            } else {
                Pane::List
            };
            app.scroll(-3);
        }
        MouseEventKind::Down(MouseButton::Left) => {
            if inside(list) && m.row >= list.y + 2 {
                app.pane = Pane::List;
                let i = (m.row - list.y - 2) as usize + app.screen().offset;
                if i < app.visible().len() {
                    app.select(i);
                }
            } else if inside(detail) {
                app.pane = Pane::Detail;
            }
        }
        _ => {}
    }
}

/// Carry out what a key asked for outside the app's state: the clipboard, an
/// export, contexts, a reload, the system-subjects toggle.
fn on_effect(
    app: &mut App,
    effect: Effect,
    target: &mut Target,
    include_system: &mut bool,
    tx: &mpsc::Sender<Msg>,
) {
    match effect {
        Effect::Copy(text) => {
            // OSC 52: the terminal puts it on the clipboard, also over SSH.
            let mut out = io::stdout();
            let _ = write!(out, "\x1b]52;c;{}\x07", base64(text.as_bytes()));
            let _ = out.flush();
        }
        Effect::Export { json } => app.status = Some(export(app, json)),
        Effect::ListContexts => list_contexts(app, target),
        Effect::SwitchContext(name) => {
            target.context = Some(name);
            app.source_label = source_label(target);
            app.loading = Some("collecting".into());
            spawn_loader(target.clone(), *include_system, tx.clone());
        }
        Effect::Reload => {
            app.loading = Some("reloading".into());
            spawn_loader(target.clone(), *include_system, tx.clone());
        }
        Effect::ToggleSystem => toggle_system(app, target, include_system),
    }
}

/// `:ctx`: the kubeconfig's contexts to pick from (live mode only).
fn list_contexts(app: &mut App, target: &Target) {
    if target.demo || target.from.is_some() {
        app.status = Some(format!(
            "{}: contexts apply to live mode (iamscope --context NAME)",
            app.source_label
        ));
    } else {
        match contexts(target) {
            Ok((names, current)) => {
                let current = target.context.clone().or(current);
                app.show_contexts(names, current);
            }
            Err(e) => app.status = Some(e),
        }
    }
}

/// Show or hide Kubernetes system subjects: the audit runs again on the
/// inventory already read.
fn toggle_system(app: &mut App, target: &Target, include_system: &mut bool) {
    *include_system = !*include_system;
    let include_system = *include_system;
    if let Some(m) = app.model.clone() {
        let inv = m.inv.clone();
        let mut findings = audit::run_with_trusts(
            &inv,
            &m.trusts,
            &Options {
                include_system,
                ..Options::default()
            },
        );
        if let Ok(extras) = crate::drift::Extras::read(target) {
            let _ = extras.apply(&mut findings);
        }
        app.set_model(Model::new(inv, findings, include_system).with_trusts(m.trusts.clone()));
    }
    app.status = Some(if include_system {
        "showing Kubernetes system subjects and their findings".into()
    } else {
        "hiding Kubernetes system subjects".into()
    });
}

/// SIGTERM, SIGHUP (the terminal went away) and an external SIGINT end the UI
/// with the terminal restored. The main loop is asked first; if it is stuck
/// (a vanished tty can keep the input reader busy), the process exits here.
#[cfg(unix)]
fn watch_sigterm(tx: mpsc::Sender<Msg>) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        let code = rt.block_on(async {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
                signal(SignalKind::interrupt()),
            ) else {
                return None;
            };
            tokio::select! {
                _ = term.recv() => Some(143),
                _ = hup.recv() => Some(129),
                _ = int.recv() => Some(130),
            }
        });
        if let Some(code) = code {
            let _ = tx.send(Msg::Terminate);
            std::thread::sleep(Duration::from_millis(300));
            restore_terminal();
            std::process::exit(code);
        }
    });
}

#[cfg(not(unix))]
fn watch_sigterm(_tx: mpsc::Sender<Msg>) {}

/// The contexts of the kubeconfig files the live source reads (as kubectl
/// does: `--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`), and the
/// current one.
pub fn contexts(target: &Target) -> Result<(Vec<String>, Option<String>), String> {
    let paths: Vec<std::path::PathBuf> = if let Some(list) = &target.kubeconfig {
        crate::source::kubeconfig::split_paths(list)
            .into_iter()
            .map(Into::into)
            .collect()
    } else if let Some(v) = std::env::var_os("KUBECONFIG") {
        std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect()
    } else {
        std::env::var_os("HOME")
            .map(|h| vec![std::path::Path::new(&h).join(".kube").join("config")])
            .unwrap_or_default()
    };
    let mut names = Vec::new();
    let mut current = None;
    for p in paths.iter().filter(|p| p.is_file()) {
        let kc = kube::config::Kubeconfig::read_from(p)
            .map_err(|e| format!("cannot read kubeconfig {}: {e}", p.display()))?;
        current = current.or(kc.current_context.clone());
        for c in kc.contexts {
            if !names.contains(&c.name) {
                names.push(c.name);
            }
        }
    }
    if names.is_empty() {
        return Err(
            "no kubeconfig contexts found (--kubeconfig, KUBECONFIG or ~/.kube/config)".into(),
        );
    }
    Ok((names, current))
}

/// The current view as markdown or JSON, written to the working directory.
pub fn export_text(app: &App, json: bool) -> Option<(String, String)> {
    // An answer is exported whole, as the command line writes it.
    if let Some(answer) = query_view::export_text(app, json) {
        return Some(answer);
    }
    let table = app.table()?;
    let rows: Vec<&views::Row> = app.visible().iter().map(|&i| &table.rows[i]).collect();
    let slug: String = table
        .title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let text = if json {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let obj: serde_json::Map<String, serde_json::Value> = table
                    .headers
                    .iter()
                    .zip(r.cells.iter())
                    .map(|(h, c)| (h.to_lowercase(), serde_json::Value::String(c.clone())))
                    .collect();
                serde_json::Value::Object(obj)
            })
            .collect();
        serde_json::to_string_pretty(&items).unwrap_or_default()
    } else {
        let mut s = format!(
            "# {}\n\n| {} |\n|{}|\n",
            table.title,
            table.headers.join(" | "),
            "---|".repeat(table.headers.len())
        );
        for r in rows {
            s.push_str(&format!(
                "| {} |\n",
                r.cells
                    .iter()
                    .map(|c| c.replace('|', "\\|"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        s
    };
    Some((
        format!(
            "iamscope-{}.{}",
            slug.trim_matches('-'),
            if json { "json" } else { "md" }
        ),
        text,
    ))
}

fn export(app: &App, json: bool) -> String {
    let answer = query_view::export_text(app, json);
    let whole = answer.is_some();
    match answer.or_else(|| export_text(app, json)) {
        None => "nothing to export yet".into(),
        Some((name, text)) => match std::fs::write(&name, text) {
            Ok(()) if whole => format!("exported the whole answer to {name}"),
            Ok(()) => format!("exported {} rows to {name}", app.visible().len()),
            Err(e) => format!("cannot write {name}: {e}"),
        },
    }
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (i, o) in cases {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }
}
