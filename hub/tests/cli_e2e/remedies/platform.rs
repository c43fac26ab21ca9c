//! Cases of the platform remedies: transit gateways accepting shared attachments automatically
//! (EC2.23), public SSM documents (SSM.4), privileged CodeBuild projects (CodeBuild.5), Athena
//! workgroups without metrics (Athena.4) and unencrypted REST API caches (APIGateway.5).
//!
//! Each state is what the service describes of the resource: the whole transit gateway, a
//! document's description with its share permissions, the whole project (but the time it was
//! last modified), the whole workgroup (but its creation time, which the emulator reports as
//! the time of the call), a stage's settings (all but the time it was last updated).

use super::{Accounts, Case, Planted, State, REGION};
use aws_sdk_apigateway::types::{IntegrationType, Op, PatchOperation};
use aws_sdk_ec2::types::{AutoAcceptSharedAttachmentsValue, TransitGatewayRequestOptions};
use aws_sdk_ssm::types::{DocumentPermissionType, DocumentType};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            control: "EC2.23",
            plant: |a| Box::pin(plant_gateways(a)),
            state: |a, p| Box::pin(gateways(a, p)),
        },
        Case {
            control: "SSM.4",
            plant: |a| Box::pin(plant_documents(a)),
            state: |a, p| Box::pin(documents(a, p)),
        },
        Case {
            control: "CodeBuild.5",
            plant: |a| Box::pin(plant_projects(a)),
            state: |a, p| Box::pin(projects(a, p)),
        },
        Case {
            control: "Athena.4",
            plant: |a| Box::pin(plant_workgroups(a)),
            state: |a, p| Box::pin(workgroups(a, p)),
        },
        Case {
            control: "APIGateway.5",
            plant: |a| Box::pin(plant_stages(a)),
            state: |a, p| Box::pin(stages(a, p)),
        },
    ]
}

fn text(p: &Planted, k: &str) -> String {
    p.data[k].as_str().unwrap_or_default().to_string()
}

async fn gateway(ec2: &aws_sdk_ec2::Client, auto: AutoAcceptSharedAttachmentsValue) -> String {
    ec2.create_transit_gateway()
        .description("rampart remedy case")
        .options(
            TransitGatewayRequestOptions::builder()
                .auto_accept_shared_attachments(auto)
                .build(),
        )
        .send()
        .await
        .expect("create transit gateway")
        .transit_gateway()
        .and_then(|g| g.transit_gateway_id())
        .expect("transit gateway id")
        .to_string()
}

/// A gateway accepting shared attachments automatically, and one that does not.
async fn plant_gateways(a: &Accounts) -> Planted {
    let ec2 = aws_sdk_ec2::Client::new(&a.cfg);
    let open = gateway(&ec2, AutoAcceptSharedAttachmentsValue::Enable).await;
    let closed = gateway(&ec2, AutoAcceptSharedAttachmentsValue::Disable).await;
    Planted {
        resource: Some(format!(
            "arn:aws:ec2:{REGION}:{}:transit-gateway/{open}",
            a.id
        )),
        data: json!({"target": open, "neighbour": closed}),
    }
}

async fn gateway_state(ec2: &aws_sdk_ec2::Client, id: &str) -> Value {
    let out = ec2
        .describe_transit_gateways()
        .transit_gateway_ids(id)
        .send()
        .await
        .expect("describe transit gateways");
    let g = out.transit_gateways().first().expect("the transit gateway");
    Value::String(format!("{g:?}"))
}

async fn gateways(a: &Accounts, p: &Planted) -> State {
    let ec2 = aws_sdk_ec2::Client::new(&a.cfg);
    State {
        target: gateway_state(&ec2, &text(p, "target")).await,
        neighbour: gateway_state(&ec2, &text(p, "neighbour")).await,
    }
}

const DOCUMENT: &str = r#"{"schemaVersion":"2.2","description":"rampart remedy case","mainSteps":[{"action":"aws:runShellScript","name":"run","inputs":{"runCommand":["true"]}}]}"#;

async fn document(ssm: &aws_sdk_ssm::Client, name: &str, share: &str) {
    ssm.create_document()
        .name(name)
        .content(DOCUMENT)
        .document_type(DocumentType::Command)
        .send()
        .await
        .expect("create document");
    ssm.modify_document_permission()
        .name(name)
        .permission_type(DocumentPermissionType::Share)
        .account_ids_to_add(share)
        .send()
        .await
        .expect("share document");
}

/// A document shared with everyone, and one shared with one named account only.
async fn plant_documents(a: &Accounts) -> Planted {
    let ssm = aws_sdk_ssm::Client::new(&a.cfg);
    document(&ssm, "rampart-public", "all").await;
    document(&ssm, "rampart-shared", &a.other).await;
    Planted {
        resource: Some(format!(
            "arn:aws:ssm:{REGION}:{}:document/rampart-public",
            a.id
        )),
        data: json!({"target": "rampart-public", "neighbour": "rampart-shared"}),
    }
}

async fn document_state(ssm: &aws_sdk_ssm::Client, name: &str) -> Value {
    let d = ssm
        .describe_document()
        .name(name)
        .send()
        .await
        .expect("describe document");
    let perms = ssm
        .describe_document_permission()
        .name(name)
        .permission_type(DocumentPermissionType::Share)
        .send()
        .await
        .expect("describe document permission");
    json!({
        "document": format!("{:?}", d.document()),
        "account_ids": perms.account_ids(),
        "sharing": format!("{:?}", perms.account_sharing_info_list()),
    })
}

async fn documents(a: &Accounts, p: &Planted) -> State {
    let ssm = aws_sdk_ssm::Client::new(&a.cfg);
    State {
        target: document_state(&ssm, &text(p, "target")).await,
        neighbour: document_state(&ssm, &text(p, "neighbour")).await,
    }
}

fn patch(path: &str, value: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::Replace)
        .path(path)
        .value(value)
        .build()
}

/// A REST API with a stage caching every method unencrypted (and one method setting that
/// does not cache, left as it is), and a stage caching with encryption.
async fn plant_stages(a: &Accounts) -> Planted {
    let gw = aws_sdk_apigateway::Client::new(&a.cfg);
    let api = gw
        .create_rest_api()
        .name("rampart-case")
        .send()
        .await
        .expect("create rest api")
        .id()
        .expect("api id")
        .to_string();
    let root = gw
        .get_resources()
        .rest_api_id(&api)
        .send()
        .await
        .expect("resources")
        .items()
        .iter()
        .find(|r| r.path() == Some("/"))
        .and_then(|r| r.id())
        .expect("root resource")
        .to_string();
    gw.put_method()
        .rest_api_id(&api)
        .resource_id(&root)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .expect("put method");
    gw.put_integration()
        .rest_api_id(&api)
        .resource_id(&root)
        .http_method("GET")
        .r#type(IntegrationType::Mock)
        .send()
        .await
        .expect("put integration");
    let deployment = gw
        .create_deployment()
        .rest_api_id(&api)
        .stage_name("target")
        .send()
        .await
        .expect("create deployment")
        .id()
        .expect("deployment id")
        .to_string();
    gw.create_stage()
        .rest_api_id(&api)
        .stage_name("neighbour")
        .deployment_id(&deployment)
        .send()
        .await
        .expect("create stage");
    let settings = [
        (
            "target",
            vec![
                patch("/*/*/caching/enabled", "true"),
                patch("/*/*/caching/dataEncrypted", "false"),
                patch("/~1/GET/caching/enabled", "false"),
                patch("/~1/GET/caching/dataEncrypted", "false"),
            ],
        ),
        (
            "neighbour",
            vec![
                patch("/*/*/caching/enabled", "true"),
                patch("/*/*/caching/dataEncrypted", "true"),
            ],
        ),
    ];
    for (stage, ops) in settings {
        gw.update_stage()
            .rest_api_id(&api)
            .stage_name(stage)
            .set_patch_operations(Some(ops))
            .send()
            .await
            .expect("update stage");
    }
    Planted {
        resource: Some(format!(
            "arn:aws:apigateway:{REGION}::/restapis/{api}/stages/target"
        )),
        data: json!({"api": api, "target": "target", "neighbour": "neighbour"}),
    }
}

/// A map's entries in key order (HashMap's Debug order varies from call to call).
fn sorted<V: std::fmt::Debug>(m: Option<&std::collections::HashMap<String, V>>) -> String {
    format!("{:?}", m.map(|m| m.iter().collect::<BTreeMap<_, _>>()))
}

async fn stage_state(gw: &aws_sdk_apigateway::Client, api: &str, name: &str) -> Value {
    let s = gw
        .get_stage()
        .rest_api_id(api)
        .stage_name(name)
        .send()
        .await
        .expect("get stage");
    json!({
        "deployment_id": s.deployment_id(),
        "description": s.description(),
        "cache_cluster_enabled": s.cache_cluster_enabled(),
        "cache_cluster_size": format!("{:?}", s.cache_cluster_size()),
        "cache_cluster_status": format!("{:?}", s.cache_cluster_status()),
        "method_settings": sorted(s.method_settings()),
        "variables": sorted(s.variables()),
        "tags": sorted(s.tags()),
        "tracing_enabled": s.tracing_enabled(),
        "access_log_settings": format!("{:?}", s.access_log_settings()),
        "web_acl_arn": s.web_acl_arn(),
        "canary_settings": format!("{:?}", s.canary_settings()),
        "created_date": format!("{:?}", s.created_date()),
    })
}

async fn stages(a: &Accounts, p: &Planted) -> State {
    let gw = aws_sdk_apigateway::Client::new(&a.cfg);
    let api = text(p, "api");
    State {
        target: stage_state(&gw, &api, &text(p, "target")).await,
        neighbour: stage_state(&gw, &api, &text(p, "neighbour")).await,
    }
}

async fn project(cb: &aws_sdk_codebuild::Client, account: &str, name: &str, privileged: bool) {
    use aws_sdk_codebuild::types::{
        ArtifactsType, ComputeType, EnvironmentType, EnvironmentVariable, ProjectArtifacts,
        ProjectEnvironment, ProjectSource, SourceType,
    };
    cb.create_project()
        .name(name)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::Codecommit)
                .location("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/case")
                .build()
                .expect("source"),
        )
        .artifacts(
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::NoArtifacts)
                .build()
                .expect("artifacts"),
        )
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .privileged_mode(privileged)
                .certificate("case-bucket/cert.pem")
                .environment_variables(
                    EnvironmentVariable::builder()
                        .name("STAGE")
                        .value("case")
                        .build()
                        .expect("variable"),
                )
                .build()
                .expect("environment"),
        )
        .service_role(format!("arn:aws:iam::{account}:role/case-build"))
        .send()
        .await
        .expect("create project");
}

/// A project building in privileged mode, and one that does not.
async fn plant_projects(a: &Accounts) -> Planted {
    let cb = aws_sdk_codebuild::Client::new(&a.cfg);
    project(&cb, &a.id, "privileged", true).await;
    project(&cb, &a.id, "unprivileged", false).await;
    Planted {
        resource: Some(format!(
            "arn:aws:codebuild:{REGION}:{}:project/privileged",
            a.id
        )),
        data: json!({"target": "privileged", "neighbour": "unprivileged"}),
    }
}

async fn project_state(cb: &aws_sdk_codebuild::Client, name: &str) -> Value {
    let out = cb
        .batch_get_projects()
        .names(name)
        .send()
        .await
        .expect("batch get projects");
    let mut p = out.projects().first().cloned().expect("the project");
    p.last_modified = None;
    Value::String(format!("{p:?}"))
}

async fn projects(a: &Accounts, p: &Planted) -> State {
    let cb = aws_sdk_codebuild::Client::new(&a.cfg);
    State {
        target: project_state(&cb, &text(p, "target")).await,
        neighbour: project_state(&cb, &text(p, "neighbour")).await,
    }
}

async fn workgroup(athena: &aws_sdk_athena::Client, name: &str, metrics: bool) {
    use aws_sdk_athena::types::{ResultConfiguration, WorkGroupConfiguration};
    athena
        .create_work_group()
        .name(name)
        .description("rampart remedy case")
        .configuration(
            WorkGroupConfiguration::builder()
                .publish_cloud_watch_metrics_enabled(metrics)
                .enforce_work_group_configuration(true)
                .bytes_scanned_cutoff_per_query(10_000_000)
                .result_configuration(
                    ResultConfiguration::builder()
                        .output_location("s3://case-results/")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("create workgroup");
}

/// A workgroup publishing no metrics, and one that does.
async fn plant_workgroups(a: &Accounts) -> Planted {
    let athena = aws_sdk_athena::Client::new(&a.cfg);
    workgroup(&athena, "unlogged", false).await;
    workgroup(&athena, "logged", true).await;
    Planted {
        resource: Some(format!(
            "arn:aws:athena:{REGION}:{}:workgroup/unlogged",
            a.id
        )),
        data: json!({"target": "unlogged", "neighbour": "logged"}),
    }
}

async fn workgroup_state(athena: &aws_sdk_athena::Client, name: &str) -> Value {
    let out = athena
        .get_work_group()
        .work_group(name)
        .send()
        .await
        .expect("get workgroup");
    let mut w = out.work_group().cloned().expect("the workgroup");
    w.creation_time = None;
    Value::String(format!("{w:?}"))
}

async fn workgroups(a: &Accounts, p: &Planted) -> State {
    let athena = aws_sdk_athena::Client::new(&a.cfg);
    State {
        target: workgroup_state(&athena, &text(p, "target")).await,
        neighbour: workgroup_state(&athena, &text(p, "neighbour")).await,
    }
}
