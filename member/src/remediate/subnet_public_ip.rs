//! EC2.15: subnets do not assign public IPv4 addresses on launch. A subnet of the account with
//! MapPublicIpOnLaunch=true gets false; undo sets it back to true.
//!
//! The default VPC's default subnets map public addresses as AWS creates them: they are
//! violations too. Subnets shared with the account by another (RAM) are the owner's to change.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use crate::snapshot::tags::{pairs, Tags};
use aws_sdk_ec2::types::AttributeBooleanValue;
use rampart_common::arn::resource_name;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "ec2-subnet-public-ip",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "EC2.15",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/ec2-subnet-public-ip",
        actions: &["ec2:DescribeSubnets", "ec2:ModifySubnetAttribute"],
    },
    changes: "Sets the subnet's MapPublicIpOnLaunch to false: instances launched there later get no public IPv4 address unless they ask for one (running instances keep theirs).",
    undoes: "Sets MapPublicIpOnLaunch back to true.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(ctx.member)
}

/// The subnet's ARN, as Security Hub names it.
fn subnet_arn(partition: &str, region: &str, owner: &str, id: &str) -> String {
    format!("arn:{partition}:ec2:{region}:{owner}:subnet/{id}")
}

/// What the plan needs of a subnet.
struct Subnet {
    id: String,
    owner: String,
    map_public_ip: bool,
    tags: Tags,
}

/// Every subnet the account sees, or only `id` (sent without a page size, which EC2 refuses
/// beside explicit ids).
async fn subnets(
    ec2: &aws_sdk_ec2::Client,
    id: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<Subnet>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = ec2
            .describe_subnets()
            .set_subnet_ids(id.map(|i| vec![i.to_string()]))
            .set_max_results(id.is_none().then_some(1000))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("ec2:DescribeSubnets", &e))?;
        out.extend(page.subnets().iter().map(|s| {
            Subnet {
                id: s.subnet_id().unwrap_or_default().to_string(),
                owner: s.owner_id().unwrap_or_default().to_string(),
                map_public_ip: s.map_public_ip_on_launch().unwrap_or(false),
                tags: s
                    .tags()
                    .iter()
                    .map(|t| {
                        (
                            t.key().unwrap_or_default().to_string(),
                            t.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect(),
            }
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Why a subnet is left alone, if it is: compliant, or another account's.
fn leave(s: &Subnet, account: &str) -> Option<String> {
    if !s.owner.is_empty() && s.owner != account {
        return Some(format!(
            "subnet {} is shared by account {}: only its owner can change it",
            s.id, s.owner
        ));
    }
    (!s.map_public_ip).then(|| format!("subnet {} does not assign public IPv4 addresses", s.id))
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let only = resource.map(resource_name);
    let found = subnets(&client(ctx), only, &limiter()).await?;
    let mut out = Vec::new();
    for s in found {
        let owner = if s.owner.is_empty() {
            ctx.account
        } else {
            &s.owner
        };
        let arn = subnet_arn(ctx.partition(), ctx.region, owner, &s.id);
        if let Some(why) = leave(&s, ctx.account) {
            if resource.is_some() {
                out.push(Planned::Skip { resource: arn, why });
            }
            continue;
        }
        if let Some(why) = exempt_by_tag(ctx, &arn, pairs(&s.tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "ec2:ModifySubnetAttribute".into(),
            summary: format!("stop assigning public IPv4 addresses in subnet {}", s.id),
            prior: json!({"kind": "subnet-public-ip", "subnet_id": s.id, "map_public_ip_on_launch": true}),
            change: json!({"kind": "subnet-public-ip", "subnet_id": s.id, "map_public_ip_on_launch": false}),
        }));
    }
    Ok(out)
}

/// Sets MapPublicIpOnLaunch as recorded; nothing else of the subnet.
async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    if text(state, "kind")? != "subnet-public-ip" {
        return Err("unknown recorded state kind".into());
    }
    let id = text(state, "subnet_id")?;
    let on = state
        .get("map_public_ip_on_launch")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no map_public_ip_on_launch")?;
    client(ctx)
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("ec2:ModifySubnetAttribute {id}"), &e))?;
    Ok(format!("subnet {id}: MapPublicIpOnLaunch={on}"))
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

    fn subnet(owner: &str, map: bool) -> Subnet {
        Subnet {
            id: "subnet-1".into(),
            owner: owner.into(),
            map_public_ip: map,
            tags: Tags::new(),
        }
    }

    #[test]
    fn only_own_subnets_that_map_public_addresses_change() {
        assert_eq!(leave(&subnet("111122223333", true), "111122223333"), None);
        assert_eq!(leave(&subnet("", true), "111122223333"), None);
        assert!(leave(&subnet("111122223333", false), "111122223333")
            .is_some_and(|w| w.contains("does not assign")));
        assert!(leave(&subnet("999988887777", true), "111122223333")
            .is_some_and(|w| w.contains("shared by account 999988887777")));
    }

    #[test]
    fn subnet_arns_read_back_their_id() {
        let arn = subnet_arn("aws", "us-east-1", "111122223333", "subnet-0abc");
        assert_eq!(arn, "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0abc");
        assert_eq!(resource_name(&arn), "subnet-0abc");
    }
}
