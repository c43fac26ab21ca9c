//! CIS 4.1-4.15: for each monitored event class, the whole chain must hold: an active
//! multi-region trail recording all management events delivers to a CloudWatch Logs group, a
//! metric filter on that group contains every CIS term, an alarm watches the filter's metric,
//! and the alarm notifies an SNS topic with at least one confirmed subscription.

use super::check::{with, Check, Eval, Settings};
use crate::metric_filter::{missing_terms, CIS_V3_PATTERNS};
use crate::snapshot::{AccountSnapshot, CloudTrailSnapshot, Collected, Monitoring, Trail};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

const URL: &str =
    "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html";
const REMEDIATION: &str = "Send an active multi-region trail to CloudWatch Logs, add a metric filter with the CIS pattern, an alarm on its metric, and an SNS topic with a confirmed subscription.";

macro_rules! monitoring_checks {
    ($( $f:ident, $id:literal, $req:literal, $title:literal; )*) => {
        $(
            fn $f(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
                chain(s, $req)
            }
        )*
        pub const CHECKS: &[Check] = &[
            $(
                Check {
                    meta: CheckMeta {
                        id: $id,
                        title: $title,
                        description: "Without this metric filter, alarm and notification, the activity goes unnoticed until someone reads the logs.",
                        severity: Severity::Low,
                        scope: Scope::Account,
                        security_control_id: None,
                        remediation: REMEDIATION,
                        remediation_url: URL,
                    },
                    eval: Eval::Account($f),
                },
            )*
        ];
    };
}

monitoring_checks! {
    m4_1, "monitoring.unauthorized-api-calls", "4.1", "A log metric filter and alarm exist for unauthorized API calls";
    m4_2, "monitoring.console-signin-without-mfa", "4.2", "A log metric filter and alarm exist for console sign-in without MFA";
    m4_3, "monitoring.root-usage", "4.3", "A log metric filter and alarm exist for usage of the root user";
    m4_4, "monitoring.iam-policy-changes", "4.4", "A log metric filter and alarm exist for IAM policy changes";
    m4_5, "monitoring.cloudtrail-changes", "4.5", "A log metric filter and alarm exist for CloudTrail configuration changes";
    m4_6, "monitoring.console-auth-failures", "4.6", "A log metric filter and alarm exist for console authentication failures";
    m4_7, "monitoring.cmk-disable-or-deletion", "4.7", "A log metric filter and alarm exist for disabling or scheduled deletion of customer managed keys";
    m4_8, "monitoring.s3-bucket-policy-changes", "4.8", "A log metric filter and alarm exist for S3 bucket policy changes";
    m4_9, "monitoring.config-changes", "4.9", "A log metric filter and alarm exist for AWS Config configuration changes";
    m4_10, "monitoring.security-group-changes", "4.10", "A log metric filter and alarm exist for security group changes";
    m4_11, "monitoring.nacl-changes", "4.11", "A log metric filter and alarm exist for network ACL changes";
    m4_12, "monitoring.network-gateway-changes", "4.12", "A log metric filter and alarm exist for network gateway changes";
    m4_13, "monitoring.route-table-changes", "4.13", "A log metric filter and alarm exist for route table changes";
    m4_14, "monitoring.vpc-changes", "4.14", "A log metric filter and alarm exist for VPC changes";
    m4_15, "monitoring.organizations-changes", "4.15", "A log metric filter and alarm exist for AWS Organizations changes";
}

/// A trail whose log group the chain starts from (the remedy of CloudWatch.1-14 picks its
/// log group by the same rule).
pub fn qualifies(t: &Trail) -> bool {
    t.is_multi_region
        && matches!(t.is_logging, Collected::Ok(true))
        && matches!(&t.management_events, Collected::Ok(m) if m.read && m.write)
        && t.cloudwatch_logs_group_arn.is_some()
}

fn chain(s: &AccountSnapshot, req: &str) -> CheckStatus {
    let Some(required) = CIS_V3_PATTERNS
        .iter()
        .find(|(id, _)| *id == req)
        .map(|(_, p)| *p)
    else {
        return CheckStatus::NotAvailable {
            reason: format!("no pattern is defined for {req}"),
        };
    };
    with(&s.cloudtrail, |ct: &CloudTrailSnapshot| {
        with(&s.monitoring, |m: &Monitoring| {
            let verdict = |passed: bool, reason: String| CheckStatus::Evaluated {
                verdicts: vec![Verdict {
                    resource: ResourceRef::account(&s.account_id),
                    passed,
                    reason,
                }],
            };
            let groups: Vec<&str> = ct
                .trails
                .iter()
                .filter(|t| qualifies(t))
                .filter_map(|t| t.cloudwatch_logs_group_arn.as_deref())
                .collect();
            if groups.is_empty() {
                return verdict(
                    false,
                    "No active multi-region trail recording all management events delivers to CloudWatch Logs.".into(),
                );
            }
            // Walk the chain and remember how far the best candidate got, to say what is missing.
            let mut furthest = String::from("no metric filter on the trail's log group");
            let mut fewest_missing = usize::MAX;
            for g in m
                .log_groups
                .iter()
                .filter(|g| groups.contains(&g.arn.as_str()))
            {
                for f in &g.filters {
                    let missing = match missing_terms(&f.pattern, required) {
                        Ok(missing) => missing,
                        Err(e) => {
                            if fewest_missing == usize::MAX {
                                furthest = format!("filter {} cannot be parsed ({e})", f.name);
                            }
                            continue;
                        }
                    };
                    if !missing.is_empty() {
                        if missing.len() < fewest_missing {
                            fewest_missing = missing.len();
                            let list: Vec<String> = missing
                                .iter()
                                .map(|t| format!("{} {} {}", t.selector, t.op, t.value))
                                .collect();
                            furthest = format!("filter {} lacks {}", f.name, list.join(", "));
                        }
                        continue;
                    }
                    fewest_missing = 0;
                    let alarms: Vec<_> = m
                        .alarms
                        .iter()
                        .filter(|a| {
                            f.metrics
                                .iter()
                                .any(|(ns, name)| *ns == a.namespace && *name == a.metric_name)
                        })
                        .collect();
                    if alarms.is_empty() {
                        furthest = format!("filter {} has no alarm on its metric", f.name);
                        continue;
                    }
                    for a in alarms {
                        let confirmed = a
                            .actions
                            .iter()
                            .find(|act| m.topics.iter().any(|t| &t.arn == *act && t.confirmed > 0));
                        match confirmed {
                            Some(topic) => {
                                return verdict(
                                    true,
                                    format!("Filter {} -> alarm {} -> topic {} with a confirmed subscription.", f.name, a.name, topic),
                                )
                            }
                            None => furthest = format!("alarm {} has no SNS topic with a confirmed subscription", a.name),
                        }
                    }
                }
            }
            verdict(
                false,
                format!("CIS {req} monitoring chain incomplete: {furthest}."),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{
        IamSnapshot, LogGroupFilters, ManagementEvents, MetricAlarm, MetricFilter,
        TopicSubscriptions,
    };

    const GROUP: &str = "arn:aws:logs:us-east-1:111122223333:log-group:trail:*";
    const TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:alerts";

    fn trail(group: Option<&str>, logging: bool) -> Trail {
        Trail {
            name: "main".into(),
            arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/main".into(),
            home_region: "us-east-1".into(),
            is_multi_region: true,
            is_organization_trail: false,
            log_file_validation: true,
            include_global_service_events: false,
            s3_bucket: None,
            kms_key_id: None,
            cloudwatch_logs_group_arn: group.map(str::to_string),
            is_logging: Collected::Ok(logging),
            management_events: Collected::Ok(ManagementEvents {
                read: true,
                write: true,
            }),
            s3_object_events: Collected::Ok(Default::default()),
        }
    }

    fn snap(trails: Vec<Trail>, m: Monitoring) -> AccountSnapshot {
        AccountSnapshot {
            account_id: "111122223333".into(),
            partition: "aws".into(),
            iam: Collected::Ok(IamSnapshot {
                root_access_keys_present: false,
                root_mfa_enabled: true,
                password_policy: None,
            }),
            cloudtrail: Collected::Ok(CloudTrailSnapshot { trails }),
            credentials: Collected::Err("not collected".into()),
            authorization: Collected::Err("not collected".into()),
            monitoring: Collected::Ok(m),
            ..AccountSnapshot::empty("111122223333")
        }
    }

    fn full(pattern: &str, confirmed: u32) -> Monitoring {
        Monitoring {
            log_groups: vec![LogGroupFilters {
                arn: GROUP.into(),
                filters: vec![MetricFilter {
                    name: "f".into(),
                    pattern: pattern.into(),
                    metrics: vec![("CIS".into(), "Metric".into())],
                }],
            }],
            alarms: vec![MetricAlarm {
                name: "a".into(),
                namespace: "CIS".into(),
                metric_name: "Metric".into(),
                actions: vec![TOPIC.into()],
            }],
            topics: vec![TopicSubscriptions {
                arn: TOPIC.into(),
                confirmed,
            }],
        }
    }

    fn result(st: &CheckStatus) -> (bool, String) {
        match st {
            CheckStatus::Evaluated { verdicts } => (verdicts[0].passed, verdicts[0].reason.clone()),
            other => panic!("{other:?}"),
        }
    }

    const CT: &str = "{ ($.eventName = StopLogging) || ($.eventName = StartLogging) || ($.eventName = DeleteTrail) || ($.eventName = UpdateTrail) || ($.eventName = CreateTrail) || ($.eventName = PutEventSelectors) }";

    #[test]
    fn complete_chain_passes() {
        let (ok, why) = result(&m4_5(
            &snap(vec![trail(Some(GROUP), true)], full(CT, 1)),
            &Settings::default(),
        ));
        assert!(ok, "{why}");
    }

    #[test]
    fn each_broken_link_fails_and_says_where() {
        let d = Settings::default();
        let (ok, why) = result(&m4_5(&snap(vec![trail(None, true)], full(CT, 1)), &d));
        assert!(!ok && why.contains("delivers to CloudWatch Logs"), "{why}");
        let (ok, _) = result(&m4_5(
            &snap(vec![trail(Some(GROUP), false)], full(CT, 1)),
            &d,
        ));
        assert!(!ok, "a stopped trail does not count");
        let partial = "{ ($.eventName = StopLogging) || ($.eventName = StartLogging) }";
        let (ok, why) = result(&m4_5(
            &snap(vec![trail(Some(GROUP), true)], full(partial, 1)),
            &d,
        ));
        assert!(
            !ok && why.contains("lacks") && why.contains("DeleteTrail"),
            "{why}"
        );
        let mut no_alarm = full(CT, 1);
        no_alarm.alarms[0].metric_name = "Other".into();
        let (ok, why) = result(&m4_5(&snap(vec![trail(Some(GROUP), true)], no_alarm), &d));
        assert!(!ok && why.contains("no alarm"), "{why}");
        let (ok, why) = result(&m4_5(
            &snap(vec![trail(Some(GROUP), true)], full(CT, 0)),
            &d,
        ));
        assert!(!ok && why.contains("confirmed"), "{why}");
        // The right filter on another requirement does not satisfy this one.
        let (ok, _) = result(&m4_4(
            &snap(vec![trail(Some(GROUP), true)], full(CT, 1)),
            &d,
        ));
        assert!(!ok);
    }

    #[test]
    fn unreadable_chain_is_an_error() {
        let mut s = snap(vec![trail(Some(GROUP), true)], Monitoring::default());
        s.monitoring = Collected::Err("logs:DescribeMetricFilters: AccessDenied".into());
        assert!(matches!(
            m4_1(&s, &Settings::default()),
            CheckStatus::Error { .. }
        ));
        assert_eq!(CHECKS.len(), 15);
    }
}
