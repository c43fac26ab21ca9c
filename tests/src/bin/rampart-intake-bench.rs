//! Intake fairness benchmark: one member's flood of trigger events queued ahead of another
//! member's GuardDuty finding, consumed through the hub's intake exactly as Lambda's SQS event
//! source feeds it (batches of ten). Reports how many events were handled before the victim's
//! and the victim's delay, with the per-account intake budgets (the deployment) and without
//! them (first in, first out).
//!
//!   cargo run --release -p rampart-testbed --bin rampart-intake-bench -- [--flood 5000] [--fifo-flood 500]

use rampart_hub::respond::intake::Fate;
use rampart_testbed::fixtures::{self, member_config, Profile};
use rampart_testbed::intake::Intake;
use rampart_testbed::respond::{config, event, hub_resources, responder};
use rampart_testbed::Emulator;
use std::time::Instant;

const REGION: &str = "us-east-1";

struct Run {
    mode: &'static str,
    flood: usize,
    handled_before: usize,
    deferred_before: usize,
    polls: usize,
    victim_ms: u128,
    enqueue_ms: u128,
}

async fn run(mode: &'static str, flood: usize, fair: bool) -> anyhow::Result<Run> {
    let emu = Emulator::start()?;
    let base = emu.sdk_config(REGION).await;
    let org =
        fixtures::create_org(&base, &[Profile::default(), Profile::default()], &[REGION]).await?;
    let (attacker, victim) = (org.members[0].id.clone(), org.members[1].id.clone());
    let hub = hub_resources(&base).await?;
    let mut cfg = config(&hub);
    cfg.allowed_regions = Some(vec![REGION.into()]);
    if !fair {
        cfg.intake_per_minute = Some(u32::MAX);
        cfg.intake_burst = Some(u32::MAX);
    }
    let r = responder(&base, cfg, false);
    let intake = Intake::create(&base, "rampart-intake").await?;
    let member = member_config(&base, &victim, REGION).await;
    let instance = aws_sdk_ec2::Client::new(&member)
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .send()
        .await?
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .unwrap_or_default()
        .to_string();
    let t = Instant::now();
    let events: Vec<String> = (0..flood)
        .map(|i| {
            event(
                "cloudtrail-stoplogging",
                &[
                    ("EVENT_ID", &format!("f0000000-0000-4000-8000-{i:012}")),
                    ("ACCOUNT", attacker.as_str()),
                    ("REGION", REGION),
                    ("USER", "mallory"),
                    ("TRAIL", "org-audit"),
                ],
            )
        })
        .collect::<Result<_, _>>()?;
    intake.send(&events).await?;
    intake
        .send(&[event(
            "guardduty-ec2",
            &[
                ("EVENT_ID", "e0000000-0000-4000-8000-00000000v1ct"),
                ("ACCOUNT", victim.as_str()),
                ("REGION", REGION),
                ("INSTANCE", instance.as_str()),
                ("FINDING_ID", "0123456789abcdef0123456789abcdef"),
            ],
        )?])
        .await?;
    let enqueue_ms = t.elapsed().as_millis();
    let t = Instant::now();
    let (mut handled_before, mut deferred_before, mut polls) = (0, 0, 0);
    loop {
        polls += 1;
        let got = intake.poll(&r).await?;
        if got.is_empty() {
            anyhow::bail!("the queue ran dry before the victim's event was handled");
        }
        let mut victim_done = false;
        for (id, fate) in got {
            if id.ends_with("v1ct") {
                victim_done = fate == Fate::Done;
            } else if !victim_done {
                match fate {
                    Fate::Later(_) => deferred_before += 1,
                    _ => handled_before += 1,
                }
            }
        }
        if victim_done {
            break;
        }
    }
    Ok(Run {
        mode,
        flood,
        handled_before,
        deferred_before,
        polls,
        victim_ms: t.elapsed().as_millis(),
        enqueue_ms,
    })
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let flood = arg("--flood", 5000);
    let fifo_flood = arg("--fifo-flood", 500);
    let runs = rampart_testbed::block_on(async move {
        let fair = run("fair (deployment)", flood, true).await?;
        let fifo = run("first in, first out", fifo_flood, false).await?;
        anyhow::Ok(vec![fair, fifo])
    })?;
    println!("| intake | flood events ahead | handled before the victim | deferred before it | batches | victim handled after | enqueue |");
    println!("|---|---|---|---|---|---|---|");
    for r in runs {
        println!(
            "| {} | {} | {} | {} | {} | {:.1} s | {:.1} s |",
            r.mode,
            r.flood,
            r.handled_before,
            r.deferred_before,
            r.polls,
            r.victim_ms as f64 / 1000.0,
            r.enqueue_ms as f64 / 1000.0
        );
    }
    Ok(())
}
