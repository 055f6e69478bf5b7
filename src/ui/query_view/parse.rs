//! Reading a question typed at `:` with the command line's own grammar
//! (`query::args`), and answering it with the same `query::Asker` as the
//! command line.

use super::*;

/// Split a command line into words; '…' and "…" keep spaces.
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            None => cur.push(c),
        }
    }
    if let Some(q) = quote {
        return Err(format!("unclosed {q} in the command"));
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

pub(super) fn shell_word(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/=@,+%".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// Read `:can …`, `:who …` or `:reach …` with the command line's grammar.
/// `include_system` is the UI's `s` toggle (who-can's `--include-system`).
pub fn parse(cmd: &str, include_system: bool) -> Result<Asked, String> {
    let words = split_words(cmd.trim().trim_start_matches(':'))?;
    let Some((verb, rest)) = words.split_first() else {
        return Err("empty question".into());
    };
    let (sub, usage) = match verb.as_str() {
        "can" | "can-i" => ("can-i", ":can SUBJECT ACTION…"),
        "who" | "who-can" => ("who-can", ":who ACTION…"),
        "reach" => ("reach", ":reach SUBJECT"),
        other => return Err(format!("not a question: {other}")),
    };
    // Asking for help gets the forms (the command line's `--help` would
    // print pages, and `:can --help` read `--help` as the subject).
    if rest.is_empty() || rest.iter().any(|w| w == "--help" || w == "-h") {
        return Err(format!("usage: {usage} (? lists the forms)"));
    }
    let mut args: Vec<String> = vec![sub.to_string()];
    if sub == "can-i" && !rest.iter().any(|w| w == "--as" || w.starts_with("--as=")) {
        args.push("--as".into());
    }
    args.extend(rest.iter().cloned());
    let argv = std::iter::once("iamscope".to_string()).chain(args.iter().cloned());
    let line = QuestionLine::try_parse_from(argv).map_err(|e| {
        let text = e.to_string();
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim_start_matches("error: ")
            .to_string();
        format!("{first} — usage: {usage}")
    })?;
    // The command line's flags for where to read from parse (one grammar),
    // but a question here asks what is loaded: say so rather than ignore them.
    let t = &line.target;
    let typed = |flag: &str| {
        rest.iter()
            .any(|w| w == flag || w.starts_with(&format!("{flag}=")))
    };
    let read_from = [
        (t.from.is_some(), "--from"),
        (t.demo, "--demo"),
        (t.kubeconfig.is_some(), "--kubeconfig"),
        (t.context.is_some(), "--context"),
        (typed("--profile"), "--profile"),
        (t.region.is_some(), "--region"),
        (t.cluster_name.is_some(), "--cluster-name"),
        (t.baseline.is_some(), "--baseline"),
        (t.accept.is_some(), "--accept"),
    ];
    if let Some((_, flag)) = read_from.iter().find(|(given, _)| *given) {
        return Err(format!(
            "{flag} says where iamscope reads from; a question here asks what is loaded (:ctx switches cluster, or start iamscope with {flag}) — usage: {usage}"
        ));
    }
    let text = args
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ");
    let question = match line.question {
        QuestionArgs::CanI(a) => {
            if a.batch.is_some() {
                return Err("--batch is for the command line (iamscope can-i --batch FILE)".into());
            }
            let subject = parse_subject(a.as_subject.as_deref().unwrap_or(""), &a.as_group)?;
            let action = action_of(&a.action, &a.action_args)?;
            Question::CanI {
                subject,
                action,
                direct: a.direct,
            }
        }
        QuestionArgs::WhoCan(a) => Question::WhoCan {
            action: action_of(&a.action, &a.action_args)?,
            include_system: a.include_system || include_system,
        },
        QuestionArgs::Reach(a) => Question::Reach {
            subject: parse_subject(&a.subject, &a.as_group)?,
        },
    };
    Ok(Asked { text, question })
}

/// Answer a question with the command line's engines.
pub fn answer(inv: &Inventory, trusts: &ParsedTrusts, q: &Question) -> Result<Outcome, String> {
    let asker = Asker::with_trusts(inv, trusts);
    Ok(match q {
        Question::CanI {
            subject,
            action,
            direct,
        } => Outcome::Answer(asker.can_i(subject, action, *direct)?),
        Question::WhoCan {
            action,
            include_system,
        } => Outcome::Answer(asker.who_can(action, *include_system)),
        Question::Reach { subject } => Outcome::Reach(asker.reach(subject)?),
    })
}
