//! rampart-testbed: a real multi-account AWS test bed on the local emulator.
//!
//! It owns starting the pinned emulator (moto server, installed into a virtualenv on first
//! use), and fixtures that build an organization of member accounts with planted good and bad
//! configuration through the real SDK. The end-to-end tests and the `rampart-demo` binary
//! share it.

pub mod emulator;
pub mod faults;
pub mod fixtures;
pub mod intake;
pub mod lambda_api;
pub mod respond;
pub mod shared;
pub mod stacksets;

pub use emulator::Emulator;
pub use fixtures::{MemberFixture, OrgFixture, Profile};

use rampart_common::benchmarks::CIS_V3_0_0;
use rampart_hub::fleet::FleetPlan;
use rampart_hub::session::{SessionSpec, Sessions};
use rampart_member::assess::AccountPlan;
use std::time::Duration;

/// Hub sessions as the CLI builds them, for the emulator's management account.
pub fn sessions(base: &aws_config::SdkConfig, run_id: &str) -> Sessions {
    let spec = SessionSpec {
        role_name: fixtures::MEMBER_ROLE.into(),
        external_id: None,
        session_name: rampart_hub::session::session_name("rampart-assess", run_id),
        duration: Duration::from_secs(3600),
        sts_region: base
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into()),
    };
    Sessions::new(base.clone(), emulator::MANAGEMENT_ACCOUNT.into(), spec)
}

/// A fleet plan over `regions` (the first is home) with CIS defaults: CIS v3.0.0, FAILED
/// findings only, every finding re-imported every run (what the older tests were written
/// for; tests of the complete picture set `benchmarks`, `only_failed` and
/// `refresh_after_days` themselves).
pub fn plan(regions: &[String], publish: bool, run_id: &str) -> FleetPlan {
    FleetPlan {
        account: AccountPlan {
            benchmarks: vec![&CIS_V3_0_0],
            only_failed: true,
            refresh_after_days: None,
            regions: regions.to_vec(),
            home_region: regions
                .first()
                .cloned()
                .unwrap_or_else(|| "us-east-1".into()),
            rate_limit: 50.0,
            rate_burst: 50,
            publish,
            enable_security_hub: false,
            settings: Default::default(),
            run_id: run_id.into(),
            now: chrono_now(),
            only_checks: None,
            retry: Default::default(),
        },
        organization: true,
        concurrency: 8,
    }
}

/// RFC 3339 now with milliseconds, strictly increasing between calls within a process.
pub fn chrono_now() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static LAST: std::sync::Mutex<u128> = std::sync::Mutex::new(0);
    let mut ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
    if ms <= *last {
        ms = *last + 1;
    }
    *last = ms;
    let secs = (ms / 1000) as i64;
    let millis = (ms % 1000) as u32;
    rampart_hub::time::rfc3339(secs, millis)
}

/// Runs an async test body on a runtime whose worker threads have room for the SDK's large
/// futures in unoptimized builds (the default 2 MiB test-thread stack is not enough).
pub fn block_on<F>(fut: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_stack_size(16 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(rt.spawn(fut)) {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Percent-decoding (IAM returns policy documents URL-encoded).
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}
