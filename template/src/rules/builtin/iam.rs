//! Policy-document checks (identity, resource and trust policies).

use crate::model::Model;
use crate::node::{Node, Value};
use crate::rules::rule::BuiltinFn;
use crate::rules::util::{alternatives, could_be, present, Hit};

pub fn lookup(id: &str) -> Option<BuiltinFn> {
    Some(match id {
        "IAM-01" => star_action,
        "IAM-02" => service_star_action,
        "IAM-03" => star_resource,
        "IAM-04" => not_action,
        "IAM-05" => not_resource,
        "IAM-06" => not_principal,
        "IAM-07" => pass_role_star,
        "IAM-08" => user_policies,
        "IAM-12" => trust_any,
        "IAM-13" => escalation,
        "DATA-03" => |m, o| public_resource_policy(m, o, "AWS::S3::BucketPolicy"),
        "DATA-04" => s3_policy_star_action,
        "DATA-23" => |m, o| public_resource_policy(m, o, "AWS::KMS::Key"),
        "DATA-24" => |m, o| public_resource_policy(m, o, "AWS::SQS::QueuePolicy"),
        "DATA-25" => |m, o| public_resource_policy(m, o, "AWS::SNS::TopicPolicy"),
        _ => return None,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum DocKind {
    Identity,
    Resource,
    Trust,
}

struct Stmt<'m> {
    resource: &'m str,
    kind: DocKind,
    rtype: &'m str,
    node: &'m Node,
}

fn statements<'m>(m: &'m Model) -> Vec<Stmt<'m>> {
    let mut out = Vec::new();
    for r in &m.resources {
        let docs: Vec<(DocKind, &str)> = match r.kind.as_str() {
            "AWS::IAM::Policy"
            | "AWS::IAM::ManagedPolicy"
            | "AWS::IAM::RolePolicy"
            | "AWS::IAM::UserPolicy"
            | "AWS::IAM::GroupPolicy" => {
                vec![(DocKind::Identity, "PolicyDocument")]
            }
            "AWS::IAM::Role" => vec![
                (DocKind::Identity, "Policies.*.PolicyDocument"),
                (DocKind::Trust, "AssumeRolePolicyDocument"),
            ],
            "AWS::IAM::User" | "AWS::IAM::Group" => {
                vec![(DocKind::Identity, "Policies.*.PolicyDocument")]
            }
            "AWS::S3::BucketPolicy" | "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" => {
                vec![(DocKind::Resource, "PolicyDocument")]
            }
            "AWS::KMS::Key" => vec![(DocKind::Resource, "KeyPolicy")],
            _ => continue,
        };
        for (kind, path) in docs {
            for doc in present(&r.props, path) {
                for st in present(doc, "Statement") {
                    let list: Vec<&Node> = match &st.value {
                        Value::Seq(items) => items.iter().flat_map(alternatives).collect(),
                        _ => vec![st],
                    };
                    for node in list {
                        out.push(Stmt {
                            resource: &r.id,
                            kind,
                            rtype: &r.kind,
                            node,
                        });
                    }
                }
            }
        }
    }
    out
}

fn allows(st: &Node) -> bool {
    st.get("Effect").and_then(Node::as_str) == Some("Allow")
}

/// String values of a statement field (a string or a list of strings).
fn values<'n>(st: &'n Node, key: &str) -> Vec<&'n Node> {
    present(st, key)
        .into_iter()
        .flat_map(|v| match &v.value {
            Value::Seq(items) => items.iter().flat_map(alternatives).collect(),
            _ => vec![v],
        })
        .collect()
}

/// Ok(true) exact match, Ok(false) no, Err(()) an unresolved value that could match.
fn any_value(vals: &[&Node], pred: impl Fn(&str) -> bool) -> Result<bool, ()> {
    let mut unknown = false;
    for v in vals {
        match &v.value {
            Value::Str(s) if pred(s) => return Ok(true),
            Value::Unknown(s) if could_be(s, "*") || pred(s) => unknown = true,
            _ => {}
        }
    }
    if unknown {
        Err(())
    } else {
        Ok(false)
    }
}

fn push(out: &mut Vec<Hit>, st: &Stmt, r: Result<bool, ()>, msg: &str) {
    match r {
        Ok(true) => out.push(Hit::fail(st.resource, st.node.pos, msg)),
        Err(()) => out.push(Hit::unresolved(
            st.resource,
            st.node.pos,
            format!("{msg} (unresolved value)"),
        )),
        Ok(false) => {}
    }
}

fn star_action(m: &Model, out: &mut Vec<Hit>) {
    for st in statements(m)
        .iter()
        .filter(|s| s.kind == DocKind::Identity && allows(s.node))
    {
        let r = any_value(&values(st.node, "Action"), |a| a == "*");
        push(out, st, r, "policy allows every action (Action: \"*\")");
    }
}

fn service_star_action(m: &Model, out: &mut Vec<Hit>) {
    for st in statements(m)
        .iter()
        .filter(|s| s.kind == DocKind::Identity && allows(s.node))
    {
        let r = any_value(&values(st.node, "Action"), |a| {
            a.len() > 2 && a.ends_with(":*")
        })
        .or(Ok(false));
        push(
            out,
            st,
            r,
            "policy allows every action of a service (service:*)",
        );
    }
}

fn star_resource(m: &Model, out: &mut Vec<Hit>) {
    for st in statements(m)
        .iter()
        .filter(|s| s.kind == DocKind::Identity && allows(s.node))
    {
        let r = any_value(&values(st.node, "Resource"), |a| a == "*");
        push(
            out,
            st,
            r,
            "policy allows actions on every resource (Resource: \"*\")",
        );
    }
}

fn allow_with(m: &Model, out: &mut Vec<Hit>, key: &str) {
    for st in statements(m).iter().filter(|s| allows(s.node)) {
        if st.node.get(key).is_some() {
            out.push(Hit::fail(
                st.resource,
                st.node.pos,
                format!("Allow statement uses {key}, which grants everything not listed"),
            ));
        }
    }
}

fn not_action(m: &Model, out: &mut Vec<Hit>) {
    allow_with(m, out, "NotAction");
}
fn not_resource(m: &Model, out: &mut Vec<Hit>) {
    allow_with(m, out, "NotResource");
}
fn not_principal(m: &Model, out: &mut Vec<Hit>) {
    allow_with(m, out, "NotPrincipal");
}

fn pass_role_star(m: &Model, out: &mut Vec<Hit>) {
    for st in statements(m)
        .iter()
        .filter(|s| s.kind == DocKind::Identity && allows(s.node))
    {
        let pass = any_value(&values(st.node, "Action"), |a| {
            let a = a.to_ascii_lowercase();
            a == "*" || a == "iam:*" || a == "iam:passrole" || a == "iam:pass*"
        })
        .unwrap_or(false);
        if pass {
            let r = any_value(&values(st.node, "Resource"), |a| a == "*");
            push(
                out,
                st,
                r,
                "iam:PassRole allowed on every role (Resource: \"*\")",
            );
        }
    }
}

const ESCALATION: &[&str] = &[
    "iam:createpolicyversion",
    "iam:setdefaultpolicyversion",
    "iam:attachrolepolicy",
    "iam:attachuserpolicy",
    "iam:attachgrouppolicy",
    "iam:putrolepolicy",
    "iam:putuserpolicy",
    "iam:putgrouppolicy",
    "iam:createaccesskey",
    "iam:createloginprofile",
    "iam:updateloginprofile",
    "iam:updateassumerolepolicy",
];

fn escalation(m: &Model, out: &mut Vec<Hit>) {
    for st in statements(m)
        .iter()
        .filter(|s| s.kind == DocKind::Identity && allows(s.node))
    {
        let esc = any_value(&values(st.node, "Action"), |a| {
            let a = a.to_ascii_lowercase();
            a == "iam:*" || ESCALATION.contains(&a.as_str())
        })
        .unwrap_or(false);
        if esc {
            let r = any_value(&values(st.node, "Resource"), |a| a == "*");
            push(
                out,
                st,
                r,
                "policy allows IAM privilege-escalation actions on every resource",
            );
        }
    }
}

fn user_policies(m: &Model, out: &mut Vec<Hit>) {
    for r in &m.resources {
        let attached = match r.kind.as_str() {
            "AWS::IAM::User" => !present(&r.props, "Policies").is_empty(),
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                !present(&r.props, "Users").is_empty()
            }
            "AWS::IAM::UserPolicy" => true,
            _ => false,
        };
        if attached {
            out.push(Hit::fail(
                &r.id,
                r.pos,
                "policy attached directly to an IAM user",
            ));
        }
    }
}

/// Does a principal element allow anyone? (`"*"` or `{AWS: "*"}`)
fn principal_any(st: &Node) -> Result<bool, ()> {
    let mut unknown = false;
    for p in present(st, "Principal") {
        match &p.value {
            Value::Str(s) if s == "*" => return Ok(true),
            Value::Map(_) => {
                for key in ["AWS", "CanonicalUser"] {
                    match any_value(&values(p, key), |a| a == "*") {
                        Ok(true) => return Ok(true),
                        Err(()) => unknown = true,
                        Ok(false) => {}
                    }
                }
            }
            Value::Unknown(_) => unknown = true,
            _ => {}
        }
    }
    if unknown {
        Err(())
    } else {
        Ok(false)
    }
}

fn trust_any(m: &Model, out: &mut Vec<Hit>) {
    for st in statements(m)
        .iter()
        .filter(|s| s.kind == DocKind::Trust && allows(s.node))
    {
        let r = principal_any(st.node);
        // A condition (e.g. aws:PrincipalOrgID) can restrict "*"; still flagged, it is rare
        // and worth a look, but the message says so.
        let msg = if st.node.get("Condition").is_some() {
            "role trust policy allows any principal (restricted only by a Condition)"
        } else {
            "role trust policy allows any principal to assume the role"
        };
        push(out, st, r, msg);
    }
}

fn public_resource_policy(m: &Model, out: &mut Vec<Hit>, rtype: &str) {
    for st in statements(m)
        .iter()
        .filter(|s| s.kind == DocKind::Resource && s.rtype == rtype && allows(s.node))
    {
        // A Condition usually scopes a "*" principal (source account, org id, VPC endpoint).
        if st.node.get("Condition").is_some() {
            continue;
        }
        let r = principal_any(st.node);
        push(
            out,
            st,
            r,
            "resource policy allows any principal without a condition",
        );
    }
}

fn s3_policy_star_action(m: &Model, out: &mut Vec<Hit>) {
    for st in statements(m)
        .iter()
        .filter(|s| s.rtype == "AWS::S3::BucketPolicy" && allows(s.node))
    {
        let r = any_value(&values(st.node, "Action"), |a| a == "*" || a == "s3:*");
        push(out, st, r, "bucket policy allows every S3 action");
    }
}
