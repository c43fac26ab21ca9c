//! IAM permission declarations.
//!
//! Every collector and remediation action declares the IAM actions it calls, so the member
//! role's policy can be generated from (and tested against) the code instead of guessed.

/// The IAM actions one component uses.
#[derive(Debug, Clone, Copy)]
pub struct Permissions {
    /// What the component is (e.g. `collect/iam`).
    pub component: &'static str,
    /// IAM actions, `service:Action`.
    pub actions: &'static [&'static str],
}

/// Union of the actions of several components, sorted and de-duplicated.
pub fn union(perms: &[Permissions]) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = perms
        .iter()
        .flat_map(|p| p.actions.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_sorts_and_dedups() {
        let a = Permissions {
            component: "a",
            actions: &["iam:ListUsers", "ec2:DescribeVpcs"],
        };
        let b = Permissions {
            component: "b",
            actions: &["iam:ListUsers"],
        };
        assert_eq!(union(&[a, b]), vec!["ec2:DescribeVpcs", "iam:ListUsers"]);
    }
}
