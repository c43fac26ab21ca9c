//! Progress while `assess` runs: a bar on a terminal, one plain line per finished account
//! otherwise (CI logs, pipes), a structured log event when logs are JSON.

use crate::fleet::AccountResult;
use crate::report::{account_counts, Counts};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An in-place bar (standard error is a terminal).
    Bar,
    /// One plain line per account on standard error.
    Lines,
    /// One `tracing` event per account (JSON logs stay parseable).
    Log,
}

impl Mode {
    /// The mode for standard error as it is now.
    pub fn for_stderr(json_logs: bool) -> Mode {
        if json_logs {
            Mode::Log
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        }
    }
}

/// Tracks finished accounts and shows them.
#[derive(Debug)]
pub struct Progress {
    mode: Mode,
    total: usize,
    done: usize,
    /// Accounts with at least one failed check or error.
    failing: usize,
    failed_checks: usize,
    errors: usize,
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(mode: Mode, total: usize) -> Progress {
        Self::with_target(mode, total, ProgressDrawTarget::stderr())
    }

    /// As `new`, drawing the bar to `target` (tests draw to a hidden target).
    pub fn with_target(mode: Mode, total: usize, target: ProgressDrawTarget) -> Progress {
        let bar = (mode == Mode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), target);
            // The template is a constant; a bad one would be a bug caught by the unit test.
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} accounts  {msg}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        let p = Progress {
            mode,
            total,
            done: 0,
            failing: 0,
            failed_checks: 0,
            errors: 0,
            bar,
        };
        if let Some(b) = &p.bar {
            b.set_message(p.message());
        }
        p
    }

    /// Records one finished account.
    pub fn account_done(&mut self, a: &AccountResult) {
        let c = account_counts(a);
        self.done += 1;
        self.failed_checks += c.failed;
        self.errors += c.errors;
        if c.failed > 0 || c.errors > 0 {
            self.failing += 1;
        }
        match self.mode {
            Mode::Bar => {
                if let Some(b) = &self.bar {
                    b.set_position(self.done as u64);
                    b.set_message(self.message());
                }
            }
            Mode::Lines => eprintln!("{}", line(self.done, self.total, a, &c)),
            Mode::Log => tracing::info!(
                account = %a.account_id, passed = c.passed, failed = c.failed,
                not_available = c.not_available, errors = c.errors,
                done = self.done, total = self.total, accounts_failing = self.failing,
                "account assessed"
            ),
        }
    }

    /// Removes the bar so the summary table prints on a clean line.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    /// The bar's message: failures so far.
    pub fn message(&self) -> String {
        format!(
            "{} failing account(s), {} failed check(s), {} error(s)",
            self.failing, self.failed_checks, self.errors
        )
    }

    pub fn done(&self) -> usize {
        self.done
    }
}

/// One finished account as a plain line.
pub fn line(done: usize, total: usize, a: &AccountResult, c: &Counts) -> String {
    let mut s = format!(
        "[{done}/{total}] {} passed={} failed={} n/a={} errors={}",
        a.account_id, c.passed, c.failed, c.not_available, c.errors
    );
    if let Some(e) = &a.error {
        s.push_str(&format!(" (not assessed: {e})"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_common::{CheckOutcome, CheckStatus, ResourceRef, Verdict};

    fn account(id: &str, failed: bool, error: Option<&str>) -> AccountResult {
        AccountResult {
            account_id: id.into(),
            name: "n".into(),
            error: error.map(str::to_string),
            snapshot_error: None,
            outcomes: vec![CheckOutcome {
                check_id: "iam.root-mfa".into(),
                account_id: id.into(),
                region: "us-east-1".into(),
                status: CheckStatus::Evaluated {
                    verdicts: vec![Verdict {
                        resource: ResourceRef::account(id),
                        passed: !failed,
                        reason: "r".into(),
                    }],
                },
            }],
            publish: vec![],
        }
    }

    #[test]
    fn plain_line_names_the_account_and_its_counts() {
        let a = account("111122223333", true, None);
        let l = line(2, 5, &a, &account_counts(&a));
        assert_eq!(l, "[2/5] 111122223333 passed=0 failed=1 n/a=0 errors=0");
        let b = account("444455556666", false, Some("cannot assume role"));
        let l = line(3, 5, &b, &account_counts(&b));
        assert!(
            l.ends_with("errors=1 (not assessed: cannot assume role)"),
            "{l}"
        );
    }

    #[test]
    fn bar_counts_accounts_and_failures() {
        let mut p = Progress::with_target(Mode::Bar, 3, ProgressDrawTarget::hidden());
        p.account_done(&account("111122223333", false, None));
        p.account_done(&account("222233334444", true, None));
        p.account_done(&account("333344445555", false, Some("denied")));
        let bar = p.bar.as_ref().expect("bar");
        assert_eq!(bar.position(), 3);
        assert_eq!(bar.length(), Some(3));
        assert_eq!(
            bar.message(),
            "2 failing account(s), 1 failed check(s), 1 error(s)"
        );
        p.finish();
        assert!(bar.is_finished());
        assert_eq!(p.done(), 3);
    }
}
