//! Request budget: assessing a freshly created account costs at most 60 API requests per
//! account-region (the target), counted at the HTTP layer under the real SDK.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use rampart_hub::fleet;
use rampart_testbed::fixtures::{self, Profile};
use rampart_testbed::{plan, sessions, Emulator};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Requests seen, by `service` from the SigV4 credential scope.
#[derive(Debug, Clone, Default)]
struct Tally(Arc<Mutex<BTreeMap<String, usize>>>);

impl Tally {
    fn total(&self) -> usize {
        self.0.lock().map(|m| m.values().sum()).unwrap_or(0)
    }
    fn reset(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }
}

#[derive(Debug)]
struct Counting {
    inner: SharedHttpClient,
    tally: Tally,
}

#[derive(Debug)]
struct CountingConnector {
    inner: SharedHttpConnector,
    tally: Tally,
}

impl HttpClient for Counting {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(CountingConnector {
            inner: self.inner.http_connector(settings, components),
            tally: self.tally.clone(),
        })
    }
}

impl HttpConnector for CountingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        // `Credential=<key>/<date>/<region>/<service>/aws4_request`
        let service = request
            .headers()
            .get("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or("unsigned")
            .to_string();
        if let Ok(mut m) = self.tally.0.lock() {
            *m.entry(service).or_default() += 1;
        }
        self.inner.call(request)
    }
}

#[test]
fn a_fresh_account_costs_at_most_60_requests_per_account_region() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let plain = emu.sdk_config("us-east-1").await;
        let tally = Tally::default();
        let base = plain
            .to_builder()
            .http_client(Counting {
                inner: aws_smithy_http_client::Builder::new().build_http(),
                tally: tally.clone(),
            })
            .build();
        // Nothing planted beyond what a new account has (no trail, no buckets, no password policy).
        let fresh = Profile {
            password_policy: None,
            trail: false,
            security_contact: false,
            ..Profile::default()
        };
        let org = fixtures::create_org(&base, &[fresh], &["us-east-1"])
            .await
            .expect("org");
        for regions in [
            vec!["us-east-1".to_string()],
            vec!["us-east-1".into(), "eu-west-1".into()],
        ] {
            tally.reset();
            let report = fleet::run(
                &sessions(&base, "budget"),
                &org.targets(),
                &plan(&regions, false, "budget"),
            )
            .await;
            assert!(
                report.accounts[0].error.is_none(),
                "{:?}",
                report.accounts[0].error
            );
            let total = tally.total();
            let by_service = tally.0.lock().map(|m| m.clone()).unwrap_or_default();
            println!(
                "{} region(s): {total} requests {by_service:?}",
                regions.len()
            );
            assert!(
                total <= 60 * regions.len(),
                "{total} requests for {} account-region(s): {by_service:?}",
                regions.len()
            );
        }
    });
}
