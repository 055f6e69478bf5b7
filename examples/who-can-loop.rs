//! Times `who-can` on an AWS action after the first question, as a batch or
//! the TUI asks it: the estate is loaded and the `Asker` built once, the
//! first question (which builds who-can's graph and role chaining) is timed
//! on its own, then N more, each on another bucket (`data-K/x`), so that no
//! answer comes from the per-question memos. Prints the minimum, median and
//! maximum: on a shared 2-core machine the minimum and median of many
//! questions move less than criterion's mean of ten (BENCHMARKS.md).
//!
//! `cargo run --release --example who-can-loop -- ESTATE_DIR [N] [ACTION]`
//! (N defaults to 15, ACTION to s3:GetObject).

use iamscope::graph::ReadCheck;
use iamscope::query::{Action, Asker, AwsAction};

/// The allocator the `iamscope` binary ships with (src/main.rs).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: who-can-loop ESTATE_DIR [N] [ACTION]";
    let dir = args.next().ok_or(usage)?;
    let n: usize = match args.next() {
        Some(s) => s.parse().map_err(|e| format!("N {s:?}: {e}; {usage}"))?,
        None => 15,
    };
    let action = args.next().unwrap_or_else(|| "s3:GetObject".to_string());
    let (inv, trusts) =
        iamscope::source::snapshot::read_dir(std::path::Path::new(&dir), &ReadCheck)
            .map_err(|e| format!("{dir}: {e}"))?;
    let asker = Asker::with_trusts(&inv, &trusts);
    let question = |k: usize| {
        Action::Aws(AwsAction {
            action: action.clone(),
            resource: format!("arn:aws:s3:::data-{k}/x"),
            ..AwsAction::default()
        })
    };
    let t = std::time::Instant::now();
    let first = asker.who_can(&question(0), false).answers.len();
    println!("first who-can: {:?} ({first} answers)", t.elapsed());
    let mut ms: Vec<f64> = (1..=n.max(1))
        .map(|k| {
            let t = std::time::Instant::now();
            let answer = asker.who_can(&question(k), false);
            std::hint::black_box(answer.answers.len());
            drop(answer);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "after the first, {} questions: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        ms.len(),
        ms[0],
        ms[ms.len() / 2],
        ms[ms.len() - 1]
    );
    Ok(())
}
