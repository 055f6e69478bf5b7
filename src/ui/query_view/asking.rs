//! Asking from the UI: starting a question, polling and waiting for its
//! answer, opening the view it fills, abandoning it.

use super::*;

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
            app.questions
                .start(Arc::clone(&model.inv), model.trusts.clone(), asked);
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
