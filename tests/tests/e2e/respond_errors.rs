//! Error paths of the priority action that the emulator cannot produce (throttling,
//! AccessDenied), scripted with the SDK's own test HTTP client for the member account while the
//! hub side (Organizations, DynamoDB, SNS, SQS) is the real emulator: the throttled call is
//! retried, the denied one is reported, and both are alerted and audited, never swallowed.

use aws_smithy_http_client::test_util::infallible_client_fn;
use aws_smithy_types::body::SdkBody;
use rampart_hub::respond::record::{Disposition, Status};
use rampart_hub::respond::{MemberAccess, Responder};
use rampart_testbed::fixtures::{self, Profile};
use rampart_testbed::respond::{alerts, config, hub_identity, hub_resources};
use rampart_testbed::Emulator;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const REGION: &str = "us-east-1";

/// A member CloudTrail whose trail is stopped; StartLogging answers `start_logging(n)` for the
/// n-th attempt (0-based). Returns the config and the StartLogging attempt counter.
fn scripted_member(
    base: &aws_config::SdkConfig,
    account: &str,
    start_logging: fn(usize) -> (u16, &'static str),
) -> (aws_config::SdkConfig, Arc<AtomicUsize>) {
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    let arn = format!("arn:aws:cloudtrail:{REGION}:{account}:trail/org-audit");
    let http = infallible_client_fn(move |req: http::Request<SdkBody>| {
        let target = req
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .rsplit('.')
            .next()
            .unwrap_or("")
            .to_string();
        let (status, body) = match target.as_str() {
            "DescribeTrails" => (
                200,
                format!(
                    r#"{{"trailList":[{{"Name":"org-audit","S3BucketName":"logs","IsMultiRegionTrail":true,"HomeRegion":"{REGION}","TrailARN":"{arn}","LogFileValidationEnabled":true,"IncludeGlobalServiceEvents":true}}]}}"#
                ),
            ),
            "GetEventSelectors" => (
                200,
                format!(
                    r#"{{"TrailARN":"{arn}","EventSelectors":[{{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[]}}]}}"#
                ),
            ),
            "ListTags" => (200, r#"{"ResourceTagList":[]}"#.to_string()),
            "GetTrailStatus" => (200, r#"{"IsLogging":false}"#.to_string()),
            "StartLogging" => {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let (s, b) = start_logging(n);
                (s, b.to_string())
            }
            other => (
                400,
                format!(r#"{{"__type":"UnexpectedCall","message":"{other}"}}"#),
            ),
        };
        http::Response::builder()
            .status(status)
            .header("content-type", "application/x-amz-json-1.1")
            .body(SdkBody::from(body))
            .expect("response")
    });
    (base.to_builder().http_client(http).build(), attempts)
}

fn throttled_twice(n: usize) -> (u16, &'static str) {
    if n < 2 {
        (
            400,
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        )
    } else {
        (200, "{}")
    }
}

fn denied(_: usize) -> (u16, &'static str) {
    (
        400,
        r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::1:assumed-role/RampartResponder/x is not authorized to perform: cloudtrail:StartLogging"}"#,
    )
}

#[test]
fn throttled_priority_action_is_retried_and_denied_one_is_alerted() {
    rampart_testbed::block_on(body());
}

async fn body() {
    let emu = Emulator::start().expect("emulator");
    let base = emu.sdk_config(REGION).await;
    let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
        .await
        .expect("org");
    let acct = org.members[0].id.clone();
    let hub = hub_resources(&base).await.expect("hub resources");
    let stop = |id: &str| rampart_testbed::respond::stop_logging(id, &acct, REGION).unwrap();

    // Throttled twice: the SDK's retry policy carries the call through.
    let (member, attempts) = scripted_member(&base, &acct, throttled_twice);
    let r = Responder::new(
        &base,
        hub_identity(),
        MemberAccess::Fixed(member),
        config(&hub),
        "x",
        false,
    );
    let o = r
        .handle_bytes(stop("d0000000-0000-4000-8000-000000000001").as_bytes())
        .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "two throttled attempts, then success"
    );
    let start = o
        .actions
        .iter()
        .find(|a| a.action == "cloudtrail:StartLogging")
        .unwrap();
    assert_eq!(start.status, Status::Done);

    // Denied: reported as failed, alerted, audited.
    let (member, attempts) = scripted_member(&base, &acct, denied);
    let r = Responder::new(
        &base,
        hub_identity(),
        MemberAccess::Fixed(member),
        config(&hub),
        "x",
        false,
    );
    let o = r
        .handle_bytes(stop("d0000000-0000-4000-8000-000000000002").as_bytes())
        .await;
    assert_eq!(o.disposition, Disposition::Failed, "{o:#?}");
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        1,
        "AccessDenied is not retried"
    );
    let start = o
        .actions
        .iter()
        .find(|a| a.action == "cloudtrail:StartLogging")
        .unwrap();
    assert_eq!(start.status, Status::Failed);
    assert!(
        start.detail.contains("AccessDeniedException"),
        "{}",
        start.detail
    );

    let got = alerts(&base, &hub.queue_url).await.unwrap();
    assert_eq!(got.len(), 2, "{got:#?}");
    let failed = got
        .iter()
        .find(|m| m["Message"]["incident"]["disposition"] == "failed")
        .expect("an alert for the failure");
    assert!(failed["Subject"].as_str().unwrap().contains("FAILED"));
    assert_eq!(failed["Message"]["summary"]["failed"], 1);
    let items = r.store().query(Some(&acct), "2000").await.unwrap();
    assert!(items
        .iter()
        .any(|i| i.event_id == "d0000000-0000-4000-8000-000000000002"
            && i.action == "cloudtrail:StartLogging"
            && i.status == "failed"));

    // The failed delivery released its lease: the retry of the same event acts (here the
    // member answers again), instead of being taken for a duplicate.
    let (member, attempts) = scripted_member(&base, &acct, |_| (200, "{}"));
    let r = Responder::new(
        &base,
        hub_identity(),
        MemberAccess::Fixed(member),
        config(&hub),
        "x",
        false,
    );
    let o = r
        .handle_bytes(stop("d0000000-0000-4000-8000-000000000002").as_bytes())
        .await;
    assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    // Once done, a further delivery is a duplicate.
    let o = r
        .handle_bytes(stop("d0000000-0000-4000-8000-000000000002").as_bytes())
        .await;
    assert_eq!(o.disposition, Disposition::Duplicate, "{o:#?}");
}

/// A lease whose holder died (a crash mid-playbook) expires: the next delivery takes it over.
#[test]
fn an_expired_lease_is_taken_over() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let hub = hub_resources(&base).await.expect("hub resources");
        let clock = rampart_hub::time::Clock::manual(chrono::Utc::now());
        let store = rampart_hub::respond::store::Store::new(
            aws_sdk_dynamodb::Client::new(&base),
            &hub.table,
            rampart_common::response::DEFAULT_STATE_TABLE,
        )
        .with_clock(clock.clone());
        use rampart_hub::respond::store::Claim;
        let first = store.claim("ct#crash", "e-1", 1).await.unwrap();
        assert!(matches!(first, Claim::Acquired { .. }), "{first:?}");
        // Still leased: a concurrent delivery is held off (and retried later).
        let held = store.claim("ct#crash", "e-2", 1).await.unwrap();
        assert!(matches!(held, Claim::Held { .. }), "{held:?}");
        // The holder never completes; after the lease the next delivery acts.
        clock.advance(std::time::Duration::from_secs(2));
        let taken = store.claim("ct#crash", "e-3", 60).await.unwrap();
        let Claim::Acquired { token } = taken else {
            panic!("expected the expired lease to be taken over: {taken:?}")
        };
        // A stale holder cannot release the new lease.
        if let Claim::Acquired { token: stale } = first {
            store.release("ct#crash", &stale).await.unwrap();
        }
        assert!(matches!(
            store.claim("ct#crash", "e-4", 60).await.unwrap(),
            Claim::Held { .. }
        ));
        store.complete("ct#crash", &token).await.unwrap();
        assert!(matches!(
            store.claim("ct#crash", "e-5", 60).await.unwrap(),
            Claim::Done { .. }
        ));
    });
}

/// Membership that cannot be verified is not "rejected": the event fails (alerted, retried).
#[test]
fn an_organizations_error_fails_the_event() {
    rampart_testbed::block_on(async {
        // No organization exists: ListAccounts answers AWSOrganizationsNotInUseException.
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let hub = hub_resources(&base).await.expect("hub resources");
        let r = rampart_testbed::respond::responder(&base, config(&hub), false);
        let o = r
            .handle_bytes(
                rampart_testbed::respond::stop_logging(
                    "d1000000-0000-4000-8000-000000000001",
                    "111122223333",
                    REGION,
                )
                .unwrap()
                .as_bytes(),
            )
            .await;
        assert_eq!(o.disposition, Disposition::Failed, "{o:#?}");
        assert!(
            o.reason
                .as_deref()
                .unwrap()
                .contains("cannot verify organization membership"),
            "{o:#?}"
        );
        let got = alerts(&base, &hub.queue_url).await.unwrap();
        assert_eq!(got.len(), 1, "{got:#?}");
    });
}
