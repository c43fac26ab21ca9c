//! The assessment Lambda's handler against the emulator: an AWS Config rule invocation is
//! answered with PutEvaluations in the rule's account, and a scheduled event assesses the
//! organization and publishes to Security Hub.

use clap::Parser;
use rampart_hub::lambda::{handle, LambdaArgs, LambdaError};
use rampart_testbed::emulator::MANAGEMENT_ACCOUNT;
use rampart_testbed::fixtures::{self, Profile};
use rampart_testbed::Emulator;
use serde_json::{json, Value};

const REGION: &str = "us-east-1";

fn args() -> LambdaArgs {
    LambdaArgs::try_parse_from(["rampart-assess-lambda", "--regions", REGION]).expect("args")
}

fn invocation(account: &str, token: &str) -> Value {
    json!({
        "version": "1.0",
        "invokingEvent": json!({
            "awsAccountId": account,
            "notificationCreationTime": "2026-03-01T10:20:30.456Z",
            "messageType": "ScheduledNotification",
            "recordVersion": "1.0"
        }).to_string(),
        "ruleParameters": "{}",
        "resultToken": token,
        "eventLeftScope": false,
        "executionRoleArn": format!("arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
        "configRuleArn": format!("arn:aws:config:{REGION}:{account}:config-rule/config-rule-abc123"),
        "configRuleName": "rampart-cis",
        "configRuleId": "config-rule-abc123",
        "accountId": account,
        "evaluationMode": "DETECTIVE"
    })
}

fn bad() -> Profile {
    Profile {
        open_ssh: true,
        password_policy: None,
        ..Profile::default()
    }
}

#[test]
fn config_rule_invocation_is_answered_with_put_evaluations() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[bad()], &[REGION])
            .await
            .expect("org");
        let member = org.members[0].id.clone();

        // A member account: assessed through the member role, answered in that account.
        let out = handle(&invocation(&member, "TESTMODE"), &args(), base.clone())
            .await
            .expect("handled");
        assert_eq!(out["trigger"], "config-rule");
        assert_eq!(out["account_id"], member.as_str());
        assert_eq!(out["compliance"], "NON_COMPLIANT");
        assert_eq!(out["test_mode"], true);
        assert_eq!(out["published"], false);
        let failed: Vec<&str> = out["failed_requirements"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        // The default version, v7.0.0: 2.8 is v3.0.0's 1.8 (password length), 6.3 its 5.2.
        assert!(failed.contains(&"2.8") && failed.contains(&"6.3"), "{out}");
        let annotation = out["annotation"].as_str().expect("annotation");
        assert!(
            annotation.len() <= 256 && annotation.starts_with("failed CIS "),
            "{annotation}"
        );

        // The function's own account: its own credentials.
        let out = handle(
            &invocation(MANAGEMENT_ACCOUNT, "TESTMODE"),
            &args(),
            base.clone(),
        )
        .await
        .expect("handled");
        assert_eq!(out["account_id"], MANAGEMENT_ACCOUNT);

        // A real result token reaches the emulator, which only implements test mode: the
        // error proves the evaluation was sent, and the handler reports it.
        let err = handle(&invocation(&member, "a-real-token"), &args(), base)
            .await
            .expect_err("the emulator refuses non-test evaluations");
        assert!(matches!(err, LambdaError::Rule(_)), "{err}");
    });
}

#[test]
fn scheduled_event_assesses_the_organization_and_publishes() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[bad()], &[REGION])
            .await
            .expect("org");
        fixtures::enable_security_hub(&base, &org)
            .await
            .expect("security hub");
        let event = json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": MANAGEMENT_ACCOUNT, "time": "2026-03-01T10:00:00Z", "region": REGION,
            "resources": [format!("arn:aws:events:{REGION}:{MANAGEMENT_ACCOUNT}:rule/rampart-nightly")],
            "detail": {}
        });
        let out = handle(&event, &args(), base.clone())
            .await
            .expect("handled");
        assert_eq!(out["trigger"], "schedule");
        assert_eq!(out["accounts"], 2);
        assert_eq!(out["published"], true);
        assert!(out["findings_imported"].as_u64().unwrap_or(0) >= 3, "{out}");
        let member = &org.members[0].id;
        let findings = fixtures::findings_in(&base, member, REGION)
            .await
            .expect("findings");
        assert!(findings
            .iter()
            .any(|f| f.check_id() == Some("ec2.sg-admin-ports-ipv4")));

        let err = handle(&json!({"source": "aws.s3"}), &args(), base)
            .await
            .expect_err("unknown event");
        assert!(matches!(err, LambdaError::Unrecognized(_)), "{err}");
    });
}
