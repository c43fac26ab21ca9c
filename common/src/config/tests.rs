//! Unit tests of `config`.

use super::*;

#[test]
fn parses_every_key() {
    let c = Config::parse(
        r#"
role_name = "RampartMember"
external_id = "abc123"
regions = ["eu-west-1", "us-east-1"]
home_region = "us-east-1"
include_accounts = ["111122223333"]
exclude_accounts = ["444455556666"]
include_ous = ["ou-ab12-cdef3456"]
exclude_ous = ["ou-ab12-zzzz9999"]
concurrency = 8
rate_limit = 5.0
rate_burst = 10
retry_mode = "adaptive"
max_attempts = 4
session_duration_secs = 1800
publish = true
enable_security_hub = false
fail_on = "high"
report_bucket = "rampart-reports-111122223333"
report_prefix = "cis/"
report_url_hours = 24
report_kms_key = "alias/rampart"
benchmark = ["cis-3.0.0", "cis-7.0.0"]
only_failed = false
finding_refresh_days = 60

[thresholds]
password_min_length = 16
password_reuse_prevention = 12
unused_credential_days = 30
key_rotation_days = 60
root_use_days = 7

[response]
role_name = "RampartResponder"
audit_table = "rampart-audit"
alert_topic_arn = "arn:aws:sns:us-east-1:111122223333:rampart-alerts"
allowed_regions = ["us-east-1"]
exempt_tag = "rampart:exempt"
protected_principals = ["arn:aws:iam::111122223333:role/BreakGlass"]
allow_list = ["arn:aws:iam::111122223333:role/TrailAdmin"]
action_rate_cap = 10
org_cache_secs = 60
cloudtrail_tamper = "enforce"
auto_mfa = "plan"
isolation = "off"
countermeasure = "repeat"
protected_trails = ["org-trail"]
mfa_kms_key = "alias/rampart-mfa"
detach_instance_profile = true
isolation_group_name = "quarantine"

[response.trail_baseline]
s3_bucket = "trail-logs"
multi_region = true
log_file_validation = true
"#,
    )
    .unwrap();
    c.validate().unwrap();
    assert_eq!(c.role_name(), "RampartMember");
    assert_eq!(c.concurrency(), 8);
    let keys: Vec<&str> = c.benchmarks().iter().map(|b| b.key).collect();
    assert_eq!(keys, vec!["cis-3.0.0", "cis-7.0.0"]);
    assert_eq!(c.finding_refresh_days(), 60);
    assert_eq!(
        Config::default().benchmarks()[0].key,
        "cis-7.0.0",
        "the newest version by default"
    );
    assert_eq!(
        c.region_selection(),
        RegionSelection::List(vec!["eu-west-1".into(), "us-east-1".into()])
    );
}

#[test]
fn unknown_keys_and_bad_values_are_rejected_with_names() {
    let err = Config::parse("rolename = 'x'").unwrap_err();
    assert!(err.contains("rolename"), "{err}");
    let err = Config::parse("concurrency = 'many'").unwrap_err();
    assert!(err.contains("concurrency"), "{err}");
    let c = Config::parse("retry_mode = 'fast'").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("retry_mode"));
    let c = Config::parse("include_accounts = ['12']").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("12-digit"));
    let c = Config::parse("session_duration_secs = 60").unwrap();
    assert!(c.validate().is_err());
    let c = Config::parse("[thresholds]\nkey_rotation_days = 0").unwrap();
    assert!(c
        .validate()
        .unwrap_err()
        .to_string()
        .contains("thresholds.key_rotation_days"));
    let err = Config::parse("[thresholds]\nkey_age = 3").unwrap_err();
    assert!(err.contains("key_age"), "{err}");
    let c = Config::parse("report_url_hours = 169").unwrap();
    let err = c.validate().unwrap_err().to_string();
    assert!(
        err.contains("report_url_hours") && err.contains("7 days"),
        "{err}"
    );
    let c = Config::parse("report_url_hours = 0").unwrap();
    assert!(c.validate().is_err());
    let c = Config::parse("benchmark = ['cis-2.0.0']").unwrap();
    let err = c.validate().unwrap_err().to_string();
    assert!(
        err.contains("benchmark") && err.contains("cis-2.0.0"),
        "{err}"
    );
    let c = Config::parse("finding_refresh_days = 90").unwrap();
    let err = c.validate().unwrap_err().to_string();
    assert!(err.contains("finding_refresh_days"), "{err}");
    let c = Config::parse("report_bucket = 'Not_A_Bucket'").unwrap();
    assert!(c
        .validate()
        .unwrap_err()
        .to_string()
        .contains("report_bucket"));
}

#[test]
fn overlay_prefers_the_upper_layer() {
    let file = Config {
        role_name: Some("File".into()),
        concurrency: Some(4),
        ..Default::default()
    };
    let flags = Config {
        role_name: Some("Flag".into()),
        ..Default::default()
    };
    let c = flags.overlay(file).unwrap();
    assert_eq!(c.role_name(), "Flag");
    assert_eq!(c.concurrency(), 4);
    assert_eq!(Config::default().role_name(), DEFAULT_ROLE_NAME);
    assert_eq!(
        Config {
            regions: Some(vec!["all".into()]),
            ..Default::default()
        }
        .region_selection(),
        RegionSelection::AllEnabled
    );
}

/// A command line made of the options alone.
#[derive(Debug, clap::Parser)]
struct Flags {
    #[command(flatten)]
    options: Config,
}

fn flags(args: &[&str]) -> Result<Config, clap::Error> {
    use clap::Parser;
    Flags::try_parse_from(std::iter::once("rampart").chain(args.iter().copied())).map(|f| f.options)
}

/// Every key of the schema, as the file spells it.
fn keys() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        other => panic!("not an object: {other:?}"),
    }
}

#[test]
fn every_flag_is_named_after_its_key_and_documented() {
    use clap::CommandFactory;
    let docs = include_str!("../../../docs/configuration.md");
    let cmd = Flags::command();
    let mut flagged = Vec::new();
    for arg in cmd.get_arguments().filter(|a| a.get_id() != "help") {
        let key = arg.get_id().as_str();
        flagged.push(key.to_string());
        let long = arg.get_long().expect("every option has a long flag");
        let expected_long = if key == "role_name" {
            "role".to_string()
        } else {
            key.replace('_', "-")
        };
        assert_eq!(long, expected_long, "{key}");
        let env = arg
            .get_env()
            .and_then(|e| e.to_str())
            .expect("every option has an environment variable");
        assert_eq!(env, format!("RAMPART_{}", key.to_uppercase()), "{key}");
        assert!(arg.is_global_set(), "{key} is accepted by every command");
        // The documentation's row for the key names the same flag and variable (the
        // response role is the `[response]` table's `role_name`).
        let file_key = if key == "response_role" {
            "role_name"
        } else {
            key
        };
        let row = docs
            .lines()
            .find(|l| {
                l.starts_with(&format!("| `{file_key}` |"))
                    && l.contains(&format!("`--{long}"))
                    && l.contains(&format!("`{env}`"))
            })
            .unwrap_or_else(|| {
                panic!("docs/configuration.md has no row for {key} naming --{long} and {env}")
            });
        assert!(!row.is_empty());
    }
    // The deployment values of the `[response]` table are flags too.
    for key in [
        "response_role",
        "audit_table",
        "state_table",
        "alert_topic_arn",
        "schedule_rule_arn",
        "hub_role_arn",
        "hub_account",
        "auto_remediate",
    ] {
        assert!(flagged.iter().any(|f| f == key), "{key} has no flag");
    }
    // Every key of the file is a flag, except the two tables.
    for key in keys() {
        if key == "response" || key == "thresholds" {
            continue;
        }
        assert!(flagged.contains(&key), "{key} has no flag");
    }
    for key in ["password_min_length", "root_use_days", "audit_table"] {
        assert!(docs.contains(&format!("| `{key}` |")), "{key}");
    }
}

#[test]
fn flags_parse_into_the_same_options_as_the_file() {
    let c = flags(&[
        "--role",
        "R",
        "--regions",
        "eu-west-1,us-east-1",
        "--publish",
        "--only-failed=false",
        "--benchmark",
        "cis-3.0.0,cis-7.0.0",
        "--finding-refresh-days",
        "30",
    ])
    .unwrap();
    let file = Config::parse(
        r#"
role_name = "R"
regions = ["eu-west-1", "us-east-1"]
publish = true
only_failed = false
benchmark = ["cis-3.0.0", "cis-7.0.0"]
finding_refresh_days = 30
"#,
    )
    .unwrap();
    assert_eq!(c, file);
    // A switch given alone is true; absent, the file decides.
    assert_eq!(flags(&[]).unwrap().publish, None);
    assert_eq!(
        flags(&["--enable-security-hub"])
            .unwrap()
            .enable_security_hub,
        Some(true)
    );
    // A switch never swallows the next word (a subcommand).
    assert!(flags(&["--publish", "yes"]).is_err());
    let err = flags(&["--publish=maybe"]).unwrap_err().to_string();
    assert!(err.contains("maybe"), "{err}");
}

#[test]
fn layering_takes_every_key_from_the_upper_layer() {
    // A file with every key set; flags that set every flagged key differently.
    let file = Config::parse(
        r#"
role_name = "File"
external_id = "file-id"
regions = ["eu-west-1"]
home_region = "eu-west-1"
include_accounts = ["111122223333"]
exclude_accounts = ["444455556666"]
include_ous = ["ou-file"]
exclude_ous = ["ou-file2"]
concurrency = 1
rate_limit = 1.0
rate_burst = 1
retry_mode = "standard"
max_attempts = 1
session_duration_secs = 900
publish = false
enable_security_hub = false
fail_on = "high"
report_bucket = "file-bucket"
report_prefix = "file"
report_url_hours = 1
report_kms_key = "alias/file"
benchmark = ["cis-3.0.0"]
only_failed = false
finding_refresh_days = 10
[thresholds]
key_rotation_days = 60
[response]
role_name = "FileResponder"
"#,
    )
    .unwrap();
    let top = flags(&[
        "--role=Flag",
        "--external-id=flag-id",
        "--regions=us-east-1",
        "--home-region=us-east-1",
        "--include-accounts=222222222222",
        "--exclude-accounts=333333333333",
        "--include-ous=ou-flag",
        "--exclude-ous=ou-flag2",
        "--concurrency=2",
        "--rate-limit=2",
        "--rate-burst=2",
        "--retry-mode=adaptive",
        "--max-attempts=2",
        "--session-duration-secs=1000",
        "--publish",
        "--enable-security-hub",
        "--fail-on=low",
        "--report-bucket=flag-bucket",
        "--report-prefix=flag",
        "--report-url-hours=2",
        "--report-kms-key=alias/flag",
        "--benchmark=cis-7.0.0",
        "--only-failed",
        "--finding-refresh-days=20",
        "--audit-table=flag-audit",
        "--hub-account=999999999999",
    ])
    .unwrap();
    let c = top.clone().layered(file.clone()).unwrap();
    // A response flag overrides its key of the file's table and keeps the others.
    let response = c.response();
    assert_eq!(response.role_name.as_deref(), Some("FileResponder"));
    assert_eq!(response.audit_table.as_deref(), Some("flag-audit"));
    assert_eq!(response.hub_account.as_deref(), Some("999999999999"));
    let (c, top, file) = (
        serde_json::to_value(c).unwrap(),
        serde_json::to_value(top).unwrap(),
        serde_json::to_value(file).unwrap(),
    );
    for key in keys().into_iter().filter(|k| k != "response") {
        let want = if top[&key].is_null() {
            &file[&key]
        } else {
            &top[&key]
        };
        assert!(!want.is_null(), "{key} was set in neither layer");
        assert_eq!(&c[&key], want, "{key}");
    }
    // A value layering could not carry is rejected by name, not dropped.
    let err = flags(&["--rate-limit=NaN"])
        .unwrap()
        .layered(Config::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("rate_limit"), "{err}");
    // Empty values (a stack's "" for an unset parameter) leave the file's value.
    let c = flags(&["--report-bucket=", "--auto-remediate=", "--external-id="])
        .unwrap()
        .layered(Config {
            report_bucket: Some("file-bucket".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(c.report_bucket.as_deref(), Some("file-bucket"));
    assert_eq!(c.external_id, None);
    assert_eq!(c.response().auto_remediate, None);
}
