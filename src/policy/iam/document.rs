//! IAM policy documents as types (statements, patterns, principals, conditions)
//! and their parsing from JSON, a JSON string or a URL-encoded JSON string.
//! Parsing only: evaluation lives in `evaluate` and `condition`.

use super::*;

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
    pub(super) fn describe(&self, what: &str) -> String {
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
    pub(super) fn patterns_for<'s>(&'s self, q: &str) -> Vec<&'s str> {
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

    /// Whether an Action/NotAction pattern matches action `a` (a request's
    /// action), looking only at the patterns of its service and those whose
    /// service has a wildcard.
    pub(super) fn action_hit(&self, a: &str) -> bool {
        let qs = service_of(a);
        if has_wildcard(qs) {
            return self.action.values.iter().any(|p| action_matches(p, a));
        }
        let lower;
        let service = if qs.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = qs.to_ascii_lowercase();
            lower.as_str()
        } else {
            qs
        };
        let hit = |ix: &Vec<usize>| {
            ix.iter()
                .any(|&i| action_matches(&self.action.values[i], a))
        };
        // Most statements name a service or two: a look at each beats two
        // searches of the map.
        if self.action_index.len() <= 4 {
            return self
                .action_index
                .iter()
                .any(|(k, ix)| (k == service || k == "*") && hit(ix));
        }
        [service, "*"]
            .iter()
            .any(|key| self.action_index.get(*key).is_some_and(hit))
    }

    /// Whether its Action (or NotAction) takes in action `a`: the first test
    /// of whether the statement applies to a request for `a`.
    pub fn action_applies(&self, a: &str) -> bool {
        self.action_hit(a) != self.action.negated
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

pub(super) fn short_list(v: &[String]) -> String {
    if v.len() == 1 {
        v[0].clone()
    } else if v.len() <= 6 {
        format!("[{}]", v.join(", "))
    } else {
        format!("[{}, … {} more]", v[..5].join(", "), v.len() - 5)
    }
}
