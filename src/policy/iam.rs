//! IAM policy documents: parsing every element, evaluating a request against
//! them, and the symbolic queries the IAM rules ask of a role's effective
//! permissions ("does it allow `iam:PassRole` on `*`?").
//!
//! Evaluation never guesses: a condition whose key is not known in the request
//! context, or a policy variable that cannot be resolved, makes the answer
//! [`Decision::Undecided`] and names the condition.

use crate::hashing::HashMap;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use serde_json::Value;

use super::actions::{self, action_matches, pattern_covers, patterns_intersect, wildcard_match};
use crate::model::{IamRole, ManagedPolicy};

// ---------------------------------------------------------------- errors

/// A document that is not a valid IAM policy; the message says where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

// ---------------------------------------------------------------- document model

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: a list of patterns, maybe negated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patterns {
    pub negated: bool,
    pub values: Vec<String>,
}

impl Patterns {
    fn describe(&self, what: &str) -> String {
        let name = if self.negated {
            format!("Not{what}")
        } else {
            what.to_string()
        };
        format!("{name} {}", short_list(&self.values))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    Aws,
    Federated,
    Service,
    CanonicalUser,
    Other(String),
}

impl PrincipalKind {
    fn parse(s: &str) -> PrincipalKind {
        match s {
            "AWS" => PrincipalKind::Aws,
            "Federated" => PrincipalKind::Federated,
            "Service" => PrincipalKind::Service,
            "CanonicalUser" => PrincipalKind::CanonicalUser,
            other => PrincipalKind::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::Service => "Service",
            PrincipalKind::CanonicalUser => "CanonicalUser",
            PrincipalKind::Other(s) => s,
        }
    }
}

/// `Principal`/`NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principals {
    pub negated: bool,
    /// `"Principal": "*"`.
    pub any: bool,
    pub entries: Vec<(PrincipalKind, String)>,
}

impl Principals {
    /// Whether the element names this caller. Per the IAM Principal element page
    /// ("All principals"), `"*"` and `{"AWS": "*"}` are the same thing: every
    /// principal, whatever its kind, web identities and services included.
    /// `Federated` values are compared exactly, as STS does: neither `"*"` nor a
    /// provider ARN in other letter case names a provider.
    pub fn matches(&self, kind: &PrincipalKind, id: &str) -> bool {
        let hit = self.any
            || self.entries.iter().any(|(k, v)| match k {
                PrincipalKind::Aws if v == "*" => true,
                PrincipalKind::Federated => kind == k && v == id,
                _ => {
                    k == kind
                        && (v == "*"
                            || v.eq_ignore_ascii_case(id)
                            || (kind == &PrincipalKind::Aws && aws_principal_matches(v, id)))
                }
            });
        hit != self.negated
    }

    /// Whether the element is `"*"` or contains `{"AWS": "*"}`: every principal.
    pub fn admits_everyone(&self) -> bool {
        !self.negated
            && (self.any
                || self
                    .entries
                    .iter()
                    .any(|(k, v)| *k == PrincipalKind::Aws && v == "*"))
    }

    pub fn describe(&self) -> String {
        let name = if self.negated {
            "NotPrincipal"
        } else {
            "Principal"
        };
        if self.any {
            return format!("{name} \"*\"");
        }
        let parts: Vec<String> = self
            .entries
            .iter()
            .map(|(k, v)| format!("{}: {v}", k.as_str()))
            .collect();
        format!("{name} {{{}}}", parts.join(", "))
    }
}

/// `"AWS": "111122223333"` means the account's root, i.e. any principal of the account
/// that its own policies let through.
fn aws_principal_matches(policy: &str, id: &str) -> bool {
    let account_of = |s: &str| -> Option<String> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Some(s.to_string());
        }
        let a = crate::model::Arn::parse(s).ok()?;
        if a.resource == "root" {
            Some(a.account)
        } else {
            None
        }
    };
    match (account_of(policy), crate::model::Arn::parse(id).ok()) {
        (Some(acct), Some(arn)) => arn.account == acct,
        _ => false,
    }
}

/// The operator of a condition, without its set qualifier and `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnNotEquals,
    ArnLike,
    ArnNotLike,
    Null,
}

impl Operator {
    fn parse(s: &str) -> Option<Operator> {
        use Operator::*;
        let all = [
            ("StringEquals", StringEquals),
            ("StringNotEquals", StringNotEquals),
            ("StringEqualsIgnoreCase", StringEqualsIgnoreCase),
            ("StringNotEqualsIgnoreCase", StringNotEqualsIgnoreCase),
            ("StringLike", StringLike),
            ("StringNotLike", StringNotLike),
            ("NumericEquals", NumericEquals),
            ("NumericNotEquals", NumericNotEquals),
            ("NumericLessThan", NumericLessThan),
            ("NumericLessThanEquals", NumericLessThanEquals),
            ("NumericGreaterThan", NumericGreaterThan),
            ("NumericGreaterThanEquals", NumericGreaterThanEquals),
            ("DateEquals", DateEquals),
            ("DateNotEquals", DateNotEquals),
            ("DateLessThan", DateLessThan),
            ("DateLessThanEquals", DateLessThanEquals),
            ("DateGreaterThan", DateGreaterThan),
            ("DateGreaterThanEquals", DateGreaterThanEquals),
            ("Bool", Bool),
            ("BinaryEquals", BinaryEquals),
            ("IpAddress", IpAddress),
            ("NotIpAddress", NotIpAddress),
            ("ArnEquals", ArnEquals),
            ("ArnNotEquals", ArnNotEquals),
            ("ArnLike", ArnLike),
            ("ArnNotLike", ArnNotLike),
            ("Null", Null),
        ];
        all.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, o)| *o)
    }

    /// Negated operators: true when no value matches (and when the key is absent).
    pub fn negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// One (operator, key, values) triple of a `Condition` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator as written (`ForAnyValue:StringLikeIfExists`).
    pub operator: String,
    pub op: Operator,
    pub set: Option<SetQualifier>,
    pub if_exists: bool,
    pub key: String,
    /// Values as strings (booleans and numbers in their JSON spelling).
    pub values: Vec<String>,
}

impl Condition {
    /// `StringEquals oidc…:sub = system:serviceaccount:a:b`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} = {}",
            self.operator,
            self.key,
            short_list(&self.values)
        )
    }

    /// Whether the key is this one, case-insensitively (IAM condition keys are).
    pub fn is_key(&self, key: &str) -> bool {
        self.key.eq_ignore_ascii_case(key)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Position in the document's `Statement` array (0 for a lone object).
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub action: Patterns,
    /// Absent in trust policies.
    pub resource: Option<Patterns>,
    /// Absent in identity policies.
    pub principal: Option<Principals>,
    pub conditions: Vec<Condition>,
    /// Positions in `action.values` by lowercase service prefix (`*` for patterns whose
    /// service part has a wildcard): a query about `s3:…` looks only at those.
    pub action_index: BTreeMap<String, Vec<usize>>,
}

impl Statement {
    /// The Action/NotAction patterns that can concern action (pattern) `q`.
    fn patterns_for<'s>(&'s self, q: &str) -> Vec<&'s str> {
        let qs = service_of(q);
        if has_wildcard(qs) {
            return self.action.values.iter().map(String::as_str).collect();
        }
        let mut out = Vec::new();
        let lower;
        let service = if qs.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = qs.to_ascii_lowercase();
            lower.as_str()
        } else {
            qs
        };
        for key in [service, "*"] {
            if let Some(ix) = self.action_index.get(key) {
                out.extend(ix.iter().map(|&i| self.action.values[i].as_str()));
            }
        }
        out
    }

    /// `Statement[2] (Sid "AllowS3")`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => format!("Statement[{}] (Sid \"{sid}\")", self.index),
            _ => format!("Statement[{}]", self.index),
        }
    }

    pub fn has_conditions(&self) -> bool {
        !self.conditions.is_empty()
    }

    /// One line: `Allow Action [s3:GetObject] on Resource [*] if StringEquals …`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} {}",
            self.effect.as_str(),
            self.action.describe("Action")
        );
        if let Some(r) = &self.resource {
            s.push_str(&format!(" on {}", r.describe("Resource")));
        }
        if let Some(p) = &self.principal {
            s.push_str(&format!(" for {}", p.describe()));
        }
        if !self.conditions.is_empty() {
            let c: Vec<String> = self.conditions.iter().map(Condition::describe).collect();
            s.push_str(&format!(" when {}", c.join(" and ")));
        }
        s
    }

    pub fn conditions_text(&self) -> String {
        let c: Vec<String> = self.conditions.iter().map(Condition::describe).collect();
        c.join(" and ")
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

// ---------------------------------------------------------------- parsing

/// Decode a document given either as JSON or as a (URL-encoded) JSON string.
pub fn document_value(v: &Value) -> Result<Cow<'_, Value>, ParseError> {
    match v {
        Value::String(s) => {
            let text = s.trim();
            let decoded = if text.starts_with('{') {
                text.to_string()
            } else {
                percent_encoding::percent_decode_str(text)
                    .decode_utf8()
                    .map_err(|e| {
                        ParseError(format!(
                            "policy document: not UTF-8 after URL-decoding: {e}"
                        ))
                    })?
                    // RFC 3986 (what IAM uses): spaces are %20 and a `+` is a plus.
                    .into_owned()
            };
            serde_json::from_str(&decoded)
                .map(Cow::Owned)
                .map_err(|e| ParseError(format!("policy document: not valid JSON: {e}")))
        }
        other => Ok(Cow::Borrowed(other)),
    }
}

/// Parse a policy document (an object, a JSON string, or a URL-encoded JSON string).
pub fn parse_document(v: &Value) -> Result<PolicyDocument, ParseError> {
    let v = document_value(v)?;
    let Value::Object(obj) = &*v else {
        return err("policy document: expected a JSON object");
    };
    let mut doc = PolicyDocument {
        version: obj
            .get("Version")
            .and_then(Value::as_str)
            .map(str::to_string),
        id: obj.get("Id").and_then(Value::as_str).map(str::to_string),
        statements: Vec::new(),
    };
    match obj.get("Statement") {
        None => return err("policy document: no \"Statement\""),
        Some(Value::Array(items)) => {
            for (i, s) in items.iter().enumerate() {
                doc.statements.push(parse_statement(i, s)?);
            }
        }
        Some(s @ Value::Object(_)) => doc.statements.push(parse_statement(0, s)?),
        Some(_) => return err("policy document: \"Statement\" must be an object or an array"),
    }
    Ok(doc)
}

fn string_list(v: &Value, at: &str) -> Result<Vec<String>, ParseError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => err(format!("{at}: expected strings, found {other}")),
            })
            .collect(),
        other => err(format!(
            "{at}: expected a string or an array of strings, found {other}"
        )),
    }
}

fn scalar_list(v: &Value, at: &str) -> Result<Vec<String>, ParseError> {
    let one = |v: &Value| -> Result<String, ParseError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Number(n) => Ok(n.to_string()),
            other => err(format!(
                "{at}: a condition value must be a string, boolean or number, found {other}"
            )),
        }
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

fn either(
    obj: &serde_json::Map<String, Value>,
    name: &str,
    at: &str,
) -> Result<Option<Patterns>, ParseError> {
    let not = format!("Not{name}");
    match (obj.get(name), obj.get(&not)) {
        (Some(_), Some(_)) => err(format!("{at}: has both \"{name}\" and \"{not}\"")),
        (Some(v), None) => Ok(Some(Patterns {
            negated: false,
            values: string_list(v, &format!("{at}.{name}"))?,
        })),
        (None, Some(v)) => Ok(Some(Patterns {
            negated: true,
            values: string_list(v, &format!("{at}.{not}"))?,
        })),
        (None, None) => Ok(None),
    }
}

fn parse_statement(index: usize, v: &Value) -> Result<Statement, ParseError> {
    let at = format!("Statement[{index}]");
    let Value::Object(obj) = v else {
        return err(format!("{at}: expected an object"));
    };
    let sid = match obj.get("Sid") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return err(format!("{at}.Sid: expected a string, found {other}")),
    };
    let effect = match obj.get("Effect").and_then(Value::as_str) {
        Some(e) if e.eq_ignore_ascii_case("Allow") => Effect::Allow,
        Some(e) if e.eq_ignore_ascii_case("Deny") => Effect::Deny,
        Some(e) => return err(format!("{at}.Effect: {e:?} is neither Allow nor Deny")),
        None => return err(format!("{at}: no \"Effect\"")),
    };
    let Some(action) = either(obj, "Action", &at)? else {
        return err(format!("{at}: no \"Action\" or \"NotAction\""));
    };
    let resource = either(obj, "Resource", &at)?;
    let principal = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return err(format!("{at}: has both \"Principal\" and \"NotPrincipal\""));
        }
        (Some(v), None) => Some(parse_principal(v, false, &format!("{at}.Principal"))?),
        (None, Some(v)) => Some(parse_principal(v, true, &format!("{at}.NotPrincipal"))?),
        (None, None) => None,
    };
    let mut conditions = Vec::new();
    match obj.get("Condition") {
        None | Some(Value::Null) => {}
        Some(Value::Object(ops)) => {
            for (op_name, keys) in ops {
                let cat = format!("{at}.Condition.{op_name}");
                let (set, rest) = if let Some(r) = strip_prefix_ci(op_name, "ForAnyValue:") {
                    (Some(SetQualifier::ForAnyValue), r)
                } else if let Some(r) = strip_prefix_ci(op_name, "ForAllValues:") {
                    (Some(SetQualifier::ForAllValues), r)
                } else {
                    (None, op_name.as_str())
                };
                let (if_exists, base) = match strip_suffix_ci(rest, "IfExists") {
                    Some(b) => (true, b),
                    None => (false, rest),
                };
                let Some(op) = Operator::parse(base) else {
                    return err(format!("{cat}: unknown condition operator {op_name:?}"));
                };
                let Value::Object(keys) = keys else {
                    return err(format!("{cat}: expected an object of condition keys"));
                };
                for (key, values) in keys {
                    conditions.push(Condition {
                        operator: op_name.clone(),
                        op,
                        set,
                        if_exists,
                        key: key.clone(),
                        values: scalar_list(values, &format!("{cat}.{key}"))?,
                    });
                }
            }
        }
        Some(other) => return err(format!("{at}.Condition: expected an object, found {other}")),
    }
    let mut action_index: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, a) in action.values.iter().enumerate() {
        let svc = service_of(a.trim());
        let key = if has_wildcard(svc) {
            "*".to_string()
        } else {
            svc.to_ascii_lowercase()
        };
        action_index.entry(key).or_default().push(i);
    }
    Ok(Statement {
        index,
        sid,
        effect,
        action,
        resource,
        principal,
        conditions,
        action_index,
    })
}

fn parse_principal(v: &Value, negated: bool, at: &str) -> Result<Principals, ParseError> {
    match v {
        Value::String(s) if s == "*" => Ok(Principals {
            negated,
            any: true,
            entries: Vec::new(),
        }),
        Value::String(s) => err(format!(
            "{at}: a string principal must be \"*\", found {s:?}"
        )),
        Value::Object(map) => {
            let mut entries = Vec::new();
            for (k, vals) in map {
                let kind = PrincipalKind::parse(k);
                for id in string_list(vals, &format!("{at}.{k}"))? {
                    entries.push((kind.clone(), id));
                }
            }
            Ok(Principals {
                negated,
                any: false,
                entries,
            })
        }
        other => err(format!("{at}: expected \"*\" or an object, found {other}")),
    }
}

fn strip_prefix_ci<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

fn strip_suffix_ci<'s>(s: &'s str, suffix: &str) -> Option<&'s str> {
    let cut = s.len().checked_sub(suffix.len())?;
    if s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(suffix) && cut > 0 {
        Some(&s[..cut])
    } else {
        None
    }
}

fn short_list(v: &[String]) -> String {
    if v.len() == 1 {
        v[0].clone()
    } else if v.len() <= 6 {
        format!("[{}]", v.join(", "))
    } else {
        format!("[{}, … {} more]", v[..5].join(", "), v.len() - 5)
    }
}

// ---------------------------------------------------------------- request context

/// What is known about one context key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState<'a> {
    Present(&'a [String]),
    Absent,
    Unknown,
}

/// The request an evaluation answers: action, resource, principal, context keys.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub action: String,
    /// `None`: the statements' `Resource` is not checked (trust policies).
    pub resource: Option<String>,
    pub principal: Option<(PrincipalKind, String)>,
    /// Lowercased key → values, or `None` when the key is known to be absent.
    keys: BTreeMap<String, Option<Vec<String>>>,
    /// Lowercased keys that stay unknown even in a closed request (their value
    /// depends on the moment or the caller's network, not on the configuration),
    /// with why, for the answer to say.
    unknown: BTreeMap<String, String>,
    /// Whether keys not listed are absent (true) or unknown (false).
    closed: bool,
    /// Lowercased keys set as multivalued ([`Request::key_values`]), even with one value.
    multi: std::collections::BTreeSet<String>,
}

impl Request {
    pub fn new(action: impl Into<String>) -> Request {
        Request {
            action: action.into(),
            ..Request::default()
        }
    }

    pub fn resource(mut self, r: impl Into<String>) -> Request {
        self.resource = Some(r.into());
        self
    }

    pub fn principal(mut self, kind: PrincipalKind, id: impl Into<String>) -> Request {
        self.principal = Some((kind, id.into()));
        self
    }

    /// Set a key to one value.
    pub fn key(mut self, k: &str, v: impl Into<String>) -> Request {
        let k = k.to_ascii_lowercase();
        self.multi.remove(&k);
        self.keys.insert(k, Some(vec![v.into()]));
        self
    }

    /// Set a multivalued key (`aws:TagKeys`, `aws:CalledVia`). An empty set is
    /// the key being absent, as the set operators read it.
    pub fn key_values(mut self, k: &str, v: Vec<String>) -> Request {
        let k = k.to_ascii_lowercase();
        if v.is_empty() {
            self.keys.insert(k, None);
        } else {
            self.multi.insert(k.clone());
            self.keys.insert(k, Some(v));
        }
        self
    }

    /// Whether a key was set as multivalued.
    pub fn is_multivalued(&self, k: &str) -> bool {
        self.multi.contains(&k.to_ascii_lowercase())
    }

    /// Declare a key absent from the request.
    pub fn absent(mut self, k: &str) -> Request {
        self.keys.insert(k.to_ascii_lowercase(), None);
        self
    }

    /// Declare a key unknown, also in a closed request.
    pub fn unknown(self, k: &str) -> Request {
        self.unknown_because(k, "")
    }

    /// Set a key when its value is known, else declare it unknown.
    pub fn key_or_unknown(self, k: &str, v: Option<&str>) -> Request {
        match v {
            Some(v) => self.key(k, v),
            None => self.unknown(k),
        }
    }

    /// Declare a key unknown, also in a closed request, and why (shown with
    /// the conditions left undecided).
    pub fn unknown_because(mut self, k: &str, why: &str) -> Request {
        let k = k.to_ascii_lowercase();
        self.keys.remove(&k);
        self.unknown.insert(k, why.to_string());
        self
    }

    /// `" (why)"` for a key declared unknown with a reason, else empty.
    fn unknown_note(&self, key: &str) -> String {
        match self.unknown.get(&key.to_ascii_lowercase()) {
            Some(why) if !why.is_empty() => format!(" ({why})"),
            _ => String::new(),
        }
    }

    /// Every key not set is absent (instead of unknown).
    pub fn closed(mut self) -> Request {
        self.closed = true;
        self
    }

    pub fn with_action(&self, action: &str) -> Request {
        let mut r = self.clone();
        r.action = action.to_string();
        r
    }

    pub fn lookup(&self, key: &str) -> KeyState<'_> {
        let key = key.to_ascii_lowercase();
        match self.keys.get(&key) {
            Some(Some(v)) => KeyState::Present(v),
            Some(None) => KeyState::Absent,
            None if self.closed && !self.unknown.contains_key(&key) => KeyState::Absent,
            None => KeyState::Unknown,
        }
    }
}

// ---------------------------------------------------------------- evaluation

/// Three-valued result of checking one part of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Yes,
    /// Does not apply, and why.
    No(String),
    /// Cannot be decided, and what.
    Undecided(String),
}

/// Where a statement lives: a policy's name and the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StmtRef {
    pub policy: String,
    pub index: usize,
    pub sid: Option<String>,
    pub conditional: bool,
}

impl fmt::Display for StmtRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sid {
            Some(sid) if !sid.is_empty() => {
                write!(
                    f,
                    "{} Statement[{}] (Sid \"{sid}\")",
                    self.policy, self.index
                )
            }
            _ => write!(f, "{} Statement[{}]", self.policy, self.index),
        }
    }
}

impl StmtRef {
    fn of(policy: &str, s: &Statement) -> StmtRef {
        StmtRef {
            policy: policy.to_string(),
            index: s.index,
            sid: s.sid.clone(),
            conditional: s.has_conditions(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed {
        by: Vec<StmtRef>,
    },
    /// An explicit Deny applies.
    Denied {
        by: StmtRef,
        why: String,
    },
    /// No Allow applies (implicit deny); a reason per statement considered.
    NotAllowed {
        reasons: Vec<String>,
    },
    /// Some statement hinges on something the engine cannot decide.
    Undecided {
        conditions: Vec<String>,
    },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
}

/// Whether a statement applies to a request; `No` carries the first part that failed.
pub fn statement_applies(stmt: &Statement, req: &Request) -> Check {
    let action_hit = stmt
        .action
        .values
        .iter()
        .any(|p| action_matches(p, &req.action));
    if action_hit == stmt.action.negated {
        return Check::No(format!(
            "action {} is not granted by {}",
            req.action,
            stmt.action.describe("Action")
        ));
    }
    if let (Some(spec), Some(res)) = (&stmt.resource, &req.resource) {
        // Policy variables are substituted in Resource and NotResource too
        // ("IAM policy elements: variables and tags"); one that is unknown leaves
        // the match open unless another pattern decides it.
        let mut hit = false;
        let mut pending = None;
        for p in &spec.values {
            if !p.contains("${") {
                hit = resource_matches(p, res);
            } else {
                match substituted(p, req) {
                    Ok(Some(pieces)) => hit = pieces_arn_like(&pieces, res),
                    Ok(None) => {}
                    Err(why) => pending = Some(why),
                }
            }
            if hit {
                break;
            }
        }
        if let (false, Some(why)) = (hit, pending) {
            return Check::Undecided(format!("{}: {why}", spec.describe("Resource")));
        }
        if hit == spec.negated {
            return Check::No(format!(
                "resource {res} is not in {}",
                spec.describe("Resource")
            ));
        }
    }
    if let (Some(spec), Some((kind, id))) = (&stmt.principal, &req.principal)
        && !spec.matches(kind, id)
    {
        return Check::No(format!(
            "principal {}: {id} is not {}",
            kind.as_str(),
            spec.describe()
        ));
    }
    let mut undecided = Vec::new();
    for c in &stmt.conditions {
        match eval_condition(c, req) {
            Check::Yes => {}
            no @ Check::No(_) => return no,
            Check::Undecided(why) => undecided.push(why),
        }
    }
    if undecided.is_empty() {
        Check::Yes
    } else {
        Check::Undecided(undecided.join("; "))
    }
}

/// ARN-aware resource match: `*` matches anything, otherwise per-component wildcards.
fn resource_matches(pattern: &str, resource: &str) -> bool {
    pattern == "*" || arn_like(pattern, resource)
}

fn arn_like(pattern: &str, value: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let v: Vec<&str> = value.splitn(6, ':').collect();
    if p.len() != 6 || v.len() != 6 {
        return wildcard_match(pattern, value, false);
    }
    p.iter()
        .zip(v.iter())
        .all(|(a, b)| wildcard_match(a, b, false))
}

/// Evaluate a set of policies (one principal's identity policies, or one trust
/// policy) against a request: explicit Deny wins, then any Allow, else implicit deny.
pub fn evaluate(policies: &[(&str, &PolicyDocument)], req: &Request) -> Decision {
    let mut allows = Vec::new();
    let mut allow_undecided = Vec::new();
    let mut deny_undecided = Vec::new();
    let mut reasons = Vec::new();
    for (name, doc) in policies {
        for s in &doc.statements {
            let check = statement_applies(s, req);
            match (s.effect, check) {
                (Effect::Deny, Check::Yes) => {
                    return Decision::Denied {
                        by: StmtRef::of(name, s),
                        why: format!("explicit Deny in {name} {}: {}", s.label(), s.summary()),
                    };
                }
                (Effect::Deny, Check::Undecided(c)) => {
                    deny_undecided.push(format!("Deny in {name} {} may apply: {c}", s.label()))
                }
                (Effect::Deny, Check::No(_)) => {}
                (Effect::Allow, Check::Yes) => allows.push(StmtRef::of(name, s)),
                (Effect::Allow, Check::Undecided(c)) => {
                    allow_undecided.push(format!("{name} {}: {c}", s.label()))
                }
                (Effect::Allow, Check::No(why)) => {
                    reasons.push(format!("{name} {}: {why}", s.label()))
                }
            }
        }
    }
    if !allows.is_empty() {
        // Allowed, unless a Deny that may apply is pending.
        if deny_undecided.is_empty() {
            return Decision::Allowed { by: allows };
        }
        return Decision::Undecided {
            conditions: deny_undecided,
        };
    }
    if !allow_undecided.is_empty() {
        allow_undecided.extend(deny_undecided);
        return Decision::Undecided {
            conditions: allow_undecided,
        };
    }
    // Nothing allows it: a pending Deny changes nothing.
    Decision::NotAllowed { reasons }
}

/// Evaluate one condition against the request context.
pub fn eval_condition(c: &Condition, req: &Request) -> Check {
    let desc = c.describe();
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
            return Check::No(format!("{desc}: Null needs true or false"));
        }
        let (absent_ok, present_ok) = (wants.contains(&true), wants.contains(&false));
        return match state {
            KeyState::Unknown if absent_ok && present_ok => Check::Yes,
            KeyState::Unknown => Check::Undecided(format!(
                "{desc}: {} is not known{}",
                c.key,
                req.unknown_note(&c.key)
            )),
            KeyState::Absent => yes_no(absent_ok, &desc, &format!("{} is absent", c.key)),
            KeyState::Present(_) => yes_no(present_ok, &desc, &format!("{} is present", c.key)),
        };
    }
    let values = match state {
        KeyState::Unknown => {
            return Check::Undecided(format!(
                "{desc}: {} is not known for this request{}",
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
            return yes_no(holds, &desc, &format!("{} is not in the request", c.key));
        }
        KeyState::Present(v) => v,
    };
    if c.set.is_none() && req.is_multivalued(&c.key) {
        // "Single-valued vs. multivalued context keys": multivalued keys require
        // a set operator. A single-valued operator (negated or not) compares a
        // single value, which a multivalued key does not have: the condition
        // does not match, so an Allow that relies on it does not apply and
        // neither does a Deny.
        return Check::No(format!(
            "condition {desc} does not hold: {} is multivalued ({}) and the operator has no ForAnyValue/ForAllValues",
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
        return Check::Undecided(format!("{desc}: {u}"));
    }
    let shown = short_list(values);
    yes_no(result, &desc, &format!("{} is {shown}", c.key))
}

fn yes_no(holds: bool, desc: &str, fact: &str) -> Check {
    if holds {
        Check::Yes
    } else {
        Check::No(format!("condition {desc} does not hold: {fact}"))
    }
}

/// A piece of a value after policy-variable substitution.
enum Piece {
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
fn substituted(v: &str, req: &Request) -> Result<Option<Vec<Piece>>, String> {
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
fn pieces_arn_like(p: &[Piece], value: &str) -> bool {
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

// ---------------------------------------------------------------- effective permissions

/// A parsed policy with a name for evidence (`inline policy x`, `managed policy arn:…`).
#[derive(Debug, Clone)]
pub struct NamedPolicy {
    pub name: String,
    /// Shared: a managed policy is parsed once for every role it is attached to.
    pub doc: Arc<PolicyDocument>,
}

/// The permissions boundary of a principal.
#[derive(Debug, Clone)]
pub enum Boundary {
    Known(NamedPolicy),
    /// Set, but its document was not collected: grants are then only possible.
    Unknown(String),
}

/// A principal's identity policies and boundary, ready for queries.
#[derive(Debug, Clone, Default)]
pub struct PermissionSet {
    pub policies: Vec<NamedPolicy>,
    pub boundary: Option<Boundary>,
    /// Policies that could not be used (not collected, not parseable).
    pub problems: Vec<String>,
    /// How many of `policies`, the first ones, are the principal's inline policies.
    pub inline: usize,
}

/// The services a principal's inline policies name (see [`PermissionSet::inline_bears_on`]).
#[derive(Debug, Clone, Default)]
pub struct InlineScope {
    any_statement: bool,
    /// A NotAction, or an action whose service has a wildcard.
    every_service: bool,
    services: std::collections::BTreeSet<String>,
}

impl InlineScope {
    /// Whether a statement could bear on action pattern `q`.
    pub fn bears_on(&self, q: &str) -> bool {
        let qs = service_of(q);
        if !self.any_statement {
            return false;
        }
        if self.every_service || has_wildcard(qs) {
            return true;
        }
        if qs.bytes().any(|b| b.is_ascii_uppercase()) {
            self.services.contains(&qs.to_ascii_lowercase())
        } else {
            self.services.contains(qs)
        }
    }
}

/// The answer to "does it allow all of Q on every resource?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The grant depends on a condition (of an Allow, of a Deny, or an uncollected boundary).
    pub conditional: bool,
    /// The statements that grant it.
    pub by: Vec<StmtRef>,
    /// Extra facts (conditions, boundaries, Denies that narrow it).
    pub notes: Vec<String>,
}

impl Grant {
    /// `inline policy x Statement[0]; …` plus notes, for evidence.
    pub fn evidence(&self) -> String {
        let by: Vec<String> = self.by.iter().map(|s| s.to_string()).collect();
        let mut s = by.join("; ");
        if !self.notes.is_empty() {
            s.push_str(" (");
            s.push_str(&self.notes.join("; "));
            s.push(')');
        }
        s
    }
}

/// The service an action pattern belongs to (`s3:Get*` → `s3`; `*` → `*`).
fn service_of(q: &str) -> &str {
    q.split_once(':').map(|(s, _)| s).unwrap_or("*")
}

fn has_wildcard(s: &str) -> bool {
    s.bytes().any(|b| b == b'*' || b == b'?')
}

/// Cheap pre-test: two action patterns with different literal services never meet.
fn same_service(p: &str, q: &str) -> bool {
    let (ps, qs) = (service_of(p.trim()), service_of(q));
    has_wildcard(ps) || has_wildcard(qs) || ps.eq_ignore_ascii_case(qs)
}

/// Does pattern `p` cover every action matched by `q`?
fn covers(p: &str, q: &str) -> bool {
    if !same_service(p, q) {
        return false;
    }
    if has_wildcard(q) {
        // A literal names one action; it cannot cover a wildcard's many.
        has_wildcard(p) && pattern_covers(p.trim(), q, true)
    } else {
        action_matches(p, q)
    }
}

/// Does the statement's Action/NotAction cover every action of `q`?
fn stmt_covers_action(s: &Statement, q: &str) -> bool {
    if s.action.negated {
        let candidates = s.patterns_for(q);
        !candidates
            .iter()
            .any(|p| patterns_intersect(p.trim(), q, true))
    } else if has_wildcard(service_of(q)) {
        // Only a pattern whose service is a wildcard can cover the actions of
        // every service `q` matches (`*:*`, `s3*:Get*`): the patterns of a big
        // managed policy naming one service each are not even looked at.
        s.action_index
            .get("*")
            .is_some_and(|ix| ix.iter().any(|&i| covers(&s.action.values[i], q)))
    } else {
        s.patterns_for(q).iter().any(|p| covers(p, q))
    }
}

/// Whether a resource pattern means "every resource" for a service: `*`,
/// `arn:…:*`, or a whole resource type (`arn:aws:iam::*:role/*`, `…:secret:*`).
pub fn broad_resource(pattern: &str, service: &str) -> bool {
    let p = pattern.trim();
    if p == "*" {
        return true;
    }
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return false;
    }
    let svc = parts[2];
    if !(svc == "*" || service == "*" || svc.eq_ignore_ascii_case(service)) {
        return false;
    }
    let rest = parts[5];
    if rest.chars().all(|c| c == '*') {
        return true;
    }
    if svc.eq_ignore_ascii_case("s3") {
        // S3 resources start with the bucket name, not a type.
        return rest == "*/*";
    }
    // A literal resource type followed only by a wildcard.
    let (ty, tail) = match rest.find(['/', ':']) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => return false,
    };
    !ty.is_empty() && !has_wildcard(ty) && !tail.is_empty() && tail.chars().all(|c| c == '*')
}

/// Whether a resource pattern can match some resource of `service` (`*` for any).
fn resource_touches(pattern: &str, service: &str) -> bool {
    let parts: Vec<&str> = pattern.trim().splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        // `*`, or a pattern that is not an ARN: it may match anything.
        return true;
    }
    let svc = parts[2];
    service == "*" || has_wildcard(svc) || svc.eq_ignore_ascii_case(service)
}

/// Does the statement's Resource/NotResource take in every resource of every
/// action of `q`? Only `*` does for a wildcard `q`: its actions include some
/// that take no resource ARN at all (`s3:ListAllMyBuckets` needs `"Resource":
/// "*"`), so `arn:aws:s3:::*` is not all of `s3:*`. For one action, a pattern
/// covering its whole service or resource type ([`broad_resource`]) is. A
/// `NotResource` leaves out what it names, unless that is outside q's service.
fn stmt_all_resources(s: &Statement, q: &str) -> bool {
    let service = service_of(q);
    match &s.resource {
        None => true,
        Some(spec) if spec.negated => !spec.values.iter().any(|p| resource_touches(p, service)),
        Some(spec) if has_wildcard(q) => spec.values.iter().any(|p| p.trim() == "*"),
        Some(spec) => spec.values.iter().any(|p| broad_resource(p, service)),
    }
}

/// Could the statement's Action/NotAction match some action of `q`?
fn stmt_touches_action(s: &Statement, q: &str) -> bool {
    if s.action.negated {
        !stmt_covers_action_negated_all(s, q)
    } else {
        s.action
            .values
            .iter()
            .any(|p| same_service(p, q) && patterns_intersect(p.trim(), q, true))
    }
}

/// For a NotAction statement: does its NotAction list exclude every action of `q`?
fn stmt_covers_action_negated_all(s: &Statement, q: &str) -> bool {
    s.action.values.iter().any(|p| covers(p, q))
}

/// Could the statement's Resource/NotResource match some resource of `q`'s service?
fn stmt_touches_resources(s: &Statement, q: &str) -> bool {
    let service = service_of(q);
    match &s.resource {
        None => true,
        Some(spec) if spec.negated => !spec.values.iter().any(|p| p.trim() == "*"),
        Some(spec) => spec.values.iter().any(|p| resource_touches(p, service)),
    }
}

/// How a resource spec reads in evidence.
fn resource_note(s: &Statement) -> Option<String> {
    match &s.resource {
        Some(spec) if spec.negated => Some(format!(
            "on every resource except {}",
            short_list(&spec.values)
        )),
        _ => None,
    }
}

/// What one policy says about an action pattern `q`, for [`docs_grant_with`]: the
/// statements that matter, found once per (policy, q) and shared by every
/// principal the policy is attached to.
#[derive(Debug, Default)]
pub struct PolicyOnQuery {
    /// The first unconditional / conditional Allow of all of q on every resource.
    first_unconditional: Option<usize>,
    first_conditional: Option<usize>,
    /// Deny statements that can apply to some of q.
    denies: Vec<usize>,
    /// An Allow that could grant part of a wildcard q ([`union_grant`]).
    partial: bool,
}

impl PolicyOnQuery {
    fn of(doc: &PolicyDocument, q: &str) -> PolicyOnQuery {
        let mut out = PolicyOnQuery::default();
        let service = service_of(q);
        let piecewise = has_wildcard(q) && !has_wildcard(service);
        let whole_service = format!("{service}:*");
        for (i, s) in doc.statements.iter().enumerate() {
            match s.effect {
                Effect::Allow => {
                    if stmt_covers_action(s, q) && stmt_all_resources(s, q) {
                        if s.has_conditions() {
                            out.first_conditional.get_or_insert(i);
                        } else {
                            out.first_unconditional.get_or_insert(i);
                        }
                    }
                    out.partial |= piecewise && union_relevant(s, service, &whole_service);
                }
                Effect::Deny => {
                    if stmt_touches_action(s, q) && stmt_touches_resources(s, q) {
                        out.denies.push(i);
                    }
                }
            }
        }
        out
    }
}

/// Answers of [`PolicyOnQuery`] kept across principals, by action pattern and
/// policy. Only for documents that outlive the memo (managed policies held by
/// the graph): keyed by the document's address.
#[derive(Debug, Default)]
pub struct GrantMemo {
    by_query: HashMap<String, HashMap<usize, Arc<PolicyOnQuery>>>,
}

impl GrantMemo {
    fn get(&mut self, doc: &Arc<PolicyDocument>, q: &str) -> Arc<PolicyOnQuery> {
        let key = Arc::as_ptr(doc) as usize;
        if let Some(m) = self.by_query.get(q)
            && let Some(a) = m.get(&key)
        {
            return a.clone();
        }
        let a = Arc::new(PolicyOnQuery::of(doc, q));
        self.by_query
            .entry(q.to_string())
            .or_default()
            .insert(key, a.clone());
        a
    }
}

/// Whether `policies` allow all of `q` on every resource, after their Denies,
/// from each policy's [`PolicyOnQuery`] (`of` gives it for the policy at an
/// index, computed or kept).
fn docs_grant_with(
    policies: &[NamedPolicy],
    q: &str,
    of: &mut dyn FnMut(usize, &NamedPolicy) -> Arc<PolicyOnQuery>,
) -> Option<Grant> {
    let on: Vec<Arc<PolicyOnQuery>> = policies.iter().enumerate().map(|(i, p)| of(i, p)).collect();
    // The Allow that grants all of q on every resource: the first unconditional
    // one, else the first conditional one.
    let chosen = policies
        .iter()
        .zip(&on)
        .find_map(|(p, o)| o.first_unconditional.map(|i| (p, i)))
        .or_else(|| {
            policies
                .iter()
                .zip(&on)
                .find_map(|(p, o)| o.first_conditional.map(|i| (p, i)))
        });
    let mut grant = match chosen {
        Some((p, i)) => {
            let s = &p.doc.statements[i];
            let mut g = Grant {
                conditional: s.has_conditions(),
                by: vec![StmtRef::of(&p.name, s)],
                notes: Vec::new(),
            };
            if s.has_conditions() {
                g.notes.push(format!("when {}", s.conditions_text()));
            }
            if let Some(n) = resource_note(s) {
                g.notes.push(n);
            }
            g
        }
        None if on.iter().any(|o| o.partial) => union_grant(policies, q)?,
        None => return None,
    };
    // An explicit Deny that can apply to any of q (some of its actions on some of
    // their resources) means q is not allowed in full ("policy evaluation logic":
    // an explicit deny overrides any allow): the claim goes. With a condition,
    // the claim becomes conditional and says which Deny, and whether it covers
    // all of q or only part.
    for (p, o) in policies.iter().zip(&on) {
        for &i in &o.denies {
            let s = &p.doc.statements[i];
            if !s.has_conditions() {
                return None;
            }
            let whole = stmt_covers_action(s, q) && stmt_all_resources(s, q);
            grant.conditional = true;
            grant.notes.push(format!(
                "unless Deny {} {} applies{}: {}",
                p.name,
                s.label(),
                if whole { "" } else { " (to part of it)" },
                s.conditions_text()
            ));
        }
    }
    Some(grant)
}

/// Whether an Allow statement can contribute to granting `service:*` piecewise.
fn union_relevant(s: &Statement, service: &str, whole_service: &str) -> bool {
    // Each action must be granted on every resource, including the actions that
    // take none: only `*` (or a NotResource outside the service) does that for all.
    s.effect == Effect::Allow
        && stmt_all_resources(s, whole_service)
        && (s.action.negated
            || s.action.values.iter().any(|a| {
                let svc = service_of(a.trim());
                has_wildcard(svc) || svc.eq_ignore_ascii_case(service)
            }))
}

/// A wildcard `q` granted piecewise: every catalogue action of it allowed by some statement.
fn union_grant(policies: &[NamedPolicy], q: &str) -> Option<Grant> {
    if !has_wildcard(q) {
        return None;
    }
    let service = service_of(q);
    if has_wildcard(service) {
        return None;
    }
    let whole_service = format!("{service}:*");
    // Only statements that mention this service can contribute.
    let relevant: Vec<(&NamedPolicy, &Statement)> = policies
        .iter()
        .flat_map(|p| p.doc.statements.iter().map(move |s| (p, s)))
        .filter(|(_, s)| union_relevant(s, service, &whole_service))
        .collect();
    if relevant.is_empty() {
        return None;
    }
    let all = actions::service_full_names(service);
    let wanted: Vec<&String> = if q.ends_with(":*") && q.len() == service.len() + 2 {
        all.iter().collect()
    } else {
        let toks = actions::tokens(q, true);
        all.iter()
            .filter(|a| actions::match_tokens(&toks, a, true))
            .collect()
    };
    if wanted.is_empty() {
        return None;
    }
    let mut used: Vec<StmtRef> = Vec::new();
    let mut conditional = false;
    for name in &wanted {
        let mut hit: Option<&(&NamedPolicy, &Statement)> = None;
        for r in &relevant {
            if stmt_covers_action(r.1, name) {
                if !r.1.has_conditions() {
                    hit = Some(r);
                    break;
                }
                hit.get_or_insert(r);
            }
        }
        let (p, s) = hit?;
        conditional |= s.has_conditions();
        let sref = StmtRef::of(&p.name, s);
        if !used.contains(&sref) {
            used.push(sref);
        }
    }
    Some(Grant {
        conditional,
        by: used,
        notes: vec![format!(
            "every one of the {} actions of {q}, across statements",
            wanted.len()
        )],
    })
}

impl PermissionSet {
    /// The identity policies of a role: inline, then attached managed (default version),
    /// with its permissions boundary. `lookup` finds a managed policy by ARN.
    pub fn for_role<'p>(
        role: &IamRole,
        lookup: impl Fn(&str) -> Option<&'p ManagedPolicy>,
    ) -> PermissionSet {
        PermissionSet::for_role_parsed(role, |arn| {
            lookup(arn)
                .and_then(|m| m.document.as_ref())
                .map(|d| parse_document(d).map(Arc::new))
        })
    }

    /// As [`PermissionSet::for_role`], with managed policies already parsed:
    /// `managed` gives a policy's default version by ARN (`None`: not collected).
    pub fn for_role_parsed(
        role: &IamRole,
        mut managed: impl FnMut(&str) -> Option<Result<Arc<PolicyDocument>, ParseError>>,
    ) -> PermissionSet {
        let mut set = PermissionSet::default();
        for ip in &role.inline_policies {
            let name = format!("inline policy {}", ip.name);
            match parse_document(&ip.document) {
                Ok(doc) => set.policies.push(NamedPolicy {
                    name,
                    doc: Arc::new(doc),
                }),
                Err(e) => set.problems.push(format!("{name}: {e}")),
            }
        }
        set.inline = set.policies.len();
        for ap in &role.attached_policies {
            let name = format!(
                "managed policy {}",
                if ap.name.is_empty() {
                    &ap.arn
                } else {
                    &ap.name
                }
            );
            match managed(&ap.arn) {
                Some(Ok(doc)) => set.policies.push(NamedPolicy { name, doc }),
                Some(Err(e)) => set.problems.push(format!("{name}: {e}")),
                None => set.problems.push(format!(
                    "{name} ({}): its document was not collected",
                    ap.arn
                )),
            }
        }
        if let Some(b) = &role.permissions_boundary {
            let name = format!("permissions boundary {b}");
            set.boundary = Some(match managed(b) {
                Some(Ok(doc)) => Boundary::Known(NamedPolicy { name, doc }),
                Some(Err(e)) => {
                    set.problems.push(format!("{name}: {e}"));
                    Boundary::Unknown(b.clone())
                }
                None => Boundary::Unknown(b.clone()),
            });
        }
        set
    }

    /// A set of documents with no boundary.
    pub fn of(policies: Vec<NamedPolicy>) -> PermissionSet {
        PermissionSet {
            policies,
            boundary: None,
            problems: Vec::new(),
            inline: 0,
        }
    }

    /// Whether a statement of the inline policies could bear on action pattern
    /// `q` (allow or deny any of it): one naming q's service or a wildcard
    /// service, or a NotAction. When none does, what the set allows of `q` is
    /// what its managed policies and boundary allow, the same for every
    /// principal with those.
    pub fn inline_bears_on(&self, q: &str) -> bool {
        self.inline_scope().bears_on(q)
    }

    /// What the inline policies' statements name, for [`InlineScope::bears_on`].
    pub fn inline_scope(&self) -> InlineScope {
        let mut scope = InlineScope::default();
        for s in self.policies[..self.inline.min(self.policies.len())]
            .iter()
            .flat_map(|p| &p.doc.statements)
        {
            scope.any_statement = true;
            if s.action.negated {
                scope.every_service = true;
            }
            for a in &s.action.values {
                let svc = service_of(a.trim());
                if has_wildcard(svc) {
                    scope.every_service = true;
                } else {
                    scope.services.insert(svc.to_ascii_lowercase());
                }
            }
        }
        scope
    }

    /// Does it allow every action `q` matches (`iam:PassRole`, `s3:*`, `*:*`) on every
    /// resource, after explicit Denies and the permissions boundary?
    pub fn allows_all(&self, q: &str) -> Option<Grant> {
        self.allows_all_inner(q, None)
    }

    /// [`PermissionSet::allows_all`], with what each managed policy and the
    /// boundary say about `q` kept in `memo` for the next principal that has
    /// them. The memo may only outlive documents it has seen when they stay
    /// alive (the graph holds managed policies for the whole audit).
    pub fn allows_all_memo(&self, q: &str, memo: &mut GrantMemo) -> Option<Grant> {
        self.allows_all_inner(q, Some(memo))
    }

    fn allows_all_inner(&self, q: &str, mut memo: Option<&mut GrantMemo>) -> Option<Grant> {
        let inline = self.inline;
        let mut of = |i: usize, p: &NamedPolicy| -> Arc<PolicyOnQuery> {
            match memo.as_deref_mut() {
                // Inline policies are the principal's own: not worth keeping.
                Some(m) if i >= inline => m.get(&p.doc, q),
                _ => Arc::new(PolicyOnQuery::of(&p.doc, q)),
            }
        };
        let mut grant = docs_grant_with(&self.policies, q, &mut of)?;
        match &self.boundary {
            None => {}
            Some(Boundary::Known(b)) => {
                let bg =
                    docs_grant_with(std::slice::from_ref(b), q, &mut |_, p| of(usize::MAX, p))?;
                if bg.conditional {
                    grant.conditional = true;
                    grant
                        .notes
                        .push(format!("{} allows it only conditionally", b.name));
                    grant.notes.extend(bg.notes);
                } else {
                    grant.notes.push(format!("{} allows it too", b.name));
                }
            }
            Some(Boundary::Unknown(arn)) => {
                grant.conditional = true;
                grant.notes.push(format!(
                    "permissions boundary {arn} was not collected and may narrow it"
                ));
            }
        }
        Some(grant)
    }

    /// Does it allow `*` on `*` (AdministratorAccess or equivalent)?
    pub fn allows_everything(&self) -> Option<Grant> {
        self.allows_all("*:*")
    }

    /// Does it allow every action of a service (`s3` → `s3:*`)?
    pub fn allows_service(&self, service: &str) -> Option<Grant> {
        self.allows_all(&format!("{service}:*"))
    }

    /// Allow statements that use `NotAction` (and are not cut off by the boundary).
    pub fn allow_not_action(&self) -> Vec<(StmtRef, String)> {
        let mut out = Vec::new();
        for p in &self.policies {
            for s in &p.doc.statements {
                if s.effect == Effect::Allow && s.action.negated {
                    out.push((StmtRef::of(&p.name, s), s.summary()));
                }
            }
        }
        if let Some(Boundary::Known(b)) = &self.boundary {
            // A boundary that allows nothing beyond named actions defuses NotAction.
            let boundary_open = b.doc.statements.iter().any(|s| {
                s.effect == Effect::Allow
                    && (s.action.negated
                        || s.action.values.iter().any(|a| has_wildcard(service_of(a))))
            });
            if !boundary_open {
                out.clear();
            }
        }
        out
    }

    /// Evaluate a concrete request against these policies and the boundary.
    pub fn evaluate(&self, req: &Request) -> Decision {
        let docs: Vec<(&str, &PolicyDocument)> = self
            .policies
            .iter()
            .map(|p| (p.name.as_str(), &*p.doc))
            .collect();
        let d = evaluate(&docs, req);
        let b = match &self.boundary {
            None => return d,
            Some(Boundary::Known(b)) => evaluate(&[(b.name.as_str(), &b.doc)], req),
            Some(Boundary::Unknown(arn)) => {
                return match d {
                    Decision::Allowed { .. } | Decision::Undecided { .. } => Decision::Undecided {
                        conditions: vec![format!("permissions boundary {arn} was not collected")],
                    },
                    other => other,
                };
            }
        };
        // "Policy evaluation logic": an explicit Deny in any policy, the boundary
        // included, is final; an Allow needs both the identity policies and the
        // boundary. So the boundary is read whatever the identity policies say,
        // and one side that cannot allow decides a deny even while the other
        // side hinges on a condition.
        match (d, b) {
            (d @ Decision::Denied { .. }, _) | (_, d @ Decision::Denied { .. }) => d,
            (Decision::Undecided { mut conditions }, Decision::Undecided { conditions: more }) => {
                conditions.extend(more);
                Decision::Undecided { conditions }
            }
            // A pending Deny on one side with no Allow on the other: denied either way.
            (d @ Decision::NotAllowed { .. }, _) => d,
            (_, Decision::NotAllowed { reasons }) => Decision::NotAllowed {
                reasons: reasons
                    .into_iter()
                    .map(|r| format!("not allowed by the permissions boundary: {r}"))
                    .collect(),
            },
            (d @ Decision::Undecided { .. }, _) | (_, d @ Decision::Undecided { .. }) => d,
            (d, _) => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> PolicyDocument {
        parse_document(&v).unwrap_or_else(|e| panic!("{e}"))
    }

    fn set(v: Value) -> PermissionSet {
        PermissionSet::of(vec![NamedPolicy {
            name: "p".into(),
            doc: doc(v).into(),
        }])
    }

    #[test]
    fn parses_every_shape() {
        let d = doc(json!({
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
        }));
        assert_eq!(d.statements.len(), 1);
        assert_eq!(d.statements[0].action.values, vec!["s3:GetObject"]);
        let d = doc(json!({"Statement": [
            {"Sid": "A", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": "arn:aws:s3:::b"},
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "222233334444"], "Service": "pods.eks.amazonaws.com"},
             "Action": ["sts:AssumeRole", "sts:TagSession"],
             "Condition": {
                "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "b"]},
                "Bool": {"aws:SecureTransport": true},
                "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                "Null": {"aws:RequestTag/x": "false"}
             }},
            {"Effect": "Allow", "NotPrincipal": {"Federated": "x"}, "Action": "*"}
        ]}));
        assert_eq!(d.statements.len(), 4);
        let s0 = &d.statements[0];
        assert_eq!(s0.label(), "Statement[0] (Sid \"A\")");
        assert!(s0.action.negated);
        assert!(s0.resource.as_ref().is_some_and(|r| r.negated));
        assert!(d.statements[1].principal.as_ref().is_some_and(|p| p.any));
        let s2 = &d.statements[2];
        assert_eq!(s2.principal.as_ref().map(|p| p.entries.len()), Some(3));
        assert_eq!(s2.conditions.len(), 4);
        let tag = &s2.conditions[0];
        assert_eq!(tag.set, Some(SetQualifier::ForAnyValue));
        assert!(tag.if_exists);
        assert_eq!(tag.op, Operator::StringLike);
        assert_eq!(s2.conditions[1].values, vec!["true"]);
        assert_eq!(s2.conditions[2].values, vec!["3600"]);
        assert!(
            d.statements[3]
                .principal
                .as_ref()
                .is_some_and(|p| p.negated)
        );
    }

    #[test]
    fn url_encoded_documents() {
        let raw = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        let d = doc(Value::String(raw.into()));
        assert_eq!(d.statements[0].action.values, vec!["s3:GetObject"]);
        let d = doc(Value::String(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.into(),
        ));
        assert_eq!(d.statements.len(), 1);
    }

    #[test]
    fn parse_errors_say_where() {
        let cases = [
            (json!({"Version": "2012-10-17"}), "no \"Statement\""),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "a:b"}, {"Effect": "Maybe", "Action": "x"}]}),
                "Statement[1].Effect",
            ),
            (
                json!({"Statement": [{"Effect": "Allow"}]}),
                "Statement[0]: no \"Action\"",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "a", "NotAction": "b"}]}),
                "both",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": 3}]}),
                "Statement[0].Action",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"StringEqualz": {"k": "v"}}}]}),
                "unknown condition operator",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"StringEquals": {"k": {"x": 1}}}}]}),
                "Condition.StringEquals.k",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "a", "Principal": "me"}]}),
                "Principal",
            ),
            (json!("not json %%"), "not valid JSON"),
            (json!(42), "expected a JSON object"),
        ];
        for (v, want) in cases {
            match parse_document(&v) {
                Ok(_) => panic!("{v} should not parse"),
                Err(e) => assert!(e.0.contains(want), "{v}: {e} lacks {want}"),
            }
        }
    }

    fn cond(op: &str, key: &str, vals: Value) -> Condition {
        let d = doc(
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Condition": {op: {key: vals}}}}),
        );
        d.statements[0].conditions[0].clone()
    }

    #[test]
    fn condition_table() {
        let req = Request::new("s3:GetObject")
            .key("aws:username", "alice")
            .key("k", "Value-1")
            .key("n", "10")
            .key("b", "true")
            .key("ip", "10.1.2.3")
            .key("ip6", "2001:db8::1")
            .key("d", "2025-02-02T00:00:00Z")
            .key("arn", "arn:aws:iam::111122223333:role/team/app")
            .key_values("tags", vec!["a".into(), "b".into()])
            .absent("gone");
        use Check::*;
        let y = |c: Check| matches!(c, Yes);
        let n = |c: Check| matches!(c, No(_));
        let u = |c: Check| matches!(c, Undecided(_));
        type Case<'a> = (&'a str, &'a str, Value, fn(Check) -> bool);
        let cases: Vec<Case> = vec![
            ("StringEquals", "k", json!("Value-1"), y),
            ("StringEquals", "K", json!("Value-1"), y), // keys are case-insensitive
            ("StringEquals", "k", json!("value-1"), n),
            ("StringEquals", "k", json!(["x", "Value-1"]), y),
            ("StringNotEquals", "k", json!("x"), y),
            ("StringNotEquals", "k", json!(["x", "Value-1"]), n),
            ("StringEqualsIgnoreCase", "k", json!("VALUE-1"), y),
            ("StringNotEqualsIgnoreCase", "k", json!("VALUE-1"), n),
            ("StringLike", "k", json!("Val*"), y),
            ("StringLike", "k", json!("val*"), n),
            ("StringLike", "k", json!("Value-?"), y),
            ("StringNotLike", "k", json!("V*"), n),
            ("StringEquals", "k", json!("${aws:username}"), n),
            ("StringLike", "k", json!("${aws:userid}*"), u),
            ("StringEquals", "gone", json!("x"), n),
            ("StringNotEquals", "gone", json!("x"), y),
            ("StringEqualsIfExists", "gone", json!("x"), y),
            ("StringEquals", "nobody-knows", json!("x"), u),
            ("Null", "gone", json!(true), y),
            ("Null", "gone", json!("false"), n),
            ("Null", "k", json!(false), y),
            ("Null", "nobody-knows", json!(true), u),
            ("NumericEquals", "n", json!(10), y),
            ("NumericLessThan", "n", json!("11"), y),
            ("NumericLessThanEquals", "n", json!(9), n),
            ("NumericGreaterThan", "n", json!(9), y),
            ("NumericGreaterThanEquals", "n", json!(10), y),
            ("NumericNotEquals", "n", json!(10), n),
            ("Bool", "b", json!(true), y),
            ("Bool", "b", json!("false"), n),
            ("DateGreaterThan", "d", json!("2025-01-01T00:00:00Z"), y),
            ("DateLessThan", "d", json!("2025-01-01"), n),
            ("DateEquals", "d", json!("1738454400"), y),
            ("DateNotEquals", "d", json!("2024-01-01T00:00:00Z"), y),
            ("IpAddress", "ip", json!("10.0.0.0/8"), y),
            ("IpAddress", "ip", json!(["192.168.0.0/16"]), n),
            ("NotIpAddress", "ip", json!("192.168.0.0/16"), y),
            ("IpAddress", "ip6", json!("2001:db8::/32"), y),
            ("ArnLike", "arn", json!("arn:aws:iam::*:role/team/*"), y),
            ("ArnLike", "arn", json!("arn:aws:iam::*:role/other/*"), n),
            (
                "ArnEquals",
                "arn",
                json!("arn:aws:iam::111122223333:role/team/app"),
                y,
            ),
            ("ArnNotLike", "arn", json!("arn:aws:iam::*:user/*"), y),
            ("ForAnyValue:StringEquals", "tags", json!(["b", "c"]), y),
            ("ForAnyValue:StringEquals", "tags", json!(["c"]), n),
            (
                "ForAllValues:StringEquals",
                "tags",
                json!(["a", "b", "c"]),
                y,
            ),
            ("ForAllValues:StringEquals", "tags", json!(["a"]), n),
            ("ForAllValues:StringEquals", "gone", json!(["a"]), y),
            ("ForAnyValue:StringEquals", "gone", json!(["a"]), n),
            ("ForAnyValue:StringLike", "tags", json!("?"), y),
        ];
        for (op, key, vals, want) in cases {
            let c = cond(op, key, vals.clone());
            let got = eval_condition(&c, &req);
            assert!(want(got.clone()), "{op} {key} {vals}: got {got:?}");
        }
        // A known variable is substituted.
        let c = cond("StringEquals", "k", json!("${aws:username}"));
        let r2 = Request::new("x")
            .key("aws:username", "Value-1")
            .key("k", "Value-1");
        assert_eq!(eval_condition(&c, &r2), Check::Yes);
        // ${*} is a literal star, not a wildcard.
        let c = cond("StringLike", "k", json!("a${*}"));
        assert_eq!(
            eval_condition(&c, &Request::new("x").key("k", "a*")),
            Check::Yes
        );
        assert!(matches!(
            eval_condition(&c, &Request::new("x").key("k", "ab")),
            Check::No(_)
        ));
    }

    #[test]
    fn evaluation_deny_wins_and_undecided_is_named() {
        let d = doc(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "arn:aws:s3:::prod/*"},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}
        ]}));
        let docs = [("p", &d)];
        let r = Request::new("s3:GetObject").resource("arn:aws:s3:::prod/x");
        assert!(evaluate(&docs, &r).is_allowed());
        let r = Request::new("s3:DeleteObject").resource("arn:aws:s3:::prod/x");
        match evaluate(&docs, &r) {
            Decision::Denied { by, .. } => assert_eq!(by.sid.as_deref(), Some("NoDelete")),
            other => panic!("{other:?}"),
        }
        let r = Request::new("s3:DeleteObject").resource("arn:aws:s3:::dev/x");
        assert!(evaluate(&docs, &r).is_allowed());
        let r = Request::new("kms:Decrypt").resource("arn:aws:kms:us-east-1:1:key/k");
        match evaluate(&docs, &r) {
            Decision::Undecided { conditions } => {
                assert!(conditions[0].contains("kms:ViaService"), "{conditions:?}")
            }
            other => panic!("{other:?}"),
        }
        let r = Request::new("ec2:RunInstances").resource("*");
        assert!(matches!(evaluate(&docs, &r), Decision::NotAllowed { .. }));
        // A Deny that may apply: undecided when something allows, irrelevant otherwise.
        let d2 = doc(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:ViaAWSService": "false"}}}
        ]}));
        let docs2 = [("p", &d2)];
        match evaluate(&docs2, &Request::new("s3:GetObject").resource("x")) {
            Decision::Undecided { conditions } => {
                assert!(
                    conditions[0].contains("aws:ViaAWSService"),
                    "{conditions:?}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            evaluate(&docs2, &Request::new("s3:PutObject").resource("x")),
            Decision::NotAllowed { .. }
        ));
        let r = Request::new("s3:GetObject")
            .resource("x")
            .key("aws:ViaAWSService", "true");
        assert!(evaluate(&docs2, &r).is_allowed());
    }

    #[test]
    fn symbolic_queries() {
        let admin = set(json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}));
        assert!(admin.allows_all("*:*").is_some());
        assert!(admin.allows_service("iam").is_some());
        let s3 =
            set(json!({"Statement": {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}}));
        assert!(s3.allows_all("*:*").is_none());
        assert!(s3.allows_service("s3").is_some());
        assert!(s3.allows_all("s3:GetObject").is_some());
        let guide = set(
            json!({"Statement": {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::bucket/*"]}}),
        );
        assert!(guide.allows_all("s3:GetObject").is_none());
        assert!(guide.allows_service("s3").is_none());
        let put = set(
            json!({"Statement": {"Effect": "Allow", "Action": "iam:Put*", "Resource": "arn:aws:iam::*:role/*"}}),
        );
        assert!(put.allows_all("iam:PutRolePolicy").is_some());
        assert!(put.allows_all("iam:PassRole").is_none());
        // NotAction grants everything else.
        let na =
            set(json!({"Statement": {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}}));
        assert!(na.allows_service("s3").is_some());
        assert!(na.allows_service("iam").is_none());
        assert!(na.allows_all("*:*").is_none());
        assert_eq!(na.allow_not_action().len(), 1);
        // Unconditional Deny removes; conditional Deny makes it conditional.
        let denied = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
        ]}));
        assert!(denied.allows_service("iam").is_none());
        assert!(denied.allows_all("iam:PassRole").is_none());
        assert!(denied.allows_service("s3").is_some());
        let cdeny = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}
        ]}));
        let g = cdeny.allows_service("iam");
        assert!(g.as_ref().is_some_and(|g| g.conditional), "{g:?}");
        assert!(cdeny.allows_service("s3").is_some_and(|g| !g.conditional));
        // Conditions on the Allow.
        let cond = set(
            json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}}}),
        );
        assert!(
            cond.allows_all("sts:AssumeRole")
                .is_some_and(|g| g.conditional)
        );
        // Piecewise grant of a whole service across statements.
        let pieces = set(json!({"Statement": [
            {"Effect": "Allow", "Action": ["sts:Assume*", "sts:Get*", "sts:Decode*", "sts:Tag*", "sts:Set*"], "Resource": "*"}
        ]}));
        assert!(pieces.allows_service("sts").is_some());
    }

    /// For a query whose service is a wildcard only wildcard-service patterns
    /// are tried: the same answer as trying every pattern.
    #[test]
    fn wildcard_service_queries_look_at_wildcard_patterns_only() {
        let patterns = [
            "*",
            "*:*",
            "s3:*",
            "s3*:*",
            "s3:Get*",
            "*:Get*",
            "?3:*",
            "iam:PassRole",
            "S3:*",
            "ec2:*",
            "*:*Object",
            "sts:*",
        ];
        let queries = [
            "*:*",
            "s3*:Get*",
            "*:Get*",
            "s?:*",
            "*:GetObject",
            "s3:*",
            "s3:GetObject",
            "*",
        ];
        for n in 0..patterns.len() {
            for m in n..patterns.len() {
                let actions: Vec<&str> = patterns[n..=m].to_vec();
                let st = &doc(
                    json!({"Statement": {"Effect": "Allow", "Action": actions, "Resource": "*"}}),
                )
                .statements[0];
                for q in queries {
                    let every = st.action.values.iter().any(|p| covers(p, q));
                    assert_eq!(stmt_covers_action(st, q), every, "{actions:?} {q}");
                }
            }
        }
    }

    #[test]
    fn boundary_intersects() {
        let mut s = set(json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}));
        s.boundary = Some(Boundary::Known(NamedPolicy {
            name: "permissions boundary b".into(),
            doc: doc(
                json!({"Statement": {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}}),
            )
            .into(),
        }));
        assert!(s.allows_all("*:*").is_none());
        assert!(s.allows_service("s3").is_some());
        assert!(s.allows_all("iam:PassRole").is_none());
        let r = Request::new("iam:PassRole").resource("*");
        assert!(matches!(s.evaluate(&r), Decision::NotAllowed { .. }));
        s.boundary = Some(Boundary::Unknown("arn:aws:iam::1:policy/b".into()));
        assert!(s.allows_all("*:*").is_some_and(|g| g.conditional));
    }

    #[test]
    fn broad_resources() {
        let cases = [
            ("*", "s3", true),
            ("arn:aws:s3:::*", "s3", true),
            ("arn:aws:s3:::*/*", "s3", true),
            ("arn:aws:s3:::bucket/*", "s3", false),
            (
                "arn:aws:secretsmanager:*:*:secret:*",
                "secretsmanager",
                true,
            ),
            (
                "arn:aws:secretsmanager:*:*:secret:prod/*",
                "secretsmanager",
                false,
            ),
            ("arn:aws:iam::*:role/*", "iam", true),
            ("arn:aws:iam::111122223333:role/app", "iam", false),
            ("arn:aws:ssm:*:*:parameter/*", "ssm", true),
            ("arn:aws:kms:*:*:key/*", "kms", true),
            ("arn:aws:kms:*:*:key/*", "s3", false),
            ("arn:*:*:*:*:*", "iam", true),
        ];
        for (p, svc, want) in cases {
            assert_eq!(broad_resource(p, svc), want, "{p} for {svc}");
        }
    }
    fn with_boundary(identity: Value, boundary: Value) -> PermissionSet {
        let mut s = set(identity);
        s.boundary = Some(Boundary::Known(NamedPolicy {
            name: "permissions boundary b".into(),
            doc: doc(boundary).into(),
        }));
        s
    }

    fn kind(d: &Decision) -> &'static str {
        match d {
            Decision::Allowed { .. } => "allowed",
            Decision::Denied { .. } => "denied",
            Decision::NotAllowed { .. } => "not allowed",
            Decision::Undecided { .. } => "undecided",
        }
    }

    /// Issue 14 item 1, "IAM policy elements: variables and tags": variables are
    /// substituted in Resource and NotResource. `Deny s3:* on home/${aws:username}/*`
    /// denies alice her own prefix and nobody else's.
    #[test]
    fn variables_in_resource_are_substituted() {
        let s = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}
        ]}));
        let req = |user: &str, key: &str| {
            Request::new("s3:GetObject")
                .resource(format!("arn:aws:s3:::home/{key}"))
                .key("aws:username", user)
                .closed()
        };
        assert_eq!(kind(&s.evaluate(&req("alice", "alice/notes"))), "denied");
        assert_eq!(kind(&s.evaluate(&req("alice", "bob/notes"))), "allowed");
        // A role has no aws:username: the Deny's resource matches nothing.
        let role = Request::new("s3:GetObject")
            .resource("arn:aws:s3:::home/alice/notes")
            .closed();
        assert_eq!(kind(&s.evaluate(&role)), "allowed");
        // Unknown user: the Deny may apply.
        let open = Request::new("s3:GetObject").resource("arn:aws:s3:::home/alice/notes");
        assert_eq!(kind(&s.evaluate(&open)), "undecided");
        // NotResource with a variable: allowed everywhere but the caller's own prefix.
        let s = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::home/${aws:username}/*"}
        ]}));
        assert_eq!(kind(&s.evaluate(&req("alice", "alice/x"))), "not allowed");
        assert_eq!(kind(&s.evaluate(&req("alice", "bob/x"))), "allowed");
        // A variable's value is literal text: a `*` in it is no wildcard.
        let s = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"}
        ]}));
        assert_eq!(kind(&s.evaluate(&req("*", "bob/x"))), "not allowed");
    }

    /// Issue 14 item 2, "IAM policy elements: variables and tags" (policy
    /// variables with no value): a variable whose key is not in the request
    /// matches nothing, so the statement does not apply: decided, not conditional.
    #[test]
    fn unresolvable_variable_in_a_condition_is_decided() {
        let s = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"StringEquals": {"s3:prefix": "${aws:username}"}}}
        ]}));
        let role = Request::new("s3:GetObject")
            .resource("arn:aws:s3:::b/k")
            .key("s3:prefix", "alice")
            .closed();
        assert_eq!(kind(&s.evaluate(&role)), "not allowed");
        let user = role.clone().key("aws:username", "alice");
        assert_eq!(kind(&s.evaluate(&user)), "allowed");
        // With a default, the default is used ("specifying default values").
        let s = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"StringEquals": {"s3:prefix": "${aws:username, 'alice'}"}}}
        ]}));
        assert_eq!(kind(&s.evaluate(&role)), "allowed");
    }

    /// Issue 14 item 3, "Condition element: multiple values": the values of one
    /// key are ORed, for Null too.
    #[test]
    fn null_with_several_values_is_ored() {
        let c = cond("Null", "aws:TokenIssueTime", json!(["true", "false"]));
        for req in [
            Request::new("x").closed(),
            Request::new("x").key("aws:TokenIssueTime", "2024-01-01T00:00:00Z"),
            Request::new("x"),
        ] {
            assert_eq!(eval_condition(&c, &req), Check::Yes, "{req:?}");
        }
        let c = cond("Null", "aws:TokenIssueTime", json!(["false", "true"]));
        assert_eq!(eval_condition(&c, &Request::new("x").closed()), Check::Yes);
    }

    /// Issue 14 item 4, "Policy evaluation logic": an explicit Deny in any
    /// policy, the permissions boundary included, is final; an Allow needs both
    /// the identity policies and the boundary.
    #[test]
    fn boundary_is_read_whatever_the_identity_policies_say() {
        // Explicit Deny in the boundary: an explicit deny, not an implicit one.
        let s = with_boundary(
            json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}),
            json!({"Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
            ]}),
        );
        let r = Request::new("s3:DeleteBucket")
            .resource("arn:aws:s3:::b")
            .closed();
        assert_eq!(kind(&s.evaluate(&r)), "denied");
        // ...also when the identity policies do not allow at all.
        let s2 = with_boundary(
            json!({"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}),
            json!({"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}),
        );
        assert_eq!(kind(&s2.evaluate(&r)), "denied");
        // An identity Allow hinging on unknown context, and a boundary that cannot
        // allow the action: denied either way.
        let s = with_boundary(
            json!({"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*",
                   "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}}),
            json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}),
        );
        let r = Request::new("iam:CreateUser").resource("*");
        assert_eq!(kind(&s.evaluate(&r)), "not allowed");
    }

    /// Issue 14 item 7: `allows_all` claims every action of q on every resource,
    /// unconditionally. "Policy evaluation logic": a Deny of any part removes
    /// that part, so the claim goes; a NotResource leaves out what it names; and
    /// `arn:aws:s3:::*` is not every resource of `s3:*` (actions without
    /// resource-level permissions need `"Resource": "*"`, "IAM JSON policy
    /// elements: Resource").
    #[test]
    fn allows_all_does_not_over_claim() {
        let admin = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
        // A Deny of part of the actions.
        let s = set(
            json!({"Statement": [admin, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}),
        );
        assert!(s.allows_everything().is_none());
        assert!(
            s.allows_service("s3").is_some(),
            "the rest is still granted"
        );
        assert!(s.allows_service("iam").is_none());
        // A Deny of part of the resources.
        let s = set(
            json!({"Statement": [admin, {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secret/*"}]}),
        );
        assert!(s.allows_everything().is_none());
        assert!(s.allows_service("s3").is_none());
        assert!(s.allows_service("ec2").is_some());
        // A conditional partial Deny: still granted, but conditional, and it says so.
        let s = set(
            json!({"Statement": [admin, {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secret/*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}),
        );
        let g = s
            .allows_everything()
            .unwrap_or_else(|| panic!("granted conditionally"));
        assert!(
            g.conditional && g.evidence().contains("to part of it"),
            "{}",
            g.evidence()
        );
        // NotResource.
        let s = set(
            json!({"Statement": {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret"}}),
        );
        assert!(s.allows_everything().is_none());
        assert!(s.allows_service("s3").is_none());
        assert!(
            s.allows_service("iam").is_some(),
            "an S3 exclusion leaves IAM whole"
        );
        // Service-wide resource patterns.
        let s = set(
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::*"}}),
        );
        assert!(s.allows_everything().is_none());
        assert!(s.allows_service("s3").is_none());
        assert!(
            s.allows_all("s3:GetObject").is_some(),
            "one action on its whole service"
        );
        let s = set(
            json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]}}),
        );
        assert!(s.allows_service("s3").is_none());
    }

    /// Issue 14 item 8, "Single-valued vs. multivalued context keys":
    /// multivalued keys require a set operator, so a single-valued operator on
    /// one does not match (an Allow relying on it does not apply, nor does a
    /// Deny); `ForAnyValue` on a missing key is false, with or without IfExists.
    #[test]
    fn multivalued_keys_and_set_operators() {
        let called = Request::new("x")
            .key_values("aws:CalledVia", vec!["athena.amazonaws.com".into()])
            .closed();
        for op in ["StringEquals", "StringNotEquals", "StringLike"] {
            let c = cond(op, "aws:CalledVia", json!("athena.amazonaws.com"));
            assert!(matches!(eval_condition(&c, &called), Check::No(_)), "{op}");
        }
        let c = cond(
            "ForAnyValue:StringEquals",
            "aws:CalledVia",
            json!("athena.amazonaws.com"),
        );
        assert_eq!(eval_condition(&c, &called), Check::Yes);
        // A single-valued key set with one value is not multivalued.
        let one = Request::new("x").key("aws:SourceVpc", "vpc-1").closed();
        let c = cond("StringEquals", "aws:SourceVpc", json!("vpc-1"));
        assert_eq!(eval_condition(&c, &one), Check::Yes);
        let absent = Request::new("x").closed();
        let c = cond(
            "ForAnyValue:StringEqualsIfExists",
            "aws:TagKeys",
            json!("team"),
        );
        assert!(matches!(eval_condition(&c, &absent), Check::No(_)));
        let c = cond(
            "ForAllValues:StringEqualsIfExists",
            "aws:TagKeys",
            json!("team"),
        );
        assert_eq!(eval_condition(&c, &absent), Check::Yes);
        // An empty set reads as missing.
        let empty = Request::new("x").key_values("aws:TagKeys", vec![]).closed();
        let c = cond("ForAnyValue:StringEquals", "aws:TagKeys", json!("team"));
        assert!(matches!(eval_condition(&c, &empty), Check::No(_)));
    }
}
