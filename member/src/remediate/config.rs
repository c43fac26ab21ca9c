//! Config.1: the configuration recorder records every supported resource type (with global
//! types) and is running. Only where a recorder and a delivery channel exist: Rampart does not
//! create them (they need a bucket and a role the account chooses).

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::config::{collect as recorders, delivery_channels};

use aws_sdk_config::types::RecordingGroup;
use rampart_common::arn;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const RECORDER: Remedy = Remedy {
    id: "config-recorder",
    scope: super::remedy::Scope::Account,
    fixes: &[
        Fixes::Check("config.recorder-enabled"),
        Fixes::Check("config.global-resource-types"),
    ],
    permissions: Permissions {
        component: "remediate/config-recorder",
        actions: &[
            "config:DescribeConfigurationRecorders",
            "config:DescribeConfigurationRecorderStatus",
            "config:DescribeDeliveryChannels",
            "config:PutConfigurationRecorder",
            "config:StartConfigurationRecorder",
            "config:StopConfigurationRecorder",
            "iam:PassRole",
        ],
    },
    changes: "Sets the existing recorder to record all supported resource types including global ones, and starts it. Nothing is created where no recorder or delivery channel exists.",
    undoes: "Puts the recorded recording group back and stops the recorder if it was stopped.",
    plan: |ctx, _| Box::pin(plan(ctx)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_config::Client {
    aws_sdk_config::Client::new(ctx.member)
}

pub async fn plan(ctx: &Ctx<'_>) -> Result<Vec<Planned>, AwsError> {
    let (cfg, rl) = (client(ctx), limiter());
    let resource = arn::account(ctx.account);
    let recs = recorders(&cfg, &rl).await?;
    let Some(rec) = recs.first() else {
        return Ok(vec![Planned::Skip {
            resource,
            why: format!(
                "no configuration recorder in {}: Rampart does not create one",
                ctx.region
            ),
        }]);
    };
    if delivery_channels(&cfg, &rl).await?.is_empty() {
        return Ok(vec![Planned::Skip {
            resource,
            why: format!(
                "no delivery channel in {}: Rampart does not create one",
                ctx.region
            ),
        }]);
    }
    let name = if rec.name.is_empty() {
        "default"
    } else {
        rec.name.as_str()
    };
    let (recording, all, global) = (
        rec.recording,
        rec.all_supported,
        rec.include_global_resource_types,
    );
    if recording && all && global {
        return Ok(vec![Planned::Skip {
            resource,
            why: format!("recorder {name} records everything and is running"),
        }]);
    }
    let prior = json!({
        "recorder": name, "role_arn": rec.role_arn,
        "all_supported": all, "include_global": global, "resource_types": rec.resource_types,
        "recording": recording,
    });
    let mut change = prior.clone();
    change["all_supported"] = json!(true);
    change["include_global"] = json!(true);
    change["resource_types"] = json!([]);
    change["recording"] = json!(true);
    Ok(vec![Planned::Change(Change {
        resource,
        api: "config:PutConfigurationRecorder".into(),
        summary: format!("recorder {name}: record all supported and global types, running"),
        prior,
        change,
    })])
}

async fn put(ctx: &Ctx<'_>, s: &Value) -> Result<String, AwsError> {
    let cfg = client(ctx);
    let name = text(s, "recorder")?;
    let b = |k: &str| s.get(k).and_then(Value::as_bool).unwrap_or(false);
    let types: Vec<aws_sdk_config::types::ResourceType> = s
        .get("resource_types")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(aws_sdk_config::types::ResourceType::from)
        .collect();
    let group = RecordingGroup::builder()
        .all_supported(b("all_supported"))
        .include_global_resource_types(b("include_global"))
        .set_resource_types((!types.is_empty()).then_some(types))
        .build();
    let recorder = aws_sdk_config::types::ConfigurationRecorder::builder()
        .name(name)
        .set_role_arn(
            s.get("role_arn")
                .and_then(Value::as_str)
                .map(str::to_string),
        )
        .recording_group(group)
        .build();
    cfg.put_configuration_recorder()
        .configuration_recorder(recorder)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("config:PutConfigurationRecorder {name}"), &e))?;
    if b("recording") {
        cfg.start_configuration_recorder()
            .configuration_recorder_name(name)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("config:StartConfigurationRecorder {name}"), &e))?;
    } else {
        cfg.stop_configuration_recorder()
            .configuration_recorder_name(name)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("config:StopConfigurationRecorder {name}"), &e))?;
    }
    Ok(format!(
        "recorder {name}: all supported {}, global {}, recording {}",
        b("all_supported"),
        b("include_global"),
        b("recording")
    ))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    put(ctx, &c.change).await
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    put(ctx, &a.prior).await
}
