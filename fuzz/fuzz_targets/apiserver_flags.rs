//! kube-apiserver flags: the flags-file splitter and the flag parser.
#![no_main]

use iamscope::audit::apiserver::Flags;
use iamscope::source::snapshot::split_flags_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let args = split_flags_file(text);
    let f = Flags::parse(&args);
    for name in ["anonymous-auth", "authorization-mode", "insecure-port"] {
        let _ = f.get(name);
        let _ = f.list(name);
        let _ = f.show(name);
        let _ = f.is_set(name);
    }
    // The raw lines as argv too (a pod's command/args are not split).
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let _ = Flags::parse(&lines);
});
