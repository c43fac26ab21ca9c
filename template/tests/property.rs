//! Property test: random templates with nesting, YAML anchors and aliases, and intrinsic
//! functions (including self-referencing `Fn::FindInMap`s, condition cycles and
//! `Fn::ForEach`) never make the audit panic, and whatever the parser and the resolver
//! accept stays within the budgets: the tree they build is no larger or deeper than counted,
//! the resources no more than allowed, the resolution steps no more than allowed.

use std::collections::HashMap;

use proptest::prelude::*;
use rampart_template::audit::{audit_text, AuditConfig, Limits};
use rampart_template::budget::{Budget, Deadline};
use rampart_template::model::Model;
use rampart_template::node::{Node, Value};
use rampart_template::parse::parse_document_with;

/// Small limits, so that random documents reach them often.
const LIMITS: Limits = Limits {
    bytes: 64 * 1024,
    nodes: 4_000,
    depth: 24,
    resources: 12,
    steps: 3_000,
    time_ms: 0,
};

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,6}",
        "[0-9]{1,4}",
        Just("0.0.0.0/0".to_string()),
        Just("'*'".to_string()),
        Just("true".to_string()),
        Just("'22'".to_string()),
        Just("'a,b,c'".to_string()),
    ]
}

/// A YAML flow value: scalars, aliases (possibly to anchors not defined: a parse error),
/// short-form intrinsics, and recursively lists, maps, anchors and intrinsics over values.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        scalar(),
        (0..4u8).prop_map(|i| format!("*a{i}")),
        (0..3u8).prop_map(|i| format!("!Ref P{i}")),
        Just("!Ref 'AWS::Region'".to_string()),
        Just("!Ref 'AWS::NoValue'".to_string()),
        (0..3u8).prop_map(|i| format!("!Sub 'x-${{P{i}}}-${{AWS::Region}}'")),
        (0..3u8, 0..3u8).prop_map(|(a, b)| format!("!FindInMap [M, K{a}, V{b}]")),
        Just("!FindInMap [M, !Ref 'AWS::Region', V0]".to_string()),
        (0..3u8).prop_map(|i| format!("!GetAtt R{i}.Arn")),
    ];
    leaf.prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(("[A-Z][a-z]{0,5}", inner.clone()), 0..4).prop_map(|v| {
                let entries: Vec<String> = v.iter().map(|(k, x)| format!("{k}: {x}")).collect();
                format!("{{{}}}", entries.join(", "))
            }),
            // An anchor or a tag cannot sit on an alias: they take a list around the value.
            (0..4u8, inner.clone()).prop_map(|(i, x)| format!("&a{i} [{x}]")),
            (0..3u8, inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("!If [C{c}, {a}, {b}]")),
            (inner.clone(), prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(d, v)| format!("!Join [{d}, [{}]]", v.join(", "))),
            inner
                .clone()
                .prop_map(|x| format!("!Select [0, !Split [',', {x}]]")),
            inner.clone().prop_map(|x| format!("!ToJsonString [{x}]")),
            inner.prop_map(|x| format!("!Sub ['${{A}}${{A}}${{A}}', {{A: {x}}}]")),
        ]
    })
}

const TYPES: [&str; 6] = [
    "AWS::EC2::SecurityGroup",
    "AWS::S3::Bucket",
    "AWS::IAM::Role",
    "AWS::EC2::Volume",
    "AWS::RDS::DBInstance",
    "AWS::Lambda::Function",
];

const PROPS: [&str; 8] = [
    "SecurityGroupIngress",
    "AccessControl",
    "Policies",
    "Encrypted",
    "PubliclyAccessible",
    "Environment",
    "CidrIp",
    "Tags",
];

/// Anchors `a0`..`a3` defined before any alias can name them: each aliases the previous one
/// `fan` times, so the expansion grows geometrically (up to 11^3 copies of `seed`).
fn anchors() -> impl Strategy<Value = String> {
    (scalar(), prop::collection::vec(1..12usize, 3)).prop_map(|(seed, fan)| {
        let mut t = format!("Metadata:\n  A0: &a0 [{seed}, {seed}]\n");
        for (i, n) in fan.iter().enumerate() {
            let items = vec![format!("*a{i}"); *n].join(", ");
            t.push_str(&format!("  A{}: &a{} [{items}]\n", i + 1, i + 1));
        }
        t
    })
}

/// A whole template built from random values.
fn template() -> impl Strategy<Value = String> {
    (
        anchors(),
        scalar(),
        prop::collection::vec(value(), 9),
        prop::collection::vec(
            (
                0..TYPES.len(),
                prop::collection::vec((0..PROPS.len(), value()), 0..4),
            ),
            0..5,
        ),
        value(),
        value(),
    )
        .prop_map(|(anchors, default, mapped, resources, collection, condition)| {
            let mut t = format!(
                "{anchors}Transform: AWS::LanguageExtensions\nParameters:\n  P0: {{Type: String, Default: {default}}}\n  P1: {{Type: CommaDelimitedList, Default: 'a,b'}}\n  P2: {{Type: String}}\nConditions:\n  C0: !Equals [!Ref P0, {condition}]\n  C1: !Or [!Condition C0, !Equals [!Ref 'AWS::Region', us-east-1]]\n  C2: !Not [!Condition C2]\nMappings:\n  M:\n"
            );
            for k in 0..3 {
                let vs: Vec<String> = (0..3)
                    .map(|v| format!("V{v}: {}", mapped[k * 3 + v]))
                    .collect();
                t.push_str(&format!("    K{k}: {{{}}}\n", vs.join(", ")));
            }
            t.push_str("Resources:\n");
            for (i, (ty, props)) in resources.iter().enumerate() {
                let ps: Vec<String> = props
                    .iter()
                    .map(|(p, v)| format!("{}: {v}", PROPS[*p]))
                    .collect();
                t.push_str(&format!(
                    "  R{i}:\n    Type: {}\n    Properties: {{{}}}\n",
                    TYPES[*ty],
                    ps.join(", ")
                ));
            }
            t.push_str(&format!(
                "  Fn::ForEach::L:\n    - I\n    - {collection}\n    - X${{I}}: {{Type: AWS::SNS::Topic, Properties: {{TopicName: !Ref I}}}}\n      Y${{I}}: {{Type: AWS::SNS::Topic}}\n  Fn::ForEach::N:\n    - J\n    - !Split [',', {default}]\n    - Z${{J}}: {{Type: AWS::SQS::Queue, Properties: {{QueueName: !Ref J}}}}\n"
            ));
            t
        })
}

/// Nodes, bytes of text and depth of a parsed tree.
fn measure(n: &Node) -> (u64, u64, u64) {
    let (mut nodes, mut bytes, mut depth) = (1, 0, 0);
    let mut add = |c: &Node, key: usize| {
        let (n2, b2, d2) = measure(c);
        nodes += n2;
        bytes += b2 + key as u64;
        depth = depth.max(d2);
    };
    match &n.value {
        Value::Str(s) | Value::Num(s) => bytes += s.len() as u64,
        Value::Seq(items) => items.iter().for_each(|c| add(c, 0)),
        Value::Map(entries) => entries.iter().for_each(|e| add(&e.value, e.key.len())),
        _ => {}
    }
    (nodes, bytes, depth + 1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_templates_never_panic_and_stay_within_budgets(text in template()) {
        if let Ok((root, _)) = parse_document_with("p.yaml", &text, &LIMITS, Deadline::NONE) {
            let (nodes, bytes, depth) = measure(&root);
            prop_assert!(nodes <= LIMITS.nodes, "{nodes} nodes");
            prop_assert!(bytes <= LIMITS.bytes, "{bytes} bytes");
            prop_assert!(depth <= LIMITS.depth, "depth {depth}");
            match Model::build(&root, &HashMap::new(), &LIMITS, Deadline::NONE) {
                Ok(m) => {
                    prop_assert!(m.resources.len() as u64 <= LIMITS.resources);
                    prop_assert!(m.resolver.meter.steps() <= LIMITS.steps);
                }
                Err(e) => prop_assert!(
                    matches!(e.budget, Budget::Steps | Budget::Resources),
                    "{e}"
                ),
            }
        }
        let cfg = AuditConfig { limits: LIMITS, ..AuditConfig::default() };
        let r = audit_text("p.yaml", &text, &cfg);
        let error = r.error.unwrap_or_default();
        prop_assert!(!error.contains("internal error"), "{error}\n{text}");
        if let Some(b) = &r.budget {
            let named = format!("{} budget exceeded", b.budget.name());
            prop_assert!(error.contains(&named), "{}", error);
        }
    }
}
