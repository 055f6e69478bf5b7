//! IAM policy documents: parse (object, JSON text or URL-encoded text), then
//! evaluate requests and ask the symbolic queries the IAM rules ask.
#![no_main]

use iamscope::policy::iam::{
    NamedPolicy, PermissionSet, PrincipalKind, Request, evaluate, parse_document,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The same bytes as a JSON value and as a (URL-encoded) document string.
    let mut docs = Vec::new();
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        docs.push(v);
    }
    docs.push(Value::String(text.to_string()));
    for v in docs {
        let Ok(doc) = parse_document(&v) else {
            continue;
        };
        let requests = [
            Request::new("s3:GetObject").resource("arn:aws:s3:::bucket/key"),
            Request::new("iam:PassRole")
                .resource("*")
                .principal(PrincipalKind::Aws, "arn:aws:iam::111122223333:root")
                .key("aws:SourceIp", "10.0.0.1")
                .key("aws:CurrentTime", "2026-01-01T00:00:00Z"),
            Request::new("sts:AssumeRoleWithWebIdentity")
                .principal(
                    PrincipalKind::Federated,
                    "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
                )
                .key(
                    "oidc.eks.us-east-1.amazonaws.com/id/X:sub",
                    "system:serviceaccount:a:b",
                )
                .closed(),
        ];
        for req in &requests {
            let _ = evaluate(&[("fuzz", &doc)], req);
        }
        let set = PermissionSet::of(vec![NamedPolicy {
            name: "fuzz".into(),
            doc,
        }]);
        let _ = set.allows_everything();
        let _ = set.allows_all("iam:PassRole");
        let _ = set.allows_service("s3");
        let _ = set.allow_not_action();
        for req in &requests {
            let _ = set.evaluate(req);
        }
    }
});
