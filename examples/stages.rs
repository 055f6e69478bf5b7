//! Time each stage of `iamscope audit` on a snapshot directory, and each rule
//! family: `cargo run --release --example stages -- DIR`.

use std::time::Instant;

/// CPU seconds (user + system) of this process so far, from /proc/self/stat (Linux; 0 elsewhere).
fn cpu() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

use iamscope::audit::{self, Context, Options};
use iamscope::graph::{Graph, ReadCheck};
use iamscope::report::{Format, Report};

/// The allocator the `iamscope` binary ships with (src/main.rs).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Peak resident set so far (VmHWM), in MiB.
fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: stages DIR");
        std::process::exit(2);
    };
    let (t, c) = (Instant::now(), cpu());
    let checked = iamscope::source::snapshot::read_dir(std::path::Path::new(&dir), &ReadCheck);
    let (inv, trusts) = match checked {
        Ok(read) => read,
        Err(e) => {
            eprintln!("stages: {e}");
            std::process::exit(2);
        }
    };
    eprintln!(
        "read        {:8.3} s wall {:8.2} s cpu  peak {} MiB",
        t.elapsed().as_secs_f64(),
        cpu() - c,
        peak_mib()
    );
    let opts = Options {
        include_system: false,
        all_rules: false,
        now: "2026-11-29T00:00:00Z".parse().expect("timestamp"),
        ..Options::default()
    };
    let t = Instant::now();
    let graph = Graph::build_with_trusts(&inv, &trusts);
    eprintln!("graph       {:8.3} s", t.elapsed().as_secs_f64());
    let ctx = Context {
        inv: &inv,
        graph: &graph,
        opts: &opts,
    };
    let mut out = Vec::new();
    type Family = fn(&Context, &mut Vec<audit::Finding>);
    let families: [(&str, Family); 7] = [
        ("auth", audit::auth::check),
        ("apiserver", audit::apiserver::check),
        ("kubeconfig", audit::kubeconfig::check),
        ("irsa", audit::irsa::check),
        ("podid", audit::podid::check),
        ("iam", audit::iam::check),
        ("rbac", audit::rbac::check),
    ];
    for (name, f) in families {
        let t = Instant::now();
        let before = out.len();
        f(&ctx, &mut out);
        eprintln!(
            "  {name:<10}{:8.3} s  {} findings",
            t.elapsed().as_secs_f64(),
            out.len() - before
        );
    }
    let t = Instant::now();
    let prior = out.clone();
    audit::path::check(&ctx, &prior, &mut out);
    eprintln!(
        "  {:<10}{:8.3} s  {} findings",
        "path",
        t.elapsed().as_secs_f64(),
        out.len() - prior.len()
    );
    let (t, c) = (Instant::now(), cpu());
    let findings = audit::run_with_trusts(&inv, &trusts, &opts);
    eprintln!(
        "audit::run  {:8.3} s wall {:8.2} s cpu  {} findings",
        t.elapsed().as_secs_f64(),
        cpu() - c,
        findings.len()
    );
    let t = Instant::now();
    let text = Report {
        inv: &inv,
        findings: &findings,
    }
    .render(Format::Json);
    eprintln!(
        "report json {:8.3} s  {} bytes  peak {} MiB",
        t.elapsed().as_secs_f64(),
        text.len(),
        peak_mib()
    );
}
