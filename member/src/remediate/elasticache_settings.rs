//! ElastiCache settings, one attribute each: ElastiCache.1 (Redis OSS and Valkey replication
//! groups, and Redis clusters outside a group, keep automatic backups) and ElastiCache.2
//! (cache clusters take automatic minor version upgrades).

use super::remedy::{limiter, text, Fixes, Remedy, Scope};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;

use aws_sdk_elasticache::types::{CacheCluster, ReplicationGroup};
use rampart_common::Permissions;
use serde_json::{json, Value};

/// Security Hub's default minimum for ElastiCache.1 (minimumSnapshotRetentionPeriod).
const MIN_RETENTION_DAYS: i32 = 1;

pub const AUTOMATIC_BACKUPS: Remedy = Remedy {
    id: "elasticache-automatic-backups",
    scope: Scope::Resource,
    fixes: &[Fixes::Control {
        control: "ElastiCache.1",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/elasticache-automatic-backups",
        actions: &[
            "elasticache:DescribeReplicationGroups",
            "elasticache:DescribeCacheClusters",
            "elasticache:ListTagsForResource",
            "elasticache:ModifyReplicationGroup",
            "elasticache:ModifyCacheCluster",
        ],
    },
    changes: "Sets SnapshotRetentionLimit to 1 day (Security Hub's minimum) on a Redis OSS or Valkey replication group, or a Redis cluster outside a group, that keeps no automatic backups; nothing else changes.",
    undoes: "Sets SnapshotRetentionLimit back to 0 (ElastiCache then deletes the automatic backups taken meanwhile).",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource, Control::Backups)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const MINOR_VERSION_UPGRADE: Remedy = Remedy {
    id: "elasticache-minor-version-upgrade",
    scope: Scope::Resource,
    fixes: &[Fixes::Control {
        control: "ElastiCache.2",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/elasticache-minor-version-upgrade",
        actions: &[
            "elasticache:DescribeCacheClusters",
            "elasticache:ListTagsForResource",
            "elasticache:ModifyCacheCluster",
        ],
    },
    changes: "Turns on AutoMinorVersionUpgrade on the cache cluster (minor engine versions are applied in its maintenance window); nothing else changes.",
    undoes: "Turns AutoMinorVersionUpgrade off again.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource, Control::MinorUpgrades)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Control {
    Backups,
    MinorUpgrades,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Group,
    Cluster,
}

impl Kind {
    /// The kind in ElastiCache ARNs and in the records.
    fn name(self) -> &'static str {
        match self {
            Kind::Group => "replicationgroup",
            Kind::Cluster => "cluster",
        }
    }
}

/// What the controls judge of a replication group or cache cluster.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    kind: Kind,
    id: String,
    arn: String,
    engine: String,
    /// The replication group a cache cluster belongs to.
    group: Option<String>,
    status: String,
    retention: i32,
    minor_upgrades: bool,
}

fn arn_of(ctx: &Ctx<'_>, kind: Kind, id: &str, given: Option<&str>) -> String {
    given.map(str::to_string).unwrap_or_else(|| {
        let (p, r, a) = (ctx.partition(), ctx.region, ctx.account);
        format!("arn:{p}:elasticache:{r}:{a}:{}:{id}", kind.name())
    })
}

impl Target {
    // Absent fields take AWS's documented defaults (no backups, minor upgrades on).
    fn group(ctx: &Ctx<'_>, g: &ReplicationGroup) -> Option<Self> {
        let id = g.replication_group_id()?.to_string();
        Some(Target {
            kind: Kind::Group,
            arn: arn_of(ctx, Kind::Group, &id, g.arn()),
            engine: g.engine().unwrap_or("redis").to_string(),
            group: None,
            status: g.status().unwrap_or_default().to_string(),
            retention: g.snapshot_retention_limit().unwrap_or(0),
            minor_upgrades: g.auto_minor_version_upgrade().unwrap_or(true),
            id,
        })
    }

    fn cluster(ctx: &Ctx<'_>, c: &CacheCluster) -> Option<Self> {
        let id = c.cache_cluster_id()?.to_string();
        Some(Target {
            kind: Kind::Cluster,
            arn: arn_of(ctx, Kind::Cluster, &id, c.arn()),
            engine: c.engine().unwrap_or_default().to_string(),
            group: c.replication_group_id().map(str::to_string),
            status: c.cache_cluster_status().unwrap_or_default().to_string(),
            retention: c.snapshot_retention_limit().unwrap_or(0),
            minor_upgrades: c.auto_minor_version_upgrade().unwrap_or(true),
            id,
        })
    }
}

/// The kind and id an ElastiCache ARN names; `None` for anything else.
fn parse_arn(resource: &str) -> Option<(Kind, &str)> {
    match resource.splitn(7, ':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "elasticache", _, _, kind, id] if !id.is_empty() => match *kind {
            "replicationgroup" => Some((Kind::Group, id)),
            "cluster" => Some((Kind::Cluster, id)),
            _ => None,
        },
        _ => None,
    }
}

/// The change the control asks of one target as (prior, change) records, or why there is
/// none.
fn decide(t: &Target, c: Control) -> Result<(Value, Value), String> {
    let (what, id) = (t.kind.name(), &t.id);
    if let Some(g) = &t.group {
        return Err(match c {
            Control::Backups => format!("cluster {id} belongs to replication group {g}, whose backups are the group's"),
            Control::MinorUpgrades => format!("cluster {id} belongs to replication group {g}, whose AutoMinorVersionUpgrade is the group's"),
        });
    }
    let (attribute, found, want) = match c {
        Control::Backups => {
            if !matches!(t.engine.as_str(), "redis" | "valkey") {
                return Err(format!(
                    "{what} {id} runs {}, which has no automatic backups",
                    t.engine
                ));
            }
            if t.retention >= MIN_RETENTION_DAYS {
                return Err(format!(
                    "{what} {id} keeps automatic backups for {} day(s)",
                    t.retention
                ));
            }
            (
                "SnapshotRetentionLimit",
                json!(t.retention),
                json!(MIN_RETENTION_DAYS),
            )
        }
        Control::MinorUpgrades => {
            if t.kind != Kind::Cluster {
                return Err(format!("{id} is not a cache cluster"));
            }
            if t.minor_upgrades {
                return Err(format!(
                    "cluster {id} upgrades minor versions automatically"
                ));
            }
            ("AutoMinorVersionUpgrade", json!(false), json!(true))
        }
    };
    let record =
        |value: Value| json!({"kind": what, "id": id, "attribute": attribute, "value": value});
    Ok((record(found), record(want)))
}

fn client(ctx: &Ctx<'_>) -> aws_sdk_elasticache::Client {
    aws_sdk_elasticache::Client::new(ctx.member)
}

async fn groups(
    ctx: &Ctx<'_>,
    ec: &aws_sdk_elasticache::Client,
    rl: &RateLimiter,
    id: Option<&str>,
) -> Result<Vec<Target>, AwsError> {
    let (mut out, mut marker) = (Vec::new(), None::<String>);
    loop {
        rl.acquire().await;
        let page = match ec
            .describe_replication_groups()
            .set_replication_group_id(id.map(str::to_string))
            .set_marker(marker.take())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_replication_group_not_found_fault()) =>
            {
                break
            }
            Err(e) => return Err(AwsError::sdk("elasticache:DescribeReplicationGroups", &e)),
        };
        out.extend(
            page.replication_groups()
                .iter()
                .filter_map(|g| Target::group(ctx, g)),
        );
        match page.marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn clusters(
    ctx: &Ctx<'_>,
    ec: &aws_sdk_elasticache::Client,
    rl: &RateLimiter,
    id: Option<&str>,
) -> Result<Vec<Target>, AwsError> {
    let (mut out, mut marker) = (Vec::new(), None::<String>);
    loop {
        rl.acquire().await;
        let page = match ec
            .describe_cache_clusters()
            .set_cache_cluster_id(id.map(str::to_string))
            .set_marker(marker.take())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_cache_cluster_not_found_fault()) =>
            {
                break
            }
            Err(e) => return Err(AwsError::sdk("elasticache:DescribeCacheClusters", &e)),
        };
        out.extend(
            page.cache_clusters()
                .iter()
                .filter_map(|c| Target::cluster(ctx, c)),
        );
        match page.marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn tags(
    ec: &aws_sdk_elasticache::Client,
    rl: &RateLimiter,
    arn: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    rl.acquire().await;
    let out = ec
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("elasticache:ListTagsForResource {arn}"), &e))?;
    Ok(out
        .tag_list()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

async fn plan(ctx: &Ctx<'_>, resource: Option<&str>, c: Control) -> Result<Vec<Planned>, AwsError> {
    let (ec, rl) = (client(ctx), limiter());
    let named = match resource {
        Some(r) => match parse_arn(r) {
            Some(k) => Some(k),
            None => {
                return Ok(vec![Planned::Skip {
                    resource: r.to_string(),
                    why: "not an ElastiCache replication group or cache cluster".into(),
                }])
            }
        },
        None => None,
    };
    let mut found = Vec::new();
    if c == Control::Backups && named.is_none_or(|(k, _)| k == Kind::Group) {
        found.extend(groups(ctx, &ec, &rl, named.map(|(_, id)| id)).await?);
    }
    if named.is_none_or(|(k, _)| k == Kind::Cluster) {
        found.extend(clusters(ctx, &ec, &rl, named.map(|(_, id)| id)).await?);
    }
    if let (Some(r), true) = (resource, found.is_empty()) {
        let why = match (c, named) {
            (Control::MinorUpgrades, Some((Kind::Group, _))) => "not a cache cluster",
            _ => "no such replication group or cache cluster in the region",
        };
        return Ok(vec![Planned::Skip {
            resource: r.to_string(),
            why: why.into(),
        }]);
    }
    let mut out = Vec::new();
    for t in &found {
        let arn = t.arn.clone();
        let (prior, change) = match decide(t, c) {
            Ok(pc) => pc,
            Err(why) => {
                if resource.is_some() {
                    out.push(Planned::Skip { resource: arn, why });
                }
                continue;
            }
        };
        let tags = tags(&ec, &rl, &arn).await?;
        if let Some(why) = exempt_by_tag(
            ctx,
            &arn,
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        // ElastiCache refuses modifications while a cluster or group is being created,
        // modified or snapshotted.
        if t.status != "available" {
            out.push(Planned::Skip {
                resource: arn,
                why: format!(
                    "{} {} is {}, not available; it cannot be modified now",
                    t.kind.name(),
                    t.id,
                    t.status
                ),
            });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: match t.kind {
                Kind::Group => "elasticache:ModifyReplicationGroup".into(),
                Kind::Cluster => "elasticache:ModifyCacheCluster".into(),
            },
            summary: format!(
                "set {}={} on {} {}",
                change["attribute"].as_str().unwrap_or_default(),
                change["value"],
                t.kind.name(),
                t.id
            ),
            prior,
            change,
        }));
    }
    Ok(out)
}

async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let kind = text(state, "kind")?;
    let id = text(state, "id")?;
    let attribute = text(state, "attribute")?;
    let value = state
        .get("value")
        .ok_or("the recorded state has no value")?;
    let days = || {
        value
            .as_i64()
            .and_then(|d| i32::try_from(d).ok())
            .ok_or("the recorded value is not a number of days")
    };
    let ec = client(ctx);
    // ApplyImmediately stays unset: SnapshotRetentionLimit and AutoMinorVersionUpgrade take
    // effect at once anyway, and setting it would also apply whatever else is pending (a node
    // type or engine version change, with its restart).
    match (kind, attribute) {
        ("replicationgroup", "SnapshotRetentionLimit") => ec
            .modify_replication_group()
            .replication_group_id(id)
            .snapshot_retention_limit(days()?)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::sdk(format!("elasticache:ModifyReplicationGroup {id}"), &e))?,
        ("cluster", "SnapshotRetentionLimit" | "AutoMinorVersionUpgrade") => {
            let req = ec.modify_cache_cluster().cache_cluster_id(id);
            let req = if attribute == "SnapshotRetentionLimit" {
                req.snapshot_retention_limit(days()?)
            } else {
                req.auto_minor_version_upgrade(
                    value
                        .as_bool()
                        .ok_or("the recorded value is not a boolean")?,
                )
            };
            req.send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::sdk(format!("elasticache:ModifyCacheCluster {id}"), &e))?
        }
        other => return Err(format!("unknown recorded kind and attribute {other:?}").into()),
    }
    Ok(format!("ElastiCache {kind} {id}: {attribute}={value}"))
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

    fn target(
        kind: Kind,
        engine: &str,
        group: Option<&str>,
        retention: i32,
        minor: bool,
    ) -> Target {
        Target {
            kind,
            id: "x1".into(),
            arn: format!(
                "arn:aws:elasticache:eu-west-1:111122223333:{}:x1",
                kind.name()
            ),
            engine: engine.into(),
            group: group.map(str::to_string),
            status: "available".into(),
            retention,
            minor_upgrades: minor,
        }
    }

    #[test]
    fn reads_elasticache_arns() {
        let a = "arn:aws:elasticache:eu-west-1:1:replicationgroup:g1";
        assert_eq!(parse_arn(a), Some((Kind::Group, "g1")));
        assert_eq!(
            parse_arn("arn:aws:elasticache:eu-west-1:1:cluster:c1"),
            Some((Kind::Cluster, "c1"))
        );
        assert_eq!(
            parse_arn("arn:aws:elasticache:eu-west-1:1:snapshot:s1"),
            None
        );
        assert_eq!(parse_arn("arn:aws:redshift:eu-west-1:1:cluster:c1"), None);
        assert_eq!(parse_arn("c1"), None);
    }

    #[test]
    fn backups_go_to_groups_and_lone_redis_clusters_only() {
        let (p, c) = decide(
            &target(Kind::Group, "valkey", None, 0, true),
            Control::Backups,
        )
        .expect("a change");
        assert_eq!(
            p,
            json!({"kind": "replicationgroup", "id": "x1", "attribute": "SnapshotRetentionLimit", "value": 0})
        );
        assert_eq!(c["value"], 1);
        assert!(decide(
            &target(Kind::Cluster, "redis", None, 0, true),
            Control::Backups
        )
        .is_ok());
        assert!(decide(
            &target(Kind::Cluster, "redis", Some("g1"), 0, true),
            Control::Backups
        )
        .is_err());
        assert!(decide(
            &target(Kind::Cluster, "memcached", None, 0, true),
            Control::Backups
        )
        .is_err());
        assert!(decide(
            &target(Kind::Group, "redis", None, 1, true),
            Control::Backups
        )
        .is_err());
    }

    #[test]
    fn minor_upgrades_go_to_clusters_outside_groups() {
        let (p, c) = decide(
            &target(Kind::Cluster, "memcached", None, 0, false),
            Control::MinorUpgrades,
        )
        .expect("a change");
        assert_eq!(
            (p["value"].clone(), c["value"].clone()),
            (json!(false), json!(true))
        );
        assert_eq!(c["attribute"], "AutoMinorVersionUpgrade");
        assert!(decide(
            &target(Kind::Cluster, "redis", None, 0, true),
            Control::MinorUpgrades
        )
        .is_err());
        assert!(decide(
            &target(Kind::Cluster, "redis", Some("g1"), 0, false),
            Control::MinorUpgrades
        )
        .is_err());
        assert!(decide(
            &target(Kind::Group, "redis", None, 0, false),
            Control::MinorUpgrades
        )
        .is_err());
    }
}
