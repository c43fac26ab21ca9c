//! The CLI entry point: file discovery, options and exit codes.

use std::path::PathBuf;

use rampart_template::{run_cli, AuditTemplateArgs, OutputFormat};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rampart-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("sub")).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn args(paths: Vec<PathBuf>) -> AuditTemplateArgs {
    AuditTemplateArgs {
        paths,
        format: OutputFormat::Json,
        rules: Vec::new(),
        parameters: None,
        thresholds: "5,10".into(),
        output: None,
        suppressions: Default::default(),
        suppression_ceiling: None,
        limits: Default::default(),
    }
}

fn write(p: &PathBuf, s: &str) {
    std::fs::write(p, s).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn exit_codes_follow_the_worst_decision() {
    let d = tmpdir("codes");
    let pass = d.join("pass.yaml");
    write(
        &pass,
        "Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {KmsMasterKeyId: k}}\n",
    );
    let approval = d.join("sub/approval.json");
    write(
        &approval,
        r#"{"Resources": {"R": {"Type": "AWS::RDS::DBInstance", "Properties": {"BackupRetentionPeriod": 7}}}}"#,
    );
    let fail = d.join("sub/fail.yml");
    write(
        &fail,
        "Resources:\n  B: {Type: AWS::S3::Bucket, Properties: {AccessControl: PublicReadWrite}}\n",
    );
    let ignored = d.join("sub/notes.txt");
    write(&ignored, "not a template");
    let buildspec = d.join("sub/buildspec.yml");
    write(
        &buildspec,
        "version: 0.2\nphases: {build: {commands: [make]}}\n",
    );
    let out = std::env::temp_dir().join(format!("rampart-cli-out-{}.json", std::process::id()));
    let mut a = args(vec![pass.clone()]);
    a.output = Some(out.clone());
    assert_eq!(run_cli(&a), 0);
    a.paths = vec![approval.clone()];
    assert_eq!(run_cli(&a), 1);
    a.paths = vec![d.clone()];
    assert_eq!(run_cli(&a), 2, "directories are searched recursively");
    let report = std::fs::read_to_string(&out).unwrap_or_default();
    assert_eq!(
        report.matches("\"path\"").count(),
        4,
        "the .txt file is not read"
    );
    assert_eq!(
        report.matches("not a CloudFormation template").count(),
        1,
        "buildspec skipped"
    );
    a.paths = vec![buildspec];
    assert_eq!(run_cli(&a), 3, "a named file must be a template");
    a.paths = vec![d.clone()];
    a.thresholds = "50,100".into();
    assert_eq!(run_cli(&a), 0, "thresholds are configurable");
    a.thresholds = "nope".into();
    assert_eq!(run_cli(&a), 3);
    a.thresholds = "5,10".into();
    a.paths = vec![d.join("missing.yaml")];
    assert_eq!(run_cli(&a), 3);
    let bad = d.join("bad.yaml");
    write(&bad, "Resources: {\n");
    a.paths = vec![bad];
    assert_eq!(run_cli(&a), 3);
    a.paths = vec![pass];
    a.rules = vec![d.join("no-such-pack.yaml")];
    assert_eq!(run_cli(&a), 3);
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_file(&out);
}

#[test]
fn parameters_file_changes_the_outcome() {
    let d = tmpdir("params");
    let t = d.join("t.yaml");
    write(&t, "Parameters:\n  Acl: {Type: String}\nResources:\n  B: {Type: AWS::S3::Bucket, Properties: {AccessControl: !Ref Acl}}\n");
    let p = d.join("p.json");
    write(
        &p,
        r#"[{"ParameterKey": "Acl", "ParameterValue": "PublicReadWrite"}]"#,
    );
    let mut a = args(vec![t]);
    a.output = Some(d.join("o.txt"));
    a.format = OutputFormat::Text;
    assert_eq!(run_cli(&a), 0, "unresolved ACL is reported, not scored");
    a.parameters = Some(p);
    assert_eq!(run_cli(&a), 2);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn shipped_seed_pack_loads_and_runs() {
    let d = tmpdir("seed");
    let t = d.join("t.json");
    write(
        &t,
        r#"{"Resources": {"SG": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "d",
            "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}],
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "10.0.0.0/8"}]}}}}"#,
    );
    let mut a = args(vec![t]);
    a.rules = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("packs/seed-example.yaml")];
    a.output = Some(d.join("o.json"));
    assert_eq!(run_cli(&a), 0, "AllowHttp alone is risk 3 (< 5)");
    let report = std::fs::read_to_string(d.join("o.json")).unwrap_or_default();
    assert!(report.contains("\"AllowHttp\""), "{report}");
    assert!(!report.contains("\"SSHOpenToWorld\""));
    let _ = std::fs::remove_dir_all(&d);
}
