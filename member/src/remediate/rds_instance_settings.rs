//! RDS DB instance settings, one attribute each: RDS.2 (not publicly accessible), RDS.13
//! (automatic minor version upgrades) and RDS.8 (deletion protection).
//!
//! Also the RDS resource names the other RDS remedies share: `arn:<p>:rds:<region>:<acct>:
//! <kind>:<id>` with kind `db`, `cluster`, `snapshot` or `cluster-snapshot`.

use super::remedy::{limiter, text, Fixes, Remedy, Scope};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::rds::db_instances_named;
use crate::snapshot::{tags, DbInstance};

use rampart_common::Permissions;
use serde_json::{json, Value};

/// An RDS resource's ARN (RDS ARNs separate kind and id with a colon).
pub(super) fn rds_arn(
    partition: &str,
    region: &str,
    account: &str,
    kind: &str,
    id: &str,
) -> String {
    format!("arn:{partition}:rds:{region}:{account}:{kind}:{id}")
}

/// The id an RDS ARN of `kind` names (a bare id is taken as it is); `None` for an ARN of
/// another kind or service.
pub(super) fn rds_id<'r>(resource: &'r str, kind: &str) -> Option<&'r str> {
    if !resource.starts_with("arn:") {
        return (!resource.is_empty()).then_some(resource);
    }
    let parts: Vec<&'r str> = resource.splitn(7, ':').collect();
    match parts.as_slice() {
        [_, _, "rds", _, _, k, id] if *k == kind && !id.is_empty() => Some(id),
        _ => None,
    }
}

/// One boolean attribute of ModifyDBInstance and the value the control wants.
pub(super) struct Setting {
    /// The API parameter (kept in the records, so undo sets the same one).
    attribute: &'static str,
    want: bool,
    found: fn(&DbInstance) -> bool,
    /// What a compliant instance is, for skips ("is not publicly accessible").
    compliant: &'static str,
    /// Why the control does not apply to the instance, if it does not.
    not_applicable: fn(&DbInstance) -> Option<String>,
}

const PUBLIC: Setting = Setting {
    attribute: "PubliclyAccessible",
    want: false,
    found: |d| d.publicly_accessible,
    compliant: "is not publicly accessible",
    not_applicable: |_| None,
};

const MINOR_UPGRADES: Setting = Setting {
    attribute: "AutoMinorVersionUpgrade",
    want: true,
    found: |d| d.auto_minor_version_upgrade,
    compliant: "upgrades minor versions automatically",
    not_applicable: |_| None,
};

const DELETION_PROTECTION: Setting = Setting {
    attribute: "DeletionProtection",
    want: true,
    found: |d| d.deletion_protection,
    compliant: "has deletion protection",
    not_applicable: |d| {
        d.cluster.as_ref().map(|c| {
            format!(
                "{} belongs to DB cluster {c}, whose deletion protection covers it (RDS.7)",
                d.id
            )
        })
    },
};

const ACTIONS: &[&str] = &["rds:DescribeDBInstances", "rds:ModifyDBInstance"];

pub const NOT_PUBLIC: Remedy = Remedy {
    id: "rds-instance-not-public",
    scope: Scope::Resource,
    fixes: &[Fixes::Check("rds.not-publicly-accessible")],
    permissions: Permissions {
        component: "remediate/rds-instance-not-public",
        actions: ACTIONS,
    },
    changes: "Sets the DB instance's PubliclyAccessible to false (its endpoint resolves to private addresses only); nothing else of the instance changes.",
    undoes: "Sets PubliclyAccessible back to true.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource, &PUBLIC)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const MINOR_VERSION_UPGRADE: Remedy = Remedy {
    id: "rds-instance-minor-version-upgrade",
    scope: Scope::Resource,
    fixes: &[Fixes::Check("rds.auto-minor-version-upgrade")],
    permissions: Permissions {
        component: "remediate/rds-instance-minor-version-upgrade",
        actions: ACTIONS,
    },
    changes: "Turns on AutoMinorVersionUpgrade on the DB instance (minor engine versions are applied in its maintenance window); nothing else of the instance changes.",
    undoes: "Turns AutoMinorVersionUpgrade off again.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource, &MINOR_UPGRADES)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const INSTANCE_DELETION_PROTECTION: Remedy = Remedy {
    id: "rds-instance-deletion-protection",
    scope: Scope::Resource,
    fixes: &[Fixes::Control {
        control: "RDS.8",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/rds-instance-deletion-protection",
        actions: ACTIONS,
    },
    changes: "Turns on deletion protection on the DB instance (instances in a DB cluster are left to the cluster's, RDS.7); nothing else of the instance changes.",
    undoes: "Turns deletion protection off again.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource, &DELETION_PROTECTION)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(ctx.member)
}

/// The change the setting asks of one instance as (prior, change) records, or why there is
/// none (compliant, or the setting is not the instance's own).
fn decide(d: &DbInstance, s: &Setting) -> Result<(Value, Value), String> {
    if let Some(why) = (s.not_applicable)(d) {
        return Err(why);
    }
    let found = (s.found)(d);
    if found == s.want {
        return Err(format!("{} {}", d.id, s.compliant));
    }
    let record = |value: bool| json!({"kind": "db-instance", "instance": d.id, "attribute": s.attribute, "value": value});
    Ok((record(found), record(s.want)))
}

async fn plan(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
    s: &Setting,
) -> Result<Vec<Planned>, AwsError> {
    let id = match resource.map(|r| (r, rds_id(r, "db"))) {
        Some((r, None)) => {
            return Ok(vec![Planned::Skip {
                resource: r.to_string(),
                why: "not a DB instance".into(),
            }])
        }
        Some((_, Some(id))) => Some(id),
        None => None,
    };
    let found = db_instances_named(&client(ctx), id, &limiter()).await?;
    if let (Some(r), true) = (resource, found.is_empty()) {
        return Ok(vec![Planned::Skip {
            resource: r.to_string(),
            why: "no such DB instance in the region".into(),
        }]);
    }
    let mut out = Vec::new();
    for d in &found {
        let arn = rds_arn(ctx.partition(), ctx.region, ctx.account, "db", &d.id);
        let (prior, change) = match decide(d, s) {
            Ok(pc) => pc,
            Err(why) => {
                if resource.is_some() {
                    out.push(Planned::Skip { resource: arn, why });
                }
                continue;
            }
        };
        if let Some(why) = exempt_by_tag(ctx, &arn, tags::pairs(&d.tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "rds:ModifyDBInstance".into(),
            summary: format!("set {}={} on DB instance {}", s.attribute, s.want, d.id),
            prior,
            change,
        }));
    }
    Ok(out)
}

async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let id = text(state, "instance")?;
    let attribute = text(state, "attribute")?;
    let value = state
        .get("value")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no value")?;
    // ApplyImmediately stays unset: these three settings take effect at once anyway, and
    // setting it would also apply whatever else is pending on the instance.
    let req = client(ctx).modify_db_instance().db_instance_identifier(id);
    let req = match attribute {
        "PubliclyAccessible" => req.publicly_accessible(value),
        "AutoMinorVersionUpgrade" => req.auto_minor_version_upgrade(value),
        "DeletionProtection" => req.deletion_protection(value),
        other => return Err(format!("unknown recorded attribute {other}").into()),
    };
    req.send()
        .await
        .map_err(|e| AwsError::sdk(format!("rds:ModifyDBInstance {id}"), &e))?;
    Ok(format!("DB instance {id}: {attribute}={value}"))
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

    fn db(public: bool, minor: bool, protected: bool, cluster: Option<&str>) -> DbInstance {
        DbInstance {
            id: "db1".into(),
            arn: "arn:aws:rds:eu-west-1:111122223333:db:db1".into(),
            engine: "postgres".into(),
            storage_encrypted: true,
            auto_minor_version_upgrade: minor,
            publicly_accessible: public,
            multi_az: false,
            deletion_protection: protected,
            cluster: cluster.map(str::to_string),
            tags: Default::default(),
        }
    }

    #[test]
    fn names_and_reads_rds_arns() {
        let a = rds_arn("aws", "eu-west-1", "111122223333", "db", "db1");
        assert_eq!(a, "arn:aws:rds:eu-west-1:111122223333:db:db1");
        assert_eq!(rds_id(&a, "db"), Some("db1"));
        assert_eq!(rds_id(&a, "cluster"), None);
        assert_eq!(
            rds_id(
                "arn:aws:rds:eu-west-1:1:cluster-snapshot:s-1",
                "cluster-snapshot"
            ),
            Some("s-1")
        );
        assert_eq!(rds_id("arn:aws:ec2:eu-west-1:1:db:x", "db"), None);
        assert_eq!(rds_id("arn:aws:rds:eu-west-1:1:db:", "db"), None);
        assert_eq!(rds_id("db1", "db"), Some("db1"));
        assert_eq!(rds_id("", "db"), None);
    }

    #[test]
    fn each_setting_changes_its_one_attribute_and_records_what_it_found() {
        let (prior, change) = decide(&db(true, true, true, None), &PUBLIC).expect("a change");
        assert_eq!(
            prior,
            json!({"kind": "db-instance", "instance": "db1", "attribute": "PubliclyAccessible", "value": true})
        );
        assert_eq!(change["value"], false);
        assert_eq!(change["attribute"], "PubliclyAccessible");

        let (prior, change) =
            decide(&db(false, false, true, None), &MINOR_UPGRADES).expect("a change");
        assert_eq!(
            (prior["value"].clone(), change["value"].clone()),
            (json!(false), json!(true))
        );
        assert_eq!(change["attribute"], "AutoMinorVersionUpgrade");

        let (prior, change) =
            decide(&db(false, true, false, None), &DELETION_PROTECTION).expect("a change");
        assert_eq!(
            (prior["value"].clone(), change["value"].clone()),
            (json!(false), json!(true))
        );
        assert_eq!(change["attribute"], "DeletionProtection");
    }

    #[test]
    fn compliant_and_clustered_instances_plan_nothing() {
        assert!(decide(&db(false, true, true, None), &PUBLIC).is_err());
        assert!(decide(&db(false, true, true, None), &MINOR_UPGRADES).is_err());
        assert!(decide(&db(false, true, true, None), &DELETION_PROTECTION).is_err());
        // An Aurora instance's deletion protection is its cluster's.
        let why = decide(&db(false, true, false, Some("c1")), &DELETION_PROTECTION)
            .expect_err("left to the cluster");
        assert!(why.contains("c1"), "{why}");
        // The other settings are the instance's own, clustered or not.
        assert!(decide(&db(true, true, false, Some("c1")), &PUBLIC).is_ok());
    }
}
