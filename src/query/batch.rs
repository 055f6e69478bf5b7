//! `can-i --batch`: one JSON question a line in, one JSON answer a line out, in
//! order; a malformed line gets `{"error": …}` and the rest go on.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

use serde::Deserialize;

use super::Asker;
use super::action::{Action, AwsAction, KubeAction};
use super::answer::Decision;
use super::subject::parse_subject;

/// One question, as `query.md` writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    #[serde(default)]
    pub command: Option<String>,
    #[serde(rename = "as")]
    pub as_: String,
    #[serde(default)]
    pub as_groups: Vec<String>,
    pub action: BatchAction,
    #[serde(default)]
    pub context: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    pub context_complete: bool,
    #[serde(default)]
    pub direct: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchAction {
    #[serde(default)]
    pub kube: Option<KubeAction>,
    #[serde(default)]
    pub aws: Option<String>,
    #[serde(default)]
    pub resource: Option<String>,
    /// Also accepted here, next to the AWS action.
    #[serde(default)]
    pub context: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    pub context_complete: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// The action a batch line asks about.
pub fn to_action(q: &BatchQuery) -> Result<Action, String> {
    match (&q.action.kube, &q.action.aws) {
        (Some(k), None) => {
            if k.verb.is_empty() {
                return Err("kube action without a verb".into());
            }
            if k.path.is_none() && k.resource.is_empty() {
                return Err("kube action needs a resource or a path".into());
            }
            Ok(Action::Kube(k.clone()))
        }
        (None, Some(a)) => {
            let mut context: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let mut multivalued = std::collections::BTreeSet::new();
            for (k, v) in q.context.iter().chain(&q.action.context) {
                if let OneOrMany::Many(_) = v {
                    // "a list for a multivalued key" (query.md): a set even of one.
                    multivalued.insert(k.clone());
                }
                context.entry(k.clone()).or_default().extend(v.values());
            }
            let resource = q.action.resource.clone().unwrap_or_else(|| "*".into());
            if !a.contains(':') {
                return Err(format!("{a:?} is not SERVICE:Action"));
            }
            Ok(Action::Aws(AwsAction {
                action: a.clone(),
                resource,
                context,
                complete: q.context_complete || q.action.context_complete == Some(true),
                multivalued,
            }))
        }
        _ => Err(
            r#"action must be {"kube": {...}} or {"aws": "SERVICE:Action", "resource": "ARN"}"#
                .into(),
        ),
    }
}

/// Answer one line; `Err` is the message for `{"error": …}`.
pub fn answer_line(asker: &Asker, line: &str) -> Result<serde_json::Value, String> {
    let q: BatchQuery = serde_json::from_str(line).map_err(|e| format!("not a question: {e}"))?;
    if let Some(c) = &q.command
        && c != "can-i"
    {
        return Err(format!("batch answers can-i questions, not {c:?}"));
    }
    let subject = parse_subject(&q.as_, &q.as_groups)?;
    let action = to_action(&q)?;
    let a = asker.can_i(&subject, &action, q.direct)?;
    serde_json::to_value(&a).map_err(|e| e.to_string())
}

/// Every line of `input` answered on `out`; the summary: (yes, no, conditional, errors).
pub fn run(asker: &Asker, input: &mut dyn BufRead, out: &mut dyn Write) -> io::Result<[usize; 4]> {
    let mut counts = [0usize; 4];
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let v = match answer_line(asker, t) {
            Ok(v) => {
                match v.get("decision").and_then(|d| d.as_str()) {
                    Some("yes") => counts[0] += 1,
                    Some("no") => counts[1] += 1,
                    _ => counts[2] += 1,
                }
                v
            }
            Err(e) => {
                counts[3] += 1;
                serde_json::json!({ "error": e })
            }
        };
        let text = serde_json::to_string(&v).map_err(io::Error::other)?;
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(counts)
}

/// A batch's exit status: 2 when a line could not be answered, else the worst
/// of the decisions as a single question would exit (no before conditional).
pub fn exit_code(counts: [usize; 4]) -> u8 {
    if counts[3] > 0 {
        2
    } else if counts[1] > 0 {
        Decision::No.exit_code()
    } else if counts[2] > 0 {
        Decision::Conditional.exit_code()
    } else {
        0
    }
}
