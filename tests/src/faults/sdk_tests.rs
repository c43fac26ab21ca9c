//! The proxy's injected answers through the real SDK: each protocol's throttling, 503 and
//! reset is read as the retryable error it stands for (the SDK tries again: the proxy sees a
//! second request; Rampart's [`AwsError`] says throttled or transient), and access denied as
//! the permanent error it is (one request, denied). Nothing is forwarded: every request in
//! these tests is answered by a rule.

use super::{Fault, FaultPlan, FaultProxy, Rule};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_types::region::Region;
use rampart_member::aws_error::{AwsError, ErrorKind};
use std::time::Duration;

/// Two attempts, no real backoff: a retryable answer shows as a second request.
async fn config(url: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("AKID", "secret", None, None, "faults"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .load()
        .await
}

/// One read per protocol (and per error dialect within one): (the proxy's `service:Operation`,
/// how to call it).
const CASES: &[&str] = &[
    "ec2:DescribeSecurityGroups",
    "iam:ListUsers",
    "rds:DescribeDBInstances",
    "kms:ListKeys",
    "organizations:ListAccounts",
    "config:DescribeConfigurationRecorders",
    "securityhub:GET /accounts",
    "access-analyzer:GET /analyzer",
    "elasticfilesystem:GET /2015-02-01/file-systems",
    "s3:ListBuckets",
    "s3:GetBucketPolicy",
    "s3control:GetPublicAccessBlock",
    "monitoring:DescribeAlarms",
];

async fn call(cfg: &SdkConfig, key: &str) -> Result<(), AwsError> {
    // Every arm: send, keep only the error, typed as the collectors type it.
    macro_rules! read {
        ($send:expr) => {
            $send.await.map(drop).map_err(|e| AwsError::sdk(key, &e))
        };
    }
    match key {
        "ec2:DescribeSecurityGroups" => read!(aws_sdk_ec2::Client::new(cfg)
            .describe_security_groups()
            .send()),
        "iam:ListUsers" => read!(aws_sdk_iam::Client::new(cfg).list_users().send()),
        "rds:DescribeDBInstances" => {
            read!(aws_sdk_rds::Client::new(cfg).describe_db_instances().send())
        }
        "kms:ListKeys" => read!(aws_sdk_kms::Client::new(cfg).list_keys().send()),
        "organizations:ListAccounts" => read!(aws_sdk_organizations::Client::new(cfg)
            .list_accounts()
            .send()),
        "config:DescribeConfigurationRecorders" => read!(aws_sdk_config::Client::new(cfg)
            .describe_configuration_recorders()
            .send()),
        "securityhub:GET /accounts" => {
            read!(aws_sdk_securityhub::Client::new(cfg).describe_hub().send())
        }
        "access-analyzer:GET /analyzer" => read!(aws_sdk_accessanalyzer::Client::new(cfg)
            .list_analyzers()
            .send()),
        "elasticfilesystem:GET /2015-02-01/file-systems" => {
            read!(aws_sdk_efs::Client::new(cfg).describe_file_systems().send())
        }
        "s3:ListBuckets" => read!(rampart_member::collect::s3::client(cfg)
            .list_buckets()
            .send()),
        "s3:GetBucketPolicy" => read!(rampart_member::collect::s3::client(cfg)
            .get_bucket_policy()
            .bucket("some-bucket")
            .send()),
        "s3control:GetPublicAccessBlock" => read!(rampart_member::collect::s3control::client(cfg)
            .get_public_access_block()
            .account_id("123456789012")
            .send()),
        "monitoring:DescribeAlarms" => read!(aws_sdk_cloudwatch::Client::new(cfg)
            .describe_alarms()
            .send()),
        other => panic!("no call for {other}"),
    }
}

/// (fault, the kind Rampart must read, requests the proxy must see with two attempts).
const EXPECTED: &[(Fault, ErrorKind, u64)] = &[
    (Fault::Throttle, ErrorKind::Throttled, 2),
    (Fault::Unavailable, ErrorKind::Transient, 2),
    (Fault::Reset, ErrorKind::Transient, 2),
    (Fault::Deny, ErrorKind::Denied, 1),
];

#[test]
fn every_injected_error_is_read_by_the_sdk_as_intended() {
    crate::block_on(async {
        // Nothing listens upstream: a request that reached it would answer 502.
        let dead = format!(
            "http://127.0.0.1:{}",
            crate::emulator::free_port("127.0.0.1").unwrap()
        );
        let proxy = FaultProxy::start(&dead, FaultPlan::clean()).await.unwrap();
        let cfg = config(&proxy.url()).await;
        let mut wrong = Vec::new();
        for key in CASES {
            let (_, operation) = key.split_once(':').unwrap();
            for (fault, kind, requests) in EXPECTED {
                proxy.set_plan(FaultPlan::rules(vec![Rule::always(operation, *fault)]));
                let got = call(&cfg, key).await;
                let counts = proxy.counts();
                let seen = counts.requests_of(key);
                let ok = matches!(&got, Err(e) if e.kind == *kind)
                    && seen == *requests
                    && counts.upstream_errors == 0;
                if !ok {
                    wrong.push(format!(
                        "{key} {fault:?}: {got:?}, {seen} request(s) {:?}",
                        counts.requests
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    });
}
