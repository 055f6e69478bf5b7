//! Tests of the Kubernetes source (moved unchanged from the single `kube.rs`).

use super::*;

#[test]
fn hints_from_kubeconfig() {
    let kc = Kubeconfig::from_yaml(
        r#"
apiVersion: v1
kind: Config
current-context: arn:aws:eks:eu-west-1:111122223333:cluster/prod
contexts:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  context: {cluster: arn:aws:eks:eu-west-1:111122223333:cluster/prod, user: u}
- name: exec
  context: {cluster: c2, user: e}
clusters:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  cluster: {server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com"}
- name: c2
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: u
  user: {token: x}
- name: e
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, us-east-2, eks, get-token, --cluster-name, staging]
      env: [{name: AWS_PROFILE, value: stage}]
"#,
    )
    .unwrap();
    let h = cluster_hint(&kc, None);
    assert_eq!(h.cluster_name.as_deref(), Some("prod"));
    assert_eq!(h.region.as_deref(), Some("eu-west-1"));
    assert!(h.eks_endpoint);
    let h = cluster_hint(&kc, Some("exec"));
    assert_eq!(h.cluster_name.as_deref(), Some("staging"));
    assert_eq!(h.region.as_deref(), Some("us-east-2"));
    assert_eq!(h.profile.as_deref(), Some("stage"));
    assert!(!h.eks_endpoint);
}

#[test]
fn retries_back_off_within_bounds() {
    for attempt in 1..=8 {
        let d = backoff(attempt);
        let full = BASE_BACKOFF
            .saturating_mul(1 << (attempt - 1))
            .min(MAX_BACKOFF);
        assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
    }
    let api = |code| KubeFail::Api {
        code,
        reason: String::new(),
        message: String::new(),
    };
    for code in [429, 500, 502, 503, 504] {
        assert!(api(code).transient(), "{code}");
    }
    for code in [400, 401, 403, 404, 410] {
        assert!(!api(code).transient(), "{code}");
    }
    assert!(KubeFail::Transport("reset".into()).transient());
    assert!(!KubeFail::Malformed("eof".into()).transient());
}

#[test]
fn endpoint_and_arn() {
    assert_eq!(
        eks_endpoint_region("https://A1B2.gr7.us-west-2.eks.amazonaws.com"),
        Some("us-west-2".to_string())
    );
    assert_eq!(eks_endpoint_region("https://10.0.0.1:6443"), None);
    assert_eq!(
        eks_cluster_arn("arn:aws:eks:us-east-1:1:cluster/a"),
        Some(("us-east-1".to_string(), "a".to_string()))
    );
    assert_eq!(eks_cluster_arn("kind-kind"), None);
}
