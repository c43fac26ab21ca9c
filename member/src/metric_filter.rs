//! The CloudWatch Logs JSON filter-pattern grammar, parsed into terms.
//!
//! CIS section 4 asks whether a metric filter "contains" the CIS terms. String equality and
//! single regexes both misjudge real filters (spacing, quoting, term order, extra terms), so
//! patterns are parsed into `(selector, operator, value)` terms and compared as sets: a filter
//! satisfies a requirement when it contains every required term. Quoted and unquoted simple
//! values are equal.

use std::collections::BTreeSet;

/// One comparison in a filter pattern.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term {
    /// `$.eventName`, `$.userIdentity.type`, ...
    pub selector: String,
    /// `=`, `!=`, `<`, `<=`, `>`, `>=`, `EXISTS`, `NOT EXISTS`, `IS`.
    pub op: String,
    /// The value, unquoted; empty for EXISTS / NOT EXISTS.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    LBrace,
    RBrace,
    And,
    Or,
    Op(String),
    Word(String),
    Quoted(String),
}

fn tokenize(p: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            '{' => {
                out.push(Tok::LBrace);
                i += 1;
            }
            '}' => {
                out.push(Tok::RBrace);
                i += 1;
            }
            '&' if chars.get(i + 1) == Some(&'&') => {
                out.push(Tok::And);
                i += 2;
            }
            '|' if chars.get(i + 1) == Some(&'|') => {
                out.push(Tok::Or);
                i += 2;
            }
            '=' => {
                out.push(Tok::Op("=".into()));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push(Tok::Op("!=".into()));
                i += 2;
            }
            '<' | '>' => {
                if chars.get(i + 1) == Some(&'=') {
                    out.push(Tok::Op(format!("{c}=")));
                    i += 2;
                } else {
                    out.push(Tok::Op(c.to_string()));
                    i += 1;
                }
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated quoted value".into()),
                        Some('\\') => {
                            if let Some(n) = chars.get(i + 1) {
                                s.push(*n);
                            }
                            i += 2;
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Quoted(s));
            }
            _ => {
                let start = i;
                while i < chars.len() {
                    let ch = chars[i];
                    let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
                    if ch.is_whitespace()
                        || "(){}=<>\"".contains(ch)
                        || two == "&&"
                        || two == "||"
                        || two == "!="
                    {
                        break;
                    }
                    i += 1;
                }
                if i == start {
                    return Err(format!("unexpected character '{c}'"));
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    terms: BTreeSet<Term>,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expr(&mut self) -> Result<(), String> {
        self.conj()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            self.conj()?;
        }
        Ok(())
    }

    fn conj(&mut self) -> Result<(), String> {
        self.unary()?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            self.unary()?;
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<(), String> {
        match self.next() {
            Some(Tok::Open) => {
                self.expr()?;
                match self.next() {
                    Some(Tok::Close) => Ok(()),
                    other => Err(format!("expected ')', found {other:?}")),
                }
            }
            Some(Tok::Word(sel)) if sel.starts_with('$') => self.comparison(sel),
            other => Err(format!(
                "expected a comparison like $.field = value, found {other:?}"
            )),
        }
    }

    fn comparison(&mut self, selector: String) -> Result<(), String> {
        let term = match self.next() {
            Some(Tok::Op(op)) => {
                let value = match self.next() {
                    Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => w,
                    other => {
                        return Err(format!(
                            "expected a value after {selector} {op}, found {other:?}"
                        ))
                    }
                };
                Term {
                    selector,
                    op,
                    value,
                }
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("NOT") => match self.next() {
                Some(Tok::Word(e)) if e.eq_ignore_ascii_case("EXISTS") => Term {
                    selector,
                    op: "NOT EXISTS".into(),
                    value: String::new(),
                },
                other => return Err(format!("expected EXISTS after NOT, found {other:?}")),
            },
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("EXISTS") => Term {
                selector,
                op: "EXISTS".into(),
                value: String::new(),
            },
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("IS") => match self.next() {
                Some(Tok::Word(v)) => Term {
                    selector,
                    op: "IS".into(),
                    value: v.to_ascii_uppercase(),
                },
                other => {
                    return Err(format!(
                        "expected TRUE, FALSE or NULL after IS, found {other:?}"
                    ))
                }
            },
            other => {
                return Err(format!(
                    "expected an operator after {selector}, found {other:?}"
                ))
            }
        };
        self.terms.insert(term);
        Ok(())
    }
}

/// Parses a JSON filter pattern (`{ ... }`) into its set of terms. Space-delimited term
/// patterns (no braces) are not JSON patterns and are rejected.
pub fn terms(pattern: &str) -> Result<BTreeSet<Term>, String> {
    let toks = tokenize(pattern)?;
    let mut p = Parser {
        toks,
        pos: 0,
        terms: BTreeSet::new(),
    };
    if p.next() != Some(Tok::LBrace) {
        return Err("not a JSON filter pattern (it must start with '{')".into());
    }
    p.expr()?;
    if p.next() != Some(Tok::RBrace) {
        return Err("expected '}' at the end of the pattern".into());
    }
    if p.pos < p.toks.len() {
        return Err("text after the closing '}'".into());
    }
    Ok(p.terms)
}

/// Required terms missing from `pattern` (empty when it satisfies `required`).
pub fn missing_terms(pattern: &str, required: &str) -> Result<Vec<Term>, String> {
    let have = terms(pattern)?;
    let want = terms(required)?;
    Ok(want.difference(&have).cloned().collect())
}

/// CIS v3.0.0 section 4: requirement id and the pattern whose terms a filter must contain.
/// 4.1 uses the four terms of the CIS text; 4.13 the event names (the v3.0 `eventSource` term
/// binds to one name only by precedence, so a filter with it is a superset and still passes).
pub const CIS_V3_PATTERNS: &[(&str, &str)] = &[
    ("4.1", r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress != "delivery.logs.amazonaws.com") || ($.eventName != "HeadBucket") }"#),
    ("4.2", r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#),
    ("4.3", r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#),
    ("4.4", "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}"),
    ("4.5", "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"),
    ("4.6", r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#),
    ("4.7", "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"),
    ("4.8", "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }"),
    ("4.9", "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"),
    ("4.10", "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }"),
    ("4.11", "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"),
    ("4.12", "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"),
    ("4.13", "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }"),
    ("4.14", "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }"),
    ("4.15", r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: &str) -> &'static str {
        CIS_V3_PATTERNS
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, p)| *p)
            .expect("pattern")
    }

    #[test]
    fn every_cis_pattern_parses() {
        for (id, p) in CIS_V3_PATTERNS {
            let t = terms(p).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert!(!t.is_empty(), "{id}");
        }
        assert_eq!(terms(req("4.4")).map(|t| t.len()), Ok(16));
    }

    #[test]
    fn spacing_quoting_and_order_do_not_matter() {
        let reordered = r#"{($.eventName="StopLogging")||($.eventName = "StartLogging")||($.eventName=DeleteTrail)||($.eventName=UpdateTrail)||($.eventName=CreateTrail)}"#;
        assert_eq!(missing_terms(reordered, req("4.5")), Ok(vec![]));
    }

    #[test]
    fn supersets_pass_and_missing_terms_are_named() {
        // The SSO-friendly 4.2 variant adds terms: still satisfies 4.2.
        let sso = r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#;
        assert_eq!(missing_terms(sso, req("4.2")), Ok(vec![]));
        // The v3.0 route-table text with the eventSource prefix is a superset of 4.13.
        let v30 = "{($.eventSource = ec2.amazonaws.com) && ($.eventName =CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName =ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName= DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName =DisassociateRouteTable) }";
        assert_eq!(missing_terms(v30, req("4.13")), Ok(vec![]));
        // CreateRoute is not CreateRouteTable.
        let short = "{ ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }";
        let missing = missing_terms(short, req("4.13")).expect("parses");
        assert_eq!(
            missing,
            vec![Term {
                selector: "$.eventName".into(),
                op: "=".into(),
                value: "CreateRoute".into()
            }]
        );
        // != is not =.
        let wrong_op =
            r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed = "Yes") }"#;
        assert_eq!(missing_terms(wrong_op, req("4.2")).map(|m| m.len()), Ok(1));
        // 4.3 with NOT EXISTS in lower case.
        let root = r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy not exists && $.eventType!="AwsServiceEvent"}"#;
        assert_eq!(missing_terms(root, req("4.3")), Ok(vec![]));
    }

    #[test]
    fn malformed_patterns_are_errors() {
        for bad in [
            "",
            "ERROR",
            "{ $.a = }",
            "{ ($.a = 1 }",
            "{ $.a = \"x }",
            "{ $.a = 1 } tail",
            "{ a = 1 }",
            "{ $.a NOT THERE }",
        ] {
            assert!(terms(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
