//! The local AWS emulator Rampart's tests use (moto server 5.2.5 through Rampart's launcher,
//! which fixes where moto disagrees with AWS), as a command: prints its URL and the environment
//! for the `rampart` CLI, and serves until stopped.
//!
//! `rampart-emulator [--port P] [--host H]`; the emulator's own settings (MOTO_*, such as
//! MOTO_IAM_LOAD_MANAGED_POLICIES=true) are read from the environment.

use clap::Parser;
use rampart_testbed::emulator::{Launch, MANAGEMENT_ACCOUNT, MOTO_VERSION};
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
    /// Region to suggest for the CLI.
    #[arg(long, default_value = "us-east-1")]
    region: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    eprintln!(
        "starting the AWS emulator (moto {MOTO_VERSION}; installed into a virtualenv on first run)"
    );
    let mut emu = Emulator::launch(&Launch {
        host: args.host.clone(),
        port: args.port,
        load_managed_policies: None,
        show_log: true,
    })?;
    println!("Emulator listening on {}", emu.endpoint);
    println!("Point the rampart CLI (or any AWS SDK) at it:");
    for (k, v) in emu.env(&args.region) {
        println!("  export {k}={v}");
    }
    println!(
        "The credentials above act as the management account {MANAGEMENT_ACCOUNT}; any role \
         arn:aws:iam::<account>:role/<name> can be assumed. Press Ctrl-C to stop."
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
