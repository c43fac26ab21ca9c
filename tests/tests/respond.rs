//! Event-driven response end to end: real event JSON as AWS delivers it, a member account
//! reached through its role, the emulator's real state checked afterwards, alerts read back from
//! an SQS queue subscribed to the alert topic, and audit items read back from DynamoDB.

use rampart_common::response::{Countermeasure, Mode};
use rampart_hub::respond::record::{Disposition, Outcome, Stage, Status};
use rampart_hub::respond::Responder;
use rampart_testbed::fixtures::{self, member_config, Profile};
use rampart_testbed::respond::{alerts, config, event, hub_resources, responder};
use rampart_testbed::Emulator;

const REGION: &str = "us-east-1";

fn done(o: &Outcome, action: &str) -> usize {
    o.actions
        .iter()
        .filter(|a| a.action == action && a.status == Status::Done)
        .count()
}

async fn handle(r: &Responder, name: &str, vars: &[(&str, &str)]) -> Outcome {
    let raw = event(name, vars).expect("event fixture");
    r.handle_bytes(raw.as_bytes()).await
}

#[test]
fn cloudtrail_tamper_is_reverted_alerted_and_audited() {
    rampart_testbed::block_on(cloudtrail_tamper_body());
}

async fn cloudtrail_tamper_body() {
    let emu = Emulator::start().expect("emulator");
    let base = emu.sdk_config(REGION).await;
    let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
        .await
        .expect("org");
    let acct = org.members[0].id.clone();
    let hub = hub_resources(&base).await.expect("hub resources");
    let mut cfg = config(&hub);
    cfg.countermeasure = Some(Countermeasure::First);
    cfg.allowed_regions = Some(vec![REGION.into()]);
    let r = responder(&base, cfg, false);
    let since = rampart_testbed::chrono_now();

    // The schedule records the trail's configuration first.
    let sched = serde_json::json!({"version":"0","id":"sched-1","detail-type":"Scheduled Event",
        "source":"aws.events","account":org.management,"time":"2026-11-28T00:00:00Z","region":REGION,
        "resources":["arn:aws:events:us-east-1:123456789012:rule/rampart-record-trails"],"detail":{}});
    let o = r.handle_value(&sched).await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert!(r
        .store()
        .trail_record(&acct, REGION, "org-audit")
        .await
        .unwrap()
        .is_some());

    let member = member_config(&base, &acct, REGION).await;
    let ct = aws_sdk_cloudtrail::Client::new(&member);
    let iam = aws_sdk_iam::Client::new(&member);
    iam.create_user().user_name("mallory").send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name("mallory")
        .send()
        .await
        .unwrap()
        .access_key()
        .map(|k| k.access_key_id().to_string())
        .unwrap();

    // 1. StopLogging by an IAM user.
    ct.stop_logging().name("org-audit").send().await.unwrap();
    let vars = [
        ("EVENT_ID", "6f1c1d0e-0000-4000-8000-000000000001"),
        ("ACCOUNT", acct.as_str()),
        ("REGION", REGION),
        ("USER", "mallory"),
        ("TRAIL", "org-audit"),
    ];
    let o = handle(&r, "cloudtrail-stoplogging", &vars).await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert_eq!(done(&o, "cloudtrail:StartLogging"), 1);
    let status = ct
        .get_trail_status()
        .name("org-audit")
        .send()
        .await
        .unwrap();
    assert_eq!(status.is_logging(), Some(true));
    // Priority action came before forensics and countermeasure.
    let first = o
        .actions
        .iter()
        .position(|a| a.stage == Stage::PriorityAction);
    let forensic = o.actions.iter().position(|a| a.stage == Stage::Forensics);
    assert!(first < forensic, "{o:#?}");
    assert_eq!(o.forensics.as_ref().unwrap()["source_ip"], "203.0.113.77");
    assert_eq!(o.forensics.as_ref().unwrap()["actor"]["type"], "iam_user");
    // Countermeasure on first offence: keys off, deny policy on.
    let keys = iam
        .list_access_keys()
        .user_name("mallory")
        .send()
        .await
        .unwrap();
    let k = keys
        .access_key_metadata()
        .iter()
        .find(|m| m.access_key_id() == Some(key.as_str()))
        .unwrap();
    assert_eq!(k.status().map(|s| s.as_str()), Some("Inactive"));
    let pol = iam
        .get_user_policy()
        .user_name("mallory")
        .policy_name("rampart-deny-all")
        .send()
        .await
        .unwrap();
    assert!(pol.policy_document().contains("Deny"));

    // 2. The same event delivered again acts once.
    iam.update_access_key()
        .user_name("mallory")
        .access_key_id(&key)
        .status(aws_sdk_iam::types::StatusType::Active)
        .send()
        .await
        .unwrap();
    let again = handle(&r, "cloudtrail-stoplogging", &vars).await;
    assert_eq!(again.disposition, Disposition::Duplicate, "{again:#?}");
    let keys = iam
        .list_access_keys()
        .user_name("mallory")
        .send()
        .await
        .unwrap();
    assert!(keys
        .access_key_metadata()
        .iter()
        .all(|m| m.status().map(|s| s.as_str()) == Some("Active")));

    // 3. UpdateTrail redirecting the logs, by an assumed role: settings restored, the role's
    //    older sessions revoked.
    iam.create_role()
        .role_name("DevOps")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .unwrap();
    let attacker_bucket = format!("exfil-{acct}");
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&member)
            .force_path_style(true)
            .build(),
    )
    .create_bucket()
    .bucket(&attacker_bucket)
    .send()
    .await
    .unwrap();
    ct.update_trail()
        .name("org-audit")
        .s3_bucket_name(&attacker_bucket)
        .is_multi_region_trail(false)
        .send()
        .await
        .unwrap();
    let o = handle(
        &r,
        "cloudtrail-updatetrail",
        &[
            ("EVENT_ID", "6f1c1d0e-0000-4000-8000-000000000002"),
            ("ACCOUNT", acct.as_str()),
            ("REGION", REGION),
            ("ROLE", "DevOps"),
            ("SESSION", "eve"),
            ("TRAIL", "org-audit"),
            ("ATTACKER_BUCKET", attacker_bucket.as_str()),
        ],
    )
    .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    let t = ct
        .describe_trails()
        .trail_name_list("org-audit")
        .send()
        .await
        .unwrap();
    let t = &t.trail_list()[0];
    assert_eq!(
        t.s3_bucket_name(),
        Some(format!("trail-logs-{acct}").as_str())
    );
    assert_eq!(t.is_multi_region_trail(), Some(true));
    let update = o
        .actions
        .iter()
        .find(|a| a.action == "cloudtrail:UpdateTrail")
        .unwrap();
    assert_eq!(
        update.prior_state.as_ref().unwrap()["s3_bucket"],
        attacker_bucket.as_str(),
        "prior state recorded"
    );
    let revoke = iam
        .get_role_policy()
        .role_name("DevOps")
        .policy_name("rampart-revoke-older-sessions")
        .send()
        .await
        .unwrap();
    assert!(
        revoke.policy_document().contains("TokenIssueTime"),
        "{}",
        revoke.policy_document()
    );

    // 4. DeleteTrail by root: recreated from the record and logging; no countermeasure on root.
    ct.delete_trail().name("org-audit").send().await.unwrap();
    let o = handle(
        &r,
        "cloudtrail-deletetrail",
        &[
            ("EVENT_ID", "6f1c1d0e-0000-4000-8000-000000000003"),
            ("ACCOUNT", acct.as_str()),
            ("REGION", REGION),
            ("TRAIL", "org-audit"),
        ],
    )
    .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert_eq!(done(&o, "cloudtrail:CreateTrail"), 1);
    let t = ct
        .describe_trails()
        .trail_name_list("org-audit")
        .send()
        .await
        .unwrap();
    let t = &t.trail_list()[0];
    assert_eq!(
        t.s3_bucket_name(),
        Some(format!("trail-logs-{acct}").as_str())
    );
    assert_eq!(t.is_multi_region_trail(), Some(true));
    let status = ct
        .get_trail_status()
        .name("org-audit")
        .send()
        .await
        .unwrap();
    assert_eq!(status.is_logging(), Some(true));
    assert!(o
        .actions
        .iter()
        .any(|a| a.stage == Stage::Countermeasure && a.status == Status::Skipped));

    // Alerts: one per incident (schedule, three tamper events); none for the duplicate.
    let got = alerts(&base, &hub.queue_url).await.unwrap();
    let tamper: Vec<_> = got
        .iter()
        .filter(|m| m["Message"]["incident"]["playbook"] == "cloudtrail-tamper")
        .collect();
    assert_eq!(tamper.len(), 3, "{got:#?}");
    assert!(tamper[0]["Subject"]
        .as_str()
        .unwrap()
        .starts_with("[rampart] cloudtrail-tamper acted in"));
    assert_eq!(tamper[0]["Message"]["incident"]["account"], acct.as_str());

    // Audit: items for every incident, queryable by account and time, the duplicate included.
    let items = r.store().query(Some(&acct), &since).await.unwrap();
    let events: std::collections::BTreeSet<_> = items.iter().map(|i| i.event_id.clone()).collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(items.iter().any(|i| i.disposition == "duplicate"));
    assert!(items
        .iter()
        .any(|i| i.action == "cloudtrail:StartLogging" && i.status == "done"));
}

#[test]
fn plan_mode_changes_nothing() {
    rampart_testbed::block_on(plan_mode_body());
}

async fn plan_mode_body() {
    let emu = Emulator::start().expect("emulator");
    let base = emu.sdk_config(REGION).await;
    let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
        .await
        .expect("org");
    let acct = org.members[0].id.clone();
    let hub = hub_resources(&base).await.expect("hub resources");
    let mut cfg = config(&hub);
    cfg.countermeasure = Some(Countermeasure::First);
    let member = member_config(&base, &acct, REGION).await;
    let ct = aws_sdk_cloudtrail::Client::new(&member);
    aws_sdk_iam::Client::new(&member)
        .create_user()
        .user_name("mallory")
        .send()
        .await
        .unwrap();
    ct.stop_logging().name("org-audit").send().await.unwrap();
    let vars = [
        ("EVENT_ID", "7e000000-0000-4000-8000-000000000001"),
        ("ACCOUNT", acct.as_str()),
        ("REGION", REGION),
        ("USER", "mallory"),
        ("TRAIL", "org-audit"),
    ];
    // Forced plan (--plan) and the configured plan mode both change nothing.
    for r in [
        responder(&base, cfg.clone(), true),
        responder(
            &base,
            rampart_common::ResponseConfig {
                cloudtrail_tamper: Some(Mode::Plan),
                ..cfg.clone()
            },
            false,
        ),
    ] {
        let o = handle(&r, "cloudtrail-stoplogging", &vars).await;
        assert_eq!(o.disposition, Disposition::Planned, "{o:#?}");
        assert!(o
            .actions
            .iter()
            .any(|a| a.action == "cloudtrail:StartLogging" && a.status == Status::Planned));
        assert!(o.actions.iter().all(|a| a.status != Status::Done
            || a.stage == Stage::Forensics
            || a.stage == Stage::Alert));
        let status = ct
            .get_trail_status()
            .name("org-audit")
            .send()
            .await
            .unwrap();
        assert_eq!(
            status.is_logging(),
            Some(false),
            "plan must not start logging"
        );
    }
    // A plan does not claim the event: enforcing afterwards still acts.
    let r = responder(&base, cfg, false);
    let o = handle(&r, "cloudtrail-stoplogging", &vars).await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert_eq!(done(&o, "cloudtrail:StartLogging"), 1, "{o:#?}");
}
