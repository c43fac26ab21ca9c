//! RDS DB cluster settings, one attribute each: RDS.7 (deletion protection) and RDS.16 (copy
//! tags to snapshots).

use super::rds_instance_settings::{rds_arn, rds_id};
use super::remedy::{limiter, text, Fixes, Remedy, Scope};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::rds::db_clusters;
use crate::snapshot::{tags, DbCluster};

use rampart_common::Permissions;
use serde_json::{json, Value};

/// One boolean attribute of ModifyDBCluster and the value the control wants.
struct Setting {
    /// The API parameter (kept in the records, so undo sets the same one).
    attribute: &'static str,
    want: bool,
    found: fn(&DbCluster) -> bool,
    /// What a compliant cluster is, for skips.
    compliant: &'static str,
}

const DELETION_PROTECTION: Setting = Setting {
    attribute: "DeletionProtection",
    want: true,
    found: |c| c.deletion_protection,
    compliant: "has deletion protection",
};

const COPY_TAGS: Setting = Setting {
    attribute: "CopyTagsToSnapshot",
    want: true,
    found: |c| c.copy_tags_to_snapshot,
    compliant: "copies its tags to snapshots",
};

const ACTIONS: &[&str] = &["rds:DescribeDBClusters", "rds:ModifyDBCluster"];

pub const CLUSTER_DELETION_PROTECTION: Remedy = Remedy {
    id: "rds-cluster-deletion-protection",
    scope: Scope::Resource,
    fixes: &[Fixes::Control {
        control: "RDS.7",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/rds-cluster-deletion-protection",
        actions: ACTIONS,
    },
    changes: "Turns on deletion protection on the DB cluster; nothing else of the cluster changes.",
    undoes: "Turns deletion protection off again.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource, &DELETION_PROTECTION)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const CLUSTER_COPY_TAGS: Remedy = Remedy {
    id: "rds-cluster-copy-tags-to-snapshot",
    scope: Scope::Resource,
    fixes: &[Fixes::Control {
        control: "RDS.16",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/rds-cluster-copy-tags-to-snapshot",
        actions: ACTIONS,
    },
    changes: "Turns on CopyTagsToSnapshot on the DB cluster (snapshots taken from now on carry the cluster's tags; existing snapshots are not touched).",
    undoes: "Turns CopyTagsToSnapshot off again.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource, &COPY_TAGS)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(ctx.member)
}

/// The change the setting asks of one cluster as (prior, change) records, or why there is
/// none.
fn decide(c: &DbCluster, s: &Setting) -> Result<(Value, Value), String> {
    // DescribeDBClusters also answers for Neptune and DocumentDB clusters, which their own
    // controls judge.
    if c.engine == "docdb" || c.engine.starts_with("neptune") {
        return Err(format!(
            "{} is a {} cluster, judged by that service's controls",
            c.id, c.engine
        ));
    }
    let found = (s.found)(c);
    if found == s.want {
        return Err(format!("{} {}", c.id, s.compliant));
    }
    let record = |value: bool| json!({"kind": "db-cluster", "cluster": c.id, "attribute": s.attribute, "value": value});
    Ok((record(found), record(s.want)))
}

async fn plan(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
    s: &Setting,
) -> Result<Vec<Planned>, AwsError> {
    let id = match resource.map(|r| (r, rds_id(r, "cluster"))) {
        Some((r, None)) => {
            return Ok(vec![Planned::Skip {
                resource: r.to_string(),
                why: "not a DB cluster".into(),
            }])
        }
        Some((_, Some(id))) => Some(id),
        None => None,
    };
    let found = db_clusters(&client(ctx), id, &limiter()).await?;
    if let (Some(r), true) = (resource, found.is_empty()) {
        return Ok(vec![Planned::Skip {
            resource: r.to_string(),
            why: "no such DB cluster in the region".into(),
        }]);
    }
    let mut out = Vec::new();
    for c in &found {
        let arn = rds_arn(ctx.partition(), ctx.region, ctx.account, "cluster", &c.id);
        let (prior, change) = match decide(c, s) {
            Ok(pc) => pc,
            Err(why) => {
                if resource.is_some() {
                    out.push(Planned::Skip { resource: arn, why });
                }
                continue;
            }
        };
        if let Some(why) = exempt_by_tag(ctx, &arn, tags::pairs(&c.tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "rds:ModifyDBCluster".into(),
            summary: format!("set {}={} on DB cluster {}", s.attribute, s.want, c.id),
            prior,
            change,
        }));
    }
    Ok(out)
}

async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let id = text(state, "cluster")?;
    let attribute = text(state, "attribute")?;
    let value = state
        .get("value")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no value")?;
    // ApplyImmediately stays unset: both settings take effect at once anyway.
    let req = client(ctx).modify_db_cluster().db_cluster_identifier(id);
    let req = match attribute {
        "DeletionProtection" => req.deletion_protection(value),
        "CopyTagsToSnapshot" => req.copy_tags_to_snapshot(value),
        other => return Err(format!("unknown recorded attribute {other}").into()),
    };
    req.send()
        .await
        .map_err(|e| AwsError::sdk(format!("rds:ModifyDBCluster {id}"), &e))?;
    Ok(format!("DB cluster {id}: {attribute}={value}"))
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

    fn cluster(engine: &str, protected: bool, copy_tags: bool) -> DbCluster {
        DbCluster {
            id: "c1".into(),
            arn: "arn:aws:rds:eu-west-1:111122223333:cluster:c1".into(),
            engine: engine.into(),
            deletion_protection: protected,
            copy_tags_to_snapshot: copy_tags,
            tags: Default::default(),
        }
    }

    #[test]
    fn each_setting_changes_its_one_attribute_and_records_what_it_found() {
        let (prior, change) = decide(
            &cluster("aurora-postgresql", false, true),
            &DELETION_PROTECTION,
        )
        .expect("a change");
        assert_eq!(
            prior,
            json!({"kind": "db-cluster", "cluster": "c1", "attribute": "DeletionProtection", "value": false})
        );
        assert_eq!(change["value"], true);
        let (prior, change) = decide(&cluster("mysql", true, false), &COPY_TAGS).expect("a change");
        assert_eq!(prior["attribute"], "CopyTagsToSnapshot");
        assert_eq!(
            (prior["value"].clone(), change["value"].clone()),
            (json!(false), json!(true))
        );
    }

    #[test]
    fn compliant_and_other_services_clusters_plan_nothing() {
        assert!(decide(&cluster("aurora-mysql", true, true), &DELETION_PROTECTION).is_err());
        assert!(decide(&cluster("aurora-mysql", true, true), &COPY_TAGS).is_err());
        assert!(decide(&cluster("neptune", false, false), &DELETION_PROTECTION).is_err());
        assert!(decide(&cluster("docdb", false, false), &COPY_TAGS).is_err());
    }
}
