//! The local AWS emulator Rampart's tests use (moto server 5.2.5 through Rampart's launcher,
//! which fixes where moto disagrees with AWS), as a command: prints its URL and the environment
//! for the `rampart` CLI, and serves until stopped.
//!
//! `rampart-emulator [--port P] [--host H] [--members N [--regions R,..]] [--log]`; the
//! emulator's own settings (MOTO_*, such as MOTO_IAM_LOAD_MANAGED_POLICIES=true) are read from
//! the environment.

use clap::Parser;
use rampart_testbed::emulator::{Launch, MANAGEMENT_ACCOUNT, MOTO_VERSION};
use rampart_testbed::fixtures::{self, Profile};
use rampart_testbed::Emulator;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "rampart-emulator",
    about = "Run the local AWS emulator (moto server with Rampart's fixes) until stopped"
)]
struct Args {
    /// Port to listen on (default: a free one).
    #[arg(long)]
    port: Option<u16>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Create an organization with this many member accounts, each with a different mix of
    /// good and bad configuration (as `rampart-demo` does). 0 leaves the emulator empty.
    #[arg(long, default_value_t = 0)]
    members: usize,
    /// Regions the members' configuration is planted in; the first is suggested to the CLI.
    #[arg(long, value_delimiter = ',', default_value = "us-east-1")]
    regions: Vec<String>,
    /// Show the emulator's request log (and any error it reports) on standard error.
    #[arg(long)]
    log: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let home = args
        .regions
        .first()
        .cloned()
        .unwrap_or_else(|| "us-east-1".into());
    eprintln!(
        "starting the AWS emulator (moto {MOTO_VERSION}; installed into a virtualenv on first run)"
    );
    let mut emu = Emulator::launch(&Launch {
        host: args.host.clone(),
        port: args.port,
        load_managed_policies: None,
        show_log: args.log,
    })?;
    if args.members > 0 {
        eprintln!(
            "creating an organization with {} member account(s) in {}",
            args.members,
            args.regions.join(", ")
        );
        let profiles: Vec<Profile> = (0..args.members).map(Profile::mixed).collect();
        let (endpoint, home, regions) = (emu.endpoint.clone(), home.clone(), args.regions.clone());
        let org = rampart_testbed::block_on(async move {
            let base = base_config(&endpoint, &home).await;
            let regions: Vec<&str> = regions.iter().map(String::as_str).collect();
            fixtures::create_org(&base, &profiles, &regions).await
        })?;
        for m in &org.members {
            eprintln!("  member {} ({})", m.id, m.name);
        }
    }
    println!("Emulator listening on {}", emu.endpoint);
    println!("Point the rampart CLI (or any AWS SDK) at it:");
    for (k, v) in emu.env(&home) {
        println!("  export {k}={v}");
    }
    println!(
        "These credentials act as the management account {MANAGEMENT_ACCOUNT}; members are \
         reached through their {} role. Press Ctrl-C to stop.",
        fixtures::MEMBER_ROLE
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stopped: anyhow::Result<String> = rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        loop {
            tokio::select! {
                r = tokio::signal::ctrl_c() => return Ok(r.map(|()| "interrupted".to_string())?),
                _ = term.recv() => return Ok("terminated".to_string()),
                _ = tokio::time::sleep(Duration::from_millis(500)) => {
                    if let Some(status) = emu.try_wait()? {
                        anyhow::bail!("the emulator exited on its own ({status})");
                    }
                }
            }
        }
    });
    // Dropping the handle stops the emulator process.
    drop(emu);
    eprintln!("emulator stopped: {}", stopped?);
    Ok(())
}

/// The management account's SDK config against `endpoint` (the emulator's dummy credentials).
async fn base_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            rampart_testbed::emulator::ACCESS_KEY,
            rampart_testbed::emulator::SECRET_KEY,
            None,
            None,
            "rampart-emulator",
        ))
        .load()
        .await
}
