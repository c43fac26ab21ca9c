//! The templates in stacksets/ deployed through the emulator's CloudFormation: the member
//! stacks in a member account (and the hub then reaches the roles they created), the hub stack
//! and the organization bootstrap as far as the emulator models them.
//!
//! What the emulator (moto 5.2.5) cannot do, and so these tests cannot show: it evaluates no
//! trust or permission policy (any AssumeRole succeeds; the tests check the trust policy
//! instead), it runs no Lambda (the custom resources creating the Security Hub custom actions
//! stay CREATE_IN_PROGRESS, so the hub stack never reaches CREATE_COMPLETE), and it does not
//! model AWS::CloudFormation::StackSet or AWS::SQS::QueuePolicy as stack resources (skipped).

use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus};
use rampart_hub::session::{session_name, SessionSpec, Sessions};
use rampart_testbed::emulator::MANAGEMENT_ACCOUNT;
use rampart_testbed::fixtures::{self, Profile};
use rampart_testbed::stacksets;
use rampart_testbed::Emulator;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const REGION: &str = "us-east-1";
const EXTERNAL_ID: &str = "rampart-test-external-id";

fn param(k: &str, v: &str) -> Parameter {
    Parameter::builder()
        .parameter_key(k)
        .parameter_value(v)
        .build()
}

fn body(name: &str) -> String {
    std::fs::read_to_string(stacksets::dir().join(name)).expect("template")
}

async fn create(
    cfg: &aws_config::SdkConfig,
    stack: &str,
    template: &str,
    params: Vec<Parameter>,
) -> (StackStatus, Vec<(String, String, String)>) {
    let cf = aws_sdk_cloudformation::Client::new(cfg);
    cf.create_stack()
        .stack_name(stack)
        .template_body(body(template))
        .set_parameters(Some(params))
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create_stack {template}: {e:?}"));
    let s = cf
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .expect("describe_stacks");
    let status = s.stacks()[0].stack_status().cloned().expect("status");
    let resources = cf
        .list_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .expect("list_stack_resources");
    let rows = resources
        .stack_resource_summaries()
        .iter()
        .map(|r| {
            (
                r.logical_resource_id().unwrap_or("").to_string(),
                r.resource_type().unwrap_or("").to_string(),
                r.resource_status()
                    .map(|s| s.as_str())
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    (status, rows)
}

async fn organization_id(base: &aws_config::SdkConfig) -> String {
    aws_sdk_organizations::Client::new(base)
        .describe_organization()
        .send()
        .await
        .expect("organization")
        .organization()
        .and_then(|o| o.id())
        .expect("id")
        .to_string()
}

fn actions(doc: &Value) -> BTreeSet<String> {
    doc["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| s["Action"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect()
}

async fn inline_policy(iam: &aws_sdk_iam::Client, role: &str, name: &str) -> Value {
    let p = iam
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{role}/{name}: {e:?}"));
    let doc = p.policy_document();
    let text = rampart_testbed::url_decode(doc);
    serde_json::from_str(&text).unwrap_or_else(|_| serde_json::from_str(doc).expect("policy JSON"))
}

#[test]
fn member_stacks_deploy_in_a_member_and_the_hub_reaches_their_roles() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        let org_id = organization_id(&base).await;
        let member = org.members[0].id.clone();
        let member_cfg = fixtures::member_config(&base, &member, REGION).await;

        let (status, resources) = create(
            &member_cfg,
            "rampart-member-global",
            "member-global.yaml",
            vec![
                param("HubAccountId", MANAGEMENT_ACCOUNT),
                param("OrganizationId", &org_id),
                param("ExternalId", EXTERNAL_ID),
            ],
        )
        .await;
        assert_eq!(status, StackStatus::CreateComplete, "{resources:?}");
        assert_eq!(resources.len(), 3, "{resources:?}");

        // The roles exist in the member with exactly the generated policies.
        let iam = aws_sdk_iam::Client::new(&member_cfg);
        let assess = inline_policy(&iam, "RampartAssess", "rampart-assess").await;
        assert_eq!(
            assess,
            stacksets::document("assess-member").expect("doc"),
            "the assessment role's policy (no substitutions) is the generated one"
        );
        let respond = inline_policy(&iam, "RampartResponder", "rampart-response").await;
        assert_eq!(
            actions(&respond),
            actions(&stacksets::document("respond-member").expect("doc"))
        );
        assert!(respond
            .to_string()
            .contains(&format!(":{member}:role/RampartAssess")));
        // Each trusts its hub role (the assessment role also the response Lambda's, which
        // re-evaluates what it remediated), inside this organization, with the ExternalId.
        let hub_arn = |r: &str| format!("arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/{r}");
        for (role, hub_roles) in [
            (
                "RampartAssess",
                json!([hub_arn("RampartHubAssess"), hub_arn("RampartHubResponder")]),
            ),
            ("RampartResponder", json!(hub_arn("RampartHubResponder"))),
        ] {
            let r = iam.get_role().role_name(role).send().await.expect("role");
            let r = r.role().expect("role");
            let doc = r.assume_role_policy_document().unwrap_or("");
            let trust: Value = serde_json::from_str(&rampart_testbed::url_decode(doc))
                .or_else(|_| serde_json::from_str(doc))
                .expect("trust JSON");
            let st = &trust["Statement"][0];
            assert_eq!(st["Principal"]["AWS"], hub_roles, "{role}");
            assert_eq!(
                st["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
                org_id
            );
            assert_eq!(
                st["Condition"]["StringEquals"]["sts:ExternalId"],
                EXTERNAL_ID
            );
        }
        let policy = iam
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .send()
            .await
            .expect("policies");
        assert!(policy
            .policies()
            .iter()
            .any(|p| p.policy_name() == Some("RampartRequireMFA")));

        // The hub opens sessions into both roles as the CLI and the Lambdas do.
        for role in ["RampartAssess", "RampartResponder"] {
            let spec = SessionSpec {
                role_name: role.into(),
                external_id: Some(EXTERNAL_ID.into()),
                session_name: session_name("rampart-deploy-test", "run-1"),
                duration: Duration::from_secs(900),
                sts_region: REGION.into(),
            };
            let sessions = Sessions::new(base.clone(), MANAGEMENT_ACCOUNT.into(), spec);
            let cfg = sessions.open(&member).await.expect("session");
            let me = aws_sdk_sts::Client::new(&cfg)
                .get_caller_identity()
                .send()
                .await
                .expect("identity");
            assert_eq!(me.account(), Some(member.as_str()));
            assert!(
                me.arn()
                    .is_some_and(|a| a.contains(&format!("assumed-role/{role}/"))),
                "{:?}",
                me.arn()
            );
        }

        // The regional stack: the rules forward to the hub bus through the forwarding role.
        let (status, resources) = create(
            &member_cfg,
            "rampart-member-regional",
            "member-regional.yaml",
            vec![param("HubAccountId", MANAGEMENT_ACCOUNT)],
        )
        .await;
        assert_eq!(status, StackStatus::CreateComplete, "{resources:?}");
        let events = aws_sdk_eventbridge_targets(&member_cfg, "rampart-cloudtrail-tamper").await;
        assert_eq!(
            events,
            vec![format!(
                "arn:aws:events:{REGION}:{MANAGEMENT_ACCOUNT}:event-bus/rampart-hub"
            )]
        );
    });
}

/// The targets of a rule on the default bus, through CloudFormation's own view (the testbed
/// has no EventBridge client): the rule resource's physical id is its name.
async fn aws_sdk_eventbridge_targets(cfg: &aws_config::SdkConfig, rule: &str) -> Vec<String> {
    let cf = aws_sdk_cloudformation::Client::new(cfg);
    let r = cf
        .describe_stack_resource()
        .stack_name("rampart-member-regional")
        .logical_resource_id("CloudTrailTamperRule")
        .send()
        .await
        .expect("rule resource");
    let detail = r.stack_resource_detail().expect("detail");
    assert_eq!(detail.physical_resource_id(), Some(rule));
    let t = stacksets::template("member-regional.yaml").expect("template");
    let arn = t["Resources"]["CloudTrailTamperRule"]["Properties"]["Targets"][0]["Arn"]["Fn::Sub"]
        .as_str()
        .expect("target")
        .replace("${AWS::Partition}", "aws")
        .replace("${HubRegion}", REGION)
        .replace("${HubAccountId}", MANAGEMENT_ACCOUNT)
        .replace("${HubBusName}", "rampart-hub");
    vec![arn]
}

#[test]
fn hub_and_org_bootstrap_deploy_as_far_as_the_emulator_models_them() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        fixtures::create_org(&base, &[], &[REGION])
            .await
            .expect("org");
        let org_id = organization_id(&base).await;

        // The Lambda code, where the hub stack looks for it.
        let s3 = aws_sdk_s3::Client::new(&base);
        let code_bucket = format!("rampart-code-{REGION}");
        s3.create_bucket()
            .bucket(&code_bucket)
            .send()
            .await
            .expect("bucket");
        for f in ["rampart-hub-lambda", "rampart-assess-lambda"] {
            s3.put_object()
                .bucket(&code_bucket)
                .key(format!("rampart/0.1.0/{f}-arm64.zip"))
                .body(aws_sdk_s3::primitives::ByteStream::from_static(
                    b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
                ))
                .send()
                .await
                .expect("zip");
        }
        let (status, resources) = create(
            &base,
            "rampart-hub",
            "hub.yaml",
            vec![
                param("OrganizationId", &org_id),
                param("CodeBucketPrefix", "rampart-code"),
                param("AssessRegions", REGION),
            ],
        )
        .await;
        // Only the custom resources (a Lambda the emulator cannot run) are left waiting.
        assert!(
            matches!(
                status,
                StackStatus::CreateInProgress | StackStatus::CreateComplete
            ),
            "{status:?} {resources:?}"
        );
        let t = stacksets::template("hub.yaml").expect("template");
        let declared = t["Resources"].as_object().expect("resources");
        for (id, ty, st) in &resources {
            if id.is_empty() {
                continue; // a resource type the emulator does not model
            }
            if ty.starts_with("Custom::") {
                continue;
            }
            assert_eq!(st, "CREATE_COMPLETE", "{id} ({ty})");
        }
        let created: BTreeSet<&str> = resources.iter().map(|(id, ..)| id.as_str()).collect();
        for must in [
            "AuditTable",
            "StateTable",
            "HubBus",
            "HubFunction",
            "AssessFunction",
            "FleetStateMachine",
            "FleetSchedule",
            "ReportBucket",
            "HubRole",
            "AssessFunctionRole",
        ] {
            assert!(created.contains(must), "{must} not created: {resources:?}");
            assert!(declared.contains_key(must));
        }
        let iam = aws_sdk_iam::Client::new(&base);
        for (role, policy, section) in [
            ("RampartHubResponder", "rampart-hub-response", "hub-respond"),
            ("RampartHubAssess", "rampart-assess", "assess-hub"),
        ] {
            let got = inline_policy(&iam, role, policy).await;
            assert_eq!(
                actions(&got),
                actions(&stacksets::document(section).expect("doc")),
                "{role}"
            );
        }
        let dynamo = aws_sdk_dynamodb::Client::new(&base);
        let tables = dynamo.list_tables().send().await.expect("tables");
        for t in ["rampart-audit", "rampart-state"] {
            assert!(tables.table_names().iter().any(|n| n == t), "{t}");
        }

        // The organization bootstrap: the StackSets are not modelled by the emulator's
        // CloudFormation; the management account's StackSet roles are.
        let (status, resources) = create(
            &base,
            "rampart-org-bootstrap",
            "org-bootstrap.yaml",
            vec![
                param("HubAccountId", MANAGEMENT_ACCOUNT),
                param("OrganizationId", &org_id),
                param("TargetOuIds", "ou-abcd-12345678"),
                param("TemplateBucket", &code_bucket),
            ],
        )
        .await;
        assert_eq!(status, StackStatus::CreateComplete, "{resources:?}");
        for role in ["RampartStackSetAdministration", "RampartStackSetExecution"] {
            iam.get_role()
                .role_name(role)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{role}: {e:?}"));
        }
    });
}
