//! Least privilege: the member roles in stacksets/ grant exactly the IAM actions that Rampart's
//! collectors and publisher declare, no more and no fewer.

use rampart_common::permissions::union;
use std::collections::BTreeSet;

/// The assessment role's policy is exactly the one generated from the collectors', the
/// publisher's and the Config rule's declarations (`rampart iam-policy assess`).
#[test]
fn member_assess_role_is_the_generated_policy() {
    let granted = granted("member-global.yaml", "AssessRole");
    assert!(granted.contains("securityhub:EnableSecurityHub"));
    let declared: BTreeSet<String> = union(&rampart_member::roles::assess_permissions())
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(granted, declared, "member role and declarations differ");
}

/// The actions a role in a stack template allows; wildcards and Deny statements are refused.
fn granted(name: &str, resource: &str) -> BTreeSet<String> {
    let tpl = template(name);
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

/// A stacksets/ template in CloudFormation's long-form JSON.
fn template(name: &str) -> serde_json::Value {
    let path = format!("{}/../stacksets/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("read template");
    let (node, _) = rampart_template::parse::parse_document(name, &text).expect("template");
    node.to_json()
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The response role's policy is exactly the one generated from the playbooks' declarations,
/// scopes and denies (`rampart iam-policy respond`), so a playbook that adds a call cannot ship
/// without its permission, and the narrowing conditions cannot be dropped by hand.
#[test]
fn member_response_role_is_the_generated_policy() {
    let t = template("member-global.yaml");
    let got = &t["Resources"]["ResponseRole"]["Properties"]["Policies"][0]["PolicyDocument"];
    let want = rampart_member::roles::respond_policy().expect("policy");
    assert_eq!(
        got,
        &want,
        "regenerate with `rampart deploy render`:\n{}",
        pretty(&want)
    );
    let doc = &t["Resources"]["RequireMfaPolicy"]["Properties"]["PolicyDocument"];
    let want = rampart_member::respond::auto_mfa::require_mfa_policy_document();
    assert_eq!(doc, &want, "regenerate with `rampart deploy render`");

    // The role cannot raise its own privileges.
    let statements = want_statements(got);
    let allows = |action: &str| {
        statements
            .iter()
            .filter(|s| s["Effect"] == "Allow")
            .filter(|s| {
                s["Action"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == action))
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(allows("iam:PutUserPolicy").is_empty());
    // No inline role policies at all: a role that may write one may write itself anything.
    assert!(allows("iam:PutRolePolicy").is_empty());
    let attach_role = allows("iam:AttachRolePolicy");
    assert_eq!(attach_role.len(), 1);
    assert_ne!(attach_role[0]["Resource"], "*");
    assert_eq!(
        attach_role[0]["Condition"]["ArnEquals"]["iam:PolicyARN"]["Fn::Sub"],
        "arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll"
    );
    let deny = statements
        .iter()
        .find(|s| s["Effect"] == "Deny")
        .expect("a deny on Rampart's own roles");
    assert!(deny["Action"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "iam:PutRolePolicy"));
    assert!(deny["Resource"].to_string().contains("${RoleName}"));
    assert!(deny["Resource"].to_string().contains("${AssessRoleName}"));
    let attach = allows("iam:AttachUserPolicy");
    assert!(attach[0]["Condition"]["ArnEquals"]["iam:PolicyARN"]
        .to_string()
        .contains("AWSDenyAll"));
    let modify = allows("ec2:ModifyInstanceAttribute");
    assert_eq!(
        modify[0]["Condition"]["StringEquals"]["ec2:Attribute"],
        "disableApiTermination"
    );
    let tags = allows("ec2:CreateTags");
    assert_eq!(
        tags[0]["Condition"]["ForAllValues:StringLike"]["aws:TagKeys"],
        serde_json::json!(["rampart:*"])
    );
    // Only the hub role, inside the organization, with the ExternalId.
    let trust =
        &t["Resources"]["ResponseRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert!(trust["Principal"]["AWS"]
        .to_string()
        .contains("${HubRoleName}"));
    let with_external_id = &trust["Condition"]["StringEquals"]["Fn::If"][1];
    assert!(with_external_id["aws:PrincipalOrgID"].is_object());
    assert!(with_external_id["sts:ExternalId"].is_object());
}

fn want_statements(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    doc["Statement"].as_array().cloned().unwrap_or_default()
}

/// The hub role's policy is the generated one (`rampart iam-policy hub`); its trust is limited
/// to the hub Lambda of this account; the audit log is append-only and apart from the state.
#[test]
fn hub_response_role_is_the_generated_policy() {
    let t = template("hub.yaml");
    let got = &t["Resources"]["HubRole"]["Properties"]["Policies"][0]["PolicyDocument"];
    let want = rampart_hub::respond::hub_policy().expect("policy");
    assert_eq!(
        got,
        &want,
        "regenerate with `rampart deploy render`:\n{}",
        pretty(&want)
    );
    let audit = want_statements(got)
        .into_iter()
        .find(|s| s["Sid"] == "AuditLogAppendOnly")
        .expect("audit statement");
    assert_eq!(audit["Action"], serde_json::json!(["dynamodb:PutItem"]));
    let trust =
        &t["Resources"]["HubRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert!(trust["Condition"]["StringEquals"]["aws:SourceAccount"].is_object());
    assert!(trust["Condition"]["ArnLike"]["aws:SourceArn"].is_object());
    let r = &t["Resources"];
    assert_eq!(
        r["AuditTable"]["Properties"]["DeletionProtectionEnabled"],
        true
    );
    assert_eq!(
        r["StateTable"]["Properties"]["DeletionProtectionEnabled"],
        true
    );
    let f = &r["HubFunction"]["Properties"];
    assert!(f["ReservedConcurrentExecutions"].is_object());
    assert!(f["DeadLetterConfig"]["TargetArn"].is_object());
    assert!(r["DeadLetterAlarm"]["Properties"]["AlarmActions"].is_array());
    assert!(r["ErrorAlarm"]["Properties"]["AlarmActions"].is_array());
}
