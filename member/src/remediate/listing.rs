//! What `rampart remediate --list` shows: every registered control, its remedy, what it
//! changes and what undo restores, the IAM actions it adds; and the controls left to people,
//! with the reason and the command. docs/remediation.md's table is made from the same list.

use super::manual::MANUAL;
use super::remedy::Remedy;
use serde::Serialize;

/// One row of the listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: String,
    pub controls: Vec<String>,
    pub changes: String,
    pub undo: String,
    pub actions: Vec<String>,
    pub manual: bool,
    /// For a manual control: what a person runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// Every remedy, then every manual control.
pub fn entries(remedies: &[Remedy]) -> Vec<Entry> {
    let mut out: Vec<Entry> = remedies
        .iter()
        .map(|r| Entry {
            id: r.id.to_string(),
            controls: r.controls().iter().map(|c| c.to_string()).collect(),
            changes: r.changes.to_string(),
            undo: r.undoes.to_string(),
            actions: r
                .permissions
                .actions
                .iter()
                .map(|a| a.to_string())
                .collect(),
            manual: false,
            command: None,
        })
        .collect();
    out.extend(MANUAL.iter().map(|m| Entry {
        id: format!("manual-{}", m.control.to_ascii_lowercase()),
        controls: vec![m.control.to_string()],
        changes: format!("Not fixed by Rampart: {}.", m.reason),
        undo: String::new(),
        actions: Vec::new(),
        manual: true,
        command: Some(m.command.to_string()),
    }));
    out
}

/// Every control id covered (fixed or manual), sorted.
pub fn controls(remedies: &[Remedy]) -> Vec<String> {
    let mut all: Vec<String> = entries(remedies)
        .into_iter()
        .flat_map(|e| e.controls)
        .collect();
    all.sort_by_key(|a| natural(a));
    all.dedup();
    all
}

/// `EC2.2` before `EC2.10`.
fn natural(c: &str) -> (String, u32) {
    let (svc, n) = c.split_once('.').unwrap_or((c, "0"));
    (svc.to_string(), n.parse().unwrap_or(0))
}
