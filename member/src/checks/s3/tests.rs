//! Unit tests of `s3`.

use super::*;
use crate::snapshot::{CloudTrailSnapshot, ManagementEvents, S3ObjectEvents, S3Snapshot, Trail};
use serde_json::json;

const ACCOUNT: &str = "111122223333";
const ALL: PublicAccessBlock = PublicAccessBlock {
    block_public_acls: true,
    ignore_public_acls: true,
    block_public_policy: true,
    restrict_public_buckets: true,
};

fn bucket(name: &str) -> Bucket {
    Bucket {
        name: name.into(),
        region: "eu-west-1".into(),
        policy: Collected::Ok(None),
        mfa_delete: Collected::Ok(false),
        public_access_block: Collected::Ok(None),
        access_logging: None,
    }
}

fn snap(account: Collected<Option<PublicAccessBlock>>, buckets: Vec<Bucket>) -> AccountSnapshot {
    AccountSnapshot {
        s3: Collected::Ok(S3Snapshot {
            account_public_access_block: account,
            buckets,
        }),
        ..AccountSnapshot::empty(ACCOUNT)
    }
}

fn results(st: &CheckStatus) -> Option<Vec<(String, bool)>> {
    match st {
        CheckStatus::Evaluated { verdicts } => Some(
            verdicts
                .iter()
                .map(|v| {
                    (
                        v.resource
                            .id
                            .trim_start_matches("arn:aws:s3:::")
                            .to_string(),
                        v.passed,
                    )
                })
                .collect(),
        ),
        _ => None,
    }
}

fn ssl_policy(bucket: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")},
        {"Sid": "DenyHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]})
}

#[test]
fn deny_http_policy_semantics() {
    assert!(denies_insecure_transport(&ssl_policy("b"), "b"));
    // A single statement object, a bool value, BoolIfExists, {"AWS": ["*"]}, "*" resource.
    let p = json!({"Statement": {"Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": ["*"], "Resource": "*",
        "Condition": {"BoolIfExists": {"AWS:SecureTransport": false}}}});
    assert!(denies_insecure_transport(&p, "b"));
    // The policy of another bucket does not count.
    assert!(!denies_insecure_transport(&ssl_policy("other"), "b"));
    // Allow instead of Deny, a narrower action, a narrower principal, the wrong value.
    let mut p = ssl_policy("b");
    p["Statement"][1]["Effect"] = json!("Allow");
    assert!(!denies_insecure_transport(&p, "b"));
    let mut p = ssl_policy("b");
    p["Statement"][1]["Action"] = json!("s3:GetObject");
    assert!(!denies_insecure_transport(&p, "b"));
    let mut p = ssl_policy("b");
    p["Statement"][1]["Principal"] = json!({"AWS": "arn:aws:iam::111122223333:root"});
    assert!(!denies_insecure_transport(&p, "b"));
    let mut p = ssl_policy("b");
    p["Statement"][1]["Condition"] = json!({"Bool": {"aws:SecureTransport": "true"}});
    assert!(!denies_insecure_transport(&p, "b"));
    // A string that merely mentions SecureTransport is not a condition.
    let p = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Sid": "aws:SecureTransport false"}]});
    assert!(!denies_insecure_transport(&p, "b"));
}

#[test]
fn deny_http_per_bucket() {
    let d = Settings::default();
    assert_eq!(
        results(&deny_http(&AccountSnapshot::empty(ACCOUNT), &d)),
        None
    );
    let mut good = bucket("good");
    good.policy = Collected::Ok(Some(ssl_policy("good")));
    let none = bucket("none");
    let s = snap(Collected::Ok(None), vec![good.clone(), none]);
    assert_eq!(
        results(&deny_http(&s, &d)),
        Some(vec![("good".into(), true), ("none".into(), false)])
    );
    let mut denied = bucket("denied");
    denied.policy = Collected::Err("s3:GetBucketPolicy denied: AccessDenied".into());
    let s = snap(Collected::Ok(None), vec![good, denied]);
    assert!(
        matches!(deny_http(&s, &d), CheckStatus::Error { reason } if reason.contains("AccessDenied"))
    );
    assert_eq!(
        results(&deny_http(&snap(Collected::Ok(None), vec![]), &d)),
        Some(vec![])
    );
}

#[test]
fn mfa_delete_per_bucket() {
    let d = Settings::default();
    let mut on = bucket("on");
    on.mfa_delete = Collected::Ok(true);
    let s = snap(Collected::Ok(None), vec![on, bucket("off")]);
    assert_eq!(
        results(&mfa_delete(&s, &d)),
        Some(vec![("on".into(), true), ("off".into(), false)])
    );
    let mut e = bucket("e");
    e.mfa_delete = Collected::Err("x".into());
    assert!(matches!(
        mfa_delete(&snap(Collected::Ok(None), vec![e]), &d),
        CheckStatus::Error { .. }
    ));
}

#[test]
fn public_access_block_account_or_bucket() {
    let d = Settings::default();
    let mut blocked = bucket("blocked");
    blocked.public_access_block = Collected::Ok(Some(ALL));
    let mut partial = bucket("partial");
    partial.public_access_block = Collected::Ok(Some(PublicAccessBlock {
        restrict_public_buckets: false,
        ..ALL
    }));
    let open = bucket("open");
    // No account-level block: bucket settings decide.
    let s = snap(
        Collected::Ok(None),
        vec![blocked.clone(), partial.clone(), open.clone()],
    );
    assert_eq!(
        results(&block_public_access(&s, &d)),
        Some(vec![
            ("blocked".into(), true),
            ("partial".into(), false),
            ("open".into(), false)
        ])
    );
    // The account-level block covers every bucket.
    let s = snap(
        Collected::Ok(Some(ALL)),
        vec![partial.clone(), open.clone()],
    );
    assert_eq!(
        results(&block_public_access(&s, &d)),
        Some(vec![("partial".into(), true), ("open".into(), true)])
    );
    // Account and bucket settings combine switch by switch.
    let acct = PublicAccessBlock {
        block_public_acls: false,
        ignore_public_acls: false,
        block_public_policy: false,
        restrict_public_buckets: true,
    };
    let s = snap(
        Collected::Ok(Some(acct)),
        vec![partial.clone(), open.clone()],
    );
    assert_eq!(
        results(&block_public_access(&s, &d)),
        Some(vec![("partial".into(), true), ("open".into(), false)])
    );
    // Unknown account-level setting: fully blocked buckets still pass, others cannot be decided.
    let s = snap(
        Collected::Err("s3control: AccessDenied".into()),
        vec![blocked.clone()],
    );
    assert_eq!(
        results(&block_public_access(&s, &d)),
        Some(vec![("blocked".into(), true)])
    );
    let s = snap(
        Collected::Err("s3control: AccessDenied".into()),
        vec![blocked, open],
    );
    assert!(
        matches!(block_public_access(&s, &d), CheckStatus::Error { reason } if reason.contains("open"))
    );
    let mut e = bucket("e");
    e.public_access_block = Collected::Err("denied".into());
    assert!(matches!(
        block_public_access(&snap(Collected::Ok(Some(ALL)), vec![e]), &d),
        CheckStatus::Error { .. }
    ));
}

fn trail(bucket: &str) -> Trail {
    Trail {
        name: "t".into(),
        arn: format!("arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/t"),
        home_region: "eu-west-1".into(),
        is_multi_region: true,
        is_organization_trail: false,
        log_file_validation: true,
        include_global_service_events: false,
        s3_bucket: Some(bucket.into()),
        kms_key_id: None,
        cloudwatch_logs_group_arn: None,
        is_logging: Collected::Ok(true),
        management_events: Collected::Ok(ManagementEvents {
            read: true,
            write: true,
        }),
        s3_object_events: Collected::Ok(S3ObjectEvents::default()),
    }
}

#[test]
fn trail_bucket_logging_states() {
    let d = Settings::default();
    let mut logged = bucket("logged");
    logged.access_logging = Some(Collected::Ok(Some("access-logs".into())));
    let mut unlogged = bucket("unlogged");
    unlogged.access_logging = Some(Collected::Ok(None));
    let mut s = snap(Collected::Ok(None), vec![logged, unlogged, bucket("other")]);
    assert!(
        matches!(trail_bucket_logging(&s, &d), CheckStatus::Error { .. }),
        "trails unread"
    );
    s.cloudtrail = Collected::Ok(CloudTrailSnapshot {
        trails: vec![trail("logged"), trail("unlogged")],
    });
    assert_eq!(
        results(&trail_bucket_logging(&s, &d)),
        Some(vec![("logged".into(), true), ("unlogged".into(), false)])
    );
    // Only a foreign bucket: not available here, with the reason.
    s.cloudtrail = Collected::Ok(CloudTrailSnapshot {
        trails: vec![trail("log-archive-bucket")],
    });
    assert!(
        matches!(trail_bucket_logging(&s, &d), CheckStatus::NotAvailable { reason } if reason.contains("log-archive-bucket"))
    );
    // No trail: nothing to evaluate.
    s.cloudtrail = Collected::Ok(CloudTrailSnapshot { trails: vec![] });
    assert_eq!(results(&trail_bucket_logging(&s, &d)), Some(vec![]));
    // The bucket's logging could not be read.
    let mut e = bucket("e");
    e.access_logging = Some(Collected::Err("s3:GetBucketLogging e: AccessDenied".into()));
    let mut s = snap(Collected::Ok(None), vec![e]);
    s.cloudtrail = Collected::Ok(CloudTrailSnapshot {
        trails: vec![trail("e")],
    });
    assert!(matches!(
        trail_bucket_logging(&s, &d),
        CheckStatus::Error { .. }
    ));
}
