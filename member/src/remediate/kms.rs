//! KMS.4: automatic rotation of customer managed symmetric keys.

use super::remedy::{resource_name, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;

use aws_sdk_kms::types::{KeyManagerType, KeySpec, KeyState};
use rampart_common::Permissions;
use serde_json::json;

pub const ROTATION: Remedy = Remedy {
    id: "kms-rotation",
    fixes: &[Fixes::Check("kms.cmk-rotation")],
    permissions: Permissions {
        component: "remediate/kms-rotation",
        actions: &[
            "kms:ListKeys",
            "kms:DescribeKey",
            "kms:ListResourceTags",
            "kms:GetKeyRotationStatus",
            "kms:EnableKeyRotation",
            "kms:DisableKeyRotation",
        ],
    },
    changes: "Turns on automatic yearly rotation of the customer managed symmetric key (old key material stays usable for decryption).",
    undoes: "Turns automatic rotation off again.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(ctx.member)
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let kms = client(ctx);
    let ids: Vec<String> = match resource {
        Some(r) => vec![resource_name(r).to_string()],
        None => {
            let mut pages = kms.list_keys().into_paginator().send();
            let mut ids = Vec::new();
            while let Some(p) = pages.next().await {
                let p = p.map_err(|e| AwsError::sdk("kms:ListKeys", &e))?;
                ids.extend(
                    p.keys()
                        .iter()
                        .filter_map(|k| k.key_id().map(str::to_string)),
                );
            }
            ids
        }
    };
    let mut out = Vec::new();
    for id in ids {
        let meta = kms
            .describe_key()
            .key_id(&id)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("kms:DescribeKey {id}"), &e))?;
        let Some(m) = meta.key_metadata() else {
            continue;
        };
        let arn = m.arn().unwrap_or(&id).to_string();
        let eligible = m.key_manager() == Some(&KeyManagerType::Customer)
            && m.key_spec().is_none_or(|s| *s == KeySpec::SymmetricDefault)
            && m.key_state() == Some(&KeyState::Enabled)
            && m.origin().is_none_or(|o| o.as_str() == "AWS_KMS");
        if !eligible {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "only enabled customer managed symmetric keys with AWS key material rotate automatically".into(),
                });
            }
            continue;
        }
        let on = kms
            .get_key_rotation_status()
            .key_id(m.key_id())
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("kms:GetKeyRotationStatus {id}"), &e))?
            .key_rotation_enabled();
        if on {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "rotation is already on".into(),
                });
            }
            continue;
        }
        let tags = kms
            .list_resource_tags()
            .key_id(m.key_id())
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("kms:ListResourceTags {id}"), &e))?;
        if let Some(why) = exempt_by_tag(
            ctx,
            &arn,
            tags.tags().iter().map(|t| (t.tag_key(), t.tag_value())),
        ) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "kms:EnableKeyRotation".into(),
            summary: format!("turn on rotation of key {}", m.key_id()),
            prior: json!({"key_id": m.key_id(), "rotation": false}),
            change: json!({"key_id": m.key_id(), "rotation": true}),
        }));
    }
    Ok(out)
}

async fn set(ctx: &Ctx<'_>, state: &serde_json::Value) -> Result<String, AwsError> {
    let id = text(state, "key_id")?;
    let on = state
        .get("rotation")
        .and_then(serde_json::Value::as_bool)
        .ok_or("the recorded state has no rotation")?;
    let kms = client(ctx);
    if on {
        kms.enable_key_rotation()
            .key_id(id)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("kms:EnableKeyRotation {id}"), &e))?;
    } else {
        kms.disable_key_rotation()
            .key_id(id)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("kms:DisableKeyRotation {id}"), &e))?;
    }
    Ok(format!(
        "key {id}: rotation {}",
        if on { "on" } else { "off" }
    ))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    set(ctx, &c.change).await
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    set(ctx, &a.prior).await
}
