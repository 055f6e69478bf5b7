//! `snapshot DIR --keep N`: dated snapshots in DIR, the newest N kept, so that
//! `iamscope diff DIR` compares the last two (the daily drift report).

use std::path::{Path, PathBuf};

const PREFIX: &str = "snapshot-";

/// `DIR/snapshot-20261206T031700Z` for `now`: names sort by time.
pub fn dated_dir(parent: &Path, now: jiff::Timestamp) -> PathBuf {
    parent.join(format!("{PREFIX}{}", now.strftime("%Y%m%dT%H%M%SZ")))
}

fn is_dated(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(PREFIX) else {
        return false;
    };
    let b = rest.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
}

/// The dated snapshots in `parent`, oldest first.
pub fn list(parent: &Path) -> Result<Vec<PathBuf>, String> {
    let rd =
        std::fs::read_dir(parent).map_err(|e| format!("cannot read {}: {e}", parent.display()))?;
    let mut out: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| e.file_name().to_str().is_some_and(is_dated))
        .map(|e| e.path())
        .collect();
    out.sort();
    Ok(out)
}

/// Remove the oldest dated snapshots beyond the newest `keep`; returns them.
/// Only directories named as [`dated_dir`] names them are ever touched.
pub fn prune(parent: &Path, keep: usize) -> Result<Vec<PathBuf>, String> {
    let all = list(parent)?;
    let excess = all.len().saturating_sub(keep.max(1));
    let mut removed = Vec::new();
    for dir in all.into_iter().take(excess) {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot remove old snapshot {}: {e}", dir.display()))?;
        removed.push(dir);
    }
    Ok(removed)
}

/// The last two dated snapshots of `parent` (older, newer).
pub fn last_two(parent: &Path) -> Result<(PathBuf, PathBuf), String> {
    let mut all = list(parent)?;
    match (all.pop(), all.pop()) {
        (Some(new), Some(old)) => Ok((old, new)),
        _ => Err(format!(
            "{}: fewer than two dated snapshots ({PREFIX}YYYYMMDDTHHMMSSZ, written by `iamscope snapshot {} --keep N`); give OLD and NEW",
            parent.display(),
            parent.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_and_leaves_other_files_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let t0: jiff::Timestamp = "2026-12-01T03:17:00Z".parse().unwrap();
        for d in 0..4 {
            let t = t0 + jiff::SignedDuration::from_hours(24 * d);
            std::fs::create_dir(dated_dir(tmp.path(), t)).unwrap();
        }
        std::fs::create_dir(tmp.path().join("snapshot-mine")).unwrap();
        std::fs::write(tmp.path().join(".iamscope.yaml"), "accept: []\n").unwrap();
        let removed = prune(tmp.path(), 2).unwrap();
        let name = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            removed.iter().map(name).collect::<Vec<_>>(),
            ["snapshot-20261201T031700Z", "snapshot-20261202T031700Z"]
        );
        let (old, new) = last_two(tmp.path()).unwrap();
        assert_eq!(name(&old), "snapshot-20261203T031700Z");
        assert_eq!(name(&new), "snapshot-20261204T031700Z");
        assert!(tmp.path().join("snapshot-mine").is_dir());
        assert!(tmp.path().join(".iamscope.yaml").is_file());
    }
}
