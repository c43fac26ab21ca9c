//! Output formats: SARIF validated against the SARIF 2.1.0 schema, JUnit, JSON and text.

use rampart_template::audit::{audit_text, AuditConfig};
use rampart_template::cli::{render, OutputFormat};
use rampart_template::report::sarif::security_severity;

const TEMPLATE: &str = "Resources:
  SG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: 'a <b> & \"c\"'
      SecurityGroupIngress:
        - {IpProtocol: '-1', CidrIp: 0.0.0.0/0}
  V:
    Type: AWS::EC2::Volume
    Metadata:
      rampart:
        suppress: [{id: DATA-10, reason: scratch}]
    Properties: {Size: 1}
";

fn reports() -> (Vec<rampart_template::TemplateReport>, AuditConfig) {
    let cfg = AuditConfig::default();
    let r = vec![
        audit_text("templates/sg.yaml", TEMPLATE, &cfg),
        audit_text("templates/bad.yaml", "Resources: [\n", &cfg),
    ];
    (r, cfg)
}

#[test]
fn sarif_validates_against_the_schema() {
    let (r, cfg) = reports();
    let doc: serde_json::Value =
        serde_json::from_str(&render(OutputFormat::Sarif, &r, &cfg)).expect("SARIF is JSON");
    // The official SARIF 2.1.0 (rtm.5) schema, and a stricter subset that also forbids
    // properties Rampart does not mean to write.
    for (name, text) in [
        (
            "official",
            include_str!("fixtures/sarif-2.1.0-rtm.5.schema.json"),
        ),
        (
            "subset",
            include_str!("fixtures/sarif-2.1.0-subset.schema.json"),
        ),
    ] {
        let schema: serde_json::Value = serde_json::from_str(text).expect("schema is JSON");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name} schema: {errors:#?}");
    }

    let run = &doc["runs"][0];
    assert_eq!(doc["version"], "2.1.0");
    let results = run["results"].as_array().expect("results");
    let r0 = results
        .iter()
        .find(|r| r["ruleId"] == "NET-05")
        .expect("NET-05 result");
    let loc = &r0["locations"][0]["physicalLocation"];
    // Relative to the repository root (the test runs in the crate directory).
    let uri = loc["artifactLocation"]["uri"].as_str().unwrap_or_default();
    assert!(
        uri.ends_with("templates/sg.yaml") && !uri.starts_with('/'),
        "{uri}"
    );
    assert_eq!(loc["region"]["startLine"], 7);
    // A finding on a resource's logical id spans the id.
    let v = results
        .iter()
        .find(|r| r["ruleId"] == "DATA-10")
        .expect("DATA-10");
    let region = &v["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (
            region["startLine"].as_u64(),
            region["startColumn"].as_u64(),
            region["endColumn"].as_u64()
        ),
        (Some(8), Some(3), Some(4))
    );
    assert!(r0["partialFingerprints"]["rampartFinding/v1"]
        .as_str()
        .is_some_and(|s| s.len() == 64));
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .and_then(|rs| rs.iter().find(|x| x["id"] == "NET-05"))
        .expect("rule");
    assert_eq!(rule["properties"]["security-severity"], "10.0");
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "DATA-10" && r["suppressions"][0]["kind"] == "inSource"));
    assert_eq!(
        run["invocations"][0]["executionSuccessful"], false,
        "bad.yaml is an error"
    );
}

#[test]
fn sarif_fingerprints_are_stable_across_line_shifts() {
    let cfg = AuditConfig::default();
    let a = render(
        OutputFormat::Sarif,
        &[audit_text("t.yaml", TEMPLATE, &cfg)],
        &cfg,
    );
    let shifted = format!("# a comment\n\n{TEMPLATE}");
    let b = render(
        OutputFormat::Sarif,
        &[audit_text("t.yaml", &shifted, &cfg)],
        &cfg,
    );
    let fps = |s: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(s).unwrap_or_default();
        v["runs"][0]["results"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .map(|r| r["partialFingerprints"].to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(!fps(&a).is_empty());
    assert_eq!(fps(&a), fps(&b));
}

#[test]
fn security_severity_buckets() {
    assert_eq!(security_severity(0), "0.1");
    assert_eq!(security_severity(3), "3.0");
    assert_eq!(security_severity(7), "7.0");
    assert_eq!(security_severity(25), "10.0");
}

#[test]
fn junit_is_escaped_and_counts_failures() {
    let (r, cfg) = reports();
    let x = render(OutputFormat::Junit, &r, &cfg);
    assert!(x.starts_with("<?xml"));
    assert!(x.contains("<failure message=\"FAIL (risk"));
    assert!(x.contains("<skipped message=\"suppressed by rampart: scratch\"/>"));
    assert!(x.contains("<error type=\"error\" message="));
    assert!(!x.contains("<b>"), "XML special characters must be escaped");
    assert_eq!(x.matches("<testsuite ").count(), 2);
    assert_eq!(
        rampart_template::report::junit::escape("a<&>\"'\u{1}"),
        "a&lt;&amp;&gt;&quot;&apos;"
    );
}

#[test]
fn text_and_json_show_location_rule_resource_risk_decision() {
    let (r, cfg) = reports();
    let t = render(OutputFormat::Text, &r, &cfg);
    assert!(
        t.contains("templates/sg.yaml:7:11  NET-05  risk 10  SG  "),
        "{t}"
    );
    assert!(t.contains("templates/sg.yaml: FAIL (risk"), "{t}");
    assert!(t.contains("SUPPRESSED by rampart: scratch"), "{t}");
    assert!(
        t.contains("templates/bad.yaml: ERROR: templates/bad.yaml:"),
        "{t}"
    );
    let j: serde_json::Value =
        serde_json::from_str(&render(OutputFormat::Json, &r, &cfg)).expect("json");
    assert_eq!(j["decision"], "ERROR");
    assert_eq!(j["templates"][0]["decision"], "FAIL");
    assert!(j["templates"][0]["findings"][0]["rule_id"].is_string());
}

#[test]
fn junit_is_well_formed_xml() {
    let (r, cfg) = reports();
    let x = render(OutputFormat::Junit, &r, &cfg);
    let mut reader = quick_xml::Reader::from_str(&x);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                match e.name().as_ref() {
                    "testcase" => cases += 1,
                    "failure" => failures += 1,
                    _ => {}
                }
            }
            Ok(_) => {}
            Err(e) => panic!("malformed JUnit XML at {}: {e}", reader.buffer_position()),
        }
    }
    assert!(
        cases >= 3 && failures >= 2,
        "{cases} cases, {failures} failures"
    );
}

#[test]
fn every_format_lists_the_suppressions_applied_and_refused() {
    use rampart_template::audit::{SuppressionMode, SuppressionPolicy};
    let (r, cfg) = reports();
    let text = render(OutputFormat::Text, &r, &cfg);
    assert!(
        text.contains("templates/sg.yaml:12:20  suppression  rampart DATA-10 of DATA-10 on V; applied to 1 finding(s); reason: scratch"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&render(OutputFormat::Json, &r, &cfg)).expect("JSON");
    let s = &json["templates"][0]["suppressions"][0];
    assert_eq!(
        (&s["rule_id"], &s["resource"], &s["findings"], &s["refused"]),
        (
            &serde_json::json!("DATA-10"),
            &serde_json::json!("V"),
            &serde_json::json!(1),
            &serde_json::Value::Null
        )
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&render(OutputFormat::Sarif, &r, &cfg)).expect("SARIF");
    let listed = &sarif["runs"][0]["properties"]["suppressions"][0];
    assert_eq!(listed["status"], "accepted");
    assert_eq!(listed["line"], 12);
    let junit = render(OutputFormat::Junit, &r, &cfg);
    assert!(
        junit.contains("<property name=\"suppression\" value=\"rampart DATA-10 of DATA-10 on V (line 12): applied to 1 finding(s); reason: scratch\"/>"),
        "{junit}"
    );

    // With suppressions switched off, the same entry is listed as refused and the finding
    // scores.
    let cfg = AuditConfig {
        suppression: SuppressionPolicy {
            mode: SuppressionMode::None,
            ceiling: None,
        },
        ..AuditConfig::default()
    };
    let r = vec![audit_text("templates/sg.yaml", TEMPLATE, &cfg)];
    assert!(r[0].failed_rules.contains(&"DATA-10".to_string()));
    let text = render(OutputFormat::Text, &r, &cfg);
    assert!(
        text.contains(
            "REFUSED for 1 finding(s): the configuration does not allow suppressions in templates"
        ),
        "{text}"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&render(OutputFormat::Sarif, &r, &cfg)).expect("SARIF");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .and_then(|rs| rs.iter().find(|x| x["ruleId"] == "DATA-10"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(result["suppressions"][0]["status"], "rejected", "{result}");
    let junit = render(OutputFormat::Junit, &r, &cfg);
    assert!(junit.contains("refused for 1 finding(s)"), "{junit}");
}
