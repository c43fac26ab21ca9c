//! The queue policies of the hub stack, derived from its rules: every rule that delivers to a
//! queue (its target) or dead-letters into it (`DeadLetterConfig`) must be admitted by the
//! queue's policy, and nothing else may send to it. The renderer writes the list of rule ARNs
//! for a queue between `# generated: sources-of <Queue>` markers, read from the template
//! itself, so a new rule cannot be left out.

use serde_json::{json, Map, Value};

/// The rules of a template (as CloudFormation's long-form JSON) that send to queue `queue`
/// (a logical id), each with its `Condition` if it has one.
pub fn senders(template: &Value, queue: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return out;
    };
    for (name, r) in resources {
        if r.get("Type").and_then(Value::as_str) != Some("AWS::Events::Rule") {
            continue;
        }
        let targets = r
            .pointer("/Properties/Targets")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let names_queue = |v: Option<&Value>| {
            v.and_then(|a| a.get("Fn::GetAtt"))
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                == Some(queue)
        };
        let sends = targets
            .iter()
            .any(|t| names_queue(t.get("Arn")) || names_queue(t.pointer("/DeadLetterConfig/Arn")));
        if sends {
            let condition = r
                .get("Condition")
                .and_then(Value::as_str)
                .map(str::to_string);
            out.push((name.clone(), condition));
        }
    }
    out.sort();
    out
}

/// The `aws:SourceArn` condition admitting exactly those rules (a conditional rule's ARN only
/// when its condition holds: naming an absent resource would fail the stack).
pub fn condition(senders: &[(String, Option<String>)]) -> Value {
    let arns: Vec<Value> = senders
        .iter()
        .map(|(rule, cond)| {
            let arn = json!({"Fn::GetAtt": [rule, "Arn"]});
            match cond {
                Some(c) => json!({"Fn::If": [c, arn, {"Ref": "AWS::NoValue"}]}),
                None => arn,
            }
        })
        .collect();
    let mut inner = Map::new();
    inner.insert("aws:SourceArn".into(), Value::Array(arns));
    json!({ "ArnEquals": inner })
}

/// The condition for `# generated: sources-of <Queue>` in `template_text`.
pub fn document(template_text: &str, queue: &str) -> Result<Value, String> {
    let (node, _) = rampart_template::parse::parse_document("template", template_text)
        .map_err(|e| format!("cannot parse the template: {e}"))?;
    let t = node.to_json();
    if t.pointer(&format!("/Resources/{queue}")).is_none() {
        return Err(format!("the template has no resource {queue}"));
    }
    let s = senders(&t, queue);
    if s.is_empty() {
        return Err(format!("no rule sends to {queue}"));
    }
    Ok(condition(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_that_sends_to_the_queue_is_admitted() {
        let text = r#"
Conditions:
  Auto: !Equals [a, a]
Resources:
  Q:
    Type: AWS::SQS::Queue
  Direct:
    Type: AWS::Events::Rule
    Properties:
      Targets: [{Id: q, Arn: !GetAtt Q.Arn}]
  Dead:
    Type: AWS::Events::Rule
    Condition: Auto
    Properties:
      Targets: [{Id: f, Arn: !GetAtt F.Arn, DeadLetterConfig: {Arn: !GetAtt Q.Arn}}]
  Other:
    Type: AWS::Events::Rule
    Properties:
      Targets: [{Id: f, Arn: !GetAtt F.Arn}]
"#;
        let doc = document(text, "Q").unwrap();
        let arns = doc["ArnEquals"]["aws:SourceArn"].as_array().unwrap();
        assert_eq!(arns.len(), 2, "{doc}");
        assert_eq!(arns[0]["Fn::If"][0], "Auto");
        assert_eq!(arns[0]["Fn::If"][1]["Fn::GetAtt"][0], "Dead");
        assert_eq!(arns[1]["Fn::GetAtt"][0], "Direct");
        assert!(document(text, "Nope").is_err());
    }
}
