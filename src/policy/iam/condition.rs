//! One condition against a request: the operators (string, ARN, numeric, date,
//! IP, boolean, null), set qualifiers, `IfExists`, and `${…}` policy variables.
//! Unknown keys or unresolved variables give `Check::Unknown`, never a guess.

use super::*;

/// Evaluate one condition against the request context.
pub fn eval_condition(c: &Condition, req: &Request) -> Check {
    condition_check(c, req, true)
}

/// [`eval_condition`]; without `why`, its `No` and `Undecided` say nothing
/// (a [`Tally`] counts only what kind of answer each statement gives, for
/// thousands of principals per question).
pub(super) fn condition_check(c: &Condition, req: &Request, why: bool) -> Check {
    // The condition's description is made only for an answer that says why.
    let desc = || c.describe();
    let state = req.lookup(&c.key);
    if c.op == Operator::Null {
        // Several values for one key are ORed ("Condition element: multiple
        // values"): `["true", "false"]` holds whether the key is there or not.
        let wants: Vec<bool> = c
            .values
            .iter()
            .filter_map(|v| match v.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            })
            .collect();
        if wants.is_empty() {
            return Check::No(if why {
                format!("{}: Null needs true or false", desc())
            } else {
                String::new()
            });
        }
        let (absent_ok, present_ok) = (wants.contains(&true), wants.contains(&false));
        return match state {
            KeyState::Unknown if absent_ok && present_ok => Check::Yes,
            KeyState::Unknown if !why => Check::Undecided(String::new()),
            KeyState::Unknown => Check::Undecided(format!(
                "{}: {} is not known{}",
                desc(),
                c.key,
                req.unknown_note(&c.key)
            )),
            KeyState::Absent => yes_no(why, absent_ok, desc, || format!("{} is absent", c.key)),
            KeyState::Present(_) => {
                yes_no(why, present_ok, desc, || format!("{} is present", c.key))
            }
        };
    }
    let values = match state {
        KeyState::Unknown if !why => return Check::Undecided(String::new()),
        KeyState::Unknown => {
            return Check::Undecided(format!(
                "{}: {} is not known for this request{}",
                desc(),
                c.key,
                req.unknown_note(&c.key)
            ));
        }
        KeyState::Absent => {
            // "Single-valued vs. multivalued context keys": ForAnyValue on a key
            // that is missing (or an empty set) is false, and IfExists does not
            // change that (the set operator already says what a missing key
            // means); ForAllValues on a missing key is true. Otherwise IfExists
            // and the negated operators hold on a missing key ("Condition
            // operators: ...IfExists").
            let holds = match c.set {
                Some(SetQualifier::ForAnyValue) => false,
                Some(SetQualifier::ForAllValues) => true,
                None => c.if_exists || c.op.negated(),
            };
            return yes_no(why, holds, desc, || {
                format!("{} is not in the request", c.key)
            });
        }
        KeyState::Present(v) => v,
    };
    if c.set.is_none() && req.is_multivalued(&c.key) {
        // "Single-valued vs. multivalued context keys": multivalued keys require
        // a set operator. A single-valued operator (negated or not) compares a
        // single value, which a multivalued key does not have: the condition
        // does not match, so an Allow that relies on it does not apply and
        // neither does a Deny.
        if !why {
            return Check::No(String::new());
        }
        return Check::No(format!(
            "condition {} does not hold: {} is multivalued ({}) and the operator has no ForAnyValue/ForAllValues",
            desc(),
            c.key,
            short_list(values)
        ));
    }
    // m(v): does one request value satisfy the operator?
    let mut undecided = None;
    let mut m = |v: &str| -> bool {
        let mut any = false;
        for pv in &c.values {
            match value_matches(c.op, pv, v, req) {
                Ok(true) => {
                    any = true;
                    break;
                }
                Ok(false) => {}
                Err(e) => undecided = Some(e),
            }
        }
        if c.op.negated() { !any } else { any }
    };
    let result = match c.set {
        Some(SetQualifier::ForAllValues) => values.iter().all(|v| m(v)),
        Some(SetQualifier::ForAnyValue) => values.iter().any(|v| m(v)),
        None if c.op.negated() => values.iter().all(|v| m(v)),
        None => values.iter().any(|v| m(v)),
    };
    if let Some(u) = undecided
        && (!result || c.op.negated())
    {
        if !why {
            return Check::Undecided(String::new());
        }
        return Check::Undecided(format!("{}: {u}", desc()));
    }
    yes_no(why, result, desc, || {
        format!("{} is {}", c.key, short_list(values))
    })
}

/// `Yes`, or `No` saying (with `why`) which condition does not hold and
/// why (made only then).
fn yes_no(
    why: bool,
    holds: bool,
    desc: impl FnOnce() -> String,
    fact: impl FnOnce() -> String,
) -> Check {
    if holds {
        Check::Yes
    } else if !why {
        Check::No(String::new())
    } else {
        Check::No(format!("condition {} does not hold: {}", desc(), fact()))
    }
}

/// A piece of a value after policy-variable substitution.
pub(super) enum Piece {
    Text(String),
    /// `${*}`, `${?}`, `${$}`, or a variable's value: literal text, never a wildcard.
    Lit(String),
}

/// Why a policy variable gave no value.
enum Unresolved {
    /// The key is not known for this request: the answer hinges on it.
    Unknown(String),
    /// The key is absent (or multivalued, which cannot be a variable) and the
    /// variable has no default. Per "IAM policy elements: variables and tags"
    /// (policy variables with no value), such a value then matches nothing: a
    /// `Resource` with it matches no resource, a condition value no request value.
    NoValue,
}

/// Substitute `${key}` policy variables from the request.
fn substitute(v: &str, req: &Request) -> Result<Vec<Piece>, Unresolved> {
    let mut out = Vec::new();
    let mut rest = v;
    while let Some(start) = rest.find("${") {
        out.push(Piece::Text(rest[..start].to_string()));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push(Piece::Text(rest[start..].to_string()));
            return Ok(out);
        };
        let inner = after[..end].trim();
        match inner {
            "*" | "?" | "$" => out.push(Piece::Lit(inner.to_string())),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\'').to_string())),
                    None => (inner, None),
                };
                match (req.lookup(key), default) {
                    // A multivalued key cannot be a variable ("Single-valued vs.
                    // multivalued context keys"), even with one value.
                    (KeyState::Present(vals), _) if vals.len() == 1 && !req.is_multivalued(key) => {
                        out.push(Piece::Lit(vals[0].clone()))
                    }
                    (KeyState::Unknown, _) => {
                        return Err(Unresolved::Unknown(format!(
                            "policy variable ${{{inner}}} is not known for this request"
                        )));
                    }
                    (_, Some(d)) => out.push(Piece::Lit(d)),
                    _ => return Err(Unresolved::NoValue),
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push(Piece::Text(rest.to_string()));
    Ok(out)
}

/// [`substitute`] for a value compared as a whole: `Ok(None)` when it matches nothing.
pub(super) fn substituted(v: &str, req: &Request) -> Result<Option<Vec<Piece>>, String> {
    match substitute(v, req) {
        Ok(p) => Ok(Some(p)),
        Err(Unresolved::NoValue) => Ok(None),
        Err(Unresolved::Unknown(why)) => Err(why),
    }
}

fn pieces_text(p: &[Piece]) -> String {
    p.iter()
        .map(|x| match x {
            Piece::Text(t) | Piece::Lit(t) => t.as_str(),
        })
        .collect()
}

fn piece_tokens(p: &[Piece], case_insensitive: bool) -> Vec<actions::Tok> {
    let mut toks = Vec::new();
    for x in p {
        match x {
            Piece::Text(t) => toks.extend(actions::tokens(t, case_insensitive)),
            Piece::Lit(t) => toks.extend(t.chars().map(actions::Tok::Lit)),
        }
    }
    toks
}

fn pieces_like(p: &[Piece], value: &str) -> bool {
    actions::match_tokens(&piece_tokens(p, false), value, false)
}

/// ARN match of a substituted pattern: each of the six `:`-separated parts on its
/// own, so that a wildcard never spans parts (a `:` inside a variable's value is
/// literal text of its part).
pub(super) fn pieces_arn_like(p: &[Piece], value: &str) -> bool {
    let v: Vec<&str> = value.splitn(6, ':').collect();
    // Split the pattern's tokens at the `:` of its own text.
    let mut parts: Vec<Vec<actions::Tok>> = vec![Vec::new()];
    for x in p {
        match x {
            Piece::Text(t) => {
                for c in t.chars() {
                    let tok = match c {
                        ':' if parts.len() < 6 => {
                            parts.push(Vec::new());
                            continue;
                        }
                        '*' => actions::Tok::Many,
                        '?' => actions::Tok::One,
                        c => actions::Tok::Lit(c),
                    };
                    if let Some(l) = parts.last_mut() {
                        l.push(tok);
                    }
                }
            }
            Piece::Lit(t) => {
                if let Some(l) = parts.last_mut() {
                    l.extend(t.chars().map(actions::Tok::Lit));
                }
            }
        }
    }
    if parts.len() != 6 || v.len() != 6 {
        return actions::match_tokens(&piece_tokens(p, false), value, false);
    }
    parts
        .iter()
        .zip(v.iter())
        .all(|(toks, text)| actions::match_tokens(toks, text, false))
}

/// Whether one request value satisfies the (positive form of the) operator with one policy value.
fn value_matches(op: Operator, policy: &str, value: &str, req: &Request) -> Result<bool, String> {
    use Operator::*;
    // A value whose variable has no value matches no request value.
    let sub = |policy: &str| substituted(policy, req);
    Ok(match op {
        StringEquals | StringNotEquals => sub(policy)?.is_some_and(|p| pieces_text(&p) == value),
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            sub(policy)?.is_some_and(|p| pieces_text(&p).to_lowercase() == value.to_lowercase())
        }
        StringLike | StringNotLike => sub(policy)?.is_some_and(|p| pieces_like(&p, value)),
        ArnEquals | ArnNotEquals | ArnLike | ArnNotLike => {
            sub(policy)?.is_some_and(|p| pieces_arn_like(&p, value))
        }
        Bool => policy.eq_ignore_ascii_case(value),
        BinaryEquals => policy == value,
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => {
            let (Ok(p), Ok(v)) = (policy.trim().parse::<f64>(), value.trim().parse::<f64>()) else {
                return Ok(false);
            };
            match op {
                NumericEquals | NumericNotEquals => v == p,
                NumericLessThan => v < p,
                NumericLessThanEquals => v <= p,
                NumericGreaterThan => v > p,
                _ => v >= p,
            }
        }
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => {
            let p = parse_date(policy).ok_or_else(|| format!("{policy:?} is not a date"))?;
            let v = parse_date(value).ok_or_else(|| format!("{value:?} is not a date"))?;
            match op {
                DateEquals | DateNotEquals => v == p,
                DateLessThan => v < p,
                DateLessThanEquals => v <= p,
                DateGreaterThan => v > p,
                _ => v >= p,
            }
        }
        IpAddress | NotIpAddress => cidr_contains(policy, value)
            .ok_or_else(|| format!("{policy:?} or {value:?} is not an IP address"))?,
        Null => false,
    })
}

/// An IAM date: ISO 8601 (`2025-02-02T00:00:00Z`, `2025-02-02`) or epoch seconds.
pub fn parse_date(s: &str) -> Option<jiff::Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    if let Ok(secs) = s.parse::<i64>() {
        return jiff::Timestamp::from_second(secs).ok();
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    None
}

/// Whether `ip` is in `cidr` (a bare address is a /32 or /128).
fn cidr_contains(cidr: &str, ip: &str) -> Option<bool> {
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((n, b)) => (n, Some(b.parse::<u32>().ok()?)),
        None => (cidr.trim(), None),
    };
    let net: IpAddr = net.parse().ok()?;
    let ip: IpAddr = ip.trim().parse().ok()?;
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Some(u32::from(n) & mask == u32::from(i) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            Some(u128::from(n) & mask == u128::from(i) & mask)
        }
        _ => Some(false),
    }
}
