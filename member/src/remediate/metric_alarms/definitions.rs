//! A metric filter and a metric alarm as their Put calls take them: what the remedy of
//! CloudWatch.1-14 puts, and what it records of a filter or alarm of the same name it found,
//! so undo puts that one back exactly.

use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, Statistic};
use aws_sdk_cloudwatchlogs::types::{MetricFilter, MetricTransformation, StandardUnit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One metric a filter publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transformation {
    pub metric_name: String,
    pub namespace: String,
    pub value: String,
    #[serde(default)]
    pub default_value: Option<f64>,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    #[serde(default)]
    pub unit: Option<String>,
}

/// A metric filter of a log group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterDef {
    pub name: String,
    pub pattern: String,
    pub transformations: Vec<Transformation>,
    #[serde(default)]
    pub apply_on_transformed_logs: bool,
    #[serde(default)]
    pub field_selection_criteria: Option<String>,
    #[serde(default)]
    pub emit_system_field_dimensions: Vec<String>,
}

impl FilterDef {
    /// A filter counting each matching event as 1 in metric `name` of `namespace`.
    pub fn counting(name: &str, pattern: &str, namespace: &str) -> FilterDef {
        FilterDef {
            name: name.into(),
            pattern: pattern.into(),
            transformations: vec![Transformation {
                metric_name: name.into(),
                namespace: namespace.into(),
                value: "1".into(),
                default_value: None,
                dimensions: BTreeMap::new(),
                unit: None,
            }],
            apply_on_transformed_logs: false,
            field_selection_criteria: None,
            emit_system_field_dimensions: Vec::new(),
        }
    }

    pub fn from_sdk(f: &MetricFilter) -> FilterDef {
        FilterDef {
            name: f.filter_name().unwrap_or_default().to_string(),
            pattern: f.filter_pattern().unwrap_or_default().to_string(),
            transformations: f
                .metric_transformations()
                .iter()
                .map(|m| Transformation {
                    metric_name: m.metric_name().to_string(),
                    namespace: m.metric_namespace().to_string(),
                    value: m.metric_value().to_string(),
                    default_value: m.default_value(),
                    dimensions: m
                        .dimensions()
                        .map(|d| d.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                    unit: m.unit().map(|u| u.as_str().to_string()),
                })
                .collect(),
            apply_on_transformed_logs: f.apply_on_transformed_logs(),
            field_selection_criteria: f.field_selection_criteria().map(str::to_string),
            emit_system_field_dimensions: f.emit_system_field_dimensions().to_vec(),
        }
    }

    /// PutMetricFilter on `group` (creates or replaces the filter of this name).
    pub async fn put(
        &self,
        logs: &aws_sdk_cloudwatchlogs::Client,
        group: &str,
    ) -> Result<(), AwsError> {
        let op = format!("logs:PutMetricFilter {group} {}", self.name);
        let mut transformations = Vec::new();
        for t in &self.transformations {
            let m = MetricTransformation::builder()
                .metric_name(&t.metric_name)
                .metric_namespace(&t.namespace)
                .metric_value(&t.value)
                .set_default_value(t.default_value)
                .set_dimensions(
                    (!t.dimensions.is_empty()).then(|| t.dimensions.clone().into_iter().collect()),
                )
                .set_unit(t.unit.as_deref().map(StandardUnit::from))
                .build()
                .map_err(|e| AwsError::invalid(&op, e.to_string()))?;
            transformations.push(m);
        }
        logs.put_metric_filter()
            .log_group_name(group)
            .filter_name(&self.name)
            .filter_pattern(&self.pattern)
            .set_metric_transformations(Some(transformations))
            .set_apply_on_transformed_logs(self.apply_on_transformed_logs.then_some(true))
            .set_field_selection_criteria(self.field_selection_criteria.clone())
            .set_emit_system_field_dimensions(
                (!self.emit_system_field_dimensions.is_empty())
                    .then(|| self.emit_system_field_dimensions.clone()),
            )
            .send()
            .await
            .map_err(|e| AwsError::sdk(op, &e))?;
        Ok(())
    }
}

/// A metric alarm on one metric (no metric math).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmDef {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub actions_enabled: Option<bool>,
    #[serde(default)]
    pub alarm_actions: Vec<String>,
    #[serde(default)]
    pub ok_actions: Vec<String>,
    #[serde(default)]
    pub insufficient_data_actions: Vec<String>,
    pub namespace: String,
    pub metric_name: String,
    #[serde(default)]
    pub statistic: Option<String>,
    #[serde(default)]
    pub extended_statistic: Option<String>,
    #[serde(default)]
    pub dimensions: Vec<(String, String)>,
    #[serde(default)]
    pub period: Option<i32>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub evaluation_periods: Option<i32>,
    #[serde(default)]
    pub datapoints_to_alarm: Option<i32>,
    #[serde(default)]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub comparison: Option<String>,
    #[serde(default)]
    pub treat_missing_data: Option<String>,
    #[serde(default)]
    pub evaluate_low_sample_count_percentile: Option<String>,
}

impl AlarmDef {
    /// An alarm notifying `topic` as soon as metric `name` counts one event in 5 minutes (no
    /// data is no event).
    pub fn on_any(name: &str, namespace: &str, description: &str, topic: &str) -> AlarmDef {
        AlarmDef {
            name: name.into(),
            description: Some(description.into()),
            actions_enabled: Some(true),
            alarm_actions: vec![topic.into()],
            ok_actions: Vec::new(),
            insufficient_data_actions: Vec::new(),
            namespace: namespace.into(),
            metric_name: name.into(),
            statistic: Some("Sum".into()),
            extended_statistic: None,
            dimensions: Vec::new(),
            period: Some(300),
            unit: None,
            evaluation_periods: Some(1),
            datapoints_to_alarm: None,
            threshold: Some(1.0),
            comparison: Some("GreaterThanOrEqualToThreshold".into()),
            treat_missing_data: Some("notBreaching".into()),
            evaluate_low_sample_count_percentile: None,
        }
    }

    /// The alarm's definition, or `None` when it uses what this record cannot hold (metric
    /// math, a threshold metric, evaluation criteria or windows): such an alarm is left alone.
    pub fn from_sdk(a: &MetricAlarm) -> Option<AlarmDef> {
        let simple = a.metrics().is_empty()
            && a.threshold_metric_id().is_none()
            && a.evaluation_criteria().is_none()
            && a.evaluation_window().is_none()
            && a.warm_up_configuration().is_none()
            && a.action_configuration().is_none();
        if !simple {
            return None;
        }
        Some(AlarmDef {
            name: a.alarm_name()?.to_string(),
            description: a.alarm_description().map(str::to_string),
            actions_enabled: a.actions_enabled(),
            alarm_actions: a.alarm_actions().to_vec(),
            ok_actions: a.ok_actions().to_vec(),
            insufficient_data_actions: a.insufficient_data_actions().to_vec(),
            namespace: a.namespace()?.to_string(),
            metric_name: a.metric_name()?.to_string(),
            statistic: a.statistic().map(|s| s.as_str().to_string()),
            extended_statistic: a.extended_statistic().map(str::to_string),
            dimensions: a
                .dimensions()
                .iter()
                .map(|d| {
                    (
                        d.name().unwrap_or_default().to_string(),
                        d.value().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            period: a.period(),
            unit: a.unit().map(|u| u.as_str().to_string()),
            evaluation_periods: a.evaluation_periods(),
            datapoints_to_alarm: a.datapoints_to_alarm(),
            threshold: a.threshold(),
            comparison: a.comparison_operator().map(|c| c.as_str().to_string()),
            treat_missing_data: a.treat_missing_data().map(str::to_string),
            evaluate_low_sample_count_percentile: a
                .evaluate_low_sample_count_percentile()
                .map(str::to_string),
        })
    }

    /// PutMetricAlarm (creates or replaces the alarm of this name). `tags` go on a new alarm
    /// only: AWS ignores them when the alarm exists.
    pub async fn put(
        &self,
        cw: &aws_sdk_cloudwatch::Client,
        tags: &[(&str, &str)],
    ) -> Result<(), AwsError> {
        let some = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        cw.put_metric_alarm()
            .alarm_name(&self.name)
            .set_alarm_description(self.description.clone())
            .set_actions_enabled(self.actions_enabled)
            .set_alarm_actions(some(&self.alarm_actions))
            .set_ok_actions(some(&self.ok_actions))
            .set_insufficient_data_actions(some(&self.insufficient_data_actions))
            .namespace(&self.namespace)
            .metric_name(&self.metric_name)
            .set_statistic(self.statistic.as_deref().map(Statistic::from))
            .set_extended_statistic(self.extended_statistic.clone())
            .set_dimensions((!self.dimensions.is_empty()).then(|| {
                self.dimensions
                    .iter()
                    .map(|(n, v)| Dimension::builder().name(n).value(v).build())
                    .collect()
            }))
            .set_period(self.period)
            .set_unit(
                self.unit
                    .as_deref()
                    .map(aws_sdk_cloudwatch::types::StandardUnit::from),
            )
            .set_evaluation_periods(self.evaluation_periods)
            .set_datapoints_to_alarm(self.datapoints_to_alarm)
            .set_threshold(self.threshold)
            .set_comparison_operator(self.comparison.as_deref().map(ComparisonOperator::from))
            .set_treat_missing_data(self.treat_missing_data.clone())
            .set_evaluate_low_sample_count_percentile(
                self.evaluate_low_sample_count_percentile.clone(),
            )
            .set_tags((!tags.is_empty()).then(|| {
                tags.iter()
                    .map(|(k, v)| {
                        aws_sdk_cloudwatch::types::Tag::builder()
                            .key(*k)
                            .value(*v)
                            .build()
                    })
                    .collect()
            }))
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("cloudwatch:PutMetricAlarm {}", self.name), &e))?;
        Ok(())
    }
}

/// The metric filter `name` of `group`, if there is one.
pub async fn find_filter(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    name: &str,
    rl: &RateLimiter,
) -> Result<Option<FilterDef>, AwsError> {
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = logs
            .describe_metric_filters()
            .log_group_name(group)
            .filter_name_prefix(name)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("logs:DescribeMetricFilters {group}"), &e))?;
        if let Some(f) = page
            .metric_filters()
            .iter()
            .find(|f| f.filter_name() == Some(name))
        {
            return Ok(Some(FilterDef::from_sdk(f)));
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(None),
        }
    }
}

/// The metric alarm `name`, if there is one.
pub async fn find_alarm(
    cw: &aws_sdk_cloudwatch::Client,
    name: &str,
    rl: &RateLimiter,
) -> Result<Option<MetricAlarm>, AwsError> {
    rl.acquire().await;
    let out = cw
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("cloudwatch:DescribeAlarms {name}"), &e))?;
    Ok(out
        .metric_alarms()
        .iter()
        .find(|a| a.alarm_name() == Some(name))
        .cloned())
}

/// The names of the alarms (metric and composite) that act on `topic`.
pub async fn alarms_notifying(
    cw: &aws_sdk_cloudwatch::Client,
    topic: &str,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    use aws_sdk_cloudwatch::types::AlarmType;
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = cw
            .describe_alarms()
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .max_records(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("cloudwatch:DescribeAlarms", &e))?;
        let uses = |acts: [&[String]; 3]| acts.iter().any(|a| a.iter().any(|x| x == topic));
        for a in page.metric_alarms() {
            if uses([
                a.alarm_actions(),
                a.ok_actions(),
                a.insufficient_data_actions(),
            ]) {
                out.push(a.alarm_name().unwrap_or_default().to_string());
            }
        }
        for a in page.composite_alarms() {
            if uses([
                a.alarm_actions(),
                a.ok_actions(),
                a.insufficient_data_actions(),
            ]) {
                out.push(a.alarm_name().unwrap_or_default().to_string());
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}
