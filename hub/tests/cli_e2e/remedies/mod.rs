//! Every registered control end to end through the real `rampart` binary, one case per
//! control, each in two fresh member accounts of the shared emulated organization:
//!
//! 1. a violation is planted with a compliant neighbour of the same kind (a resource of the
//!    same account, or for a setting of the account the same violation in a second account);
//! 2. `rampart remediate` (plan, the default) shows a change and changes nothing;
//! 3. the Security Hub custom action (`rampart handle-event -` with the event Security Hub
//!    sends for a finding imported into the member) fixes the violation and leaves the
//!    neighbour byte-for-byte as it was;
//! 4. `rampart audit` holds each action's prior state;
//! 5. `rampart undo --plan` changes nothing, `rampart undo` restores exactly, and a second
//!    undo is a duplicate.
//!
//! A case is a control, a `plant` and a `state` (what AWS shows of the target and the
//! neighbour); families of cases live in the files beside this one.

mod databases;
mod detection;
mod iam;
mod logging;
mod network;
mod platform;
mod rds;
mod services;
mod storage;
mod trails;

use aws_config::SdkConfig;
use futures::future::BoxFuture;
use rampart_testbed::fixtures::MEMBER_ROLE;
use rampart_testbed::respond::hub_resources;
use rampart_testbed::shared;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

pub const REGION: &str = "us-east-1";

/// The accounts of one case: the one fixed and a second one that must stay as it was.
pub struct Accounts {
    pub id: String,
    pub cfg: SdkConfig,
    pub other: String,
    pub other_cfg: SdkConfig,
}

/// What a case planted.
pub struct Planted {
    /// What the finding names: a resource ARN, or `None` for a setting of the account.
    pub resource: Option<String>,
    /// Whatever `state` needs to find the planted resources again.
    pub data: Value,
}

/// What AWS shows of the violating resource (or setting) and of its neighbour.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub target: Value,
    pub neighbour: Value,
}

pub type PlantFn = for<'a> fn(&'a Accounts) -> BoxFuture<'a, Planted>;
pub type StateFn = for<'a> fn(&'a Accounts, &'a Planted) -> BoxFuture<'a, State>;

/// One control's end-to-end case.
#[derive(Clone, Copy)]
pub struct Case {
    pub control: &'static str,
    pub plant: PlantFn,
    pub state: StateFn,
}

/// Every case, from every family.
fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(network::cases());
    all.extend(iam::cases());
    all.extend(storage::cases());
    all.extend(trails::cases());
    all.extend(logging::cases());
    all.extend(services::cases());
    all.extend(rds::cases());
    all.extend(detection::cases());
    all.extend(databases::cases());
    all.extend(platform::cases());
    all
}

/// The cases to run: all, or those named in `RAMPART_REMEDY_CASES` (comma-separated control
/// ids), for working on one family.
fn selected() -> Vec<Case> {
    let only: Option<Vec<String>> = std::env::var("RAMPART_REMEDY_CASES").ok().map(|s| {
        s.split(',')
            .map(|c| c.trim().to_ascii_uppercase())
            .collect()
    });
    cases()
        .into_iter()
        .filter(|c| {
            only.as_ref()
                .is_none_or(|o| o.contains(&c.control.to_ascii_uppercase()))
        })
        .collect()
}

/// The hub's side of the test: the config file the CLI reads.
struct Hub {
    _dir: tempfile::TempDir,
    config: PathBuf,
}

async fn hub() -> Hub {
    // The hub's tables and topic are made once for the binary's tests (two tests creating the
    // same table at once would race).
    static MADE: tokio::sync::Mutex<Option<(String, String)>> = tokio::sync::Mutex::const_new(None);
    let mut made = MADE.lock().await;
    if made.is_none() {
        let base = shared::management(REGION).await;
        let h = hub_resources(&base).await.expect("hub resources");
        *made = Some((h.table, h.topic_arn));
    }
    let (table, topic) = made.clone().expect("hub resources made");
    drop(made);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("rampart.toml");
    // Every case acts and undoes in its own accounts within the hour.
    std::fs::write(
        &config,
        format!(
            "role_name = \"{MEMBER_ROLE}\"\nbenchmark = [\"cis-3.0.0\"]\n[response]\naudit_table = \"{}\"\nalert_topic_arn = \"{}\"\naction_rate_cap = 1000\n",
            table, topic
        ),
    )
    .expect("config");
    Hub { _dir: dir, config }
}

/// Runs the real binary; returns the exit code and stdout parsed as JSON.
async fn rampart(config: &Path, args: &[&str], stdin: Option<&str>) -> (Option<i32>, Value) {
    let config = config.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let stdin = stdin.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"));
        cmd.arg("--config")
            .arg(&config)
            .args(&args)
            .env_remove("AWS_PROFILE")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(shared::emulator().env(REGION))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run rampart");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().expect("rampart output");
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "rampart {args:?}: not JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code(), v)
    })
    .await
    .expect("rampart task")
}

/// Two fresh member accounts, Security Hub on in the first.
async fn accounts() -> Accounts {
    let (id, cfg) = shared::account(REGION).await;
    let (other, other_cfg) = shared::account(REGION).await;
    rampart_member::securityhub::enable(&aws_sdk_securityhub::Client::new(&cfg))
        .await
        .expect("security hub");
    Accounts {
        id,
        cfg,
        other,
        other_cfg,
    }
}

/// Imports the FAILED control finding Security Hub would hold for the violation into the
/// member's Security Hub, and returns it as a custom action event carries it.
async fn import_finding(a: &Accounts, control: &str, resource: &str) -> Value {
    use aws_sdk_securityhub::types::{
        AwsSecurityFinding, Compliance, ComplianceStatus, Resource, Severity, SeverityLabel,
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let id = format!(
        "arn:aws:securityhub:{REGION}:{}:security-control/{control}/finding/{}",
        a.id,
        uuid::Uuid::new_v4()
    );
    let product = format!("arn:aws:securityhub:{REGION}::product/aws/securityhub");
    let f = AwsSecurityFinding::builder()
        .schema_version("2018-10-08")
        .id(&id)
        .product_arn(&product)
        .generator_id(format!("security-control/{control}"))
        .aws_account_id(&a.id)
        .types("Software and Configuration Checks/Industry and Regulatory Standards")
        .created_at(&now)
        .updated_at(&now)
        .severity(Severity::builder().label(SeverityLabel::High).build())
        .title(format!("{control} failed"))
        .description(format!("{control} failed on {resource}"))
        .resources(Resource::builder().r#type("Other").id(resource).build())
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::Failed)
                .security_control_id(control)
                .build(),
        )
        .build();
    let out = aws_sdk_securityhub::Client::new(&a.cfg)
        .batch_import_findings()
        .findings(f)
        .send()
        .await
        .expect("import finding");
    assert_eq!(out.failed_count(), Some(0), "{out:?}");
    json!({
        "SchemaVersion": "2018-10-08", "Id": id, "ProductArn": product,
        "GeneratorId": format!("security-control/{control}"), "AwsAccountId": a.id,
        "Region": REGION, "CreatedAt": now, "UpdatedAt": now,
        "Title": format!("{control} failed"), "Severity": {"Label": "HIGH"},
        "Resources": [{"Type": "Other", "Id": resource}],
        "Compliance": {"Status": "FAILED", "SecurityControlId": control},
        "Workflow": {"Status": "NEW"}, "RecordState": "ACTIVE",
    })
}

/// The event Security Hub sends the hub's bus when an operator picks the finding and the
/// Rampart custom action in the hub's console.
fn custom_action(finding: Value) -> String {
    let hub = shared::HUB;
    json!({"version": "0", "id": uuid::Uuid::new_v4().to_string(),
           "detail-type": "Security Hub Findings - Custom Action", "source": "aws.securityhub",
           "account": hub, "time": chrono::Utc::now().to_rfc3339(), "region": REGION,
           "resources": [format!("arn:aws:securityhub:{REGION}:{hub}:action/custom/RampartRemediate")],
           "detail": {"actionName": "RampartRemediate", "findings": [finding]}})
    .to_string()
}

/// One case, start to end; panics name the control.
async fn run(hub: &Hub, case: Case) {
    let c = case.control;
    let a = accounts().await;
    let p = (case.plant)(&a).await;
    let before = (case.state)(&a, &p).await;
    let cfg = hub.config.as_path();

    // 1. The plan (the CLI's default) shows the change and changes nothing.
    let mut args = vec![
        "remediate",
        "--account",
        a.id.as_str(),
        "--region",
        REGION,
        "--control",
        c,
        "--format",
        "json",
    ];
    if let Some(r) = &p.resource {
        args.extend(["--resource", r.as_str()]);
    }
    let (code, plan) = rampart(cfg, &args, None).await;
    assert_eq!(code, Some(0), "{c} plan: {plan:#}");
    let planned: Vec<&Value> = plan["actions"]
        .as_array()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    assert!(!planned.is_empty(), "{c}: nothing planned: {plan:#}");
    for x in &planned {
        assert_eq!(x["status"], "planned", "{c}: {plan:#}");
        assert!(
            !x["prior"].is_null() || x["prior"].is_object(),
            "{c}: {plan:#}"
        );
        assert!(!x["change"].is_null(), "{c}: {plan:#}");
    }
    assert_eq!(
        (case.state)(&a, &p).await,
        before,
        "{c}: the plan changed state"
    );

    // 2. The custom action fixes the violation only.
    let resource = p
        .resource
        .clone()
        .unwrap_or_else(|| format!("AWS::::Account:{}", a.id));
    let finding = import_finding(&a, c, &resource).await;
    let (code, o) = rampart(cfg, &["handle-event", "-"], Some(&custom_action(finding))).await;
    assert_eq!(code, Some(0), "{c} custom action: {o:#}");
    // One finding gives one outcome; several give each target's outcome under `targets`.
    let t = o["targets"].get(0).unwrap_or(&o);
    assert_eq!(t["disposition"], "acted", "{c} custom action: {o:#}");
    let done: Vec<Value> = t["remediations"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter(|x| x["status"] == "done")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    assert!(!done.is_empty(), "{c}: nothing done: {o:#}");
    let fixed = (case.state)(&a, &p).await;
    assert_ne!(
        fixed.target, before.target,
        "{c}: the violation is unchanged"
    );
    assert_eq!(
        fixed.neighbour, before.neighbour,
        "{c}: the compliant neighbour changed"
    );

    // 3. The audit log holds each action's prior state.
    let (code, items) = rampart(
        cfg,
        &[
            "audit",
            "--account",
            &a.id,
            "--since",
            "1h",
            "--format",
            "json",
        ],
        None,
    )
    .await;
    assert_eq!(code, Some(0), "{c} audit: {items:#}");
    for d in &done {
        let res = d["resource"].as_str().unwrap_or_default();
        let recorded = items.as_array().is_some_and(|v| {
            v.iter().any(|i| {
                i["status"] == "done"
                    && i["target"] == res
                    && i["prior_state"] == d["prior"]
                    && !i["prior_state"].is_null()
            })
        });
        assert!(
            recorded,
            "{c}: no audit item with the prior state of {d:#}\n{items:#}"
        );
    }

    // 4. Undo: planned first (nothing changes), then exact, then a duplicate.
    let ids: Vec<String> = done
        .iter()
        .rev()
        .filter_map(|d| d["id"].as_str().map(str::to_string))
        .collect();
    for id in &ids {
        let (code, u) = rampart(cfg, &["undo", id, "--plan", "--format", "json"], None).await;
        assert_eq!(code, Some(0), "{c} undo plan: {u:#}");
        assert_eq!(u["undone"][0]["disposition"], "planned", "{c}: {u:#}");
    }
    assert_eq!(
        (case.state)(&a, &p).await,
        fixed,
        "{c}: the undo plan changed state"
    );
    for id in &ids {
        let (code, u) = rampart(cfg, &["undo", id, "--format", "json"], None).await;
        assert_eq!(code, Some(0), "{c} undo: {u:#}");
        assert_eq!(u["undone"][0]["disposition"], "acted", "{c}: {u:#}");
    }
    assert_eq!(
        (case.state)(&a, &p).await,
        before,
        "{c}: undo did not restore"
    );
    for id in &ids {
        let (_, u) = rampart(cfg, &["undo", id, "--format", "json"], None).await;
        assert_eq!(
            u["undone"][0]["disposition"], "duplicate",
            "{c}: a second undo: {u:#}"
        );
    }
    assert_eq!(
        (case.state)(&a, &p).await,
        before,
        "{c}: a second undo changed state"
    );
}

#[test]
fn every_remedy_plans_fixes_exactly_and_undoes_through_the_cli_and_custom_action() {
    rampart_testbed::block_on(async {
        let hub = std::sync::Arc::new(hub().await);
        let cases = selected();
        assert!(!cases.is_empty(), "no case selected");
        // Cases run a few at a time (each in accounts of its own); every failure is reported.
        let results: Vec<(String, Result<(), String>)> = futures::stream::iter(cases)
            .map(|case| {
                let hub = hub.clone();
                async move {
                    let r = tokio::spawn(async move { run(&hub, case).await }).await;
                    let r = r.map_err(|e| match e.try_into_panic() {
                        Ok(p) => p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "panicked".into()),
                        Err(e) => e.to_string(),
                    });
                    (case.control.to_string(), r)
                }
            })
            .buffer_unordered(4)
            .collect()
            .await;
        let failed: Vec<String> = results
            .iter()
            .filter_map(|(c, r)| r.as_ref().err().map(|e| format!("{c}: {e}")))
            .collect();
        eprintln!(
            "{} remedy case(s) run, {} failed",
            results.len(),
            failed.len()
        );
        assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    });
}

/// Every control of the registry has a case above, or is registered as manual with a reason
/// and a command; every one is in `rampart remediate --list` and in docs/remediation.md.
#[test]
fn every_registered_control_has_a_case_and_is_listed() {
    let covered: Vec<String> = cases()
        .iter()
        .map(|c| c.control.to_ascii_uppercase())
        .collect();
    let mut missing = Vec::new();
    for r in rampart_member::remediate::REMEDIES {
        for c in r.controls() {
            if !covered.contains(&c.to_ascii_uppercase()) {
                missing.push(format!("{c} ({})", r.id));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "controls without an end-to-end case: {missing:?}"
    );
    for m in rampart_member::remediate::manual::MANUAL {
        assert!(
            !m.reason.is_empty() && m.command.starts_with("aws "),
            "{}",
            m.control
        );
        assert!(
            rampart_member::remediate::for_control(m.control).is_none(),
            "{} is both manual and fixed",
            m.control
        );
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["remediate", "--list", "--format", "json"])
        .output()
        .expect("rampart remediate --list");
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let listed: Vec<String> = v["remedies"]
        .as_array()
        .expect("remedies")
        .iter()
        .flat_map(|e| {
            e["controls"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| c.as_str().map(str::to_string))
        })
        .collect();
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/remediation.md"),
    )
    .expect("docs/remediation.md");
    let all = rampart_member::remediate::listing::controls(rampart_member::remediate::REMEDIES);
    for c in &all {
        assert!(listed.contains(c), "{c} is not in --list");
        assert!(
            docs.contains(c.as_str()),
            "{c} is not in docs/remediation.md"
        );
    }
    for e in v["remedies"].as_array().expect("remedies") {
        let manual = e["manual"].as_bool().expect("manual flag");
        assert!(!e["changes"].as_str().unwrap_or_default().is_empty(), "{e}");
        if !manual {
            assert!(!e["undo"].as_str().unwrap_or_default().is_empty(), "{e}");
            assert!(!e["actions"].as_array().expect("actions").is_empty(), "{e}");
        }
    }
    eprintln!("{} control ids covered", all.len());
}

use futures::StreamExt;
