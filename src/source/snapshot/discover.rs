//! Where a snapshot's files come from (a directory on disk, or the same
//! outputs held in memory), loading them with a size cap, and the errors that
//! name the file and the place (line and column, the JSON type found).

use super::*;

/// Files larger than this are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// The files of a snapshot: a directory on disk, or the same outputs held in
/// memory (what the live sources fetched, before `snapshot DIR` writes them).
pub trait Files: Sync {
    /// File names, sorted.
    fn names(&self) -> Vec<String>;
    fn load(&self, name: &str) -> Loaded;
    /// The file as a stream of bytes, for reading a large file piece by piece;
    /// `None` when it cannot be opened (`load` then says why).
    fn open(&self, name: &str) -> Option<Box<dyn Read + '_>>;
}

/// A snapshot directory.
pub struct DirFiles(pub PathBuf);

impl Files for DirFiles {
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| e.path().is_file())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    fn load(&self, name: &str) -> Loaded {
        load(&self.0.join(name))
    }

    fn open(&self, name: &str) -> Option<Box<dyn Read + '_>> {
        let f = fs::File::open(self.0.join(name)).ok()?;
        // What `load` refuses is not streamed either: it says why.
        (f.metadata().ok()?.len() <= MAX_FILE_BYTES).then(|| Box::new(f) as Box<dyn Read>)
    }
}

/// Snapshot files held in memory, by name.
#[derive(Debug, Clone, Default)]
pub struct MemFiles(pub BTreeMap<String, Vec<u8>>);

impl Files for MemFiles {
    fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    fn load(&self, name: &str) -> Loaded {
        match self.0.get(name) {
            None => Loaded::Missing,
            Some(bytes) => text_of(bytes.clone()),
        }
    }

    fn open(&self, name: &str) -> Option<Box<dyn Read + '_>> {
        self.0
            .get(name)
            .map(|b| Box::new(b.as_slice()) as Box<dyn Read>)
    }
}

/// A file's text, or why it could not be had.
pub enum Loaded {
    Missing,
    Failed(String),
    Text(String),
}

pub(super) fn load(path: &Path) -> Loaded {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e) => return Loaded::Failed(format!("cannot read: {e}")),
    };
    if meta.len() > MAX_FILE_BYTES {
        return Loaded::Failed(format!(
            "file is {} bytes, more than the {} bytes iamscope reads",
            meta.len(),
            MAX_FILE_BYTES
        ));
    }
    match fs::read(path) {
        Err(e) => Loaded::Failed(format!("cannot read: {e}")),
        Ok(bytes) => text_of(bytes),
    }
}

fn text_of(mut bytes: Vec<u8>) -> Loaded {
    // Windows tools write a byte-order mark: skip UTF-8's, and name UTF-16
    // (PowerShell 5's `>`) rather than report its second byte as bad UTF-8.
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    } else if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Loaded::Failed(
            "the file is UTF-16 (as PowerShell's `>` writes it), not UTF-8: write it with `| Out-File -Encoding utf8` or convert it".to_string(),
        );
    }
    match String::from_utf8(bytes) {
        Ok(s) => Loaded::Text(s),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let (line, col) = line_col(&e.into_bytes(), at);
            Loaded::Failed(format!("line {line}, column {col}: not valid UTF-8"))
        }
    }
}

fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

pub(super) fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; say it first, as editors do.
    match msg.rsplit_once(" at line ") {
        Some((what, at)) => match at.split_once(" column ") {
            Some((l, c)) => format!("line {l}, column {c}: {what}"),
            None => msg,
        },
        None => msg,
    }
}

pub(super) fn type_of(v: &Value) -> &'static str {
    crate::model::awsauth::type_name(v)
}

impl Reader<'_> {
    /// Load a JSON file as a Value, recording coverage for `source` on failure.
    pub(super) fn json_file(&mut self, name: &str, source: &str) -> Option<Value> {
        let loaded = Parsed::of(self.files.load(name));
        self.json_parsed(name, source, loaded)
    }

    /// Coverage and the value of a JSON file loaded (and perhaps parsed) elsewhere.
    pub(super) fn json_parsed(
        &mut self,
        name: &str,
        source: &str,
        parsed: Parsed,
    ) -> Option<Value> {
        let loaded = match parsed {
            Parsed::Value(Ok(v)) => {
                self.readable += 1;
                return Some(v);
            }
            Parsed::Value(Err(e)) => return self.fail(name, source, json_error(&e)),
            Parsed::Loaded(l) => l,
        };
        match loaded {
            Loaded::Missing => {
                self.inv.coverage.set(
                    source,
                    Status::Missing,
                    None,
                    Some(format!("{name} not in snapshot")),
                );
                None
            }
            Loaded::Failed(e) => self.fail(name, source, e),
            Loaded::Text(t) if t.trim().is_empty() => {
                self.fail(name, source, "the file is empty".to_string())
            }
            Loaded::Text(t) => match serde_json::from_str::<Value>(&t) {
                Ok(v) => {
                    self.readable += 1;
                    Some(v)
                }
                Err(e) => self.fail(name, source, json_error(&e)),
            },
        }
    }

    pub(super) fn fail(&mut self, name: &str, source: &str, detail: String) -> Option<Value> {
        self.inv.coverage.problem(name, detail.clone());
        self.inv.coverage.set(
            source,
            Status::Error,
            None,
            Some(format!("{name}: {detail}")),
        );
        None
    }

    fn shape_error(&mut self, name: &str, source: &str, want: &str, got: &Value) {
        let detail = format!("expected {want}, found a {}", type_of(got));
        self.fail(name, source, detail);
    }

    /// `top[key]` should be a list (or object): say so about the field when the top level is
    /// an object, and about the whole file otherwise.
    pub(super) fn field_shape_error(
        &mut self,
        name: &str,
        source: &str,
        key: &str,
        want: &str,
        top: &Value,
    ) {
        match top.get(key) {
            Some(v) if top.is_object() => {
                let detail = format!("{key}: expected {want}, found a {}", type_of(v));
                self.fail(name, source, detail);
            }
            _ => self.shape_error(name, source, &format!("an object with {key} ({want})"), top),
        }
    }
}
