//! The one retry loop every request goes through: failures classified
//! (transient, expired continue token, forbidden, other), exponential back-off
//! with jitter or Retry-After, within the source's time budget.

use super::*;

/// Attempts of one Kubernetes request, as the AWS side's standard retry.
const MAX_ATTEMPTS: u32 = 5;
/// The first back-off; it doubles per attempt, with jitter, up to `MAX_BACKOFF`.
pub(super) const BASE_BACKOFF: Duration = Duration::from_millis(250);
pub(super) const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// The longest server-requested wait (`Retry-After`) honoured as is.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Why one Kubernetes request failed.
#[derive(Debug)]
pub(super) enum KubeFail {
    /// An answer with an error status (kube's `Status`, or one made of a non-JSON body).
    Api {
        code: u16,
        reason: String,
        message: String,
    },
    /// The connection failed or was reset before a whole answer came.
    Transport(String),
    /// No whole answer within the time allowed to one attempt.
    Slow(Duration),
    /// A 2xx answer whose body is not the JSON expected.
    Malformed(String),
    /// Anything else (authentication plugin, building the request).
    Other(String),
}

impl KubeFail {
    /// A few words for a progress line: `503 ServiceUnavailable`, `connection reset`.
    pub(super) fn short(&self) -> String {
        match self {
            KubeFail::Api { code, reason, .. } => format!("{code} {reason}"),
            KubeFail::Transport(_) => "the connection failed".to_string(),
            KubeFail::Slow(d) => format!("no answer within {}s", d.as_secs()),
            KubeFail::Malformed(_) => "a malformed answer".to_string(),
            KubeFail::Other(e) => e.chars().take(80).collect(),
        }
    }

    /// Worth another attempt: overload, server errors, broken connections, stalls.
    pub(super) fn transient(&self) -> bool {
        match self {
            KubeFail::Api { code, .. } => matches!(code, 429 | 500 | 502 | 503 | 504),
            KubeFail::Transport(_) | KubeFail::Slow(_) => true,
            KubeFail::Malformed(_) | KubeFail::Other(_) => false,
        }
    }
}

/// A request that failed for good: the last failure, how many attempts were
/// made, and whether a list was started over after an expired continue token.
#[derive(Debug)]
pub(super) struct Failed {
    pub(super) fail: KubeFail,
    pub(super) attempts: u32,
    pub(super) restarted: bool,
}

impl Failed {
    pub(super) fn expired(&self) -> bool {
        matches!(self.fail, KubeFail::Api { code: 410, .. })
    }
}

/// Time bounds of one source's requests, and where its retries are reported.
#[derive(Clone, Copy)]
pub(super) struct Budget<'p> {
    /// One attempt: a third of the source's time (1 s to 60 s), so that a
    /// stalled request is retried while time remains.
    attempt: Duration,
    /// The source's end: no retry is started that could not finish by then.
    deadline: Instant,
    /// The coverage name of the source, for progress.
    source: &'p str,
    /// Told of each back-off, so that a waiting user sees why nothing moves.
    progress: &'p (dyn Fn(Progress) + Send + Sync),
}

impl<'p> Budget<'p> {
    pub(super) fn new(
        limits: &Limits,
        source: &'p str,
        progress: &'p (dyn Fn(Progress) + Send + Sync),
    ) -> Budget<'p> {
        Budget {
            attempt: (limits.timeout / 3).clamp(Duration::from_secs(1), Duration::from_secs(60)),
            deadline: Instant::now() + limits.timeout,
            source,
            progress,
        }
    }
}

/// The requests made: a LIST (whole objects or metadata only) or a GET.
#[derive(Clone, Copy)]
pub(super) enum Call<'a> {
    List(&'a ListParams),
    ListMetadata(&'a ListParams),
    Get(&'a str),
}

/// The back-off before attempt `attempt + 1`: exponential, with jitter (50–100 %).
pub(super) fn backoff(attempt: u32) -> Duration {
    use std::hash::BuildHasher;
    let full = BASE_BACKOFF
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    let jitter = std::collections::hash_map::RandomState::new().hash_one(attempt) % 1000;
    full.mul_f64(0.5 + jitter as f64 / 2000.0)
}

/// One HTTP exchange: the body of a 2xx answer, or the failure and the wait
/// the server asked for (`Retry-After`, or the Status' `retryAfterSeconds`).
async fn exchange(
    client: &Client,
    path: &str,
    call: Call<'_>,
) -> Result<Vec<u8>, (KubeFail, Option<Duration>)> {
    let request = ::kube::core::Request::new(path);
    let req = match call {
        Call::List(lp) => request.list(lp),
        Call::ListMetadata(lp) => request.list_metadata(lp),
        Call::Get(name) => request.get(name, &GetParams::default()),
    }
    .map_err(|e| {
        (
            KubeFail::Other(format!("cannot build the request: {e}")),
            None,
        )
    })?;
    let res = client.send(req.map(Body::from)).await.map_err(|e| {
        let fail = match &e {
            ::kube::Error::HyperError(_) | ::kube::Error::Service(_) => {
                KubeFail::Transport(error_chain(&e))
            }
            _ => KubeFail::Other(error_chain(&e)),
        };
        (fail, None)
    })?;
    let code = res.status().as_u16();
    let header_wait = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = res
        .into_body()
        .collect_bytes()
        .await
        .map_err(|e| (KubeFail::Transport(error_chain(&e)), None))?
        .to_vec();
    if (200..300).contains(&code) {
        return Ok(body);
    }
    let (reason, message, status_wait) = match serde_json::from_slice::<::kube::core::Status>(&body)
    {
        Ok(s) => (
            s.reason,
            s.message,
            s.details
                .map(|d| d.retry_after_seconds)
                .filter(|&n| n > 0)
                .map(|n| Duration::from_secs(n.into())),
        ),
        Err(_) => {
            let text = String::from_utf8_lossy(&body);
            let text: String = text.trim().chars().take(200).collect();
            (String::new(), text, None)
        }
    };
    let reason = if reason.is_empty() {
        format!("HTTP {code}")
    } else {
        reason
    };
    Err((
        KubeFail::Api {
            code,
            reason,
            message,
        },
        header_wait.or(status_wait),
    ))
}

/// One request with retries: transient failures (429, 5xx, broken
/// connections, stalled answers) are tried again, up to `MAX_ATTEMPTS`, after
/// the server's `Retry-After` or an exponential back-off, and never past the
/// source's deadline. Then the body is parsed as `T`.
pub(super) async fn fetch<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    call: Call<'_>,
    budget: Budget<'_>,
) -> Result<T, Failed> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = match tokio::time::timeout(budget.attempt, exchange(client, path, call)).await
        {
            Ok(r) => r,
            Err(_) => Err((KubeFail::Slow(budget.attempt), None)),
        };
        let (fail, wait) = match result {
            Ok(body) => {
                return serde_json::from_slice::<T>(&body).map_err(|e| Failed {
                    fail: KubeFail::Malformed(e.to_string()),
                    attempts: attempt,
                    restarted: false,
                });
            }
            Err(f) => f,
        };
        let delay = wait.map_or_else(|| backoff(attempt), |w| w.min(MAX_RETRY_AFTER));
        let out_of_time = Instant::now() + delay + Duration::from_millis(100) >= budget.deadline;
        if !fail.transient() || attempt >= MAX_ATTEMPTS || out_of_time {
            return Err(Failed {
                fail,
                attempts: attempt,
                restarted: false,
            });
        }
        tracing::debug!(
            "kubernetes {path}: attempt {attempt} failed ({fail:?}); retrying in {delay:?}"
        );
        (budget.progress)(Progress::Retrying {
            source: budget.source.to_string(),
            attempt,
            of: MAX_ATTEMPTS,
            wait: Some(delay),
            why: fail.short(),
        });
        tokio::time::sleep(delay).await;
    }
}

/// Why a Kubernetes call failed, as a coverage status and a detail.
pub(super) fn classify(f: &Failed, what: &str) -> (Status, String) {
    let tries = if f.attempts > 1 {
        format!(" (after {} attempts)", f.attempts)
    } else {
        String::new()
    };
    match &f.fail {
        KubeFail::Api {
            code: 403, message, ..
        } => (
            Status::Forbidden,
            format!("cannot {what}: forbidden (403): {message}"),
        ),
        KubeFail::Api { code: 401, .. } => (
            Status::Error,
            format!(
                "cannot {what}: the API server rejected the credentials (401); refresh them (e.g. `aws sso login`) and retry"
            ),
        ),
        KubeFail::Api {
            code: 404, message, ..
        } => (
            Status::Error,
            format!("cannot {what}: the API server does not serve it (404): {message}"),
        ),
        KubeFail::Api { code: 410, .. } if f.restarted => (
            Status::Error,
            format!(
                "cannot {what}: the list changed too much while paging (410 Expired), again after starting over; retry later, or raise IAMSCOPE_PAGE_SIZE so that fewer pages are needed"
            ),
        ),
        KubeFail::Api { code: 410, .. } => (
            Status::Error,
            format!("cannot {what}: the list changed too much while paging (410 Expired); retry"),
        ),
        KubeFail::Api {
            code,
            reason,
            message,
        } if f.fail.transient() => (
            Status::Error,
            format!(
                "cannot {what}: {reason} ({code}): {message}{tries}; the API server is overloaded or failing: retry later"
            ),
        ),
        KubeFail::Api {
            code,
            reason,
            message,
        } => (
            Status::Error,
            format!("cannot {what}: {reason} ({code}): {message}"),
        ),
        KubeFail::Transport(e) => (
            Status::Error,
            format!(
                "cannot {what}: the connection failed{tries}: {e}; check the network path to the API server and retry"
            ),
        ),
        KubeFail::Slow(d) => (
            Status::Error,
            format!(
                "cannot {what}: no answer within {}s{tries}; retry, or raise IAMSCOPE_TIMEOUT_SECS",
                d.as_secs()
            ),
        ),
        KubeFail::Malformed(e) => (
            Status::Error,
            format!(
                "cannot {what}: the answer is not the JSON expected ({e}); a proxy between iamscope and the API server may be altering answers"
            ),
        ),
        KubeFail::Other(e) => (Status::Error, format!("cannot {what}: {e}")),
    }
}
