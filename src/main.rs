//! Thin entry point: parse arguments, install error hooks, dispatch.

use std::io::Write;
use std::process::ExitCode;

use iamscope::audit::{self, Options};
use iamscope::cli::{AuditArgs, Cli, Command, QuestionArgs, Target};
use iamscope::drift;
use iamscope::graph::ReadCheck;
use iamscope::report::{Format, Report};
use iamscope::source;

/// jemalloc: the audit allocates many small strings on two threads at once, where
/// glibc's malloc spent a fifth of the CPU (BENCHMARKS.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse_env();
    init_logging(cli.verbose, cli.command.is_none());
    if let Err(e) = color_eyre::install() {
        eprintln!("iamscope: cannot install error handler: {e}");
    }
    let result = match &cli.command {
        Some(Command::Audit(args)) => run_audit(&cli.target, args),
        Some(Command::Snapshot(args)) => run_snapshot(&cli.target, args),
        Some(Command::Question(QuestionArgs::CanI(args))) => {
            iamscope::cli::query::can_i(&cli.target, args, &progress_printer())
        }
        Some(Command::Question(QuestionArgs::WhoCan(args))) => {
            iamscope::cli::query::who_can(&cli.target, args, &progress_printer())
        }
        Some(Command::Question(QuestionArgs::Reach(args))) => {
            iamscope::cli::query::reach(&cli.target, args, &progress_printer())
        }
        Some(Command::Completions(args)) => {
            let argv0 = std::env::args_os().next().unwrap_or_default();
            let bin = iamscope::cli::bin_name(&argv0).replace(' ', "-");
            iamscope::cli::docs::completions(args.shell, &bin, &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man(args)) => {
            iamscope::cli::docs::man(args.command.as_deref(), &mut std::io::stdout().lock())
                .map(|()| ExitCode::SUCCESS)
        }
        Some(Command::Diff(args)) => run_diff(args),
        None => iamscope::ui::run(cli.target.clone()).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("iamscope: {e}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to standard error for the CLI. The UI owns the terminal, so there
/// they go to a file, and only when asked for (-v or RUST_LOG).
fn init_logging(verbose: u8, ui: bool) {
    let default = match verbose {
        // The AWS SDK warns about every credential provider it tries; only errors by default.
        0 => "warn,aws_config=error,aws_smithy_runtime=error",
        1 => "info",
        _ => "debug",
    };
    let asked = verbose > 0 || std::env::var_os("RUST_LOG").is_some();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    if ui {
        if !asked {
            return;
        }
        let path = std::env::temp_dir().join("iamscope.log");
        let Ok(file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        else {
            return;
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn run_audit(target: &Target, args: &AuditArgs) -> Result<ExitCode, String> {
    // Bad acceptance or baseline files are refused before anything is read.
    let extras = drift::Extras::read(target)?;
    let t = std::time::Instant::now();
    let (inv, trusts) = source::load(target, &progress_printer(), &ReadCheck)?;
    tracing::debug!("inventory read in {:?}", t.elapsed());
    let opts = Options {
        include_system: args.include_system,
        max_related: (args.max_related > 0).then_some(args.max_related),
        all_rules: args.all_rules,
        now: args.now.unwrap_or_else(jiff::Timestamp::now),
    };
    let t = std::time::Instant::now();
    let mut findings = audit::run_with_trusts(&inv, &trusts, &opts);
    tracing::debug!("audit: {} findings in {:?}", findings.len(), t.elapsed());
    let outcome = extras.apply(&mut findings)?;
    let accepted_count = outcome.suppressed;
    for w in outcome.warnings {
        eprintln!("iamscope: warning: {w}");
    }
    let t = std::time::Instant::now();
    // Table and markdown list accepted risks only when asked; json and sarif
    // always carry them, marked.
    let hide = accepted_count > 0
        && !args.show_suppressed
        && matches!(args.format, Format::Table | Format::Markdown);
    let shown: Vec<audit::Finding>;
    let listed: &[audit::Finding] = if hide {
        shown = findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .cloned()
            .collect();
        &shown
    } else {
        &findings
    };
    let footer = if hide {
        format!("\n{accepted_count} accepted risk(s) not listed (--show-suppressed lists them)\n")
    } else {
        String::new()
    };
    let report = Report {
        inv: &inv,
        findings: listed,
    };
    match &args.out {
        Some(path) => std::fs::File::create(path)
            .and_then(|file| {
                let mut file = std::io::BufWriter::new(file);
                report.write_to(args.format, &mut file)?;
                file.write_all(footer.as_bytes())?;
                file.flush()
            })
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = report
                .write_to(args.format, &mut stdout)
                .and_then(|_| stdout.write_all(footer.as_bytes()))
                .and_then(|_| stdout.flush())
            {
                // A closed pipe (`| head`) is not an error worth a message.
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(format!("cannot write the report: {e}"));
                }
            }
        }
    }
    tracing::debug!("report written in {:?}", t.elapsed());
    // With a baseline only new findings count; accepted risks never do.
    let failed = args.fail_on.is_some_and(|threshold| {
        findings
            .iter()
            .any(|f| drift::baseline::counts_for_fail(f) && f.severity >= threshold)
    });
    // The process ends here: freeing a large inventory object by object only
    // costs time (seconds on a gigabyte snapshot); the OS reclaims it at once.
    std::mem::forget(findings);
    std::mem::forget(trusts);
    std::mem::forget(inv);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_snapshot(target: &Target, args: &iamscope::cli::SnapshotArgs) -> Result<ExitCode, String> {
    let dir = match args.keep {
        Some(_) => {
            std::fs::create_dir_all(&args.dir)
                .map_err(|e| format!("cannot create {}: {e}", args.dir.display()))?;
            drift::keep::dated_dir(&args.dir, jiff::Timestamp::now())
        }
        None => args.dir.clone(),
    };
    if target.demo {
        source::live::write_demo(&dir)?;
        eprintln!(
            "iamscope: wrote the bundled demo snapshot to {}",
            dir.display()
        );
    } else if let Some(from) = &target.from {
        return Err(format!(
            "snapshot collects from a live cluster and account; --from {} names a snapshot that already exists (copy the directory to keep it)",
            from.display()
        ));
    } else {
        let inv = source::live::snapshot(target, &dir, &progress_printer(), &ReadCheck)?;
        eprintln!(
            "iamscope: wrote snapshot of cluster {} to {}",
            inv.cluster_name.as_deref().unwrap_or("?"),
            dir.display()
        );
    }
    if let Some(keep) = args.keep {
        let keep = usize::try_from(keep).unwrap_or(usize::MAX);
        for old in drift::keep::prune(&args.dir, keep)? {
            eprintln!("iamscope: removed old snapshot {}", old.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_diff(args: &iamscope::cli::DiffArgs) -> Result<ExitCode, String> {
    use iamscope::cli::DiffFormat;
    let (old, new) = match &args.new {
        Some(new) => (args.old.clone(), new.clone()),
        None => drift::keep::last_two(&args.old)?,
    };
    let opts = Options {
        include_system: args.include_system,
        now: args.now.unwrap_or_else(jiff::Timestamp::now),
        ..Options::default()
    };
    let t = std::time::Instant::now();
    let (a, b) = drift::diff::load_pair(&old, &new, &opts)?;
    tracing::debug!("both sides read and audited in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let d = drift::diff::compare(&a, &b);
    tracing::debug!("compared in {:?}", t.elapsed());
    let text = match args.format {
        DiffFormat::Table => drift::diff::table(&d),
        DiffFormat::Json => d.json(),
        DiffFormat::Markdown => drift::diff::markdown(&d),
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(format!("cannot write the diff: {e}"));
    }
    let failed = args.fail_on.is_some_and(|t| d.fails(t));
    std::mem::forget((a, b));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Live progress on standard error, one line per source, when it is a terminal
/// (and always at -v), and every retry; reports on standard output stay clean.
fn progress_printer() -> impl Fn(source::live::Progress) + Send + Sync {
    use std::io::IsTerminal;
    let show = std::io::stderr().is_terminal();
    move |p| {
        let line = p.line();
        tracing::info!("{line}");
        match p {
            // A back-off can last seconds with nothing else moving: always say
            // why, also when standard error is a file (CI logs).
            source::live::Progress::Retrying { .. } => eprintln!("iamscope: {line}"),
            source::live::Progress::Finished { .. } if show => eprintln!("iamscope: {line}"),
            _ => {}
        }
    }
}
