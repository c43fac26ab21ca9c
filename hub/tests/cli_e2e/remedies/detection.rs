//! Cases of the detection remedies: GuardDuty enabled (GuardDuty.1), ECR scan on push (ECR.1)
//! and Lambda function policies without public access (Lambda.1).

use super::{Accounts, Case, Planted, State};
use aws_config::SdkConfig;
use serde_json::{json, Value};

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            control: "GuardDuty.1",
            plant: |a| Box::pin(plant_guardduty(a)),
            state: |a, _| Box::pin(guardduty_state(a)),
        },
        Case {
            control: "ECR.1",
            plant: |a| Box::pin(plant_ecr(a)),
            state: |a, p| Box::pin(ecr_state(a, p)),
        },
        Case {
            control: "Lambda.1",
            plant: |a| Box::pin(plant_lambda(a)),
            state: |a, p| Box::pin(lambda_state(a, p)),
        },
    ]
}

fn text(p: &Planted, k: &str) -> String {
    p.data[k].as_str().unwrap_or_default().to_string()
}

/// Neither account has a detector (fresh accounts): the violation is planted by being there.
async fn plant_guardduty(a: &Accounts) -> Planted {
    for cfg in [&a.cfg, &a.other_cfg] {
        assert_eq!(
            detectors(cfg).await,
            json!([]),
            "a fresh account has no detector"
        );
    }
    Planted {
        resource: None,
        data: Value::Null,
    }
}

/// Every detector of the account's region with its status, frequency and tags.
async fn detectors(cfg: &SdkConfig) -> Value {
    let gd = aws_sdk_guardduty::Client::new(cfg);
    let ids = gd.list_detectors().send().await.expect("list detectors");
    let mut out = Vec::new();
    for id in ids.detector_ids() {
        let d = gd
            .get_detector()
            .detector_id(id)
            .send()
            .await
            .expect("get detector");
        let tags: serde_json::Map<String, Value> = d
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
            .unwrap_or_default();
        out.push(json!({
            "id": id,
            "status": d.status().map(|s| s.as_str()),
            "frequency": d.finding_publishing_frequency().map(|f| f.as_str()),
            "tags": tags,
        }));
    }
    json!(out)
}

async fn guardduty_state(a: &Accounts) -> State {
    State {
        target: detectors(&a.cfg).await,
        neighbour: detectors(&a.other_cfg).await,
    }
}

async fn repository(ecr: &aws_sdk_ecr::Client, name: &str, scan: bool) -> String {
    ecr.create_repository()
        .repository_name(name)
        .image_scanning_configuration(
            aws_sdk_ecr::types::ImageScanningConfiguration::builder()
                .scan_on_push(scan)
                .build(),
        )
        .send()
        .await
        .expect("create repository")
        .repository()
        .and_then(|r| r.repository_arn())
        .expect("repository arn")
        .to_string()
}

/// A repository without scan on push and a neighbour with it.
async fn plant_ecr(a: &Accounts) -> Planted {
    let ecr = aws_sdk_ecr::Client::new(&a.cfg);
    let target = repository(&ecr, "team/unscanned", false).await;
    repository(&ecr, "team/scanned", true).await;
    Planted {
        resource: Some(target),
        data: json!({"target": "team/unscanned", "neighbour": "team/scanned"}),
    }
}

async fn repository_state(ecr: &aws_sdk_ecr::Client, name: &str) -> Value {
    let out = ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
        .expect("describe repository");
    let r = &out.repositories()[0];
    json!({
        "arn": r.repository_arn(),
        "scan_on_push": r.image_scanning_configuration().map(|c| c.scan_on_push()),
        "tag_mutability": r.image_tag_mutability().map(|m| m.as_str()),
        "encryption": r.encryption_configuration().map(|e| e.encryption_type().as_str()),
    })
}

async fn ecr_state(a: &Accounts, p: &Planted) -> State {
    let ecr = aws_sdk_ecr::Client::new(&a.cfg);
    State {
        target: repository_state(&ecr, &text(p, "target")).await,
        neighbour: repository_state(&ecr, &text(p, "neighbour")).await,
    }
}

/// An empty zip archive: the emulator stores code without running it.
const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

async fn function(lambda: &aws_sdk_lambda::Client, name: &str, role: &str) -> String {
    lambda
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("index.handler")
        .role(role)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .send()
        .await
        .expect("create function")
        .function_arn()
        .expect("function arn")
        .to_string()
}

/// Invoking the function allowed to everyone, or (with `account`) only from that account.
async fn allow(lambda: &aws_sdk_lambda::Client, name: &str, sid: &str, account: Option<&str>) {
    lambda
        .add_permission()
        .function_name(name)
        .statement_id(sid)
        .action("lambda:InvokeFunction")
        .principal("*")
        .set_source_account(account.map(str::to_string))
        .send()
        .await
        .expect("add permission");
}

/// A function with one public statement and one restricted to the account, and a neighbour
/// with a restricted statement only.
async fn plant_lambda(a: &Accounts) -> Planted {
    let iam = aws_sdk_iam::Client::new(&a.cfg);
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let role = iam
        .create_role()
        .role_name("rampart-case-function")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("create role");
    let role = role.role().map(|r| r.arn()).expect("role arn").to_string();
    let lambda = aws_sdk_lambda::Client::new(&a.cfg);
    let target = function(&lambda, "public-fn", &role).await;
    function(&lambda, "private-fn", &role).await;
    allow(&lambda, "public-fn", "everyone", None).await;
    allow(&lambda, "public-fn", "own-account", Some(&a.id)).await;
    allow(&lambda, "private-fn", "own-account", Some(&a.id)).await;
    Planted {
        resource: Some(target),
        data: json!({"target": "public-fn", "neighbour": "private-fn"}),
    }
}

/// The function's policy document (statements in Sid order: AddPermission appends), or null.
async fn policy(lambda: &aws_sdk_lambda::Client, name: &str) -> Value {
    let out = match lambda.get_policy().function_name(name).send().await {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Value::Null
        }
        Err(e) => panic!("get policy {name}: {e:?}"),
    };
    let mut doc: Value =
        serde_json::from_str(out.policy().expect("policy document")).expect("policy JSON");
    if let Some(s) = doc["Statement"].as_array_mut() {
        s.sort_by_key(|x| x["Sid"].as_str().unwrap_or_default().to_string());
    }
    doc
}

async fn lambda_state(a: &Accounts, p: &Planted) -> State {
    let lambda = aws_sdk_lambda::Client::new(&a.cfg);
    State {
        target: policy(&lambda, &text(p, "target")).await,
        neighbour: policy(&lambda, &text(p, "neighbour")).await,
    }
}
