//! IAM permission declarations.
//!
//! Every collector and remediation action declares the IAM actions it calls, so the member
//! role's policy can be generated from (and tested against) the code instead of guessed.

/// The IAM actions one component uses.
#[derive(Debug, Clone, Copy)]
pub struct Permissions {
    /// What the component is (e.g. `collect/iam`).
    pub component: &'static str,
    /// IAM actions, `service:Action`.
    pub actions: &'static [&'static str],
}

/// Union of the actions of several components, sorted and de-duplicated.
pub fn union(perms: &[Permissions]) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = perms
        .iter()
        .flat_map(|p| p.actions.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// A statement that narrows some declared actions to `resources` under `condition`, or (as a
/// deny) forbids them there whatever else is granted.
///
/// Resource and condition strings may use CloudFormation's forms, so one declaration yields
/// the role template: `!GetAtt Name.Attr`, `!Ref Name`, and strings with `${AWS::...}` or
/// `${Param}` (become `Fn::Sub`). IAM policy variables (`${aws:username}`) stay literal.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub sid: &'static str,
    pub actions: &'static [&'static str],
    pub resources: &'static [&'static str],
    /// The statement's `Condition` block as JSON text, or "" for none.
    pub condition: &'static str,
}

/// Converts one resource or condition string to its CloudFormation form.
fn cfn(text: &str) -> serde_json::Value {
    use serde_json::json;
    if let Some(r) = text.strip_prefix("!Ref ") {
        return json!({"Ref": r});
    }
    if let Some(g) = text.strip_prefix("!GetAtt ") {
        let (name, attr) = g.split_once('.').unwrap_or((g, "Arn"));
        return json!({"Fn::GetAtt": [name, attr]});
    }
    let substituted = text
        .match_indices("${")
        .any(|(at, _)| text[at + 2..].starts_with(|c: char| c.is_ascii_uppercase()));
    if substituted {
        json!({"Fn::Sub": text})
    } else {
        json!(text)
    }
}

fn cfn_tree(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => cfn(&s),
        Value::Array(a) => Value::Array(a.into_iter().map(cfn_tree).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, cfn_tree(v))).collect()),
        other => other,
    }
}

/// Error in a policy declaration (a bug in Rampart, found by the tests).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("scope {sid} names {action}, which no component declares")]
    Undeclared {
        sid: &'static str,
        action: &'static str,
    },
    #[error("scope {sid} has a condition that is not JSON: {why}")]
    Condition { sid: &'static str, why: String },
}

fn statement(effect: &str, s: &Scope) -> Result<serde_json::Value, PolicyError> {
    let mut actions: Vec<&str> = s.actions.to_vec();
    actions.sort_unstable();
    actions.dedup();
    let resources: Vec<serde_json::Value> = s.resources.iter().map(|r| cfn(r)).collect();
    let mut st = serde_json::json!({
        "Sid": s.sid,
        "Effect": effect,
        "Action": actions,
        "Resource": if resources.len() == 1 { resources[0].clone() } else { serde_json::Value::Array(resources) },
    });
    if !s.condition.is_empty() {
        let c: serde_json::Value =
            serde_json::from_str(s.condition).map_err(|e| PolicyError::Condition {
                sid: s.sid,
                why: e.to_string(),
            })?;
        st["Condition"] = cfn_tree(c);
    }
    Ok(st)
}

/// The policy document of a role: every declared action not narrowed by a scope in one
/// statement on all resources (`unscoped_sid`), one statement per scope, then the denies.
/// A scope naming an undeclared action is an error: declarations are the source of truth.
pub fn policy_document(
    unscoped_sid: &str,
    perms: &[Permissions],
    scopes: &[Scope],
    denies: &[Scope],
) -> Result<serde_json::Value, PolicyError> {
    let declared = union(perms);
    for s in scopes {
        if let Some(a) = s.actions.iter().find(|a| !declared.contains(a)) {
            return Err(PolicyError::Undeclared {
                sid: s.sid,
                action: a,
            });
        }
    }
    let unscoped: Vec<&str> = declared
        .iter()
        .copied()
        .filter(|a| !scopes.iter().any(|s| s.actions.contains(a)))
        .collect();
    let mut statements = Vec::new();
    if !unscoped.is_empty() {
        statements.push(serde_json::json!({
            "Sid": unscoped_sid,
            "Effect": "Allow",
            "Action": unscoped,
            "Resource": "*",
        }));
    }
    for s in scopes {
        statements.push(statement("Allow", s)?);
    }
    for d in denies {
        statements.push(statement("Deny", d)?);
    }
    Ok(serde_json::json!({"Version": "2012-10-17", "Statement": statements}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_narrow_declared_actions_and_become_cloudformation() {
        let p = Permissions {
            component: "x",
            actions: &["ec2:CreateTags", "ec2:DescribeInstances", "sns:Publish"],
        };
        let scopes = [
            Scope {
                sid: "Tags",
                actions: &["ec2:CreateTags"],
                resources: &["*"],
                condition: r#"{"ForAllValues:StringLike": {"aws:TagKeys": "rampart:*"}}"#,
            },
            Scope {
                sid: "Topic",
                actions: &["sns:Publish"],
                resources: &["!Ref AlertTopic"],
                condition: "",
            },
        ];
        let denies = [Scope {
            sid: "NotOwn",
            actions: &["iam:PutRolePolicy"],
            resources: &["arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}"],
            condition: "",
        }];
        let doc = policy_document("Rest", &[p], &scopes, &denies).unwrap();
        let st = doc["Statement"].as_array().unwrap();
        assert_eq!(
            st[0]["Action"],
            serde_json::json!(["ec2:DescribeInstances"])
        );
        assert_eq!(
            st[1]["Condition"]["ForAllValues:StringLike"]["aws:TagKeys"],
            "rampart:*"
        );
        assert_eq!(st[2]["Resource"], serde_json::json!({"Ref": "AlertTopic"}));
        assert_eq!(st[3]["Effect"], "Deny");
        assert!(st[3]["Resource"]["Fn::Sub"].is_string());
        assert_eq!(
            cfn("arn:aws:iam::*:user/${aws:username}"),
            "arn:aws:iam::*:user/${aws:username}"
        );
        let bad = [Scope {
            sid: "Bad",
            actions: &["s3:GetObject"],
            resources: &["*"],
            condition: "",
        }];
        assert!(matches!(
            policy_document("Rest", &[p], &bad, &[]),
            Err(PolicyError::Undeclared { .. })
        ));
    }

    #[test]
    fn union_sorts_and_dedups() {
        let a = Permissions {
            component: "a",
            actions: &["iam:ListUsers", "ec2:DescribeVpcs"],
        };
        let b = Permissions {
            component: "b",
            actions: &["iam:ListUsers"],
        };
        assert_eq!(union(&[a, b]), vec!["ec2:DescribeVpcs", "iam:ListUsers"]);
    }
}
