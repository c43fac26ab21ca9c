//! The output formats the commands print in.

use clap::ValueEnum;

/// Formats of a fleet report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    /// One row per verdict.
    Csv,
    /// The ASFF findings array the publisher would import (FAILED only with `--only-failed`).
    Asff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}
