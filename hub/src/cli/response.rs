//! The response commands of the `rampart` CLI: `handle-event`, `isolate`, `mfa enforce`,
//! `remediate`, `undo` and `audit`. They build the same `Responder` the hub Lambda runs.

use super::formats::OutputFormat;
use crate::aws::{self, AwsOptions};
use crate::exit::{self, CliError};
use crate::options::GlobalArgs;
use crate::respond::record::{Disposition, Outcome};
use crate::respond::Responder;
use crate::service;
use anyhow::Context;
use std::io::Read;

/// Exit code of a handled event: 0 handled (acted, planned, ignored, duplicate), 2 rejected
/// (the event was not acceptable), 3 an action failed or the event could not be handled yet
/// (deferred: retry it).
pub fn exit_code(o: &Outcome) -> u8 {
    match o.disposition {
        Disposition::Rejected => exit::USAGE,
        Disposition::Failed | Disposition::Deferred => exit::RUNTIME,
        _ => exit::OK,
    }
}

/// Builds the responder from the layered configuration. `hub_region` overrides the region of
/// the hub's own calls (DynamoDB, SNS, STS, Organizations).
pub async fn responder(
    global: &GlobalArgs,
    hub_region: Option<String>,
    plan: bool,
) -> Result<Responder, CliError> {
    let cfg = global.effective_config()?;
    let opts = AwsOptions {
        profile: global.profile.clone(),
        region: hub_region,
        endpoint_url: global.endpoint_url.clone(),
        retry_mode: cfg.retry_mode.clone().unwrap_or_else(|| "standard".into()),
        max_attempts: cfg.max_attempts(),
    };
    let base = aws::load(&opts).await;
    Ok(service::responder(&base, &cfg, plan).await?)
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), CliError> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).context("serializing the outcome")?
    );
    Ok(())
}

pub async fn handle_event(global: &GlobalArgs, file: &str, plan: bool) -> Result<u8, CliError> {
    let raw = if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading the event from standard input")?;
        buf
    } else {
        std::fs::read(file)
            .map_err(|e| CliError::Usage(format!("cannot read event file {file}: {e}")))?
    };
    let r = responder(global, global.region.clone(), plan).await?;
    let o = r.handle_bytes(&raw).await;
    print_json(&o)?;
    Ok(exit_code(&o))
}

pub async fn isolate(
    global: &GlobalArgs,
    account: &str,
    instance: &str,
    plan: bool,
) -> Result<u8, CliError> {
    // --region names the instance's region; the hub's own calls use AWS_REGION / the profile.
    let Some(region) = global.region.clone() else {
        return Err(CliError::Usage(
            "isolate needs --region (the instance's region)".into(),
        ));
    };
    let hub_region = std::env::var("AWS_REGION").ok().or(Some(region.clone()));
    let r = responder(global, hub_region, plan).await?;
    let o = r.isolate(account, &region, instance).await;
    print_json(&o)?;
    Ok(exit_code(&o))
}

pub async fn record_trails(
    global: &GlobalArgs,
    accept_drift: bool,
    plan: bool,
) -> Result<u8, CliError> {
    let r = responder(global, global.region.clone(), plan).await?;
    let o = r.record_trails_now(accept_drift).await;
    print_json(&o)?;
    Ok(exit_code(&o))
}

pub async fn mfa_enforce(global: &GlobalArgs, account: &str, plan: bool) -> Result<u8, CliError> {
    let r = responder(global, global.region.clone(), plan).await?;
    let outcomes = r
        .enforce_mfa(account)
        .await
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("mfa enforce in {account}: {e}")))?;
    print_json(&outcomes)?;
    Ok(outcomes.iter().map(exit_code).max().unwrap_or(exit::OK))
}

/// What `rampart remediate` fixes.
pub enum RemediateTarget {
    Finding(String),
    Control {
        account: String,
        control: String,
        resource: Option<String>,
    },
}

/// The hub's own region for its calls, and the target region: `--region` names the
/// resource's region (as for `isolate`); the hub's calls use AWS_REGION / the profile.
fn regions_of(global: &GlobalArgs) -> (Option<String>, Option<String>) {
    let hub = std::env::var("AWS_REGION")
        .ok()
        .filter(|r| !r.is_empty())
        .or_else(|| global.region.clone());
    (hub, global.region.clone())
}

pub async fn remediate(
    global: &GlobalArgs,
    target: RemediateTarget,
    apply: bool,
    format: OutputFormat,
) -> Result<u8, CliError> {
    let (hub_region, region) = regions_of(global);
    let r = responder(global, hub_region.clone(), !apply).await?;
    let o = match target {
        RemediateTarget::Control {
            account,
            control,
            resource,
        } => {
            let Some(region) = region.or(hub_region) else {
                return Err(CliError::Usage(
                    "remediate needs --region (the resource's region) or AWS_REGION".into(),
                ));
            };
            r.remediate(&account, &region, &control, resource.as_deref(), None)
                .await
        }
        RemediateTarget::Finding(id) => {
            let cfg = global.effective_config()?;
            let base = aws::load(&AwsOptions {
                profile: global.profile.clone(),
                region: hub_region,
                endpoint_url: global.endpoint_url.clone(),
                retry_mode: cfg.retry_mode.clone().unwrap_or_else(|| "standard".into()),
                max_attempts: cfg.max_attempts(),
            })
            .await;
            let f = r
                .lookup_finding(&id, &base)
                .await
                .map_err(|e| CliError::Usage(format!("--finding {id}: {e}")))?;
            match rampart_member::respond::remediation::for_finding(&f) {
                Ok(job) => {
                    r.remediate(
                        &f.account,
                        &f.region,
                        &job.control,
                        job.resource.as_deref(),
                        job.finding,
                    )
                    .await
                }
                Err(why) => {
                    return Err(CliError::Usage(format!("--finding {id}: {why}")));
                }
            }
        }
    };
    print_remediation(&o, format)?;
    Ok(exit_code(&o))
}

fn print_remediation(o: &Outcome, format: OutputFormat) -> Result<(), CliError> {
    match format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "actions": o.remediations,
            "disposition": o.disposition,
            "reason": o.reason,
            "event_id": o.event_id,
            "records": o.actions,
        })),
        OutputFormat::Table => {
            println!(
                "{:<36} {:<8} {:<13} {:<10} {:<8} RESOURCE / CHANGE",
                "ID", "STATUS", "ACCOUNT", "REGION", "CONTROL"
            );
            for a in &o.remediations {
                println!(
                    "{:<36} {:<8} {:<13} {:<10} {:<8} {}\n{:>78}{}",
                    a.id,
                    format!("{:?}", a.status).to_lowercase(),
                    a.account,
                    a.region,
                    a.control,
                    a.resource,
                    "",
                    a.detail
                );
            }
            for r in o
                .actions
                .iter()
                .filter(|r| r.action == "re-evaluate" || r.action.starts_with("securityhub:"))
            {
                eprintln!("{} ({:?}): {}", r.action, r.status, r.detail);
            }
            eprintln!(
                "{:?}{}",
                o.disposition,
                o.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
            Ok(())
        }
    }
}

pub async fn undo(
    global: &GlobalArgs,
    ids: &[String],
    plan: bool,
    format: OutputFormat,
) -> Result<u8, CliError> {
    let (hub_region, _) = regions_of(global);
    let r = responder(global, hub_region, plan).await?;
    let mut outcomes = Vec::new();
    for id in ids {
        outcomes.push((id.clone(), r.undo(id).await));
    }
    match format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "undone": outcomes.iter().map(|(id, o)| serde_json::json!({
                "id": id,
                "disposition": o.disposition,
                "reason": o.reason,
                "account": o.account,
                "region": o.region,
                "records": o.actions,
            })).collect::<Vec<_>>()
        }))?,
        OutputFormat::Table => {
            for (id, o) in &outcomes {
                println!(
                    "{id:<36} {:<9} {}",
                    format!("{:?}", o.disposition).to_lowercase(),
                    o.reason.clone().unwrap_or_else(|| o
                        .actions
                        .iter()
                        .map(|a| a.detail.clone())
                        .collect::<Vec<_>>()
                        .join("; "))
                );
            }
        }
    }
    Ok(outcomes
        .iter()
        .map(|(_, o)| exit_code(o))
        .max()
        .unwrap_or(exit::OK))
}

/// `30m`, `24h`, `7d`, `90s`, or an RFC 3339 time, as the RFC 3339 lower bound.
pub fn parse_since(s: &str, now: chrono::DateTime<chrono::Utc>) -> Result<String, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    }
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = num.parse().map_err(|_| {
        format!("--since '{s}' is not a duration like 30m, 24h, 7d or an RFC 3339 time")
    })?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("--since '{s}': unit must be s, m, h or d")),
    };
    Ok(
        (now - chrono::Duration::seconds(secs))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

pub async fn audit(
    global: &GlobalArgs,
    account: Option<&str>,
    since: &str,
    format: OutputFormat,
) -> Result<u8, CliError> {
    let since = parse_since(since, chrono::Utc::now()).map_err(CliError::Usage)?;
    let r = responder(global, global.region.clone(), true).await?;
    let items = r
        .store()
        .query(account, &since)
        .await
        .map_err(|e| CliError::Runtime(anyhow::anyhow!(e)))?;
    match format {
        OutputFormat::Json => print_json(&items)?,
        OutputFormat::Table => {
            println!(
                "{:<24} {:<13} {:<10} {:<18} {:<15} {:<36} {:<8} DETAIL",
                "AT", "ACCOUNT", "REGION", "PLAYBOOK", "STAGE", "ACTION", "STATUS"
            );
            for i in &items {
                let detail: String = i.detail.chars().take(80).collect();
                println!(
                    "{:<24} {:<13} {:<10} {:<18} {:<15} {:<36} {:<8} {}",
                    i.at.chars().take(24).collect::<String>(),
                    i.account,
                    i.region,
                    i.playbook,
                    i.stage,
                    i.action.chars().take(36).collect::<String>(),
                    i.status,
                    detail
                );
            }
            eprintln!("{} audit item(s) since {since}", items.len());
        }
    }
    Ok(exit::OK)
}

/// `rampart remediate --list`: every registered control and manual one.
pub fn list_remedies(format: OutputFormat) -> Result<u8, CliError> {
    let entries = rampart_member::remediate::listing::entries(rampart_member::remediate::REMEDIES);
    match format {
        OutputFormat::Json => print_json(&serde_json::json!({ "remedies": entries }))?,
        OutputFormat::Table => {
            for e in &entries {
                let what = match &e.command {
                    Some(c) => format!("manual: {c}"),
                    None => e.changes.clone(),
                };
                println!("{:<44} {:<30} {what}", e.controls.join(","), e.id);
            }
            let covered =
                rampart_member::remediate::listing::controls(rampart_member::remediate::REMEDIES);
            println!(
                "{} control ids ({} fixed, {} manual)",
                covered.len(),
                entries
                    .iter()
                    .filter(|e| !e.manual)
                    .flat_map(|e| e.controls.iter())
                    .count(),
                entries.iter().filter(|e| e.manual).count()
            );
        }
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_durations_and_times() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_since("24h", now).unwrap(), "2026-11-27T12:00:00.000Z");
        assert_eq!(parse_since("30m", now).unwrap(), "2026-11-28T11:30:00.000Z");
        assert_eq!(parse_since("7d", now).unwrap(), "2026-11-21T12:00:00.000Z");
        assert_eq!(
            parse_since("2026-11-01T00:00:00+01:00", now).unwrap(),
            "2026-10-31T23:00:00.000Z"
        );
        assert!(parse_since("yesterday", now)
            .unwrap_err()
            .contains("yesterday"));
        assert!(parse_since("5w", now).is_err());
        assert!(parse_since("", now).is_err());
    }
}
