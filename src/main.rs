//! Thin entry point: parse arguments, install error hooks, dispatch.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use iamscope::audit::{self, Options};
use iamscope::cli::{AuditArgs, Cli, Command, Target};
use iamscope::model::Inventory;
use iamscope::report::Report;
use iamscope::source;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    if let Err(e) = color_eyre::install() {
        eprintln!("iamscope: cannot install error handler: {e}");
    }
    let result = match &cli.command {
        Some(Command::Audit(args)) => run_audit(&cli.target, args),
        None => {
            eprintln!(
                "iamscope: the terminal UI is not available in this build yet; run `iamscope audit --demo` or `iamscope audit --from DIR` (see --help)"
            );
            Ok(ExitCode::from(2))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("iamscope: {e}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Read the inventory the target names.
fn load(target: &Target) -> Result<Inventory, String> {
    let mut inv = if target.demo {
        source::demo::read().map_err(|e| e.to_string())?
    } else if let Some(dir) = &target.from {
        source::snapshot::read_dir(dir).map_err(|e| e.to_string())?
    } else {
        return Err(
            "live collection is not available in this build yet: audit a snapshot with --from DIR (see the README for the kubectl/aws commands that make one), or try --demo"
                .to_string(),
        );
    };
    match &target.kubeconfig {
        Some(list) => {
            let paths = source::kubeconfig::split_paths(list);
            inv.kubeconfigs = source::kubeconfig::read_all(&paths, &mut inv.coverage);
        }
        None => inv.coverage.set(
            source::kubeconfig::SRC_KUBECONFIG,
            iamscope::model::Status::Missing,
            None,
            Some("no --kubeconfig given: a snapshot carries no kubeconfig".to_string()),
        ),
    }
    Ok(inv)
}

fn run_audit(target: &Target, args: &AuditArgs) -> Result<ExitCode, String> {
    let inv = load(target)?;
    let opts = Options {
        include_system: args.include_system,
        ..Options::default()
    };
    let findings = audit::run(&inv, &opts);
    let text = Report {
        inv: &inv,
        findings: &findings,
    }
    .render(args.format);
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                // A closed pipe (`| head`) is not an error worth a message.
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(format!("cannot write the report: {e}"));
                }
            }
        }
    }
    let failed = args
        .fail_on
        .is_some_and(|threshold| findings.iter().any(|f| f.severity >= threshold));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
