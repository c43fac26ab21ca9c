//! Least privilege: the member role in stacksets/ grants exactly the IAM actions that Rampart's
//! collectors and publisher declare, no more and no fewer.

use rampart_common::permissions::union;
use std::collections::BTreeSet;

#[test]
fn member_role_matches_declared_permissions() {
    let granted = granted(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../stacksets/member-assess-role.json"
        ),
        "AssessRole",
    );
    let mut declared: Vec<rampart_common::Permissions> =
        rampart_member::collect::PERMISSIONS.to_vec();
    declared.push(rampart_member::securityhub::PERMISSIONS);
    // The Config rule Lambda answers with PutEvaluations in the member account.
    declared.push(rampart_member::config_rule::PERMISSIONS);
    // The hub verifies each session with GetCallerIdentity inside the member account.
    declared.push(rampart_common::Permissions {
        component: "session check",
        actions: &["sts:GetCallerIdentity"],
    });
    let declared: BTreeSet<String> = union(&declared).into_iter().map(str::to_string).collect();
    assert_eq!(granted, declared, "member role and declarations differ");
}

/// The actions a role in a stack template allows; wildcards and Deny statements are refused.
fn granted(path: &str, resource: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).expect("read template");
    let tpl: serde_json::Value = serde_json::from_str(&text).expect("valid JSON template");
    let mut out = BTreeSet::new();
    let statements = tpl["Resources"][resource]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"]
        .as_array()
        .expect("statements");
    for s in statements {
        assert_eq!(s["Effect"], "Allow");
        for a in s["Action"].as_array().expect("action list") {
            let a = a.as_str().expect("action string");
            assert!(!a.contains('*'), "wildcard action {a}");
            out.insert(a.to_string());
        }
    }
    out
}

#[test]
fn member_response_role_matches_the_playbooks_declarations() {
    let got = granted(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../stacksets/member-response-role.json"
        ),
        "ResponseRole",
    );
    let mut declared = rampart_hub::respond::playbooks::member_permissions();
    declared.push(rampart_common::Permissions {
        component: "session check",
        actions: &["sts:GetCallerIdentity"],
    });
    let declared: BTreeSet<String> = union(&declared).into_iter().map(str::to_string).collect();
    assert_eq!(
        got, declared,
        "member response role and declarations differ"
    );
}

#[test]
fn hub_response_role_matches_the_hub_declarations() {
    let got = granted(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../stacksets/hub-response.json"
        ),
        "HubRole",
    );
    let declared: BTreeSet<String> = union(&rampart_hub::respond::hub_permissions())
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(got, declared, "hub role and declarations differ");
}
