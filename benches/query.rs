//! Question benchmarks (issue 15) on generated estates: the snapshot is loaded
//! and the `Asker` built once, then each kind of question is timed on its own:
//! `can-i` for a service account, a pod and an IAM role (Kubernetes and AWS
//! actions), `who-can` (Kubernetes and AWS), `reach`.
//!
//! AWS questions change their resource at every iteration (`data-N`), so that
//! no answer is served from the previous iteration's per-question memos; what
//! an `Asker` keeps across questions (parsed policies, the trusts' answers per
//! account, who-can's graph of who can become whom) is what a batch or the TUI
//! keeps too. `who-can/first` is the first who-can of a fresh `Asker` (that
//! graph included); `reach/first` the first reach. `reach/sa` asks the reach of
//! one service account again and again, `reach/each-sa` of another one each
//! time (every account with an IRSA role, in turn).
//!
//! `batch` answers every question of the file `IAMSCOPE_BATCH` (made by
//! `scripts/query-batch.py`) with a fresh `Asker`, as `can-i --batch` does
//! after loading.
//!
//! Estates: `IAMSCOPE_ESTATES` (default `/tmp`) holds `estate-SIZE` or
//! `real-SIZE` directories made by `examples/gen-estate.rs` (see
//! benches/audit.rs); `IAMSCOPE_SIZES` (default `small,medium,large`) says
//! which are measured. Missing ones are skipped.

use std::cell::Cell;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use iamscope::graph::ReadCheck;
use iamscope::model::Inventory;
use iamscope::query::{Action, AsSubject, Asker, AwsAction, KubeAction};

/// The allocator the `iamscope` binary ships with (src/main.rs).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn estates() -> Vec<(String, PathBuf)> {
    // `cargo test --all-targets` runs benches once as tests, in a debug build.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("estates are measured by `cargo bench` only; nothing to do in test mode");
        return Vec::new();
    }
    let root = PathBuf::from(std::env::var("IAMSCOPE_ESTATES").unwrap_or_else(|_| "/tmp".into()));
    let sizes = std::env::var("IAMSCOPE_SIZES").unwrap_or_else(|_| "small,medium,large".into());
    sizes
        .split(',')
        .filter_map(|s| {
            [format!("estate-{s}"), format!("real-{s}")]
                .iter()
                .map(|d| root.join(d))
                .find(|p| p.is_dir())
                .map(|p| (s.to_string(), p))
        })
        .collect()
}

/// The questions of `IAMSCOPE_BATCH`, if set.
fn batch_file() -> Option<String> {
    let path = std::env::var("IAMSCOPE_BATCH").ok()?;
    Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("IAMSCOPE_BATCH={path}: {e}")))
}

fn aws(action: &str, resource: String) -> Action {
    Action::Aws(AwsAction {
        action: action.into(),
        resource,
        ..AwsAction::default()
    })
}

fn kube(verb: &str, resource: &str, ns: &str) -> Action {
    Action::Kube(KubeAction {
        verb: verb.into(),
        resource: resource.into(),
        namespace: Some(ns.into()),
        ..KubeAction::default()
    })
}

/// The subjects asked about: a service account with an IRSA role, a pod
/// running as one, an IAM role some account obtains.
fn subjects(inv: &Inventory) -> (AsSubject, AsSubject, AsSubject, String) {
    let sa = inv
        .service_accounts
        .iter()
        .find(|s| s.irsa_annotation().is_some())
        .or(inv.service_accounts.first())
        .expect("a service account");
    let pod = inv
        .pods
        .iter()
        .find(|p| p.namespace == sa.namespace && p.service_account == sa.name)
        .or(inv.pods.first())
        .expect("a pod");
    let role = sa
        .irsa_annotation()
        .map(str::to_string)
        .or_else(|| inv.iam.roles.first().map(|r| r.arn.clone()))
        .expect("a role");
    (
        AsSubject::ServiceAccount {
            namespace: sa.namespace.clone(),
            name: sa.name.clone(),
        },
        AsSubject::Pod {
            namespace: pod.namespace.clone(),
            name: pod.name.clone(),
        },
        AsSubject::IamRole {
            arn: role,
            session: None,
        },
        sa.namespace.clone(),
    )
}

fn query(c: &mut Criterion) {
    for (size, dir) in estates() {
        let (inv, trusts) = iamscope::source::snapshot::read_dir(&dir, &ReadCheck).expect("estate");
        let (sa, pod, role, ns) = subjects(&inv);
        let mut g = c.benchmark_group(format!("query/{size}"));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(if size == "large" { 30 } else { 10 }))
            .warm_up_time(Duration::from_secs(1));
        g.bench_function("asker-new", |b| {
            b.iter(|| Asker::with_trusts(&inv, &trusts).inv.pods.len())
        });
        g.bench_function("who-can/first", |b| {
            b.iter_batched(
                || Asker::with_trusts(&inv, &trusts),
                |asker| {
                    asker
                        .who_can(&aws("s3:GetObject", "arn:aws:s3:::data/x".into()), false)
                        .answers
                        .len()
                },
                BatchSize::PerIteration,
            )
        });
        let asker = Asker::with_trusts(&inv, &trusts);
        let n = Cell::new(0usize);
        let next = || {
            n.set(n.get() + 1);
            format!("arn:aws:s3:::data-{}/x", n.get())
        };
        let kube_q = kube("get", "secrets", &ns);
        g.bench_function("can-i/sa-kube", |b| {
            b.iter(|| asker.can_i(&sa, &kube_q, false).map(|a| a.answers.len()))
        });
        g.bench_function("can-i/sa-aws", |b| {
            b.iter(|| {
                asker
                    .can_i(&sa, &aws("s3:GetObject", next()), false)
                    .map(|a| a.answers.len())
            })
        });
        g.bench_function("can-i/pod-aws", |b| {
            b.iter(|| {
                asker
                    .can_i(&pod, &aws("s3:GetObject", next()), false)
                    .map(|a| a.answers.len())
            })
        });
        g.bench_function("can-i/role-aws", |b| {
            b.iter(|| {
                asker
                    .can_i(&role, &aws("s3:GetObject", next()), false)
                    .map(|a| a.answers.len())
            })
        });
        g.bench_function("who-can/kube", |b| {
            b.iter(|| asker.who_can(&kube_q, false).answers.len())
        });
        g.bench_function("who-can/aws", |b| {
            b.iter(|| {
                asker
                    .who_can(&aws("s3:GetObject", next()), false)
                    .answers
                    .len()
            })
        });
        // `can-i --batch` in one process: a fresh Asker (as the command builds
        // it) and every line of IAMSCOPE_BATCH (scripts/query-batch.py).
        if let Some(lines) = batch_file() {
            g.bench_function("batch", |b| {
                b.iter(|| {
                    let asker = Asker::with_trusts(&inv, &trusts);
                    let mut out = std::io::sink();
                    iamscope::query::batch::run(&asker, &mut lines.as_bytes(), &mut out)
                        .expect("batch")
                })
            });
        }
        // The first reach of a fresh Asker: each Action pattern of the
        // roles it reaches expanded, their permission sets built.
        g.bench_function("reach/first", |b| {
            b.iter_batched(
                || Asker::with_trusts(&inv, &trusts),
                |asker| asker.reach(&sa).map(|r| r.roles.len() + r.becomes.len()),
                BatchSize::PerIteration,
            )
        });
        g.bench_function("reach/sa", |b| {
            b.iter(|| asker.reach(&sa).map(|r| r.roles.len() + r.becomes.len()))
        });
        // Another service account with an IRSA role at each iteration (the
        // estate's in order, round): what a reach costs when the accounts and
        // roles asked about change, with what the Asker keeps across them.
        let irsa: Vec<AsSubject> = inv
            .service_accounts
            .iter()
            .filter(|s| s.irsa_annotation().is_some())
            .map(|s| AsSubject::ServiceAccount {
                namespace: s.namespace.clone(),
                name: s.name.clone(),
            })
            .collect();
        let k = Cell::new(0usize);
        if !irsa.is_empty() {
            g.bench_function("reach/each-sa", |b| {
                b.iter(|| {
                    k.set(k.get() + 1);
                    let sa = &irsa[k.get() % irsa.len()];
                    asker.reach(sa).map(|r| r.roles.len() + r.becomes.len())
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, query);
criterion_main!(benches);
