//! Keys → actions, k9s-like. The help screen and the status line are
//! generated from this table, so they cannot drift from what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    NextPane,
    Open,
    Back,
    HistoryBack,
    HistoryForward,
    Command,
    Filter,
    ToggleSystem,
    Copy,
    Export,
    ExportJson,
    Refresh,
    Path,
    Mark,
    Ask,
    Help,
    Quit,
    NextView,
    PrevView,
    DetailUp,
    DetailDown,
}

pub struct Binding {
    pub keys: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// Shown in the status line.
    pub hint: bool,
}

const fn b(keys: &'static str, action: Action, help: &'static str, hint: bool) -> Binding {
    Binding {
        keys,
        action,
        help,
        hint,
    }
}

pub const BINDINGS: &[Binding] = &[
    b("j ↓", Action::Down, "next row", false),
    b("k ↑", Action::Up, "previous row", false),
    b("g Home", Action::Top, "first row", false),
    b("G End", Action::Bottom, "last row", false),
    b("PgDn ^f", Action::PageDown, "page down", false),
    b("PgUp ^b", Action::PageUp, "page up", false),
    b("Enter", Action::Open, "open what is related", true),
    b("Esc", Action::Back, "back (clear filter first)", true),
    b("[", Action::HistoryBack, "history back", false),
    b("]", Action::HistoryForward, "history forward", false),
    b("Tab", Action::NextPane, "switch list / detail pane", true),
    b("J K", Action::DetailDown, "scroll the detail pane", false),
    b("1-7 → ←", Action::NextView, "switch view", false),
    b(
        ":",
        Action::Command,
        "command (:sa :roles :findings :auth :api :cov :subjects :ctx :q)",
        true,
    ),
    b(
        "/",
        Action::Filter,
        "filter (text sev:high rule:IRSA-* ns:payments !term)",
        true,
    ),
    b(
        "p",
        Action::Path,
        "path view of the selection (or from the marked row)",
        true,
    ),
    b(
        "m",
        Action::Mark,
        "mark a row, then p on another: the path between them",
        false,
    ),
    b(
        "a",
        Action::Ask,
        "ask about the row: reach of account/subject/pod; who can assume a role",
        false,
    ),
    b(
        "s",
        Action::ToggleSystem,
        "show/hide Kubernetes system subjects",
        false,
    ),
    b(
        "y",
        Action::Copy,
        "copy the name, ARN or fix (OSC 52)",
        true,
    ),
    b("e", Action::Export, "export the view as markdown", false),
    b("E", Action::ExportJson, "export the view as json", false),
    b("r", Action::Refresh, "reload and re-audit", false),
    b("?", Action::Help, "help", true),
    b("q", Action::Quit, "quit", true),
];

/// The action for a key in normal mode.
pub fn action(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('f') if ctrl => Action::PageDown,
        KeyCode::Char('b') if ctrl => Action::PageUp,
        KeyCode::Char('d') if ctrl => Action::PageDown,
        KeyCode::Char('u') if ctrl => Action::PageUp,
        KeyCode::Char('j') | KeyCode::Down => Action::Down,
        KeyCode::Char('k') | KeyCode::Up => Action::Up,
        KeyCode::Char('J') => Action::DetailDown,
        KeyCode::Char('K') => Action::DetailUp,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Tab | KeyCode::BackTab => Action::NextPane,
        KeyCode::Enter | KeyCode::Char('l') => Action::Open,
        KeyCode::Esc | KeyCode::Backspace | KeyCode::Char('h') => Action::Back,
        KeyCode::Char('[') => Action::HistoryBack,
        KeyCode::Char(']') => Action::HistoryForward,
        KeyCode::Char(':') => Action::Command,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Char('s') => Action::ToggleSystem,
        KeyCode::Char('y') => Action::Copy,
        KeyCode::Char('e') => Action::Export,
        KeyCode::Char('E') => Action::ExportJson,
        KeyCode::Char('r') => Action::Refresh,
        KeyCode::Char('p') => Action::Path,
        KeyCode::Char('m') => Action::Mark,
        KeyCode::Char('a') => Action::Ask,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Right => Action::NextView,
        KeyCode::Left => Action::PrevView,
        _ => return None,
    })
}

/// The status-line hints.
pub fn hints() -> String {
    BINDINGS
        .iter()
        .filter(|b| b.hint)
        .map(|b| format!("{} {}", b.keys, b.help.split(' ').next().unwrap_or("")))
        .collect::<Vec<_>>()
        .join("  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn k9s_keys() {
        assert_eq!(action(key(KeyCode::Char('j'))), Some(Action::Down));
        assert_eq!(action(key(KeyCode::Down)), Some(Action::Down));
        assert_eq!(action(key(KeyCode::Char('G'))), Some(Action::Bottom));
        assert_eq!(action(key(KeyCode::Enter)), Some(Action::Open));
        assert_eq!(action(key(KeyCode::Esc)), Some(Action::Back));
        assert_eq!(action(key(KeyCode::Char(':'))), Some(Action::Command));
        assert_eq!(action(key(KeyCode::Char('/'))), Some(Action::Filter));
        assert_eq!(action(key(KeyCode::Char('q'))), Some(Action::Quit));
        assert_eq!(
            action(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(action(key(KeyCode::Char('x'))), None);
    }

    #[test]
    fn every_action_in_the_help_has_a_key() {
        // The help table documents what `action` does: each documented action is reachable.
        let all_keys = [
            KeyCode::Char('j'),
            KeyCode::Char('k'),
            KeyCode::Char('g'),
            KeyCode::Char('G'),
            KeyCode::PageDown,
            KeyCode::PageUp,
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Char('['),
            KeyCode::Char(']'),
            KeyCode::Tab,
            KeyCode::Char('J'),
            KeyCode::Right,
            KeyCode::Char(':'),
            KeyCode::Char('/'),
            KeyCode::Char('p'),
            KeyCode::Char('m'),
            KeyCode::Char('a'),
            KeyCode::Char('s'),
            KeyCode::Char('y'),
            KeyCode::Char('e'),
            KeyCode::Char('E'),
            KeyCode::Char('r'),
            KeyCode::Char('?'),
            KeyCode::Char('q'),
        ];
        let reachable: Vec<Action> = all_keys.iter().filter_map(|k| action(key(*k))).collect();
        for b in BINDINGS {
            assert!(
                reachable.contains(&b.action),
                "{} ({:?}) has no key",
                b.keys,
                b.action
            );
        }
        assert!(hints().contains("? help") && hints().contains("q quit"));
    }
}
