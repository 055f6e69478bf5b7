//! The `can-i`, `who-can` and `reach` commands: read the inventory as `audit`
//! does, ask, print, and exit as `query.md` says (0 yes, 1 no, 3 conditional,
//! 2 could not run).

use std::io::{BufRead, Write};
use std::process::ExitCode;

use crate::cli::{CanIArgs, ReachArgs, Target, WhoCanArgs};
use crate::graph::ReadCheck;
use crate::source::{self, live::Progress};

use crate::query::args::action_of;
use crate::query::subject::parse_subject;
use crate::query::{Asker, batch, output, reach};

/// Standard output, where a closed pipe (`| head`) is not an error worth a message.
fn emit(f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match f(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the answer: {e}"))
        }
        _ => Ok(()),
    }
}

pub fn can_i(
    target: &Target,
    args: &CanIArgs,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<ExitCode, String> {
    // Notation is checked before anything is read: a typo costs no collection.
    let question = match &args.batch {
        Some(_) => {
            if !args.action.is_empty() {
                return Err("--batch reads its questions from the file: give no ACTION".into());
            }
            None
        }
        None => {
            let who = args.as_subject.as_deref().unwrap_or("");
            let subject = parse_subject(who, &args.as_group)?;
            let action = action_of(&args.action, &args.action_args)?;
            Some((subject, action))
        }
    };
    let (inv, trusts) = source::load(target, progress, &ReadCheck)?;
    let asker = Asker::with_trusts(&inv, &trusts);
    let code = match (question, &args.batch) {
        (Some((subject, action)), _) => {
            let a = asker.can_i(&subject, &action, args.direct)?;
            emit(|w| output::write(&a, args.output.format, args.output.limit, w))?;
            a.decision.exit_code()
        }
        (None, Some(file)) => {
            let mut input: Box<dyn BufRead> = if file == "-" {
                Box::new(std::io::stdin().lock())
            } else {
                Box::new(std::io::BufReader::new(
                    std::fs::File::open(file)
                        .map_err(|e| format!("cannot read --batch {file}: {e}"))?,
                ))
            };
            let mut counts = [0; 4];
            emit(|w| {
                counts = batch::run(&asker, &mut *input, w)?;
                Ok(())
            })?;
            tracing::info!(
                "batch: {} yes, {} no, {} conditional, {} errors",
                counts[0],
                counts[1],
                counts[2],
                counts[3]
            );
            batch::exit_code(counts)
        }
        (None, None) => return Err("give --as SUBJECT ACTION or --batch FILE".into()),
    };
    std::mem::forget(asker);
    std::mem::forget(trusts);
    std::mem::forget(inv);
    Ok(ExitCode::from(code))
}

pub fn who_can(
    target: &Target,
    args: &WhoCanArgs,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<ExitCode, String> {
    let action = action_of(&args.action, &args.action_args)?;
    let (inv, trusts) = source::load(target, progress, &ReadCheck)?;
    let asker = Asker::with_trusts(&inv, &trusts);
    let a = asker.who_can(&action, args.include_system);
    emit(|w| output::write(&a, args.output.format, args.output.limit, w))?;
    let code = a.decision.exit_code();
    std::mem::forget(asker);
    std::mem::forget(trusts);
    std::mem::forget(inv);
    Ok(ExitCode::from(code))
}

pub fn reach(
    target: &Target,
    args: &ReachArgs,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<ExitCode, String> {
    let subject = parse_subject(&args.subject, &args.as_group)?;
    let (inv, trusts) = source::load(target, progress, &ReadCheck)?;
    let asker = Asker::with_trusts(&inv, &trusts);
    let r = asker.reach(&subject)?;
    emit(|w| reach::write(&r, args.output.format, args.output.limit, w))?;
    std::mem::forget(asker);
    std::mem::forget(trusts);
    std::mem::forget(inv);
    Ok(ExitCode::SUCCESS)
}
