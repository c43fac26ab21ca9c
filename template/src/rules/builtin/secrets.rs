//! Secrets: plaintext values in properties that hold secrets, parameters that carry them
//! without NoEcho or with a default, credentials in Metadata, Lambda/ECS environments and
//! user data.

use std::sync::OnceLock;

use regex::Regex;

use crate::model::{Model, Resource};
use crate::node::{Node, Value};
use crate::rules::rule::BuiltinFn;
use crate::rules::util::{alternatives, present, text, Hit};

pub fn lookup(id: &str) -> Option<BuiltinFn> {
    Some(match id {
        "SEC-01" => |m, o| secret_props(m, o, Source::Literal),
        "SEC-02" => |m, o| secret_props(m, o, Source::EchoedParam),
        "SEC-03" => |m, o| secret_props(m, o, Source::DefaultedParam),
        "SEC-04" => metadata_credentials,
        "SEC-05" => lambda_env,
        "SEC-08" => secret_param_echo,
        "SEC-09" => ecs_env,
        "SEC-10" => user_data,
        _ => return None,
    })
}

fn secret_key() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A constant pattern: compiling it cannot fail on any input.
    RE.get_or_init(|| {
        Regex::new(r"(?i)(password|passwd|secret|secretstring|token|passphrase|privatekey|apikey|api_key|secret_key|access_key)$")
            .expect("constant regex")
    })
}

/// Parameter names that suggest a secret (looser than property keys: anywhere in the name).
fn secret_name() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A constant pattern: compiling it cannot fail on any input.
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)(password|passwd|secret|token|passphrase|privatekey|apikey|api_key|credential)",
        )
        .expect("constant regex")
    })
}

fn dynamic_ref(s: &str) -> bool {
    s.contains("{{resolve:secretsmanager:") || s.contains("{{resolve:ssm-secure:")
}

#[derive(Clone, Copy, PartialEq)]
enum Source {
    Literal,
    EchoedParam,
    DefaultedParam,
}

/// Parameters referenced from a raw value (`Ref` and `${Name}` in `Fn::Sub`).
fn referenced_params(n: &Node, out: &mut Vec<String>) {
    match n.intrinsic() {
        Some(("Ref", a)) => {
            if let Some(s) = a.as_str() {
                out.push(s.to_string());
            }
            return;
        }
        Some(("Fn::Sub", a)) => {
            let s = match &a.value {
                Value::Str(s) => Some(s.as_str()),
                Value::Seq(items) => items.first().and_then(Node::as_str),
                _ => None,
            };
            if let Some(s) = s {
                let mut rest = s;
                while let Some(i) = rest.find("${") {
                    let after = &rest[i + 2..];
                    let Some(end) = after.find('}') else { break };
                    let var = &after[..end];
                    if !var.starts_with('!') && !var.contains('.') {
                        out.push(var.to_string());
                    }
                    rest = &after[end + 1..];
                }
            }
        }
        _ => {}
    }
    match &n.value {
        Value::Map(entries) => entries
            .iter()
            .for_each(|e| referenced_params(&e.value, out)),
        Value::Seq(items) => items.iter().for_each(|i| referenced_params(i, out)),
        _ => {}
    }
}

/// Walk raw properties for keys that hold secrets; environments are left to SEC-05/SEC-09.
fn walk<'n>(n: &'n Node, out: &mut Vec<(&'n str, &'n Node)>) {
    if n.intrinsic().is_some() {
        return;
    }
    match &n.value {
        Value::Map(entries) => {
            for e in entries {
                if e.key == "Environment" || e.key == "Variables" {
                    continue;
                }
                if secret_key().is_match(&e.key) {
                    out.push((&e.key, &e.value));
                } else {
                    walk(&e.value, out);
                }
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| walk(i, out)),
        _ => {}
    }
}

fn secret_props(m: &Model, out: &mut Vec<Hit>, which: Source) {
    for r in &m.resources {
        let mut found = Vec::new();
        walk(r.raw_props, &mut found);
        for (key, v) in found {
            match which {
                Source::Literal => {
                    if let Value::Str(s) = &v.value {
                        if !s.is_empty() && !dynamic_ref(s) {
                            out.push(Hit::fail(
                                &r.id,
                                v.pos,
                                format!("{key} is a plaintext literal"),
                            ));
                        }
                    }
                }
                Source::EchoedParam | Source::DefaultedParam => {
                    let mut params = Vec::new();
                    referenced_params(v, &mut params);
                    // A direct `Ref` (or the only parameter used) carries the secret itself; in
                    // an assembled value (a JSON SecretString from Fn::Sub) only secret-looking
                    // parameters do, not e.g. the user name next to the password.
                    let direct = matches!(v.intrinsic(), Some(("Ref", _))) || params.len() == 1;
                    params.retain(|p| direct || secret_name().is_match(p));
                    for p in params {
                        let Some(info) = m.resolver.params.get(&p) else {
                            continue;
                        };
                        if which == Source::EchoedParam && !info.no_echo {
                            out.push(Hit::fail(
                                &r.id,
                                v.pos,
                                format!("{key} comes from parameter {p}, which is not NoEcho"),
                            ));
                        }
                        if which == Source::DefaultedParam && info.has_default {
                            out.push(Hit::fail(
                                &r.id,
                                v.pos,
                                format!("{key} comes from parameter {p}, which has a Default value in the template"),
                            ));
                        }
                    }
                }
            }
        }
    }
}

fn metadata_credentials(m: &Model, out: &mut Vec<Hit>) {
    for r in &m.resources {
        let Some(meta) = &r.metadata else { continue };
        for auth in present(meta, "AWS::CloudFormation::Authentication.*") {
            for key in ["accessKeyId", "secretKey", "password"] {
                if let Some(v) = auth.get(key) {
                    if v.intrinsic().is_none() {
                        out.push(Hit::fail(
                            &r.id,
                            v.pos,
                            format!("credential `{key}` written in Metadata"),
                        ));
                    }
                }
            }
        }
    }
}

fn literal_secret(name: &str, v: &Node) -> bool {
    secret_key().is_match(name)
        && alternatives(v)
            .iter()
            .any(|a| matches!(&a.value, Value::Str(s) if !s.is_empty() && !dynamic_ref(s)))
}

fn lambda_env(m: &Model, out: &mut Vec<Hit>) {
    for r in m.of_type("AWS::Lambda::Function") {
        for vars in present(&r.props, "Environment.Variables") {
            for e in vars.entries() {
                if literal_secret(&e.key, &e.value) {
                    out.push(Hit::fail(
                        &r.id,
                        e.key_pos,
                        format!("environment variable {} holds a plaintext secret", e.key),
                    ));
                }
            }
        }
    }
}

fn ecs_env(m: &Model, out: &mut Vec<Hit>) {
    for r in m.of_type("AWS::ECS::TaskDefinition") {
        for env in present(&r.props, "ContainerDefinitions.*.Environment.*") {
            let name = env.get("Name").and_then(Node::as_str).unwrap_or_default();
            if let Some(v) = env.get("Value") {
                if literal_secret(name, v) {
                    out.push(Hit::fail(
                        &r.id,
                        env.pos,
                        format!(
                            "container environment {name} holds a plaintext secret (use Secrets)"
                        ),
                    ));
                }
            }
        }
    }
}

fn secret_param_echo(m: &Model, out: &mut Vec<Hit>) {
    let Some(params) = m.root.get("Parameters") else {
        return;
    };
    for e in params.entries() {
        let ty = e
            .value
            .get("Type")
            .and_then(Node::as_str)
            .unwrap_or("String");
        let no_echo = m.resolver.params.get(&e.key).is_some_and(|p| p.no_echo);
        if ty == "String" && !no_echo && secret_key().is_match(&e.key) {
            out.push(Hit::fail(
                &format!("Parameters.{}", e.key),
                e.key_pos,
                format!("parameter {} looks like a secret but is not NoEcho", e.key),
            ));
        }
    }
}

fn user_data_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?i)\b(password|passwd|secret|api_?key)\s*[=:]\s*["']?[A-Za-z0-9+/!@#%^&*_\-]{6,}"#,
        )
        .expect("constant regex")
    })
}

fn user_data_of<'r>(r: &'r Resource) -> Vec<&'r Node> {
    let mut v = present(&r.props, "UserData");
    v.extend(present(&r.props, "LaunchTemplateData.UserData"));
    v
}

fn user_data(m: &Model, out: &mut Vec<Hit>) {
    for r in &m.resources {
        for ud in user_data_of(r) {
            if let Some(t) = text(ud) {
                if user_data_re().is_match(t) {
                    out.push(Hit::fail(
                        &r.id,
                        ud.pos,
                        "user data assigns a literal secret",
                    ));
                }
            }
        }
    }
}
