//! The floor for `iamscope audit --from DIR`: read every JSON and YAML file of
//! a snapshot directory into `serde_json::Value` and nothing else.
//!
//! `cargo run --release --example parse-baseline -- DIR` parses the files one
//! after another; `--parallel` parses each file on its own thread (as the
//! snapshot reader does). Prints the number of files, bytes and values and
//! the time taken to stderr.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

/// The allocator the `iamscope` binary ships with (src/main.rs).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn count(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count).sum::<usize>(),
        Value::Object(o) => 1 + o.values().map(count).sum::<usize>(),
        _ => 1,
    }
}

fn parse(path: &Path) -> Result<(usize, usize), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.to_string_lossy();
    let docs: Vec<Value> = if name.ends_with(".json") {
        vec![serde_json::from_slice(&bytes).map_err(|e| format!("{name}: {e}"))?]
    } else {
        let text = std::str::from_utf8(&bytes).map_err(|e| format!("{name}: {e}"))?;
        let mut budget = serde_saphyr::Budget::default();
        budget.max_nodes = text.len() * 2 + 50_000;
        budget.max_events = budget.max_nodes * 2;
        budget.max_documents = text.len() / 2 + 1024;
        let mut opts = serde_saphyr::Options::default();
        opts.budget = Some(budget);
        serde_saphyr::from_multiple_with_options::<Value>(text, opts)
            .map_err(|e| format!("{name}: {e}"))?
    };
    Ok((bytes.len(), docs.iter().map(count).sum()))
}

fn main() {
    let mut parallel = false;
    let mut dir = None;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--parallel" => parallel = true,
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: parse-baseline [--parallel] DIR");
        std::process::exit(2);
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let s = p.to_string_lossy();
                s.ends_with(".json") || s.ends_with(".yaml") || s.ends_with(".yml")
            })
            .collect(),
        Err(e) => {
            eprintln!("parse-baseline: {}: {e}", dir.display());
            std::process::exit(2);
        }
    };
    files.sort();
    let t = Instant::now();
    let results: Vec<Result<(usize, usize), String>> = if parallel {
        std::thread::scope(|s| {
            let hs: Vec<_> = files.iter().map(|f| s.spawn(move || parse(f))).collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into())))
                .collect()
        })
    } else {
        files.iter().map(|f| parse(f)).collect()
    };
    let elapsed = t.elapsed();
    let (mut bytes, mut values) = (0usize, 0usize);
    for r in results {
        match r {
            Ok((b, v)) => {
                bytes += b;
                values += v;
            }
            Err(e) => {
                eprintln!("parse-baseline: {e}");
                std::process::exit(1);
            }
        }
    }
    eprintln!(
        "parse-baseline: {} files, {} bytes, {} values in {:.3} s ({})",
        files.len(),
        bytes,
        values,
        elapsed.as_secs_f64(),
        if parallel { "parallel" } else { "sequential" }
    );
}
