//! The trust model of the response path, end to end: a member account (the attacker) delivers
//! events that try to make the hub act in another member account (the victim) or stand down
//! for itself. Each must be rejected with its reason and audited while the victim's state stays
//! exactly as it was. Positive controls in the same organization: the hub's own custom action
//! and the organization's GuardDuty delegated administrator may name other accounts.

use rampart_hub::respond::record::{Disposition, Outcome};
use rampart_hub::respond::Responder;
use rampart_testbed::fixtures::{self, member_config, Profile};
use rampart_testbed::respond::{alerts, config, event, hub_resources, responder};
use rampart_testbed::Emulator;
use serde_json::{json, Value};

const REGION: &str = "us-east-1";

/// What AWS would show of an instance: the groups of each interface, Rampart's tags, and the
/// snapshots taken of it.
async fn instance_state(ec2: &aws_sdk_ec2::Client, id: &str) -> Value {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .unwrap();
    let inst = &out.reservations()[0].instances()[0];
    let enis: Vec<String> = inst
        .network_interfaces()
        .iter()
        .filter_map(|n| n.network_interface_id().map(str::to_string))
        .collect();
    let groups: Vec<Vec<String>> = ec2
        .describe_network_interfaces()
        .set_network_interface_ids(Some(enis))
        .send()
        .await
        .unwrap()
        .network_interfaces()
        .iter()
        .map(|n| {
            n.groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string))
                .collect()
        })
        .collect();
    let tags: Vec<String> = inst
        .tags()
        .iter()
        .filter_map(|t| t.key())
        .filter(|k| k.starts_with("rampart:"))
        .map(str::to_string)
        .collect();
    let snaps = ec2
        .describe_snapshots()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:rampart:instance")
                .values(id)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .snapshots()
        .len();
    json!({"groups": groups, "tags": tags, "snapshots": snaps})
}

async fn launch(member: &aws_config::SdkConfig) -> String {
    aws_sdk_ec2::Client::new(member)
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
        .to_string()
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn custom_action(id: &str, sender: &str, finding_account: &str, instance_arn: &str) -> Value {
    let mut v = parse(
        &event(
            "securityhub-custom-action",
            &[
                ("EVENT_ID", id),
                ("ACCOUNT", finding_account),
                ("HUB", sender),
                ("REGION", REGION),
                ("INSTANCE", "i-placeholder"),
                ("FINDING_ID", "0123456789abcdef0123456789abcdef"),
            ],
        )
        .unwrap(),
    );
    v["detail"]["findings"][0]["Resources"][0]["Id"] = instance_arn.into();
    v
}

fn guardduty(id: &str, sender: &str, about: &str, instance: &str, finding: &str) -> Value {
    let mut v = parse(
        &event(
            "guardduty-ec2",
            &[
                ("EVENT_ID", id),
                ("ACCOUNT", about),
                ("REGION", REGION),
                ("INSTANCE", instance),
                ("FINDING_ID", finding),
            ],
        )
        .unwrap(),
    );
    v["account"] = sender.into();
    v
}

fn create_user(id: &str, sender: &str, recipient: &str, user: &str) -> Value {
    let mut v = parse(
        &event(
            "iam-createuser",
            &[("EVENT_ID", id), ("ACCOUNT", sender), ("USER", user)],
        )
        .unwrap(),
    );
    v["detail"]["recipientAccountId"] = recipient.into();
    v
}

fn rejected_because(o: &Outcome, words: &str) {
    assert_eq!(o.disposition, Disposition::Rejected, "{o:#?}");
    assert!(
        o.reason.as_deref().unwrap_or("").contains(words),
        "reason should mention {words:?}: {o:#?}"
    );
}

#[test]
fn no_member_can_make_the_hub_act_in_another_account() {
    rampart_testbed::block_on(body());
}

async fn body() {
    let emu = Emulator::start().expect("emulator");
    let base = emu.sdk_config(REGION).await;
    let org = fixtures::create_org(&base, &vec![Profile::default(); 4], &[REGION])
        .await
        .expect("org");
    let attacker = org.members[0].id.clone();
    let victim = org.members[1].id.clone();
    let gd_admin = org.members[2].id.clone();
    aws_sdk_organizations::Client::new(&base)
        .register_delegated_administrator()
        .account_id(&gd_admin)
        .service_principal("guardduty.amazonaws.com")
        .send()
        .await
        .expect("register the GuardDuty delegated administrator");
    let sh_admin = org.members[3].id.clone();
    aws_sdk_organizations::Client::new(&base)
        .register_delegated_administrator()
        .account_id(&sh_admin)
        .service_principal("securityhub.amazonaws.com")
        .send()
        .await
        .expect("register the Security Hub delegated administrator");
    let hub = hub_resources(&base).await.expect("hub resources");
    let mut cfg = config(&hub);
    cfg.allowed_regions = Some(vec![REGION.into()]);
    let r: Responder = responder(&base, cfg.clone(), false);

    let victim_cfg = member_config(&base, &victim, REGION).await;
    let victim_ec2 = aws_sdk_ec2::Client::new(&victim_cfg);
    let victim_iam = aws_sdk_iam::Client::new(&victim_cfg);
    let victim_ct = aws_sdk_cloudtrail::Client::new(&victim_cfg);
    let target = launch(&victim_cfg).await;
    let target_arn = format!("arn:aws:ec2:{REGION}:{victim}:instance/{target}");
    victim_iam
        .create_user()
        .user_name("victim-dev")
        .send()
        .await
        .unwrap();
    let before = instance_state(&victim_ec2, &target).await;
    let users_before = victim_iam
        .list_attached_user_policies()
        .user_name("victim-dev")
        .send()
        .await
        .unwrap()
        .attached_policies()
        .len();

    // 1. The attacker's own custom action named like Rampart's, on a finding of its own
    //    account whose resource is the victim's instance, and on one claiming the victim's
    //    account: neither is an operator's request.
    let o = r
        .handle_value(&custom_action(
            "a1000000-0000-4000-8000-000000000001",
            &attacker,
            &attacker,
            &target_arn,
        ))
        .await;
    rejected_because(&o, &victim);
    let o = r
        .handle_value(&custom_action(
            "a1000000-0000-4000-8000-000000000002",
            &attacker,
            &victim,
            &target_arn,
        ))
        .await;
    rejected_because(&o, "not a trusted administrator");

    // 2. A GuardDuty finding delivered by the attacker about the victim's account.
    let o = r
        .handle_value(&guardduty(
            "a1000000-0000-4000-8000-000000000003",
            &attacker,
            &victim,
            &target,
            "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
        ))
        .await;
    rejected_because(&o, "detail.accountId names account");

    // 3. A partner-bus event shaped like an IAM API call naming the victim.
    let mut partner = create_user(
        "a1000000-0000-4000-8000-000000000004",
        &victim,
        &victim,
        "victim-dev",
    );
    partner["source"] = "aws.partner/example.com/1234/rampart".into();
    let o = r.handle_value(&partner).await;
    rejected_because(&o, "did not make the call");

    // 4. A real-looking CreateUser delivered by the attacker for the victim's account.
    let o = r
        .handle_value(&create_user(
            "a1000000-0000-4000-8000-000000000005",
            &attacker,
            &victim,
            "victim-dev",
        ))
        .await;
    rejected_because(&o, "detail.recipientAccountId names account");

    // 6. The attacker's own "Scheduled Event" must not make the hub rewrite the baselines.
    let sched = |id: &str, account: &str| {
        json!({"version":"0","id":id,"detail-type":"Scheduled Event","source":"aws.events",
            "account":account,"time":"2026-11-28T00:00:00Z","region":REGION,
            "resources":[format!("arn:aws:events:{REGION}:{account}:rule/rampart-record-trails")],
            "detail":{}})
    };
    let o = r
        .handle_value(&sched(
            "a1000000-0000-4000-8000-000000000006",
            &org.management,
        ))
        .await;
    assert_eq!(
        o.disposition,
        Disposition::Acted,
        "the hub's own schedule records: {o:#?}"
    );
    let recorded = r
        .store()
        .trail_record(&victim, REGION, "org-audit")
        .await
        .unwrap()
        .expect("recorded");
    victim_ct
        .update_trail()
        .name("org-audit")
        .s3_key_prefix("elsewhere")
        .send()
        .await
        .unwrap();
    let o = r
        .handle_value(&sched("a1000000-0000-4000-8000-000000000007", &attacker))
        .await;
    rejected_because(&o, "only from the hub account");
    // Even the hub's schedule, planned, writes nothing; enforced, it reports the drift and
    // keeps the record (the tamper playbook restores it).
    let planner = responder(&base, cfg.clone(), true);
    let o = planner
        .handle_value(&sched(
            "a1000000-0000-4000-8000-000000000008",
            &org.management,
        ))
        .await;
    assert_eq!(o.disposition, Disposition::Planned, "{o:#?}");
    let o = r
        .handle_value(&sched(
            "a1000000-0000-4000-8000-000000000009",
            &org.management,
        ))
        .await;
    assert!(
        o.actions
            .iter()
            .any(|a| a.action == "trail drift" && a.target.contains(&victim)),
        "{o:#?}"
    );
    let after_record = r
        .store()
        .trail_record(&victim, REGION, "org-audit")
        .await
        .unwrap()
        .expect("still recorded");
    assert_eq!(recorded, after_record, "the baseline is not rewritten");

    // Nothing changed in the victim account.
    assert_eq!(instance_state(&victim_ec2, &target).await, before);
    let users_after = victim_iam
        .list_attached_user_policies()
        .user_name("victim-dev")
        .send()
        .await
        .unwrap()
        .attached_policies()
        .len();
    assert_eq!(users_before, users_after);
    let devices = victim_iam
        .list_mfa_devices()
        .user_name("victim-dev")
        .send()
        .await
        .unwrap();
    assert!(devices.mfa_devices().is_empty());

    // 5. A session *named* like Rampart's on an ordinary role is nobody special: the hub
    //    restarts the trail the attacker stopped in its own account.
    let attacker_cfg = member_config(&base, &attacker, REGION).await;
    let attacker_ct = aws_sdk_cloudtrail::Client::new(&attacker_cfg);
    attacker_ct
        .stop_logging()
        .name("org-audit")
        .send()
        .await
        .unwrap();
    let mut stop = parse(
        &rampart_testbed::respond::stop_logging(
            "a1000000-0000-4000-8000-00000000000a",
            &attacker,
            REGION,
        )
        .unwrap(),
    );
    stop["detail"]["userIdentity"] = json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEADMIN0001:rampart-x",
        "arn": format!("arn:aws:sts::{attacker}:assumed-role/Admin/rampart-x"),
        "accountId": attacker,
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{attacker}:role/Admin"),
            "accountId": attacker, "userName": "Admin"},
            "attributes": {"mfaAuthenticated": "false"}}
    });
    let o = r.handle_value(&stop).await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    let st = attacker_ct
        .get_trail_status()
        .name("org-audit")
        .send()
        .await
        .unwrap();
    assert_eq!(st.is_logging(), Some(true));

    // Every rejection is audited with its reason, in the delivering account's log.
    let items = r.store().query(None, "2000").await.unwrap();
    for id in [
        "a1000000-0000-4000-8000-000000000001",
        "a1000000-0000-4000-8000-000000000002",
        "a1000000-0000-4000-8000-000000000003",
        "a1000000-0000-4000-8000-000000000004",
        "a1000000-0000-4000-8000-000000000005",
        "a1000000-0000-4000-8000-000000000007",
    ] {
        let item = items
            .iter()
            .find(|i| i.event_id == id)
            .unwrap_or_else(|| panic!("{id} audited: {items:#?}"));
        assert_eq!(item.disposition, "rejected", "{item:#?}");
        assert!(!item.detail.is_empty(), "{item:#?}");
    }
    // Refused attempts that would have made a playbook act are alerted once per account and
    // hour; the rest are counted (and summarised by the hourly record), not paged one by one.
    let got = alerts(&base, &hub.queue_url).await.unwrap();
    let refused: Vec<_> = got
        .iter()
        .filter(|m| m["Message"]["incident"]["disposition"] == "rejected")
        .filter(|m| m["Message"]["incident"]["account"] == attacker.as_str())
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "one alert for the attacker's refusals: {refused:#?}"
    );
    let counted = items
        .iter()
        .filter(|i| i.action == "sns:Publish" && i.detail.contains("counted, not alerted again"))
        .count();
    assert!(counted >= 1, "later refusals are counted: {items:#?}");

    // Positive control 1: the hub's own custom action on the victim's finding isolates the
    // victim's instance (the hub is the Security Hub administrator).
    let o = r
        .handle_value(&custom_action(
            "a1000000-0000-4000-8000-00000000000b",
            &org.management,
            &victim,
            &target_arn,
        ))
        .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert_eq!(o.account.as_deref(), Some(victim.as_str()));
    let isolated = instance_state(&victim_ec2, &target).await;
    assert_ne!(isolated, before);
    assert_eq!(isolated["groups"].as_array().unwrap().len(), 1);
    assert_eq!(isolated["groups"][0].as_array().unwrap().len(), 1);

    // Positive control 2: the GuardDuty delegated administrator's finding about the victim.
    let second = launch(&victim_cfg).await;
    let o = r
        .handle_value(&guardduty(
            "a1000000-0000-4000-8000-00000000000c",
            &gd_admin,
            &victim,
            &second,
            "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2",
        ))
        .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    let state = instance_state(&victim_ec2, &second).await;
    assert!(state["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "rampart:isolated"));
    // ...but the GuardDuty administrator is not a Security Hub administrator.
    let o = r
        .handle_value(&custom_action(
            "a1000000-0000-4000-8000-00000000000d",
            &gd_admin,
            &victim,
            &target_arn,
        ))
        .await;
    rejected_because(&o, "not a trusted administrator");

    // Positive control 3: the Security Hub delegated administrator's custom action on the
    // victim's finding isolates the victim's instance...
    let third = launch(&victim_cfg).await;
    let third_arn = format!("arn:aws:ec2:{REGION}:{victim}:instance/{third}");
    let o = r
        .handle_value(&custom_action(
            "a1000000-0000-4000-8000-00000000000e",
            &sh_admin,
            &victim,
            &third_arn,
        ))
        .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert_eq!(o.account.as_deref(), Some(victim.as_str()));
    let state = instance_state(&victim_ec2, &third).await;
    assert!(state["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "rampart:isolated"));
    // ...but not a resource of yet another account inside the victim's finding.
    let attacker_instance = launch(&member_config(&base, &attacker, REGION).await).await;
    let o = r
        .handle_value(&custom_action(
            "a1000000-0000-4000-8000-00000000000f",
            &sh_admin,
            &victim,
            &format!("arn:aws:ec2:{REGION}:{attacker}:instance/{attacker_instance}"),
        ))
        .await;
    rejected_because(&o, &attacker);
}

#[test]
fn sample_findings_and_attack_targets_are_not_isolated() {
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
        let id = launch(&member).await;
        let before = instance_state(&ec2, &id).await;
        let r = responder(&base, config(&hub), false);

        let mut sample = guardduty(
            "s0000000-0000-4000-8000-000000000001",
            &acct,
            &acct,
            &id,
            "c3c3",
        );
        sample["detail"]["service"]["additionalInfo"]["sample"] = true.into();
        let o = r.handle_value(&sample).await;
        assert_eq!(o.disposition, Disposition::Ignored, "{o:#?}");
        assert!(o.reason.as_deref().unwrap().contains("sample"));

        let mut target = guardduty(
            "s0000000-0000-4000-8000-000000000002",
            &acct,
            &acct,
            &id,
            "d4d4",
        );
        target["detail"]["type"] = "UnauthorizedAccess:EC2/SSHBruteForce".into();
        target["detail"]["service"]["resourceRole"] = "TARGET".into();
        let o = r.handle_value(&target).await;
        assert_eq!(o.disposition, Disposition::Ignored, "{o:#?}");
        assert!(o.reason.as_deref().unwrap().contains("target"));
        assert_eq!(instance_state(&ec2, &id).await, before);

        // Configured to isolate targets too, the same finding (a new delivery) acts.
        let mut cfg = config(&hub);
        cfg.isolate_targets = Some(true);
        let r = responder(&base, cfg, false);
        target["id"] = "s0000000-0000-4000-8000-000000000003".into();
        let o = r.handle_value(&target).await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    });
}
