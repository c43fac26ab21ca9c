//! EC2.7: EBS encryption by default in the region; EC2.8: IMDSv2 required on instances.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::ec2::{ebs_default, instances};
use crate::snapshot::tags;

use aws_sdk_ec2::types::{HttpTokensState, InstanceMetadataEndpointState};
use rampart_common::arn;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const EBS_DEFAULT_ENCRYPTION: Remedy = Remedy {
    id: "ec2-ebs-default-encryption",
    scope: super::remedy::Scope::Account,
    fixes: &[Fixes::Check("ec2.ebs-default-encryption")],
    permissions: Permissions {
        component: "remediate/ec2-ebs-default-encryption",
        actions: &[
            "ec2:GetEbsEncryptionByDefault",
            "ec2:EnableEbsEncryptionByDefault",
            "ec2:DisableEbsEncryptionByDefault",
        ],
    },
    changes: "Turns on EBS encryption by default in the region (new volumes and snapshot copies are encrypted with the account's default EBS key; existing volumes are not touched).",
    undoes: "Turns EBS encryption by default off again.",
    plan: |ctx, _| Box::pin(plan_ebs(ctx)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const IMDSV2: Remedy = Remedy {
    id: "ec2-imdsv2",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Check("ec2.imdsv2-required")],
    permissions: Permissions {
        component: "remediate/ec2-imdsv2",
        actions: &["ec2:DescribeInstances", "ec2:ModifyInstanceMetadataOptions"],
    },
    changes: "Sets the instance's metadata options to HttpTokens=required (IMDSv2 only), keeping the endpoint state and hop limit.",
    undoes: "Sets HttpTokens back to the recorded value (optional).",
    plan: |ctx, req| Box::pin(plan_imdsv2(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(ctx.member)
}

pub async fn plan_ebs(ctx: &Ctx<'_>) -> Result<Vec<Planned>, AwsError> {
    let resource = arn::account(ctx.account);
    if ebs_default(&client(ctx), &limiter()).await? {
        return Ok(vec![Planned::Skip {
            resource,
            why: format!("EBS encryption by default is already on in {}", ctx.region),
        }]);
    }
    Ok(vec![Planned::Change(Change {
        resource,
        api: "ec2:EnableEbsEncryptionByDefault".into(),
        summary: format!("turn on EBS encryption by default in {}", ctx.region),
        prior: json!({"kind": "ebs", "ebs_encryption_by_default": false}),
        change: json!({"kind": "ebs", "ebs_encryption_by_default": true}),
    })])
}

pub async fn plan_imdsv2(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let found = instances(&client(ctx), resource.map(arn::resource_name), &limiter()).await?;
    let mut out = Vec::new();
    for i in found.iter().filter(|i| i.is_live()) {
        let id = &i.id;
        let arn = i.arn(ctx.partition(), ctx.region, ctx.account);
        if i.requires_imdsv2() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("{id} already requires IMDSv2 (or has no metadata endpoint)"),
                });
            }
            continue;
        }
        if let Some(why) = exempt_by_tag(ctx, &arn, tags::pairs(&i.tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let tokens = i.http_tokens.as_deref().unwrap_or("optional");
        out.push(Planned::Change(Change {
            resource: arn,
            api: "ec2:ModifyInstanceMetadataOptions".into(),
            summary: format!("require IMDSv2 on {id}"),
            prior: json!({"kind": "imds", "instance_id": id, "http_tokens": tokens, "http_endpoint": i.http_endpoint}),
            change: json!({"kind": "imds", "instance_id": id, "http_tokens": "required"}),
        }));
    }
    Ok(out)
}

async fn set_tokens(ctx: &Ctx<'_>, id: &str, tokens: &str) -> Result<(), AwsError> {
    client(ctx)
        .modify_instance_metadata_options()
        .instance_id(id)
        .http_tokens(HttpTokensState::from(tokens))
        .http_endpoint(InstanceMetadataEndpointState::Enabled)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::sdk(format!("ec2:ModifyInstanceMetadataOptions {id}"), &e))
}

async fn set_ebs(ctx: &Ctx<'_>, on: bool) -> Result<(), AwsError> {
    let ec2 = client(ctx);
    if on {
        ec2.enable_ebs_encryption_by_default()
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::sdk("ec2:EnableEbsEncryptionByDefault", &e))
    } else {
        ec2.disable_ebs_encryption_by_default()
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::sdk("ec2:DisableEbsEncryptionByDefault", &e))
    }
}

async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    match text(state, "kind")? {
        "ebs" => {
            let on = state
                .get("ebs_encryption_by_default")
                .and_then(Value::as_bool)
                .ok_or("the recorded state has no ebs_encryption_by_default")?;
            set_ebs(ctx, on).await?;
            Ok(format!(
                "EBS encryption by default {} in {}",
                if on { "on" } else { "off" },
                ctx.region
            ))
        }
        "imds" => {
            let id = text(state, "instance_id")?;
            let tokens = text(state, "http_tokens")?;
            set_tokens(ctx, id, tokens).await?;
            Ok(format!("{id}: HttpTokens={tokens}"))
        }
        other => Err(format!("unknown recorded state kind {other}").into()),
    }
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    put(ctx, &c.change).await
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    put(ctx, &a.prior).await
}
