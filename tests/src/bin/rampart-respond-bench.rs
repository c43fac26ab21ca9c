//! Benchmark of the response path: events per second through authentication, routing, claims
//! and the playbooks against the emulator; Rampart's own time per event beyond the AWS calls,
//! measured as the CPU time this process spends per event (the emulator is another process, so
//! waiting for AWS costs this process no CPU; SDK signing and (de)serialization are counted as
//! Rampart's); the cost of parsing alone; and the hub Lambda binary's cold-start init time
//! (spawn to its first poll of a local Lambda Runtime API).
//!
//! Run: `cargo run --release -p rampart-testbed --bin rampart-respond-bench -- --events 50`
//! (builds `rampart-hub-lambda` first with `cargo build --release -p rampart-hub --bins`).

use anyhow::Context;
use clap::Parser;
use rampart_hub::respond::record::Disposition;
use rampart_testbed::fixtures::{self, member_config, Profile};
use rampart_testbed::lambda_api::{lambda_env, RuntimeApi};
use rampart_testbed::respond::{config, event, hub_resources, responder};
use rampart_testbed::Emulator;
use std::time::{Duration, Instant};

const REGION: &str = "us-east-1";

#[derive(Parser, Debug)]
struct Args {
    /// Events per scenario.
    #[arg(long, default_value_t = 50)]
    events: usize,
    /// Cold starts of the Lambda binary to measure.
    #[arg(long, default_value_t = 10)]
    cold_starts: usize,
    /// Write the results as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

/// CPU time of every thread of this process so far (ns), from /proc/self/task/*/schedstat.
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| {
            s.split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
        })
        .sum()
}

#[derive(Debug, serde::Serialize)]
struct Row {
    scenario: String,
    events: usize,
    events_per_sec: f64,
    wall_ms_per_event: f64,
    rampart_cpu_ms_per_event: f64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    rampart_testbed::block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let emu = Emulator::start()?;
    let plain = emu.sdk_config(REGION).await;
    let org = fixtures::create_org(&plain, &[Profile::default()], &[REGION]).await?;
    let acct = org.members[0].id.clone();
    let hub = hub_resources(&plain).await?;
    let base = plain.clone();
    let mut cfg = config(&hub);
    cfg.action_rate_cap = Some(1_000_000);
    let r = responder(&base, cfg, false);
    let member = member_config(&plain, &acct, REGION).await;
    let ct = aws_sdk_cloudtrail::Client::new(&member);
    let ec2 = aws_sdk_ec2::Client::new(&member);
    let inst = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .send()
        .await?
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .context("no instance")?
        .to_string();
    // Warm the organization cache and connections.
    let _ = r.handle_bytes(b"{}").await;

    let mut rows = Vec::new();
    type Make = Box<dyn Fn(usize) -> anyhow::Result<String> + Send + Sync>;
    let scenarios: Vec<(&str, Make)> = vec![
        ("cloudtrail-tamper (StopLogging, restart)", {
            let acct = acct.clone();
            Box::new(move |i| {
                event(
                    "cloudtrail-stoplogging",
                    &[
                        ("EVENT_ID", &format!("bench-stop-{i}")),
                        ("ACCOUNT", &acct),
                        ("REGION", REGION),
                        ("USER", "mallory"),
                        ("TRAIL", "org-audit"),
                    ],
                )
            })
        }),
        ("isolate (GuardDuty, already isolated)", {
            let acct = acct.clone();
            let inst = inst.clone();
            Box::new(move |i| {
                event(
                    "guardduty-ec2",
                    &[
                        ("EVENT_ID", &format!("bench-gd-{i}")),
                        ("ACCOUNT", &acct),
                        ("REGION", REGION),
                        ("INSTANCE", &inst),
                        ("FINDING_ID", &format!("bench{i:028}")),
                    ],
                )
            })
        }),
        ("duplicate delivery", {
            let acct = acct.clone();
            Box::new(move |_| {
                event(
                    "cloudtrail-stoplogging",
                    &[
                        ("EVENT_ID", "bench-stop-0"),
                        ("ACCOUNT", &acct),
                        ("REGION", REGION),
                        ("USER", "mallory"),
                        ("TRAIL", "org-audit"),
                    ],
                )
            })
        }),
        ("rejected (account outside the organization)", {
            Box::new(move |i| {
                event(
                    "cloudtrail-stoplogging",
                    &[
                        ("EVENT_ID", &format!("bench-out-{i}")),
                        ("ACCOUNT", "999999999999"),
                        ("REGION", REGION),
                        ("USER", "mallory"),
                        ("TRAIL", "org-audit"),
                    ],
                )
            })
        }),
    ];
    for (name, make) in &scenarios {
        let mut wall = Duration::ZERO;
        let mut cpu = 0u64;
        for i in 0..args.events {
            let raw = make(i)?;
            if name.starts_with("cloudtrail") {
                ct.stop_logging().name("org-audit").send().await?;
            }
            let (t, c) = (Instant::now(), cpu_ns());
            let o = r.handle_bytes(raw.as_bytes()).await;
            wall += t.elapsed();
            cpu += cpu_ns().saturating_sub(c);
            if o.disposition == Disposition::Failed {
                anyhow::bail!("{name}: event {i} failed: {o:#?}");
            }
        }
        let n = args.events as f64;
        rows.push(Row {
            scenario: name.to_string(),
            events: args.events,
            events_per_sec: n / wall.as_secs_f64(),
            wall_ms_per_event: wall.as_secs_f64() * 1000.0 / n,
            rampart_cpu_ms_per_event: cpu as f64 / 1e6 / n,
        });
    }

    // The SDK's own CPU per AWS call (signing, HTTP, parsing), to set the per-event figures
    // against: one cheap call, many times.
    let sts = aws_sdk_sts::Client::new(&plain);
    let c = cpu_ns();
    let calls = 200u32;
    for _ in 0..calls {
        sts.get_caller_identity().send().await?;
    }
    let sdk_call_ms = cpu_ns().saturating_sub(c) as f64 / 1e6 / f64::from(calls);

    // Parsing and routing alone (no AWS): the per-event floor.
    let raw = event(
        "guardduty-ec2",
        &[
            ("EVENT_ID", "x"),
            ("ACCOUNT", &acct),
            ("REGION", REGION),
            ("INSTANCE", "i-1"),
            ("FINDING_ID", "f"),
        ],
    )?;
    let t = Instant::now();
    let reps = 20_000;
    for _ in 0..reps {
        let e = rampart_common::event::parse(raw.as_bytes());
        std::hint::black_box(&e);
    }
    let parse_us = t.elapsed().as_secs_f64() * 1e6 / f64::from(reps);

    // Lambda cold start: spawn to first poll of the Runtime API.
    let mut inits = Vec::new();
    let exe = std::env::current_exe()?
        .parent()
        .map(|d| d.join("rampart-hub-lambda"))
        .context("no directory for the lambda binary")?;
    if exe.exists() {
        for _ in 0..args.cold_starts {
            let api = RuntimeApi::start()?;
            let t = Instant::now();
            let mut child = std::process::Command::new(&exe)
                .envs(emu.env(REGION))
                .envs(lambda_env(&api))
                .env("RAMPART_HUB_ACCOUNT", &org.management)
                .env("RAMPART_AUDIT_TABLE", &hub.table)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()?;
            let deadline = Instant::now() + Duration::from_secs(10);
            while api.first_poll().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(200));
            }
            if let Some(p) = api.first_poll() {
                inits.push(p.duration_since(t).as_secs_f64() * 1000.0);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    } else {
        eprintln!(
            "{} not built: skipping the cold-start measurement",
            exe.display()
        );
    }
    inits.sort_by(|a, b| a.total_cmp(b));
    let median = inits.get(inits.len() / 2).copied();

    println!(
        "{:<46} {:>7} {:>9} {:>9} {:>16}",
        "SCENARIO", "EVENTS", "EVENTS/S", "WALL ms", "RAMPART CPU ms"
    );
    for r in &rows {
        println!(
            "{:<46} {:>7} {:>9.1} {:>9.2} {:>16.3}",
            r.scenario, r.events, r.events_per_sec, r.wall_ms_per_event, r.rampart_cpu_ms_per_event
        );
    }
    println!("parse + type one GuardDuty event: {parse_us:.1} µs");
    println!("SDK CPU per AWS call (sts:GetCallerIdentity x{calls}): {sdk_call_ms:.3} ms");
    match median {
        Some(m) => println!(
            "lambda cold start (spawn to first poll), median of {}: {m:.1} ms (min {:.1}, max {:.1})",
            inits.len(),
            inits.first().copied().unwrap_or(0.0),
            inits.last().copied().unwrap_or(0.0)
        ),
        None => println!("lambda cold start: not measured"),
    }
    if let Some(path) = &args.json {
        let v =
            serde_json::json!({"scenarios": rows, "parse_us": parse_us, "lambda_init_ms": inits});
        std::fs::write(path, serde_json::to_string_pretty(&v)?)?;
    }
    Ok(())
}
