//! ClusterRole aggregation computed from `aggregationRule` selectors over every
//! ClusterRole's labels (transitively; cycles end), never trusted from the
//! stored rules.

use super::*;

/// Effective rules of every role: own rules, then those of every ClusterRole its
/// aggregationRule selects, transitively (breadth first, each role once).
pub(super) fn aggregate(inv: &Inventory) -> Vec<Vec<RuleRef>> {
    let cluster: Vec<usize> = inv
        .roles
        .iter()
        .enumerate()
        .filter(|(_, r)| r.namespace.is_none())
        .map(|(i, _)| i)
        .collect();
    let selects = |sels: &[LabelSelector], labels: &BTreeMap<String, String>| {
        sels.iter().any(|s| selector_matches(s, labels))
    };
    // Direct selections, computed once per aggregated role.
    let mut direct: HashMap<usize, Vec<usize>> = HashMap::default();
    for &i in &cluster {
        if let Some(sels) = &inv.roles[i].aggregation {
            let picked = cluster
                .iter()
                .copied()
                .filter(|&c| c != i && selects(sels, &inv.roles[c].labels))
                .collect();
            direct.insert(i, picked);
        }
    }
    inv.roles
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let own = (0..r.rules.len()).map(|k| RuleRef { role: i, rule: k });
            if !direct.contains_key(&i) {
                return own.collect();
            }
            let mut order = Vec::new();
            let mut visited = HashSet::from_iter([i]);
            let mut queue = VecDeque::from([i]);
            while let Some(cur) = queue.pop_front() {
                order.push(cur);
                for &next in direct.get(&cur).map(Vec::as_slice).unwrap_or(&[]) {
                    if visited.insert(next) {
                        queue.push_back(next);
                    }
                }
            }
            let mut seen: HashSet<&PolicyRuleKey> = HashSet::default();
            let keys: Vec<(RuleRef, PolicyRuleKey)> = order
                .iter()
                .flat_map(|&ri| {
                    inv.roles[ri]
                        .rules
                        .iter()
                        .enumerate()
                        .map(move |(k, rule)| {
                            (RuleRef { role: ri, rule: k }, PolicyRuleKey::of(rule))
                        })
                })
                .collect();
            let mut out = Vec::new();
            for (rr, key) in &keys {
                if seen.insert(key) {
                    out.push(*rr);
                }
            }
            out
        })
        .collect()
}

/// A hashable copy of a rule, to drop duplicates when aggregating.
#[derive(PartialEq, Eq, Hash)]
struct PolicyRuleKey([Vec<String>; 5]);

impl PolicyRuleKey {
    fn of(r: &PolicyRule) -> PolicyRuleKey {
        PolicyRuleKey([
            r.api_groups.clone(),
            r.resources.clone(),
            r.resource_names.clone(),
            r.non_resource_urls.clone(),
            r.verbs.clone(),
        ])
    }
}
