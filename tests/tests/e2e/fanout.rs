//! Fleet fan-out over an emulated organization: every account is reached through its own
//! assumed role, results carry the right account ids, and one unreachable account does not
//! stop the others.

use aws_smithy_http_client::test_util::infallible_client_fn;
use aws_smithy_types::body::SdkBody;
use rampart_common::CheckStatus;
use rampart_hub::{fleet, org};
use rampart_testbed::fixtures::{self, Profile};
use rampart_testbed::shared;
use rampart_testbed::{plan, sessions, Emulator};
use std::collections::HashMap;

const REGION: &str = "us-east-1";

/// The password-length reason of an account's outcome (each member has a distinct length).
fn min_length_reason(outcomes: &[rampart_common::CheckOutcome]) -> String {
    outcomes
        .iter()
        .find(|o| o.check_id == "iam.password-min-length")
        .map(|o| match &o.status {
            CheckStatus::Evaluated { verdicts } => verdicts[0].reason.clone(),
            other => format!("{other:?}"),
        })
        .unwrap_or_default()
}

#[test]
fn fan_out_reaches_every_account_through_its_own_role() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        // 25 members, each with a distinct password length: reading it back proves the
        // collector ran in that account and not in the hub's or a neighbour's.
        let profiles: Vec<Profile> = (0..25i32)
            .map(|i| Profile {
                password_policy: Some((6 + i, 24)),
                trail: false,
                ..Profile::default()
            })
            .collect();
        let org = fixtures::create_org(&base, &profiles, &[REGION])
            .await
            .expect("org");

        // Discovery through Organizations finds all of them (plus the management account).
        let orgs = aws_sdk_organizations::Client::new(&base);
        let found = org::discover(
            &org::directory::Directory::new(orgs, std::time::Duration::ZERO),
            &Default::default(),
            true,
        )
        .await
        .expect("discover");
        assert_eq!(found.len(), 26);
        for m in &org.members {
            let a = found
                .iter()
                .find(|a| a.id == m.id)
                .expect("member discovered");
            assert!(
                a.parent.as_deref().is_some_and(|p| p.starts_with("r-")),
                "{a:?}"
            );
        }

        let report = fleet::run(
            &sessions(&base, "fanout"),
            &org.targets(),
            &plan(&org.regions, false, "fanout"),
        )
        .await;
        assert_eq!(report.accounts.len(), 25);
        for m in &org.members {
            let r = report
                .accounts
                .iter()
                .find(|a| a.account_id == m.id)
                .expect("result per account");
            assert!(r.error.is_none(), "{}: {:?}", m.id, r.error);
            assert!(r.outcomes.iter().all(|o| o.account_id == m.id));
            let (len, _) = m.profile.password_policy.expect("planted");
            let reason = min_length_reason(&r.outcomes);
            assert!(
                reason.contains(&format!("length is {len}")),
                "{}: {reason}",
                m.id
            );
            // Account-scoped and regional checks both ran.
            assert!(r
                .outcomes
                .iter()
                .any(|o| o.check_id == "ec2.sg-admin-ports-ipv4" && o.ran()));
        }
    });
}

#[test]
fn an_account_whose_role_cannot_be_assumed_is_reported_and_the_rest_complete() {
    rampart_testbed::block_on(async {
        // Members of its own in the binary's shared emulator.
        let base = shared::management(REGION).await;
        let org = fixtures::add_members(&base, &vec![Profile::default(); 5], &[REGION])
            .await
            .expect("org");
        let denied = org.members[2].id.clone();

        // Real member credentials issued by the emulator for every account but one; the SDK's
        // test HTTP client answers sts:AssumeRole with them, and with AccessDenied for the
        // account whose role is missing.
        let sts = aws_sdk_sts::Client::new(&base);
        let mut creds: HashMap<String, (String, String, String)> = HashMap::new();
        for m in org.members.iter().filter(|m| m.id != denied) {
            let out = sts
                .assume_role()
                .role_arn(format!(
                    "arn:aws:iam::{}:role/OrganizationAccountAccessRole",
                    m.id
                ))
                .role_session_name("rampart-assess-isolation")
                .send()
                .await
                .expect("assume");
            let c = out.credentials().expect("credentials");
            creds.insert(
                m.id.clone(),
                (
                    c.access_key_id().into(),
                    c.secret_access_key().into(),
                    c.session_token().into(),
                ),
            );
        }
        let http = infallible_client_fn(move |req: http::Request<SdkBody>| {
            let body = String::from_utf8_lossy(req.body().bytes().unwrap_or_default()).to_string();
            match creds.iter().find(|(id, _)| body.contains(id.as_str())) {
                Some((id, (ak, sk, tok))) => http::Response::builder()
                    .status(200)
                    .body(format!(
                        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials>\
                         <AccessKeyId>{ak}</AccessKeyId><SecretAccessKey>{sk}</SecretAccessKey><SessionToken>{tok}</SessionToken>\
                         <Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser>\
                         <Arn>arn:aws:sts::{id}:assumed-role/OrganizationAccountAccessRole/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId>\
                         </AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"
                    ))
                    .expect("response"),
                None => http::Response::builder()
                    .status(403)
                    .body(
                        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
                         <Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/hub is not authorized to perform: sts:AssumeRole</Message>\
                         </Error><RequestId>r</RequestId></ErrorResponse>"
                            .to_string(),
                    )
                    .expect("response"),
            }
        });
        let sts_cfg = base.to_builder().http_client(http).build();
        let sessions = sessions(&base, "isolation").with_sts_config(sts_cfg);

        let report = fleet::run(
            &sessions,
            &org.targets(),
            &plan(&org.regions, false, "isolation"),
        )
        .await;
        assert_eq!(report.accounts.len(), 5);
        for r in &report.accounts {
            if r.account_id == denied {
                let e = r.error.as_deref().expect("unreachable account is reported");
                assert!(e.contains("AccessDenied") && e.contains(&denied), "{e}");
                assert!(r.outcomes.is_empty());
            } else {
                assert!(r.error.is_none(), "{:?}", r.error);
                assert!(
                    !r.outcomes.is_empty()
                        && r.outcomes.iter().all(|o| o.account_id == r.account_id)
                );
            }
        }
        let table = rampart_hub::report::table(&report);
        assert!(
            table.contains(&denied) && table.contains("AccessDenied"),
            "{table}"
        );
        assert!(rampart_hub::report::needs_attention(&report, None));
    });
}
