//! RDS.1: manual DB snapshots and DB cluster snapshots are not public. A public snapshot's
//! `restore` attribute holds `all`; only that value is removed, the accounts it is shared
//! with stay.

use super::rds_instance_settings::{rds_arn, rds_id};
use super::remedy::{limiter, text, Fixes, Remedy, Scope};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::rds::{db_cluster_snapshots, db_snapshots, snapshot_restore};
use crate::snapshot::tags;

use rampart_common::Permissions;
use serde_json::{json, Value};

pub const SNAPSHOT_NOT_PUBLIC: Remedy = Remedy {
    id: "rds-snapshot-not-public",
    scope: Scope::Resource,
    fixes: &[Fixes::Control {
        control: "RDS.1",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/rds-snapshot-not-public",
        actions: &[
            "rds:DescribeDBSnapshots",
            "rds:DescribeDBSnapshotAttributes",
            "rds:ModifyDBSnapshotAttribute",
            "rds:DescribeDBClusterSnapshots",
            "rds:DescribeDBClusterSnapshotAttributes",
            "rds:ModifyDBClusterSnapshotAttribute",
        ],
    },
    changes: "Removes `all` from the manual DB or DB cluster snapshot's restore attribute (it is no longer public); the accounts it is shared with keep their access.",
    undoes: "Adds `all` back to the snapshot's restore attribute.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

/// The restore attribute's value that makes a snapshot public.
const PUBLIC: &str = "all";

fn client(ctx: &Ctx<'_>) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(ctx.member)
}

/// The ARN kind of a DB snapshot or a DB cluster snapshot.
fn kind(cluster: bool) -> &'static str {
    if cluster {
        "cluster-snapshot"
    } else {
        "snapshot"
    }
}

/// The records of making a snapshot with these restore values private, or `None` when it is
/// not public.
fn decide(id: &str, cluster: bool, restore: &[String]) -> Option<(Value, Value)> {
    if !restore.iter().any(|v| v == PUBLIC) {
        return None;
    }
    let shared: Vec<&String> = restore.iter().filter(|v| *v != PUBLIC).collect();
    Some((
        json!({"kind": kind(cluster), "snapshot": id, "public": true, "restore": restore}),
        json!({"kind": kind(cluster), "snapshot": id, "public": false, "restore": shared}),
    ))
}

async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (rds, rl) = (client(ctx), limiter());
    let found = match resource {
        Some(r) => match (rds_id(r, "snapshot"), rds_id(r, "cluster-snapshot")) {
            // A bare id answers for either kind; an ARN for its own.
            (Some(id), Some(_)) => {
                let mut v = db_snapshots(&rds, Some(id), &rl).await?;
                v.extend(db_cluster_snapshots(&rds, Some(id), &rl).await?);
                v
            }
            (Some(id), None) => db_snapshots(&rds, Some(id), &rl).await?,
            (None, Some(id)) => db_cluster_snapshots(&rds, Some(id), &rl).await?,
            (None, None) => {
                return Ok(vec![Planned::Skip {
                    resource: r.to_string(),
                    why: "not a DB snapshot or DB cluster snapshot".into(),
                }])
            }
        },
        None => {
            let mut v = db_snapshots(&rds, None, &rl).await?;
            v.extend(db_cluster_snapshots(&rds, None, &rl).await?);
            v
        }
    };
    if let (Some(r), true) = (resource, found.is_empty()) {
        return Ok(vec![Planned::Skip {
            resource: r.to_string(),
            why: "no such manual snapshot in the region".into(),
        }]);
    }
    let mut out = Vec::new();
    for s in &found {
        let arn = rds_arn(
            ctx.partition(),
            ctx.region,
            ctx.account,
            kind(s.cluster),
            &s.id,
        );
        let restore = snapshot_restore(&rds, s, &rl).await?;
        let Some((prior, change)) = decide(&s.id, s.cluster, &restore) else {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("{} is not public", s.id),
                });
            }
            continue;
        };
        if let Some(why) = exempt_by_tag(ctx, &arn, tags::pairs(&s.tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let api = if s.cluster {
            "rds:ModifyDBClusterSnapshotAttribute"
        } else {
            "rds:ModifyDBSnapshotAttribute"
        };
        out.push(Planned::Change(Change {
            resource: arn,
            api: api.into(),
            summary: format!("make {} {} private", kind(s.cluster), s.id),
            prior,
            change,
        }));
    }
    Ok(out)
}

/// Adds `all` to the restore attribute (public) or removes it (private); the accounts it is
/// shared with are never named, so they stay as they are.
async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let id = text(state, "snapshot")?;
    let public = state
        .get("public")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no public")?;
    let (add, remove) = if public {
        (Some(vec![PUBLIC.to_string()]), None)
    } else {
        (None, Some(vec![PUBLIC.to_string()]))
    };
    let rds = client(ctx);
    match text(state, "kind")? {
        "snapshot" => {
            rds.modify_db_snapshot_attribute()
                .db_snapshot_identifier(id)
                .attribute_name("restore")
                .set_values_to_add(add)
                .set_values_to_remove(remove)
                .send()
                .await
                .map_err(|e| AwsError::sdk(format!("rds:ModifyDBSnapshotAttribute {id}"), &e))?;
        }
        "cluster-snapshot" => {
            rds.modify_db_cluster_snapshot_attribute()
                .db_cluster_snapshot_identifier(id)
                .attribute_name("restore")
                .set_values_to_add(add)
                .set_values_to_remove(remove)
                .send()
                .await
                .map_err(|e| {
                    AwsError::sdk(format!("rds:ModifyDBClusterSnapshotAttribute {id}"), &e)
                })?;
        }
        other => return Err(format!("unknown recorded state kind {other}").into()),
    }
    Ok(format!(
        "{id}: {}",
        if public {
            "public again"
        } else {
            "no longer public"
        }
    ))
}

async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    put(ctx, &c.change).await
}

async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    put(ctx, &a.prior).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_public_snapshot_loses_only_all() {
        let (prior, change) = decide("s1", false, &v(&["111122223333", "all"])).expect("public");
        assert_eq!(
            prior,
            json!({"kind": "snapshot", "snapshot": "s1", "public": true, "restore": ["111122223333", "all"]})
        );
        assert_eq!(
            change,
            json!({"kind": "snapshot", "snapshot": "s1", "public": false, "restore": ["111122223333"]})
        );
        let (prior, _) = decide("c1", true, &v(&["all"])).expect("public");
        assert_eq!(prior["kind"], "cluster-snapshot");
    }

    #[test]
    fn private_and_shared_snapshots_plan_nothing() {
        assert!(decide("s1", false, &[]).is_none());
        assert!(decide("s1", false, &v(&["111122223333"])).is_none());
        assert!(decide("s1", true, &v(&["111122223333", "444455556666"])).is_none());
    }
}
