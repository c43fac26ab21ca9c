//! Checks over the IAM credential report: root use, console MFA, keys at setup, unused
//! credentials (with the CIS fallbacks), one active key, key rotation.

use super::check::{with, Check, Eval, Settings};
use crate::credential_report::{CredentialReport, CredentialRow, ReportDate};
use crate::snapshot::AccountSnapshot;
use chrono::{DateTime, Utc};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

const URL: &str = "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html";

pub const CHECKS: &[Check] = &[
    Check {
        meta: CheckMeta {
            id: "iam.root-recent-use",
            title: "The root user is not used for everyday tasks",
            description: "Root sign-ins or root access-key use should be rare and deliberate.",
            severity: Severity::High,
            scope: Scope::Account,
            security_control_id: None,
            remediation: "Use IAM roles or IAM Identity Center for daily work; keep root for the few tasks that need it.",
            remediation_url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html",
        },
        eval: Eval::Account(root_recent_use),
    },
    Check {
        meta: CheckMeta {
            id: "iam.console-user-mfa",
            title: "IAM users with a console password have MFA enabled",
            description: "A console password without MFA is one phished credential away from compromise.",
            severity: Severity::High,
            scope: Scope::Account,
            security_control_id: Some("IAM.5"),
            remediation: "Enable an MFA device for the user, or remove the console password.",
            remediation_url: URL,
        },
        eval: Eval::Account(console_user_mfa),
    },
    Check {
        meta: CheckMeta {
            id: "iam.keys-at-initial-setup",
            title: "Console users have no access keys created at setup and never used",
            description: "Access keys created with a console user and never used are unneeded standing credentials.",
            severity: Severity::Low,
            scope: Scope::Account,
            security_control_id: None,
            remediation: "Delete access keys that were never used; create keys only when a workload needs them.",
            remediation_url: URL,
        },
        eval: Eval::Account(keys_at_initial_setup),
    },
    Check {
        meta: CheckMeta {
            id: "iam.unused-credentials",
            title: "Credentials unused for 45 days or more are disabled",
            description: "Passwords and access keys that are not used should not stay enabled.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("IAM.22"),
            remediation: "Remove the console password or deactivate the access keys that have not been used.",
            remediation_url: URL,
        },
        eval: Eval::Account(unused_credentials),
    },
    Check {
        meta: CheckMeta {
            id: "iam.single-active-key",
            title: "Each IAM user has at most one active access key",
            description: "Two active keys double the standing credentials and usually mean a rotation was never finished.",
            severity: Severity::Low,
            scope: Scope::Account,
            security_control_id: None,
            remediation: "Deactivate and delete the key that is no longer used.",
            remediation_url: URL,
        },
        eval: Eval::Account(single_active_key),
    },
    Check {
        meta: CheckMeta {
            id: "iam.key-rotation",
            title: "Active access keys are rotated every 90 days or less",
            description: "Old keys have had more time to leak.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("IAM.3"),
            remediation: "Create a new key, move workloads to it, then deactivate and delete the old one.",
            remediation_url: URL,
        },
        eval: Eval::Account(key_rotation),
    },
];

fn user_resource(row: &CredentialRow) -> ResourceRef {
    ResourceRef {
        kind: "AwsIamUser".into(),
        id: row.arn.clone(),
        region: None,
    }
}

/// Runs `f` on every non-root user row and makes one verdict per user.
fn per_user(
    s: &AccountSnapshot,
    f: impl Fn(&CredentialRow, DateTime<Utc>) -> Option<String>,
) -> CheckStatus {
    with(&s.credentials, |r: &CredentialReport| {
        CheckStatus::Evaluated {
            verdicts: r
                .rows
                .iter()
                .filter(|row| !row.is_root())
                .map(|row| match f(row, r.generated_at) {
                    Some(problem) => Verdict {
                        resource: user_resource(row),
                        passed: false,
                        reason: format!("{}: {problem}", row.user),
                    },
                    None => Verdict {
                        resource: user_resource(row),
                        passed: true,
                        reason: format!("{} is compliant.", row.user),
                    },
                })
                .collect(),
        }
    })
}

fn days_since(d: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - d).num_days()
}

fn root_recent_use(s: &AccountSnapshot, settings: &Settings) -> CheckStatus {
    with(&s.credentials, |r: &CredentialReport| {
        let Some(root) = r.rows.iter().find(|row| row.is_root()) else {
            return CheckStatus::NotAvailable {
                reason: "the credential report has no <root_account> row".into(),
            };
        };
        let uses = [
            ("password", root.password_last_used),
            ("access key 1", root.keys[0].last_used),
            ("access key 2", root.keys[1].last_used),
        ];
        let recent: Vec<String> = uses
            .iter()
            .filter_map(|(what, d)| d.date().map(|d| (what, d)))
            .filter(|(_, d)| days_since(*d, r.generated_at) < settings.root_use_days)
            .map(|(what, d)| format!("{what} last used {}", day(d)))
            .collect();
        let passed = recent.is_empty();
        let reason = if passed {
            format!(
                "The root user was not used in the last {} days.",
                settings.root_use_days
            )
        } else {
            format!(
                "The root user was used in the last {} days: {}.",
                settings.root_use_days,
                recent.join(", ")
            )
        };
        CheckStatus::Evaluated {
            verdicts: vec![Verdict {
                resource: ResourceRef::account(&s.account_id),
                passed,
                reason,
            }],
        }
    })
}

fn console_user_mfa(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    per_user(s, |row, _| {
        (row.password_enabled == Some(true) && !row.mfa_active)
            .then(|| "has a console password and no MFA".to_string())
    })
}

fn keys_at_initial_setup(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    per_user(s, |row, _| {
        if row.password_enabled != Some(true) {
            return None;
        }
        let unused: Vec<String> = row
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.active && k.last_used == ReportDate::Never)
            .map(|(i, _)| format!("access key {}", i + 1))
            .collect();
        (!unused.is_empty()).then(|| format!("{} active but never used", unused.join(" and ")))
    })
}

/// A date as reasons show it. Reasons name dates, not ages: an age changes every day, and with
/// it the finding's text, which would re-import every such finding on every run.
fn day(d: DateTime<Utc>) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Since when a credential is idle: its last use, falling back (as CIS says) to when it was set
/// when it was never used, with the words for which. `None` when neither date is known.
fn idle_since(last_used: ReportDate, set_at: ReportDate) -> Option<(DateTime<Utc>, &'static str)> {
    match last_used {
        ReportDate::At(d) => Some((d, "last used")),
        _ => set_at.date().map(|d| (d, "never used, set")),
    }
}

fn unused_credentials(s: &AccountSnapshot, settings: &Settings) -> CheckStatus {
    let limit = settings.unused_credential_days;
    per_user(s, |row, now| {
        let mut problems = Vec::new();
        if row.password_enabled == Some(true) {
            match idle_since(row.password_last_used, row.password_last_changed) {
                Some((d, how)) if days_since(d, now) >= limit => problems.push(format!(
                    "password {how} {}, {limit} or more days ago",
                    day(d)
                )),
                Some(_) => {}
                None => problems.push("password enabled with no usage or change date".to_string()),
            }
        }
        for (i, k) in row.keys.iter().enumerate().filter(|(_, k)| k.active) {
            match idle_since(k.last_used, k.last_rotated) {
                Some((d, how)) if days_since(d, now) >= limit => problems.push(format!(
                    "access key {} {how} {}, {limit} or more days ago",
                    i + 1,
                    day(d)
                )),
                Some(_) => {}
                None => problems.push(format!(
                    "access key {} active with no usage or rotation date",
                    i + 1
                )),
            }
        }
        (!problems.is_empty()).then(|| problems.join(", "))
    })
}

fn single_active_key(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    per_user(s, |row, _| {
        (row.keys[0].active && row.keys[1].active).then(|| "has two active access keys".to_string())
    })
}

fn key_rotation(s: &AccountSnapshot, settings: &Settings) -> CheckStatus {
    let limit = settings.key_rotation_days;
    per_user(s, |row, now| {
        let old: Vec<String> = row
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.active)
            .filter_map(|(i, k)| match k.last_rotated.date() {
                Some(d) if days_since(d, now) > limit => Some(format!(
                    "access key {} last rotated {}, more than {limit} days ago",
                    i + 1,
                    day(d)
                )),
                Some(_) => None,
                None => Some(format!("access key {} has no rotation date", i + 1)),
            })
            .collect();
        (!old.is_empty()).then(|| old.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential_report::KeyColumns;
    use crate::snapshot::{CloudTrailSnapshot, Collected, IamSnapshot};

    fn at(s: &str) -> ReportDate {
        ReportDate::At(
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .expect("date"),
        )
    }

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn key(active: bool, rotated: ReportDate, used: ReportDate) -> KeyColumns {
        KeyColumns {
            active,
            last_rotated: rotated,
            last_used: used,
        }
    }

    fn no_key() -> KeyColumns {
        key(false, ReportDate::Never, ReportDate::Never)
    }

    fn user(name: &str) -> CredentialRow {
        CredentialRow {
            user: name.into(),
            arn: format!("arn:aws:iam::111122223333:user/{name}"),
            user_creation_time: at("2026-01-01T00:00:00Z"),
            password_enabled: Some(false),
            password_last_used: ReportDate::NotSupported,
            password_last_changed: ReportDate::NotSupported,
            mfa_active: false,
            keys: [no_key(), no_key()],
        }
    }

    fn root() -> CredentialRow {
        CredentialRow {
            user: "<root_account>".into(),
            arn: "arn:aws:iam::111122223333:root".into(),
            password_enabled: None,
            mfa_active: true,
            ..user("root")
        }
    }

    fn snap(rows: Vec<CredentialRow>) -> AccountSnapshot {
        let generated_at = DateTime::parse_from_rfc3339(NOW)
            .map(|d| d.with_timezone(&Utc))
            .expect("now");
        AccountSnapshot {
            account_id: "111122223333".into(),
            partition: "aws".into(),
            iam: Collected::Ok(IamSnapshot {
                root_access_keys_present: false,
                root_mfa_enabled: true,
                password_policy: None,
            }),
            cloudtrail: Collected::Ok(CloudTrailSnapshot { trails: vec![] }),
            credentials: Collected::Ok(CredentialReport { generated_at, rows }),
            authorization: Collected::Err("not collected".into()),
            monitoring: Collected::Err("not collected".into()),
            ..AccountSnapshot::empty("111122223333")
        }
    }

    fn failed(st: &CheckStatus) -> Vec<String> {
        match st {
            CheckStatus::Evaluated { verdicts } => verdicts
                .iter()
                .filter(|v| !v.passed)
                .map(|v| v.resource.id.rsplit('/').next().unwrap_or("").to_string())
                .collect(),
            other => panic!("not evaluated: {other:?}"),
        }
    }

    #[test]
    fn console_users_need_mfa_and_root_row_is_skipped() {
        let mut a = user("a");
        a.password_enabled = Some(true);
        let mut b = a.clone();
        b.user = "b".into();
        b.arn = "arn:aws:iam::111122223333:user/b".into();
        b.mfa_active = true;
        let mut r = root();
        r.mfa_active = false;
        assert_eq!(
            failed(&console_user_mfa(
                &snap(vec![r, a, b, user("c")]),
                &Settings::default()
            )),
            vec!["a"]
        );
    }

    #[test]
    fn unused_credentials_use_the_cis_fallbacks() {
        let s = Settings::default();
        // Never-used password: falls back to password_last_changed (old -> fail).
        let mut old_pw = user("old-pw");
        old_pw.password_enabled = Some(true);
        old_pw.password_last_used = ReportDate::NoInformation;
        old_pw.password_last_changed = at("2026-01-01T00:00:00Z");
        // Never-used password recently set: passes.
        let mut new_pw = old_pw.clone();
        new_pw.user = "new-pw".into();
        new_pw.arn = "arn:aws:iam::111122223333:user/new-pw".into();
        new_pw.password_last_changed = at("2026-05-20T00:00:00Z");
        // Never-used active key rotated long ago: falls back to last_rotated -> fail.
        let mut old_key = user("old-key");
        old_key.keys[0] = key(true, at("2026-02-01T00:00:00Z"), ReportDate::Never);
        // Used yesterday: pass. Used 50 days ago: fail (45-day boundary).
        let mut fresh = user("fresh");
        fresh.keys[0] = key(true, at("2026-01-01T00:00:00Z"), at("2026-05-31T00:00:00Z"));
        let mut stale = user("stale");
        stale.keys[1] = key(true, at("2026-01-01T00:00:00Z"), at("2026-04-12T00:00:00Z"));
        // Inactive old key is fine.
        let mut inactive = user("inactive");
        inactive.keys[0] = key(false, at("2020-01-01T00:00:00Z"), ReportDate::Never);
        let st = unused_credentials(
            &snap(vec![
                root(),
                old_pw,
                new_pw,
                old_key,
                fresh,
                stale,
                inactive,
            ]),
            &s,
        );
        assert_eq!(failed(&st), vec!["old-pw", "old-key", "stale"]);
    }

    /// The reason of a failing credential names dates, so the finding's text (and its
    /// fingerprint) is the same on the next day's report: no daily re-import of it.
    #[test]
    fn reasons_do_not_change_from_one_day_to_the_next() {
        let s = Settings::default();
        let mut stale = user("stale");
        stale.password_enabled = Some(true);
        stale.password_last_used = at("2026-01-10T08:00:00Z");
        stale.keys[0] = key(true, at("2025-12-01T00:00:00Z"), at("2026-01-02T00:00:00Z"));
        let mut root_used = root();
        root_used.password_last_used = at("2026-05-30T00:00:00Z");
        let reasons = |now: &str| {
            let mut snapshot = snap(vec![root_used.clone(), stale.clone()]);
            if let Collected::Ok(r) = &mut snapshot.credentials {
                r.generated_at = DateTime::parse_from_rfc3339(now)
                    .map(|d| d.with_timezone(&Utc))
                    .expect("now");
            }
            [
                unused_credentials(&snapshot, &s),
                key_rotation(&snapshot, &s),
                root_recent_use(&snapshot, &s),
            ]
            .into_iter()
            .map(|st| match st {
                CheckStatus::Evaluated { verdicts } => verdicts
                    .iter()
                    .filter(|v| !v.passed)
                    .map(|v| v.reason.clone())
                    .collect::<Vec<_>>(),
                other => panic!("not evaluated: {other:?}"),
            })
            .collect::<Vec<_>>()
        };
        let today = reasons("2026-06-01T00:00:00Z");
        assert_eq!(today, reasons("2026-06-02T00:00:00Z"));
        assert!(today.iter().all(|r| r.len() == 1), "{today:?}");
        assert!(
            today[0][0].contains("password last used 2026-01-10"),
            "{today:?}"
        );
        assert!(
            today[0][0].contains("access key 1 last used 2026-01-02"),
            "{today:?}"
        );
        assert!(
            today[1][0].contains("access key 1 last rotated 2025-12-01"),
            "{today:?}"
        );
        assert!(
            today[2][0].contains("password last used 2026-05-30"),
            "{today:?}"
        );
    }

    #[test]
    fn keys_at_setup_single_key_and_rotation() {
        let s = Settings::default();
        let mut console = user("console");
        console.password_enabled = Some(true);
        console.keys[0] = key(true, at("2026-05-01T00:00:00Z"), ReportDate::Never);
        let mut api = user("api");
        api.keys[0] = key(true, at("2026-05-01T00:00:00Z"), ReportDate::Never);
        assert_eq!(
            failed(&keys_at_initial_setup(
                &snap(vec![console.clone(), api.clone()]),
                &s
            )),
            vec!["console"]
        );

        let mut two = user("two");
        two.keys = [
            key(true, at("2026-05-01T00:00:00Z"), ReportDate::Never),
            key(true, at("2026-05-02T00:00:00Z"), ReportDate::Never),
        ];
        assert_eq!(
            failed(&single_active_key(
                &snap(vec![two.clone(), api.clone()]),
                &s
            )),
            vec!["two"]
        );

        let mut ancient = user("ancient");
        ancient.keys[0] = key(true, at("2026-01-01T00:00:00Z"), at("2026-05-30T00:00:00Z"));
        assert_eq!(
            failed(&key_rotation(&snap(vec![ancient, api]), &s)),
            vec!["ancient"]
        );
    }

    #[test]
    fn root_use_and_missing_data() {
        let s = Settings::default();
        let mut r = root();
        r.password_last_used = at("2026-05-30T00:00:00Z");
        assert_eq!(
            failed(&root_recent_use(&snap(vec![r.clone()]), &s)).len(),
            1
        );
        r.password_last_used = at("2025-01-01T00:00:00Z");
        assert!(failed(&root_recent_use(&snap(vec![r]), &s)).is_empty());
        assert!(matches!(
            root_recent_use(&snap(vec![user("x")]), &s),
            CheckStatus::NotAvailable { .. }
        ));
        let mut broken = snap(vec![]);
        broken.credentials = Collected::Err("iam:GetCredentialReport: AccessDenied".into());
        for c in CHECKS {
            let Eval::Account(f) = c.eval else {
                panic!("account check")
            };
            assert!(
                matches!(f(&broken, &s), CheckStatus::Error { .. }),
                "{}",
                c.meta.id
            );
        }
        // An empty report (no users) passes the per-user checks.
        assert!(failed(&console_user_mfa(&snap(vec![root()]), &s)).is_empty());
    }
}
