//! GuardDuty.1: GuardDuty enabled in the account and region. A disabled detector is enabled
//! again; without a detector one is created (tagged as Rampart's). Undo disables the detector
//! it enabled, or deletes the one it created, and only that one (checked by its tag).

use super::remedy::{limiter, text, Fixes, Remedy, CREATED_TAG};
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use aws_sdk_guardduty::types::DetectorStatus;
use rampart_common::arn;
use rampart_common::Permissions;
use serde_json::{json, Value};
use std::collections::HashMap;

pub const REMEDY: Remedy = Remedy {
    id: "guardduty-enabled",
    scope: super::remedy::Scope::Account,
    fixes: &[Fixes::Control {
        control: "GuardDuty.1",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/guardduty-enabled",
        actions: &[
            "guardduty:ListDetectors",
            "guardduty:GetDetector",
            "guardduty:CreateDetector",
            // CreateDetector with tags.
            "guardduty:TagResource",
            "guardduty:UpdateDetector",
            "guardduty:DeleteDetector",
            // The first detector of an account creates GuardDuty's service-linked role.
            "iam:CreateServiceLinkedRole",
        ],
    },
    changes: "Enables GuardDuty in the region: enables the existing detector when it is disabled, or creates a detector (tagged rampart:created-by) when there is none.",
    undoes: "Disables the detector again, or deletes the detector Rampart created (only when it still carries Rampart's tag).",
    plan: |ctx, _| Box::pin(plan(ctx)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_guardduty::Client {
    aws_sdk_guardduty::Client::new(ctx.member)
}

/// One detector as GetDetector shows it.
#[derive(Debug, Clone, PartialEq)]
struct Detector {
    id: String,
    enabled: bool,
    tags: HashMap<String, String>,
}

async fn detectors(
    gd: &aws_sdk_guardduty::Client,
    rl: &RateLimiter,
) -> Result<Vec<Detector>, AwsError> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = gd
            .list_detectors()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("guardduty:ListDetectors", &e))?;
        ids.extend(page.detector_ids().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut out = Vec::new();
    for id in ids {
        rl.acquire().await;
        let d = gd
            .get_detector()
            .detector_id(&id)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("guardduty:GetDetector {id}"), &e))?;
        out.push(Detector {
            enabled: d.status() == Some(&DetectorStatus::Enabled),
            tags: d.tags().cloned().unwrap_or_default(),
            id,
        });
    }
    Ok(out)
}

/// What to do about the region's detectors: `None` when one is enabled already.
fn decide(found: &[Detector]) -> Option<(Value, Value, String)> {
    if found.iter().any(|d| d.enabled) {
        return None;
    }
    Some(match found.first() {
        Some(d) => (
            json!({"kind": "existing", "detector_id": d.id, "status": "DISABLED"}),
            json!({"kind": "existing", "detector_id": d.id, "enable": true}),
            format!("enable GuardDuty detector {}", d.id),
        ),
        None => (
            json!({"kind": "none", "detector_id": null}),
            json!({"kind": "create", "enable": true, "created": true,
                   "tags": {CREATED_TAG.0: CREATED_TAG.1}}),
            "create an enabled GuardDuty detector".to_string(),
        ),
    })
}

fn ours(d: &Detector) -> bool {
    d.tags.get(CREATED_TAG.0).map(String::as_str) == Some(CREATED_TAG.1)
}

pub async fn plan(ctx: &Ctx<'_>) -> Result<Vec<Planned>, AwsError> {
    let resource = arn::account(ctx.account);
    let found = detectors(&client(ctx), &limiter()).await?;
    let Some((prior, change, summary)) = decide(&found) else {
        return Ok(vec![Planned::Skip {
            resource,
            why: format!("GuardDuty is already enabled in {}", ctx.region),
        }]);
    };
    let api = if change["kind"] == "create" {
        "guardduty:CreateDetector"
    } else {
        "guardduty:UpdateDetector"
    };
    Ok(vec![Planned::Change(Change {
        resource,
        api: api.into(),
        summary: format!("{summary} in {}", ctx.region),
        prior,
        change,
    })])
}

async fn set_enabled(ctx: &Ctx<'_>, id: &str, on: bool) -> Result<(), AwsError> {
    client(ctx)
        .update_detector()
        .detector_id(id)
        .enable(on)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::sdk(format!("guardduty:UpdateDetector {id}"), &e))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    match text(&c.change, "kind")? {
        "existing" => {
            let id = text(&c.change, "detector_id")?;
            set_enabled(ctx, id, true).await?;
            Ok(format!("enabled GuardDuty detector {id} in {}", ctx.region))
        }
        "create" => {
            let out = client(ctx)
                .create_detector()
                .enable(true)
                .tags(CREATED_TAG.0, CREATED_TAG.1)
                .send()
                .await
                .map_err(|e| AwsError::sdk("guardduty:CreateDetector", &e))?;
            Ok(format!(
                "created GuardDuty detector {} in {}",
                out.detector_id().unwrap_or("(no id returned)"),
                ctx.region
            ))
        }
        other => Err(format!("unknown recorded change kind {other}").into()),
    }
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    match text(&a.prior, "kind")? {
        "existing" => {
            let id = text(&a.prior, "detector_id")?;
            set_enabled(ctx, id, false).await?;
            Ok(format!("disabled GuardDuty detector {id} again"))
        }
        "none" => {
            if a.change.get("created").and_then(Value::as_bool) != Some(true) {
                return Err("the recorded change did not create a detector".into());
            }
            let found = detectors(&client(ctx), &limiter()).await?;
            if found.is_empty() {
                return Ok("there is no GuardDuty detector: nothing to delete".into());
            }
            // One detector per region: it is Rampart's only if it still carries the tag.
            let Some(d) = found.iter().find(|d| ours(d)) else {
                let ids: Vec<&str> = found.iter().map(|d| d.id.as_str()).collect();
                return Err(AwsError::invalid(
                    "guardduty-enabled undo",
                    format!(
                        "detector {} does not carry the tag {}={}: it may not be the one Rampart created, so it is not deleted",
                        ids.join(", "),
                        CREATED_TAG.0,
                        CREATED_TAG.1
                    ),
                ));
            };
            client(ctx)
                .delete_detector()
                .detector_id(&d.id)
                .send()
                .await
                .map_err(|e| AwsError::sdk(format!("guardduty:DeleteDetector {}", d.id), &e))?;
            Ok(format!(
                "deleted GuardDuty detector {} Rampart created",
                d.id
            ))
        }
        other => Err(format!("unknown recorded state kind {other}").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(id: &str, enabled: bool) -> Detector {
        Detector {
            id: id.into(),
            enabled,
            tags: HashMap::new(),
        }
    }

    #[test]
    fn enables_a_disabled_detector_creates_one_when_none_and_skips_an_enabled_one() {
        assert!(decide(&[det("d1", true)]).is_none());
        let (prior, change, _) = decide(&[det("d1", false)]).expect("a change");
        assert_eq!(prior["kind"], "existing");
        assert_eq!(prior["detector_id"], "d1");
        assert_eq!(change["enable"], true);
        let (prior, change, _) = decide(&[]).expect("a change");
        assert_eq!(prior["kind"], "none");
        assert_eq!(change["kind"], "create");
        assert_eq!(change["created"], true);
        assert_eq!(change["tags"][CREATED_TAG.0], CREATED_TAG.1);
    }

    #[test]
    fn only_a_tagged_detector_is_rampart_s() {
        let mut d = det("d1", true);
        assert!(!ours(&d));
        d.tags.insert(CREATED_TAG.0.into(), CREATED_TAG.1.into());
        assert!(ours(&d));
    }
}
