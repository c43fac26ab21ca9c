//! Role sessions into member accounts.
//!
//! One session per account per run, reused across regions. Sessions are assumed through the
//! regional STS endpoint of the home region, named after the run so member CloudTrail ties each
//! call to it, and cached by the SDK's identity cache, which refreshes them before they expire.

use aws_config::identity::IdentityCache;
use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::region::Region;
use rampart_common::asff::partition_of;
use rampart_member::aws_error::AwsError;
use rampart_member::error_text::describe;
use std::time::Duration;

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub/session",
    actions: &["sts:AssumeRole", "sts:GetCallerIdentity"],
};

/// How to reach member accounts.
/// The credentials of a session the hub opened: their access key id is what the member's
/// CloudTrail shows for every call made with them.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionKey {
    pub access_key_id: String,
    pub expires: Option<std::time::SystemTime>,
}

#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub role_name: String,
    pub external_id: Option<String>,
    /// e.g. `rampart-assess-<run id>`; cut to STS's 64 characters.
    pub session_name: String,
    pub duration: Duration,
    /// Region whose STS endpoint is used.
    pub sts_region: String,
}

/// Opens sessions into member accounts from the hub's base config.
#[derive(Debug, Clone)]
pub struct Sessions {
    base: SdkConfig,
    /// Config whose credentials call sts:AssumeRole (the hub role); the base config by default.
    sts: SdkConfig,
    hub_account: String,
    spec: SessionSpec,
}

/// Who the base credentials belong to.
pub async fn caller_account(base: &SdkConfig) -> Result<String, String> {
    let out = aws_sdk_sts::Client::new(base)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| format!("sts:GetCallerIdentity: {}", describe(&e)))?;
    out.account()
        .map(str::to_string)
        .ok_or_else(|| "sts:GetCallerIdentity returned no account".to_string())
}

/// Tries at opening a session when STS fails transiently (throttled, unavailable, reset).
const OPEN_ATTEMPTS: u32 = 3;

/// The account a session lands in. A transient failure (of sts:GetCallerIdentity or of the
/// sts:AssumeRole behind it) is tried again after a pause, so a throttling burst does not
/// cost a whole account; a refusal (the role is missing or does not trust the hub) is not.
async fn verified_account(cfg: &SdkConfig) -> Result<String, AwsError> {
    let client = aws_sdk_sts::Client::new(cfg);
    let mut attempt = 0;
    loop {
        attempt += 1;
        match client.get_caller_identity().send().await {
            Ok(out) => {
                return out.account().map(str::to_string).ok_or_else(|| {
                    AwsError::invalid("sts:GetCallerIdentity", "returned no account")
                })
            }
            Err(e) => {
                let err = AwsError::sdk("sts:GetCallerIdentity", &e);
                // A failed AssumeRole arrives as a dispatch failure (transient) carrying
                // STS's answer: its code tells a refusal.
                if attempt >= OPEN_ATTEMPTS || !err.is_transient() || err.names_refusal() {
                    return Err(err);
                }
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
            }
        }
    }
}

/// A RoleSessionName STS accepts: `[\w+=,.@-]`, 2-64 characters.
pub fn session_name(prefix: &str, run_id: &str) -> String {
    let raw = format!("{prefix}-{run_id}");
    let mut s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    while s.len() < 2 {
        s.push('-');
    }
    s
}

impl Sessions {
    pub fn new(base: SdkConfig, hub_account: String, spec: SessionSpec) -> Self {
        Sessions {
            sts: base.clone(),
            base,
            hub_account,
            spec,
        }
    }

    /// Uses a different config (credentials, HTTP client) for the sts:AssumeRole calls.
    pub fn with_sts_config(mut self, sts: SdkConfig) -> Self {
        self.sts = sts;
        self
    }

    pub fn hub_account(&self) -> &str {
        &self.hub_account
    }

    pub fn role_arn(&self, account_id: &str) -> String {
        format!(
            "arn:{}:iam::{account_id}:role/{}",
            partition_of(&self.spec.sts_region),
            self.spec.role_name
        )
    }

    /// An SDK config acting in `account_id`. The hub's own account uses the hub's credentials.
    /// The session is verified (GetCallerIdentity must name the target account) before use, so
    /// a missing role surfaces here and nothing ever acts in the wrong account.
    /// One session for one piece of work (an event's playbook): a single AssumeRole whose
    /// credentials are used as they are, so the access key the member's CloudTrail will show
    /// for every call is known (the hub recognises its own calls by it). The hub's own account
    /// uses the hub's credentials, whose key is read from its provider.
    pub async fn open_once(&self, account_id: &str) -> Result<(SdkConfig, SessionKey), String> {
        use aws_credential_types::provider::ProvideCredentials;
        if account_id == self.hub_account {
            let provider = self
                .base
                .credentials_provider()
                .ok_or("the hub's configuration has no credentials")?;
            let creds = provider
                .provide_credentials()
                .await
                .map_err(|e| format!("the hub's credentials: {e}"))?;
            let key = SessionKey {
                access_key_id: creds.access_key_id().to_string(),
                expires: creds.expiry(),
            };
            return Ok((self.base.clone(), key));
        }
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.sts)
                .region(Region::new(self.spec.sts_region.clone()))
                .build(),
        );
        let out = sts
            .assume_role()
            .role_arn(self.role_arn(account_id))
            .role_session_name(self.spec.session_name.clone())
            .duration_seconds(i32::try_from(self.spec.duration.as_secs()).unwrap_or(900))
            .set_external_id(self.spec.external_id.clone())
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot assume {}: sts:AssumeRole: {}",
                    self.role_arn(account_id),
                    describe(&e)
                )
            })?;
        let c = out
            .credentials()
            .ok_or("sts:AssumeRole returned no credentials")?;
        let expires = std::time::SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(c.expiration().secs()).unwrap_or(0));
        let creds = aws_credential_types::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            Some(expires),
            "rampart-responder",
        );
        let key = SessionKey {
            access_key_id: c.access_key_id().to_string(),
            expires: Some(expires),
        };
        let cfg = self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(creds))
            .identity_cache(IdentityCache::lazy().build())
            .build();
        let got = caller_account(&cfg)
            .await
            .map_err(|e| format!("cannot assume {} : {e}", self.role_arn(account_id)))?;
        if got != account_id {
            return Err(format!(
                "assumed {} but landed in account {got}; refusing to act",
                self.role_arn(account_id)
            ));
        }
        Ok((cfg, key))
    }

    pub async fn open(&self, account_id: &str) -> Result<SdkConfig, String> {
        if account_id == self.hub_account {
            return Ok(self.base.clone());
        }
        let mut builder = AssumeRoleProvider::builder(self.role_arn(account_id))
            .session_name(self.spec.session_name.clone())
            .session_length(self.spec.duration)
            .region(Region::new(self.spec.sts_region.clone()));
        if let Some(id) = &self.spec.external_id {
            builder = builder.external_id(id.clone());
        }
        let provider = builder.configure(&self.sts).build().await;
        // Each account gets its own identity cache, shared by all of its clients and regions.
        // The base config's cache holds at most 64 credential providers and evicts arbitrary
        // ones beyond that, so past 64 accounts in a run each client re-assumed the role.
        let cfg = self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .identity_cache(IdentityCache::lazy().build())
            .build();
        let got = verified_account(&cfg)
            .await
            .map_err(|e| format!("cannot assume {} : {e}", self.role_arn(account_id)))?;
        if got != account_id {
            return Err(format!(
                "assumed {} but landed in account {got}; refusing to act",
                self.role_arn(account_id)
            ));
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_valid_for_sts() {
        assert_eq!(
            session_name("rampart-assess", "20260101T000000Z-ab12"),
            "rampart-assess-20260101T000000Z-ab12"
        );
        assert_eq!(session_name("rampart assess", "x/y"), "rampart-assess-x-y");
        assert_eq!(session_name("a", &"x".repeat(100)).len(), 64);
    }
}
