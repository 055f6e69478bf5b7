//! Stage benchmarks of the terminal UI on generated estates (see benches/audit.rs
//! for how to make them): view-model build, every view's table, a frame
//! rendered with ratatui's TestBackend, and a filter keystroke.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamscope::audit::{self, Options};
use iamscope::graph::{ParsedTrusts, ReadCheck};
use iamscope::ui::app::App;
use iamscope::ui::draw::{self, Theme};
use iamscope::ui::views::{self, Model, ViewKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The allocator the `iamscope` binary ships with (src/main.rs), so that stage
/// times add up to the whole process's.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn estates() -> Vec<(String, PathBuf)> {
    // `cargo test --all-targets` runs benches once as tests, in a debug build:
    // measuring gigabyte estates there would only slow the test suite down.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("estates are measured by `cargo bench` only; nothing to do in test mode");
        return Vec::new();
    }
    let root = std::env::var("IAMSCOPE_ESTATES").unwrap_or_else(|_| "/tmp".into());
    let sizes = std::env::var("IAMSCOPE_SIZES").unwrap_or_else(|_| "small,medium,large".into());
    sizes
        .split(',')
        .map(|s| {
            (
                s.to_string(),
                PathBuf::from(&root).join(format!("estate-{s}")),
            )
        })
        .filter(|(_, p)| p.is_dir())
        .collect()
}

fn key(app: &mut App, c: KeyCode) {
    app.on_key(KeyEvent::new(c, KeyModifiers::NONE));
}

const MONO: Theme = Theme { color: false };

fn ui(c: &mut Criterion) {
    for (size, dir) in estates() {
        let (inv, trusts) = iamscope::source::snapshot::read_dir(&dir, &ReadCheck).expect("estate");
        let opts = Options {
            include_system: false,
            all_rules: false,
            now: "2026-11-29T00:00:00Z".parse().expect("timestamp"),
            ..Options::default()
        };
        let findings = audit::run_with_trusts(&inv, &trusts, &opts);
        let mut g = c.benchmark_group(format!("ui/{size}"));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(if size == "large" { 30 } else { 10 }))
            .warm_up_time(Duration::from_secs(1));
        // Model::new owns the inventory and findings: clone them outside the timing.
        g.bench_function("model", |b| {
            b.iter_batched(
                || (inv.clone(), findings.clone(), trusts.clone()),
                |(i, f, t)| Model::new(i, f, false).with_trusts(t),
                BatchSize::PerIteration,
            )
        });
        let model = Model::new(inv.clone(), findings.clone(), false).with_trusts(trusts.clone());
        g.bench_function("tables-all-views", |b| {
            b.iter(|| {
                ViewKind::ALL
                    .iter()
                    .map(|v| views::table(*v, &model).rows.len())
                    .sum::<usize>()
            })
        });
        let mut app = App::new(format!("estate-{size}"));
        app.set_model(model);
        let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
        g.bench_function("frame", |b| {
            b.iter(|| {
                term.draw(|f| draw::draw(f, &mut app, MONO)).expect("draw");
            })
        });
        // Filter mode with a query; each iteration is one keystroke (alternately
        // narrowing the list with a character and widening it with Backspace)
        // and the frame that shows its result.
        key(&mut app, KeyCode::Char('/'));
        for ch in "payments".chars() {
            key(&mut app, KeyCode::Char(ch));
        }
        let mut narrow = true;
        g.bench_function("filter-key+frame", |b| {
            b.iter(|| {
                key(
                    &mut app,
                    if narrow {
                        KeyCode::Char('x')
                    } else {
                        KeyCode::Backspace
                    },
                );
                narrow = !narrow;
                term.draw(|f| draw::draw(f, &mut app, MONO)).expect("draw");
            })
        });
        open_answer(&mut g, &size, (&inv, &trusts), &findings, &mut term);
        // Opening the role that the most service accounts can assume (every
        // one of them, on the real-shape estates): Enter on it in the IAM
        // roles view and the frame that shows its "who can assume it" table;
        // then scrolling that table a page at a time.
        let model = Model::new(inv.clone(), findings.clone(), false).with_trusts(trusts.clone());
        let mut per_role: std::collections::HashMap<String, usize> = Default::default();
        for l in model.role_links() {
            *per_role.entry(l.role_arn.clone()).or_default() += 1;
        }
        for arn in model.everyone_roles() {
            per_role.insert(arn.clone(), inv.service_accounts.len());
        }
        let Some((arn, links)) = per_role.into_iter().max_by_key(|(a, n)| (*n, a.clone())) else {
            g.finish();
            continue;
        };
        let name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
        eprintln!("ui/{size}: opening {arn} ({links} links)");
        let mut app = App::new(format!("estate-{size}"));
        app.set_model(model);
        app.run_command(&format!("roles {name}"));
        term.draw(|f| draw::draw(f, &mut app, MONO)).expect("draw");
        g.bench_function("open-broad-role+frame", |b| {
            b.iter_custom(|n| time_first_open(&mut app, &mut term, n))
        });
        // Esc from that table back to the IAM roles view.
        g.bench_function("back-from-broad-role+frame", |b| {
            b.iter_custom(|n| {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    key(&mut app, KeyCode::Enter);
                    term.draw(|f| draw::draw(f, &mut app, MONO)).expect("draw");
                    let t = std::time::Instant::now();
                    key(&mut app, KeyCode::Esc);
                    term.draw(|f| draw::draw(f, &mut app, MONO)).expect("draw");
                    total += t.elapsed();
                }
                total
            })
        });
        key(&mut app, KeyCode::Enter);
        let rows = app.table().map(|t| t.rows.len()).unwrap_or(0);
        eprintln!("ui/{size}: {} — {rows} rows", app.breadcrumbs());
        // A role admitting many accounts shows them as one row: Enter on it
        // opens the full list (every account, paged), which is what scrolls.
        let folded = app.table().and_then(|t| {
            t.rows
                .iter()
                .position(|r| matches!(r.node, iamscope::ui::views::Node::AdmittedBy(_)))
        });
        if let Some(i) = folded {
            let at = app.visible().iter().position(|&v| v == i).unwrap_or(i);
            app.select(at);
            term.draw(|f| draw::draw(f, &mut app, MONO)).expect("draw");
            g.bench_function("open-admitted-list+frame", |b| {
                b.iter_custom(|n| time_first_open(&mut app, &mut term, n))
            });
            key(&mut app, KeyCode::Enter);
            let rows = app.table().map(|t| t.rows.len()).unwrap_or(0);
            eprintln!("ui/{size}: {} — {rows} rows", app.breadcrumbs());
        }
        let mut down = true;
        let mut steps = 0;
        g.bench_function("scroll-broad-role+frame", |b| {
            b.iter(|| {
                key(
                    &mut app,
                    if down {
                        KeyCode::PageDown
                    } else {
                        KeyCode::PageUp
                    },
                );
                steps += 1;
                if steps % 200 == 0 {
                    down = !down;
                }
                term.draw(|f| draw::draw(f, &mut app, MONO)).expect("draw");
            })
        });
        g.finish();
    }
}

/// `n` times: Enter on the selected row and the frame (timed), then Esc and
/// its frame; each open is a first one, not the table kept from the last.
fn time_first_open(app: &mut App, term: &mut Terminal<TestBackend>, n: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..n {
        app.forget_kept_tables();
        let t = std::time::Instant::now();
        key(app, KeyCode::Enter);
        term.draw(|f| draw::draw(f, app, MONO)).expect("draw");
        total += t.elapsed();
        key(app, KeyCode::Esc);
        term.draw(|f| draw::draw(f, app, MONO)).expect("draw");
    }
    total
}

/// A question's results view (issue 15): from the answer in hand (computed
/// once, off the timing, as the UI's worker thread does) to the first frame
/// that shows it — the table of every subject built and drawn — then Esc.
fn open_answer(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    size: &str,
    (inv, trusts): (&iamscope::model::Inventory, &ParsedTrusts),
    findings: &[iamscope::audit::Finding],
    term: &mut Terminal<TestBackend>,
) {
    use iamscope::ui::query_view::{self, Done, Outcome};
    let text = std::env::var("IAMSCOPE_UI_QUESTION")
        .unwrap_or_else(|_| "who s3:GetObject arn:aws:s3:::billing-shared/x".into());
    let asked = query_view::parse(&text, false).expect("question");
    let t = std::time::Instant::now();
    let Ok(Outcome::Answer(answer)) = query_view::answer(inv, trusts, &asked.question) else {
        eprintln!("ui/{size}: {text}: no answer to open");
        return;
    };
    eprintln!(
        "ui/{size}: {} — {} subjects, answered in {:.0} ms",
        asked.text,
        answer.answers.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let mut app = App::new(format!("estate-{size}"));
    app.set_model(Model::new(inv.clone(), findings.to_vec(), false).with_trusts(trusts.clone()));
    term.draw(|f| draw::draw(f, &mut app, MONO)).expect("draw");
    g.bench_function("open-answer+frame", |b| {
        b.iter_custom(|n| {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                let done = Done {
                    text: asked.text.clone(),
                    outcome: Outcome::Answer(answer.clone()),
                    took: Duration::ZERO,
                };
                let t = std::time::Instant::now();
                query_view::show(&mut app, done);
                term.draw(|f| draw::draw(f, &mut app, MONO)).expect("draw");
                total += t.elapsed();
                key(&mut app, KeyCode::Esc);
                term.draw(|f| draw::draw(f, &mut app, MONO)).expect("draw");
            }
            total
        })
    });
}

criterion_group!(benches, ui);
criterion_main!(benches);
