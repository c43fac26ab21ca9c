use super::*;
use crate::node::Value;

fn yaml(text: &str) -> Node {
    match parse_document("t.yaml", text) {
        Ok((n, Format::Yaml)) => n,
        other => panic!("expected YAML node, got {other:?}"),
    }
}

fn tag_value(text: &str) -> Node {
    yaml(&format!("V: {text}\n"))
        .get("V")
        .cloned()
        .unwrap_or_else(|| panic!("no V in {text}"))
}

fn single(n: &Node) -> (&str, &Node) {
    n.intrinsic()
        .unwrap_or_else(|| panic!("not an intrinsic: {n:?}"))
}

#[test]
fn every_short_form_tag_becomes_long_form() {
    let cases = [
        ("!Ref X", "Ref"),
        ("!Condition C", "Condition"),
        ("!Sub 'a-${X}'", "Fn::Sub"),
        ("!If [C, a, b]", "Fn::If"),
        ("!Equals [a, b]", "Fn::Equals"),
        ("!Cidr [10.0.0.0/16, 4, 8]", "Fn::Cidr"),
        ("!FindInMap [M, a, b]", "Fn::FindInMap"),
        ("!Select [0, [a]]", "Fn::Select"),
        ("!Split [',', 'a,b']", "Fn::Split"),
        ("!Join ['', [a, b]]", "Fn::Join"),
        ("!Base64 abc", "Fn::Base64"),
        ("!GetAZs ''", "Fn::GetAZs"),
        ("!ImportValue Exp", "Fn::ImportValue"),
        ("!And [!Condition A, !Condition B]", "Fn::And"),
        ("!Or [!Condition A, !Condition B]", "Fn::Or"),
        ("!Not [!Condition A]", "Fn::Not"),
        ("!GetAtt R.Arn", "Fn::GetAtt"),
        ("!Transform {Name: X}", "Fn::Transform"),
        ("!Length [a, b]", "Fn::Length"),
        ("!ToJsonString {a: b}", "Fn::ToJsonString"),
        ("!Rain::Module ./m.yaml", "Fn::Rain::Module"),
    ];
    for (src, want) in cases {
        let n = tag_value(src);
        assert_eq!(single(&n).0, want, "{src}");
    }
}

#[test]
fn getatt_dotted_becomes_two_element_list() {
    let n = tag_value("!GetAtt Bucket.Arn");
    let (_, arg) = single(&n);
    let items: Vec<_> = arg.items().iter().filter_map(Node::as_str).collect();
    assert_eq!(items, vec!["Bucket", "Arn"]);
    // Only the first dot splits: nested attributes keep theirs.
    let n = tag_value("!GetAtt Db.Endpoint.Address");
    let items: Vec<_> = single(&n)
        .1
        .items()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    assert_eq!(items, vec!["Db", "Endpoint.Address"]);
    // The list form is kept as written.
    let n = tag_value("!GetAtt [Db, Endpoint.Port]");
    assert_eq!(single(&n).1.items().len(), 2);
}

#[test]
fn nested_tags_and_long_form_agree() {
    let short = tag_value("!Sub ['${A}', {A: !Ref P}]");
    let long = tag_value("{'Fn::Sub': ['${A}', {A: {Ref: P}}]}");
    assert_eq!(short.to_json(), long.to_json());
}

#[test]
fn scalars_are_typed_like_yaml_core_schema() {
    let n = yaml("a: 80\nb: '80'\nc: true\nd: ~\ne: 0.0.0.0/0\nf: 1.5\n");
    assert_eq!(n.get("a").map(|v| &v.value), Some(&Value::Num("80".into())));
    assert_eq!(n.get("b").map(|v| &v.value), Some(&Value::Str("80".into())));
    assert_eq!(n.get("c").map(|v| &v.value), Some(&Value::Bool(true)));
    assert_eq!(n.get("d").map(|v| &v.value), Some(&Value::Null));
    assert_eq!(
        n.get("e").map(|v| &v.value),
        Some(&Value::Str("0.0.0.0/0".into()))
    );
    assert_eq!(
        n.get("f").map(|v| &v.value),
        Some(&Value::Num("1.5".into()))
    );
}

#[test]
fn yaml_positions_are_one_based_lines_and_columns() {
    let n = yaml("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n");
    let res = n.get("Resources").and_then(|r| r.entry("Bucket"));
    let e = res.unwrap_or_else(|| panic!("no Bucket"));
    assert_eq!((e.key_pos.line, e.key_pos.col), (2, 3));
    let t = e.value.entry("Type").unwrap_or_else(|| panic!("no Type"));
    assert_eq!((t.key_pos.line, t.key_pos.col), (3, 5));
    assert_eq!((t.value.pos.line, t.value.pos.col), (3, 11));
}

#[test]
fn json_positions_are_one_based_lines_and_columns() {
    let (n, f) = parse_document(
        "t.json",
        "{\n  \"Resources\": {\n    \"B\": {\"Type\": \"X\"}\n  }\n}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f, Format::Json);
    let e = n
        .get("Resources")
        .and_then(|r| r.entry("B"))
        .unwrap_or_else(|| panic!("no B"));
    assert_eq!((e.key_pos.line, e.key_pos.col), (3, 5));
    let t = e.value.get("Type").unwrap_or_else(|| panic!("no Type"));
    assert_eq!((t.pos.line, t.pos.col), (3, 19));
}

#[test]
fn json_escapes_and_numbers() {
    let (n, _) = parse_document(
        "t.json",
        r#"{"a": "x\u00e9\ud83d\ude00\n", "b": -1.5e3, "c": [true, false, null]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n.get("a").and_then(Node::as_str), Some("xé😀\n"));
    assert_eq!(n.get("b").and_then(Node::as_str), Some("-1.5e3"));
    assert_eq!(n.get("c").map(|c| c.items().len()), Some(3));
}

#[test]
fn aliases_are_expanded() {
    let n = yaml("base: &b {Port: 22}\ncopy: *b\n");
    assert_eq!(
        n.get("copy")
            .and_then(|c| c.get("Port"))
            .and_then(Node::as_str),
        Some("22")
    );
}

#[test]
fn alias_bomb_is_refused_with_a_clear_error() {
    // The classic "billion laughs": 9 levels of 9 aliases.
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        let items = [prev.as_str(); 9].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
    }
    let e = parse_document("bomb.yaml", &text).expect_err("bomb must be refused");
    assert!(e.message.contains("alias"), "{e}");
    assert_eq!(e.file, "bomb.yaml");
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let e = parse_document(
        "bad.yaml",
        "Resources:\n  A:\n    Type: [unclosed\n  B: x\n",
    )
    .expect_err("must fail");
    assert_eq!(e.file, "bad.yaml");
    assert!(e.line >= 3, "{e}");
    assert!(e.to_string().starts_with("bad.yaml:"), "{e}");
    let e = parse_document("tab.yaml", "a:\n\t- b\n").expect_err("tabs are invalid indentation");
    assert_eq!(e.line, 2, "{e}");
}

#[test]
fn malformed_json_names_file_and_line() {
    let e = parse_document("bad.json", "{\n  \"a\": 1,\n  \"b\": \n}\n").expect_err("must fail");
    assert_eq!((e.file.as_str(), e.line), ("bad.json", 4), "{e}");
    assert!(e.to_string().starts_with("bad.json:4:"), "{e}");
    for bad in [
        "{",
        "{\"a\" 1}",
        "{\"a\": tru}",
        "{\"a\": \"\\x\"}",
        "{\"a\": 1} x",
        "{\"a\": [1,}",
    ] {
        assert!(parse_document("b.json", bad).is_err(), "{bad}");
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse_document("deep.yaml", &format!("a: {deep}")).is_err());
    let deep_json = format!("{{\"a\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse_document("deep.json", &deep_json).is_err());
}

#[test]
fn garbage_never_panics() {
    // A deterministic pseudo-random byte soup plus YAML/JSON-flavoured fragments.
    let fragments = [
        "{", "}", "[", "]", ":", "-", "!Ref", "!GetAtt", "&a", "*a", "'", "\"", "\n", "  ", "\t",
        "|", ">", "#", ",", "?", "%YAML", "---", "...", "\\u", "\u{feff}", "é", "0x", "!!str",
    ];
    let cfg = crate::audit::AuditConfig::default();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        let mut s = String::new();
        for _ in 0..(seed % 40) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push_str(fragments[(seed % fragments.len() as u64) as usize]);
        }
        let _ = parse_document("fuzz.yaml", &s);
        let _ = crate::audit::audit_text("fuzz.yaml", &s, &cfg);
        let _ = parse_document("fuzz.json", &format!("{{{s}"));
    }
}
