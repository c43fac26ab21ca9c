//! The hub's two DynamoDB tables.
//!
//! The **audit table** is append-only: one item per action, written with a condition that it
//! does not exist yet, so no write can replace history (the hub role may only PutItem there).
//! Keys: `acct#<account>` / `<time>#<event>#<n>`.
//!
//! The **state table** holds working state, apart from the audit log: event leases
//! (`claim#<key>`), the hourly action budget per playbook and account
//! (`rate#<account>#<playbook>` / `<hour>`), offence history (`actor#<arn>`), and the recorded
//! trail configurations that the tamper playbook restores (`trail#<account>#<region>` /
//! `<name>`), and each applied remediation with its prior state, the undo handle
//! (`remediation#<id>` / `action`).

pub use super::audit_log::AuditItem;
use super::audit_log::{self, n, s};
use super::record::Outcome;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ScalarAttributeType, Select,
};
use aws_sdk_dynamodb::Client;
use futures::future::BoxFuture;
use rampart_member::error_text::{describe, is_code};

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub/respond/store",
    actions: &[
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:Query",
    ],
};

/// What `rampart audit` needs (an operator's credentials, not the hub Lambda's role).
pub const AUDIT_READ_PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "rampart audit",
    actions: &["dynamodb:Query", "dynamodb:Scan"],
};

/// Finished claims and budgets expire after this long (DynamoDB TTL attribute `expires`).
const CLAIM_TTL_SECS: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
    state: String,
    /// What time it is for leases, budgets and records (a test advances a clock of its own
    /// instead of sleeping).
    clock: crate::time::Clock,
}

/// The result of claiming an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This delivery holds the lease; `token` completes or releases it.
    Acquired { token: String },
    /// Another delivery finished it.
    Done { by: String },
    /// Another delivery is running it; its lease ends at `until` (RFC 3339).
    Held { by: String, until: String },
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>, state: impl Into<String>) -> Self {
        Store {
            client,
            table: table.into(),
            state: state.into(),
            clock: crate::time::Clock::system(),
        }
    }

    /// The same store reading time from `clock`.
    pub fn with_clock(mut self, clock: crate::time::Clock) -> Self {
        self.clock = clock;
        self
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Now, in seconds since the epoch, by the store's clock.
    pub fn now_secs(&self) -> i64 {
        self.now().timestamp()
    }

    /// The audit table.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The state table.
    pub fn state_table(&self) -> &str {
        &self.state
    }

    /// Creates both tables if they do not exist (demo and tests; the hub stack creates them in
    /// AWS).
    pub async fn ensure_tables(&self) -> Result<(), String> {
        self.ensure_table(&self.table).await?;
        self.ensure_table(&self.state).await
    }

    async fn ensure_table(&self, table: &str) -> Result<(), String> {
        let exists = self.client.describe_table().table_name(table).send().await;
        match exists {
            Ok(_) => return Ok(()),
            Err(e) if is_code(&e, "ResourceNotFoundException") => {}
            Err(e) => return Err(format!("dynamodb:DescribeTable: {}", describe(&e))),
        }
        let key = |name: &str, kt: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kt)
                .build()
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        self.client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash).map_err(|e| e.to_string())?)
            .key_schema(key("sk", KeyType::Range).map_err(|e| e.to_string())?)
            .attribute_definitions(attr("pk").map_err(|e| e.to_string())?)
            .attribute_definitions(attr("sk").map_err(|e| e.to_string())?)
            .send()
            .await
            .map_err(|e| format!("dynamodb:CreateTable: {}", describe(&e)))?;
        Ok(())
    }

    /// Claims `key` for this event as a lease of `lease_secs`. A lease whose holder crashed
    /// expires, so a redelivery acts instead of being taken for a duplicate.
    pub async fn claim(&self, key: &str, event_id: &str, lease_secs: u64) -> Result<Claim, String> {
        let now = self.now();
        let until = now + chrono::Duration::seconds(i64::try_from(lease_secs).unwrap_or(900));
        let token = uuid::Uuid::new_v4().to_string();
        let r = self
            .client
            .put_item()
            .table_name(&self.state)
            .item("pk", s(format!("claim#{key}")))
            .item("sk", s("claim"))
            .item("state", s("leased"))
            .item("token", s(&token))
            .item("event_id", s(event_id))
            .item("at", s(now.to_rfc3339()))
            .item("lease_until", n(until.timestamp()))
            .item("lease_until_text", s(until.to_rfc3339()))
            .item("expires", n(now.timestamp() + CLAIM_TTL_SECS))
            .condition_expression(
                "attribute_not_exists(pk) OR (#st = :leased AND lease_until < :now)",
            )
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":leased", s("leased"))
            .expression_attribute_values(":now", n(now.timestamp()))
            .send()
            .await;
        match r {
            Ok(_) => Ok(Claim::Acquired { token }),
            Err(e) if is_code(&e, "ConditionalCheckFailedException") => {
                let item = self
                    .client
                    .get_item()
                    .table_name(&self.state)
                    .key("pk", s(format!("claim#{key}")))
                    .key("sk", s("claim"))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| format!("dynamodb:GetItem (claim): {}", describe(&e)))?;
                let get = |k: &str| match item.item().and_then(|i| i.get(k)) {
                    Some(AttributeValue::S(v)) => v.clone(),
                    _ => String::new(),
                };
                if get("state") == "done" {
                    Ok(Claim::Done {
                        by: get("event_id"),
                    })
                } else {
                    Ok(Claim::Held {
                        by: get("event_id"),
                        until: get("lease_until_text"),
                    })
                }
            }
            Err(e) => Err(format!("dynamodb:PutItem (claim): {}", describe(&e))),
        }
    }

    /// Marks a leased claim done: later deliveries are duplicates.
    pub async fn complete(&self, key: &str, token: &str) -> Result<(), String> {
        self.client
            .update_item()
            .table_name(&self.state)
            .key("pk", s(format!("claim#{key}")))
            .key("sk", s("claim"))
            .update_expression("SET #st = :done, done_at = :at REMOVE lease_until")
            .condition_expression("#tk = :token")
            .expression_attribute_names("#st", "state")
            .expression_attribute_names("#tk", "token")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":at", s(self.now().to_rfc3339()))
            .expression_attribute_values(":token", s(token))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("dynamodb:UpdateItem (complete claim): {}", describe(&e)))
    }

    /// Gives a leased claim up (the playbook failed, was capped or could not reach the
    /// account), so a redelivery or retry acts.
    pub async fn release(&self, key: &str, token: &str) -> Result<(), String> {
        match self
            .client
            .delete_item()
            .table_name(&self.state)
            .key("pk", s(format!("claim#{key}")))
            .key("sk", s("claim"))
            .condition_expression("#tk = :token")
            .expression_attribute_names("#tk", "token")
            .expression_attribute_values(":token", s(token))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Someone else's lease by now (ours expired): not ours to release.
            Err(e) if is_code(&e, "ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(format!(
                "dynamodb:DeleteItem (release claim): {}",
                describe(&e)
            )),
        }
    }

    /// Whether the hourly action budget `key` (a playbook, or a playbook and a resource) in
    /// `account` has room for another run that changes something.
    pub async fn budget_left(&self, account: &str, key: &str, cap: u32) -> Result<bool, String> {
        let hour = self.now().format("%Y-%m-%dT%H").to_string();
        let out = self
            .client
            .get_item()
            .table_name(&self.state)
            .key("pk", s(format!("rate#{account}#{key}")))
            .key("sk", s(hour))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| format!("dynamodb:GetItem (budget): {}", describe(&e)))?;
        let used = out
            .item()
            .and_then(|i| i.get("used"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0);
        Ok(used < cap)
    }

    /// Charges one run that changed something to the hourly budget `key` in `account`.
    pub async fn charge_budget(&self, account: &str, key: &str) -> Result<(), String> {
        let hour = self.now().format("%Y-%m-%dT%H").to_string();
        self.client
            .update_item()
            .table_name(&self.state)
            .key("pk", s(format!("rate#{account}#{key}")))
            .key("sk", s(hour))
            .update_expression("ADD used :one SET expires = :exp")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(self.now().timestamp() + 7200))
            .return_values(ReturnValue::None)
            .send()
            .await
            .map_err(|e| format!("dynamodb:UpdateItem (budget): {}", describe(&e)))?;
        Ok(())
    }

    /// Seconds until the current budget hour ends.
    pub fn secs_to_next_hour(&self) -> u64 {
        let now = self.now();
        3600 - (now.timestamp().rem_euclid(3600) as u64)
    }

    /// Counts a refused event of `account` in the current hour; returns the count so far.
    pub async fn count_refusal(&self, account: &str) -> Result<u64, String> {
        let hour = self.now().format("%Y-%m-%dT%H").to_string();
        let out = self
            .client
            .update_item()
            .table_name(&self.state)
            .key("pk", s(format!("refused#{hour}")))
            .key("sk", s(account))
            .update_expression("ADD refused :one SET expires = :exp")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(self.now().timestamp() + 8 * 24 * 3600))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| format!("dynamodb:UpdateItem (refusals): {}", describe(&e)))?;
        Ok(out
            .attributes()
            .and_then(|a| a.get("refused"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(1))
    }

    /// Refused events per account in the hour before the current one.
    pub async fn refusals_last_hour(&self) -> Result<Vec<(String, u64)>, String> {
        let hour = (self.now() - chrono::Duration::hours(1))
            .format("%Y-%m-%dT%H")
            .to_string();
        let out = self
            .client
            .query()
            .table_name(&self.state)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(format!("refused#{hour}")))
            .send()
            .await
            .map_err(|e| format!("dynamodb:Query (refusals): {}", describe(&e)))?;
        Ok(out
            .items()
            .iter()
            .filter_map(|i| {
                let account = i.get("sk")?.as_s().ok()?.clone();
                let n = i.get("refused")?.as_n().ok()?.parse().ok()?;
                Some((account, n))
            })
            .collect())
    }

    /// Records a session the hub opened in `account` (its access key id), until it expires:
    /// the calls made with it are Rampart's own. Nothing else (a role or session name anyone
    /// can reuse) makes a call Rampart's.
    pub async fn put_own_session(
        &self,
        account: &str,
        key: &crate::session::SessionKey,
    ) -> Result<(), String> {
        let until = key
            .expires
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            // Long-term or unexpiring credentials: remembered for a day, renewed on next use.
            .unwrap_or(self.now().timestamp() + 24 * 3600);
        self.client
            .put_item()
            .table_name(&self.state)
            .item("pk", s(format!("own#{}", key.access_key_id)))
            .item("sk", s("session"))
            .item("account", s(account))
            .item("until", n(until))
            .item("expires", n(until + 3600))
            .send()
            .await
            .map_err(|e| format!("dynamodb:PutItem (own session): {}", describe(&e)))?;
        Ok(())
    }

    /// Whether `access_key_id` is a session the hub opened (and still valid) in `account`.
    pub async fn is_own_session(&self, account: &str, access_key_id: &str) -> Result<bool, String> {
        let out = self
            .client
            .get_item()
            .table_name(&self.state)
            .key("pk", s(format!("own#{access_key_id}")))
            .key("sk", s("session"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| format!("dynamodb:GetItem (own session): {}", describe(&e)))?;
        let Some(item) = out.item() else {
            return Ok(false);
        };
        let num = |k: &str| {
            item.get(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<i64>().ok())
        };
        let same_account = item
            .get("account")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
            == Some(account);
        Ok(same_account && num("until").is_some_and(|u| u >= self.now().timestamp()))
    }

    /// Records an offence by `actor` and returns how many it had before this one.
    pub async fn record_offence(&self, actor: &str, event_id: &str) -> Result<usize, String> {
        let before = self
            .client
            .query()
            .table_name(&self.state)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(format!("actor#{actor}")))
            .select(Select::Count)
            .send()
            .await
            .map_err(|e| format!("dynamodb:Query (offences): {}", describe(&e)))?
            .count();
        let at = self.now().to_rfc3339();
        self.client
            .put_item()
            .table_name(&self.state)
            .item("pk", s(format!("actor#{actor}")))
            .item("sk", s(format!("{at}#{event_id}")))
            .item("event_id", s(event_id))
            .send()
            .await
            .map_err(|e| format!("dynamodb:PutItem (offence): {}", describe(&e)))?;
        Ok(usize::try_from(before).unwrap_or(0))
    }

    pub async fn put_trail_record(
        &self,
        account: &str,
        region: &str,
        name: &str,
        config: &serde_json::Value,
    ) -> Result<(), String> {
        self.client
            .put_item()
            .table_name(&self.state)
            .item("pk", s(format!("trail#{account}#{region}")))
            .item("sk", s(name))
            .item("config", s(config.to_string()))
            .item("at", s(self.now().to_rfc3339()))
            .send()
            .await
            .map_err(|e| format!("dynamodb:PutItem (trail record): {}", describe(&e)))?;
        Ok(())
    }

    /// Keeps an applied remediation action (its prior state and change) under its id, the
    /// handle `rampart undo` takes. Written once: an id is never reused.
    pub async fn put_remediation(
        &self,
        action: &rampart_member::remediate::Action,
        event_id: &str,
    ) -> Result<(), String> {
        let doc = serde_json::to_string(action)
            .map_err(|e| format!("remediation {} not serializable: {e}", action.id))?;
        self.client
            .put_item()
            .table_name(&self.state)
            .item("pk", s(format!("remediation#{}", action.id)))
            .item("sk", s("action"))
            .item("action", s(doc))
            .item("event_id", s(event_id))
            .item("at", s(self.now().to_rfc3339()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| {
                format!(
                    "dynamodb:PutItem (remediation {}): {}",
                    action.id,
                    describe(&e)
                )
            })?;
        Ok(())
    }

    /// The applied remediation action with this id, if any.
    pub async fn remediation(
        &self,
        id: &str,
    ) -> Result<Option<rampart_member::remediate::Action>, String> {
        let out = self
            .client
            .get_item()
            .table_name(&self.state)
            .key("pk", s(format!("remediation#{id}")))
            .key("sk", s("action"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| format!("dynamodb:GetItem (remediation {id}): {}", describe(&e)))?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        match item.get("action") {
            Some(AttributeValue::S(text)) => serde_json::from_str(text)
                .map(Some)
                .map_err(|e| format!("remediation record {id} is not readable: {e}")),
            _ => Err(format!("remediation record {id} has no action")),
        }
    }

    pub async fn trail_record(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Option<serde_json::Value>, String> {
        let out = self
            .client
            .get_item()
            .table_name(&self.state)
            .key("pk", s(format!("trail#{account}#{region}")))
            .key("sk", s(name))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| format!("dynamodb:GetItem (trail record): {}", describe(&e)))?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        match item.get("config") {
            Some(AttributeValue::S(text)) => serde_json::from_str(text)
                .map(Some)
                .map_err(|e| format!("trail record for {name} is not JSON: {e}")),
            _ => Err(format!("trail record for {name} has no config")),
        }
    }

    /// Writes one audit item per action (one intake item when there were none), each on the
    /// condition that it does not exist: the log is append-only. Up to 100 items go in one
    /// Appends the outcome's audit items (one per action), idempotently per event.
    pub async fn audit(&self, outcome: &Outcome) -> Result<usize, String> {
        audit_log::write(&self.client, &self.table, outcome).await
    }

    /// Audit items of one account (or all accounts) since a time, oldest first.
    pub async fn query(
        &self,
        account: Option<&str>,
        since: &str,
    ) -> Result<Vec<AuditItem>, String> {
        audit_log::query(&self.client, &self.table, account, since).await
    }
}

/// The playbooks' memory between events lives in the state table.
impl rampart_member::act::Memory for Store {
    fn trail_record<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<serde_json::Value>, String>> {
        Box::pin(Store::trail_record(self, account, region, name))
    }

    fn put_trail_record<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        name: &'a str,
        config: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(Store::put_trail_record(self, account, region, name, config))
    }

    fn record_offence<'a>(
        &'a self,
        actor: &'a str,
        event_id: &'a str,
    ) -> BoxFuture<'a, Result<usize, String>> {
        Box::pin(Store::record_offence(self, actor, event_id))
    }
}
