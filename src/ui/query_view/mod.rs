//! Questions in the terminal UI (`../shared/spec/query.md`, "TUI"): `:can`,
//! `:who`, `:reach`, and `a` on the selected row, open a results view.
//!
//! One evaluation: a question is read with the command line's own grammar
//! (`query::args`, so `-n`, `-A`, `--subresource`, `--as-group`,
//! `--context-entry`, `--direct` mean what they mean there) and answered by
//! the same `query::Asker` as `iamscope can-i`/`who-can`/`reach`; the view
//! only lays the answer out, and `e`/`E` write it with the command line's own
//! markdown and JSON writers.
//!
//! The question runs on a thread of its own; the UI keeps drawing (a spinner
//! in the status line) and Esc abandons it. When the answer arrives the
//! runner polls faster, so the view opens within a frame of it.
//!
//! One idea a file: `parse` (reading and answering a question), `questions`
//! (the session's answers and the one running), `asking` (starting, polling,
//! abandoning from the UI), `suggest` (the question of the selected row),
//! `done` (one answer as the views read it), `tables` (the results and hops
//! tables), `detail` (a row's detail text), `keys` (keys on a results view,
//! export). This file holds the question, answer and row types. Like
//! `ui::views`, nothing here imports ratatui or crossterm (only `ui::draw`
//! does) or reads sources; answers come from `query` only (ARCHITECTURE.md).

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use clap::Parser;

use super::app::{App, Effect, ScreenKind};
use super::keymap::Action as Key;
use super::views::{Col, Line, Model, Node, Row, Table, Tone};
use crate::graph::ParsedTrusts;
use crate::model::Inventory;
use crate::query::answer::{Answer, Decision, Hop, Node as QNode};
use crate::query::args::{QuestionArgs, QuestionLine, action_of};
use crate::query::output::{self, QueryFormat};
use crate::query::reach::{self, Reach};
use crate::query::{Action, AsSubject, Asker, parse_subject};

mod asking;
mod detail;
mod done;
mod keys;
mod parse;
mod questions;
mod suggest;
mod tables;

pub use asking::*;
pub use detail::*;
use done::*;
pub use keys::*;
pub use parse::*;
pub use suggest::*;
pub use tables::*;

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
        // Where to read from is chosen when iamscope starts, not per question.
        for q in [
            "who get pods --demo",
            "who s3:GetObject '*' --context prod",
            "can group:sre get pods --from=/tmp/x",
            "reach group:sre --profile prod",
        ] {
            let e = parse(q, false).unwrap_err();
            assert!(e.contains("reads from") && e.contains("usage"), "{q}: {e}");
        }
        let ok = parse(
            "who s3:GetObject '*' --context-entry aws:SourceVpc=v",
            false,
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}
