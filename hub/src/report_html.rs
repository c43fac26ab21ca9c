//! The HTML report: one self-contained file (inline CSS and JS, no external assets) with the
//! run's metadata and, for every benchmark version of the run, an accounts x requirements
//! heat-map and a drill-down to the offending resources of every cell that did not pass.
//!
//! Every string that comes from the run (account names, resource ids, reasons, even ids) goes
//! through [`escape`]: resource names are attacker-controlled in a compromised account.

use crate::fleet::{AccountResult, FleetReport};
use crate::report::account_counts;
use rampart_common::{Benchmark, CheckStatus, Requirement};
use std::fmt::Write;

/// What a heat-map cell shows, in order of precedence (a failure outranks an error, which
/// outranks missing data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CellStatus {
    Passed,
    NotAvailable,
    Error,
    Failed,
}

impl CellStatus {
    pub fn label(self) -> &'static str {
        match self {
            CellStatus::Passed => "PASSED",
            CellStatus::NotAvailable => "NOT_AVAILABLE",
            CellStatus::Error => "ERROR",
            CellStatus::Failed => "FAILED",
        }
    }

    fn class(self) -> &'static str {
        match self {
            CellStatus::Passed => "s-passed",
            CellStatus::NotAvailable => "s-na",
            CellStatus::Error => "s-error",
            CellStatus::Failed => "s-failed",
        }
    }

    fn glyph(self) -> &'static str {
        match self {
            CellStatus::Passed => "&#10003;",
            CellStatus::NotAvailable => "&ndash;",
            CellStatus::Error => "!",
            CellStatus::Failed => "&#10007;",
        }
    }
}

/// One line of a cell's drill-down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailRow {
    pub status: CellStatus,
    pub region: String,
    pub check_id: String,
    pub resource_kind: String,
    pub resource_id: String,
    pub reason: String,
}

/// The status of one account for one requirement, and what did not pass.
pub fn cell(account: &AccountResult, req: &Requirement) -> (CellStatus, Vec<DetailRow>) {
    if let Some(e) = &account.error {
        let row = DetailRow {
            status: CellStatus::Error,
            region: String::new(),
            check_id: String::new(),
            resource_kind: String::new(),
            resource_id: String::new(),
            reason: format!("account not assessed: {e}"),
        };
        return (CellStatus::Error, vec![row]);
    }
    let mut rows = Vec::new();
    let mut status = None::<CellStatus>;
    for o in account
        .outcomes
        .iter()
        .filter(|o| req.checks.contains(&o.check_id.as_str()))
    {
        let here = match &o.status {
            CheckStatus::Evaluated { .. } => {
                let mut failed = false;
                for v in o.failures() {
                    failed = true;
                    rows.push(DetailRow {
                        status: CellStatus::Failed,
                        region: o.region.clone(),
                        check_id: o.check_id.clone(),
                        resource_kind: v.resource.kind.clone(),
                        resource_id: v.resource.id.clone(),
                        reason: v.reason.clone(),
                    });
                }
                if failed {
                    CellStatus::Failed
                } else {
                    CellStatus::Passed
                }
            }
            CheckStatus::NotAvailable { reason } | CheckStatus::Error { reason } => {
                let s = if o.is_error() {
                    CellStatus::Error
                } else {
                    CellStatus::NotAvailable
                };
                rows.push(DetailRow {
                    status: s,
                    region: o.region.clone(),
                    check_id: o.check_id.clone(),
                    resource_kind: String::new(),
                    resource_id: String::new(),
                    reason: reason.clone(),
                });
                s
            }
        };
        status = Some(status.map_or(here, |s| s.max(here)));
    }
    match status {
        Some(s) => (s, rows),
        // No outcome at all (e.g. a snapshot file was missing): nothing says it passed.
        None => (
            CellStatus::NotAvailable,
            vec![DetailRow {
                status: CellStatus::NotAvailable,
                region: String::new(),
                check_id: req.checks.join(", "),
                resource_kind: String::new(),
                resource_id: String::new(),
                reason: "not evaluated in this run".to_string(),
            }],
        ),
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An id attribute value from arbitrary parts (letters, digits, `-`, `.`, `_` only), so
/// fragment links need no further quoting.
fn anchor(prefix: &str, parts: &[&str]) -> String {
    let mut s = prefix.to_string();
    for p in parts {
        s.push('-');
        s.extend(p.chars().map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        }));
    }
    s
}

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;color:#1d2430;background:#fff}
h1{font-size:1.4rem;margin:0 0 .5rem}h2{font-size:1.1rem;margin-top:2rem}h3{font-size:1rem;margin-top:1.5rem}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem;font-size:.9rem}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
.legend span{display:inline-block;padding:.1rem .5rem;margin-right:.4rem;border-radius:3px;font-size:.8rem}
.wrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.8rem}
table.heatmap th,table.heatmap td{border:1px solid #d0d5dd;padding:0}
table.heatmap thead th{writing-mode:vertical-rl;transform:rotate(180deg);padding:.3rem .1rem;font-weight:500}
table.heatmap tbody th{text-align:left;padding:.2rem .5rem;white-space:nowrap;font-weight:500}
table.heatmap td.cell{width:1.6rem;height:1.6rem;text-align:center}
table.heatmap td.cell a{display:block;color:inherit;text-decoration:none;line-height:1.6rem}
.s-passed{background:#2e7d32;color:#fff}.s-failed{background:#c62828;color:#fff}
.s-error{background:#ef6c00;color:#fff}.s-na{background:#9e9e9e;color:#fff}
td.cell:hover{outline:2px solid #1d2430}
.hidden{display:none}
details{margin:.3rem 0}details>summary{cursor:pointer}
details.req>summary{font-weight:600}
details.cell-detail{margin-left:1.2rem}
table.rows td,table.rows th{border:1px solid #d0d5dd;padding:.2rem .4rem;text-align:left;vertical-align:top}
table.rows td.res{font-family:ui-monospace,monospace;word-break:break-all}
table.counts td,table.counts th{border:1px solid #d0d5dd;padding:.2rem .5rem}
table.counts td.n{text-align:right}
:target{outline:2px solid #1565c0}
"#;

/// Opens a drill-down (and its parent) when its cell is clicked or its anchor is the URL's
/// fragment; hides, per benchmark version, the requirements nothing fails when asked; tallies
/// each version's cells and all of them; marks the page rendered.
const SCRIPT: &str = r##"
(function () {
  "use strict";
  var order = ["FAILED", "ERROR", "NOT_AVAILABLE", "PASSED"];
  function openTarget(id) {
    var el = document.getElementById(id);
    while (el) {
      if (el.tagName === "DETAILS") { el.open = true; }
      el = el.parentElement;
    }
  }
  function summary(n, tally) {
    return n + " cells: " + order.map(function (s) { return (tally[s] || 0) + " " + s; }).join(", ");
  }
  var total = {};
  var all = 0;
  var tables = document.querySelectorAll("table.heatmap");
  tables.forEach(function (table) {
    var cells = table.querySelectorAll("td.cell");
    var tally = {};
    cells.forEach(function (c) {
      var s = c.getAttribute("data-status");
      tally[s] = (tally[s] || 0) + 1;
      total[s] = (total[s] || 0) + 1;
      var a = c.querySelector("a");
      if (a) {
        a.addEventListener("click", function () { openTarget(a.getAttribute("href").slice(1)); });
      }
    });
    all += cells.length;
    var out = document.getElementById(table.id + "-summary");
    if (out) { out.textContent = summary(cells.length, tally); }
  });
  if (location.hash) { openTarget(decodeURIComponent(location.hash.slice(1))); }
  var toggle = document.getElementById("only-failing");
  toggle.addEventListener("change", function () {
    tables.forEach(function (table) {
      var rows = table.querySelectorAll("tr");
      var cols = table.querySelectorAll("thead th[data-req]");
      cols.forEach(function (th, i) {
        var req = th.getAttribute("data-req");
        var bad = table.querySelectorAll('td.cell[data-req="' + CSS.escape(req) + '"]:not([data-status="PASSED"])').length > 0;
        var hide = toggle.checked && !bad;
        rows.forEach(function (r) {
          var c = r.children[i + 1];
          if (c) { c.classList.toggle("hidden", hide); }
        });
      });
    });
  });
  document.getElementById("js-summary").textContent = summary(all, total);
  document.body.setAttribute("data-rendered", "true");
})();
"##;

/// One benchmark version's grid: per account, per requirement, the cell and its drill-down.
type Grid = Vec<Vec<(CellStatus, Vec<DetailRow>)>>;

/// Renders the report over every benchmark version of the run (one heat-map and one drill-down
/// per version; ids carry the version, since requirement ids mean different things across
/// versions). `version` is the Rampart version that produced it.
pub fn render(report: &FleetReport, benchmarks: &[&Benchmark], version: &str) -> String {
    let mut h = String::new();
    let e = escape;
    let names = benchmarks
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Rampart report {}</title><style>{STYLE}</style></head>\n<body>\n",
        e(&report.run_id)
    );
    let _ = writeln!(h, "<h1>Rampart assessment: {}</h1>", e(&names));
    let finished = report.finished_at.as_deref().unwrap_or("unknown");
    let _ = writeln!(h, "<dl class=\"meta\" id=\"meta\">");
    for (k, v) in [
        ("Run id", report.run_id.as_str()),
        (
            if benchmarks.len() > 1 {
                "Benchmarks"
            } else {
                "Benchmark"
            },
            names.as_str(),
        ),
        ("Started", report.started_at.as_str()),
        ("Finished", finished),
        ("Rampart version", version),
        ("Regions", &report.regions.join(", ")),
        ("Home region", report.home_region.as_str()),
    ] {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", e(k), e(v));
    }
    let _ = writeln!(
        h,
        "<dt>Accounts</dt><dd>{} ({})</dd></dl>",
        report.accounts.len(),
        e(&report
            .accounts
            .iter()
            .map(|a| a.account_id.as_str())
            .collect::<Vec<_>>()
            .join(", "))
    );
    let _ = writeln!(
        h,
        "<p class=\"legend\">\
         <span class=\"s-passed\">PASSED</span><span class=\"s-failed\">FAILED</span>\
         <span class=\"s-error\">ERROR</span><span class=\"s-na\">NOT_AVAILABLE</span>\
         <label><input type=\"checkbox\" id=\"only-failing\"> only requirements that do not pass everywhere</label></p>\
         <p id=\"js-summary\"></p>"
    );
    if benchmarks.len() > 1 {
        let _ = write!(h, "<nav><ul id=\"versions\">");
        for b in benchmarks {
            let _ = write!(
                h,
                "<li><a href=\"#{}\">{}</a></li>",
                anchor("b", &[b.key]),
                e(b.name)
            );
        }
        let _ = writeln!(h, "</ul></nav>");
    }

    for b in benchmarks {
        // The grid, computed once for the heat-map and the drill-down.
        let grid: Grid = report
            .accounts
            .iter()
            .map(|a| b.requirements.iter().map(|r| cell(a, r)).collect())
            .collect();
        let _ = writeln!(
            h,
            "<section class=\"benchmark\" id=\"{}\" data-benchmark=\"{}\">\n<h2>{}: accounts x requirements</h2>",
            anchor("b", &[b.key]),
            e(b.key),
            e(b.name)
        );
        heat_map(&mut h, report, b, &grid);
        drill_down(&mut h, report, b, &grid);
        let _ = writeln!(h, "</section>");
    }

    let _ = writeln!(
        h,
        "<h2>Checks per account</h2>\n<table class=\"counts\"><tr><th>Account</th><th>Name</th>\
         <th>Passed</th><th>Failed</th><th>N/A</th><th>Errors</th></tr>"
    );
    for a in &report.accounts {
        let c = account_counts(a);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            e(&a.account_id),
            e(&a.name),
            c.passed,
            c.failed,
            c.not_available,
            c.errors
        );
    }
    let _ = writeln!(h, "</table>");
    let _ = writeln!(h, "<script>{SCRIPT}</script>\n</body></html>");
    h
}

/// The id of an account's drill-down for one requirement of one version.
fn detail_anchor(b: &Benchmark, account: &str, req: &str) -> String {
    anchor("d", &[b.key, account, req])
}

/// One version's accounts x requirements table.
fn heat_map(h: &mut String, report: &FleetReport, b: &Benchmark, grid: &Grid) {
    let e = escape;
    let table_id = anchor("heatmap", &[b.key]);
    let _ = writeln!(h, "<p class=\"summary\" id=\"{table_id}-summary\"></p>");
    let _ = write!(
        h,
        "<div class=\"wrap\"><table class=\"heatmap\" id=\"{table_id}\" data-benchmark=\"{}\"><thead><tr><th>Account</th>",
        e(b.key)
    );
    for r in b.requirements {
        let _ = write!(
            h,
            "<th data-req=\"{}\" title=\"{} {}\">{}</th>",
            e(r.id),
            e(r.id),
            e(r.title),
            e(r.id)
        );
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    for (a, row) in report.accounts.iter().zip(grid) {
        let _ = write!(
            h,
            "<tr><th title=\"{}\">{} <small>{}</small></th>",
            e(&a.name),
            e(&a.account_id),
            e(&a.name.chars().take(24).collect::<String>())
        );
        for (r, (status, _)) in b.requirements.iter().zip(row) {
            let title = format!(
                "{} / {} {} {}: {}",
                a.account_id,
                b.version(),
                r.id,
                r.title,
                status.label()
            );
            let inner = if *status == CellStatus::Passed {
                status.glyph().to_string()
            } else {
                format!(
                    "<a href=\"#{}\">{}</a>",
                    detail_anchor(b, &a.account_id, r.id),
                    status.glyph()
                )
            };
            let _ = write!(
                h,
                "<td class=\"cell {}\" data-status=\"{}\" data-account=\"{}\" data-req=\"{}\" title=\"{}\">{inner}</td>",
                status.class(),
                status.label(),
                e(&a.account_id),
                e(r.id),
                e(&title)
            );
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table></div>");
}

/// One version's drill-down: per requirement that does not pass everywhere, per account, what
/// and why.
fn drill_down(h: &mut String, report: &FleetReport, b: &Benchmark, grid: &Grid) {
    let e = escape;
    let _ = writeln!(
        h,
        "<h3>{}: requirements that do not pass</h3>\n<div class=\"details\" id=\"{}\">",
        e(b.name),
        anchor("details", &[b.key])
    );
    let mut any = false;
    for (ri, r) in b.requirements.iter().enumerate() {
        let bad: Vec<(&AccountResult, &(CellStatus, Vec<DetailRow>))> = report
            .accounts
            .iter()
            .zip(grid)
            .filter_map(|(a, row)| row.get(ri).map(|c| (a, c)))
            .filter(|(_, (s, _))| *s != CellStatus::Passed)
            .collect();
        if bad.is_empty() {
            continue;
        }
        any = true;
        let failing = bad
            .iter()
            .filter(|(_, (s, _))| *s == CellStatus::Failed)
            .count();
        let _ = writeln!(
            h,
            "<details class=\"req\" id=\"{}\"><summary>{} {} &mdash; {} of {} account(s) failing, {} not passing</summary>",
            anchor("r", &[b.key, r.id]),
            e(r.id),
            e(r.title),
            failing,
            report.accounts.len(),
            bad.len()
        );
        for (a, (status, rows)) in bad {
            let _ = writeln!(
                h,
                "<details class=\"cell-detail\" id=\"{}\"><summary><span class=\"{}\">{}</span> {} {}</summary>",
                detail_anchor(b, &a.account_id, r.id),
                status.class(),
                status.label(),
                e(&a.account_id),
                e(&a.name)
            );
            let _ = writeln!(
                h,
                "<table class=\"rows\"><tr><th>Status</th><th>Region</th><th>Check</th><th>Resource</th><th>Reason</th></tr>"
            );
            for d in rows {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"res\">{}{}</td><td>{}</td></tr>",
                    d.status.label(),
                    e(&d.region),
                    e(&d.check_id),
                    if d.resource_kind.is_empty() {
                        String::new()
                    } else {
                        format!("<small>{}</small><br>", e(&d.resource_kind))
                    },
                    e(&d.resource_id),
                    e(&d.reason)
                );
            }
            let _ = writeln!(h, "</table></details>");
        }
        let _ = writeln!(h, "</details>");
    }
    if !any {
        let _ = writeln!(h, "<p>Every requirement passed in every account.</p>");
    }
    let _ = writeln!(h, "</div>");
}

#[cfg(test)]
mod tests;
