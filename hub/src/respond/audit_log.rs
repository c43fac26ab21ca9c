//! The append-only audit log: one item per action of an outcome, written once per event
//! (a redelivery writes nothing twice), read back by `rampart audit`.

use super::record::{ActionRecord, Outcome};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use rampart_member::error_text::describe;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A string attribute.
pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute.
pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// One audit item as read back by `rampart audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditItem {
    pub at: String,
    pub account: String,
    pub region: String,
    pub event_id: String,
    pub incident_id: String,
    pub playbook: String,
    pub disposition: String,
    pub stage: String,
    pub action: String,
    pub target: String,
    pub status: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_state: Option<serde_json::Value>,
    pub millis: u64,
}

/// transaction, so an outcome is logged whole or not at all.
pub async fn write(client: &Client, table: &str, outcome: &Outcome) -> Result<usize, String> {
    let items = audit_items(outcome);
    let count = items.len();
    for chunk in items.chunks(100) {
        let writes: Vec<TransactWriteItem> = chunk
            .iter()
            .map(|item| {
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item.clone()))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map(|p| TransactWriteItem::builder().put(p).build())
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map_err(|e| format!("dynamodb:TransactWriteItems (audit): {}", describe(&e)))?;
    }
    Ok(count)
}

/// Audit items of one account (or all accounts) since a time, oldest first.
pub async fn query(
    client: &Client,
    table: &str,
    account: Option<&str>,
    since: &str,
) -> Result<Vec<AuditItem>, String> {
    let mut out = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let page = match account {
            Some(a) => {
                let r = client
                    .query()
                    .table_name(table)
                    .key_condition_expression("pk = :p AND sk >= :since")
                    .expression_attribute_values(":p", s(format!("acct#{a}")))
                    .expression_attribute_values(":since", s(since))
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| format!("dynamodb:Query: {}", describe(&e)))?;
                (r.items().to_vec(), r.last_evaluated_key().cloned())
            }
            None => {
                let r = client
                    .scan()
                    .table_name(table)
                    .filter_expression("begins_with(pk, :p) AND sk >= :since")
                    .expression_attribute_values(":p", s("acct#"))
                    .expression_attribute_values(":since", s(since))
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| format!("dynamodb:Scan: {}", describe(&e)))?;
                (r.items().to_vec(), r.last_evaluated_key().cloned())
            }
        };
        out.extend(page.0.iter().filter_map(from_item));
        match page.1 {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.event_id.cmp(&b.event_id)));
    Ok(out)
}

fn audit_items(o: &Outcome) -> Vec<HashMap<String, AttributeValue>> {
    let account = o.account.clone().unwrap_or_else(|| "unknown".into());
    let intake;
    let actions: Vec<&ActionRecord> = if o.actions.is_empty() {
        intake = ActionRecord {
            stage: super::record::Stage::Intake,
            action: "intake".into(),
            target: o.resource.clone().unwrap_or_default(),
            status: super::record::Status::Skipped,
            detail: o.reason.clone().unwrap_or_default(),
            prior_state: None,
            error_kind: None,
            started_at: super::record::now(),
            millis: o.millis,
        };
        vec![&intake]
    } else {
        o.actions.iter().collect()
    };
    fn tag<T: Serialize>(v: &T) -> String {
        serde_json::to_value(v)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
    actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut item = HashMap::new();
            item.insert("pk".into(), s(format!("acct#{account}")));
            item.insert(
                "sk".into(),
                s(format!("{}#{}#{i:03}", a.started_at, o.event_id)),
            );
            item.insert("at".into(), s(a.started_at.clone()));
            item.insert("account".into(), s(account.clone()));
            item.insert("region".into(), s(o.region.clone().unwrap_or_default()));
            item.insert("event_id".into(), s(o.event_id.clone()));
            item.insert("incident_id".into(), s(o.incident_id.clone()));
            item.insert(
                "playbook".into(),
                s(o.playbook.clone().unwrap_or_else(|| "-".into())),
            );
            item.insert("disposition".into(), s(tag(&o.disposition)));
            item.insert("stage".into(), s(tag(&a.stage)));
            item.insert("action".into(), s(a.action.clone()));
            item.insert("target".into(), s(a.target.clone()));
            item.insert("status".into(), s(tag(&a.status)));
            // DynamoDB rejects empty strings only in keys; keep the detail readable anyway.
            item.insert("detail".into(), s(a.detail.clone()));
            if let Some(p) = &a.prior_state {
                item.insert("prior_state".into(), s(p.to_string()));
            }
            item.insert("millis".into(), n(a.millis));
            item
        })
        .collect()
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Option<AuditItem> {
    let g = |k: &str| match item.get(k) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => String::new(),
    };
    Some(AuditItem {
        at: g("at"),
        account: g("account"),
        region: g("region"),
        event_id: g("event_id"),
        incident_id: g("incident_id"),
        playbook: g("playbook"),
        disposition: g("disposition"),
        stage: g("stage"),
        action: g("action"),
        target: g("target"),
        status: g("status"),
        detail: g("detail"),
        prior_state: match item.get("prior_state") {
            Some(AttributeValue::S(v)) => serde_json::from_str(v).ok(),
            _ => None,
        },
        millis: match item.get("millis") {
            Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
            _ => 0,
        },
    })
}
