//! After a remediation, the finding that asked for it is updated where it lives (the finding's
//! own account and region): a note naming the action ids, workflow RESOLVED. Security Hub
//! CSPM (ASFF) findings take BatchUpdateFindings; the new Security Hub's OCSF findings take
//! BatchUpdateFindingsV2 (a comment, status Resolved).

use crate::act::Action;
use crate::act::{Ctx, Run};
use crate::act::{Stage, Status};
use crate::aws_error::AwsError;

use aws_sdk_securityhub::types::{
    AwsSecurityFindingIdentifier, NoteUpdate, OcsfFindingIdentifier, WorkflowUpdate,
};
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "remediate/finding update",
    // BatchUpdateFindingsV2 has no IAM action of its own (the service authorization reference
    // lists none; cfn-lint's policy data agrees): it is authorized as BatchUpdateFindings.
    actions: &["securityhub:BatchUpdateFindings", "securityhub:GetFindings"],
};

/// Who the note says updated the finding; Rampart's automatic mode ignores its own updates by
/// the workflow status they set.
pub const UPDATED_BY: &str = "rampart-remediation";
/// Security Hub's limit on Note.Text (and an OCSF comment).
const NOTE_MAX: usize = 512;
/// OCSF status_id Resolved.
const OCSF_RESOLVED: i32 = 4;

/// The finding a remediation answers.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRef {
    /// ASFF `Id` (or OCSF `finding_info.uid`).
    pub id: String,
    /// ASFF `ProductArn` (or OCSF `metadata.product.uid`).
    pub product_arn: String,
    /// An OCSF finding of the new Security Hub.
    pub ocsf: bool,
}

/// The note left on the finding.
pub fn note(actions: &[Action]) -> String {
    let done: Vec<String> = actions
        .iter()
        .filter(|a| a.status == Status::Done)
        .map(|a| format!("{} ({})", a.id, a.resource))
        .collect();
    let mut text = format!(
        "Remediated by Rampart, action(s) {}. Undo: rampart undo {}",
        done.join(", "),
        actions
            .iter()
            .filter(|a| a.status == Status::Done)
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    if text.len() > NOTE_MAX {
        let mut cut = NOTE_MAX - 3;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// Marks the finding resolved when every planned change was made (a failed or partly skipped
/// remediation leaves it open for a person).
pub async fn after(ctx: &Ctx<'_>, run: &mut Run, f: &FindingRef, actions: &[Action]) {
    let done = actions.iter().filter(|a| a.status == Status::Done).count();
    let planned = actions.iter().any(|a| a.status == Status::Planned);
    if run.rec.failed() || (done == 0 && !planned) {
        return;
    }
    let api = if f.ocsf {
        "securityhub:BatchUpdateFindingsV2"
    } else {
        "securityhub:BatchUpdateFindings"
    };
    let text = note(actions);
    run.rec
        .act(Stage::Countermeasure, api, &f.id, None, || async {
            update(ctx, f, &text).await
        })
        .await;
}

async fn update(ctx: &Ctx<'_>, f: &FindingRef, text: &str) -> Result<String, AwsError> {
    update_with(
        &aws_sdk_securityhub::Client::new(ctx.member),
        ctx.account,
        f,
        text,
    )
    .await
}

/// The update itself, on a given client (the SDK's mock client in tests).
pub async fn update_with(
    sh: &aws_sdk_securityhub::Client,
    account: &str,
    f: &FindingRef,
    text: &str,
) -> Result<String, AwsError> {
    if f.ocsf {
        let out = sh
            .batch_update_findings_v2()
            .finding_identifiers(
                OcsfFindingIdentifier::builder()
                    .cloud_account_uid(account)
                    .finding_info_uid(&f.id)
                    .metadata_product_uid(&f.product_arn)
                    .build(),
            )
            .comment(text)
            .status_id(OCSF_RESOLVED)
            .send()
            .await
            .map_err(|e| AwsError::sdk("securityhub:BatchUpdateFindingsV2", &e))?;
        if let Some(u) = out.unprocessed_findings().first() {
            return Err(format!(
                "securityhub:BatchUpdateFindingsV2 left {} unprocessed: {}",
                f.id,
                u.error_message().unwrap_or("no reason given")
            )
            .into());
        }
        return Ok(format!("finding {} resolved with a comment", f.id));
    }
    let out = sh
        .batch_update_findings()
        .finding_identifiers(
            AwsSecurityFindingIdentifier::builder()
                .id(&f.id)
                .product_arn(&f.product_arn)
                .build(),
        )
        .note(
            NoteUpdate::builder()
                .text(text)
                .updated_by(UPDATED_BY)
                .build(),
        )
        .workflow(
            WorkflowUpdate::builder()
                .status(aws_sdk_securityhub::types::WorkflowStatus::Resolved)
                .build(),
        )
        .send()
        .await
        .map_err(|e| AwsError::sdk("securityhub:BatchUpdateFindings", &e))?;
    if let Some(u) = out.unprocessed_findings().first() {
        return Err(format!(
            "securityhub:BatchUpdateFindings left {} unprocessed: {} {}",
            f.id,
            u.error_code().unwrap_or_default(),
            u.error_message().unwrap_or_default()
        )
        .into());
    }
    Ok(format!("finding {} resolved with a note", f.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_securityhub::operation::batch_update_findings::BatchUpdateFindingsOutput;
    use aws_sdk_securityhub::operation::batch_update_findings_v2::BatchUpdateFindingsV2Output;
    use aws_sdk_securityhub::types::{BatchUpdateFindingsUnprocessedFinding, WorkflowStatus};
    use aws_sdk_securityhub::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn action(id: &str, status: Status) -> Action {
        Action {
            id: id.into(),
            account: "111122223333".into(),
            region: "us-east-1".into(),
            control: "EC2.53".into(),
            remedy: "ec2-sg-admin-ports".into(),
            resource: "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1".into(),
            status,
            prior: serde_json::Value::Null,
            change: serde_json::Value::Null,
            detail: String::new(),
        }
    }

    fn asff() -> FindingRef {
        FindingRef {
            id: "rampart/111122223333/us-east-1/cis-7.0.0/ec2.sg-admin-ports-ipv4/ab".into(),
            product_arn: "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
                .into(),
            ocsf: false,
        }
    }

    #[tokio::test]
    async fn the_finding_is_resolved_with_a_note_naming_the_action() {
        let f = asff();
        let text = note(&[action("a-1", Status::Done), action("a-2", Status::Skipped)]);
        let want_id = f.id.clone();
        let rule = mock!(Client::batch_update_findings)
            .match_requests(move |r| {
                let ids = r.finding_identifiers();
                let note = r.note();
                ids.len() == 1
                    && ids[0].id() == Some(want_id.as_str())
                    && ids[0]
                        .product_arn()
                        .is_some_and(|p| p.ends_with("/default"))
                    && note.and_then(|n| n.updated_by()) == Some(UPDATED_BY)
                    && note
                        .and_then(|n| n.text())
                        .is_some_and(|t| t.contains("a-1") && !t.contains("a-2"))
                    && r.workflow().and_then(|w| w.status()) == Some(&WorkflowStatus::Resolved)
            })
            .then_output(|| BatchUpdateFindingsOutput::builder().build());
        let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, [&rule]);
        let out = update_with(&client, "111122223333", &f, &text).await;
        assert!(out.is_ok(), "{out:?}");
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_unprocessed_finding_is_an_error_not_a_success() {
        let rule = mock!(Client::batch_update_findings).then_output(|| {
            BatchUpdateFindingsOutput::builder()
                .unprocessed_findings(
                    BatchUpdateFindingsUnprocessedFinding::builder()
                        .error_code("FindingNotFound")
                        .error_message("no such finding")
                        .build(),
                )
                .build()
        });
        let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, [&rule]);
        let err = update_with(&client, "111122223333", &asff(), "x")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("FindingNotFound"), "{err}");
    }

    #[tokio::test]
    async fn ocsf_findings_are_resolved_through_v2() {
        let f = FindingRef {
            id: "uid-1".into(),
            product_arn: "arn:aws:securityhub:us-east-1::productv2/aws/securityhub".into(),
            ocsf: true,
        };
        let rule = mock!(Client::batch_update_findings_v2)
            .match_requests(|r| {
                r.status_id() == Some(4)
                    && r.comment().is_some_and(|c| c.contains("a-9"))
                    && r.finding_identifiers().first().is_some_and(|i| {
                        i.cloud_account_uid() == Some("111122223333")
                            && i.finding_info_uid() == Some("uid-1")
                    })
            })
            .then_output(|| BatchUpdateFindingsV2Output::builder().build());
        let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, [&rule]);
        let text = note(&[action("a-9", Status::Done)]);
        assert!(update_with(&client, "111122223333", &f, &text)
            .await
            .is_ok());
        assert_eq!(rule.num_calls(), 1);
    }

    #[test]
    fn notes_fit_security_hub() {
        let many: Vec<Action> = (0..40)
            .map(|i| action(&format!("{i:036}"), Status::Done))
            .collect();
        let n = note(&many);
        assert!(n.len() <= NOTE_MAX, "{}", n.len());
    }
}
