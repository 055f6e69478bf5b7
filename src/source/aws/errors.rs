//! An SDK error as a coverage status and a detail that names the call:
//! forbidden, not found, transient (retried by the SDK) or another error.

use super::*;

pub(super) type Fail = (Status, String);

/// Attempts per AWS call: the SDK's standard retry (exponential back-off with
/// jitter, `x-amz-retry-after` honoured) retries throttling, 5xx answers,
/// broken connections and timed-out attempts.
pub(super) const AWS_MAX_ATTEMPTS: u32 = 5;

/// Why an AWS call failed, as a coverage status and a detail naming the action.
pub(super) fn classify<E, R>(e: &SdkError<E, R>, action: &str) -> Fail
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let retried = format!("after the SDK's retries, up to {AWS_MAX_ATTEMPTS} attempts");
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let Some(code) = err.code() else {
                // No error code: the answer itself could not be parsed (a
                // truncated or altered body); the SDK does not retry those.
                return (
                    Status::Error,
                    format!(
                        "{action}: the answer could not be read: {}; a proxy between iamscope and AWS may be altering answers; retry",
                        error_chain(err)
                    ),
                );
            };
            let msg = err.message().unwrap_or("");
            if is_denied(code) {
                return (
                    Status::Forbidden,
                    format!(
                        "{action}: {code}: {msg} (grant it: see assets/aws/iamscope-readonly-policy.json)"
                    ),
                );
            }
            let hint = if is_transient(code) {
                format!(" ({retried}; AWS is throttling or failing: retry later)")
            } else {
                String::new()
            };
            (Status::Error, format!("{action}: {code}: {msg}{hint}"))
        }
        SdkError::TimeoutError(_) => (
            Status::Error,
            format!(
                "{action}: no answer in time ({retried}); retry, raise IAMSCOPE_TIMEOUT_SECS, or check the network path to AWS"
            ),
        ),
        SdkError::DispatchFailure(_) => (
            Status::Error,
            format!(
                "{action}: the connection failed ({retried}): {}; check the network path to AWS and retry",
                error_chain(e)
            ),
        ),
        SdkError::ResponseError(_) => (
            Status::Error,
            format!(
                "{action}: the answer could not be read: {}; a proxy between iamscope and AWS may be altering answers; retry",
                error_chain(e)
            ),
        ),
        other => (Status::Error, format!("{action}: {}", error_chain(other))),
    }
}

/// Error codes the SDK's standard retry treats as transient (throttling, 5xx).
fn is_transient(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestThrottledException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "SlowDown"
            | "InternalFailure"
            | "InternalError"
            | "InternalServerError"
            | "InternalServerException"
            | "ServiceUnavailable"
            | "ServiceUnavailableException"
    ) || code.starts_with("HTTP 5")
}

fn is_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "Forbidden"
    )
}

pub(super) fn is_not_found(f: &Fail) -> bool {
    f.1.contains(": ResourceNotFoundException:") || f.1.contains(": NoSuchEntity:")
}
