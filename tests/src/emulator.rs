//! The pinned AWS emulator: a `moto_server` on a free loopback port, stopped on drop.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_types::region::Region;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The emulator version every test and the demo run against.
pub const MOTO_VERSION: &str = "5.2.5";
/// Dummy credentials; moto serves them from its default (management) account.
pub const ACCESS_KEY: &str = "testing";
pub const SECRET_KEY: &str = "testing";
/// The account moto uses for unknown credentials: the organization's management account.
pub const MANAGEMENT_ACCOUNT: &str = "123456789012";

/// A running emulator.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    pub port: u16,
    pub endpoint: String,
}

/// Options for starting the emulator.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Load AWS managed policies (slower; needed only by checks on managed policies).
    pub load_managed_policies: bool,
}

/// Where the emulator's virtualenv lives (outside the clone, reused across runs).
pub fn venv_dir() -> PathBuf {
    if let Ok(p) = std::env::var("RAMPART_EMULATOR_VENV") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
    PathBuf::from(home)
        .join(".cache/rampart")
        .join(format!("moto-venv-{MOTO_VERSION}"))
}

/// Creates the virtualenv with the pinned emulator if it is not there yet. Concurrent test
/// binaries agree through a lock directory: one installs, the others wait for its marker.
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    let dir = venv_dir();
    let marker = dir.join(".rampart-installed");
    if marker.exists() {
        return Ok(dir);
    }
    let parent = dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    std::fs::create_dir_all(&parent)?;
    let lock = dir.with_extension("lock");
    if std::fs::create_dir(&lock).is_err() {
        wait_for(&marker, Duration::from_secs(600))?;
        return Ok(dir);
    }
    let result = (|| {
        let python = std::env::var("RAMPART_PYTHON").unwrap_or_else(|_| "python3".into());
        let _ = std::fs::remove_dir_all(&dir);
        run(
            Command::new(&python).arg("-m").arg("venv").arg(&dir),
            "create the emulator virtualenv",
        )?;
        run(
            Command::new(dir.join("bin/pip")).args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("moto[server]=={MOTO_VERSION}"),
            ]),
            "install the emulator (pip install moto[server])",
        )?;
        std::fs::write(&marker, MOTO_VERSION)?;
        Ok(())
    })();
    let _ = std::fs::remove_dir(&lock);
    result.map(|()| dir)
}

fn wait_for(path: &Path, timeout: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    while !path.exists() {
        if start.elapsed() > timeout {
            anyhow::bail!(
                "timed out waiting for {} (another process installing the emulator?)",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(())
}

fn run(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    let out = cmd
        .output()
        .map_err(|e| anyhow::anyhow!("cannot {what}: {e}"))?;
    if !out.status.success() {
        anyhow::bail!(
            "cannot {what}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

impl Emulator {
    /// Installs (if needed) and starts the emulator, waiting until it answers.
    pub fn start() -> anyhow::Result<Emulator> {
        Self::start_with(Options::default())
    }

    pub fn start_with(opts: Options) -> anyhow::Result<Emulator> {
        let venv = ensure_installed()?;
        let mut last_err = None;
        // A port picked free can be taken before moto binds it; try a few.
        for _ in 0..5 {
            let port = free_port()?;
            let mut cmd = Command::new(venv.join("bin/moto_server"));
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            cmd.env(
                "MOTO_IAM_LOAD_MANAGED_POLICIES",
                if opts.load_managed_policies {
                    "true"
                } else {
                    "false"
                },
            );
            let child = cmd
                .spawn()
                .map_err(|e| anyhow::anyhow!("cannot start moto_server: {e}"))?;
            let mut emu = Emulator {
                child,
                port,
                endpoint: format!("http://127.0.0.1:{port}"),
            };
            match emu.wait_ready(Duration::from_secs(30)) {
                Ok(()) => return Ok(emu),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("moto_server did not start")))
    }

    fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("moto_server exited early with {status}");
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if start.elapsed() > timeout {
                anyhow::bail!(
                    "moto_server did not listen on port {} within {timeout:?}",
                    self.port
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The emulator process's id (to read its memory use).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SDK config of the management (hub) account in `region`.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(
                ACCESS_KEY,
                SECRET_KEY,
                None,
                None,
                "rampart-testbed",
            ))
            .load()
            .await
    }

    /// Environment for running the `rampart` binary against this emulator.
    pub fn env(&self, region: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
            ("AWS_REGION", region.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
