//! Resolver, suppression, scoring, rule packs (seed and structured), parameters and CLI.

use std::collections::HashMap;

use rampart_template::audit::{audit_text, AuditConfig, Decision, Status, Thresholds};
use rampart_template::cli::parse_parameters;
use rampart_template::node::Value;
use rampart_template::rules::{builtin_lookup, pack::parse_pack};

fn ids(src: &str, cfg: &AuditConfig) -> Vec<(String, Status, bool)> {
    let r = audit_text("t.yaml", src, cfg);
    assert!(r.error.is_none(), "{:?}", r.error);
    r.findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.status, f.suppressed.is_some()))
        .collect()
}

fn has(v: &[(String, Status, bool)], id: &str, st: Status) -> bool {
    v.iter().any(|(i, s, sup)| i == id && *s == st && !sup)
}

const SSH_PARAM: &str = "Parameters:
  SSHLocation: {Type: String, Default: 0.0.0.0/0}
  Port: {Type: Number}
Resources:
  SG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: d
      SecurityGroupEgress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}]
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref SSHLocation}
";

#[test]
fn ref_to_parameter_default_is_resolved() {
    let cfg = AuditConfig::default();
    assert!(has(&ids(SSH_PARAM, &cfg), "NET-01", Status::Fail));
}

#[test]
fn supplied_parameters_override_defaults_in_both_file_formats() {
    let mut cfg = AuditConfig::default();
    let a = parse_parameters(
        "p.json",
        r#"{"Parameters": {"SSHLocation": "10.0.0.1/32"}}"#,
    )
    .unwrap_or_default();
    let b = parse_parameters(
        "p.json",
        r#"[{"ParameterKey": "SSHLocation", "ParameterValue": "10.0.0.1/32"}]"#,
    )
    .unwrap_or_default();
    assert_eq!(a, b);
    assert_eq!(
        a.get("SSHLocation").map(String::as_str),
        Some("10.0.0.1/32")
    );
    cfg.parameters = a;
    assert!(!ids(SSH_PARAM, &cfg).iter().any(|(i, _, _)| i == "NET-01"));
    assert!(parse_parameters("p.json", "[{\"ParameterKey\": 1}]").is_err());
}

#[test]
fn parameter_without_value_is_unresolved_not_safe() {
    let src = SSH_PARAM
        .replace("CidrIp: !Ref SSHLocation", "CidrIp: !Ref Cidr")
        .replace(
            "  Port: {Type: Number}",
            "  Port: {Type: Number}\n  Cidr: {Type: String}",
        );
    let v = ids(&src, &AuditConfig::default());
    assert!(has(&v, "NET-01", Status::Unresolved), "{v:?}");
    let r = audit_text("t.yaml", &src, &AuditConfig::default());
    assert!(
        !r.failed_rules.contains(&"NET-01".to_string()),
        "unresolved findings are not scored: {:?}",
        r.findings
    );
}

#[test]
fn standalone_ingress_is_attached_to_its_group() {
    let src = "Resources:
  SG:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: d, SecurityGroupEgress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}]}
  In:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !GetAtt SG.GroupId, IpProtocol: '-1', CidrIpv6: '::/0'}
";
    let r = audit_text("t.yaml", src, &AuditConfig::default());
    let f = r
        .findings
        .iter()
        .find(|f| f.rule_id == "NET-05")
        .expect("NET-05");
    assert_eq!(f.resource, "In");
    assert!(f.message.contains("group SG"), "{}", f.message);
    assert_eq!(f.line, 7);
}

#[test]
fn conditions_are_decided_when_possible_else_both_branches() {
    let base = |env: &str| {
        format!(
            "Parameters:
  Env: {{Type: String, Default: {env}}}
  Other: {{Type: String}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Unknown: !Equals [!Ref Other, x]
  Both: !And [!Condition IsProd, !Not [!Condition IsProd]]
Resources:
  B:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: !If [IsProd, Private, PublicRead]
  C:
    Type: AWS::S3::Bucket
    Condition: Both
    Properties: {{AccessControl: PublicReadWrite}}
  D:
    Type: AWS::EBS::Nothing
  E:
    Type: AWS::EC2::Volume
    Properties: {{Encrypted: !If [Unknown, true, false]}}
"
        )
    };
    let cfg = AuditConfig::default();
    let prod = ids(&base("prod"), &cfg);
    assert!(!has(&prod, "DATA-01", Status::Fail));
    assert!(
        !prod.iter().any(|(i, _, _)| i == "DATA-02"),
        "C is never deployed"
    );
    assert!(
        has(&prod, "DATA-10", Status::Fail),
        "undecided If: the false branch counts"
    );
    let dev = ids(&base("dev"), &cfg);
    assert!(has(&dev, "DATA-01", Status::Fail));
}

#[test]
fn many_conditions_do_not_explode() {
    // 200 chained undecidable conditions and ifs: linear, not 2^200.
    let mut src =
        String::from("Parameters:\n  P: {Type: String}\nConditions:\n  C0: !Equals [!Ref P, a]\n");
    for i in 1..200 {
        src.push_str(&format!(
            "  C{i}: !Or [!Condition C{}, !Equals [!Ref P, x{i}]]\n",
            i - 1
        ));
    }
    src.push_str(
        "Resources:\n  V:\n    Type: AWS::EC2::Volume\n    Properties:\n      Encrypted: ",
    );
    for i in 0..50 {
        src.push_str(&format!("!If [C{i}, true, "));
    }
    src.push_str("false");
    src.push_str(&"]".repeat(50));
    src.push('\n');
    let t = std::time::Instant::now();
    let v = ids(&src, &AuditConfig::default());
    assert!(has(&v, "DATA-10", Status::Fail));
    assert!(t.elapsed().as_secs() < 5);
}

#[test]
fn sub_findinmap_select_join_split_resolve() {
    let src = "Parameters:
  Cidr: {Type: String, Default: '0.0.0.0'}
Mappings:
  Net: {us-east-1: {Open: 0.0.0.0/0}, eu-west-1: {Open: 0.0.0.0/0}}
Resources:
  SG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: d
      SecurityGroupEgress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}]
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Sub '${Cidr}/0'}
        - {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: !FindInMap [Net, !Ref 'AWS::Region', Open]}
        - {IpProtocol: tcp, FromPort: 3306, ToPort: 3306, CidrIp: !Select [1, !Split [',', '10.0.0.0/8,0.0.0.0/0']]}
        - {IpProtocol: tcp, FromPort: 23, ToPort: 23, CidrIp: !Join ['/', ['0.0.0.0', '0']]}
";
    let v = ids(src, &AuditConfig::default());
    for id in ["NET-01", "NET-02", "NET-03", "NET-04"] {
        assert!(has(&v, id, Status::Fail), "{id}: {v:?}");
    }
}

#[test]
fn resolver_values_are_classified() {
    let (root, _) = rampart_template::parse::parse_document(
        "t.yaml",
        "Parameters:\n  P: {Type: String}\nResources:\n  R: {Type: AWS::S3::Bucket}\n",
    )
    .expect("parses");
    let r = rampart_template::resolve::Resolver::new(&root, &HashMap::new());
    let pos = Default::default();
    assert!(matches!(r.reference("R", pos).value, Value::Opaque(_)));
    assert!(matches!(r.reference("P", pos).value, Value::Unknown(_)));
    assert!(matches!(
        r.reference("AWS::Region", pos).value,
        Value::Opaque(_)
    ));
    assert_eq!(
        r.reference("AWS::Partition", pos).value,
        Value::Str("aws".into())
    );
    assert_eq!(r.reference("AWS::NoValue", pos).value, Value::Absent);
}

#[test]
fn suppressions_are_reported_not_dropped() {
    let src = "Resources:
  A:
    Type: AWS::EC2::Volume
    Metadata:
      rampart:
        suppress: [{id: DATA-10, reason: scratch disk}]
    Properties: {Size: 1}
  B:
    Type: AWS::EC2::Volume
    Metadata:
      cfn_nag:
        rules_to_suppress: [{id: F1, reason: legacy}]
    Properties: {Size: 1}
  C:
    Type: AWS::EC2::Volume
    Metadata:
      guard: {SuppressedRules: [ENCRYPTED_VOLUMES]}
    Properties: {Size: 1}
  D:
    Type: AWS::EC2::Volume
    Metadata:
      checkov: {skip: [{id: CKV_AWS_3, comment: test}]}
    Properties: {Size: 1}
  E:
    Type: AWS::EC2::Volume
    Metadata:
      rampart.suppress: [{id: DATA-10}]
    Properties: {Size: 1}
";
    let r = audit_text("t.yaml", src, &AuditConfig::default());
    let by: HashMap<&str, Option<&str>> = r
        .findings
        .iter()
        .filter(|f| f.rule_id == "DATA-10")
        .map(|f| {
            (
                f.resource.as_str(),
                f.suppressed.as_ref().map(|s| s.source.as_str()),
            )
        })
        .collect();
    assert_eq!(by.get("A"), Some(&Some("rampart")));
    assert_eq!(by.get("B"), Some(&Some("cfn_nag")));
    assert_eq!(by.get("C"), Some(&Some("guard")));
    assert_eq!(by.get("D"), Some(&Some("checkov")));
    assert_eq!(
        by.get("E"),
        Some(&None),
        "a Rampart suppression needs a reason"
    );
    assert!(r.issues.iter().any(|i| i.message.contains("no reason")));
    assert_eq!(r.failed_rules, vec!["DATA-10".to_string()]);
}

#[test]
fn risk_is_summed_per_failed_rule_and_thresholds_decide() {
    let t = Thresholds::default();
    assert_eq!(t.decide(4), Decision::Pass);
    assert_eq!(t.decide(5), Decision::Approval);
    assert_eq!(t.decide(9), Decision::Approval);
    assert_eq!(t.decide(10), Decision::Fail);
    assert_eq!(
        Thresholds::parse("3, 6"),
        Ok(Thresholds {
            approval: 3,
            fail: 6
        })
    );
    assert!(Thresholds::parse("6,3").is_err());
    assert!(Thresholds::parse("x").is_err());
    // Two unencrypted volumes: DATA-10 (risk 3) counts once.
    let src = "Resources:\n  A: {Type: AWS::EC2::Volume, Properties: {Size: 1}}\n  B: {Type: AWS::EC2::Volume, Properties: {Size: 1}}\n";
    let r = audit_text("t.yaml", src, &AuditConfig::default());
    assert_eq!(r.risk_total, 3);
    assert_eq!(r.decision, Decision::Pass);
}

const SEED_PACK: &str = r#"
- rule: AllowHttp
  category: SecurityGroup
  ruletype: regex
  active: Y
  riskvalue: 3
  ruledata: '"FromPort": "?80"?\b'
- rule: SSHOpenToWorld
  category: SecurityGroup
  ruletype: regex
  active: Y
  riskvalue: 7
  ruledata: '"(FromPort|ToPort)": "?22"?,[\s\S]*"CidrIp": "0\.0\.0\.0/0"'
- rule: Disabled
  category: SecurityGroup
  ruletype: regex
  active: N
  riskvalue: 100
  ruledata: 'SecurityGroup'
"#;

#[test]
fn seed_rule_format_works_unchanged_on_rendered_json() {
    let rules = parse_pack("seed.yaml", SEED_PACK, &builtin_lookup).expect("seed pack parses");
    assert_eq!(rules.len(), 3);
    let cfg = AuditConfig {
        rules,
        ..AuditConfig::default()
    };
    // YAML with a parameter: the regex sees the resolved value in rendered JSON.
    let r = audit_text("t.yaml", SSH_PARAM, &cfg);
    assert_eq!(r.failed_rules, vec!["SSHOpenToWorld".to_string()]);
    assert_eq!(r.risk_total, 7);
    assert_eq!(r.decision, Decision::Approval);
    let json = r#"{"Resources": {"SG": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": "80", "ToPort": "80", "CidrIp": "0.0.0.0/0"}]}}}}"#;
    let r = audit_text("t.json", json, &cfg);
    assert_eq!(r.failed_rules, vec!["AllowHttp".to_string()]);
    assert_eq!(r.decision, Decision::Pass);
}

#[test]
fn structured_rules_and_overrides_from_a_pack() {
    let pack = r#"
rules:
  - id: TEAM-01
    title: Buckets must be tagged with an owner
    category: Governance
    ruletype: structured
    riskvalue: 2
    resource: AWS::S3::*
    path: Properties.Tags.*.Key
    operator: not_equals
    value: owner
  - id: TEAM-02
    title: No port 8443 from the world
    riskvalue: 5
    resource: AWS::EC2::SecurityGroup
    path: SecurityGroupIngress.*
    operator: port_open
    value: [8443]
  - id: DATA-10
    active: N
  - id: DATA-13
    riskvalue: 9
"#;
    let mut cfg = AuditConfig::default();
    let n = cfg.rules.len();
    cfg.add_rules(parse_pack("team.yaml", pack, &builtin_lookup).expect("parses"));
    assert_eq!(cfg.rules.len(), n + 2);
    let src = "Resources:
  B: {Type: AWS::S3::Bucket, Properties: {Tags: [{Key: team, Value: x}]}}
  V: {Type: AWS::EC2::Volume, Properties: {Size: 1}}
  SG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 8000, ToPort: 9000, CidrIp: 0.0.0.0/0}]
";
    let v = ids(src, &cfg);
    assert!(has(&v, "TEAM-01", Status::Fail), "{v:?}");
    assert!(has(&v, "TEAM-02", Status::Fail), "{v:?}");
    assert!(
        !v.iter().any(|(i, _, _)| i == "DATA-10"),
        "deactivated by the pack"
    );
    let risk = |id: &str| {
        cfg.rules
            .iter()
            .find(|r| r.meta.id == id)
            .map(|r| r.meta.risk)
    };
    assert_eq!(risk("DATA-13"), Some(9), "risk overridden");
    assert_eq!(risk("DATA-11"), Some(5), "others untouched");
}

#[test]
fn bad_packs_are_errors_with_the_file_name() {
    for bad in [
        "- {rule: X, riskvalue: 1, ruletype: regex, ruledata: '('}",
        "- {rule: X, ruletype: regex, ruledata: a}",
        "- {rule: X, riskvalue: 1, ruletype: nope}",
        "- {rule: X, riskvalue: 1, path: a, operator: bogus}",
        "- {rule: X, riskvalue: 1, ruletype: builtin}",
        "[unclosed",
    ] {
        let e = parse_pack("pack.yaml", bad, &builtin_lookup).expect_err(bad);
        assert!(e.to_string().starts_with("rule pack pack.yaml"), "{e}");
    }
}

#[test]
fn non_string_type_and_foreach_are_reported_per_resource() {
    let src = "Transform: AWS::LanguageExtensions
Resources:
  Mod:
    Type: !Rain::Module ./bucket.yml
  Fn::ForEach::Buckets:
    - Name
    - [a, b]
    - Bucket${Name}:
        Type: AWS::S3::Bucket
        Properties: {AccessControl: PublicReadWrite, BucketName: !Ref Name}
  Vol: {Type: AWS::EC2::Volume, Properties: {Size: 1}}
";
    let r = audit_text("t.yaml", src, &AuditConfig::default());
    assert!(r.error.is_none());
    assert!(r
        .issues
        .iter()
        .any(|i| i.resource.as_deref() == Some("Mod") && i.line == 3));
    assert!(r.issues.iter().any(|i| i.message.contains("ForEach")));
    assert!(
        r.failed_rules.contains(&"DATA-02".to_string()),
        "ForEach body audited"
    );
    assert!(
        r.failed_rules.contains(&"DATA-10".to_string()),
        "rest of file audited"
    );
}

#[test]
fn errors_name_the_file() {
    let r = audit_text(
        "broken.yaml",
        "Resources:\n  A: [\n",
        &AuditConfig::default(),
    );
    assert_eq!(r.decision, Decision::Error);
    assert!(r
        .error
        .as_deref()
        .is_some_and(|e| e.starts_with("broken.yaml:")));
    let r = audit_text("list.yaml", "- a\n- b\n", &AuditConfig::default());
    assert_eq!(r.decision, Decision::Error);
}

#[test]
fn sub_with_parameter_defaults_reaches_wildcards() {
    let src = "Parameters:
  Target: {Type: String, Default: '*'}
  Svc: {Type: String, Default: iam}
  Bucket: {Type: String}
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: !Sub '${Svc}:PassRole', Resource: !Sub '${Target}'}
          - {Effect: Allow, Action: 's3:GetObject', Resource: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*'}
";
    let v = ids(src, &AuditConfig::default());
    assert!(has(&v, "IAM-07", Status::Fail), "{v:?}");
    assert!(has(&v, "IAM-03", Status::Fail), "{v:?}");
    // The second statement's resource cannot be "*" whatever Bucket is.
    let r = audit_text("t.yaml", src, &AuditConfig::default());
    assert_eq!(
        r.findings.iter().filter(|f| f.rule_id == "IAM-03").count(),
        1
    );
}

#[test]
fn guard_and_checkov_blind_spots_are_covered() {
    // Description key, port range, protocol -1 without ports, IPv6: all open SSH to the world.
    for rule in [
        "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0, Description: admin}",
        "{IpProtocol: tcp, FromPort: 0, ToPort: 1024, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: '-1', CidrIp: 0.0.0.0/0}",
        "{IpProtocol: 6, FromPort: 22, ToPort: 22, CidrIpv6: '::/0'}",
    ] {
        let src = format!(
            "Resources:\n  SG:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: d\n      SecurityGroupIngress: [{rule}]\n"
        );
        assert!(
            has(&ids(&src, &AuditConfig::default()), "NET-01", Status::Fail),
            "{rule}"
        );
    }
}

#[test]
fn long_condition_chains_do_not_overflow_the_stack() {
    let mut src = String::from(
        "Parameters:\n  P: {Type: String, Default: a}\nConditions:\n  C0: !Equals [!Ref P, a]\n",
    );
    for i in 1..20_000 {
        src.push_str(&format!("  C{i}: !Not [!Condition C{}]\n", i - 1));
    }
    src.push_str("Resources:\n  V:\n    Type: AWS::EC2::Volume\n    Condition: C19999\n    Properties: {Size: 1}\n");
    // Decided or not, the audit must finish (the volume is kept when undecidable).
    let r = audit_text("t.yaml", &src, &AuditConfig::default());
    assert!(r.error.is_none(), "{:?}", r.error);
}

#[test]
fn foreach_over_an_unresolved_collection_is_audited_once() {
    let src = "Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList}
Resources:
  Fn::ForEach::Topics:
    - N
    - !Ref Names
    - Topic&{N}:
        Type: AWS::SNS::Topic
        Properties: {TopicName: !Ref N}
";
    let r = audit_text("t.yaml", src, &AuditConfig::default());
    let ids: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.rule_id == "DATA-17")
        .map(|f| f.resource.as_str())
        .collect();
    assert_eq!(ids, vec!["Topic&{N}"]);
    assert!(r.issues.iter().any(|i| i.message.contains("unresolved")));
    let mut cfg = AuditConfig::default();
    cfg.parameters.insert("Names".into(), "a-1, b.2".into());
    let r = audit_text("t.yaml", src, &cfg);
    let ids: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.rule_id == "DATA-17")
        .map(|f| f.resource.as_str())
        .collect();
    assert_eq!(ids, vec!["Topica1", "Topicb2"]);
}

#[test]
fn template_level_rampart_suppression_applies_everywhere() {
    let src = "Metadata:
  rampart:
    suppress: [{id: SEC-08, reason: test stack only}, {id: DATA-10}]
Parameters:
  DbPassword: {Type: String}
Resources:
  V: {Type: AWS::EC2::Volume, Properties: {Size: 1}}
";
    let r = audit_text("t.yaml", src, &AuditConfig::default());
    let sup = |id: &str| {
        r.findings
            .iter()
            .find(|f| f.rule_id == id)
            .map(|f| f.suppressed.is_some())
    };
    assert_eq!(sup("SEC-08"), Some(true));
    assert_eq!(sup("DATA-10"), Some(false), "no reason, not honoured");
}

#[test]
fn assembled_secret_strings_flag_only_secret_parameters() {
    let src = "Parameters:
  User: {Type: String, Default: admin}
  DbPassword: {Type: String}
Resources:
  S:
    Type: AWS::SecretsManager::Secret
    Properties:
      SecretString: !Sub '{\"username\": \"${User}\", \"password\": \"${DbPassword}\"}'
";
    let r = audit_text("t.yaml", src, &AuditConfig::default());
    let msgs: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.rule_id == "SEC-02")
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("parameter DbPassword")),
        "{msgs:?}"
    );
    assert!(
        !msgs.iter().any(|m| m.contains("parameter User")),
        "{msgs:?}"
    );
}

#[test]
fn unexpanded_transforms_are_reported() {
    let src = "Transform: [AWS::Serverless-2016-10-31, AWS::LanguageExtensions]\nResources:\n  T: {Type: AWS::SNS::Topic, Properties: {KmsMasterKeyId: k}}\n";
    let r = audit_text("t.yaml", src, &AuditConfig::default());
    let notes: Vec<&str> = r.issues.iter().map(|i| i.message.as_str()).collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("AWS::Serverless-2016-10-31"));
}

#[test]
fn parameter_types_and_allowed_values_shape_resolution() {
    let src = |allowed: &str| {
        format!(
            "Parameters:
  Cidr: {{Type: String, AllowedValues: [{allowed}]}}
  Sg: {{Type: 'AWS::EC2::SecurityGroup::Id'}}
  Ami: {{Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: /aws/service/ami}}
Resources:
  In:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {{GroupId: !Ref Sg, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}}
"
        )
    };
    let cfg = AuditConfig::default();
    let open = ids(&src("10.0.0.0/8, 0.0.0.0/0"), &cfg);
    assert!(
        has(&open, "NET-01", Status::Fail),
        "an allowed value opens SSH: {open:?}"
    );
    let closed = ids(&src("10.0.0.0/8, 192.168.0.0/16"), &cfg);
    assert!(!closed.iter().any(|(i, _, _)| i == "NET-01"), "{closed:?}");
    let (root, _) =
        rampart_template::parse::parse_document("t.yaml", &src("10.0.0.0/8")).expect("parses");
    let r = rampart_template::resolve::Resolver::new(&root, &HashMap::new());
    let pos = Default::default();
    assert!(matches!(r.reference("Sg", pos).value, Value::Opaque(_)));
    assert!(matches!(r.reference("Ami", pos).value, Value::Unknown(_)));
    assert_eq!(
        r.reference("Cidr", pos).value,
        Value::Str("10.0.0.0/8".into())
    );
}

#[test]
fn could_be_matches_placeholders_like_wildcards() {
    use rampart_template::rules::util::could_be;
    assert!(could_be("${P}", "*"));
    assert!(could_be("${P}", "0.0.0.0/0"));
    assert!(could_be("${A}.0.0.0/${B}", "0.0.0.0/0"));
    assert!(!could_be("arn:aws:s3:::${B}/*", "*"));
    assert!(could_be("a${X}b${Y}c", "aZZbYYc"));
    assert!(!could_be("a${X}b${Y}c", "acb"));
    assert!(could_be("${X}${Y}", ""));
    assert!(!could_be("literal", "*"));
    assert!(could_be("x${unterminated", "x${unterminated"));
}

#[test]
fn large_templates_stay_linear() {
    let mut src = String::from("Parameters:\n  Cidr: {Type: String}\nResources:\n");
    for i in 0..2000 {
        src.push_str(&format!(
            "  B{i}: {{Type: AWS::S3::Bucket}}\n  P{i}: {{Type: AWS::S3::BucketPolicy, Properties: {{Bucket: !Ref B{i}, PolicyDocument: {{Statement: [{{Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*', Condition: {{Bool: {{'aws:SecureTransport': false}}}}}}]}}}}}}\n  S{i}: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: d, SecurityGroupIngress: [{{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}}]}}}}\n  V{i}: {{Type: AWS::EC2::VPC, Properties: {{CidrBlock: 10.0.0.0/16}}}}\n  F{i}: {{Type: AWS::EC2::FlowLog, Properties: {{ResourceId: !Ref V{i}, ResourceType: VPC, TrafficType: ALL}}}}\n"
        ));
    }
    let t = std::time::Instant::now();
    let r = audit_text("big.yaml", &src, &AuditConfig::default());
    assert!(r.error.is_none());
    assert!(!r
        .findings
        .iter()
        .any(|f| f.rule_id == "DATA-07" || f.rule_id == "LOG-09"));
    assert_eq!(
        r.findings.iter().filter(|f| f.rule_id == "NET-01").count(),
        2000
    );
    assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
}

/// SSH ingress whose CIDR is a parameter without Default, constrained by `param` (YAML flow).
fn ssh_from(param: &str, key: &str) -> String {
    format!(
        "Parameters:
  Cidr: {{Type: String, {param}}}
  Public: {{Type: String, AllowedPattern: 'false'}}
Resources:
  SG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: d
      SecurityGroupEgress: [{{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}}]
      SecurityGroupIngress:
        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, {key}: !Ref Cidr}}
  Db:
    Type: AWS::RDS::DBInstance
    Properties: {{Engine: postgres, StorageEncrypted: true, PubliclyAccessible: !Ref Public}}
"
    )
}

#[test]
fn allowed_pattern_of_a_parameter_without_value_decides_world_cidr_and_equals() {
    let cfg = AuditConfig::default();
    let net01 = |src: &str| -> Vec<Status> {
        ids(src, &cfg)
            .into_iter()
            .filter(|(i, _, _)| i == "NET-01")
            .map(|(_, s, _)| s)
            .collect()
    };
    // A pattern that only admits 10.x.x.x CIDRs: SSH cannot be open to the world.
    let private = ssh_from(
        r"AllowedPattern: '^10\.\d{1,3}\.\d{1,3}\.\d{1,3}/(8|9|[12]\d|3[0-2])$'",
        "CidrIp",
    );
    assert!(net01(&private).is_empty(), "{:?}", ids(&private, &cfg));
    // The usual CIDR pattern of AWS samples (unanchored: CloudFormation matches the whole
    // value anyway) admits 0.0.0.0/0: still unresolved.
    let any = ssh_from(
        r"AllowedPattern: '(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/(\d{1,2})'",
        "CidrIp",
    );
    assert_eq!(net01(&any), vec![Status::Unresolved]);
    // An IPv6 pattern admitting ::/0 is not mistaken for "not 0.0.0.0/0, so safe".
    let v6 = ssh_from(r"AllowedPattern: '[0-9a-fA-F:]+/\d{1,3}'", "CidrIpv6");
    assert_eq!(net01(&v6), vec![Status::Unresolved]);
    // A pattern the regex crate cannot compile (look-ahead) constrains nothing.
    let lookahead = ssh_from(r"AllowedPattern: '(?!0\.0\.0\.0).*'", "CidrIp");
    assert_eq!(net01(&lookahead), vec![Status::Unresolved]);
    // Without a pattern: unresolved, as before.
    assert_eq!(
        net01(&ssh_from("Description: d", "CidrIp")),
        vec![Status::Unresolved]
    );
    // A structured `equals` rule: PubliclyAccessible can only be 'false'.
    assert!(!ids(&private, &cfg).iter().any(|(i, _, _)| i == "NET-15"));
}

#[test]
fn allowed_pattern_does_not_narrow_iam_questions() {
    // Policy checks ask more than "could it be exactly X" (`s3:*`, `iam:Pass*`, ...), so a
    // pattern does not narrow them: the action stays unresolved even though the pattern
    // excludes a bare `*`.
    let src = r"Parameters:
  Action: {Type: String, AllowedPattern: '[a-z0-9]+:[A-Za-z]+'}
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: !Ref Action, Resource: '*'}
";
    let v = ids(src, &AuditConfig::default());
    assert!(has(&v, "IAM-01", Status::Unresolved), "{v:?}");
}

#[test]
fn default_or_supplied_value_breaking_its_own_constraints_is_an_issue() {
    let src = |default: &str| {
        format!(
            "Parameters:
  Cidr: {{Type: String, Default: '{default}', AllowedPattern: '10\\.\\d+\\.\\d+\\.\\d+/\\d+'}}
  Env: {{Type: String, Default: staging, AllowedValues: [dev, prod]}}
  Azs: {{Type: CommaDelimitedList, Default: 'a,b', AllowedValues: [a, b, c]}}
Resources:
  T: {{Type: AWS::SNS::Topic}}
"
        )
    };
    let cfg = AuditConfig::default();
    let r = audit_text("t.yaml", &src("0.0.0.0/0"), &cfg);
    let msgs: Vec<&str> = r.issues.iter().map(|i| i.message.as_str()).collect();
    assert!(
        msgs.iter()
            .any(|m| m
                .contains("parameter Cidr: Default '0.0.0.0/0' does not match its AllowedPattern")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("parameter Env: Default 'staging' is not one of its AllowedValues")),
        "{msgs:?}"
    );
    assert!(
        !msgs.iter().any(|m| m.contains("parameter Azs")),
        "{msgs:?}"
    );
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    let issue = r
        .issues
        .iter()
        .find(|i| i.message.contains("Cidr"))
        .map(|i| i.line);
    assert_eq!(issue, Some(2));
    // A supplied value is checked instead of the Default.
    let cfg = AuditConfig {
        parameters: HashMap::from([
            ("Cidr".to_string(), "10.1.0.0/16".to_string()),
            ("Env".to_string(), "test".to_string()),
        ]),
        ..AuditConfig::default()
    };
    let r = audit_text("t.yaml", &src("0.0.0.0/0"), &cfg);
    let msgs: Vec<&str> = r.issues.iter().map(|i| i.message.as_str()).collect();
    assert_eq!(
        msgs,
        vec!["parameter Env: supplied value 'test' is not one of its AllowedValues; CloudFormation rejects the stack with it"]
    );
}
