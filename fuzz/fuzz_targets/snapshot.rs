//! The snapshot reader with one fuzzed file (the first byte picks which), then
//! the whole audit on whatever it read.
#![no_main]

use std::collections::BTreeMap;

use iamscope::audit::{self, Options};
use iamscope::graph::ReadCheck;
use iamscope::source::snapshot::{MemFiles, read_files};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 12] = [
    "kubernetes.json",
    "kubernetes.yaml",
    "kubernetes-aws-auth.json",
    "kubernetes-secrets.yaml",
    "iam.json",
    "iam-oidc-providers.json",
    "eks-cluster.json",
    "eks-access-entries.json",
    "eks-pod-identity-associations.json",
    "sts-caller-identity.json",
    "kube-apiserver.flags",
    "kubernetes-extra.yml",
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(which) % NAMES.len()];
    let files = MemFiles(BTreeMap::from([(name.to_string(), body.to_vec())]));
    if let Some((inv, trusts)) = read_files(&files, &ReadCheck) {
        let _ = audit::run_with_trusts(&inv, &trusts, &Options::default());
    }
});
