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

/// Most action lines an alert carries (the audit log holds every one).
const MAX_ACTIONS: usize = 20;
/// Longest text of one field in an alert.
const MAX_TEXT: usize = 500;
/// SNS refuses messages over 256 KiB; an alert stays well under it whatever the outcome holds.
const MAX_MESSAGE: usize = 200 * 1024;

fn cut(s: &str) -> String {
    if s.len() <= MAX_TEXT {
        return s.to_string();
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// The message body: a summary of the outcome (counts, the first actions, undo handles) and
/// where the whole record is (the audit log), never the whole outcome: one member's large
/// trail configuration must not make an alert too large to send.
pub fn message(o: &Outcome, audit_table: &str) -> serde_json::Value {
    let count = |st: Status| o.actions.iter().filter(|a| a.status == st).count();
    let actions: Vec<serde_json::Value> = o
        .actions
        .iter()
        .take(MAX_ACTIONS)
        .map(|a| {
            serde_json::json!({
                "stage": a.stage,
                "action": a.action,
                "target": cut(&a.target),
                "status": a.status,
                "detail": cut(&a.detail),
            })
        })
        .collect();
    let remediations: Vec<serde_json::Value> = o
        .remediations
        .iter()
        .take(MAX_ACTIONS)
        .map(|a| serde_json::json!({"id": a.id, "resource": cut(&a.resource), "status": a.status}))
        .collect();
    let account = o.account.as_deref().unwrap_or("unknown");
    let mut msg = serde_json::json!({
        "rampart": "incident",
        "summary": {
            "done": count(Status::Done),
            "planned": count(Status::Planned),
            "failed": count(Status::Failed),
            "skipped": count(Status::Skipped),
        },
        "incident": {
            "event_id": o.event_id,
            "incident_id": o.incident_id,
            "disposition": o.disposition,
            "playbook": o.playbook,
            "account": o.account,
            "region": o.region,
            "resource": o.resource.as_deref().map(cut),
            "reason": o.reason.as_deref().map(cut),
            "link": o.link,
            "actions": actions,
            "actions_total": o.actions.len(),
            "remediations": remediations,
            "remediations_total": o.remediations.len(),
            "targets_total": o.targets.len(),
            "forensics": o.forensics,
        },
        "audit": {
            "table": audit_table,
            "pk": format!("acct#{account}"),
            "event_id": o.event_id,
            "command": format!("rampart audit --account {account} --since 24h"),
        },
    });
    if msg.to_string().len() > MAX_MESSAGE {
        // Forensics are the only open-ended part left: the audit log keeps them.
        msg["incident"]["forensics"] = "in the audit log".into();
    }
    msg
}

/// Publishes the alert; the error names the topic.
pub async fn send(
    client: &aws_sdk_sns::Client,
    topic: &str,
    o: &Outcome,
    audit_table: &str,
) -> Result<String, String> {
    let out = client
        .publish()
        .topic_arn(topic)
        .subject(subject(o))
        .message(message(o, audit_table).to_string())
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
        let mut o = Outcome::new("e");
        o.incident_id = "i".into();
        o.disposition = Disposition::Acted;
        o.playbook = Some("cloudtrail-tamper".into());
        o.account = Some("111122223333".into());
        o.region = Some("us-east-1".into());
        o.resource = Some(format!("trail-é\n{}", "x".repeat(200)));
        let s = subject(&o);
        assert!(s.len() <= 100 && s.is_ascii() && !s.contains('\n'), "{s}");
        assert!(s.starts_with("[rampart] cloudtrail-tamper acted in 111122223333"));
        assert!(wants_alert(&o));
        assert_eq!(message(&o, "t")["incident"]["account"], "111122223333");
    }

    #[test]
    fn alerts_are_summaries_that_fit_sns_whatever_the_outcome() {
        let mut o = Outcome::new("e");
        o.account = Some("111122223333".into());
        let rec = super::super::record::intake_record(
            super::super::record::Stage::Forensics,
            "record trail configuration",
            &"t".repeat(10_000),
            Status::Done,
            &"d".repeat(100_000),
        );
        o.actions = vec![rec; 500];
        o.forensics = Some(serde_json::json!({"big": "f".repeat(400_000)}));
        let m = message(&o, "rampart-audit");
        assert!(
            m.to_string().len() <= MAX_MESSAGE,
            "{}",
            m.to_string().len()
        );
        assert_eq!(
            m["incident"]["actions"].as_array().map(Vec::len),
            Some(MAX_ACTIONS)
        );
        assert_eq!(m["incident"]["actions_total"], 500);
        assert_eq!(m["audit"]["pk"], "acct#111122223333");
    }
}
