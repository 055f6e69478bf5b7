//! The aws-auth ConfigMap's mapRoles / mapUsers / mapAccounts YAML.
#![no_main]

use iamscope::model::AwsAuth;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Up to three documents separated by NUL: mapRoles, mapUsers, mapAccounts.
    let mut parts = text.splitn(3, '\0');
    let roles = parts.next();
    let users = parts.next();
    let accounts = parts.next();
    let a = AwsAuth::parse(roles, users, accounts);
    for e in &a.entries {
        let _ = e.subject_arn();
    }
});
