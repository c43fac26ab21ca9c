//! Scale benchmark of the fleet assessment: for each organization size N, build an emulated
//! organization of N freshly created member accounts on the local emulator, then run the real
//! fleet assessment (the code behind `rampart assess --publish`) and report its wall time, the
//! API requests it makes per account-region (every HTTP request is counted by a wrapping HTTP
//! client on the hub's base SDK config, from which every member session is built), and the
//! peak memory of the process.
//!
//! Each N runs in a fresh child process (the binary re-invokes itself with `--single N`) with
//! its own emulator, so one size's memory peak cannot hide another's.
//!
//! Run: `cargo build --release -p rampart-testbed --bin rampart-bench` then
//! `target/release/rampart-bench --accounts 10,100,500 --json bench.json`. See docs/benchmark.md.

use anyhow::Context;
use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use clap::Parser;
use futures::stream::{self, StreamExt, TryStreamExt};
use rampart_hub::org::Account;
use rampart_testbed::emulator::{Emulator, Options, MANAGEMENT_ACCOUNT};
use rampart_testbed::fixtures::member_config;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "rampart-bench",
    about = "Scale benchmark of the fleet assessment on the local emulator"
)]
struct Args {
    /// Organization sizes (member accounts) to measure, each in a fresh process and emulator.
    #[arg(long, value_delimiter = ',', default_value = "10,100")]
    accounts: Vec<usize>,
    /// Regions to assess (the first is the home region).
    #[arg(long, value_delimiter = ',', default_value = "us-east-1")]
    regions: Vec<String>,
    /// Accounts assessed in parallel (the CLI's default).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Concurrent requests while building the organization (not measured).
    #[arg(long, default_value_t = 8)]
    setup_concurrency: usize,
    /// Write every size's results as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Operations listed per size in the table (the JSON has all of them).
    #[arg(long, default_value_t = 40)]
    top: usize,
    /// CIS versions assessed (comma-separated keys).
    #[arg(long, value_delimiter = ',', default_value = "cis-7.0.0")]
    benchmark: Vec<String>,
    /// Publish FAILED findings only (by default PASSED and NOT_AVAILABLE findings too).
    #[arg(long)]
    only_failed: bool,
    /// Internal: measure one size in this process and print its result as JSON on stdout.
    #[arg(long, hide = true)]
    single: Option<usize>,
}

/// One size's measurements.
#[derive(Debug, Serialize, Deserialize)]
struct SizeResult {
    accounts: usize,
    regions: Vec<String>,
    concurrency: usize,
    /// Building the organization (not part of the assessment).
    setup_secs: f64,
    /// The fleet assessment, publishing included.
    wall_secs: f64,
    requests_total: u64,
    /// Requests made for the hub itself (not attributable to a member account).
    requests_hub: u64,
    requests_per_account_region_mean: f64,
    requests_per_account_region_max: f64,
    /// Request counts by `service:Operation`, over the whole assessment.
    by_operation: BTreeMap<String, u64>,
    /// Peak RSS (VmHWM) of the bench process during the assessment alone (reset after setup).
    assessment_peak_rss_mb: f64,
    /// Peak RSS of the bench process over its whole life (setup included).
    process_peak_rss_mb: f64,
    /// RSS of the emulator after the assessment, and its peak.
    emulator_rss_mb: Option<f64>,
    emulator_peak_rss_mb: Option<f64>,
    accounts_failing_to_assess: usize,
    checks_evaluated: usize,
    findings_published: usize,
    publish_errors: usize,
    /// Benchmark keys assessed and whether only FAILED findings were published.
    #[serde(default)]
    benchmarks: Vec<String>,
    #[serde(default)]
    only_failed: bool,
    /// The same fleet assessed again right after (nothing changed): wall time, requests,
    /// findings imported and findings not re-imported because they did not change.
    #[serde(default)]
    second_wall_secs: f64,
    #[serde(default)]
    second_requests_total: u64,
    #[serde(default)]
    second_findings_published: usize,
    #[serde(default)]
    second_findings_unchanged: usize,
    #[serde(default)]
    second_publish_errors: usize,
}

/// Requests counted by account and by operation.
#[derive(Debug, Default)]
struct Counts {
    /// Access key id -> account, learned from AssumeRole exchanges.
    keys: HashMap<String, String>,
    by_account: HashMap<String, u64>,
    by_operation: BTreeMap<String, u64>,
    total: u64,
    enabled: bool,
}

#[derive(Debug)]
struct Counting {
    inner: SharedHttpConnector,
    counts: Arc<Mutex<Counts>>,
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name)
}

/// The SigV4 credential scope of a request: (access key id, service).
fn scope(req: &HttpRequest) -> (Option<String>, String) {
    let auth = header(req, "authorization").unwrap_or_default();
    let cred = auth
        .split("Credential=")
        .nth(1)
        .and_then(|s| s.split([',', ' ']).next())
        .unwrap_or_default();
    let parts: Vec<&str> = cred.split('/').collect();
    let key = parts
        .first()
        .filter(|k| !k.is_empty())
        .map(|k| k.to_string());
    let service = parts.get(3).copied().unwrap_or("unsigned").to_string();
    (key, service)
}

fn form_value(body: &[u8], key: &str) -> Option<String> {
    let body = std::str::from_utf8(body).ok()?;
    body.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                if let Ok(v) = u8::from_str_radix(hex, 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `service:Operation` from the JSON target header, the query protocol's Action, or the REST
/// method and path (with ids and ARNs elided).
fn operation(req: &HttpRequest, service: &str) -> String {
    if let Some(t) = header(req, "x-amz-target") {
        return format!("{service}:{}", t.rsplit('.').next().unwrap_or(t));
    }
    if let Some(a) = req.body().bytes().and_then(|b| form_value(b, "Action")) {
        return format!("{service}:{a}");
    }
    let uri = req.uri();
    let path = uri
        .split("://")
        .nth(1)
        .map(|rest| rest.find('/').map(|i| &rest[i..]).unwrap_or("/"))
        .unwrap_or(uri);
    let path = path.split('?').next().unwrap_or(path);
    let segs: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.chars().any(|c| c.is_ascii_digit()) || s.contains("%3A") || s.len() > 32 {
                "{id}"
            } else {
                s
            }
        })
        .collect();
    format!("{service}:{} /{}", req.method(), segs.join("/"))
}

impl HttpConnector for Counting {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (key, service) = scope(&request);
        let op = operation(&request, &service);
        let assumed = if op == "sts:AssumeRole" {
            request
                .body()
                .bytes()
                .and_then(|b| form_value(b, "RoleArn"))
                .and_then(|arn| arn.split(':').nth(4).map(str::to_string))
        } else {
            None
        };
        {
            let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            if c.enabled {
                c.total += 1;
                let account = match (&assumed, &key) {
                    (Some(a), _) => a.clone(),
                    (None, Some(k)) => c
                        .keys
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| MANAGEMENT_ACCOUNT.to_string()),
                    (None, None) => MANAGEMENT_ACCOUNT.to_string(),
                };
                *c.by_account.entry(account).or_default() += 1;
                *c.by_operation.entry(op).or_default() += 1;
            }
        }
        let fut = self.inner.call(request);
        let counts = self.counts.clone();
        HttpConnectorFuture::new(async move {
            let mut resp = fut.await?;
            if let Some(account) = assumed {
                // Learn the session's access key so its requests count for its account.
                let body = resp.take_body();
                let bytes = ByteStream::new(body)
                    .collect()
                    .await
                    .map(|b| b.into_bytes())
                    .unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes);
                if let Some(k) = text
                    .split("<AccessKeyId>")
                    .nth(1)
                    .and_then(|s| s.split("</AccessKeyId>").next())
                {
                    let mut c = counts.lock().unwrap_or_else(|p| p.into_inner());
                    c.keys.insert(k.trim().to_string(), account);
                }
                *resp.body_mut() = SdkBody::from(bytes);
            }
            Ok(resp)
        })
    }
}

/// `base` with every HTTP request counted into `counts`.
fn counted(base: &SdkConfig, counts: Arc<Mutex<Counts>>) -> SdkConfig {
    // The SDK's own default client (rustls with aws-lc) when the config names none.
    let inner = base.http_client().unwrap_or_else(|| {
        aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build_https()
    });
    let client = http_client_fn(move |settings, components| {
        SharedHttpConnector::new(Counting {
            inner: inner.http_connector(settings, components),
            counts: counts.clone(),
        })
    });
    base.to_builder().http_client(client).build()
}

/// A `/proc/<pid>/status` field in MB.
fn status_mb(pid: &str, field: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(n) = args.single {
        let r = rampart_testbed::block_on(single(
            n,
            args.regions.clone(),
            args.concurrency,
            args.setup_concurrency,
            args.benchmark.clone(),
            args.only_failed,
        ))?;
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    let mut results = Vec::new();
    for &n in &args.accounts {
        eprintln!("==> {n} accounts, regions {}", args.regions.join(","));
        let out = std::process::Command::new(&exe)
            .arg("--single")
            .arg(n.to_string())
            .arg("--regions")
            .arg(args.regions.join(","))
            .arg("--concurrency")
            .arg(args.concurrency.to_string())
            .arg("--setup-concurrency")
            .arg(args.setup_concurrency.to_string())
            .arg("--benchmark")
            .arg(args.benchmark.join(","))
            .args(args.only_failed.then_some("--only-failed"))
            .stderr(std::process::Stdio::inherit())
            .output()?;
        if !out.status.success() {
            anyhow::bail!("the run with {n} accounts failed: {}", out.status);
        }
        let r: SizeResult = serde_json::from_slice(&out.stdout)
            .with_context(|| format!("reading the result of the run with {n} accounts"))?;
        print_ops(&r, args.top);
        results.push(r);
    }
    println!();
    println!(
        "{:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>9} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "ACCOUNTS",
        "REGIONS",
        "SETUP s",
        "WALL s",
        "REQUESTS",
        "REQ/AR",
        "MAX/AR",
        "REQ/s",
        "PEAK MB",
        "MOTO MB",
        "FAILING",
        "IMPORTED",
        "2ND s",
        "2ND IMP",
        "2ND SAVED"
    );
    for r in &results {
        println!(
            "{:>8} {:>7} {:>9.1} {:>9.1} {:>9} {:>9.1} {:>8.0} {:>8.0} {:>9.1} {:>9} {:>8} {:>9} {:>9.1} {:>9} {:>9}",
            r.accounts,
            r.regions.len(),
            r.setup_secs,
            r.wall_secs,
            r.requests_total,
            r.requests_per_account_region_mean,
            r.requests_per_account_region_max,
            r.requests_total as f64 / r.wall_secs,
            r.assessment_peak_rss_mb,
            r.emulator_peak_rss_mb
                .map(|m| format!("{m:.0}"))
                .unwrap_or_else(|| "-".into()),
            r.accounts_failing_to_assess,
            r.findings_published,
            r.second_wall_secs,
            r.second_findings_published,
            r.second_findings_unchanged
        );
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&results)?)?;
        eprintln!("results written to {}", path.display());
    }
    Ok(())
}

fn print_ops(r: &SizeResult, top: usize) {
    let ars = (r.accounts * r.regions.len()).max(1) as f64;
    let mut ops: Vec<(&String, &u64)> = r.by_operation.iter().collect();
    ops.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!(
        "\n{} accounts x {} regions: {} requests in {:.1} s",
        r.accounts,
        r.regions.len(),
        r.requests_total,
        r.wall_secs
    );
    println!("{:<58} {:>8} {:>12}", "OPERATION", "CALLS", "PER ACCT-RGN");
    for (op, n) in ops.iter().take(top) {
        println!("{op:<58} {n:>8} {:>12.2}", **n as f64 / ars);
    }
    if ops.len() > top {
        println!("... {} more operations", ops.len() - top);
    }
}

/// Builds the organization (untimed), then runs and measures one fleet assessment.
async fn single(
    n: usize,
    regions: Vec<String>,
    concurrency: usize,
    setup_concurrency: usize,
    benchmark: Vec<String>,
    only_failed: bool,
) -> anyhow::Result<SizeResult> {
    let benchmarks = rampart_common::benchmarks::select(Some(&benchmark))?;
    let emu = Emulator::start_with(Options {
        load_managed_policies: false,
    })?;
    let home = regions
        .first()
        .cloned()
        .unwrap_or_else(|| "us-east-1".into());
    let plain = emu.sdk_config(&home).await;
    let t = Instant::now();
    let members = create_accounts(&plain, n, setup_concurrency).await?;
    enable_security_hub(&plain, &members, &regions, setup_concurrency).await?;
    let setup_secs = t.elapsed().as_secs_f64();
    eprintln!("    organization of {n} accounts ready in {setup_secs:.1} s");

    let counts = Arc::new(Mutex::new(Counts::default()));
    let base = counted(&plain, counts.clone());
    let run_id = format!("bench-{n}");
    let sessions = rampart_testbed::sessions(&base, &run_id);
    let mut plan = rampart_testbed::plan(&regions, true, &run_id);
    plan.concurrency = concurrency;
    let defaults = rampart_common::config::Config::default();
    plan.account.rate_limit = defaults.rate_limit();
    plan.account.rate_burst = defaults.rate_burst();
    plan.account.benchmarks = benchmarks.clone();
    plan.account.only_failed = only_failed;
    plan.account.refresh_after_days = Some(defaults.finding_refresh_days());

    // Measure the assessment alone: reset the peak RSS (Linux: 5 > clear_refs).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    counts.lock().unwrap_or_else(|p| p.into_inner()).enabled = true;
    let t = Instant::now();
    let mut done = 0usize;
    let report = rampart_hub::fleet::run_observed(
        &sessions,
        &members,
        &plan,
        &rampart_member::assess::Unobserved,
        &mut |_| {
            done += 1;
            if done.is_multiple_of(50) {
                eprintln!("    {done}/{n} accounts assessed");
            }
        },
    )
    .await;
    let wall_secs = t.elapsed().as_secs_f64();
    let assessment_peak_rss_mb = status_mb("self", "VmHWM:").unwrap_or(0.0);
    let c = {
        let mut c = counts.lock().unwrap_or_else(|p| p.into_inner());
        c.enabled = false;
        std::mem::take(&mut *c)
    };
    let ar = regions.len().max(1) as f64;
    let per_account: Vec<f64> = members
        .iter()
        .map(|m| c.by_account.get(&m.id).copied().unwrap_or(0) as f64 / ar)
        .collect();
    let member_total: f64 = per_account.iter().sum();
    let moto = emu.pid().to_string();
    let emulator_rss_mb = status_mb(&moto, "VmRSS:");
    let emulator_peak_rss_mb = status_mb(&moto, "VmHWM:");
    let process_peak_rss_mb = status_mb("self", "VmHWM:").unwrap_or(0.0);

    // The same fleet again, nothing changed: what the unchanged-finding skip saves.
    let mut again = plan.clone();
    again.account.run_id = format!("bench-{n}-again");
    again.account.now = rampart_testbed::chrono_now();
    counts.lock().unwrap_or_else(|p| p.into_inner()).enabled = true;
    let t = Instant::now();
    let second = rampart_hub::fleet::run(&sessions, &members, &again).await;
    let second_wall_secs = t.elapsed().as_secs_f64();
    let c2 = {
        let mut c = counts.lock().unwrap_or_else(|p| p.into_inner());
        c.enabled = false;
        std::mem::take(&mut *c)
    };
    let published = |r: &rampart_hub::fleet::FleetReport,
                     f: fn(&rampart_member::publish::PublishReport) -> usize|
     -> usize {
        r.accounts
            .iter()
            .flat_map(|a| &a.publish)
            .map(|p| f(&p.report))
            .sum()
    };
    Ok(SizeResult {
        benchmarks: benchmarks.iter().map(|b| b.key.to_string()).collect(),
        only_failed,
        second_wall_secs,
        second_requests_total: c2.total,
        second_findings_published: published(&second, |p| p.imported),
        second_findings_unchanged: published(&second, |p| p.unchanged),
        second_publish_errors: second
            .accounts
            .iter()
            .flat_map(|a| &a.publish)
            .filter(|p| p.report.error.is_some() || !p.report.failed.is_empty())
            .count(),
        accounts: n,
        regions: regions.clone(),
        concurrency,
        setup_secs,
        wall_secs,
        requests_total: c.total,
        requests_hub: c.by_account.get(MANAGEMENT_ACCOUNT).copied().unwrap_or(0),
        requests_per_account_region_mean: member_total / (n.max(1) as f64),
        requests_per_account_region_max: per_account.iter().copied().fold(0.0, f64::max),
        by_operation: c.by_operation,
        assessment_peak_rss_mb,
        process_peak_rss_mb,
        emulator_rss_mb,
        emulator_peak_rss_mb,
        accounts_failing_to_assess: report
            .accounts
            .iter()
            .filter(|a| a.error.is_some() || a.outcomes.iter().any(|o| o.is_error()))
            .count(),
        checks_evaluated: report.accounts.iter().map(|a| a.outcomes.len()).sum(),
        findings_published: report
            .accounts
            .iter()
            .flat_map(|a| &a.publish)
            .map(|p| p.report.imported)
            .sum(),
        publish_errors: report
            .accounts
            .iter()
            .flat_map(|a| &a.publish)
            .filter(|p| p.report.error.is_some() || !p.report.failed.is_empty())
            .count(),
    })
}

/// An organization with `n` freshly created member accounts (nothing planted in them).
async fn create_accounts(base: &SdkConfig, n: usize, conc: usize) -> anyhow::Result<Vec<Account>> {
    let org = aws_sdk_organizations::Client::new(base);
    org.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await?;
    let org = &org;
    let mut accounts: Vec<Account> = stream::iter(0..n)
        .map(|i| async move {
            let name = format!("member-{i:04}");
            let out = org
                .create_account()
                .account_name(&name)
                .email(format!("{name}@example.com"))
                .send()
                .await?;
            let id = out
                .create_account_status()
                .and_then(|s| s.account_id())
                .context("CreateAccount returned no account id")?
                .to_string();
            anyhow::Ok(Account {
                id,
                name,
                parent: None,
                ancestors: vec![],
            })
        })
        .buffer_unordered(conc.max(1))
        .try_collect()
        .await?;
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(accounts)
}

/// Enables Security Hub in every member and region (publishing requires it).
async fn enable_security_hub(
    base: &SdkConfig,
    members: &[Account],
    regions: &[String],
    conc: usize,
) -> anyhow::Result<()> {
    let pairs: Vec<(String, String)> = members
        .iter()
        .flat_map(|m| regions.iter().map(move |r| (m.id.clone(), r.clone())))
        .collect();
    stream::iter(pairs)
        .map(|(a, r)| async move {
            let cfg = member_config(base, &a, &r).await;
            rampart_member::securityhub::enable(&aws_sdk_securityhub::Client::new(&cfg))
                .await
                .map_err(anyhow::Error::msg)
        })
        .buffer_unordered(conc.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}
