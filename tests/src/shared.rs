//! One emulator per test binary for every test that can share it, each test in accounts of
//! its own: the suite's time grows with its scenarios, not with emulator processes. The
//! emulator ends with the test process (the launcher exits when its parent is gone).

use crate::emulator::{Emulator, MANAGEMENT_ACCOUNT};
use crate::fixtures::{self, OrgFixture, Profile};
use aws_config::SdkConfig;
use std::sync::OnceLock;

/// The binary's shared emulator, started on first use.
pub fn emulator() -> &'static Emulator {
    static EMU: OnceLock<Emulator> = OnceLock::new();
    EMU.get_or_init(|| match Emulator::start() {
        Ok(e) => e,
        Err(e) => panic!("cannot start the shared emulator: {e:#}"),
    })
}

/// The shared emulator's management account in `region`, inside an organization.
pub async fn management(region: &str) -> SdkConfig {
    let base = emulator().sdk_config(region).await;
    ensure_organization(&base).await;
    base
}

/// Creates the organization once; concurrent tests race to it and all find it there.
async fn ensure_organization(base: &SdkConfig) {
    let org = aws_sdk_organizations::Client::new(base);
    if org.describe_organization().send().await.is_ok() {
        return;
    }
    if let Err(e) = org
        .create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
    {
        let already = aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&e)
            == Some("AlreadyInOrganizationException");
        assert!(already, "cannot create the organization: {e:?}");
    }
}

/// An organization fixture of its own (members with `profiles`, planted in `regions`) in the
/// shared emulator's organization.
pub async fn org(profiles: &[Profile], regions: &[&str]) -> OrgFixture {
    let base = management(regions.first().copied().unwrap_or("us-east-1")).await;
    match fixtures::add_members(&base, profiles, regions).await {
        Ok(o) => o,
        Err(e) => panic!("cannot build the organization fixture: {e:#}"),
    }
}

/// A fresh member account of its own, with nothing planted: its id and its credentials (the
/// member role) in `region`.
pub async fn account(region: &str) -> (String, SdkConfig) {
    let org = org(&[fixtures::bare()], &[region]).await;
    let id = org.members[0].id.clone();
    let base = management(region).await;
    let cfg = fixtures::member_config(&base, &id, region).await;
    (id, cfg)
}

/// The management account's id (the hub's, in the tests).
pub const HUB: &str = MANAGEMENT_ACCOUNT;
