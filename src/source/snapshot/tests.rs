//! Tests of snapshot reading (moved unchanged from the single `snapshot.rs`).

use super::*;

/// No check: these tests read the Kubernetes files.
struct Unchecked;

impl Check for Unchecked {
    type Kept = ();

    fn documents(&self, _: &IamInventory) -> (Vec<String>, ()) {
        (Vec::new(), ())
    }

    fn gaps(&self, _: &Inventory) -> Vec<String> {
        Vec::new()
    }
}

#[test]
fn flags_file_forms() {
    let one = split_flags_file("kube-apiserver --a=1 --b 2 \\\n  --c='x y'\n# comment\n--d\n");
    assert_eq!(
        one,
        vec!["kube-apiserver", "--a=1", "--b", "2", "--c=x y", "--d"]
    );
}

#[test]
fn url_encoded_documents() {
    let enc =
        Value::String("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D".into());
    let d = decode_document(enc).unwrap();
    assert_eq!(d["Version"], "2012-10-17");
    assert!(decode_document(Value::String("%7Bnot json".into())).is_err());
    assert!(decode_document(Value::Bool(true)).is_err());
}

/// A List of items of every kind the reader knows, some odd ones among them.
fn sample_items() -> Vec<Value> {
    use serde_json::json;
    let mut items = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
        json!({"kind": "ServiceAccount", "metadata": {"name": "s", "namespace": "a",
            "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/r"}}}),
        // A string holding what looks like an item start: never a line start in JSON.
        json!({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"},
            "data": {"x": "\n    {\n      \"kind\": \"Pod\""}}),
        json!({"kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
            "spec": {"serviceAccountName": "s", "containers": [{"name": "c", "image": "i",
                "args": ["--x", "{"]}], "volumes": [{"name": "v", "projected": {"sources": [{}]}}]}}),
        // A field of an unexpected type: read kind by kind, with its message.
        json!({"kind": "Pod", "metadata": {"name": "q", "namespace": "a"}, "spec": {"containers": 5}}),
        json!({"kind": "Role", "metadata": {"name": "r", "namespace": "a"},
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}),
        json!({"kind": "Secret", "metadata": {"name": "t", "namespace": "a"},
            "type": "kubernetes.io/service-account-token", "data": {"token": "c2VjcmV0"}}),
        json!({"kind": "Pod", "metadata": {"name": "no-namespace"}}),
        json!({"metadata": {"name": "no-kind"}}),
    ];
    for n in 0..50 {
        items.push(json!({"kind": "ServiceAccount", "metadata": {"name": format!("sa-{n}"), "namespace": "a"}}));
    }
    items
}

fn pretty(v: &Value, indent: &[u8]) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let f = serde_json::ser::PrettyFormatter::with_indent(indent);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, f);
    v.serialize(&mut ser).unwrap();
    String::from_utf8(out).unwrap()
}

fn stream(text: &str) -> Option<Vec<Decoded>> {
    decode_pretty_stream(text.as_bytes(), STREAM_CHUNK_BYTES)
}

fn inventory_of(text: &str) -> String {
    let files = MemFiles(BTreeMap::from([(
        "kubernetes.json".to_string(),
        text.as_bytes().to_vec(),
    )]));
    let (inv, _, _) = read_counted(&files, &Unchecked);
    // Places inside an item are counted from the item's first line, which
    // differs between layouts: compare without them.
    let text = format!("{inv:?}");
    let mut out = String::new();
    for (i, part) in text.split("line ").enumerate() {
        if i > 0 {
            out.push_str("line ");
        }
        match part.split_once(", column ") {
            Some((l, rest)) if l.bytes().all(|b| b.is_ascii_digit()) => {
                out.push_str("_, column ");
                out.push_str(rest.trim_start_matches(|c: char| c.is_ascii_digit()));
            }
            _ => out.push_str(part),
        }
    }
    out
}

#[test]
fn pretty_lists_are_split_in_parallel_and_read_as_the_general_way() {
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List",
        "metadata": {"resourceVersion": ""}, "items": sample_items()});
    let general = inventory_of(&list.to_string());
    assert!(stream(&list.to_string()).is_none(), "one line: no split");
    for indent in [&b" "[..], b"  ", b"    ", b"\t"] {
        let text = pretty(&list, indent);
        let fast = stream(&text).expect("a pretty List is split");
        assert_eq!(fast.len(), sample_items().len());
        assert_eq!(inventory_of(&text), general, "indent {indent:?}");
        let crlf = text.replace('\n', "\r\n");
        assert!(stream(&crlf).is_some());
        assert_eq!(inventory_of(&crlf), general);
        let bom = format!("\u{feff}{text}");
        assert!(stream(&bom).is_some());
        assert_eq!(inventory_of(&bom), general);
        // Read a few bytes at a time: pieces and the List's start span chunks.
        let whole = format!("{fast:?}");
        for chunk in [5, 64, 1000] {
            let got = decode_pretty_stream(text.as_bytes(), chunk).expect("split");
            assert_eq!(format!("{got:?}"), whole, "chunk {chunk}");
        }
    }
    assert!(
        general.contains("item 4: "),
        "the odd Pod's message is kept"
    );
    assert!(general.contains("no-namespace without namespace"));
}

#[test]
fn pretty_split_gives_way_when_the_layout_is_not_one_value_per_line() {
    let items = sample_items();
    let list = serde_json::json!({"kind": "List", "items": items});
    let text = pretty(&list, b"  ");
    // Another top-level array of objects before items: its elements sit at the same depth.
    let other = pretty(
        &serde_json::json!({"extra": [{"kind": "Namespace", "metadata": {"name": "x"}}], "items": items}),
        b"  ",
    );
    assert!(stream(&other).is_none());
    assert_eq!(inventory_of(&other), inventory_of(&list.to_string()));
    // A non-object item, two items on one line, broken JSON: the general reader decides.
    for broken in [
        text.replacen(
            "\n    {\n      \"kind\": \"ServiceAccount\"",
            "\n    7,\n    {\n      \"kind\": \"ServiceAccount\"",
            1,
        ),
        text.replacen("},\n    {", "}, {", 1),
        text.replacen("\"name\": \"s\"", "\"name\": \"s\",,", 1),
        text.replacen("\n  ]\n}", "\n  ]\n", 1),
        text.replacen("\n  ]\n}", "\n  ],\n  \"items\": []\n}", 1),
    ] {
        assert_ne!(broken, text);
        assert!(stream(&broken).is_none(), "{broken}");
        assert!(
            decode_pretty_stream(broken.as_bytes(), 5).is_none(),
            "{broken}"
        );
    }
    let garbage = text.replacen("\"name\": \"s\"", "\"name\": \"s\",,", 1);
    assert!(
        inventory_of(&garbage).contains("line "),
        "the general reader names the place"
    );
}

/// Every iam.json of the repository (and odd variants of one): where the
/// typed reader takes a file, it reads what the general reader reads.
#[test]
fn typed_iam_reader_agrees_with_the_general_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut dirs = vec![root.join("tests/fixtures"), root.join("assets/demo")];
    while let Some(d) = dirs.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.file_name().is_some_and(|n| n == "iam.json")
                && let Ok(t) = fs::read_to_string(&p)
            {
                texts.push((p.display().to_string(), t));
            }
        }
    }
    let demo = fs::read_to_string(root.join("assets/demo/iam.json")).unwrap();
    let variants = [
        ("\"RoleName\"", "\"Ignored\": 5, \"RoleName\""),
        ("\"Path\"", "\"Path\": null, \"Was\""),
        ("\"RoleLastUsed\": {", "\"RoleLastUsed\": null, \"X\": {"),
        (
            "\"AssumeRolePolicyDocument\": {",
            "\"AssumeRolePolicyDocument\": null, \"X\": {",
        ),
        (
            "\"PolicyDocument\": {",
            "\"PolicyDocument\": \"%7Bbad\", \"X\": {",
        ),
        ("\"Arn\": \"arn:aws:iam::", "\"Arn\": \"arn:aws:iam:::"),
        ("\"IsDefaultVersion\": true", "\"IsDefaultVersion\": false"),
        ("\"RoleName\"", "\"RoleName\": 7, \"Was\""),
        ("\"Tags\": [", "\"Tags\": [{\"Key\": \"k\"}, 5, "),
    ];
    for (from, to) in variants {
        assert!(demo.contains(from), "{from}");
        texts.push((format!("demo with {to}"), demo.replacen(from, to, 1)));
    }
    let mut typed_read = 0;
    for (name, text) in &texts {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            assert!(typed::read(text).is_none(), "{name}");
            continue;
        };
        if let Some(t) = typed::read(text) {
            typed_read += 1;
            assert_eq!(
                format!("{t:?}"),
                format!("{:?}", read_iam_value(v)),
                "{name}"
            );
        }
    }
    assert!(
        typed_read >= 10,
        "only {typed_read} of {} files read typed",
        texts.len()
    );
}
