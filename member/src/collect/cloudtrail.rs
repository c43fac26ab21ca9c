//! CloudTrail (collected once per account from the home region, shadow trails included).

use super::region::in_region;
use crate::aws_error::AwsError;

use crate::ratelimit::RateLimiter;
use crate::snapshot::{CloudTrailSnapshot, Collected, ManagementEvents, S3ObjectEvents, Trail};
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::{AdvancedEventSelector, EventSelector, ReadWriteType};
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/cloudtrail",
    actions: &[
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    ],
};

pub async fn collect(home: &SdkConfig, rl: &RateLimiter) -> Result<CloudTrailSnapshot, AwsError> {
    let client = aws_sdk_cloudtrail::Client::new(home);
    let home_region = home.region().map(|r| r.to_string()).unwrap_or_default();
    let mut trails = describe(&client, &home_region, &[], true, rl).await?;
    for t in &mut trails {
        // Status and selectors are read from the trail's home region, where it is not a shadow.
        let regional = if t.home_region == home_region {
            client.clone()
        } else {
            aws_sdk_cloudtrail::Client::new(&in_region(home, &t.home_region))
        };
        let (is_logging, (management_events, s3_object_events)) = tokio::join!(
            status(&regional, &t.arn, rl),
            selectors(&regional, &t.arn, rl)
        );
        t.is_logging = is_logging;
        t.management_events = management_events;
        t.s3_object_events = s3_object_events;
    }
    Ok(CloudTrailSnapshot { trails })
}

/// DescribeTrails through a client of `region`: the trails whose home it is, with `shadows`
/// also those of other regions that apply here, or only the trails `names` (names or ARNs).
/// Status and selectors are left unread (errors, never a pass): [`collect`] reads them, a
/// remedy reads [`status`] where it needs it.
pub async fn describe(
    client: &aws_sdk_cloudtrail::Client,
    region: &str,
    names: &[String],
    shadows: bool,
    rl: &RateLimiter,
) -> Result<Vec<Trail>, AwsError> {
    rl.acquire().await;
    let out = client
        .describe_trails()
        .set_trail_name_list((!names.is_empty()).then(|| names.to_vec()))
        .include_shadow_trails(shadows)
        .send()
        .await
        .map_err(|e| AwsError::sdk("cloudtrail:DescribeTrails", &e))?;
    Ok(out
        .trail_list()
        .iter()
        .map(|t| Trail {
            name: t.name().unwrap_or_default().to_string(),
            arn: t.trail_arn().unwrap_or_default().to_string(),
            home_region: t.home_region().unwrap_or(region).to_string(),
            is_multi_region: t.is_multi_region_trail().unwrap_or(false),
            is_organization_trail: t.is_organization_trail().unwrap_or(false),
            log_file_validation: t.log_file_validation_enabled().unwrap_or(false),
            include_global_service_events: t.include_global_service_events().unwrap_or(false),
            s3_bucket: t.s3_bucket_name().map(str::to_string),
            kms_key_id: t.kms_key_id().map(str::to_string),
            cloudwatch_logs_group_arn: t.cloud_watch_logs_log_group_arn().map(str::to_string),
            is_logging: unread(),
            management_events: unread(),
            s3_object_events: unread(),
        })
        .collect())
}

/// What [`describe`] leaves for others to read.
fn unread<T>() -> Collected<T> {
    Collected::Err("not read (DescribeTrails only)".into())
}

/// Whether the trail logs (GetTrailStatus, through a client of the trail's home region).
pub async fn status(
    client: &aws_sdk_cloudtrail::Client,
    arn: &str,
    rl: &RateLimiter,
) -> Collected<bool> {
    rl.acquire().await;
    match client.get_trail_status().name(arn).send().await {
        Ok(s) => Collected::Ok(s.is_logging().unwrap_or(false)),
        Err(e) => Collected::Err(AwsError::sdk(
            format!("cloudtrail:GetTrailStatus {arn}"),
            &e,
        )),
    }
}

async fn selectors(
    client: &aws_sdk_cloudtrail::Client,
    arn: &str,
    rl: &RateLimiter,
) -> (Collected<ManagementEvents>, Collected<S3ObjectEvents>) {
    rl.acquire().await;
    match client.get_event_selectors().trail_name(arn).send().await {
        Ok(out) => {
            let (m, s3) = parse_selectors(out.event_selectors(), out.advanced_event_selectors());
            (Collected::Ok(m), Collected::Ok(s3))
        }
        Err(e) => {
            let msg = AwsError::sdk(format!("cloudtrail:GetEventSelectors {arn}"), &e);
            (Collected::Err(msg.clone()), Collected::Err(msg))
        }
    }
}

/// True for a data-resource value or ARN prefix that names every S3 bucket (`arn:aws:s3`,
/// `arn:aws:s3:::`, in any partition).
fn all_buckets(value: &str) -> bool {
    let mut parts = value.split(':');
    matches!(
        (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next()
        ),
        (Some("arn"), Some(_), Some("s3"), None, None, None)
            | (
                Some("arn"),
                Some(_),
                Some("s3"),
                Some(""),
                Some(""),
                Some("")
            )
    )
}

/// What basic and advanced selectors record of management events and S3 object events.
pub fn parse_selectors(
    basic: &[EventSelector],
    advanced: &[AdvancedEventSelector],
) -> (ManagementEvents, S3ObjectEvents) {
    let mut m = ManagementEvents {
        read: false,
        write: false,
    };
    let mut s3 = S3ObjectEvents::default();
    for s in basic {
        // Absent ReadWriteType is the API's default, All.
        let (read, write) = match s.read_write_type() {
            Some(ReadWriteType::ReadOnly) => (true, false),
            Some(ReadWriteType::WriteOnly) => (false, true),
            _ => (true, true),
        };
        if s.include_management_events().unwrap_or(true) {
            m.read |= read;
            m.write |= write;
        }
        let every_bucket = s.data_resources().iter().any(|d| {
            d.r#type() == Some("AWS::S3::Object") && d.values().iter().any(|v| all_buckets(v))
        });
        if every_bucket {
            s3.read_all_buckets |= read;
            s3.write_all_buckets |= write;
        }
    }
    for s in advanced {
        let mut category = None;
        let mut resource_type = None;
        let mut read_only: Option<bool> = None;
        // Any other condition (an ARN or event-name filter) narrows the selector.
        let mut narrowed = false;
        for f in s.field_selectors() {
            match f.field() {
                "eventCategory" => category = f.equals().first().cloned(),
                "resources.type" => resource_type = f.equals().first().cloned(),
                "readOnly" => read_only = f.equals().first().map(|v| v == "true"),
                "resources.ARN"
                    if f.equals().is_empty()
                        && f.not_equals().is_empty()
                        && f.not_starts_with().is_empty()
                        && f.ends_with().is_empty()
                        && f.not_ends_with().is_empty()
                        && !f.starts_with().is_empty()
                        && f.starts_with().iter().all(|v| all_buckets(v)) => {}
                _ => narrowed = true,
            }
        }
        let (read, write) = match read_only {
            Some(true) => (true, false),
            Some(false) => (false, true),
            None => (true, true),
        };
        match category.as_deref() {
            Some("Management") => {
                m.read |= read;
                m.write |= write;
            }
            Some("Data") if resource_type.as_deref() == Some("AWS::S3::Object") && !narrowed => {
                s3.read_all_buckets |= read;
                s3.write_all_buckets |= write;
            }
            _ => {}
        }
    }
    (m, s3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudtrail::types::{AdvancedFieldSelector, DataResource};

    fn basic(rw: ReadWriteType, mgmt: bool, values: &[&str]) -> EventSelector {
        let mut b = EventSelector::builder()
            .read_write_type(rw)
            .include_management_events(mgmt);
        if !values.is_empty() {
            let mut d = DataResource::builder().r#type("AWS::S3::Object");
            for v in values {
                d = d.values(*v);
            }
            b = b.data_resources(d.build());
        }
        b.build()
    }

    fn field(name: &str, equals: &[&str], starts: &[&str]) -> AdvancedFieldSelector {
        let mut f = AdvancedFieldSelector::builder().field(name);
        for e in equals {
            f = f.equals(*e);
        }
        for e in starts {
            f = f.starts_with(*e);
        }
        f.build().expect("field selector")
    }

    fn adv(fields: Vec<AdvancedFieldSelector>) -> AdvancedEventSelector {
        AdvancedEventSelector::builder()
            .set_field_selectors(Some(fields))
            .build()
            .expect("advanced selector")
    }

    #[test]
    fn basic_selectors_with_s3_data_resources() {
        let (m, s3) = parse_selectors(
            &[basic(ReadWriteType::WriteOnly, true, &["arn:aws:s3"])],
            &[],
        );
        assert!(!m.read && m.write);
        assert!(s3.write_all_buckets && !s3.read_all_buckets);
        let (_, s3) = parse_selectors(&[basic(ReadWriteType::All, false, &["arn:aws:s3:::"])], &[]);
        assert!(s3.write_all_buckets && s3.read_all_buckets);
        // One bucket only is not every bucket.
        let (_, s3) = parse_selectors(
            &[basic(ReadWriteType::All, true, &["arn:aws:s3:::logs/"])],
            &[],
        );
        assert_eq!(s3, S3ObjectEvents::default());
        let (m, s3) = parse_selectors(&[basic(ReadWriteType::All, true, &[])], &[]);
        assert!(m.read && m.write);
        assert_eq!(s3, S3ObjectEvents::default());
    }

    #[test]
    fn advanced_selectors_for_s3_objects() {
        let all = adv(vec![
            field("eventCategory", &["Data"], &[]),
            field("resources.type", &["AWS::S3::Object"], &[]),
        ]);
        let (m, s3) = parse_selectors(&[], &[all]);
        assert!(!m.read && !m.write);
        assert!(s3.read_all_buckets && s3.write_all_buckets);
        let reads = adv(vec![
            field("eventCategory", &["Data"], &[]),
            field("resources.type", &["AWS::S3::Object"], &[]),
            field("readOnly", &["true"], &[]),
            field("resources.ARN", &[], &["arn:aws:s3:::"]),
        ]);
        let (_, s3) = parse_selectors(&[], &[reads]);
        assert!(s3.read_all_buckets && !s3.write_all_buckets);
        let one_bucket = adv(vec![
            field("eventCategory", &["Data"], &[]),
            field("resources.type", &["AWS::S3::Object"], &[]),
            field("resources.ARN", &[], &["arn:aws:s3:::only-this/"]),
        ]);
        let (_, s3) = parse_selectors(&[], &[one_bucket]);
        assert_eq!(s3, S3ObjectEvents::default());
        let mgmt_writes = adv(vec![
            field("eventCategory", &["Management"], &[]),
            field("readOnly", &["false"], &[]),
        ]);
        let (m, _) = parse_selectors(&[], &[mgmt_writes]);
        assert!(!m.read && m.write);
    }

    #[test]
    fn all_bucket_values() {
        assert!(all_buckets("arn:aws:s3"));
        assert!(all_buckets("arn:aws-us-gov:s3:::"));
        assert!(!all_buckets("arn:aws:s3:::bucket/"));
        assert!(!all_buckets("arn:aws:s3:::bucket"));
        assert!(!all_buckets("arn:aws:lambda"));
    }
}
