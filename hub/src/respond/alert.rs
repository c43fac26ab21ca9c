//! One structured SNS message per incident, with a readable subject.

use super::record::{Disposition, Outcome, Status};
use rampart_member::error_text::describe;

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub/respond/alert",
    actions: &["sns:Publish"],
};

/// Whether an outcome is worth a page: something was done, planned, or failed; a playbook
/// decided not to act on a resource (exempt, allow-listed); an action budget ran out; or an
/// event that would have made a playbook act was refused (a member reaching for another
/// account, a forged source). Malformed or unrouted events, duplicates, held leases and
/// Rampart's own sessions are audited only.
pub fn wants_alert(o: &Outcome) -> bool {
    match o.disposition {
        Disposition::Acted | Disposition::Planned | Disposition::Failed => true,
        Disposition::Ignored => o.playbook.is_some() && o.resource.is_some(),
        Disposition::Deferred => !o.actions.is_empty(),
        Disposition::Rejected => o.playbook.is_some(),
        Disposition::Duplicate => false,
    }
}

/// SNS subjects: at most 100 ASCII characters, no line breaks.
pub fn subject(o: &Outcome) -> String {
    let verb = match o.disposition {
        Disposition::Acted => "acted",
        Disposition::Planned => "planned",
        Disposition::Failed => "FAILED",
        Disposition::Ignored => "ignored",
        Disposition::Rejected => "rejected",
        Disposition::Duplicate => "duplicate",
        Disposition::Deferred => "deferred",
    };
    let raw = format!(
        "[rampart] {} {} in {} {}: {}",
        o.playbook.as_deref().unwrap_or("event"),
        verb,
        o.account.as_deref().unwrap_or("?"),
        o.region.as_deref().unwrap_or("?"),
        o.resource.as_deref().unwrap_or("-"),
    );
    raw.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                ' '
            }
        })
        .take(100)
        .collect()
}

/// The message body: the outcome itself, plus counts operators filter on.
pub fn message(o: &Outcome) -> serde_json::Value {
    let count = |st: Status| o.actions.iter().filter(|a| a.status == st).count();
    serde_json::json!({
        "rampart": "incident",
        "summary": {
            "done": count(Status::Done),
            "planned": count(Status::Planned),
            "failed": count(Status::Failed),
            "skipped": count(Status::Skipped),
        },
        "incident": o,
    })
}

/// Publishes the alert; the error names the topic.
pub async fn send(
    client: &aws_sdk_sns::Client,
    topic: &str,
    o: &Outcome,
) -> Result<String, String> {
    let out = client
        .publish()
        .topic_arn(topic)
        .subject(subject(o))
        .message(message(o).to_string())
        .message_attributes(
            "disposition",
            aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(
                    serde_json::to_value(o.disposition)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                )
                .build()
                .map_err(|e| e.to_string())?,
        )
        .send()
        .await
        .map_err(|e| format!("sns:Publish to {topic}: {}", describe(&e)))?;
    Ok(out.message_id().unwrap_or_default().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_fit_sns() {
        let o = Outcome {
            event_id: "e".into(),
            incident_id: "i".into(),
            disposition: Disposition::Acted,
            playbook: Some("cloudtrail-tamper".into()),
            account: Some("111122223333".into()),
            region: Some("us-east-1".into()),
            resource: Some(format!("trail-é\n{}", "x".repeat(200))),
            reason: None,
            forensics: None,
            link: None,
            actions: vec![],
            remediations: Vec::new(),
            targets: Vec::new(),
            millis: 0,
        };
        let s = subject(&o);
        assert!(s.len() <= 100 && s.is_ascii() && !s.contains('\n'), "{s}");
        assert!(s.starts_with("[rampart] cloudtrail-tamper acted in 111122223333"));
        assert!(wants_alert(&o));
        assert_eq!(message(&o)["incident"]["account"], "111122223333");
    }
}
