//! The deployment templates in stacksets/: their generated policies are committed as the
//! generator writes them, they are flat (no nested stacks, no transforms), they pass the pinned
//! cfn-lint and Rampart's own template audit, and their hardening stays in place.

use rampart_testbed::stacksets::{self, TEMPLATES};
use serde_json::Value;

fn text(name: &str) -> String {
    std::fs::read_to_string(stacksets::dir().join(name)).expect("read template")
}

/// The template as CloudFormation's long-form JSON (through the audit engine's parser).
fn template(name: &str) -> Value {
    let (node, _) = rampart_template::parse::parse_document(name, &text(name)).expect("parse");
    node.to_json()
}

#[test]
fn generated_policies_are_committed() {
    let mut stale = Vec::new();
    for name in TEMPLATES {
        let t = text(name);
        let new = stacksets::render(&t).expect("render");
        if new != t {
            stale.push(*name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated sections in {stale:?}: run `rampart deploy render`"
    );
    assert_eq!(
        stacksets::sections(&text("member-global.yaml")),
        ["assess-member", "respond-member", "require-mfa"]
    );
    assert_eq!(
        stacksets::sections(&text("hub.yaml")),
        [
            "sources-of-DeadLetterQueue",
            "sources-of-IntakeQueue",
            "hub-respond",
            "pattern-cloudtrail-tamper",
            "pattern-forwarding-guard",
            "pattern-auto-mfa",
            "pattern-isolate-guardduty",
            "pattern-isolate-guardduty-via-securityhub",
            "pattern-custom-actions-any-account",
            "pattern-custom-actions",
            "pattern-remediate-control-findings",
            "pattern-remediate-control-findings-v2",
            "assess-hub"
        ]
    );
}

/// Every trigger a playbook starts on from an event has a rule in the stacks whose pattern is
/// generated from it (the committed text is held to the generator above), and every generated
/// role policy is in a template.
#[test]
fn every_trigger_has_a_stack_rule_and_every_role_its_policy() {
    let all: Vec<String> = TEMPLATES
        .iter()
        .flat_map(|t| stacksets::sections(&text(t)))
        .collect();
    for p in rampart_hub::deploy::patterns::patterns() {
        assert!(
            all.contains(&p.marker),
            "no stack rule carries {} (playbook {})",
            p.marker,
            p.playbook
        );
    }
    for r in rampart_hub::deploy::roles::ROLES {
        assert!(
            all.iter().any(|s| s == r.marker),
            "no template carries {}",
            r.marker
        );
    }
}

/// Where each generated document must sit, and that it reads back as exactly that document.
#[test]
fn roles_carry_exactly_the_generated_policies() {
    let cases: &[(&str, &str, &str)] = &[
        ("member-global.yaml", "AssessRole", "assess-member"),
        ("member-global.yaml", "ResponseRole", "respond-member"),
        ("hub.yaml", "HubRole", "hub-respond"),
        ("hub.yaml", "AssessFunctionRole", "assess-hub"),
    ];
    for (file, role, section) in cases {
        let t = template(file);
        let policies = t["Resources"][role]["Properties"]["Policies"]
            .as_array()
            .expect("policies");
        assert_eq!(policies.len(), 1, "{file} {role}");
        assert_eq!(
            policies[0]["PolicyDocument"],
            stacksets::document(section).expect("doc"),
            "{file} {role}"
        );
    }
    let t = template("member-global.yaml");
    assert_eq!(
        t["Resources"]["RequireMfaPolicy"]["Properties"]["PolicyDocument"],
        stacksets::document("require-mfa").expect("doc")
    );
    // The assessment role can enable Security Hub (declared by the publisher).
    assert!(t["Resources"]["AssessRole"]
        .to_string()
        .contains("securityhub:EnableSecurityHub"));
}

#[test]
fn templates_are_flat() {
    for name in TEMPLATES {
        let t = template(name);
        assert!(t.get("Transform").is_none(), "{name} uses a transform");
        for (id, r) in t["Resources"].as_object().expect("resources") {
            let ty = r["Type"].as_str().unwrap_or("");
            assert_ne!(
                ty, "AWS::CloudFormation::Stack",
                "{name}: {id} is a nested stack"
            );
            assert!(!ty.starts_with("AWS::Serverless"), "{name}: {id} needs SAM");
        }
    }
}

/// Each member role trusts only its hub role, inside the organization, with the ExternalId
/// when one is given.
#[test]
fn member_roles_trust_only_their_hub_role_inside_the_organization() {
    let t = template("member-global.yaml");
    for (role, hub_role) in [
        ("AssessRole", "${AssessHubRoleName}"),
        ("ResponseRole", "${HubRoleName}"),
    ] {
        let st = &t["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(st.as_array().map(Vec::len), Some(1), "{role}");
        let s = &st[0];
        assert_eq!(s["Action"], "sts:AssumeRole");
        // One hub role, or (the assessment role) the assessment Lambda's and the response
        // Lambda's, which re-evaluates the controls it remediated.
        let principals: Vec<&str> = match &s["Principal"]["AWS"] {
            serde_json::Value::Array(a) => a.iter().filter_map(|p| p["Fn::Sub"].as_str()).collect(),
            p => p["Fn::Sub"].as_str().into_iter().collect(),
        };
        assert!(
            principals
                .first()
                .is_some_and(|p| p.ends_with(&format!(":role/{hub_role}"))),
            "{role}: {principals:?}"
        );
        for p in &principals {
            assert!(
                p.starts_with("arn:${AWS::Partition}:iam::${HubAccountId}:role/"),
                "{p}"
            );
        }
        let expected = if role == "AssessRole" { 2 } else { 1 };
        assert_eq!(principals.len(), expected, "{role}: {principals:?}");
        let cond = &s["Condition"]["StringEquals"]["Fn::If"];
        assert_eq!(cond[0], "HasExternalId");
        assert_eq!(cond[1]["aws:PrincipalOrgID"]["Ref"], "OrganizationId");
        assert_eq!(cond[1]["sts:ExternalId"]["Ref"], "ExternalId");
        assert_eq!(cond[2]["aws:PrincipalOrgID"]["Ref"], "OrganizationId");
        assert!(cond[2].get("sts:ExternalId").is_none());
    }
}

/// The response hub's hardening (formerly hub-response.json), kept in hub.yaml.
#[test]
fn hub_keeps_its_hardening() {
    let t = template("hub.yaml");
    let r = &t["Resources"];
    for table in ["AuditTable", "StateTable"] {
        let p = &r[table]["Properties"];
        assert_eq!(p["DeletionProtectionEnabled"], true, "{table}");
        assert_eq!(
            p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            true
        );
        assert_eq!(p["SSESpecification"]["SSEEnabled"], true);
        assert_eq!(r[table]["DeletionPolicy"], "Retain");
    }
    assert_eq!(
        r["AuditTable"]["Properties"]["TableName"]["Ref"],
        "AuditTableName"
    );
    assert_eq!(
        r["StateTable"]["Properties"]["TableName"]["Ref"],
        "StateTableName"
    );
    assert_eq!(
        r["StateTable"]["Properties"]["TimeToLiveSpecification"]["Enabled"],
        true
    );
    assert_eq!(
        r["AlertTopic"]["Properties"]["KmsMasterKeyId"]["Ref"],
        "AlertKey"
    );
    for role in ["HubRole", "AssessFunctionRole"] {
        let trust = &r[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"];
        assert!(
            trust["StringEquals"]["aws:SourceAccount"].is_object(),
            "{role}"
        );
        assert!(trust["ArnLike"]["aws:SourceArn"].is_object(), "{role}");
    }
    let f = &r["HubFunction"]["Properties"];
    assert!(f["ReservedConcurrentExecutions"].is_object());
    assert_eq!(
        f["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0],
        "DeadLetterQueue"
    );
    assert_eq!(f["Runtime"], "provided.al2023");
    assert_eq!(
        r["AssessFunction"]["Properties"]["Runtime"],
        "provided.al2023"
    );
    // Every asynchronous path has a dead-letter queue and an alarm.
    let rules: Vec<&String> = r
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v["Type"] == "AWS::Events::Rule")
        .map(|(k, _)| k)
        .collect();
    assert!(rules.len() >= 10, "{rules:?}");
    for rule in rules {
        let target = &r[rule]["Properties"]["Targets"][0];
        assert!(target["DeadLetterConfig"]["Arn"].is_object(), "{rule}");
        assert!(target["RetryPolicy"].is_object(), "{rule}");
    }
    for alarm in [
        "ErrorAlarm",
        "DeadLetterAlarm",
        "AssessErrorAlarm",
        "AssessDeadLetterAlarm",
        "FleetFailedAlarm",
        "IntakeAgeAlarm",
        "RuleDeliveryAlarm",
        "RuleDeadLetterAlarm",
    ] {
        assert_eq!(
            r[alarm]["Properties"]["AlarmActions"][0]["Ref"], "AlertTopic",
            "{alarm}"
        );
    }
    // The bus admits only the organization.
    assert_eq!(
        r["HubBusPolicy"]["Properties"]["Statement"]["Condition"]["StringEquals"]
            ["aws:PrincipalOrgID"]["Ref"],
        "OrganizationId"
    );
    // The report bucket: encrypted, private, TLS only, expiring.
    let b = &r["ReportBucket"]["Properties"];
    assert!(b["BucketEncryption"].is_object());
    assert_eq!(
        b["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
        true
    );
    assert!(b["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"].is_object());
    let deny = &r["ReportBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Condition"]["Bool"]["aws:SecureTransport"], "false");
    // The custom actions.
    assert_eq!(r["IsolateAction"]["Properties"]["Id"], "RampartIsolate");
    assert_eq!(r["RemediateAction"]["Properties"]["Id"], "RampartRemediate");
    for a in ["IsolateAction", "RemediateAction"] {
        let name = r[a]["Properties"]["Name"].as_str().expect("name");
        assert!(name.len() <= 20, "{a}: Security Hub allows 20 characters");
    }
}

#[test]
fn org_bootstrap_deploys_service_managed_stacksets_and_covers_the_management_account() {
    let t = template("org-bootstrap.yaml");
    let r = &t["Resources"];
    for ss in ["MemberGlobalStackSet", "MemberRegionalStackSet"] {
        let p = &r[ss]["Properties"];
        assert_eq!(p["PermissionModel"], "SERVICE_MANAGED", "{ss}");
        assert_eq!(p["AutoDeployment"]["Enabled"], true, "{ss}");
        assert_eq!(p["CallAs"]["Ref"], "CallAs");
        for k in [
            "MaxConcurrentPercentage",
            "FailureTolerancePercentage",
            "RegionConcurrencyType",
        ] {
            assert_eq!(p["OperationPreferences"][k]["Ref"], k, "{ss} {k}");
        }
    }
    for ss in ["ManagementGlobalStackSet", "ManagementRegionalStackSet"] {
        assert_eq!(r[ss]["Condition"], "InManagementAccount");
        let targets = &r[ss]["Properties"]["StackInstancesGroup"][0]["DeploymentTargets"];
        assert_eq!(targets["Accounts"][0]["Ref"], "AWS::AccountId", "{ss}");
    }
    // The member templates' parameters that the StackSets pass exist there.
    for (ss, file) in [
        ("MemberGlobalStackSet", "member-global.yaml"),
        ("MemberRegionalStackSet", "member-regional.yaml"),
        ("ManagementGlobalStackSet", "member-global.yaml"),
        ("ManagementRegionalStackSet", "member-regional.yaml"),
    ] {
        let member = template(file);
        for p in r[ss]["Properties"]["Parameters"]
            .as_array()
            .expect("params")
        {
            let key = p["ParameterKey"].as_str().expect("key");
            assert!(
                member["Parameters"].get(key).is_some(),
                "{ss} passes {key}, which {file} does not take"
            );
        }
    }
}

#[test]
fn templates_pass_the_template_audit() {
    let cfg = rampart_template::audit::AuditConfig::default();
    for name in TEMPLATES {
        let r = rampart_template::audit::audit_text(name, &text(name), &cfg);
        assert!(
            matches!(r.decision, rampart_template::score::Decision::Pass),
            "{name}: {:?} risk {} findings {:?}",
            r.decision,
            r.risk_total,
            r.findings
        );
    }
}

#[test]
fn templates_pass_the_pinned_cfn_lint() {
    let exe = stacksets::cfn_lint().expect("install cfn-lint");
    let out = std::process::Command::new(exe)
        .current_dir(stacksets::dir())
        .args(TEMPLATES)
        .output()
        .expect("run cfn-lint");
    assert!(
        out.status.success(),
        "cfn-lint {}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every rule that delivers into a queue or dead-letters into one is admitted by that queue's
/// policy (and only those rules are): a rule whose dead-letter target refuses it loses events.
/// The member's events reach the hub only through the intake queue, by the registry's
/// patterns; nothing on the hub's bus reaches the function directly.
#[test]
fn every_rule_is_admitted_by_the_queues_it_sends_to() {
    let t = template("hub.yaml");
    let r = &t["Resources"];
    for (queue, policy) in [
        ("DeadLetterQueue", "DeadLetterQueuePolicy"),
        ("IntakeQueue", "IntakeQueuePolicy"),
    ] {
        let senders = rampart_hub::deploy::sources::senders(&t, queue);
        assert!(!senders.is_empty(), "{queue}");
        let admitted = r[policy]["Properties"]["PolicyDocument"]["Statement"][0]["Condition"]
            ["ArnEquals"]["aws:SourceArn"]
            .to_string();
        for (rule, _) in &senders {
            assert!(
                admitted.contains(&format!("\"{rule}\"")),
                "{rule} sends to {queue} but {policy} does not admit it: {admitted}"
            );
        }
        let count = admitted.matches("Fn::GetAtt").count();
        assert_eq!(
            count,
            senders.len(),
            "{policy} admits a rule that does not send"
        );
    }
    for (name, v) in r.as_object().unwrap() {
        if v["Type"] != "AWS::Events::Rule" {
            continue;
        }
        if v["Properties"]["EventBusName"]["Ref"] == "HubBus" {
            let target = &v["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0];
            assert_eq!(target, "IntakeQueue", "{name}");
            assert!(
                v["Properties"]["EventPattern"]["detail-type"].is_array(),
                "{name} matches by pattern, not by source prefix"
            );
        }
    }
    let m = &r["IntakeMapping"]["Properties"];
    assert_eq!(
        m["FunctionResponseTypes"],
        serde_json::json!(["ReportBatchItemFailures"])
    );
    assert_eq!(
        r["IntakeQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0],
        "DeadLetterQueue"
    );
}

/// Automatic remediation is off unless controls are listed; when on, the hub receives only
/// FAILED, active, open control findings of those controls (never the RESOLVED update its own
/// remediation causes) through the intake queue, with retries and a dead-letter queue, and
/// knows the list.
#[test]
fn automatic_remediation_rules_follow_the_control_list() {
    let t = template("hub.yaml");
    let r = &t["Resources"];
    assert_eq!(t["Parameters"]["AutoRemediateControls"]["Default"], "");
    for (name, detail_type) in [
        ("ControlFindingsRule", "Security Hub Findings - Imported"),
        ("ControlFindingsV2Rule", "Findings Imported V2"),
    ] {
        let rule = &r[name];
        assert_eq!(rule["Condition"], "AutoRemediate", "{name}");
        let p = &rule["Properties"]["EventPattern"];
        assert_eq!(p["detail-type"][0], detail_type);
        let target = &rule["Properties"]["Targets"][0];
        assert_eq!(target["Arn"]["Fn::GetAtt"][0], "IntakeQueue");
        assert!(target["DeadLetterConfig"].is_object(), "{name}");
    }
    let f = &r["ControlFindingsRule"]["Properties"]["EventPattern"]["detail"]["findings"];
    assert_eq!(f["Compliance"]["Status"], serde_json::json!(["FAILED"]));
    assert_eq!(
        f["Compliance"]["SecurityControlId"]["Ref"],
        "AutoRemediateControls"
    );
    assert_eq!(f["RecordState"], serde_json::json!(["ACTIVE"]));
    assert_eq!(
        f["Workflow"]["Status"],
        serde_json::json!(["NEW", "NOTIFIED"])
    );
    let v2 = &r["ControlFindingsV2Rule"]["Properties"]["EventPattern"]["detail"]["findings"];
    assert_eq!(v2["compliance"]["status"], serde_json::json!(["Fail"]));
    let env = &r["HubFunction"]["Properties"]["Environment"]["Variables"];
    assert!(env["RAMPART_AUTO_REMEDIATE"].is_object(), "{env}");
    assert!(env["RAMPART_ROLE_NAME"].is_object(), "{env}");
}
