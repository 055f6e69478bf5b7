//! The request an evaluation answers: action, resource, principal and what is
//! known of each context key (known, absent, or unknown). No evaluation here.

use super::*;

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
        lowercased(k, |k| self.multi.contains(k))
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
    pub(super) fn unknown_note(&self, key: &str) -> String {
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
        lowercased(key, |key| match self.keys.get(key) {
            Some(Some(v)) => KeyState::Present(v),
            Some(None) => KeyState::Absent,
            None if self.closed && !self.unknown.contains_key(key) => KeyState::Absent,
            None => KeyState::Unknown,
        })
    }
}

/// `f` of `key` lowercased (ASCII), without an allocation for the short keys
/// conditions name: evaluation looks keys up for every condition it reads.
fn lowercased<R>(key: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 128];
    match buf.get_mut(..key.len()) {
        Some(b) if key.is_ascii() => {
            b.copy_from_slice(key.as_bytes());
            b.make_ascii_lowercase();
            match std::str::from_utf8(b) {
                Ok(k) => f(k),
                Err(_) => f(&key.to_ascii_lowercase()),
            }
        }
        _ => f(&key.to_ascii_lowercase()),
    }
}
