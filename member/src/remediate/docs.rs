//! The remedies as people read them: docs/remediation.md's table.

use super::remedy::Remedy;

/// The table of docs/remediation.md (between its `<!-- remedies -->` markers): controls, what
/// each remedy changes, what undo restores, the IAM actions it adds.
pub fn table(remedies: &[Remedy]) -> String {
    let mut out = String::from(
        "| Controls | Remedy | What it changes | What undo restores | IAM actions |\n|---|---|---|---|---|\n",
    );
    for e in super::listing::entries(remedies) {
        let actions = match &e.command {
            Some(c) => format!("manual: `{c}`"),
            None => e
                .actions
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(" "),
        };
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            e.controls.join(", "),
            e.id,
            e.changes,
            if e.manual {
                "(nothing to undo)"
            } else {
                e.undo.as_str()
            },
            actions
        ));
    }
    out
}
