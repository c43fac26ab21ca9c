//! The response commands through the real binaries: `rampart handle-event` (file and stdin,
//! plan and enforce), `audit`, `isolate --plan`, `mfa enforce --plan`, and the hub Lambda
//! binary running its real runtime loop against a local Lambda Runtime API.

use rampart_testbed::fixtures::{self, member_config, Profile};
use rampart_testbed::lambda_api::{lambda_env, RuntimeApi};
use rampart_testbed::respond::{event, hub_resources};
use rampart_testbed::Emulator;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const REGION: &str = "us-east-1";

fn rampart(emu: &Emulator, config: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(emu.env(REGION))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run rampart");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("rampart output")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn response_commands_run_the_playbooks() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        let acct = org.members[0].id.clone();
        let hub = hub_resources(&base).await.expect("hub");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("rampart.toml");
        std::fs::write(
            &config,
            format!(
                "[response]\naudit_table = \"{}\"\nalert_topic_arn = \"{}\"\n",
                hub.table, hub.topic_arn
            ),
        )
        .unwrap();
        let member = member_config(&base, &acct, REGION).await;
        let ct = aws_sdk_cloudtrail::Client::new(&member);
        ct.stop_logging().name("org-audit").send().await.unwrap();
        let ev = event(
            "cloudtrail-stoplogging",
            &[
                ("EVENT_ID", "e1000000-0000-4000-8000-000000000001"),
                ("ACCOUNT", acct.as_str()),
                ("REGION", REGION),
                ("USER", "mallory"),
                ("TRAIL", "org-audit"),
            ],
        )
        .unwrap();
        let file = dir.path().join("event.json");
        std::fs::write(&file, &ev).unwrap();

        // --plan from a file: planned, nothing changed.
        let out = rampart(
            &emu,
            &config,
            &["handle-event", file.to_str().unwrap(), "--plan"],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out)["disposition"], "planned");
        let st = ct
            .get_trail_status()
            .name("org-audit")
            .send()
            .await
            .unwrap();
        assert_eq!(st.is_logging(), Some(false));

        // The same event from stdin, enforced.
        let out = rampart(&emu, &config, &["handle-event", "-"], Some(&ev));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out)["disposition"], "acted");
        let st = ct
            .get_trail_status()
            .name("org-audit")
            .send()
            .await
            .unwrap();
        assert_eq!(st.is_logging(), Some(true));

        // Malformed input: exit 2 with the outcome naming what was wrong.
        let out = rampart(&emu, &config, &["handle-event", "-"], Some("{\"id\": 1}"));
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(json(&out)["disposition"], "rejected");

        // The audit log, by account.
        let out = rampart(
            &emu,
            &config,
            &[
                "audit",
                "--account",
                &acct,
                "--since",
                "1h",
                "--format",
                "json",
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let items = json(&out);
        let items = items.as_array().unwrap();
        assert!(items
            .iter()
            .any(|i| i["action"] == "cloudtrail:StartLogging" && i["status"] == "done"));
        assert!(items.iter().any(|i| i["status"] == "planned"));
        let out = rampart(&emu, &config, &["audit", "--since", "1h"], None);
        assert!(String::from_utf8_lossy(&out.stdout).contains("cloudtrail:StartLogging"));

        // Operator commands in plan mode.
        let ec2 = aws_sdk_ec2::Client::new(&member);
        let run = ec2
            .run_instances()
            .image_id("ami-12c6146b")
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .unwrap();
        let id = run.instances()[0].instance_id().unwrap().to_string();
        let out = rampart(
            &emu,
            &config,
            &[
                "--region",
                REGION,
                "isolate",
                "--account",
                &acct,
                "--instance",
                &id,
                "--plan",
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out)["disposition"], "planned");
        aws_sdk_iam::Client::new(&member)
            .create_user()
            .user_name("no-mfa")
            .send()
            .await
            .unwrap();
        let out = rampart(
            &emu,
            &config,
            &["mfa", "enforce", "--account", &acct, "--plan"],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let outcomes = json(&out);
        assert!(outcomes
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["disposition"] == "planned"
                && o["resource"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("user/no-mfa")));
        let d = aws_sdk_iam::Client::new(&member)
            .list_mfa_devices()
            .user_name("no-mfa")
            .send()
            .await
            .unwrap();
        assert!(d.mfa_devices().is_empty(), "plan enrolled nobody");
    });
}

#[test]
fn hub_lambda_runs_its_runtime_loop() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        let acct = org.members[0].id.clone();
        let hub = hub_resources(&base).await.expect("hub");
        let member = member_config(&base, &acct, REGION).await;
        let ct = aws_sdk_cloudtrail::Client::new(&member);
        ct.stop_logging().name("org-audit").send().await.unwrap();

        let api = RuntimeApi::start().expect("runtime api");
        let ev = event(
            "cloudtrail-stoplogging",
            &[
                ("EVENT_ID", "e2000000-0000-4000-8000-000000000001"),
                ("ACCOUNT", acct.as_str()),
                ("REGION", REGION),
                ("USER", "mallory"),
                ("TRAIL", "org-audit"),
            ],
        )
        .unwrap();
        api.push("req-1", &ev);
        api.push("req-2", "{\"detail-type\": 5}");
        let started = std::time::Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_rampart-hub-lambda"))
            .envs(emu.env(REGION))
            .envs(lambda_env(&api))
            .env("RAMPART_AUDIT_TABLE", &hub.table)
            .env("RAMPART_ALERT_TOPIC_ARN", &hub.topic_arn)
            .env("RAMPART_HUB_ACCOUNT", &org.management)
            .env_remove("AWS_PROFILE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the lambda binary");
        let results = api.wait_results(2, Duration::from_secs(60));
        let init = api.first_poll().map(|t| t.duration_since(started));
        let _ = child.kill();
        let out = child.wait_with_output().expect("lambda output");
        let logs = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(results.len(), 2, "{results:?}\n{logs}");
        let first: serde_json::Value = serde_json::from_str(&results[0].2).unwrap();
        assert_eq!(results[0].0, "req-1");
        assert_eq!(results[0].1, "response");
        assert_eq!(first["disposition"], "acted", "{first:#}");
        let second: serde_json::Value = serde_json::from_str(&results[1].2).unwrap();
        assert_eq!(second["disposition"], "rejected", "{second:#}");
        let st = ct
            .get_trail_status()
            .name("org-audit")
            .send()
            .await
            .unwrap();
        assert_eq!(st.is_logging(), Some(true));
        // Logs are JSON lines.
        let line = logs
            .lines()
            .find(|l| l.contains("initialised"))
            .expect("init log");
        let parsed: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
        assert!(parsed["fields"]["init_ms"].is_number());
        eprintln!("lambda init (spawn to first poll, debug build): {init:?}");
    });
}

/// Membership that cannot be verified (Organizations fails: here no organization exists) is a
/// failure, not a rejection: exit 3 from the CLI, an invocation error from the Lambda (so the
/// event is retried and dead-lettered, never dropped).
#[test]
fn an_organizations_error_is_a_failure_everywhere() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let hub = hub_resources(&base).await.expect("hub");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("rampart.toml");
        std::fs::write(
            &config,
            format!(
                "[response]\naudit_table = \"{}\"\nalert_topic_arn = \"{}\"\n",
                hub.table, hub.topic_arn
            ),
        )
        .unwrap();
        let ev = event(
            "cloudtrail-stoplogging",
            &[
                ("EVENT_ID", "e3000000-0000-4000-8000-000000000001"),
                ("ACCOUNT", "111122223333"),
                ("REGION", REGION),
                ("USER", "mallory"),
                ("TRAIL", "org-audit"),
            ],
        )
        .unwrap();
        let out = rampart(&emu, &config, &["handle-event", "-"], Some(&ev));
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out)["disposition"], "failed");

        let api = RuntimeApi::start().expect("runtime api");
        api.push("req-org", &ev);
        let mut child = Command::new(env!("CARGO_BIN_EXE_rampart-hub-lambda"))
            .envs(emu.env(REGION))
            .envs(lambda_env(&api))
            .env("RAMPART_AUDIT_TABLE", &hub.table)
            .env("RAMPART_ALERT_TOPIC_ARN", &hub.topic_arn)
            .env(
                "RAMPART_HUB_ACCOUNT",
                rampart_testbed::emulator::MANAGEMENT_ACCOUNT,
            )
            .env_remove("AWS_PROFILE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the lambda binary");
        let results = api.wait_results(1, Duration::from_secs(60));
        let _ = child.kill();
        let out = child.wait_with_output().expect("lambda output");
        let logs = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(results.len(), 1, "{results:?}\n{logs}");
        assert_eq!(results[0].0, "req-org");
        assert_eq!(results[0].1, "error", "an invocation error: {results:?}");
        assert!(results[0].2.contains("failed"), "{results:?}");
    });
}

/// A group's ingress as `port cidr` lines, sorted.
async fn ingress(ec2: &aws_sdk_ec2::Client, id: &str) -> Vec<String> {
    let out = ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .unwrap();
    let mut v: Vec<String> = out.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            p.ip_ranges()
                .iter()
                .map(move |r| format!("{:?} {}", p.from_port(), r.cidr_ip().unwrap_or_default()))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn remediate_plans_by_default_applies_on_request_and_undoes() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        fixtures::enable_security_hub(&base, &org)
            .await
            .expect("security hub");
        let acct = org.members[0].id.clone();
        let hub = hub_resources(&base).await.expect("hub");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("rampart.toml");
        std::fs::write(
            &config,
            format!(
                "role_name = \"{}\"\n[response]\naudit_table = \"{}\"\nalert_topic_arn = \"{}\"\n",
                fixtures::MEMBER_ROLE,
                hub.table,
                hub.topic_arn
            ),
        )
        .unwrap();
        let member = member_config(&base, &acct, REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&member);
        let gid = fixtures::open_group(&ec2, "web", "tcp", 22, 22, Some("0.0.0.0/0"), None)
            .await
            .unwrap();
        ec2.authorize_security_group_ingress()
            .group_id(&gid)
            .ip_permissions(
                aws_sdk_ec2::types::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(443)
                    .to_port(443)
                    .ip_ranges(
                        aws_sdk_ec2::types::IpRange::builder()
                            .cidr_ip("0.0.0.0/0")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let before = ingress(&ec2, &gid).await;
        let args = [
            "remediate",
            "--account",
            acct.as_str(),
            "--region",
            REGION,
            "--control",
            "EC2.53",
            "--format",
            "json",
        ];
        // Plan is the default: the action is shown, nothing changes.
        let out = rampart(&emu, &config, &args, None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let plan = json(&out);
        let a = &plan["actions"][0];
        assert_eq!(a["status"], "planned", "{plan:#}");
        for k in [
            "id", "account", "region", "control", "resource", "prior", "change",
        ] {
            assert!(!a[k].is_null(), "{k} missing: {plan:#}");
        }
        assert_eq!(a["account"], acct.as_str());
        assert_eq!(a["control"], "EC2.53");
        assert_eq!(ingress(&ec2, &gid).await, before);

        let mut apply = args.to_vec();
        apply.push("--apply");
        let out = rampart(&emu, &config, &apply, None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let done = json(&out);
        let a = &done["actions"][0];
        assert_eq!(a["status"], "done", "{done:#}");
        assert_eq!(
            ingress(&ec2, &gid).await,
            vec!["Some(443) 0.0.0.0/0".to_string()]
        );
        let id = a["id"].as_str().unwrap().to_string();

        // Undo is planned with --plan, then restores the prior state.
        let out = rampart(
            &emu,
            &config,
            &["undo", &id, "--plan", "--format", "json"],
            None,
        );
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(json(&out)["undone"][0]["disposition"], "planned");
        assert_eq!(
            ingress(&ec2, &gid).await,
            vec!["Some(443) 0.0.0.0/0".to_string()]
        );
        let out = rampart(&emu, &config, &["undo", &id, "--format", "json"], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out)["undone"][0]["disposition"], "acted");
        assert_eq!(ingress(&ec2, &gid).await, before);
        // An unknown handle is a usage error (exit 2).
        let out = rampart(&emu, &config, &["undo", "nope"], None);
        assert_eq!(out.status.code(), Some(2));
        // A control Rampart cannot fix is reported, not silently accepted.
        let out = rampart(
            &emu,
            &config,
            &[
                "remediate",
                "--account",
                acct.as_str(),
                "--control",
                "IAM.6",
                "--format",
                "json",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0));
        let v = json(&out);
        assert!(
            v["reason"].as_str().unwrap_or_default().contains("IAM.6"),
            "{v:#}"
        );
    });
}

#[test]
fn remediate_by_finding_looks_the_finding_up_and_resolves_it() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        fixtures::enable_security_hub(&base, &org)
            .await
            .expect("security hub");
        let acct = org.members[0].id.clone();
        let hub = hub_resources(&base).await.expect("hub");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("rampart.toml");
        std::fs::write(
            &config,
            format!(
                "role_name = \"{}\"\nbenchmark = [\"cis-3.0.0\"]\n[response]\naudit_table = \"{}\"\nalert_topic_arn = \"{}\"\n",
                fixtures::MEMBER_ROLE,
                hub.table,
                hub.topic_arn
            ),
        )
        .unwrap();
        let member = member_config(&base, &acct, REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&member);
        let gid = fixtures::open_group(&ec2, "web", "tcp", 22, 22, Some("0.0.0.0/0"), None)
            .await
            .unwrap();
        let arn = format!("arn:aws:ec2:{REGION}:{acct}:security-group/{gid}");
        // The scheduled assessment puts Rampart's finding into the member's Security Hub.
        let report = rampart_hub::fleet::run(
            &rampart_testbed::sessions(&base, "initial"),
            &org.targets(),
            &rampart_testbed::plan(&[REGION.to_string()], true, "initial"),
        )
        .await;
        assert!(report.accounts.iter().all(|a| a.error.is_none()));
        let findings = fixtures::findings_in(&base, &acct, REGION).await.unwrap();
        let f = findings
            .iter()
            .find(|f| {
                f.check_id() == Some("ec2.sg-admin-ports-ipv4")
                    && f.resources.iter().any(|r| r.id == arn)
            })
            .expect("finding on the open group");
        let id = f.id.clone();
        let out = rampart(
            &emu,
            &config,
            &["remediate", "--finding", &id, "--format", "json"],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let plan = json(&out);
        assert_eq!(plan["actions"][0]["status"], "planned", "{plan:#}");
        assert_eq!(plan["actions"][0]["resource"], arn.as_str());
        assert_eq!(plan["actions"][0]["control"], "EC2.53");
        assert_eq!(
            ingress(&ec2, &gid).await,
            vec!["Some(22) 0.0.0.0/0".to_string()]
        );
        let out = rampart(
            &emu,
            &config,
            &["remediate", "--finding", &id, "--apply", "--format", "json"],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let done = json(&out);
        assert_eq!(done["actions"][0]["status"], "done", "{done:#}");
        assert!(ingress(&ec2, &gid).await.is_empty());
        // The finding is resolved where it lives, and re-evaluated PASSED.
        let sh = aws_sdk_securityhub::Client::new(&member);
        let all = sh.get_findings().max_results(100).send().await.unwrap();
        let now = all
            .findings()
            .iter()
            .find(|x| x.id() == Some(id.as_str()))
            .expect("the finding");
        assert_eq!(
            now.workflow().and_then(|w| w.status()).map(|s| s.as_str()),
            Some("RESOLVED")
        );
        assert!(now
            .note()
            .and_then(|n| n.text())
            .is_some_and(|t| t.contains(done["actions"][0]["id"].as_str().unwrap())));
        assert_eq!(
            now.compliance()
                .and_then(|c| c.status())
                .map(|s| s.as_str()),
            Some("PASSED")
        );
        // An id that names no account and is not in the hub is a usage error.
        let out = rampart(&emu, &config, &["remediate", "--finding", "nowhere"], None);
        assert_eq!(out.status.code(), Some(2));
    });
}
