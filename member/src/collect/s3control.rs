//! S3 Control: the account-level Block Public Access setting (2.1.4).
//!
//! S3 Control puts the account id in the host (`<account>.s3-control.<region>.amazonaws.com`),
//! also in front of a custom endpoint. In front of an IP literal or `localhost` (an emulator,
//! a local proxy) such a host cannot resolve, so [`AccountHostSafe`] drops the label there and
//! leaves every real host as the SDK resolved it.

use crate::aws_error::AwsError;
use crate::error_text::is_code;
use crate::ratelimit::RateLimiter;
use crate::snapshot::PublicAccessBlock;
use aws_config::SdkConfig;
use aws_sdk_s3control::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
use aws_smithy_runtime_api::client::endpoint::EndpointFuture;
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/s3control",
    actions: &["s3:GetAccountPublicAccessBlock"],
};

/// The default resolver, minus the account-id label in front of hosts that cannot carry one.
#[derive(Debug, Default)]
pub struct AccountHostSafe(DefaultResolver);

impl ResolveEndpoint for AccountHostSafe {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::new(Box::pin(async move {
            let ep = self.0.resolve_endpoint(params).await?;
            match params
                .account_id()
                .and_then(|a| strip_account_label(ep.url(), a))
            {
                Some(url) => Ok(ep.into_builder().url(url).build()),
                None => Ok(ep),
            }
        }))
    }
}

/// `scheme://<account>.<ip or localhost>[:port]/...` without the account label; `None` when
/// the URL has no such label or the rest is a real host name.
pub fn strip_account_label(url: &str, account_id: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.strip_prefix(account_id)?.strip_prefix('.')?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let literal = host.parse::<std::net::IpAddr>().is_ok() || host == "localhost";
    literal.then(|| format!("{scheme}://{rest}"))
}

/// An S3 Control client for `sdk` that works behind loopback endpoints too.
pub fn client(sdk: &SdkConfig) -> aws_sdk_s3control::Client {
    aws_sdk_s3control::Client::from_conf(
        aws_sdk_s3control::config::Builder::from(sdk)
            .endpoint_resolver(AccountHostSafe::default())
            .build(),
    )
}

/// `None` when the account has no account-level block configured.
pub async fn account_public_access_block(
    client: &aws_sdk_s3control::Client,
    account_id: &str,
    rl: &RateLimiter,
) -> Result<Option<PublicAccessBlock>, AwsError> {
    rl.acquire().await;
    match client
        .get_public_access_block()
        .account_id(account_id)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .public_access_block_configuration()
            .map(|c| PublicAccessBlock {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            })),
        Err(e) if is_code(&e, "NoSuchPublicAccessBlockConfiguration") => Ok(None),
        Err(e) => Err(AwsError::sdk("s3control:GetPublicAccessBlock", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_the_account_label_only_before_literal_hosts() {
        let a = "111122223333";
        assert_eq!(
            strip_account_label("http://111122223333.127.0.0.1:5000/v20180820/x", a).as_deref(),
            Some("http://127.0.0.1:5000/v20180820/x")
        );
        assert_eq!(
            strip_account_label("http://111122223333.localhost:4566", a).as_deref(),
            Some("http://localhost:4566")
        );
        assert_eq!(
            strip_account_label("http://111122223333.[::1]:4566/p", a).as_deref(),
            Some("http://[::1]:4566/p")
        );
        assert_eq!(
            strip_account_label("https://111122223333.s3-control.eu-west-1.amazonaws.com", a),
            None
        );
        assert_eq!(strip_account_label("http://127.0.0.1:5000", a), None);
        assert_eq!(
            strip_account_label("http://999988887777.127.0.0.1", a),
            None
        );
    }
}
