//! How the responder reaches member accounts, and who the hub itself is.

use crate::session::{session_name, SessionKey, SessionSpec, Sessions};
use aws_config::SdkConfig;
use rampart_common::identity;
use std::time::Duration;

/// How the responder reaches member accounts.
#[derive(Debug, Clone)]
pub enum MemberAccess {
    /// Assume the response role (the normal case).
    Roles {
        base: SdkConfig,
        hub_account: String,
        role_name: String,
        external_id: Option<String>,
        sts_region: String,
    },
    /// One fixed configuration for every account (tests that script member responses with
    /// the SDK's test HTTP client).
    Fixed(SdkConfig),
}

impl MemberAccess {
    /// A session in `account` for one event's work, and its key (the hub records it as its
    /// own before acting, so the calls it makes are never taken for an intruder's).
    pub async fn open(
        &self,
        account: &str,
        purpose: &str,
        event_id: &str,
    ) -> Result<(SdkConfig, SessionKey), String> {
        match self {
            MemberAccess::Fixed(c) => {
                use aws_credential_types::provider::ProvideCredentials;
                let creds = c
                    .credentials_provider()
                    .ok_or("the member configuration has no credentials")?
                    .provide_credentials()
                    .await
                    .map_err(|e| format!("member credentials: {e}"))?;
                let key = SessionKey {
                    access_key_id: creds.access_key_id().to_string(),
                    expires: creds.expiry(),
                };
                Ok((c.clone(), key))
            }
            MemberAccess::Roles {
                base,
                hub_account,
                role_name,
                external_id,
                sts_region,
            } => {
                let spec = SessionSpec {
                    role_name: role_name.clone(),
                    external_id: external_id.clone(),
                    // Named after the event so member CloudTrail ties every call to it (the
                    // responder recognises its own calls by the session's access key, never
                    // by this name or the role).
                    session_name: session_name(purpose, event_id),
                    duration: Duration::from_secs(900),
                    sts_region: sts_region.clone(),
                };
                Sessions::new(base.clone(), hub_account.clone(), spec)
                    .open_once(account)
                    .await
            }
        }
    }
}

/// The hub's own identity: its account and the roles its calls are made with.
#[derive(Debug, Clone)]
pub struct HubIdentity {
    pub account: String,
    pub role_arns: Vec<String>,
}

impl HubIdentity {
    /// From `sts:GetCallerIdentity`: an assumed-role caller's role is one of the hub's roles.
    pub async fn of(base: &SdkConfig) -> Result<HubIdentity, String> {
        let out = aws_sdk_sts::Client::new(base)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                format!(
                    "sts:GetCallerIdentity: {}",
                    rampart_member::error_text::describe(&e)
                )
            })?;
        let account = out
            .account()
            .map(str::to_string)
            .ok_or_else(|| "sts:GetCallerIdentity returned no account".to_string())?;
        let role_arns = out
            .arn()
            .and_then(identity::role_arn_of_session)
            .into_iter()
            .collect();
        Ok(HubIdentity { account, role_arns })
    }
}
