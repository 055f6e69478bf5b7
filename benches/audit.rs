//! Stage benchmarks of `iamscope audit` on generated estates:
//! read (snapshot → inventory), graph build, audit (all rules), JSON report.
//!
//! The estates come from `examples/gen-estate.rs`, generated once:
//!   cargo run --release --example gen-estate -- --namespaces 50 --sa-per-ns 20 /tmp/estate-small
//!   cargo run --release --example gen-estate -- --namespaces 300 --sa-per-ns 30 /tmp/estate-medium
//!   cargo run --release --example gen-estate -- --namespaces 1000 --sa-per-ns 50 /tmp/estate-large
//! `IAMSCOPE_ESTATES` (default `/tmp`) is where they are; `IAMSCOPE_SIZES`
//! (default `small,medium,large`) which are measured. Missing ones are skipped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use iamscope::audit::{self, Options};
use iamscope::graph::{Graph, ParsedTrusts, ReadCheck};
use iamscope::model::Inventory;
use iamscope::report::{Format, Report};
use iamscope::source::snapshot;

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

fn opts() -> Options {
    Options {
        include_system: false,
        all_rules: false,
        now: "2026-11-29T00:00:00Z".parse().expect("timestamp"),
        ..Options::default()
    }
}

fn tune<'c>(
    c: &'c mut Criterion,
    size: &str,
) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(format!("audit/{size}"));
    match size {
        "small" => {
            g.sample_size(20).measurement_time(Duration::from_secs(10));
        }
        _ => {
            g.sample_size(10)
                .measurement_time(Duration::from_secs(if size == "large" { 60 } else { 20 }))
                .warm_up_time(Duration::from_secs(1));
        }
    }
    g
}

fn load(dir: &Path) -> (Inventory, ParsedTrusts) {
    snapshot::read_dir(dir, &ReadCheck).expect("estate")
}

fn stages(c: &mut Criterion) {
    for (size, dir) in estates() {
        let (inv, trusts) = load(&dir);
        let opts = opts();
        let findings = audit::run_with_trusts(&inv, &trusts, &opts);
        let mut g = tune(c, &size);
        g.bench_function("read", |b| b.iter(|| load(&dir)));
        g.bench_function("graph", |b| {
            b.iter(|| Graph::build_with_trusts(&inv, &trusts).namespace_exists("kube-system"))
        });
        g.bench_function("audit", |b| {
            b.iter(|| audit::run_with_trusts(&inv, &trusts, &opts))
        });
        g.bench_function("report-json", |b| {
            b.iter(|| {
                Report {
                    inv: &inv,
                    findings: &findings,
                }
                .render(Format::Json)
            })
        });
        g.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
