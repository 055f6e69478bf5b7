//! ARNs: the general parser and the strict role form never panic, and what
//! they accept prints back to an ARN they accept again, unchanged.
#![no_main]

use iamscope::model::arn::{Arn, RoleArn};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = Arn::parse(s) {
        assert_eq!(Arn::parse(&a.to_string()).as_ref(), Ok(&a), "{s:?}");
    }
    if let Ok(r) = RoleArn::parse(s) {
        assert_eq!(RoleArn::parse(&r.to_string()).as_ref(), Ok(&r), "{s:?}");
        let _ = r.without_path();
    }
});
