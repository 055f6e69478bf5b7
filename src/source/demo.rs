//! The bundled demo snapshot (`assets/demo/`), embedded in the binary so that
//! `iamscope --demo` works wherever the binary is copied.

use std::collections::BTreeMap;

use super::Check;
use super::snapshot::{MemFiles, SnapshotError, read_files};
use crate::model::Inventory;

/// The demo's snapshot files, as they are in `assets/demo/`.
pub const FILES: &[(&str, &[u8])] = &[
    (
        "ec2-instances.json",
        include_bytes!("../../assets/demo/ec2-instances.json"),
    ),
    (
        "ec2-launch-template-versions.json",
        include_bytes!("../../assets/demo/ec2-launch-template-versions.json"),
    ),
    (
        "eks-access-entries.json",
        include_bytes!("../../assets/demo/eks-access-entries.json"),
    ),
    (
        "eks-cluster.json",
        include_bytes!("../../assets/demo/eks-cluster.json"),
    ),
    (
        "eks-nodegroups.json",
        include_bytes!("../../assets/demo/eks-nodegroups.json"),
    ),
    (
        "eks-pod-identity-associations.json",
        include_bytes!("../../assets/demo/eks-pod-identity-associations.json"),
    ),
    (
        "iam-oidc-providers.json",
        include_bytes!("../../assets/demo/iam-oidc-providers.json"),
    ),
    ("iam.json", include_bytes!("../../assets/demo/iam.json")),
    (
        "kubernetes-aws-auth.json",
        include_bytes!("../../assets/demo/kubernetes-aws-auth.json"),
    ),
    (
        "kubernetes-bootstrap-rbac.yaml",
        include_bytes!("../../assets/demo/kubernetes-bootstrap-rbac.yaml"),
    ),
    (
        "kubernetes-secrets.json",
        include_bytes!("../../assets/demo/kubernetes-secrets.json"),
    ),
    (
        "kubernetes.json",
        include_bytes!("../../assets/demo/kubernetes.json"),
    ),
    (
        "sts-caller-identity.json",
        include_bytes!("../../assets/demo/sts-caller-identity.json"),
    ),
];

pub fn files() -> MemFiles {
    MemFiles(
        FILES
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// The demo inventory, with what `check` kept of it.
pub fn read<C: Check>(check: &C) -> Result<(Inventory, C::Kept), SnapshotError> {
    let (mut inv, kept) = read_files(&files(), check)
        .ok_or_else(|| SnapshotError::Empty("(embedded demo)".into()))?;
    inv.cluster_name.get_or_insert_with(|| "demo".to_string());
    Ok((inv, kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded list is every snapshot file of assets/demo, so regenerating
    /// the demo cannot silently leave a file out.
    #[test]
    fn embeds_every_demo_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".json") || n.ends_with(".yaml") || n.ends_with(".flags"))
            .filter(|n| n != "expect.json")
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = FILES.iter().map(|(n, _)| *n).collect();
        assert_eq!(embedded, on_disk);
    }
}
