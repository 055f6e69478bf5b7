//! The collector's own notes (`iamscope-coverage.json`): what the live
//! collection could not read, kept as coverage when the snapshot is read back.

use super::*;

/// What `iamscope snapshot` could not fetch live (`iamscope-coverage.json`),
/// so that auditing the directory later still says "forbidden" rather than
/// "ok" for a kind that is merely absent from `kubernetes.json`.
pub const COLLECTION_NOTES: &str = "iamscope-coverage.json";

impl Reader<'_> {
    pub(super) fn read_collection_notes(&mut self) {
        let Loaded::Text(text) = self.files.load(COLLECTION_NOTES) else {
            return;
        };
        let v: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                self.inv.coverage.problem(COLLECTION_NOTES, json_error(&e));
                return;
            }
        };
        let notes = v
            .get("sources")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for (i, n) in notes.iter().enumerate() {
            let status = match n.get("status").and_then(Value::as_str) {
                Some("ok") => Status::Ok,
                Some("forbidden") => Status::Forbidden,
                Some("missing") => Status::Missing,
                Some("error") => Status::Error,
                Some("not-observable") => Status::NotObservable,
                other => {
                    self.inv.coverage.problem(
                        COLLECTION_NOTES,
                        format!("sources[{i}]: unknown status {other:?}"),
                    );
                    continue;
                }
            };
            let Some(source) = n.get("source").and_then(Value::as_str) else {
                continue;
            };
            let detail = n
                .get("detail")
                .and_then(Value::as_str)
                .map(|d| format!("{d} (when the snapshot was taken)"));
            let count = self
                .inv
                .coverage
                .status(source)
                .filter(|s| s.status == status)
                .and_then(|s| s.count);
            self.inv.coverage.set(source, status, count, detail);
        }
    }
}
