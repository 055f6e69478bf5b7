//! What a review adds to a finding: its state against a baseline report and
//! the accepted risk that covers it. Set by `drift` (`--baseline`, the
//! acceptance file); kept here, beside the finding, so the report and the UI
//! read them without depending on `drift`.

use serde::{Deserialize, Serialize};

/// SARIF's `baselineState`, as the JSON report's `baseline_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    New,
    Unchanged,
    Absent,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Absent => "absent",
        }
    }
}

/// An accepted risk that covers a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub reason: String,
    /// The last day the acceptance holds (YYYY-MM-DD).
    pub expires: String,
    /// Where it was accepted: `FILE:LINE`.
    pub source: String,
}
