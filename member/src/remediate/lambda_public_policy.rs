//! Lambda.1: function policies prohibit public access. Statements that allow everyone
//! (Principal `*` or `{"AWS": "*"}`) without a condition restricting the caller (source
//! account, source ARN, organization, source owner, or IAM auth for a function URL) are
//! removed one by one (RemovePermission by Sid); the function's other statements stay.
//! Undo re-adds each removed statement with AddPermission exactly as it was recorded, so a
//! statement AddPermission could not reproduce is never removed.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use aws_sdk_lambda::types::FunctionUrlAuthType;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "lambda-public-policy",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "Lambda.1",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/lambda-public-policy",
        actions: &[
            "lambda:ListFunctions",
            "lambda:GetPolicy",
            "lambda:ListTags",
            "lambda:RemovePermission",
            "lambda:AddPermission",
        ],
    },
    changes: "Removes from a function's resource policy each statement that allows any principal (*) without a condition restricting the source account, source ARN or organization (RemovePermission by Sid); the other statements stay.",
    undoes: "Adds each removed statement back with AddPermission exactly as recorded (Sid, action, principal and conditions).",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(ctx.member)
}

/// The function name of a function ARN (`...:function:name[:qualifier]`), or the name itself.
fn function_name(id: &str) -> &str {
    id.split_once(":function:")
        .map_or(id, |(_, rest)| rest.split(':').next().unwrap_or(rest))
}

fn is_star(v: &Value) -> bool {
    match v {
        Value::String(s) => s == "*",
        Value::Array(a) => a.iter().any(is_star),
        _ => false,
    }
}

/// Whether a principal is everyone: `*`, or `{"AWS": "*"}` (also in a list).
fn principal_is_public(p: &Value) -> bool {
    is_star(p) || p.get("AWS").is_some_and(is_star)
}

/// The condition operators and keys of a statement, as (operator, key, value).
fn conditions(stmt: &Value) -> Vec<(&str, &str, &Value)> {
    let mut out = Vec::new();
    if let Some(ops) = stmt.get("Condition").and_then(Value::as_object) {
        for (op, keys) in ops {
            if let Some(keys) = keys.as_object() {
                out.extend(keys.iter().map(|(k, v)| (op.as_str(), k.as_str(), v)));
            }
        }
    }
    out
}

/// Whether a condition limits who can call: a positive match on the source or organization,
/// or IAM authentication of a function URL. Condition keys are case-insensitive.
fn restricts(op: &str, key: &str, value: &Value) -> bool {
    if op.contains("Not") || op.eq_ignore_ascii_case("Null") {
        return false;
    }
    let key = key.to_ascii_lowercase();
    match key.as_str() {
        "aws:sourceaccount" | "aws:sourcearn" | "aws:principalorgid" | "aws:sourceowner" => true,
        "lambda:functionurlauthtype" => value.as_str() == Some("AWS_IAM"),
        _ => false,
    }
}

fn statements(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    }
}

/// The statements of a policy document that open the function to everyone.
fn public_statements(policy: &Value) -> Vec<Value> {
    statements(policy)
        .into_iter()
        .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .filter(|s| s.get("Principal").is_some_and(principal_is_public))
        .filter(|s| !conditions(s).iter().any(|(o, k, v)| restricts(o, k, v)))
        .cloned()
        .collect()
}

/// What AddPermission takes to reproduce one statement of an unqualified function policy.
#[derive(Debug, Default, PartialEq)]
struct Permission {
    sid: String,
    action: String,
    principal: String,
    source_arn: Option<String>,
    source_account: Option<String>,
    event_source_token: Option<String>,
    principal_org_id: Option<String>,
    function_url_auth_type: Option<String>,
    invoked_via_function_url: Option<bool>,
}

/// The AddPermission arguments that give back `stmt` on function `arn`, or why there are none.
fn permission(stmt: &Value, arn: &str) -> Result<Permission, String> {
    let obj = stmt.as_object().ok_or("the statement is not an object")?;
    if let Some(k) = obj.keys().find(|k| {
        !matches!(
            k.as_str(),
            "Sid" | "Effect" | "Principal" | "Action" | "Resource" | "Condition"
        )
    }) {
        return Err(format!("it has {k}, which AddPermission cannot set"));
    }
    let sid = stmt
        .get("Sid")
        .and_then(Value::as_str)
        .ok_or("it has no Sid")?;
    let action = stmt
        .get("Action")
        .and_then(Value::as_str)
        .ok_or("its Action is not one action")?;
    if stmt.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return Err("it does not allow".into());
    }
    let resource = stmt.get("Resource").and_then(Value::as_str);
    if resource.is_some_and(|r| r != arn) {
        return Err(format!("its Resource is not {arn}"));
    }
    let p = stmt.get("Principal").ok_or("it has no Principal")?;
    let principal = if principal_is_public(p) {
        "*".to_string()
    } else {
        p.as_str()
            .or_else(|| p.get("Service").and_then(Value::as_str))
            .or_else(|| p.get("AWS").and_then(Value::as_str))
            .ok_or("its Principal is not one principal")?
            .to_string()
    };
    let mut out = Permission {
        sid: sid.into(),
        action: action.into(),
        principal,
        ..Permission::default()
    };
    for (op, key, v) in conditions(stmt) {
        let value = match v {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(format!("its {key} condition is not one value")),
        };
        let slot = match (op, key.to_ascii_lowercase().as_str()) {
            ("ArnLike", "aws:sourcearn") => &mut out.source_arn,
            ("StringEquals", "aws:sourceaccount") => &mut out.source_account,
            ("StringEquals", "lambda:eventsourcetoken") => &mut out.event_source_token,
            ("StringEquals", "aws:principalorgid") => &mut out.principal_org_id,
            ("StringEquals", "lambda:functionurlauthtype") => &mut out.function_url_auth_type,
            ("Bool", "lambda:invokedviafunctionurl") => {
                out.invoked_via_function_url = Some(value.eq_ignore_ascii_case("true"));
                continue;
            }
            _ => return Err(format!("AddPermission cannot set its {op} {key} condition")),
        };
        *slot = Some(value);
    }
    Ok(out)
}

/// Functions as (name, unqualified ARN).
async fn functions(
    lambda: &aws_sdk_lambda::Client,
    rl: &RateLimiter,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = lambda
            .list_functions()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("lambda:ListFunctions", &e))?;
        for f in page.functions() {
            if let (Some(n), Some(a)) = (f.function_name(), f.function_arn()) {
                out.push((n.to_string(), a.to_string()));
            }
        }
        match page.next_marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The function's resource policy, or `None` when it has none.
async fn policy(lambda: &aws_sdk_lambda::Client, name: &str) -> Result<Option<Value>, AwsError> {
    match lambda.get_policy().function_name(name).send().await {
        Ok(out) => {
            let doc = out.policy().unwrap_or("{}");
            serde_json::from_str(doc)
                .map(Some)
                .map_err(|e| AwsError::invalid(format!("lambda:GetPolicy {name}"), e.to_string()))
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(AwsError::sdk(format!("lambda:GetPolicy {name}"), &e)),
    }
}

async fn tags(
    lambda: &aws_sdk_lambda::Client,
    arn: &str,
    rl: &RateLimiter,
) -> Result<Vec<(String, String)>, AwsError> {
    rl.acquire().await;
    let out = lambda
        .list_tags()
        .resource(arn)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("lambda:ListTags {arn}"), &e))?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (lambda, rl) = (client(ctx), limiter());
    let wanted = resource.map(function_name);
    let mut out = Vec::new();
    for (name, arn) in functions(&lambda, &rl).await? {
        if wanted.is_some_and(|w| w != name) {
            continue;
        }
        rl.acquire().await;
        let found = policy(&lambda, &name).await?.unwrap_or(Value::Null);
        let public = public_statements(&found);
        if public.is_empty() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("function {name}'s policy allows no public access"),
                });
            }
            continue;
        }
        let t = tags(&lambda, &arn, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, t.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        // Remove nothing undo could not put back exactly.
        if let Some(why) = public.iter().find_map(|s| permission(s, &arn).err()) {
            out.push(Planned::Skip {
                resource: arn.clone(),
                why: format!("a public statement of {name} cannot be restored by AddPermission ({why}): remove it by hand"),
            });
            continue;
        }
        let sids: Vec<&str> = public
            .iter()
            .filter_map(|s| s.get("Sid").and_then(Value::as_str))
            .collect();
        out.push(Planned::Change(Change {
            resource: arn.clone(),
            api: "lambda:RemovePermission".into(),
            summary: format!(
                "remove public statement(s) {} from function {name}'s policy",
                sids.join(", ")
            ),
            change: json!({"kind": "lambda-policy", "function": name, "function_arn": arn, "remove_sids": sids}),
            prior: json!({"kind": "lambda-policy", "function": name, "function_arn": arn, "statements": public}),
        }));
    }
    Ok(out)
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    let name = text(&c.change, "function")?;
    let sids: Vec<&str> = c
        .change
        .get("remove_sids")
        .and_then(Value::as_array)
        .ok_or("the change has no remove_sids")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let lambda = client(ctx);
    for sid in &sids {
        lambda
            .remove_permission()
            .function_name(name)
            .statement_id(*sid)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("lambda:RemovePermission {name} {sid}"), &e))?;
    }
    Ok(format!(
        "removed public statement(s) {} from function {name}",
        sids.join(", ")
    ))
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    let name = text(&a.prior, "function")?;
    let arn = text(&a.prior, "function_arn")?;
    let recorded = a
        .prior
        .get("statements")
        .and_then(Value::as_array)
        .ok_or("the recorded state has no statements")?;
    let lambda = client(ctx);
    let now = policy(&lambda, name).await?.unwrap_or(Value::Null);
    let present = statements(&now);
    let mut added = Vec::new();
    for stmt in recorded {
        let p = permission(stmt, arn).map_err(|why| {
            AwsError::invalid("lambda-public-policy undo", format!("{name}: {why}"))
        })?;
        if let Some(cur) = present
            .iter()
            .find(|s| s.get("Sid").and_then(Value::as_str) == Some(p.sid.as_str()))
        {
            if *cur == stmt {
                continue;
            }
            return Err(AwsError::invalid(
                "lambda-public-policy undo",
                format!("{name} has another statement {} now: not replaced", p.sid),
            ));
        }
        lambda
            .add_permission()
            .function_name(name)
            .statement_id(&p.sid)
            .action(&p.action)
            .principal(&p.principal)
            .set_source_arn(p.source_arn)
            .set_source_account(p.source_account)
            .set_event_source_token(p.event_source_token)
            .set_principal_org_id(p.principal_org_id)
            .set_function_url_auth_type(
                p.function_url_auth_type
                    .map(|t| FunctionUrlAuthType::from(t.as_str())),
            )
            .set_invoked_via_function_url(p.invoked_via_function_url)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("lambda:AddPermission {name} {}", p.sid), &e))?;
        added.push(p.sid);
    }
    Ok(format!(
        "added statement(s) {} back to function {name}",
        added.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:lambda:us-east-1:111122223333:function:f";

    fn doc(statements: Value) -> Value {
        json!({"Version": "2012-10-17", "Id": "default", "Statement": statements})
    }

    #[test]
    fn only_unrestricted_statements_for_everyone_are_public() {
        let open = json!({"Sid": "open", "Effect": "Allow", "Principal": "*",
                          "Action": "lambda:InvokeFunction", "Resource": ARN});
        let aws_star = json!({"Sid": "aws", "Effect": "Allow", "Principal": {"AWS": "*"},
                              "Action": "lambda:InvokeFunction", "Resource": ARN});
        let account = json!({"Sid": "acct", "Effect": "Allow", "Principal": "*",
                             "Action": "lambda:InvokeFunction", "Resource": ARN,
                             "Condition": {"StringEquals": {"AWS:SourceAccount": "111122223333"}}});
        let org = json!({"Sid": "org", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}});
        let s3 = json!({"Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "lambda:InvokeFunction"});
        let url_none = json!({"Sid": "url", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl",
                              "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}});
        let url_iam = json!({"Sid": "urliam", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl",
                             "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}});
        let not_account = json!({"Sid": "not", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                                 "Condition": {"StringNotEquals": {"aws:SourceAccount": "1"}}});
        let all = doc(json!([
            open,
            aws_star,
            account,
            org,
            s3,
            url_none,
            url_iam,
            not_account
        ]));
        let sids: Vec<String> = public_statements(&all)
            .iter()
            .map(|s| s["Sid"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(sids, ["open", "aws", "url", "not"]);
        assert!(public_statements(&Value::Null).is_empty());
        assert_eq!(public_statements(&json!({"Statement": open})).len(), 1);
    }

    #[test]
    fn statements_map_back_to_add_permission_exactly_or_not_at_all() {
        let url = json!({"Sid": "url", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl",
                         "Resource": ARN,
                         "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}});
        let p = permission(&url, ARN).expect("reproducible");
        assert_eq!(p.sid, "url");
        assert_eq!(p.action, "lambda:InvokeFunctionUrl");
        assert_eq!(p.principal, "*");
        assert_eq!(p.function_url_auth_type.as_deref(), Some("NONE"));
        let token = json!({"Sid": "alexa", "Effect": "Allow", "Principal": {"AWS": "*"},
                           "Action": "lambda:InvokeFunction", "Resource": ARN,
                           "Condition": {"StringEquals": {"lambda:EventSourceToken": "amzn1.ask"}}});
        let p = permission(&token, ARN).expect("reproducible");
        assert_eq!(p.event_source_token.as_deref(), Some("amzn1.ask"));
        let src = json!({"Sid": "s", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                         "Action": "lambda:InvokeFunction", "Resource": ARN,
                         "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"},
                                       "StringEquals": {"AWS:SourceAccount": "111122223333"}}});
        let p = permission(&src, ARN).expect("reproducible");
        assert_eq!(p.principal, "s3.amazonaws.com");
        assert_eq!(p.source_arn.as_deref(), Some("arn:aws:s3:::b"));
        assert_eq!(p.source_account.as_deref(), Some("111122223333"));
        let odd = json!({"Sid": "x", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                         "Resource": ARN, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}});
        assert!(permission(&odd, ARN).is_err());
        let qualified = json!({"Sid": "q", "Effect": "Allow", "Principal": "*",
                               "Action": "lambda:InvokeFunction", "Resource": format!("{ARN}:prod")});
        assert!(permission(&qualified, ARN).is_err());
        let many = json!({"Sid": "m", "Effect": "Allow", "Principal": "*",
                          "Action": ["lambda:InvokeFunction", "lambda:GetFunction"]});
        assert!(permission(&many, ARN).is_err());
    }

    #[test]
    fn function_names_of_arns() {
        assert_eq!(function_name(ARN), "f");
        assert_eq!(function_name(&format!("{ARN}:prod")), "f");
        assert_eq!(function_name("f"), "f");
    }
}
