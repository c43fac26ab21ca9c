//! Redshift cluster settings, one attribute each: Redshift.1 (clusters prohibit public
//! access), Redshift.3 (automatic snapshots kept at least 7 days) and Redshift.6 (automatic
//! upgrades to major versions).

use super::remedy::{limiter, text, Fixes, Remedy, Scope};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;

use aws_sdk_redshift::types::Cluster;
use rampart_common::Permissions;
use serde_json::{json, Value};

/// Security Hub's default minimum for Redshift.3 (MinRetentionPeriod).
const MIN_RETENTION_DAYS: i32 = 7;

/// What the settings judge of a cluster, read from DescribeClusters.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Found {
    public: bool,
    retention: i32,
    version_upgrade: bool,
}

impl Found {
    fn of(c: &Cluster) -> Self {
        // Absent fields take AWS's documented defaults.
        Found {
            public: c.publicly_accessible().unwrap_or(false),
            retention: c.automated_snapshot_retention_period().unwrap_or(1),
            version_upgrade: c.allow_version_upgrade().unwrap_or(true),
        }
    }
}

/// One attribute of ModifyCluster: the value found and the value wanted (`None`: compliant).
struct Setting {
    /// The API parameter (kept in the records, so undo sets the same one).
    attribute: &'static str,
    found: fn(&Found) -> Value,
    want: fn(&Found) -> Option<Value>,
    /// What a compliant cluster is, for skips.
    compliant: &'static str,
}

const PUBLIC: Setting = Setting {
    attribute: "PubliclyAccessible",
    found: |f| json!(f.public),
    want: |f| f.public.then(|| json!(false)),
    compliant: "is not publicly accessible",
};

const SNAPSHOTS: Setting = Setting {
    attribute: "AutomatedSnapshotRetentionPeriod",
    found: |f| json!(f.retention),
    want: |f| (f.retention < MIN_RETENTION_DAYS).then(|| json!(MIN_RETENTION_DAYS)),
    compliant: "keeps automated snapshots for at least 7 days",
};

const MAJOR_UPGRADES: Setting = Setting {
    attribute: "AllowVersionUpgrade",
    found: |f| json!(f.version_upgrade),
    want: |f| (!f.version_upgrade).then(|| json!(true)),
    compliant: "allows major version upgrades",
};

const ACTIONS: &[&str] = &["redshift:DescribeClusters", "redshift:ModifyCluster"];

pub const NOT_PUBLIC: Remedy = Remedy {
    id: "redshift-not-public",
    scope: Scope::Resource,
    fixes: &[Fixes::Control {
        control: "Redshift.1",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/redshift-not-public",
        actions: ACTIONS,
    },
    changes: "Sets the Redshift cluster's PubliclyAccessible to false (it gets no public address); nothing else of the cluster changes.",
    undoes: "Sets PubliclyAccessible back to true.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource, &PUBLIC)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const AUTOMATED_SNAPSHOTS: Remedy = Remedy {
    id: "redshift-automated-snapshots",
    scope: Scope::Resource,
    fixes: &[Fixes::Control {
        control: "Redshift.3",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/redshift-automated-snapshots",
        actions: ACTIONS,
    },
    changes: "Sets the Redshift cluster's AutomatedSnapshotRetentionPeriod to 7 days (Security Hub's minimum) when it is shorter; nothing else of the cluster changes.",
    undoes: "Sets AutomatedSnapshotRetentionPeriod back to the recorded value (Redshift then deletes automated snapshots older than that, all of them for 0).",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource, &SNAPSHOTS)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const MAJOR_VERSION_UPGRADE: Remedy = Remedy {
    id: "redshift-major-version-upgrade",
    scope: Scope::Resource,
    fixes: &[Fixes::Control {
        control: "Redshift.6",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/redshift-major-version-upgrade",
        actions: ACTIONS,
    },
    changes: "Sets the Redshift cluster's AllowVersionUpgrade to true (major versions are applied in its maintenance window); nothing else of the cluster changes.",
    undoes: "Sets AllowVersionUpgrade back to false.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource, &MAJOR_UPGRADES)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_redshift::Client {
    aws_sdk_redshift::Client::new(ctx.member)
}

/// A Redshift cluster's ARN, as Security Hub names it.
fn cluster_arn(partition: &str, region: &str, account: &str, id: &str) -> String {
    format!("arn:{partition}:redshift:{region}:{account}:cluster:{id}")
}

/// The cluster id a Redshift cluster ARN names (a bare id is taken as it is); `None` for
/// anything else.
fn cluster_id(resource: &str) -> Option<&str> {
    if !resource.starts_with("arn:") {
        return (!resource.is_empty()).then_some(resource);
    }
    match resource.splitn(7, ':').collect::<Vec<_>>().as_slice() {
        [_, _, "redshift", _, _, "cluster", id] if !id.is_empty() => Some(id),
        _ => None,
    }
}

/// The change the setting asks of one cluster as (prior, change) records, or why there is
/// none.
fn decide(id: &str, f: &Found, s: &Setting) -> Result<(Value, Value), String> {
    let want = (s.want)(f).ok_or_else(|| format!("cluster {id} {}", s.compliant))?;
    let record = |value: Value| json!({"kind": "redshift-cluster", "cluster": id, "attribute": s.attribute, "value": value});
    Ok((record((s.found)(f)), record(want)))
}

async fn clusters(ctx: &Ctx<'_>, id: Option<&str>) -> Result<Vec<Cluster>, AwsError> {
    let (rs, rl) = (client(ctx), limiter());
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = match rs
            .describe_clusters()
            .set_cluster_identifier(id.map(str::to_string))
            .set_marker(marker.take())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e)
                if id.is_some()
                    && e.as_service_error()
                        .is_some_and(|s| s.is_cluster_not_found_fault()) =>
            {
                return Ok(Vec::new())
            }
            Err(e) => return Err(AwsError::sdk("redshift:DescribeClusters", &e)),
        };
        out.extend(page.clusters().iter().cloned());
        match page.marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn plan(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
    s: &Setting,
) -> Result<Vec<Planned>, AwsError> {
    let id = match resource.map(|r| (r, cluster_id(r))) {
        Some((r, None)) => {
            return Ok(vec![Planned::Skip {
                resource: r.to_string(),
                why: "not a Redshift cluster".into(),
            }])
        }
        Some((_, id)) => id,
        None => None,
    };
    let found = clusters(ctx, id).await?;
    if let (Some(r), true) = (resource, found.is_empty()) {
        return Ok(vec![Planned::Skip {
            resource: r.to_string(),
            why: "no such Redshift cluster in the region".into(),
        }]);
    }
    let mut out = Vec::new();
    for c in &found {
        let Some(cid) = c.cluster_identifier() else {
            continue;
        };
        let arn = cluster_arn(ctx.partition(), ctx.region, ctx.account, cid);
        let (prior, change) = match decide(cid, &Found::of(c), s) {
            Ok(pc) => pc,
            Err(why) => {
                if resource.is_some() {
                    out.push(Planned::Skip { resource: arn, why });
                }
                continue;
            }
        };
        let tags = c
            .tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
        if let Some(why) = exempt_by_tag(ctx, &arn, tags) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        // ModifyCluster is refused while a cluster is paused, resizing or being created.
        let status = c.cluster_status().unwrap_or_default();
        if status != "available" {
            out.push(Planned::Skip {
                resource: arn,
                why: format!("cluster {cid} is {status}, not available; it cannot be modified now"),
            });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "redshift:ModifyCluster".into(),
            summary: format!(
                "set {}={} on Redshift cluster {cid}",
                s.attribute, change["value"]
            ),
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
        .ok_or("the recorded state has no value")?;
    let bool_value = || value.as_bool().ok_or("the recorded value is not a boolean");
    let req = client(ctx).modify_cluster().cluster_identifier(id);
    let req = match attribute {
        "PubliclyAccessible" => req.publicly_accessible(bool_value()?),
        "AllowVersionUpgrade" => req.allow_version_upgrade(bool_value()?),
        "AutomatedSnapshotRetentionPeriod" => {
            let days = value
                .as_i64()
                .and_then(|d| i32::try_from(d).ok())
                .ok_or("the recorded value is not a number of days")?;
            req.automated_snapshot_retention_period(days)
        }
        other => return Err(format!("unknown recorded attribute {other}").into()),
    };
    req.send()
        .await
        .map_err(|e| AwsError::sdk(format!("redshift:ModifyCluster {id}"), &e))?;
    Ok(format!("Redshift cluster {id}: {attribute}={value}"))
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

    const OK: Found = Found {
        public: false,
        retention: 7,
        version_upgrade: true,
    };

    #[test]
    fn names_and_reads_cluster_arns() {
        let a = cluster_arn("aws", "eu-west-1", "111122223333", "c1");
        assert_eq!(a, "arn:aws:redshift:eu-west-1:111122223333:cluster:c1");
        assert_eq!(cluster_id(&a), Some("c1"));
        assert_eq!(cluster_id("c1"), Some("c1"));
        assert_eq!(
            cluster_id("arn:aws:redshift:eu-west-1:1:snapshot:c1/s"),
            None
        );
        assert_eq!(cluster_id("arn:aws:rds:eu-west-1:1:cluster:c1"), None);
        assert_eq!(cluster_id(""), None);
    }

    #[test]
    fn each_setting_changes_its_one_attribute_and_records_what_it_found() {
        let (p, c) = decide("c1", &Found { public: true, ..OK }, &PUBLIC).expect("a change");
        assert_eq!(
            p,
            json!({"kind": "redshift-cluster", "cluster": "c1", "attribute": "PubliclyAccessible", "value": true})
        );
        assert_eq!(c["value"], false);

        let (p, c) = decide("c1", &Found { retention: 0, ..OK }, &SNAPSHOTS).expect("a change");
        assert_eq!(
            (p["value"].clone(), c["value"].clone()),
            (json!(0), json!(7))
        );
        assert_eq!(c["attribute"], "AutomatedSnapshotRetentionPeriod");
        let (p, _) = decide("c1", &Found { retention: 3, ..OK }, &SNAPSHOTS).expect("a change");
        assert_eq!(p["value"], 3);

        let (p, c) = decide(
            "c1",
            &Found {
                version_upgrade: false,
                ..OK
            },
            &MAJOR_UPGRADES,
        )
        .expect("a change");
        assert_eq!(
            (p["value"].clone(), c["value"].clone()),
            (json!(false), json!(true))
        );
    }

    #[test]
    fn compliant_clusters_plan_nothing() {
        for s in [&PUBLIC, &SNAPSHOTS, &MAJOR_UPGRADES] {
            assert!(decide("c1", &OK, s).is_err(), "{}", s.attribute);
        }
        assert!(decide(
            "c1",
            &Found {
                retention: 35,
                ..OK
            },
            &SNAPSHOTS
        )
        .is_err());
    }
}
