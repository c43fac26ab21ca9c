use super::*;
use crate::snapshot::{
    Collected, LogGroupFilters, ManagementEvents, MetricAlarm, MetricFilter, TopicSubscriptions,
};

const ACCT: &str = "111122223333";
const GROUP: &str = "arn:aws:logs:us-east-1:111122223333:log-group:trail-events:*";
const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:111122223333:alerts";

fn trail(name: &str, group: Option<&str>) -> Trail {
    Trail {
        name: name.into(),
        arn: format!("arn:aws:cloudtrail:us-east-1:{ACCT}:trail/{name}"),
        home_region: "us-east-1".into(),
        is_multi_region: true,
        is_organization_trail: false,
        log_file_validation: true,
        include_global_service_events: true,
        s3_bucket: None,
        kms_key_id: None,
        cloudwatch_logs_group_arn: group.map(str::to_string),
        is_logging: Collected::Ok(true),
        management_events: Collected::Ok(ManagementEvents {
            read: true,
            write: true,
        }),
        s3_object_events: Collected::Ok(Default::default()),
    }
}

fn chain(pattern: &str, confirmed: u32) -> Monitoring {
    Monitoring {
        log_groups: vec![LogGroupFilters {
            arn: GROUP.into(),
            filters: vec![MetricFilter {
                name: "f".into(),
                pattern: pattern.into(),
                metrics: vec![("CIS".into(), "M".into())],
            }],
        }],
        alarms: vec![MetricAlarm {
            name: "a".into(),
            namespace: "CIS".into(),
            metric_name: "M".into(),
            actions: vec![TOPIC_ARN.into()],
        }],
        topics: vec![TopicSubscriptions {
            arn: TOPIC_ARN.into(),
            confirmed,
        }],
    }
}

#[test]
fn every_control_names_its_cis_requirement_and_check() {
    assert_eq!(FIXES.len(), 14);
    assert_eq!(CONTROLS.len(), 14);
    let bench = &rampart_common::benchmarks::CIS_V3_0_0;
    for (f, (control, req)) in FIXES.iter().zip(CONTROLS) {
        let Fixes::Control {
            control: c,
            judged_by,
        } = f
        else {
            panic!("{f:?}")
        };
        assert_eq!(c, control);
        let r = bench
            .requirements
            .iter()
            .find(|r| r.id == *req)
            .expect("requirement");
        assert_eq!(r.checks, *judged_by, "{control} -> CIS {req}");
    }
    assert_eq!(REMEDY.controls().len(), 14);
    assert!(REMEDY.fixes_control("cloudwatch.14"));
    assert!(!REMEDY.fixes_control("CloudWatch.15"));
}

#[test]
fn every_pattern_put_satisfies_the_check() {
    for (control, req) in CONTROLS {
        let put = pattern(req).expect("pattern");
        let want = required(req).expect("required");
        assert_eq!(missing_terms(put, want), Ok(vec![]), "{control}");
    }
    // 4.1 joins the exclusions with &&: the v3 text would match almost every event.
    assert_ne!(pattern("4.1"), required("4.1"));
    assert_eq!(pattern("4.5"), required("4.5"));
}

#[test]
fn a_complete_chain_needs_nothing_and_an_unconfirmed_topic_is_reported() {
    let want = required("4.5").expect("4.5");
    let trails = [trail("main", Some(GROUP))];
    let why = monitored(&trails, &chain(want, 1), want).expect("monitored");
    assert!(why.starts_with("already monitored"), "{why}");
    let why = monitored(&trails, &chain(want, 0), want).expect("reported");
    assert!(why.contains("no confirmed subscription"), "{why}");
    // Too few terms, another requirement's filter, no alarm, a group no trail qualifies for.
    let partial = "{ ($.eventName = StopLogging) }";
    assert_eq!(monitored(&trails, &chain(partial, 1), want), None);
    let other = required("4.4").expect("4.4");
    assert_eq!(monitored(&trails, &chain(want, 1), other), None);
    let mut no_alarm = chain(want, 1);
    no_alarm.alarms[0].metric_name = "Other".into();
    assert_eq!(monitored(&trails, &no_alarm, want), None);
    let elsewhere = [trail(
        "main",
        Some("arn:aws:logs:us-east-1:111122223333:log-group:x:*"),
    )];
    assert_eq!(monitored(&elsewhere, &chain(want, 1), want), None);
    // An alarm that notifies no SNS topic is no notification.
    let mut no_topic = chain(want, 1);
    no_topic.alarms[0].actions = vec!["arn:aws:automate:us-east-1:ec2:stop".into()];
    assert_eq!(monitored(&trails, &no_topic, want), None);
}

#[test]
fn the_log_group_is_the_accounts_own_first_by_trail_name() {
    let org = "arn:aws:logs:us-east-1:999999999999:log-group:org:*";
    let b = "arn:aws:logs:eu-west-1:111122223333:log-group:/trail/b:*";
    let trails = [
        trail("org", Some(org)),
        trail("zeta", Some(GROUP)),
        trail("beta", Some(b)),
    ];
    assert_eq!(
        own_group(ACCT, &trails),
        Some(("beta".into(), "eu-west-1".into(), "/trail/b".into()))
    );
    assert_eq!(own_group(ACCT, &trails[..1]), None);
}

#[test]
fn only_own_topics_of_the_region_are_candidates() {
    let mut m = chain("{ $.a = 1 }", 0);
    m.alarms.push(MetricAlarm {
        name: "b".into(),
        namespace: "N".into(),
        metric_name: "M".into(),
        actions: vec![
            "arn:aws:sns:eu-west-1:111122223333:elsewhere".into(),
            "arn:aws:sns:us-east-1:999999999999:theirs".into(),
            "arn:aws:swf:us-east-1:111122223333:action/actions/AWS_EC2.InstanceId.Stop/1.0".into(),
            "arn:aws:sns:us-east-1:111122223333:alerts".into(),
        ],
    });
    let got: Vec<String> = topic::alarm_topics(&m, ACCT, "us-east-1")
        .into_iter()
        .collect();
    assert_eq!(got, vec![TOPIC_ARN.to_string()]);
}

#[test]
fn an_unreadable_trail_is_an_error_not_a_missing_trail() {
    let mut t = trail("main", Some(GROUP));
    t.is_logging = Collected::Err("cloudtrail:GetTrailStatus: AccessDenied".into());
    assert!(!qualifies(&t));
    assert!(unread(std::slice::from_ref(&t)).is_some());
    let mut none = trail("main", None);
    none.is_logging = Collected::Err("x".into());
    assert!(unread(&[none]).is_none());
}

#[test]
fn recorded_definitions_read_back() {
    let topic = TopicRef {
        arn: TOPIC_ARN.into(),
        created: true,
        rampart: true,
        confirmed: false,
    };
    let v = json!({"topic": topic, "filter": null, "alarm": {"name": "a", "namespace": "N", "metric_name": "M"}});
    assert_eq!(field::<TopicRef>(&v, "topic").ok(), Some(topic));
    assert_eq!(field::<Option<FilterDef>>(&v, "filter").ok(), Some(None));
    let a: Option<AlarmDef> = field(&v, "alarm").expect("alarm");
    assert_eq!(a.map(|a| a.alarm_actions.len()), Some(0));
    assert!(field::<TopicRef>(&v, "missing").is_err());
}
