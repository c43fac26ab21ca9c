//! SSM.4: SSM documents are not public. A document the account owns that is shared with `all`
//! stops being shared publicly (its shares with named accounts stay); undo shares it with `all`
//! again, at the recorded document version.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use aws_sdk_ssm::types::{DocumentIdentifier, DocumentKeyValuesFilter, DocumentPermissionType};
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "ssm-document-not-public",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "SSM.4",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/ssm-document-not-public",
        actions: &[
            "ssm:ListDocuments",
            "ssm:DescribeDocumentPermission",
            "ssm:ModifyDocumentPermission",
        ],
    },
    changes: "Stops sharing the document publicly (removes `all` from its share permission); shares with named accounts and the document itself are not touched.",
    undoes: "Shares the document with `all` again, at the recorded document version.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

const KIND: &str = "ssm-document-public";
const ALL: &str = "all";

fn client(ctx: &Ctx<'_>) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(ctx.member)
}

/// The document's ARN, as Security Hub names it.
fn document_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:ssm:{region}:{account}:document/{name}")
}

/// The document name of an ARN (names may hold `/`, so everything after `document/`).
fn document_name(id: &str) -> &str {
    id.split_once(":document/").map_or(id, |(_, n)| n)
}

/// The documents the account owns (named `only` when given).
async fn owned(
    ssm: &aws_sdk_ssm::Client,
    only: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<DocumentIdentifier>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let mut req = ssm
            .list_documents()
            .filters(
                DocumentKeyValuesFilter::builder()
                    .key("Owner")
                    .values("Self")
                    .build(),
            )
            .set_next_token(token.take());
        if let Some(n) = only {
            req = req.filters(
                DocumentKeyValuesFilter::builder()
                    .key("Name")
                    .values(n)
                    .build(),
            );
        }
        let page = req
            .send()
            .await
            .map_err(|e| AwsError::sdk("ssm:ListDocuments", &e))?;
        out.extend(
            page.document_identifiers()
                .iter()
                .filter(|d| only.is_none_or(|n| d.name() == Some(n)))
                .cloned(),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The accounts the document is shared with, each with its shared version.
async fn shares(
    ssm: &aws_sdk_ssm::Client,
    name: &str,
    rl: &RateLimiter,
) -> Result<Vec<(String, Option<String>)>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = ssm
            .describe_document_permission()
            .name(name)
            .permission_type(DocumentPermissionType::Share)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("ssm:DescribeDocumentPermission {name}"), &e))?;
        for id in page.account_ids() {
            let version = page
                .account_sharing_info_list()
                .iter()
                .find(|i| i.account_id() == Some(id.as_str()))
                .and_then(|i| i.shared_document_version())
                .map(str::to_string);
            out.push((id.clone(), version));
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The public share among a document's shares (`all`, any case), with its version.
fn public_share(shares: &[(String, Option<String>)]) -> Option<&(String, Option<String>)> {
    shares.iter().find(|(id, _)| id.eq_ignore_ascii_case(ALL))
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (ssm, rl) = (client(ctx), limiter());
    let docs = owned(&ssm, resource.map(document_name), &rl).await?;
    if let (Some(r), true) = (resource, docs.is_empty()) {
        return Ok(vec![Planned::Skip {
            resource: r.to_string(),
            why: format!("the account owns no document {}", document_name(r)),
        }]);
    }
    let mut out = Vec::new();
    for d in docs {
        let Some(name) = d.name() else { continue };
        let arn = document_arn(ctx.partition(), ctx.region, ctx.account, name);
        let found = shares(&ssm, name, &rl).await?;
        let Some((_, version)) = public_share(&found) else {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("document {name} is not shared publicly"),
                });
            }
            continue;
        };
        let tags = d.tags().iter().map(|t| (t.key(), t.value()));
        if let Some(why) = exempt_by_tag(ctx, &arn, tags) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let accounts: Vec<&str> = found
            .iter()
            .map(|(id, _)| id.as_str())
            .filter(|id| !id.eq_ignore_ascii_case(ALL))
            .collect();
        out.push(Planned::Change(Change {
            resource: arn,
            api: "ssm:ModifyDocumentPermission".into(),
            summary: format!("stop sharing document {name} publicly"),
            prior: json!({"kind": KIND, "document": name, "public": true, "shared_document_version": version, "accounts": accounts}),
            change: json!({"kind": KIND, "document": name, "public": false, "accounts": accounts}),
        }));
    }
    Ok(out)
}

/// The document, whether it is public and the public share's version a recorded state holds.
fn setting(state: &Value) -> Result<(&str, bool, Option<&str>), AwsError> {
    if text(state, "kind")? != KIND {
        return Err("unknown recorded state kind".into());
    }
    let public = state
        .get("public")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no public")?;
    let version = state.get("shared_document_version").and_then(Value::as_str);
    Ok((text(state, "document")?, public, version))
}

/// Adds or removes the `all` share only; shares with named accounts are not named, so kept.
async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let (name, public, version) = setting(state)?;
    let req = client(ctx)
        .modify_document_permission()
        .name(name)
        .permission_type(DocumentPermissionType::Share);
    let req = if public {
        req.account_ids_to_add(ALL)
            .set_shared_document_version(version.map(str::to_string))
    } else {
        req.account_ids_to_remove(ALL)
    };
    req.send()
        .await
        .map_err(|e| AwsError::sdk(format!("ssm:ModifyDocumentPermission {name}"), &e))?;
    Ok(format!(
        "document {name}: {}",
        if public {
            "shared with all"
        } else {
            "no longer shared with all"
        }
    ))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    put(ctx, &c.change).await
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    put(ctx, &a.prior).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_read_back_their_name() {
        let arn = document_arn("aws", "eu-west-1", "111122223333", "team/Run-Me");
        assert_eq!(
            arn,
            "arn:aws:ssm:eu-west-1:111122223333:document/team/Run-Me"
        );
        assert_eq!(document_name(&arn), "team/Run-Me");
        assert_eq!(document_name("Run-Me"), "Run-Me");
    }

    #[test]
    fn only_a_share_with_all_is_public() {
        let s = |v: &[&str]| -> Vec<(String, Option<String>)> {
            v.iter().map(|x| (x.to_string(), None)).collect()
        };
        assert!(public_share(&s(&["111122223333"])).is_none());
        assert!(public_share(&s(&[])).is_none());
        assert!(public_share(&s(&["All"])).is_some());
        assert!(public_share(&s(&["111122223333", "all"])).is_some());
    }

    #[test]
    fn the_recorded_state_is_read_back() {
        let prior = json!({"kind": KIND, "document": "d", "public": true, "shared_document_version": "$DEFAULT"});
        assert_eq!(setting(&prior).ok(), Some(("d", true, Some("$DEFAULT"))));
        assert!(setting(&json!({"kind": KIND, "document": "d"})).is_err());
        assert!(setting(&json!({"kind": "x", "document": "d", "public": true})).is_err());
    }
}
