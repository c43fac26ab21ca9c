//! EC2.23: Transit Gateways do not automatically accept VPC attachment requests. A gateway with
//! AutoAcceptSharedAttachments=enable gets it disabled; undo enables it again.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use aws_sdk_ec2::types::{AutoAcceptSharedAttachmentsValue, ModifyTransitGatewayOptions};
use rampart_common::arn::resource_name;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "ec2-transit-gateway-auto-accept",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "EC2.23",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/ec2-transit-gateway-auto-accept",
        actions: &["ec2:DescribeTransitGateways", "ec2:ModifyTransitGateway"],
    },
    changes: "Turns off automatic acceptance of shared attachments on the transit gateway (AutoAcceptSharedAttachments=disable); existing attachments and other options are not touched.",
    undoes: "Sets AutoAcceptSharedAttachments back to enable.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

const KIND: &str = "ec2-transit-gateway-auto-accept";

fn client(ctx: &Ctx<'_>) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(ctx.member)
}

/// The transit gateway's ARN, as Security Hub names it.
fn tgw_arn(partition: &str, region: &str, account: &str, id: &str) -> String {
    format!("arn:{partition}:ec2:{region}:{account}:transit-gateway/{id}")
}

/// Whether a gateway in `state` can be changed (deleted ones cannot, and are not judged).
fn live(state: &str) -> bool {
    !matches!(state, "deleting" | "deleted")
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (ec2, rl) = (client(ctx), limiter());
    let mut gateways = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = ec2
            .describe_transit_gateways()
            .set_transit_gateway_ids(resource.map(|r| vec![resource_name(r).to_string()]))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("ec2:DescribeTransitGateways", &e))?;
        gateways.extend(page.transit_gateways().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut out = Vec::new();
    for g in gateways {
        let Some(id) = g.transit_gateway_id() else {
            continue;
        };
        if !live(g.state().map(|s| s.as_str()).unwrap_or_default()) {
            continue;
        }
        let arn = tgw_arn(ctx.partition(), ctx.region, ctx.account, id);
        let auto = g
            .options()
            .and_then(|o| o.auto_accept_shared_attachments())
            .map(|v| v.as_str().to_string())
            .unwrap_or_else(|| "disable".into());
        if auto != "enable" {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!(
                        "transit gateway {id} does not accept shared attachments automatically"
                    ),
                });
            }
            continue;
        }
        let tags = g
            .tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
        if let Some(why) = exempt_by_tag(ctx, &arn, tags) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "ec2:ModifyTransitGateway".into(),
            summary: format!("stop transit gateway {id} accepting shared attachments automatically"),
            prior: json!({"kind": KIND, "transit_gateway_id": id, "auto_accept_shared_attachments": auto}),
            change: json!({"kind": KIND, "transit_gateway_id": id, "auto_accept_shared_attachments": "disable"}),
        }));
    }
    Ok(out)
}

/// The gateway and the setting a recorded state holds.
fn setting(state: &Value) -> Result<(&str, &str), AwsError> {
    if text(state, "kind")? != KIND {
        return Err("unknown recorded state kind".into());
    }
    let v = text(state, "auto_accept_shared_attachments")?;
    if !matches!(v, "enable" | "disable") {
        return Err(format!("unknown AutoAcceptSharedAttachments value {v}").into());
    }
    Ok((text(state, "transit_gateway_id")?, v))
}

/// Sets AutoAcceptSharedAttachments as recorded; no other option is sent, so none changes.
async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let (id, v) = setting(state)?;
    client(ctx)
        .modify_transit_gateway()
        .transit_gateway_id(id)
        .options(
            ModifyTransitGatewayOptions::builder()
                .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(v))
                .build(),
        )
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("ec2:ModifyTransitGateway {id}"), &e))?;
    Ok(format!(
        "transit gateway {id}: AutoAcceptSharedAttachments={v}"
    ))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    put(ctx, &c.change).await
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    put(ctx, &a.prior).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_read_back_their_id() {
        let arn = tgw_arn("aws", "eu-west-1", "111122223333", "tgw-0abc");
        assert_eq!(
            arn,
            "arn:aws:ec2:eu-west-1:111122223333:transit-gateway/tgw-0abc"
        );
        assert_eq!(resource_name(&arn), "tgw-0abc");
    }

    #[test]
    fn the_recorded_state_is_read_back() {
        let s = json!({"kind": KIND, "transit_gateway_id": "tgw-1", "auto_accept_shared_attachments": "enable"});
        assert_eq!(setting(&s).ok(), Some(("tgw-1", "enable")));
        assert!(setting(&json!({"kind": KIND, "transit_gateway_id": "tgw-1", "auto_accept_shared_attachments": "maybe"})).is_err());
        assert!(setting(&json!({"kind": "x", "transit_gateway_id": "tgw-1", "auto_accept_shared_attachments": "enable"})).is_err());
        assert!(live("available") && live("pending") && !live("deleted"));
    }
}
