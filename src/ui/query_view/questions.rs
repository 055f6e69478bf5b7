//! The answers of this session and the question being answered on its own
//! thread: progress, abandoning, keeping the last answers.

use super::*;

impl Questions {
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// The status line while a question runs: spinner, question, time so far.
    pub fn progress(&self) -> Option<String> {
        let p = self.pending.as_ref()?;
        let t = p.started.elapsed();
        let frame = SPINNER[(t.as_millis() / 100) as usize % SPINNER.len()];
        Some(format!(
            "{frame} asking {} ({:.1} s) — Esc abandons",
            clip(&p.text, 70),
            t.as_secs_f64()
        ))
    }

    /// Ask on a thread of its own; a question already running is abandoned.
    pub fn start(&mut self, inv: Arc<Inventory>, trusts: ParsedTrusts, asked: Asked) {
        let (tx, rx) = mpsc::channel();
        let text = asked.text.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let r = answer(&inv, &trusts, &asked.question).map(|outcome| Done {
                text: asked.text,
                outcome,
                took: t.elapsed(),
            });
            // Abandoned: nobody listens any more, and that is fine.
            let _ = tx.send(r);
        });
        self.pending = Some(Pending {
            text,
            started: Instant::now(),
            rx,
        });
    }

    /// Stop waiting for the running question; its question text.
    pub fn abandon(&mut self) -> Option<String> {
        self.pending.take().map(|p| p.text)
    }

    /// An answer that has arrived: its id (or the error).
    pub(super) fn take_arrived(&mut self) -> Option<Result<usize, String>> {
        let p = self.pending.as_ref()?;
        let r = match p.rx.try_recv() {
            Ok(r) => r,
            Err(mpsc::TryRecvError::Empty) => return None,
            Err(mpsc::TryRecvError::Disconnected) => {
                Err("the question stopped without an answer".to_string())
            }
        };
        self.pending = None;
        Some(r.map(|d| self.keep(d)))
    }

    /// Store an answer; the oldest beyond `KEPT` are let go.
    pub fn keep(&mut self, done: Done) -> usize {
        let id = self.answers.len();
        self.answers.push(Some(Arc::new(done)));
        if id >= KEPT
            && let Some(old) = self.answers[id - KEPT].take()
        {
            // Freeing an answer of tens of thousands of paths takes
            // milliseconds of the frame that shows the new one: done aside.
            std::thread::spawn(move || drop(old));
        }
        id
    }

    pub fn get(&self, id: usize) -> Option<&Arc<Done>> {
        self.answers.get(id).and_then(Option::as_ref)
    }
}
