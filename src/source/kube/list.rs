//! Reading kinds: one paginated cluster-wide LIST per kind (metadata trimmed),
//! the `aws-auth` ConfigMap, and service-account-token Secrets as metadata
//! only.

use super::*;

fn tidy_meta(meta: &mut ObjectMeta, secret: bool) {
    // kubectl hides managedFields by default; they say nothing about access.
    meta.managed_fields = None;
    if secret && let Some(a) = meta.annotations.as_mut() {
        a.remove(LAST_APPLIED);
    }
}

/// A paginated LIST, each item turned into JSON text by `keep` (text, not a
/// `Value`: a large cluster's objects are held until the snapshot files are
/// written, and a value tree costs several times its text). When the continue
/// token expires (410), the list starts over once from the first page, as
/// kubectl does.
async fn list_pages<T, F>(
    client: &Client,
    path: &str,
    first: ListParams,
    metadata: bool,
    budget: Budget<'_>,
    keep: F,
) -> Result<Vec<Box<RawValue>>, Failed>
where
    T: DeserializeOwned + Clone,
    F: Fn(T) -> Result<Box<RawValue>, serde_json::Error>,
{
    let mut lp = first.clone();
    let mut out = Vec::new();
    let mut restarted = false;
    loop {
        let call = if metadata {
            Call::ListMetadata(&lp)
        } else {
            Call::List(&lp)
        };
        let list = match fetch::<ObjectList<T>>(client, path, call, budget).await {
            Ok(list) => list,
            Err(f) if f.expired() && lp.continue_token.is_some() && !restarted => {
                tracing::debug!("kubernetes {path}: continue token expired; starting over");
                restarted = true;
                out.clear();
                lp = first.clone();
                continue;
            }
            Err(mut f) => {
                f.restarted = restarted;
                return Err(f);
            }
        };
        for item in list.items {
            out.push(keep(item).map_err(|e| Failed {
                fail: KubeFail::Malformed(e.to_string()),
                attempts: 1,
                restarted,
            })?);
        }
        match list.metadata.continue_ {
            Some(token) if !token.is_empty() => lp = first.clone().continue_token(&token),
            _ => break,
        }
    }
    Ok(out)
}

/// One paginated cluster-wide LIST; the items carry apiVersion and kind as kubectl prints them.
pub(super) async fn list_all(
    client: &Client,
    ar: &ApiResource,
    page_size: u32,
    budget: Budget<'_>,
) -> Result<Vec<Box<RawValue>>, Failed> {
    let path = DynamicObject::url_path(ar, None);
    let lp = ListParams::default().limit(page_size);
    list_pages(
        client,
        &path,
        lp,
        false,
        budget,
        |mut item: DynamicObject| {
            item.types = Some(TypeMeta {
                api_version: ar.api_version.clone(),
                kind: ar.kind.clone(),
            });
            tidy_meta(&mut item.metadata, false);
            serde_json::value::to_raw_value(&item)
        },
    )
    .await
}

/// The service-account-token Secrets, metadata only: their data is never requested.
pub(super) async fn list_token_secrets(
    client: &Client,
    page_size: u32,
    budget: Budget<'_>,
) -> Result<Vec<Box<RawValue>>, Failed> {
    let path = Secret::url_path(&(), None);
    let lp = ListParams::default()
        .fields(&format!("type={SA_TOKEN_TYPE}"))
        .limit(page_size);
    list_pages(
        client,
        &path,
        lp,
        true,
        budget,
        |item: PartialObjectMeta<Secret>| {
            let mut meta = item.metadata;
            tidy_meta(&mut meta, true);
            serde_json::value::to_raw_value(&json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": meta,
                "type": SA_TOKEN_TYPE,
            }))
        },
    )
    .await
}

pub(super) async fn get_aws_auth(
    client: &Client,
    budget: Budget<'_>,
) -> Result<Option<Value>, Failed> {
    let ar = ApiResource::erase::<ConfigMap>(&());
    let path = DynamicObject::url_path(&ar, Some("kube-system"));
    let mut cm = match fetch::<DynamicObject>(client, &path, Call::Get("aws-auth"), budget).await {
        Ok(cm) => cm,
        Err(Failed {
            fail: KubeFail::Api { code: 404, .. },
            ..
        }) => return Ok(None),
        Err(f) => return Err(f),
    };
    cm.types = Some(TypeMeta {
        api_version: ar.api_version.clone(),
        kind: ar.kind.clone(),
    });
    tidy_meta(&mut cm.metadata, false);
    serde_json::to_value(&cm).map(Some).map_err(|e| Failed {
        fail: KubeFail::Malformed(e.to_string()),
        attempts: 1,
        restarted: false,
    })
}

/// A v1 List as `kubectl get -o json` prints it, except that each item is on
/// one line (compact): the same JSON, written without a value tree of the
/// whole cluster, and read back by the snapshot reader's parallel path.
pub(super) fn v1_list(items: &[Box<RawValue>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + items.iter().map(|i| i.get().len() + 6).sum::<usize>());
    out.extend_from_slice(
        b"{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"metadata\": {\n    \"resourceVersion\": \"\"\n  },\n  \"items\": [",
    );
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"\n    ");
        out.extend_from_slice(item.get().as_bytes());
    }
    if !items.is_empty() {
        out.extend_from_slice(b"\n  ");
    }
    out.extend_from_slice(b"]\n}\n");
    out
}
