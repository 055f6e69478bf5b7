//! JSON and YAML lists decoded without holding a whole file twice: a list's
//! items are decoded in pieces from a stream and, when there are many, on
//! every core; the results keep the file's order.

use super::*;

impl Reader<'_> {
    pub(super) fn ingest_json(
        &mut self,
        file: &str,
        text: &str,
        counts: &mut BTreeMap<&'static str, usize>,
    ) -> Result<(), String> {
        #[derive(Deserialize)]
        struct Top<'a> {
            #[serde(borrow, default)]
            items: Option<Vec<&'a RawValue>>,
            #[serde(default)]
            kind: Option<String>,
        }
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            return Err("the file is empty".to_string());
        }
        if !trimmed.starts_with('{') {
            // Give serde's position for garbage; say the shape for valid JSON of the wrong type.
            return match serde_json::from_str::<Value>(text) {
                Err(e) => Err(json_error(&e)),
                Ok(v) => Err(format!(
                    "expected a Kubernetes object or a v1 List, found a {}",
                    type_of(&v)
                )),
            };
        }
        let top: Top = serde_json::from_str(text).map_err(|e| json_error(&e))?;
        match top.items {
            Some(items) => {
                for d in decode_all(&items) {
                    self.apply(file, d, counts);
                }
            }
            None => {
                if top.kind.is_none() {
                    return Err(
                        "expected a Kubernetes object (with kind) or a v1 List (with items)"
                            .to_string(),
                    );
                }
                let raw: &RawValue = serde_json::from_str(text).map_err(|e| json_error(&e))?;
                self.ingest_item(file, 0, &Item::Text(raw.get()), counts);
            }
        }
        Ok(())
    }

    pub(super) fn ingest_yaml(
        &mut self,
        file: &str,
        text: &str,
        counts: &mut BTreeMap<&'static str, usize>,
    ) -> Result<(), String> {
        let docs = crate::source::yaml::parse_stream(text)?;
        let mut index = 0usize;
        for (d, doc) in docs.into_iter().enumerate() {
            match doc {
                Value::Object(mut obj) => {
                    if let Some(Value::Array(items)) = obj.remove("items") {
                        for mut item in items {
                            strip_secret_data(&mut item);
                            self.ingest_item(file, index, &Item::Value(&item), counts);
                            index += 1;
                        }
                    } else {
                        let mut item = Value::Object(obj);
                        strip_secret_data(&mut item);
                        self.ingest_item(file, index, &Item::Value(&item), counts);
                        index += 1;
                    }
                }
                other => {
                    self.inv.coverage.problem(
                        file,
                        format!(
                            "document {}: expected a Kubernetes object, found a {}",
                            d + 1,
                            type_of(&other)
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}

/// Items per thread below which a file is decoded on the calling thread.
const PARALLEL_MIN_ITEMS: usize = 4096;

/// One item of a JSON List.
fn decode_raw(i: usize, raw: &RawValue) -> Decoded {
    if !raw.get().starts_with('{') {
        // Not an object: say what it is rather than serde's "expected struct".
        let what = serde_json::from_str::<Value>(raw.get())
            .map(|v| type_of(&v))
            .unwrap_or("value");
        return Decoded::Problem(format!(
            "item {i}: expected a Kubernetes object, found a {what}"
        ));
    }
    decode_item(i, &Item::Text(raw.get()))
}

/// Decode the items of a JSON List, on as many threads as there are cores
/// for a large one; the result is in item order.
fn decode_all(items: &[&RawValue]) -> Vec<Decoded> {
    in_parallel(items, |base, chunk| {
        Some(
            chunk
                .iter()
                .enumerate()
                .map(|(i, raw)| decode_raw(base + i, raw))
                .collect(),
        )
    })
    .unwrap_or_default()
}

/// How much of a large JSON file is read at a time.
pub(super) const STREAM_CHUNK_BYTES: usize = 32 << 20;

/// How many List items a core takes at a time while a chunk is decoded: small
/// enough that the cores finish a chunk together, large enough that taking
/// turns costs nothing.
const STREAM_BATCH_ITEMS: usize = 64;

/// The items of a List laid out one value per line, as `kubectl … -o json`,
/// `jq` and most tools write it, read piece by piece and decoded in parallel,
/// without holding the whole file or scanning it on one thread first.
///
/// An item starts on a line indented twice as deep as the List's own keys
/// (raw newlines never occur inside JSON strings, so a line start is always
/// between tokens). Every piece is checked while it is decoded: it must be
/// UTF-8 and hold exactly one value followed by a comma (the last one by the
/// rest of the List), and the List with its items replaced by one marker must
/// parse with the marker as its only item. `None` when any of that does not
/// hold or the file cannot be read; the caller then reads the file the general
/// way, which also gives the messages for malformed files.
pub(super) fn decode_pretty_stream(mut r: impl Read, chunk: usize) -> Option<Vec<Decoded>> {
    let mut buf = Vec::new();
    let mut eof = fill(&mut r, &mut buf, chunk)?;
    // The start of the List up to its first item; read on if a chunk does not hold it.
    let (text_start, needle, first) = loop {
        if let Some(found) = list_head(&buf) {
            break found;
        }
        if eof || buf.len() > HEAD_MAX_BYTES {
            return None;
        }
        eof = fill(&mut r, &mut buf, chunk)?;
    };
    let finder = memchr::memmem::Finder::new(&needle);
    let prefix = std::str::from_utf8(&buf[text_start..first])
        .ok()?
        .to_string();
    let mut out: Vec<Decoded> = Vec::new();
    let mut next = Vec::new();
    let mut pos = first;
    loop {
        // Whole pieces from `pos` on; the last start's piece may go on in the next chunk.
        let mut starts = vec![pos];
        starts.extend(
            finder
                .find_iter(&buf[pos..])
                .map(|at| pos + at + needle.len() - 1),
        );
        let pieces: Vec<&[u8]> = starts
            .windows(2)
            .map(|w| &buf[w[0]..w[1] + 1 - needle.len()])
            .collect();
        let tail = starts[starts.len() - 1];
        let base = out.len();
        let decode = |at: usize, batch: &[&[u8]]| -> Option<Vec<Decoded>> {
            batch
                .iter()
                .enumerate()
                .map(|(i, piece)| {
                    let piece = std::str::from_utf8(piece).ok()?;
                    let (d, rest) = decode_piece(base + at + i, piece)?;
                    (rest.trim() == ",").then_some(d)
                })
                .collect()
        };
        // Every core decodes these pieces, a batch at a time, while this thread
        // first reads the next chunk and then joins in.
        let (decoded, more) = crate::par::batches(&pieces, STREAM_BATCH_ITEMS, decode, || {
            if eof {
                Some(false)
            } else {
                next.clear();
                next.extend_from_slice(&buf[tail..]);
                fill(&mut r, &mut next, chunk)
            }
        });
        let decoded: Option<Vec<Vec<Decoded>>> = decoded.into_iter().collect();
        let decoded = decoded.map(|d| d.into_iter().flatten());
        out.extend(decoded?);
        if eof {
            pos = tail;
            break;
        }
        eof = more?;
        std::mem::swap(&mut buf, &mut next);
        pos = 0;
    }
    // The last item, then what closes the List, checked with the start of the file.
    let last = std::str::from_utf8(&buf[pos..]).ok()?;
    let (last_decoded, suffix) = decode_piece(out.len(), last)?;
    let envelope = format!("{prefix}0{suffix}");
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        items: Vec<&'a RawValue>,
    }
    let env: Envelope = serde_json::from_str(&envelope).ok()?;
    if env.items.len() != 1 || env.items[0].get() != "0" {
        return None;
    }
    out.push(last_decoded);
    Some(out)
}

/// Where a List's items may start: far into the file is not a `kubectl` List.
const HEAD_MAX_BYTES: usize = 1 << 20;

/// Where the text starts (after a UTF-8 byte-order mark), the bytes that
/// precede every item of a pretty-printed List (a newline and the items'
/// indentation, then `{`), and where its first item starts.
fn list_head(buf: &[u8]) -> Option<(usize, Vec<u8>, usize)> {
    let text_start = if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let open = text_start
        + buf[text_start..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())?;
    if buf[open] != b'{' {
        return None;
    }
    let line = open + memchr::memchr(b'\n', &buf[open..])? + 1;
    let unit = *buf.get(line)?;
    let indent = buf[line..].iter().take_while(|b| **b == unit).count();
    if indent == 0 || !(unit == b' ' || unit == b'\t') || line + indent == buf.len() {
        return None;
    }
    let mut needle = Vec::with_capacity(2 * indent + 2);
    needle.push(b'\n');
    needle.extend(std::iter::repeat_n(unit, 2 * indent));
    needle.push(b'{');
    let first = line + memchr::memmem::find(&buf[line..], &needle)? + needle.len() - 1;
    Some((text_start, needle, first))
}

/// Append up to `want` more bytes of `r` to `buf`: whether the end was
/// reached; `None` on a read error.
fn fill(r: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> Option<bool> {
    buf.reserve(want);
    let got = r.by_ref().take(want as u64).read_to_end(buf).ok()?;
    Some(got < want)
}

/// Decode the one value a piece of a List starts with; the piece's text after it.
fn decode_piece(index: usize, piece: &str) -> Option<(Decoded, &str)> {
    let mut values = serde_json::Deserializer::from_str(piece).into_iter::<Full>();
    if let Some(Ok(full)) = values.next() {
        let end = values.byte_offset();
        return Some((
            decode_with(index, &Item::Text(&piece[..end]), Some(full)),
            &piece[end..],
        ));
    }
    // Not of the one-pass shape: read it kind by kind, if it is JSON at all.
    let mut values = serde_json::Deserializer::from_str(piece).into_iter::<&RawValue>();
    let raw = values.next()?.ok()?;
    let end = values.byte_offset();
    Some((decode_item(index, &Item::Text(raw.get())), &piece[end..]))
}

/// Run `f` over `items` in consecutive shares, one per core for large
/// inputs, and join the results in order; `None` when any share gives `None`.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(usize, &[T]) -> Option<Vec<R>> + Sync,
) -> Option<Vec<R>> {
    let mut out = Vec::with_capacity(items.len());
    for part in crate::par::shares(items, PARALLEL_MIN_ITEMS, f) {
        out.extend(part?);
    }
    Some(out)
}
