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

fn stop_logging(event_id: &str, account: &str) -> String {
    rampart_testbed::respond::stop_logging(event_id, account, REGION).expect("event fixture")
}

async fn handle(r: &Responder, name: &str, vars: &[(&str, &str)]) -> Outcome {
    let raw = event(name, vars).expect("event fixture");
    r.handle_bytes(raw.as_bytes()).await
}

#[test]
fn cloudtrail_tamper_is_reverted_alerted_and_audited() {
    rampart_testbed::block_on(cloudtrail_tamper_body());
}

/// The emulator with AWS managed policies loaded: the countermeasure attaches AWSDenyAll.
fn emulator_with_managed_policies() -> Emulator {
    Emulator::start_with(rampart_testbed::emulator::Options {
        load_managed_policies: true,
    })
    .expect("emulator")
}

async fn deny_all_attached(iam: &aws_sdk_iam::Client, user: &str) -> bool {
    iam.list_attached_user_policies()
        .user_name(user)
        .send()
        .await
        .unwrap()
        .attached_policies()
        .iter()
        .any(|p| p.policy_arn() == Some("arn:aws:iam::aws:policy/AWSDenyAll"))
}

async fn cloudtrail_tamper_body() {
    let emu = emulator_with_managed_policies();
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
    assert!(deny_all_attached(&iam, "mallory").await);

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
    // The role is denied everything with the AWS managed policy, attached; no inline policy.
    let attached = iam
        .list_attached_role_policies()
        .role_name("DevOps")
        .send()
        .await
        .unwrap();
    assert!(
        attached
            .attached_policies()
            .iter()
            .any(|p| p.policy_arn() == Some("arn:aws:iam::aws:policy/AWSDenyAll")),
        "{attached:?}"
    );
    let inline = iam
        .list_role_policies()
        .role_name("DevOps")
        .send()
        .await
        .unwrap();
    assert!(inline.policy_names().is_empty(), "{inline:?}");

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

    // Audit: items for every incident, queryable by account and time, the duplicate included;
    // the hourly record is audited per account too.
    let items = r.store().query(Some(&acct), &since).await.unwrap();
    let events: std::collections::BTreeSet<_> = items.iter().map(|i| i.event_id.clone()).collect();
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(events.contains("sched-1"), "{events:?}");
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
    let emu = emulator_with_managed_policies();
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

#[test]
fn new_users_get_mfa_with_a_seed_only_they_can_read() {
    rampart_testbed::block_on(auto_mfa_body());
}

async fn auto_mfa_body() {
    let emu = Emulator::start().expect("emulator");
    let base = emu.sdk_config(REGION).await;
    let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
        .await
        .expect("org");
    let acct = org.members[0].id.clone();
    let hub = hub_resources(&base).await.expect("hub resources");
    let member = member_config(&base, &acct, REGION).await;
    let key_arn = aws_sdk_kms::Client::new(&member)
        .create_key()
        .description("MFA seeds")
        .send()
        .await
        .unwrap()
        .key_metadata()
        .map(|k| k.arn().unwrap_or_default().to_string())
        .unwrap();
    let mut cfg = config(&hub);
    cfg.mfa_kms_key = Some(key_arn.clone());
    cfg.mfa_mode = Some(rampart_common::response::MfaMode::Enrol);
    let r = responder(&base, cfg.clone(), false);
    let iam = aws_sdk_iam::Client::new(&member);
    let sm = aws_sdk_secretsmanager::Client::new(&member);
    let user_id = iam
        .create_user()
        .user_name("new-dev")
        .send()
        .await
        .unwrap()
        .user()
        .unwrap()
        .user_id()
        .to_string();
    let secret_id = format!("rampart/mfa/{user_id}");

    let o = handle(
        &r,
        "iam-createuser",
        &[
            ("EVENT_ID", "8a000000-0000-4000-8000-000000000001"),
            ("ACCOUNT", acct.as_str()),
            ("USER", "new-dev"),
        ],
    )
    .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    let devices = iam
        .list_mfa_devices()
        .user_name("new-dev")
        .send()
        .await
        .unwrap();
    assert_eq!(devices.mfa_devices().len(), 1, "an enabled MFA device");
    let serial = devices.mfa_devices()[0].serial_number().to_string();
    let secret = sm
        .describe_secret()
        .secret_id(&secret_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        secret.kms_key_id(),
        Some(key_arn.as_str()),
        "encrypted with the configured key"
    );
    let policy = sm
        .get_resource_policy()
        .secret_id(&secret_id)
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value =
        serde_json::from_str(policy.resource_policy().unwrap_or("{}")).unwrap();
    let user_arn = format!("arn:aws:iam::{acct}:user/new-dev");
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        user_arn.as_str()
    );
    assert_eq!(policy["Statement"][1]["Effect"], "Deny");
    // Not readable with long-term access keys alone.
    assert_eq!(
        policy["Statement"][2]["Condition"]["Null"]["aws:TokenIssueTime"],
        "true"
    );
    let readers = policy["Statement"][1]["Condition"]["StringNotEquals"]["aws:PrincipalArn"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        readers,
        vec![
            serde_json::json!(user_arn),
            serde_json::json!(format!("arn:aws:iam::{acct}:role/RampartResponder"))
        ]
    );
    let value: serde_json::Value = serde_json::from_str(
        sm.get_secret_value()
            .secret_id(&secret_id)
            .send()
            .await
            .unwrap()
            .secret_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(value["serial_number"], serial.as_str());
    let seed = value["base32_seed"].as_str().unwrap().to_string();
    assert!(seed.len() >= 16);
    // The seed never leaves the secret: not in the outcome, the alert or the audit log.
    assert!(!serde_json::to_string(&o).unwrap().contains(&seed));
    let got = alerts(&base, &hub.queue_url).await.unwrap();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(!got[0].to_string().contains(&seed));
    let items = r.store().query(Some(&acct), "2000").await.unwrap();
    assert!(items
        .iter()
        .any(|i| i.action == "iam:EnableMFADevice" && i.status == "done"));
    assert!(!serde_json::to_string(&items).unwrap().contains(&seed));

    // Delivered again: acts once.
    let again = handle(
        &r,
        "iam-createuser",
        &[
            ("EVENT_ID", "8a000000-0000-4000-8000-000000000001"),
            ("ACCOUNT", acct.as_str()),
            ("USER", "new-dev"),
        ],
    )
    .await;
    assert_eq!(again.disposition, Disposition::Duplicate);

    // Bulk enforcement for existing users; the exempt one is left alone.
    for u in ["dev-a", "dev-b", "svc-exempt"] {
        iam.create_user().user_name(u).send().await.unwrap();
    }
    iam.tag_user()
        .user_name("svc-exempt")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("rampart:exempt")
                .value("true")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let outcomes = r.enforce_mfa(&acct).await.unwrap();
    let acted: Vec<_> = outcomes
        .iter()
        .filter(|o| o.disposition == Disposition::Acted)
        .filter_map(|o| o.resource.clone())
        .collect();
    assert_eq!(
        acted,
        vec![
            format!("arn:aws:iam::{acct}:user/dev-a"),
            format!("arn:aws:iam::{acct}:user/dev-b")
        ],
        "{outcomes:#?}"
    );
    for (u, n) in [("dev-a", 1), ("dev-b", 1), ("svc-exempt", 0)] {
        let d = iam.list_mfa_devices().user_name(u).send().await.unwrap();
        assert_eq!(d.mfa_devices().len(), n, "{u}");
    }

    // A secret already at the user's name is never reused for a new seed: the enrolment fails,
    // is rolled back and says why.
    let squat_id = iam
        .create_user()
        .user_name("squatted")
        .send()
        .await
        .unwrap()
        .user()
        .unwrap()
        .user_id()
        .to_string();
    sm.create_secret()
        .name(format!("rampart/mfa/{squat_id}"))
        .secret_string("planted by someone else")
        .send()
        .await
        .unwrap();
    let o = handle(
        &r,
        "iam-createuser",
        &[
            ("EVENT_ID", "8a000000-0000-4000-8000-000000000002"),
            ("ACCOUNT", acct.as_str()),
            ("USER", "squatted"),
        ],
    )
    .await;
    assert_eq!(o.disposition, Disposition::Failed, "{o:#?}");
    assert!(
        o.actions
            .iter()
            .any(|a| a.detail.contains("refusing to reuse")),
        "{o:#?}"
    );
    let d = iam
        .list_mfa_devices()
        .user_name("squatted")
        .send()
        .await
        .unwrap();
    assert!(d.mfa_devices().is_empty());
    assert_eq!(
        sm.get_secret_value()
            .secret_id(format!("rampart/mfa/{squat_id}"))
            .send()
            .await
            .unwrap()
            .secret_string(),
        Some("planted by someone else")
    );

    // The schedule deletes seeds past their age (here: any age), planned first.
    cfg.mfa_seed_max_age_hours = Some(0);
    let planner = responder(&base, cfg.clone(), true);
    let o = planner.record_trails_now(false).await;
    assert!(
        o.actions
            .iter()
            .any(|a| a.action == "secretsmanager:DeleteSecret" && a.status == Status::Planned),
        "{o:#?}"
    );
    assert!(sm
        .describe_secret()
        .secret_id(&secret_id)
        .send()
        .await
        .is_ok());
    let sweeper = responder(&base, cfg, false);
    let o = sweeper.record_trails_now(false).await;
    assert!(
        o.actions
            .iter()
            .any(|a| a.action == "secretsmanager:DeleteSecret"
                && a.target == secret_id
                && a.status == Status::Done),
        "{o:#?}"
    );
    assert!(sm
        .describe_secret()
        .secret_id(&secret_id)
        .send()
        .await
        .is_err());
    // Someone else's secret under the prefix is not Rampart's to delete.
    assert!(sm
        .describe_secret()
        .secret_id(format!("rampart/mfa/{squat_id}"))
        .send()
        .await
        .is_ok());
}

#[test]
fn new_users_are_denied_everything_until_they_enrol_mfa() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        let acct = org.members[0].id.clone();
        let hub = hub_resources(&base).await.expect("hub resources");
        let member = member_config(&base, &acct, REGION).await;
        let iam = aws_sdk_iam::Client::new(&member);
        // The member stack's require-MFA policy (stacksets/member-global.yaml).
        let policy_arn = iam
            .create_policy()
            .policy_name("RampartRequireMFA")
            .policy_document(
                rampart_member::respond::auto_mfa::require_mfa_policy_document().to_string(),
            )
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap()
            .arn()
            .unwrap()
            .to_string();
        iam.create_user().user_name("new-dev").send().await.unwrap();
        let r = responder(&base, config(&hub), false);
        let o = handle(
            &r,
            "iam-createuser",
            &[
                ("EVENT_ID", "8b000000-0000-4000-8000-000000000001"),
                ("ACCOUNT", acct.as_str()),
                ("USER", "new-dev"),
            ],
        )
        .await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
        let attached: Vec<String> = iam
            .list_attached_user_policies()
            .user_name("new-dev")
            .send()
            .await
            .unwrap()
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect();
        assert_eq!(attached, vec![policy_arn]);
        // No device and no seed were made for the user: the second factor stays theirs.
        let d = iam
            .list_mfa_devices()
            .user_name("new-dev")
            .send()
            .await
            .unwrap();
        assert!(d.mfa_devices().is_empty());
        let secrets = aws_sdk_secretsmanager::Client::new(&member)
            .list_secrets()
            .send()
            .await
            .unwrap();
        assert!(secrets.secret_list().is_empty());
        let got = alerts(&base, &hub.queue_url).await.unwrap();
        assert_eq!(got.len(), 1, "alerted: {got:#?}");
        // Idempotent: a new delivery for the same user finds the policy attached.
        let o = handle(
            &r,
            "iam-createuser",
            &[
                ("EVENT_ID", "8b000000-0000-4000-8000-000000000002"),
                ("ACCOUNT", acct.as_str()),
                ("USER", "new-dev"),
            ],
        )
        .await;
        assert!(o
            .actions
            .iter()
            .any(|a| a.action == "iam:AttachUserPolicy" && a.status == Status::Skipped));
    });
}

/// An Auto Scaling group of one instance in a `web` security group, with a second volume and a
/// second interface.
async fn tainted_instance(member: &aws_config::SdkConfig) -> (String, String) {
    let ec2 = aws_sdk_ec2::Client::new(member);
    let asg = aws_sdk_autoscaling::Client::new(member);
    let subnet = ec2
        .describe_subnets()
        .send()
        .await
        .unwrap()
        .subnets()
        .iter()
        .find(|s| s.availability_zone() == Some("us-east-1a"))
        .map(|s| s.subnet_id().unwrap_or_default().to_string())
        .unwrap();
    let web = fixtures::open_group(&ec2, "web", "tcp", 443, 443, Some("0.0.0.0/0"), None)
        .await
        .unwrap();
    asg.create_launch_configuration()
        .launch_configuration_name("web")
        .image_id("ami-12c6146b")
        .instance_type("t3.micro")
        .security_groups(web)
        .send()
        .await
        .unwrap();
    asg.create_auto_scaling_group()
        .auto_scaling_group_name("web")
        .launch_configuration_name("web")
        .min_size(1)
        .max_size(2)
        .desired_capacity(1)
        .vpc_zone_identifier(&subnet)
        .send()
        .await
        .unwrap();
    let g = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("web")
        .send()
        .await
        .unwrap();
    let id = g.auto_scaling_groups()[0].instances()[0]
        .instance_id()
        .unwrap_or_default()
        .to_string();
    let vol = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(8)
        .send()
        .await
        .unwrap();
    ec2.attach_volume()
        .volume_id(vol.volume_id().unwrap())
        .instance_id(&id)
        .device("/dev/sdf")
        .send()
        .await
        .unwrap();
    let eni = ec2
        .create_network_interface()
        .subnet_id(&subnet)
        .send()
        .await
        .unwrap();
    ec2.attach_network_interface()
        .network_interface_id(
            eni.network_interface()
                .unwrap()
                .network_interface_id()
                .unwrap(),
        )
        .instance_id(&id)
        .device_index(1)
        .send()
        .await
        .unwrap();
    (id, subnet)
}

async fn instance(ec2: &aws_sdk_ec2::Client, id: &str) -> aws_sdk_ec2::types::Instance {
    ec2.describe_instances()
        .instance_ids(id)
        .send()
        .await
        .unwrap()
        .reservations()[0]
        .instances()[0]
        .clone()
}

#[test]
fn tainted_instances_are_isolated_with_the_evidence_kept() {
    rampart_testbed::block_on(isolation_body());
}

async fn isolation_body() {
    let emu = Emulator::start().expect("emulator");
    let base = emu.sdk_config(REGION).await;
    let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
        .await
        .expect("org");
    let acct = org.members[0].id.clone();
    let hub = hub_resources(&base).await.expect("hub resources");
    let r = responder(&base, config(&hub), false);
    let member = member_config(&base, &acct, REGION).await;
    let ec2 = aws_sdk_ec2::Client::new(&member);
    let asg = aws_sdk_autoscaling::Client::new(&member);
    let (id, subnet) = tainted_instance(&member).await;
    let before = instance(&ec2, &id).await;
    let volumes = before.block_device_mappings().len();
    assert_eq!(before.network_interfaces().len(), 2);
    assert!(volumes >= 2);
    // The instance starts in its launch group, which isolation must replace, not join.
    let web: Vec<&str> = before
        .security_groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    assert_eq!(web, ["web"], "{before:?}");

    let o = handle(
        &r,
        "guardduty-ec2",
        &[
            ("EVENT_ID", "9b000000-0000-4000-8000-000000000001"),
            ("ACCOUNT", acct.as_str()),
            ("REGION", REGION),
            ("INSTANCE", id.as_str()),
            ("FINDING_ID", "a1b2c3d4e5f60718293a4b5c6d7e8f90"),
        ],
    )
    .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");

    // Out of the group, whose capacity is unchanged (it replaces the instance).
    let inst = asg
        .describe_auto_scaling_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    assert!(inst.auto_scaling_instances().is_empty(), "{inst:?}");
    let g = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("web")
        .send()
        .await
        .unwrap();
    assert_eq!(g.auto_scaling_groups()[0].desired_capacity(), Some(1));
    // Only the isolation group, on every interface; the group has no rules at all.
    let after = instance(&ec2, &id).await;
    let iso = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("rampart-isolation")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(iso.security_groups().len(), 1);
    let iso = &iso.security_groups()[0];
    assert!(
        iso.ip_permissions().is_empty() && iso.ip_permissions_egress().is_empty(),
        "{iso:?}"
    );
    let iso_id = iso.group_id().unwrap().to_string();
    assert_eq!(after.network_interfaces().len(), 2);
    for eni in after.network_interfaces() {
        let groups: Vec<_> = eni.groups().iter().filter_map(|g| g.group_id()).collect();
        assert_eq!(groups, vec![iso_id.as_str()], "{eni:?}");
    }
    // Snapshots of every volume, tagged with the incident; termination protection; tags.
    let snaps = ec2
        .describe_snapshots()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:rampart:instance")
                .values(&id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(snaps.snapshots().len(), volumes, "{snaps:?}");
    assert!(snaps.snapshots().iter().all(|s| {
        s.tags().iter().any(|t| {
            t.key() == Some("rampart:incident") && t.value() == Some(o.incident_id.as_str())
        })
    }));
    let attr = ec2
        .describe_instance_attribute()
        .instance_id(&id)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attr.disable_api_termination().and_then(|v| v.value()),
        Some(true)
    );
    assert!(after
        .tags()
        .iter()
        .any(|t| t.key() == Some("rampart:isolated") && t.value() == Some("true")));
    // Prior state recorded.
    let swap = o
        .actions
        .iter()
        .find(|a| a.action == "ec2:ModifyNetworkInterfaceAttribute")
        .unwrap();
    assert!(swap.prior_state.is_some());

    // An operator's custom action on the same instance: idempotent, the group is reused.
    let o = handle(
        &r,
        "securityhub-custom-action",
        &[
            ("EVENT_ID", "9b000000-0000-4000-8000-000000000002"),
            ("ACCOUNT", acct.as_str()),
            ("HUB", org.management.as_str()),
            ("REGION", REGION),
            ("INSTANCE", id.as_str()),
            ("FINDING_ID", "a1b2c3d4e5f60718293a4b5c6d7e8f90"),
        ],
    )
    .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert_eq!(done(&o, "ec2:ModifyNetworkInterfaceAttribute"), 0);
    assert_eq!(done(&o, "ec2:CreateSecurityGroup"), 0);

    // Plan mode (rampart isolate --plan) changes nothing.
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnet)
        .send()
        .await
        .unwrap();
    let other = run.instances()[0].instance_id().unwrap().to_string();
    let groups_before: Vec<String> = instance(&ec2, &other)
        .await
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    let planner = responder(&base, config(&hub), true);
    let o = planner.isolate(&acct, REGION, &other).await;
    assert_eq!(o.disposition, Disposition::Planned, "{o:#?}");
    assert!(o.actions.iter().any(|a| a.status == Status::Planned));
    let groups_after: Vec<String> = instance(&ec2, &other)
        .await
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    assert_eq!(groups_before, groups_after);
    let snaps = ec2
        .describe_snapshots()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:rampart:instance")
                .values(&other)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(snaps.snapshots().is_empty());

    // An exempt instance is not touched, and the decision is audited.
    ec2.create_tags()
        .resources(&other)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("rampart:exempt")
                .value("true")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let o = handle(
        &r,
        "guardduty-ec2",
        &[
            ("EVENT_ID", "9b000000-0000-4000-8000-000000000003"),
            ("ACCOUNT", acct.as_str()),
            ("REGION", REGION),
            ("INSTANCE", other.as_str()),
            ("FINDING_ID", "f0000000000000000000000000000003"),
        ],
    )
    .await;
    assert_eq!(o.disposition, Disposition::Ignored, "{o:#?}");
    assert!(o.reason.as_deref().unwrap_or("").contains("rampart:exempt"));
    let groups_after: Vec<String> = instance(&ec2, &other)
        .await
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    assert_eq!(groups_before, groups_after);
    let items = r.store().query(Some(&acct), "2000").await.unwrap();
    assert!(items.iter().any(
        |i| i.event_id == "9b000000-0000-4000-8000-000000000003" && i.disposition == "ignored"
    ));
    let got = alerts(&base, &hub.queue_url).await.unwrap();
    assert!(got
        .iter()
        .any(|m| m["Message"]["incident"]["playbook"] == "isolate"
            && m["Message"]["incident"]["resource"] == id.as_str()));
}

#[test]
fn untrusted_events_act_on_nothing_and_are_audited() {
    rampart_testbed::block_on(untrusted_body());
}

async fn untrusted_body() {
    let emu = Emulator::start().expect("emulator");
    let base = emu.sdk_config(REGION).await;
    let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
        .await
        .expect("org");
    let acct = org.members[0].id.clone();
    let hub = hub_resources(&base).await.expect("hub resources");
    let r = responder(&base, config(&hub), false);
    let member = member_config(&base, &acct, REGION).await;
    let ct = aws_sdk_cloudtrail::Client::new(&member);
    ct.stop_logging().name("org-audit").send().await.unwrap();

    let stop = stop_logging;
    // An account outside the organization.
    let o = r
        .handle_bytes(stop("c0000000-0000-4000-8000-000000000001", "999999999999").as_bytes())
        .await;
    assert_eq!(o.disposition, Disposition::Rejected, "{o:#?}");
    assert!(
        o.reason.as_deref().unwrap().contains("not a member"),
        "{o:#?}"
    );
    // A forged, non-AWS source.
    let forged = stop("c0000000-0000-4000-8000-000000000002", &acct).replace(
        "\"source\": \"aws.cloudtrail\"",
        "\"source\": \"attacker.cloudtrail\"",
    );
    let o = r.handle_bytes(forged.as_bytes()).await;
    assert_eq!(o.disposition, Disposition::Rejected, "{o:#?}");
    assert!(o.reason.as_deref().unwrap().contains("attacker.cloudtrail"));
    // Malformed: not JSON, and JSON without the fields a CloudTrail event must have.
    let o = r.handle_bytes(b"{\"version\": \"0\", \"id\": ").await;
    assert_eq!(o.disposition, Disposition::Rejected);
    let broken =
        stop("c0000000-0000-4000-8000-000000000003", &acct).replace("\"eventID\"", "\"eventId\"");
    let o = r.handle_bytes(broken.as_bytes()).await;
    assert_eq!(o.disposition, Disposition::Rejected, "{o:#?}");
    assert!(o.reason.as_deref().unwrap().contains("detail.eventID"));
    // Rampart's own session changing a trail (e.g. a remediation) is not a loop trigger: the
    // hub recorded the session's access key when it opened it.
    r.store()
        .put_own_session(
            &acct,
            &rampart_hub::session::SessionKey {
                access_key_id: "ASIAEXAMPLEKEY000002".into(),
                expires: Some(std::time::SystemTime::now() + std::time::Duration::from_secs(900)),
            },
        )
        .await
        .unwrap();
    let own = event(
        "cloudtrail-updatetrail",
        &[
            ("EVENT_ID", "c0000000-0000-4000-8000-000000000004"),
            ("ACCOUNT", acct.as_str()),
            ("REGION", REGION),
            ("ROLE", "RampartResponder"),
            ("SESSION", "rampart-respond-x"),
            ("TRAIL", "org-audit"),
            ("ATTACKER_BUCKET", "b"),
        ],
    )
    .unwrap();
    let o = r.handle_bytes(own.as_bytes()).await;
    assert_eq!(o.disposition, Disposition::Ignored, "{o:#?}");

    // Nothing acted: the trail is still stopped; the only alert is the refused event that named
    // an account outside the organization (malformed events are audited only).
    let status = ct
        .get_trail_status()
        .name("org-audit")
        .send()
        .await
        .unwrap();
    assert_eq!(status.is_logging(), Some(false));
    let got = alerts(&base, &hub.queue_url).await.unwrap();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0]["Message"]["incident"]["disposition"], "rejected");
    assert_eq!(got[0]["Message"]["incident"]["account"], "999999999999");
    // Everything audited.
    let all = r.store().query(None, "2000").await.unwrap();
    let rejected = all.iter().filter(|i| i.disposition == "rejected").count();
    assert_eq!(rejected, 4, "{all:#?}");
    assert!(all.iter().any(|i| i.account == "999999999999"));
    assert!(all.iter().any(|i| i.account == "unknown"));
}

#[test]
fn rate_cap_allow_list_repeat_offences_and_finding_copies() {
    rampart_testbed::block_on(guards_body());
}

async fn guards_body() {
    let emu = emulator_with_managed_policies();
    let base = emu.sdk_config(REGION).await;
    let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
        .await
        .expect("org");
    let acct = org.members[0].id.clone();
    let hub = hub_resources(&base).await.expect("hub resources");
    let member = member_config(&base, &acct, REGION).await;
    let ct = aws_sdk_cloudtrail::Client::new(&member);
    let iam = aws_sdk_iam::Client::new(&member);
    iam.create_user().user_name("mallory").send().await.unwrap();
    let stop = |id: &str| stop_logging(id, &acct);

    // An allow-listed actor's change is recorded and alerted, not reverted.
    let mut cfg = config(&hub);
    cfg.allow_list = Some(vec![format!("arn:aws:iam::{acct}:user/mallory")]);
    let r = responder(&base, cfg, false);
    ct.stop_logging().name("org-audit").send().await.unwrap();
    let o = r
        .handle_bytes(stop("f0000000-0000-4000-8000-000000000001").as_bytes())
        .await;
    assert_eq!(o.disposition, Disposition::Ignored, "{o:#?}");
    assert!(o.reason.as_deref().unwrap().contains("allow-listed"));
    let st = ct
        .get_trail_status()
        .name("org-audit")
        .send()
        .await
        .unwrap();
    assert_eq!(st.is_logging(), Some(false));

    // Countermeasure on repeat offences only: the first offence restarts logging and spares
    // the actor, the second deactivates their keys.
    let mut cfg = config(&hub);
    cfg.countermeasure = Some(Countermeasure::Repeat);
    let r = responder(&base, cfg, false);
    iam.create_access_key()
        .user_name("mallory")
        .send()
        .await
        .unwrap();
    let o = r
        .handle_bytes(stop("f0000000-0000-4000-8000-000000000002").as_bytes())
        .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert!(o.actions.iter().any(|a| a.stage == Stage::Countermeasure
        && a.status == Status::Skipped
        && a.detail.contains("first offence")));
    ct.stop_logging().name("org-audit").send().await.unwrap();
    let o = r
        .handle_bytes(stop("f0000000-0000-4000-8000-000000000003").as_bytes())
        .await;
    assert_eq!(done(&o, "iam:UpdateAccessKey"), 1, "{o:#?}");
    assert_eq!(done(&o, "iam:AttachUserPolicy"), 1);
    assert!(deny_all_attached(&iam, "mallory").await);

    // A trail restore never waits on an action budget the same member can spend: with a cap
    // of 1 already spent above, the next StopLogging is still restored at once.
    let mut cfg = config(&hub);
    cfg.action_rate_cap = Some(1);
    let capped = responder(&base, cfg, false);
    ct.stop_logging().name("org-audit").send().await.unwrap();
    let o = capped
        .handle_bytes(stop("f0000000-0000-4000-8000-000000000004").as_bytes())
        .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert_eq!(done(&o, "cloudtrail:StartLogging"), 1, "{o:#?}");

    // The same GuardDuty finding imported into Security Hub and delivered by the member and by
    // the administrator acts once. Isolation has its own budget: the capped responder acts.
    let r = capped;
    let ec2 = aws_sdk_ec2::Client::new(&member);
    let inst = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap()
        .instances()[0]
        .instance_id()
        .unwrap()
        .to_string();
    let custom = event(
        "securityhub-custom-action",
        &[
            ("EVENT_ID", "x"),
            ("ACCOUNT", acct.as_str()),
            ("HUB", org.management.as_str()),
            ("REGION", REGION),
            ("INSTANCE", inst.as_str()),
            ("FINDING_ID", "0123456789abcdef0123456789abcdef"),
        ],
    )
    .unwrap();
    let mut imported: serde_json::Value = serde_json::from_str(&custom).unwrap();
    imported["detail-type"] = "Security Hub Findings - Imported".into();
    imported["resources"] = serde_json::json!([]);
    let mut from_member = imported.clone();
    from_member["id"] = "f0000000-0000-4000-8000-000000000005".into();
    from_member["account"] = acct.clone().into();
    let mut from_admin = imported;
    from_admin["id"] = "f0000000-0000-4000-8000-000000000006".into();
    let first = r.handle_value(&from_member).await;
    assert_eq!(first.disposition, Disposition::Acted, "{first:#?}");
    let second = r.handle_value(&from_admin).await;
    assert_eq!(second.disposition, Disposition::Duplicate, "{second:#?}");
}

/// Two isolations in one VPC at once, before any isolation group exists: one creates the group,
/// the other tolerates the duplicate and uses it; both instances end contained.
#[test]
fn concurrent_isolations_in_one_vpc_both_end_contained() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        let acct = org.members[0].id.clone();
        let hub = hub_resources(&base).await.expect("hub resources");
        let member = member_config(&base, &acct, REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&member);
        let run = ec2
            .run_instances()
            .image_id("ami-12c6146b")
            .min_count(2)
            .max_count(2)
            .send()
            .await
            .unwrap();
        let ids: Vec<String> = run
            .instances()
            .iter()
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect();
        assert_eq!(ids.len(), 2);
        let r = responder(&base, config(&hub), false);
        let (a, b) = tokio::join!(
            r.isolate(&acct, REGION, &ids[0]),
            r.isolate(&acct, REGION, &ids[1])
        );
        for o in [&a, &b] {
            assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
        }
        for id in &ids {
            let inst = instance(&ec2, id).await;
            let enis: Vec<String> = inst
                .network_interfaces()
                .iter()
                .filter_map(|n| n.network_interface_id().map(str::to_string))
                .collect();
            let out = ec2
                .describe_network_interfaces()
                .set_network_interface_ids(Some(enis))
                .send()
                .await
                .unwrap();
            for eni in out.network_interfaces() {
                let groups: Vec<String> = eni
                    .groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect();
                assert_eq!(groups.len(), 1, "{eni:?}");
                let g = ec2
                    .describe_security_groups()
                    .group_ids(&groups[0])
                    .send()
                    .await
                    .unwrap();
                let g = &g.security_groups()[0];
                assert_eq!(g.group_name(), Some("rampart-isolation"));
                assert!(g.ip_permissions().is_empty() && g.ip_permissions_egress().is_empty());
            }
        }
    });
}
