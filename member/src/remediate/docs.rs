//! The remedies as people read them: docs/remediation.md's table.

use super::remedy::Remedy;

/// The table of docs/remediation.md (between its `<!-- remedies -->` markers): controls, what
/// each remedy changes, what undo restores, the IAM actions it adds.
pub fn table(remedies: &[Remedy]) -> String {
    let mut out = String::from(
        "| Controls | Remedy | What it changes | What undo restores | IAM actions |\n|---|---|---|---|---|\n",
    );
    for r in remedies {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            r.controls().join(", "),
            r.id,
            r.changes,
            r.undoes,
            r.permissions
                .actions
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    out
}
