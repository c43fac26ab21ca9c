//! DynamoDB.6: tables have deletion protection. A table without it gets
//! DeletionProtectionEnabled=true; undo sets it back to false.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use crate::snapshot::tags::{pairs, Tags};
use rampart_common::arn::resource_name;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "dynamodb-deletion-protection",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "DynamoDB.6",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/dynamodb-deletion-protection",
        actions: &[
            "dynamodb:ListTables",
            "dynamodb:DescribeTable",
            "dynamodb:ListTagsOfResource",
            "dynamodb:UpdateTable",
        ],
    },
    changes: "Turns on deletion protection of the table (DeletionProtectionEnabled=true); its data, capacity and other settings are not touched.",
    undoes: "Sets DeletionProtectionEnabled back to false.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(ctx.member)
}

/// The table's ARN, as Security Hub names it.
fn table_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:dynamodb:{region}:{account}:table/{name}")
}

async fn list_tables(
    ddb: &aws_sdk_dynamodb::Client,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut start: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = ddb
            .list_tables()
            .limit(100)
            .set_exclusive_start_table_name(start.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("dynamodb:ListTables", &e))?;
        out.extend(page.table_names().iter().cloned());
        match page.last_evaluated_table_name() {
            Some(t) if !t.is_empty() => start = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn tags(
    ddb: &aws_sdk_dynamodb::Client,
    arn: &str,
    rl: &RateLimiter,
) -> Result<Tags, AwsError> {
    let mut out = Tags::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = ddb
            .list_tags_of_resource()
            .resource_arn(arn)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("dynamodb:ListTagsOfResource {arn}"), &e))?;
        out.extend(
            page.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string())),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (ddb, rl) = (client(ctx), limiter());
    let names = match resource {
        Some(r) => vec![resource_name(r).to_string()],
        None => list_tables(&ddb, &rl).await?,
    };
    let mut out = Vec::new();
    for name in names {
        rl.acquire().await;
        let d = ddb
            .describe_table()
            .table_name(&name)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("dynamodb:DescribeTable {name}"), &e))?;
        let arn = table_arn(ctx.partition(), ctx.region, ctx.account, &name);
        let protected = d
            .table()
            .and_then(|t| t.deletion_protection_enabled())
            .unwrap_or(false);
        if protected {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("table {name} already has deletion protection"),
                });
            }
            continue;
        }
        let tags = tags(&ddb, &arn, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, pairs(&tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "dynamodb:UpdateTable".into(),
            summary: format!("turn on deletion protection of table {name}"),
            prior: json!({"kind": "dynamodb-deletion-protection", "table": name, "deletion_protection_enabled": false}),
            change: json!({"kind": "dynamodb-deletion-protection", "table": name, "deletion_protection_enabled": true}),
        }));
    }
    Ok(out)
}

/// The table and the setting a recorded state holds.
fn setting(state: &Value) -> Result<(&str, bool), AwsError> {
    if text(state, "kind")? != "dynamodb-deletion-protection" {
        return Err("unknown recorded state kind".into());
    }
    let on = state
        .get("deletion_protection_enabled")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no deletion_protection_enabled")?;
    Ok((text(state, "table")?, on))
}

/// Sets DeletionProtectionEnabled as recorded; nothing else of the table.
async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let (name, on) = setting(state)?;
    client(ctx)
        .update_table()
        .table_name(name)
        .deletion_protection_enabled(on)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("dynamodb:UpdateTable {name}"), &e))?;
    Ok(format!("table {name}: DeletionProtectionEnabled={on}"))
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
    fn table_arns_read_back_their_name() {
        let arn = table_arn("aws", "eu-west-1", "111122223333", "orders");
        assert_eq!(arn, "arn:aws:dynamodb:eu-west-1:111122223333:table/orders");
        assert_eq!(resource_name(&arn), "orders");
    }

    #[test]
    fn the_recorded_state_is_read_back() {
        let prior = json!({"kind": "dynamodb-deletion-protection", "table": "t", "deletion_protection_enabled": false});
        assert_eq!(setting(&prior).ok(), Some(("t", false)));
        assert!(setting(
            &json!({"kind": "sqs-sse", "table": "t", "deletion_protection_enabled": true})
        )
        .is_err());
        assert!(setting(&json!({"kind": "dynamodb-deletion-protection", "table": "t"})).is_err());
        assert!(setting(
            &json!({"kind": "dynamodb-deletion-protection", "deletion_protection_enabled": true})
        )
        .is_err());
    }
}
