//! The AWS managed policies (moto 5.2.5's copy,
//! `tests/fixtures/aws-managed-policies.json.gz`, Apache-2.0, see
//! `tests/fixtures/LICENSE-moto`), by name: `Arn`, `Path`,
//! `DefaultVersionId`, `Document`.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Value;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/aws-managed-policies.json.gz"
);

pub fn policies() -> BTreeMap<String, Value> {
    let gz = std::fs::read(FIXTURE).expect("fixture present");
    let mut json = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut json)
        .expect("gzip");
    serde_json::from_str(&json).expect("json")
}
