//! Keys on a results view (following a row into the inventory, asking again)
//! and exporting an answer as markdown or JSON.

use super::*;

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
