//! Reports: the same findings and coverage as json, sarif, markdown or a table.

pub mod json;
pub mod markdown;
pub mod sarif;
pub mod table;

use crate::audit::Finding;
use crate::model::Inventory;

pub const TOOL_NAME: &str = "iamscope";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where users read about the tool: Cargo.toml's `homepage`, so there is one place to change it.
pub const TOOL_URI: &str = env!("CARGO_PKG_HOMEPAGE");

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Sarif,
    Markdown,
    Table,
}

/// What every format renders.
pub struct Report<'a> {
    pub inv: &'a Inventory,
    pub findings: &'a [Finding],
}

impl Report<'_> {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self),
            Format::Markdown => markdown::render(self),
            Format::Table => table::render(self),
        }
    }

    /// The report written to `w`; a JSON report is written as it is rendered.
    pub fn write_to(&self, format: Format, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        match format {
            Format::Json => json::write(self, w),
            other => w.write_all(self.render(other).as_bytes()),
        }
    }

    pub fn cluster(&self) -> Option<String> {
        self.inv
            .cluster
            .as_ref()
            .map(|c| c.name.clone())
            .or_else(|| self.inv.cluster_name.clone())
    }
}
