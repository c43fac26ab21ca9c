//! Cases of the logging remedies: the CIS metric filters and alarms on the trail's log group
//! (CloudWatch.1-14) and log group retention (CloudWatch.16).
//!
//! The metric-filter state of an account is everything CloudWatch lists there: the filters of
//! the trail's log group, every alarm, and every SNS topic with its tags.

use super::{Accounts, Case, Planted, State, REGION};
use aws_config::SdkConfig;
use serde_json::{json, Value};

const GROUP: &str = "trail-events";

pub fn cases() -> Vec<Case> {
    let chain = |control| Case {
        control,
        plant: |a| Box::pin(plant_trails(a)),
        state: |a, _| Box::pin(chains(a)),
    };
    vec![
        chain("CloudWatch.1"),
        chain("CloudWatch.2"),
        chain("CloudWatch.3"),
        chain("CloudWatch.4"),
        chain("CloudWatch.5"),
        chain("CloudWatch.6"),
        chain("CloudWatch.7"),
        chain("CloudWatch.8"),
        chain("CloudWatch.9"),
        chain("CloudWatch.10"),
        chain("CloudWatch.11"),
        chain("CloudWatch.12"),
        chain("CloudWatch.13"),
        chain("CloudWatch.14"),
        Case {
            control: "CloudWatch.16",
            plant: |a| Box::pin(plant_retention(a)),
            state: |a, p| Box::pin(retention_state(a, p)),
        },
    ]
}

fn logs(cfg: &SdkConfig) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(cfg)
}

/// An active multi-region trail recording all management events into log group `trail-events`,
/// the way a console trail sent to CloudWatch Logs looks, with an application's own filter and
/// alarm on the group (notifying a topic nobody subscribed to) that must stay as they are.
async fn plant_trail(cfg: &SdkConfig, account: &str) {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(cfg)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("trail-{account}-{}", uuid::Uuid::new_v4().simple());
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("trail bucket");
    logs(cfg)
        .create_log_group()
        .log_group_name(GROUP)
        .send()
        .await
        .expect("log group");
    let ct = aws_sdk_cloudtrail::Client::new(cfg);
    ct.create_trail()
        .name("main")
        .s3_bucket_name(&bucket)
        .is_multi_region_trail(true)
        .include_global_service_events(true)
        .cloud_watch_logs_log_group_arn(format!(
            "arn:aws:logs:{REGION}:{account}:log-group:{GROUP}:*"
        ))
        .cloud_watch_logs_role_arn(format!("arn:aws:iam::{account}:role/CloudTrailToLogs"))
        .send()
        .await
        .expect("trail");
    ct.put_event_selectors()
        .trail_name("main")
        .event_selectors(
            aws_sdk_cloudtrail::types::EventSelector::builder()
                .read_write_type(aws_sdk_cloudtrail::types::ReadWriteType::All)
                .include_management_events(true)
                .build(),
        )
        .send()
        .await
        .expect("event selectors");
    ct.start_logging()
        .name("main")
        .send()
        .await
        .expect("start logging");
    logs(cfg)
        .put_metric_filter()
        .log_group_name(GROUP)
        .filter_name("app-errors")
        .filter_pattern("{ $.errorCode = \"ValidationException\" }")
        .metric_transformations(
            aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
                .metric_name("app-errors")
                .metric_namespace("App")
                .metric_value("1")
                .build()
                .expect("transformation"),
        )
        .send()
        .await
        .expect("app filter");
    let ops = aws_sdk_sns::Client::new(cfg)
        .create_topic()
        .name("ops")
        .send()
        .await
        .expect("ops topic")
        .topic_arn()
        .expect("topic arn")
        .to_string();
    aws_sdk_cloudwatch::Client::new(cfg)
        .put_metric_alarm()
        .alarm_name("app-errors")
        .namespace("App")
        .metric_name("app-errors")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(5.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .alarm_actions(ops)
        .send()
        .await
        .expect("app alarm");
}

/// The same trail, log group and application alarm in both accounts; no CIS filter in either.
async fn plant_trails(a: &Accounts) -> Planted {
    plant_trail(&a.cfg, &a.id).await;
    plant_trail(&a.other_cfg, &a.other).await;
    Planted {
        resource: None,
        data: Value::Null,
    }
}

/// The filters of the trail's group, every alarm and every topic (with its tags) of `cfg`.
async fn chain_state(cfg: &SdkConfig) -> Value {
    let mut filters: Vec<String> = logs(cfg)
        .describe_metric_filters()
        .log_group_name(GROUP)
        .send()
        .await
        .expect("metric filters")
        .metric_filters()
        .iter()
        .map(|f| {
            let metrics: Vec<String> = f
                .metric_transformations()
                .iter()
                .map(|m| {
                    format!(
                        "{}/{}={}",
                        m.metric_namespace(),
                        m.metric_name(),
                        m.metric_value()
                    )
                })
                .collect();
            format!(
                "{} {:?} {metrics:?}",
                f.filter_name().unwrap_or_default(),
                f.filter_pattern().unwrap_or_default()
            )
        })
        .collect();
    filters.sort();
    let cw = aws_sdk_cloudwatch::Client::new(cfg);
    let mut alarms = Vec::new();
    for a in cw
        .describe_alarms()
        .send()
        .await
        .expect("alarms")
        .metric_alarms()
    {
        let tags = match a.alarm_arn() {
            Some(arn) => cw
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .expect("alarm tags")
                .tags()
                .iter()
                .map(|t| {
                    format!(
                        "{}={}",
                        t.key().unwrap_or_default(),
                        t.value().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>(),
            None => Vec::new(),
        };
        alarms.push(format!(
            "{} {}/{} {:?} {:?}s x{:?} {:?} {:?} {:?} {:?} {:?} tags {tags:?}",
            a.alarm_name().unwrap_or_default(),
            a.namespace().unwrap_or_default(),
            a.metric_name().unwrap_or_default(),
            a.statistic(),
            a.period(),
            a.evaluation_periods(),
            a.comparison_operator(),
            a.threshold(),
            a.treat_missing_data(),
            a.alarm_actions(),
            a.ok_actions(),
        ));
    }
    alarms.sort();
    let sns = aws_sdk_sns::Client::new(cfg);
    let mut topics = Vec::new();
    for t in sns.list_topics().send().await.expect("topics").topics() {
        let arn = t.topic_arn().unwrap_or_default();
        let tags: Vec<String> = sns
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .expect("topic tags")
            .tags()
            .iter()
            .map(|t| format!("{}={}", t.key(), t.value()))
            .collect();
        topics.push(format!("{arn} {tags:?}"));
    }
    topics.sort();
    json!({"filters": filters, "alarms": alarms, "topics": topics})
}

async fn chains(a: &Accounts) -> State {
    State {
        target: chain_state(&a.cfg).await,
        neighbour: chain_state(&a.other_cfg).await,
    }
}

/// A group kept for 30 days (fails CloudWatch.16) and one kept for 400 days (passes).
async fn plant_retention(a: &Accounts) -> Planted {
    let logs = logs(&a.cfg);
    for (name, days) in [("app-short", 30), ("app-long", 400)] {
        logs.create_log_group()
            .log_group_name(name)
            .send()
            .await
            .expect("log group");
        logs.put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .expect("retention");
    }
    Planted {
        resource: Some(format!(
            "arn:aws:logs:{REGION}:{}:log-group:app-short",
            a.id
        )),
        data: json!({"target": "app-short", "neighbour": "app-long"}),
    }
}

/// Everything DescribeLogGroups shows of the group but its stored bytes.
async fn group(cfg: &SdkConfig, name: &str) -> Value {
    let out = logs(cfg)
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .expect("log groups");
    let g = out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .expect("log group");
    json!({
        "name": g.log_group_name(), "retention": g.retention_in_days(),
        "arn": g.arn(), "kms": g.kms_key_id(), "created": g.creation_time(),
        "class": g.log_group_class().map(|c| c.as_str().to_string()),
    })
}

async fn retention_state(a: &Accounts, p: &Planted) -> State {
    let name = |k: &str| p.data[k].as_str().unwrap_or_default().to_string();
    State {
        target: group(&a.cfg, &name("target")).await,
        neighbour: group(&a.cfg, &name("neighbour")).await,
    }
}

/// `rampart remediate` of one CloudWatch control in `account` (applied or planned).
async fn fix(cfg: &std::path::Path, account: &str, control: &str, apply: bool) -> Value {
    let mut args = vec![
        "remediate",
        "--account",
        account,
        "--region",
        REGION,
        "--control",
        control,
        "--format",
        "json",
    ];
    if apply {
        args.push("--apply");
    }
    let (code, o) = super::rampart(cfg, &args, None).await;
    assert_eq!(code, Some(0), "{control}: {o:#}");
    assert_eq!(o["actions"].as_array().map(Vec::len), Some(1), "{o:#}");
    o["actions"][0].clone()
}

async fn undo(cfg: &std::path::Path, id: &Value) {
    let id = id.as_str().expect("action id");
    let (code, u) = super::rampart(cfg, &["undo", id, "--format", "json"], None).await;
    assert_eq!(code, Some(0), "undo {id}: {u:#}");
    assert_eq!(u["undone"][0]["disposition"], "acted", "{u:#}");
}

/// What one control at a time cannot show: a second control reuses Rampart's topic and undo
/// in either order leaves nothing behind; a topic someone listens to is reused and never
/// deleted; a monitored control plans nothing; an account whose trail does not deliver to
/// CloudWatch Logs is told to do that first.
#[test]
fn metric_alarms_share_topics_and_leave_nothing_behind() {
    rampart_testbed::block_on(async {
        let hub = super::hub().await;
        let cfg = hub.config.as_path();
        let a = super::accounts().await;
        plant_trails(&a).await;
        let before = chain_state(&a.cfg).await;

        // Rampart's topic is created once, tagged, and shared by the next control.
        let one = fix(cfg, &a.id, "CloudWatch.1", true).await;
        assert_eq!(one["status"], "done", "{one:#}");
        assert_eq!(one["change"]["topic"]["created"], true, "{one:#}");
        let fixed = chain_state(&a.cfg).await;
        let tag = "rampart:created-by=rampart-remediation";
        let has = |v: &Value, k: &str, needle: &str, with: &str| {
            v[k].as_array().is_some_and(|x| {
                x.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.contains(needle) && s.contains(with))
                })
            })
        };
        assert!(
            has(&fixed, "topics", ":rampart-cis-alarms", tag),
            "{fixed:#}"
        );
        assert!(
            has(
                &fixed,
                "alarms",
                "rampart-cis-CloudWatch.1 Rampart/CIS/rampart-cis-CloudWatch.1",
                tag
            ),
            "{fixed:#}"
        );
        assert!(
            has(
                &fixed,
                "filters",
                "rampart-cis-CloudWatch.1",
                "Rampart/CIS/rampart-cis-CloudWatch.1=1"
            ),
            "{fixed:#}"
        );
        let again = fix(cfg, &a.id, "CloudWatch.1", false).await;
        assert_eq!(again["status"], "skipped", "{again:#}");
        assert!(
            again["detail"]
                .as_str()
                .is_some_and(|d| d.contains("no confirmed subscription")),
            "{again:#}"
        );
        let two = fix(cfg, &a.id, "CloudWatch.2", true).await;
        assert_eq!(two["status"], "done", "{two:#}");
        assert_eq!(two["change"]["topic"]["arn"], one["change"]["topic"]["arn"]);
        assert_eq!(two["change"]["topic"]["created"], false, "{two:#}");
        assert_eq!(two["change"]["topic"]["rampart"], true, "{two:#}");
        // The first undone first: its topic stays while the second alarm notifies it.
        undo(cfg, &one["id"]).await;
        let half = chain_state(&a.cfg).await;
        assert!(has(&half, "topics", ":rampart-cis-alarms", tag), "{half:#}");
        assert!(
            has(&half, "alarms", "rampart-cis-CloudWatch.2", ""),
            "{half:#}"
        );
        assert!(
            !has(&half, "alarms", "rampart-cis-CloudWatch.1", ""),
            "{half:#}"
        );
        undo(cfg, &two["id"]).await;
        assert_eq!(
            chain_state(&a.cfg).await,
            before,
            "nothing of Rampart's is left"
        );

        // A topic with a confirmed subscriber is reused and survives the undo.
        let sns = aws_sdk_sns::Client::new(&a.other_cfg);
        let pager = sns
            .create_topic()
            .name("pager")
            .send()
            .await
            .expect("pager topic")
            .topic_arn()
            .expect("topic arn")
            .to_string();
        // A Lambda subscription in the topic's own account is confirmed on creation.
        sns.subscribe()
            .topic_arn(&pager)
            .protocol("lambda")
            .endpoint(format!(
                "arn:aws:lambda:{REGION}:{}:function:pager",
                a.other
            ))
            .send()
            .await
            .expect("subscribe");
        aws_sdk_cloudwatch::Client::new(&a.other_cfg)
            .put_metric_alarm()
            .alarm_name("cpu")
            .namespace("AWS/EC2")
            .metric_name("CPUUtilization")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(300)
            .evaluation_periods(1)
            .threshold(90.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
            .alarm_actions(&pager)
            .send()
            .await
            .expect("cpu alarm");
        let before = chain_state(&a.other_cfg).await;
        let three = fix(cfg, &a.other, "CloudWatch.3", true).await;
        assert_eq!(three["status"], "done", "{three:#}");
        assert_eq!(three["change"]["topic"]["arn"], pager.as_str(), "{three:#}");
        assert_eq!(three["change"]["topic"]["rampart"], false, "{three:#}");
        let monitored = fix(cfg, &a.other, "CloudWatch.3", false).await;
        assert_eq!(monitored["status"], "skipped", "{monitored:#}");
        assert!(
            monitored["detail"]
                .as_str()
                .is_some_and(|d| d.contains("already monitored")),
            "{monitored:#}"
        );
        undo(cfg, &three["id"]).await;
        assert_eq!(
            chain_state(&a.other_cfg).await,
            before,
            "the pager topic stays"
        );

        // No trail in CloudWatch Logs: nothing to put a filter on.
        let (bare, _) = rampart_testbed::shared::account(REGION).await;
        let none = fix(cfg, &bare, "CloudWatch.4", false).await;
        assert_eq!(none["status"], "skipped", "{none:#}");
        assert!(
            none["detail"]
                .as_str()
                .is_some_and(|d| d.contains("CloudTrail.5")),
            "{none:#}"
        );
    });
}
