//! The Step Functions fleet run (stacksets/hub.yaml `FleetStateMachine`) and the assessment
//! Lambda's fleet steps (rampart_hub::fleet_sfn): the definition read from the template is
//! walked state by state, and every payload it builds (the plan request, each item the
//! Distributed Map's ItemSelector makes from items.json, the merge request) goes to the real
//! handler, directly and through the Lambda binary's runtime loop.

use clap::Parser;
use rampart_hub::fleet_sfn::{self, Plan};
use rampart_hub::lambda::{handle, LambdaArgs};
use rampart_testbed::emulator::MANAGEMENT_ACCOUNT;
use rampart_testbed::fixtures::{self, Profile};
use rampart_testbed::lambda_api::{lambda_env, RuntimeApi};
use rampart_testbed::stacksets::{fleet_definition, path_value, place, resolve, template};
use rampart_testbed::Emulator;
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::Duration;

const REGION: &str = "us-east-1";
const BUCKET: &str = "rampart-reports-test";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:rampart-assess";

fn definition() -> Value {
    fleet_definition(&[
        ("AWS::Partition", "aws"),
        ("AssessFunction.Arn", FUNCTION),
        ("ReportBucket", BUCKET),
        ("MaxConcurrency", "40"),
        ("ToleratedFailurePercentage", "5"),
    ])
    .expect("definition")
}

fn args() -> LambdaArgs {
    LambdaArgs::try_parse_from([
        "rampart-assess-lambda",
        "--regions",
        REGION,
        "--report-bucket",
        BUCKET,
    ])
    .expect("args")
}

fn bad() -> Profile {
    Profile {
        open_ssh: true,
        password_policy: None,
        ..Profile::default()
    }
}

#[test]
fn state_machine_contract_matches_the_handlers() {
    let def = definition();
    let states = &def["States"];
    assert_eq!(def["StartAt"], "Plan");
    let plan_state = &states["Plan"];
    assert_eq!(plan_state["Next"], "AssessAccounts");
    assert_eq!(plan_state["Parameters"]["FunctionName"], FUNCTION);
    let map = &states["AssessAccounts"];
    assert_eq!(map["Type"], "Map");
    assert_eq!(map["Next"], "Merge");
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"]["Mode"],
        "DISTRIBUTED"
    );
    assert_eq!(map["MaxConcurrency"], 40);
    assert_eq!(map["ToleratedFailurePercentage"], 5);
    assert_eq!(states["Merge"]["End"], true);

    // The limits are the template's parameters.
    let t = template("hub.yaml").expect("hub.yaml");
    for p in ["MaxConcurrency", "ToleratedFailurePercentage"] {
        assert_eq!(t["Parameters"][p]["Type"], "Number", "{p}");
    }

    // Plan: the request parses, and the ResultSelector keeps exactly the Plan's fields.
    let ctx = json!({"Execution": {"Name": "exec-1"}});
    let req = resolve(&plan_state["Parameters"]["Payload"], &json!({}), &ctx).expect("payload");
    assert!(matches!(
        fleet_sfn::parse(&req),
        Ok(fleet_sfn::Step::FleetPlan { execution: Some(ref e) }) if e == "exec-1"
    ));
    let plan = Plan {
        run_id: "20260101T000000Z-abcdef12".into(),
        started_at: "2026-01-01T00:00:00.000Z".into(),
        regions: vec![REGION.into()],
        home_region: REGION.into(),
        bucket: BUCKET.into(),
        items_key: fleet_sfn::items_key("20260101T000000Z-abcdef12"),
        accounts: 2,
    };
    let plan_json = serde_json::to_value(&plan).expect("plan");
    let selected = resolve(
        &plan_state["ResultSelector"],
        &json!({"Payload": plan_json}),
        &ctx,
    )
    .expect("result selector");
    assert_eq!(
        selected, plan_json,
        "ResultSelector drops or adds plan fields"
    );
    let state = place(
        &json!({}),
        plan_state["ResultPath"].as_str().expect("path"),
        selected,
    )
    .expect("result path");

    // The Map reads items.json at the plan's key, in the plan's bucket.
    let reader = resolve(&map["ItemReader"]["Parameters"], &state, &ctx).expect("reader");
    assert_eq!(reader, json!({"Bucket": BUCKET, "Key": plan.items_key}));
    assert_eq!(map["ItemReader"]["ReaderConfig"]["InputType"], "JSON");

    // Each item becomes exactly the account request the handler takes.
    let item = fleet_sfn::Item {
        id: "111122223333".into(),
        name: "workload".into(),
        parent: Some("ou-abcd-12345678".into()),
    };
    let item_ctx = json!({"Map": {"Item": {"Value": item, "Index": 0}}});
    let child_input = resolve(&map["ItemSelector"], &state, &item_ctx).expect("selector");
    assert_eq!(child_input, fleet_sfn::account_request(&plan, &item));
    let proc = &map["ItemProcessor"];
    let task = &proc["States"][proc["StartAt"].as_str().expect("start")];
    assert_eq!(task["Parameters"]["FunctionName"], FUNCTION);
    let payload =
        resolve(&task["Parameters"], &child_input, &item_ctx).expect("params")["Payload"].clone();
    assert_eq!(
        fleet_sfn::parse(&payload).expect("account request"),
        fleet_sfn::Step::FleetAccount {
            plan: plan.clone(),
            account: item
        }
    );
    assert_eq!(task["OutputPath"], "$.Payload");

    // Merge gets the plan.
    let merge = resolve(&states["Merge"]["Parameters"]["Payload"], &state, &ctx).expect("merge");
    assert_eq!(
        fleet_sfn::parse(&merge).expect("merge request"),
        fleet_sfn::Step::FleetMerge { plan }
    );

    // The state machine's role may read and write where the handlers put things.
    let role = t["Resources"]["FleetRole"].to_string();
    assert!(
        role.contains(&format!("/{}/*", fleet_sfn::PREFIX)),
        "{role}"
    );
    assert!(fleet_sfn::items_key("r").starts_with(&format!("{}/", fleet_sfn::PREFIX)));
    let writer = &map["ResultWriter"]["Parameters"]["Prefix"];
    assert!(writer
        .as_str()
        .is_some_and(|p| p.starts_with(fleet_sfn::PREFIX)));
}

/// Walks the definition: plan, every item through the Map's ItemSelector and the child's
/// task, merge. Returns the merge's output and the account answers.
async fn run_definition(
    def: &Value,
    args: &LambdaArgs,
    base: &aws_config::SdkConfig,
) -> (Value, Vec<Value>) {
    let states = &def["States"];
    let ctx = json!({"Execution": {"Name": "exec-local"}});
    let plan_state = &states["Plan"];
    let req = resolve(&plan_state["Parameters"]["Payload"], &json!({}), &ctx).expect("payload");
    let out = handle(&req, args, base.clone()).await.expect("plan step");
    let selected = resolve(
        &plan_state["ResultSelector"],
        &json!({"Payload": out}),
        &ctx,
    )
    .expect("select");
    let state = place(
        &json!({}),
        plan_state["ResultPath"].as_str().expect("path"),
        selected,
    )
    .expect("place");

    let map = &states["AssessAccounts"];
    let reader = resolve(&map["ItemReader"]["Parameters"], &state, &ctx).expect("reader");
    let s3 = aws_sdk_s3::Client::new(base);
    let body = s3
        .get_object()
        .bucket(reader["Bucket"].as_str().expect("bucket"))
        .key(reader["Key"].as_str().expect("key"))
        .send()
        .await
        .expect("items.json")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes();
    let items: Vec<Value> = serde_json::from_slice(&body).expect("items array");
    let proc = &map["ItemProcessor"];
    let task = &proc["States"][proc["StartAt"].as_str().expect("start")];
    let mut answers = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_ctx = json!({"Map": {"Item": {"Value": item, "Index": i}}});
        let child_input = resolve(&map["ItemSelector"], &state, &item_ctx).expect("selector");
        let payload = resolve(&task["Parameters"], &child_input, &item_ctx).expect("params")
            ["Payload"]
            .clone();
        let out = handle(&payload, args, base.clone())
            .await
            .expect("account step");
        answers.push(
            path_value(
                task["OutputPath"].as_str().expect("output path"),
                &json!({"Payload": out}),
                &item_ctx,
            )
            .expect("output"),
        );
    }
    let state = place(
        &state,
        map["ResultPath"].as_str().expect("path"),
        json!({"MapRunArn": "arn:aws:states:local:map-run"}),
    )
    .expect("place");
    let merge = &states["Merge"];
    let req = resolve(&merge["Parameters"]["Payload"], &state, &ctx).expect("merge payload");
    let out = handle(&req, args, base.clone()).await.expect("merge step");
    (out, answers)
}

#[test]
fn map_items_drive_the_handlers_and_the_merge_builds_the_fleet_report() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[bad(), Profile::default()], &[REGION])
            .await
            .expect("org");
        let s3 = aws_sdk_s3::Client::new(&base);
        s3.create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .expect("bucket");

        let def = definition();
        let args = args();
        let (summary, answers) = run_definition(&def, &args, &base).await;
        assert_eq!(answers.len(), 3, "management + 2 members: {answers:?}");
        let bad_member = &org.members[0].id;
        let bad_answer = answers
            .iter()
            .find(|a| a["account_id"] == bad_member.as_str())
            .unwrap_or_else(|| panic!("bad member answered: {answers:#?}"));
        assert!(
            bad_answer["failed"].as_u64().unwrap_or(0) > 0,
            "{bad_answer}"
        );
        assert!(bad_answer["error"].is_null());
        assert!(answers
            .iter()
            .any(|a| a["account_id"] == MANAGEMENT_ACCOUNT));

        assert_eq!(summary["trigger"], "step-functions");
        assert_eq!(summary["accounts"], 3, "{summary:#}");
        assert!(summary["accounts_failing"]
            .as_array()
            .expect("failing")
            .iter()
            .any(|a| a == bad_member.as_str()));
        assert!(summary["report_url"].is_string(), "{summary:#}");
        let run_id = summary["run_id"].as_str().expect("run id");
        let report_key = summary["report_key"].as_str().expect("report key");
        let report: rampart_hub::fleet::FleetReport = serde_json::from_slice(
            &s3.get_object()
                .bucket(BUCKET)
                .key(report_key)
                .send()
                .await
                .expect("report.json")
                .body
                .collect()
                .await
                .expect("body")
                .into_bytes(),
        )
        .expect("fleet report");
        assert_eq!(report.run_id, run_id);
        assert_eq!(report.accounts.len(), 3);
        assert_eq!(report.regions, vec![REGION.to_string()]);
        let listed = s3
            .list_objects_v2()
            .bucket(BUCKET)
            .send()
            .await
            .expect("list");
        let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
        assert!(
            keys.iter().any(|k| k.ends_with(&format!("{run_id}.html"))),
            "{keys:?}"
        );
        assert!(keys.iter().any(|k| k.ends_with("summary.json")), "{keys:?}");

        // An account whose child never answered (failures within the tolerance) is reported
        // as an error, not left out: delete one result and merge again.
        let plan_key = fleet_sfn::items_key(run_id);
        let gone = fleet_sfn::result_key(run_id, bad_member);
        s3.delete_object()
            .bucket(BUCKET)
            .key(&gone)
            .send()
            .await
            .expect("delete");
        let plan = Plan {
            run_id: run_id.into(),
            started_at: report.started_at.clone(),
            regions: report.regions.clone(),
            home_region: report.home_region.clone(),
            bucket: BUCKET.into(),
            items_key: plan_key,
            accounts: 3,
        };
        let again = handle(
            &json!({"rampart": "fleet-merge", "plan": plan}),
            &args,
            base.clone(),
        )
        .await
        .expect("merge again");
        assert_eq!(again["accounts"], 3);
        let report: rampart_hub::fleet::FleetReport = serde_json::from_slice(
            &s3.get_object()
                .bucket(BUCKET)
                .key(report_key)
                .send()
                .await
                .expect("report.json")
                .body
                .collect()
                .await
                .expect("body")
                .into_bytes(),
        )
        .expect("fleet report");
        let missing = report
            .accounts
            .iter()
            .find(|a| &a.account_id == bad_member)
            .expect("the account is still reported");
        assert!(
            missing
                .error
                .as_deref()
                .is_some_and(|e| e.contains("no result")),
            "{:?}",
            missing.error
        );

        // The CLI-side driver runs the same contract in one process.
        let local = fleet_sfn::run_local(&args, base.clone(), 4)
            .await
            .expect("local run");
        assert_eq!(local["accounts"], 3, "{local:#}");

        // And so does the CLI (`rampart fleet-steps`), with the same options as the Lambda.
        let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args([
                "--regions",
                REGION,
                "--report-bucket",
                BUCKET,
                "--fail-on",
                "none",
                // Members here have no Security Hub: publishing would be an error to attend to.
                "--publish=false",
                "fleet-steps",
            ])
            .envs(emu.env(REGION))
            .env_remove("AWS_PROFILE")
            .output()
            .expect("rampart fleet-steps");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
        assert_eq!(summary["accounts"], 3, "{summary:#}");
        assert_eq!(summary["trigger"], "step-functions");
        assert_eq!(summary["published"], false);
        assert_eq!(summary["needs_attention"], false);
        let cli_report = summary["report_key"]
            .as_str()
            .expect("report key")
            .to_string();
        assert!(
            s3.get_object()
                .bucket(BUCKET)
                .key(&cli_report)
                .send()
                .await
                .is_ok(),
            "{cli_report} was written"
        );
        // Without a bucket there is nowhere to keep the run: a usage error, not a guess.
        let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(["--regions", REGION, "fleet-steps"])
            .envs(emu.env(REGION))
            .env_remove("AWS_PROFILE")
            .env_remove("RAMPART_REPORT_BUCKET")
            .output()
            .expect("rampart fleet-steps");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--report-bucket"));

        // A request the state machine would never send is refused, not guessed at.
        let err = handle(
            &json!({"rampart": "fleet-account", "account": {"id": "1"}}),
            &args,
            base,
        )
        .await
        .expect_err("incomplete request");
        assert!(
            err.to_string().contains("invalid fleet step request"),
            "{err}"
        );
    });
}

#[test]
fn the_lambda_binary_serves_the_fleet_steps_through_the_runtime_api() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[bad()], &[REGION])
            .await
            .expect("org");
        let s3 = aws_sdk_s3::Client::new(&base);
        s3.create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .expect("bucket");
        let def = definition();
        let api = RuntimeApi::start().expect("runtime api");
        let started = std::time::Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_rampart-assess-lambda"))
            .envs(emu.env(REGION))
            .envs(lambda_env(&api))
            .env("AWS_LAMBDA_FUNCTION_NAME", "rampart-assess")
            .env("RAMPART_REGIONS", REGION)
            .env("RAMPART_REPORT_BUCKET", BUCKET)
            .env_remove("AWS_PROFILE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the lambda binary");

        let ctx = json!({"Execution": {"Name": "exec-rt"}});
        let states = &def["States"];
        let req =
            resolve(&states["Plan"]["Parameters"]["Payload"], &json!({}), &ctx).expect("payload");
        api.push("plan", &req.to_string());
        let results = api.wait_results(1, Duration::from_secs(120));
        let init = api.first_poll().map(|t| t.duration_since(started));
        assert_eq!(results.len(), 1, "{results:?}");
        assert_eq!(results[0].1, "response", "{results:?}");
        let plan: Value = serde_json::from_str(&results[0].2).expect("plan JSON");
        let plan_struct: Plan = serde_json::from_value(plan.clone()).expect("a Plan");
        assert_eq!(plan_struct.accounts, 2);
        let state = json!({"plan": plan});
        let items = [
            json!({"id": org.members[0].id, "name": "bad"}),
            json!({"id": MANAGEMENT_ACCOUNT, "name": "management"}),
        ];
        for (i, item) in items.iter().enumerate() {
            let item_ctx = json!({"Map": {"Item": {"Value": item, "Index": i}}});
            let child_input = resolve(&states["AssessAccounts"]["ItemSelector"], &state, &item_ctx)
                .expect("selector");
            api.push(&format!("account-{i}"), &child_input.to_string());
        }
        let merge = resolve(&states["Merge"]["Parameters"]["Payload"], &state, &ctx)
            .expect("merge payload");
        api.push("merge", &merge.to_string());
        let results = api.wait_results(4, Duration::from_secs(300));
        let _ = child.kill();
        let out = child.wait_with_output().expect("lambda output");
        let logs = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(results.len(), 4, "{results:?}\n{logs}");
        for (id, kind, body) in &results {
            assert_eq!(kind, "response", "{id}: {body}\n{logs}");
        }
        let summary: Value = serde_json::from_str(&results[3].2).expect("summary");
        assert_eq!(summary["accounts"], 2, "{summary:#}");
        assert_eq!(summary["trigger"], "step-functions");
        eprintln!("assess lambda init (spawn to first poll, debug build): {init:?}");
    });
}
