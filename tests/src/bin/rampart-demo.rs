//! The local demo: start the emulator, build an organization of 12 member accounts with a
//! realistic mix of good and bad configuration, run Rampart's fleet assessment with publishing,
//! and show where the results are.
//!
//! `rampart-demo [--accounts N] [--out DIR] [--keep-running]`

use anyhow::Context;
use clap::Parser;
use rampart_testbed::emulator::{ACCESS_KEY, SECRET_KEY};
use rampart_testbed::fixtures::{self, Profile};
use rampart_testbed::Emulator;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "rampart-demo",
    about = "Assess a local emulated AWS Organization with Rampart"
)]
struct Args {
    /// Member accounts to create.
    #[arg(long, default_value_t = 12)]
    accounts: usize,
    /// Where to write the report and the findings read back from each account.
    #[arg(long, default_value = "rampart-demo-output")]
    out: PathBuf,
    /// Keep the emulator running afterwards so the `rampart` CLI can be pointed at it.
    #[arg(long)]
    keep_running: bool,
}

const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The CLI reads credentials through the standard chain; the emulator takes dummy ones.
    // Set before any thread exists.
    std::env::set_var("AWS_ACCESS_KEY_ID", ACCESS_KEY);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::remove_var("AWS_PROFILE");
    rampart_hub::cli::init_logging(rampart_hub::cli::LogFormat::Text, 0);
    rampart_testbed::block_on(demo(args))
}

async fn demo(args: Args) -> anyhow::Result<()> {
    eprintln!(
        "==> starting the local AWS emulator (moto {}; installed into a virtualenv on first run)",
        rampart_testbed::emulator::MOTO_VERSION
    );
    let emu = Emulator::start()?;
    let base = emu.sdk_config(REGIONS[0]).await;
    eprintln!(
        "==> creating an organization with {} member accounts in {}",
        args.accounts,
        REGIONS.join(", ")
    );
    let profiles: Vec<Profile> = (0..args.accounts).map(Profile::mixed).collect();
    let org = fixtures::create_org(&base, &profiles, REGIONS).await?;
    for m in &org.members {
        let p = &m.profile;
        let mut bad = Vec::new();
        match p.password_policy {
            None => bad.push("no password policy".to_string()),
            Some((len, reuse)) if len < 14 || reuse < 24 => {
                bad.push(format!("weak password policy ({len}/{reuse})"))
            }
            _ => {}
        }
        if p.open_ssh {
            bad.push("SSH open to 0.0.0.0/0".into());
        }
        if p.open_rdp_ipv6 {
            bad.push("RDP range open to ::/0".into());
        }
        if !p.ebs_encryption {
            bad.push("EBS default encryption off".into());
        }
        if !p.trail {
            bad.push("no CloudTrail".into());
        }
        if !p.access_analyzer {
            bad.push("no Access Analyzer".into());
        }
        if !p.mfa_delete && (p.trail || p.open_bucket) {
            bad.push("buckets without MFA Delete".into());
        }
        eprintln!(
            "    {} {}  {}",
            m.id,
            m.name,
            if bad.is_empty() {
                "clean".into()
            } else {
                bad.join(", ")
            }
        );
    }

    std::fs::create_dir_all(args.out.join("findings"))
        .with_context(|| format!("creating {}", args.out.display()))?;
    let report = args.out.join("report.json");
    let regions = REGIONS.join(",");
    let common = [
        "rampart",
        "--endpoint-url",
        emu.endpoint.as_str(),
        "--region",
        REGIONS[0],
        "--regions",
        regions.as_str(),
        "--role",
        fixtures::MEMBER_ROLE,
    ];
    eprintln!(
        "==> rampart assess --publish --enable-security-hub (every account through its {} role)",
        fixtures::MEMBER_ROLE
    );
    let mut assess: Vec<&str> = common.to_vec();
    assess.extend([
        "assess",
        "--publish",
        "--enable-security-hub",
        "--fail-on",
        "none",
        "--format",
        "json",
        "--output",
    ]);
    let report_s = report.to_string_lossy().to_string();
    assess.push(&report_s);
    run_cli(&assess).await?;
    // The same run's table, re-evaluated (publishing again is idempotent: same finding ids).
    let mut table: Vec<&str> = common.to_vec();
    table.extend(["assess", "--publish", "--fail-on", "none"]);
    run_cli(&table).await?;

    eprintln!("==> reading findings back from each account's own Security Hub");
    let mut total = 0;
    let mut accounts: Vec<String> = org.members.iter().map(|m| m.id.clone()).collect();
    accounts.push(org.management.clone());
    for a in &accounts {
        let mut all = Vec::new();
        for r in REGIONS {
            all.extend(fixtures::findings_in(&base, a, r).await?);
        }
        let failed = all
            .iter()
            .filter(|f| f.compliance.status == "FAILED" && f.record_state == "ACTIVE")
            .count();
        total += all.len();
        let path = args.out.join("findings").join(format!("{a}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&all)?)?;
        eprintln!(
            "    {a}: {} findings ({failed} failed, active) -> {}",
            all.len(),
            path.display()
        );
    }
    // Operator remediation: plan, then apply, on the first account with SSH open to the world.
    let mut remediated = None;
    if let Some(m) = org.members.iter().find(|m| m.profile.open_ssh) {
        let hub = rampart_testbed::respond::hub_resources(&base).await?;
        let cfg = args.out.join("rampart.toml");
        std::fs::write(
            &cfg,
            format!(
                "[response]\naudit_table = \"{}\"\nalert_topic_arn = \"{}\"\n",
                hub.table, hub.topic_arn
            ),
        )?;
        let cfg_s = cfg.to_string_lossy().to_string();
        let mut plan: Vec<&str> = common.to_vec();
        plan.extend([
            "--config",
            cfg_s.as_str(),
            "remediate",
            "--account",
            m.id.as_str(),
            "--control",
            "EC2.53",
        ]);
        eprintln!(
            "==> rampart remediate --account {} --control EC2.53 (the default is a plan: nothing changes)",
            m.id
        );
        run_cli(&plan).await?;
        eprintln!("==> the same with --apply: only the world-open SSH permission is revoked, the control re-evaluated");
        plan.push("--apply");
        run_cli(&plan).await?;
        remediated = Some(m.id.clone());
    }
    println!("\nResults:");
    println!("  fleet report (JSON):         {}", report.display());
    println!(
        "  findings per account (ASFF): {}/findings/<account>.json  ({total} findings in total)",
        args.out.display()
    );
    if let Some(a) = remediated {
        println!("  remediation:                 EC2.53 fixed in {a}; the ID column above is the undo handle (rampart undo ID)");
    }
    if args.keep_running {
        println!("\nThe emulator stays up. Point the CLI at it from another shell:");
        println!("  export AWS_ENDPOINT_URL={} AWS_ACCESS_KEY_ID={ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SECRET_KEY} AWS_REGION={}", emu.endpoint, REGIONS[0]);
        println!("  cargo run -p rampart-hub --bin rampart -- --regions {regions} accounts");
        println!("Press Ctrl-C to stop.");
        tokio::signal::ctrl_c().await?;
    }
    Ok(())
}

async fn run_cli(argv: &[&str]) -> anyhow::Result<()> {
    let cli = rampart_hub::cli::Cli::try_parse_from(argv)?;
    let code = rampart_hub::cli::run(cli)
        .await
        .map_err(|e| anyhow::anyhow!("rampart failed (exit {}): {e}", e.code()))?;
    if code > 1 {
        anyhow::bail!("rampart exited {code}");
    }
    Ok(())
}
