//! A fleet run's result: every account's result (the member's `AccountResult`) under the run's
//! metadata. Reports, saved runs and the Step Functions merge all read and write it.

use rampart_common::Benchmark;
pub use rampart_member::assess::{names, AccountResult, RegionPublish};
use serde::{Deserialize, Serialize};

/// The whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FleetReport {
    pub run_id: String,
    pub started_at: String,
    /// When the last account finished (absent in reports of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Names of the benchmark versions, comma-separated (display).
    pub benchmark: String,
    /// Keys of the benchmark versions assessed (`cis-7.0.0`); absent in reports of older
    /// versions, which name one benchmark in `benchmark`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benchmarks: Vec<String>,
    pub regions: Vec<String>,
    pub home_region: String,
    pub accounts: Vec<AccountResult>,
}

impl FleetReport {
    /// The benchmark tables the run assessed: from `benchmarks`, or the one `benchmark`
    /// names in older reports (v3.0.0 when it names none Rampart knows).
    pub fn benchmark_tables(&self) -> Vec<&'static Benchmark> {
        let from_keys: Vec<&'static Benchmark> = self
            .benchmarks
            .iter()
            .filter_map(|k| rampart_common::benchmarks::by_name(k).ok())
            .collect();
        if !from_keys.is_empty() {
            return from_keys;
        }
        let from_names: Vec<&'static Benchmark> = self
            .benchmark
            .split(", ")
            .filter_map(|n| rampart_common::benchmarks::by_name(n).ok())
            .collect();
        if from_names.is_empty() {
            vec![&rampart_common::benchmarks::CIS_V3_0_0]
        } else {
            from_names
        }
    }
}
