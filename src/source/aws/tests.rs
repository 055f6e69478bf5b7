//! Tests of the AWS source (moved unchanged from the single `aws.rs`).

use super::*;

#[test]
fn documents_decode_to_objects() {
    let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
    assert_eq!(
        document(enc),
        json!({"Version": "2012-10-17", "Statement": []})
    );
    assert_eq!(document("{\"a\":1}"), json!({"a": 1}));
    assert_eq!(document("not json"), json!("not json"));
}

#[test]
fn endpoints_compare_as_kubectl_would_reach_them() {
    let eks = "https://A1B2C3.gr7.us-east-1.eks.amazonaws.com";
    for same in [
        "https://a1b2c3.gr7.us-east-1.eks.amazonaws.com/",
        "https://A1B2C3.gr7.us-east-1.eks.amazonaws.com:443",
        " HTTPS://A1B2C3.gr7.us-east-1.eks.amazonaws.com ",
    ] {
        assert_eq!(endpoint_key(same), endpoint_key(eks), "{same}");
    }
    for other in [
        "https://A1B2C3.gr7.us-east-1.eks.amazonaws.com:8443",
        "http://A1B2C3.gr7.us-east-1.eks.amazonaws.com",
        "https://Z9.gr7.us-east-1.eks.amazonaws.com",
    ] {
        assert_ne!(endpoint_key(other), endpoint_key(eks), "{other}");
    }
    assert_eq!(
        endpoint_key("https://[::1]:6443").as_deref(),
        Some("https://[::1]:6443")
    );
    assert_eq!(
        endpoint_key("https://[::1]").as_deref(),
        Some("https://[::1]:443")
    );
    assert_eq!(endpoint_key("not a url"), None);
}

#[test]
fn plan_from_hint() {
    let t = Target::default();
    let p = Plan::new(&t, &ClusterHint::default());
    assert!(matches!(
        p.cluster,
        ClusterPlan::Unknown {
            status: Status::NotObservable,
            ..
        }
    ));
    let h = ClusterHint {
        cluster_name: Some("prod".into()),
        region: Some("eu-west-1".into()),
        ..ClusterHint::default()
    };
    let t = Target {
        region: Some("us-east-1".into()),
        ..Target::default()
    };
    let p = Plan::new(&t, &h);
    assert_eq!(p.region.as_deref(), Some("us-east-1"));
    assert!(matches!(p.cluster, ClusterPlan::Named { ref name, .. } if name == "prod"));
}
