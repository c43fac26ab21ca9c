//! Unit tests of `auto_mfa`.

use super::*;

#[test]
fn seed_policy_names_only_the_user_and_the_responder() {
    let p = seed_policy(
        "arn:aws:iam::1:user/a",
        "arn:aws:iam::1:role/RampartResponder",
    );
    assert_eq!(
        p["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::1:user/a"
    );
    let allowed = &p["Statement"][1]["Condition"]["StringNotEquals"]["aws:PrincipalArn"];
    assert_eq!(allowed.as_array().map(Vec::len), Some(2));
    assert_eq!(
        p["Statement"][2]["Condition"]["Null"]["aws:TokenIssueTime"],
        "true"
    );
    // Named by the unique user id: `a,b` and `a-b` no longer share a secret.
    assert_eq!(secret_name("AIDAEXAMPLE1"), "rampart/mfa/AIDAEXAMPLE1");
}

#[test]
fn require_policy_denies_everything_but_own_mfa_without_mfa() {
    let p = require_mfa_policy_document();
    let deny = &p["Statement"][2];
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(
        deny["Condition"]["BoolIfExists"]["aws:MultiFactorAuthPresent"],
        "false"
    );
    let exempt: Vec<&str> = deny["NotAction"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(exempt.contains(&"iam:EnableMFADevice"));
    assert!(!exempt.iter().any(|a| a.starts_with("s3:") || *a == "*"));
}
