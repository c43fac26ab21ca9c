//! The intake queue end to end: one member's flood queued ahead of another member's GuardDuty
//! finding does not hold it back (per-account fairness), nothing of the flood is lost (it
//! waits in the queue), and action budgets are spent only by runs that change something, per
//! resource, never by a trail restore.

use rampart_hub::respond::intake::Fate;
use rampart_hub::respond::record::Disposition;
use rampart_testbed::fixtures::{self, member_config, Profile};
use rampart_testbed::intake::Intake;
use rampart_testbed::respond::{config, event, hub_resources, responder};
use rampart_testbed::Emulator;

const REGION: &str = "us-east-1";

fn stop(event_id: &str, account: &str, trail: &str) -> String {
    event(
        "cloudtrail-stoplogging",
        &[
            ("EVENT_ID", event_id),
            ("ACCOUNT", account),
            ("REGION", REGION),
            ("USER", "mallory"),
            ("TRAIL", trail),
        ],
    )
    .unwrap()
}

#[test]
fn a_members_flood_does_not_hold_another_members_finding_back_and_nothing_is_lost() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default(), Profile::default()], &[REGION])
            .await
            .expect("org");
        let (attacker, victim) = (org.members[0].id.clone(), org.members[1].id.clone());
        let hub = hub_resources(&base).await.expect("hub resources");
        let mut cfg = config(&hub);
        cfg.intake_per_minute = Some(1);
        cfg.intake_burst = Some(3);
        cfg.allowed_regions = Some(vec![REGION.into()]);
        let r = responder(&base, cfg, false);
        let intake = Intake::create(&base, "rampart-intake")
            .await
            .expect("queue");

        let member = member_config(&base, &victim, REGION).await;
        let instance = aws_sdk_ec2::Client::new(&member)
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
        let flood: Vec<String> = (0..60)
            .map(|i| {
                stop(
                    &format!("f0000000-0000-4000-8000-{i:012}"),
                    &attacker,
                    "org-audit",
                )
            })
            .collect();
        intake.send(&flood).await.unwrap();
        let finding = event(
            "guardduty-ec2",
            &[
                ("EVENT_ID", "e0000000-0000-4000-8000-00000000v1ct"),
                ("ACCOUNT", victim.as_str()),
                ("REGION", REGION),
                ("INSTANCE", instance.as_str()),
                ("FINDING_ID", "0123456789abcdef0123456789abcdef"),
            ],
        )
        .unwrap();
        intake.send(&[finding]).await.unwrap();

        let mut handled_before = 0;
        let mut victim_fate = None;
        for _ in 0..20 {
            for (id, fate) in intake.poll(&r).await.unwrap() {
                if id.ends_with("v1ct") {
                    victim_fate = Some(fate);
                } else if victim_fate.is_none() && matches!(fate, Fate::Done | Fate::Retry) {
                    handled_before += 1;
                }
            }
            if victim_fate.is_some() {
                break;
            }
        }
        assert_eq!(
            victim_fate,
            Some(Fate::Done),
            "the victim's finding was handled"
        );
        assert!(
            handled_before <= 3,
            "{handled_before} flood events were handled before the victim's (burst 3)"
        );
        // Isolated: the instance sits in the isolation group alone.
        let groups = aws_sdk_ec2::Client::new(&member)
            .describe_instances()
            .instance_ids(&instance)
            .send()
            .await
            .unwrap()
            .reservations()[0]
            .instances()[0]
            .security_groups()
            .iter()
            .filter_map(|g| g.group_name().map(str::to_string))
            .collect::<Vec<_>>();
        assert_eq!(groups, ["rampart-isolation"], "{groups:?}");
        // The flood waits in the queue; none of it was dropped.
        assert_eq!(
            intake.held().await.unwrap(),
            60 - handled_before,
            "every deferred flood event is still queued"
        );
    });
}

#[test]
fn budgets_are_spent_by_changes_per_resource_and_never_by_a_trail_restore() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        let acct = org.members[0].id.clone();
        let member = member_config(&base, &acct, REGION).await;
        let hub = hub_resources(&base).await.expect("hub resources");
        let mut cfg = config(&hub);
        cfg.action_rate_cap = Some(1);
        cfg.allowed_regions = Some(vec![REGION.into()]);
        let r = responder(&base, cfg, false);
        let ct = aws_sdk_cloudtrail::Client::new(&member);

        // A throwaway trail stopped again and again: every stop restored, none waits.
        ct.create_trail()
            .name("noise")
            .s3_bucket_name(format!("cloudtrail-{acct}"))
            .send()
            .await
            .ok();
        for i in 0..3 {
            ct.stop_logging().name("noise").send().await.ok();
            let o = r
                .handle_bytes(
                    stop(
                        &format!("n0000000-0000-4000-8000-00000000000{i}"),
                        &acct,
                        "noise",
                    )
                    .as_bytes(),
                )
                .await;
            assert_ne!(o.disposition, Disposition::Deferred, "{o:#?}");
        }
        // Then the main trail: logging back at once, whatever the noise spent.
        ct.stop_logging().name("org-audit").send().await.unwrap();
        let o = r
            .handle_bytes(
                stop("m0000000-0000-4000-8000-000000000001", &acct, "org-audit").as_bytes(),
            )
            .await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
        let logging = ct
            .get_trail_status()
            .name("org-audit")
            .send()
            .await
            .unwrap()
            .is_logging();
        assert_eq!(logging, Some(true));

        // Remediation budgets (cap 1 per hour): runs that change nothing spend nothing, and
        // each resource has its own.
        let ec2 = aws_sdk_ec2::Client::new(&member);
        let arn = |id: &str| format!("arn:aws:ec2:{REGION}:{acct}:security-group/{id}");
        let clean = fixtures::open_group(&ec2, "clean", "tcp", 443, 443, Some("10.0.0.0/8"), None)
            .await
            .unwrap();
        let a = fixtures::open_group(&ec2, "ssh-a", "tcp", 22, 22, Some("0.0.0.0/0"), None)
            .await
            .unwrap();
        let b = fixtures::open_group(&ec2, "ssh-b", "tcp", 22, 22, Some("0.0.0.0/0"), None)
            .await
            .unwrap();
        for _ in 0..2 {
            let o = r
                .remediate(&acct, REGION, "EC2.53", Some(&arn(&clean)), None)
                .await;
            assert_eq!(o.disposition, Disposition::Ignored, "{o:#?}");
        }
        let o = r
            .remediate(&acct, REGION, "EC2.53", Some(&arn(&a)), None)
            .await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
        let o = r
            .remediate(&acct, REGION, "EC2.53", Some(&arn(&b)), None)
            .await;
        assert_eq!(
            o.disposition,
            Disposition::Acted,
            "another resource, another budget: {o:#?}"
        );
        // Group a opened again within the hour: its budget is spent; deferred until it turns.
        ec2.authorize_security_group_ingress()
            .group_id(&a)
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .cidr_ip("0.0.0.0/0")
            .send()
            .await
            .unwrap();
        let o = r
            .remediate(&acct, REGION, "EC2.53", Some(&arn(&a)), None)
            .await;
        assert_eq!(o.disposition, Disposition::Deferred, "{o:#?}");
        assert!(o.retry_after_secs.is_some_and(|s| s <= 3600), "{o:#?}");
    });
}
