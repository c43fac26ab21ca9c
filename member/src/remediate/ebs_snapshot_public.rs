//! EC2.1: EBS snapshots are not publicly restorable. A snapshot the account owns whose
//! createVolumePermission includes the group `all` loses that group; the accounts it is shared
//! with one by one keep their permission. Undo adds `all` back.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use crate::snapshot::tags::{pairs, Tags};
use aws_sdk_ec2::types::{OperationType, SnapshotAttributeName};
use rampart_common::arn::resource_name;
use rampart_common::Permissions;
use serde_json::{json, Value};

/// The group that makes a snapshot public (the only group EC2 has).
const PUBLIC: &str = "all";

pub const REMEDY: Remedy = Remedy {
    id: "ec2-ebs-snapshot-public",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "EC2.1",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/ec2-ebs-snapshot-public",
        actions: &[
            "ec2:DescribeSnapshots",
            "ec2:DescribeSnapshotAttribute",
            "ec2:ModifySnapshotAttribute",
        ],
    },
    changes: "Removes the group all from the snapshot's create-volume permissions (it is no longer public); accounts it is shared with by id keep their permission.",
    undoes: "Adds the group all back (the snapshot is public again).",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(ctx.member)
}

/// The snapshot's ARN, as Security Hub names it.
fn snapshot_arn(partition: &str, region: &str, account: &str, id: &str) -> String {
    format!("arn:{partition}:ec2:{region}:{account}:snapshot/{id}")
}

/// Who may create volumes from a snapshot.
#[derive(Debug, Default, PartialEq)]
struct VolumePermissions {
    groups: Vec<String>,
    user_ids: Vec<String>,
}

impl VolumePermissions {
    fn public(&self) -> bool {
        self.groups.iter().any(|g| g == PUBLIC)
    }
}

/// The account's own snapshots with their tags: `id` only, or every one restorable by all
/// (EC2 narrows the listing to public snapshots; each is read again below).
async fn snapshots(
    ec2: &aws_sdk_ec2::Client,
    account: &str,
    id: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<(String, Tags)>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = ec2
            .describe_snapshots()
            .owner_ids("self")
            .set_snapshot_ids(id.map(|i| vec![i.to_string()]))
            .set_restorable_by_user_ids(id.is_none().then(|| vec![PUBLIC.to_string()]))
            .set_max_results(id.is_none().then_some(1000))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("ec2:DescribeSnapshots", &e))?;
        // Only the account's own: another's snapshot shared with it is not its to change.
        out.extend(
            page.snapshots()
                .iter()
                .filter(|s| s.owner_id() == Some(account))
                .map(|s| {
                    let tags = s
                        .tags()
                        .iter()
                        .map(|t| {
                            (
                                t.key().unwrap_or_default().to_string(),
                                t.value().unwrap_or_default().to_string(),
                            )
                        })
                        .collect();
                    (s.snapshot_id().unwrap_or_default().to_string(), tags)
                }),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn volume_permissions(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    rl: &RateLimiter,
) -> Result<VolumePermissions, AwsError> {
    rl.acquire().await;
    let out = ec2
        .describe_snapshot_attribute()
        .snapshot_id(id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("ec2:DescribeSnapshotAttribute {id}"), &e))?;
    let mut p = VolumePermissions::default();
    for c in out.create_volume_permissions() {
        if let Some(g) = c.group() {
            p.groups.push(g.as_str().to_string());
        }
        if let Some(u) = c.user_id() {
            p.user_ids.push(u.to_string());
        }
    }
    p.groups.sort();
    p.user_ids.sort();
    Ok(p)
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (ec2, rl) = (client(ctx), limiter());
    let only = resource.map(resource_name);
    let found = snapshots(&ec2, ctx.account, only, &rl).await?;
    let mut out = Vec::new();
    if let (Some(r), true) = (resource, found.is_empty()) {
        out.push(Planned::Skip {
            resource: r.to_string(),
            why: format!("no snapshot {} owned by the account", only.unwrap_or(r)),
        });
    }
    for (id, tags) in found {
        let arn = snapshot_arn(ctx.partition(), ctx.region, ctx.account, &id);
        let perms = volume_permissions(&ec2, &id, &rl).await?;
        if !perms.public() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("snapshot {id} is not public"),
                });
            }
            continue;
        }
        if let Some(why) = exempt_by_tag(ctx, &arn, pairs(&tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "ec2:ModifySnapshotAttribute".into(),
            summary: format!("make snapshot {id} private (remove group {PUBLIC})"),
            prior: json!({"kind": "snapshot-public", "snapshot_id": id, "groups": perms.groups, "user_ids": perms.user_ids}),
            change: json!({"kind": "snapshot-public", "snapshot_id": id, "remove_groups": [PUBLIC]}),
        }));
    }
    Ok(out)
}

/// Adds or removes the group `all` of the snapshot's create-volume permissions; nothing else.
async fn public(ctx: &Ctx<'_>, id: &str, op: OperationType) -> Result<(), AwsError> {
    client(ctx)
        .modify_snapshot_attribute()
        .snapshot_id(id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .operation_type(op)
        .group_names(PUBLIC)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::sdk(format!("ec2:ModifySnapshotAttribute {id}"), &e))
}

fn snapshot_id(state: &Value) -> Result<&str, AwsError> {
    if text(state, "kind")? != "snapshot-public" {
        return Err("unknown recorded state kind".into());
    }
    text(state, "snapshot_id")
}

/// Whether a recorded document names the group `all` in `field`.
fn names_public(state: &Value, field: &str) -> bool {
    state
        .get(field)
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|g| g.as_str() == Some(PUBLIC)))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    let id = snapshot_id(&c.change)?;
    if !names_public(&c.change, "remove_groups") {
        return Err("the change removes no group".into());
    }
    public(ctx, id, OperationType::Remove).await?;
    Ok(format!("snapshot {id}: group {PUBLIC} removed"))
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    let id = snapshot_id(&a.prior)?;
    if !names_public(&a.prior, "groups") {
        return Ok(format!("snapshot {id} was not public: nothing to restore"));
    }
    public(ctx, id, OperationType::Add).await?;
    Ok(format!("snapshot {id}: group {PUBLIC} added back"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_means_the_group_all() {
        let shared = VolumePermissions {
            groups: vec![],
            user_ids: vec!["999988887777".into()],
        };
        assert!(!shared.public());
        let open = VolumePermissions {
            groups: vec!["all".into()],
            user_ids: vec!["999988887777".into()],
        };
        assert!(open.public());
    }

    #[test]
    fn recorded_states() {
        let prior = json!({"kind": "snapshot-public", "snapshot_id": "snap-1", "groups": ["all"], "user_ids": ["999988887777"]});
        assert_eq!(snapshot_id(&prior).ok(), Some("snap-1"));
        assert!(names_public(&prior, "groups"));
        assert!(!names_public(&prior, "remove_groups"));
        assert!(
            snapshot_id(&json!({"kind": "subnet-public-ip", "snapshot_id": "snap-1"})).is_err()
        );
        let arn = snapshot_arn("aws", "us-east-1", "111122223333", "snap-1");
        assert_eq!(arn, "arn:aws:ec2:us-east-1:111122223333:snapshot/snap-1");
        assert_eq!(resource_name(&arn), "snap-1");
    }
}
