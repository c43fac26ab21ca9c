//! The IAM credential report: parsing its CSV into typed rows.
//!
//! Cells hold a date, or one of the report's markers: `N/A` (never, or no key), `no_information`
//! (not tracked, e.g. before October 2014), `not_supported` (does not apply, e.g. root password
//! fields). Keeping the markers distinct lets checks apply the CIS fallbacks correctly.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One date cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportDate {
    At(DateTime<Utc>),
    /// `N/A`: never used, or the key does not exist.
    Never,
    /// `no_information`.
    NoInformation,
    /// `not_supported`.
    NotSupported,
}

impl ReportDate {
    fn parse(cell: &str) -> Result<ReportDate, String> {
        match cell.trim() {
            "N/A" | "" => Ok(ReportDate::Never),
            "no_information" => Ok(ReportDate::NoInformation),
            "not_supported" => Ok(ReportDate::NotSupported),
            s => DateTime::parse_from_rfc3339(s)
                .map(|d| ReportDate::At(d.with_timezone(&Utc)))
                .map_err(|e| format!("'{s}' is not a date: {e}")),
        }
    }

    pub fn date(self) -> Option<DateTime<Utc>> {
        match self {
            ReportDate::At(d) => Some(d),
            _ => None,
        }
    }
}

/// One access key's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyColumns {
    pub active: bool,
    pub last_rotated: ReportDate,
    pub last_used: ReportDate,
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRow {
    pub user: String,
    pub arn: String,
    pub user_creation_time: ReportDate,
    /// `None` for `not_supported` (the root row).
    pub password_enabled: Option<bool>,
    pub password_last_used: ReportDate,
    pub password_last_changed: ReportDate,
    pub mfa_active: bool,
    pub keys: [KeyColumns; 2],
}

impl CredentialRow {
    pub fn is_root(&self) -> bool {
        self.user == "<root_account>"
    }
}

/// The whole report, with the time AWS generated it (the "now" of every age computed from it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialReport {
    pub generated_at: DateTime<Utc>,
    pub rows: Vec<CredentialRow>,
}

const REQUIRED: &[&str] = &[
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
];

/// Parses the report CSV; errors name the line and column that was wrong.
pub fn parse(csv_text: &str, generated_at: DateTime<Utc>) -> Result<CredentialReport, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(csv_text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("credential report header: {e}"))?
        .clone();
    let mut idx = std::collections::HashMap::new();
    for name in REQUIRED {
        let i = headers
            .iter()
            .position(|h| h == *name)
            .ok_or_else(|| format!("credential report has no '{name}' column"))?;
        idx.insert(*name, i);
    }
    let mut rows = Vec::new();
    for (n, rec) in reader.records().enumerate() {
        let line = n + 2;
        let rec = rec.map_err(|e| format!("credential report line {line}: {e}"))?;
        let cell = |name: &str| idx.get(name).and_then(|i| rec.get(*i)).unwrap_or("");
        let date = |name: &str| {
            ReportDate::parse(cell(name))
                .map_err(|e| format!("credential report line {line}, {name}: {e}"))
        };
        let flag = |name: &str| -> Result<Option<bool>, String> {
            match cell(name) {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                "not_supported" | "N/A" => Ok(None),
                other => Err(format!(
                    "credential report line {line}, {name}: '{other}' is not true/false"
                )),
            }
        };
        let key = |n: u8| -> Result<KeyColumns, String> {
            Ok(KeyColumns {
                active: flag(&format!("access_key_{n}_active"))?.unwrap_or(false),
                last_rotated: date(&format!("access_key_{n}_last_rotated"))?,
                last_used: date(&format!("access_key_{n}_last_used_date"))?,
            })
        };
        rows.push(CredentialRow {
            user: cell("user").to_string(),
            arn: cell("arn").to_string(),
            user_creation_time: date("user_creation_time")?,
            password_enabled: flag("password_enabled")?,
            password_last_used: date("password_last_used")?,
            password_last_changed: date("password_last_changed")?,
            mfa_active: flag("mfa_active")?.unwrap_or(false),
            keys: [key(1)?, key(2)?],
        });
    }
    Ok(CredentialReport { generated_at, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const SAMPLE: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2026-01-10T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111122223333:user/alice,2025-01-01T00:00:00+00:00,true,no_information,2025-01-01T00:00:00+00:00,N/A,false,true,2025-01-02T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
";

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-02-01T00:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .expect("date")
    }

    #[test]
    fn parses_markers_and_dates() {
        let r = parse(SAMPLE, now()).expect("parses");
        assert_eq!(r.rows.len(), 2);
        let root = &r.rows[0];
        assert!(root.is_root());
        assert_eq!(root.password_enabled, None);
        assert_eq!(root.password_last_changed, ReportDate::NotSupported);
        let alice = &r.rows[1];
        assert_eq!(alice.password_enabled, Some(true));
        assert_eq!(alice.password_last_used, ReportDate::NoInformation);
        assert!(alice.keys[0].active && alice.keys[0].last_used == ReportDate::Never);
        assert!(alice.keys[0].last_rotated.date().is_some());
    }

    #[test]
    fn bad_reports_name_what_is_wrong() {
        assert!(parse("user,arn\nx,y\n", now())
            .unwrap_err()
            .contains("user_creation_time"));
        let bad = SAMPLE.replace("2025-01-02T00:00:00+00:00", "yesterday");
        let e = parse(&bad, now()).unwrap_err();
        assert!(
            e.contains("line 3") && e.contains("access_key_1_last_rotated"),
            "{e}"
        );
        let short = SAMPLE.lines().take(2).collect::<Vec<_>>().join("\n") + "\nbob,arn\n";
        assert!(parse(&short, now()).unwrap_err().contains("line 3"));
    }
}
