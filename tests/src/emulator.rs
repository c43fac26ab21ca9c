//! The pinned AWS emulator: moto server, started through Rampart's launcher
//! (`tests/emulator/launcher.py`, which fixes where moto disagrees with AWS) on a free loopback
//! port, stopped on drop.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_types::region::Region;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The emulator version every test and the demo run against.
pub const MOTO_VERSION: &str = "5.2.5";
/// What the virtualenv holds. botocore is pinned as well: the launcher uses its CBOR and JSON
/// codecs. Changing this list upgrades existing virtualenvs on their next use.
pub const REQUIREMENTS: &[&str] = &["moto[server]==5.2.5", "boto3==1.44.8", "botocore==1.44.8"];
/// The launcher script, written next to the virtualenv's interpreter at start.
const LAUNCHER: &str = include_str!("../emulator/launcher.py");
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

/// Creates the virtualenv with the pinned emulator if it is not there yet, or brings an older
/// one up to [`REQUIREMENTS`].
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    let python = std::env::var("RAMPART_PYTHON").unwrap_or_else(|_| "python3".into());
    ensure_installed_at(&venv_dir(), &python)
}

/// [`ensure_installed`] into `dir` with the interpreter `python`. Concurrent processes agree
/// through a lock file the operating system releases when its holder dies, so an install
/// interrupted midway (a newcomer pressing Ctrl-C on the demo) never blocks the next start: the
/// next process takes the lock, finds no marker and installs again, recreating a virtualenv
/// that was left without its `pip`.
pub fn ensure_installed_at(dir: &Path, python: &str) -> anyhow::Result<PathBuf> {
    let marker = dir.join(".rampart-installed");
    let wanted = REQUIREMENTS.join(" ");
    let current = || std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted);
    if current() {
        return Ok(dir.to_path_buf());
    }
    let parent = dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    std::fs::create_dir_all(&parent)?;
    let lock_path = dir.with_extension("lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", lock_path.display()))?;
    // Blocks while another process installs; released by the OS if that process dies.
    lock.lock()
        .map_err(|e| anyhow::anyhow!("cannot lock {}: {e}", lock_path.display()))?;
    if current() {
        return Ok(dir.to_path_buf());
    }
    // An older install is upgraded in place: its interpreter may be in use by a running
    // emulator. One without pip (never finished) is created anew.
    if !dir.join("bin/pip").exists() {
        let _ = std::fs::remove_dir_all(dir);
        run(
            Command::new(python).arg("-m").arg("venv").arg(dir),
            "create the emulator virtualenv",
        )?;
    }
    run(
        Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(REQUIREMENTS),
        "install the emulator (pip install moto[server])",
    )?;
    std::fs::write(&marker, &wanted)?;
    Ok(dir.to_path_buf())
}

/// Writes the launcher into the virtualenv and returns its path. The file is named after its
/// content, because the virtualenv is shared by every checkout on the machine: checkouts with
/// different launchers must not overwrite each other's script between writing and starting
/// it. Written to a temporary name unique to the process and thread, then renamed, so
/// concurrent starts never read a partial script.
fn launcher(venv: &Path) -> anyhow::Result<PathBuf> {
    use std::hash::{Hash, Hasher};
    // FNV-1a: stable across Rust versions, unlike DefaultHasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in LAUNCHER.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let path = venv.join(format!("rampart_launcher_{h:016x}.py"));
    if std::fs::read_to_string(&path).is_ok_and(|s| s == LAUNCHER) {
        return Ok(path);
    }
    let mut thread = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut thread);
    let tmp = venv.join(format!(
        "rampart_launcher_{h:016x}.py.{}.{:x}",
        std::process::id(),
        thread.finish()
    ));
    std::fs::write(&tmp, LAUNCHER)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
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

/// A port free on `host` right now.
pub fn free_port(host: &str) -> anyhow::Result<u16> {
    let l = TcpListener::bind((host, 0))?;
    Ok(l.local_addr()?.port())
}

/// How the emulator process is started.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Address to bind.
    pub host: String,
    /// Port to bind; `None` picks a free one (retrying if it is taken meanwhile).
    pub port: Option<u16>,
    /// `Some` sets MOTO_IAM_LOAD_MANAGED_POLICIES; `None` passes the caller's own through.
    pub load_managed_policies: Option<bool>,
    /// Let the emulator's request log reach this process's standard error.
    pub show_log: bool,
}

impl Emulator {
    /// Installs (if needed) and starts the emulator, waiting until it answers.
    pub fn start() -> anyhow::Result<Emulator> {
        Self::start_with(Options::default())
    }

    pub fn start_with(opts: Options) -> anyhow::Result<Emulator> {
        Self::launch(&Launch {
            host: "127.0.0.1".into(),
            port: None,
            load_managed_policies: Some(opts.load_managed_policies),
            show_log: false,
        })
    }

    /// Starts the emulator as `how` says. The environment (MOTO_* and the rest) is inherited.
    pub fn launch(how: &Launch) -> anyhow::Result<Emulator> {
        let venv = ensure_installed()?;
        let script = launcher(&venv)?;
        // Where to reach it: a wildcard bind is reached on loopback.
        let reach = match how.host.as_str() {
            "0.0.0.0" | "::" | "[::]" => "127.0.0.1".to_string(),
            h => h.to_string(),
        };
        let mut last_err = None;
        // A port picked free can be taken before the emulator binds it; try a few.
        for _ in 0..5 {
            let port = match how.port {
                Some(p) => p,
                None => free_port(&how.host)?,
            };
            let mut cmd = Command::new(venv.join("bin/python"));
            cmd.arg(&script)
                .args(["--host", &how.host, "--port", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            if !how.show_log {
                cmd.stderr(Stdio::null());
            }
            if let Some(load) = how.load_managed_policies {
                cmd.env(
                    "MOTO_IAM_LOAD_MANAGED_POLICIES",
                    if load { "true" } else { "false" },
                );
            }
            let child = cmd
                .spawn()
                .map_err(|e| anyhow::anyhow!("cannot start the emulator: {e}"))?;
            let host = if reach.contains(':') {
                format!("[{reach}]")
            } else {
                reach.clone()
            };
            let mut emu = Emulator {
                child,
                port,
                endpoint: format!("http://{host}:{port}"),
            };
            match emu.wait_ready(&reach, Duration::from_secs(60)) {
                Ok(()) => return Ok(emu),
                Err(e) if how.port.is_none() => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("the emulator did not start")))
    }

    fn wait_ready(&mut self, host: &str, timeout: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "the emulator exited early with {status} (port {} taken?)",
                    self.port
                );
            }
            if let Ok(stream) = TcpStream::connect((host, self.port)) {
                // Something listens; it must be this emulator, not another test's that holds
                // the port this one failed to bind.
                match served_pid(stream) {
                    Some(pid) if pid == self.child.id() => return Ok(()),
                    Some(other) => {
                        let _ = self.child.kill();
                        let _ = self.child.wait();
                        anyhow::bail!(
                            "port {} is held by another emulator (pid {other})",
                            self.port
                        );
                    }
                    // Listening but not answering yet.
                    None => {}
                }
            }
            if start.elapsed() > timeout {
                anyhow::bail!(
                    "the emulator did not listen on port {} within {timeout:?}",
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

    /// The emulator's exit status if it has ended on its own.
    pub fn try_wait(&mut self) -> std::io::Result<Option<std::process::ExitStatus>> {
        self.child.try_wait()
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

    /// Makes `key` of `account` as old as a key created `days` ago and never used (the
    /// launcher's `/__rampart/age-access-key`): on AWS such keys simply exist.
    pub fn age_access_key(&self, account: &str, key: &str, days: u32) -> anyhow::Result<()> {
        use std::io::{Read, Write};
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "POST /__rampart/age-access-key?account={account}&key={key}&days={days} HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        anyhow::ensure!(
            response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"),
            "cannot age access key {key} of {account}: {response}"
        );
        Ok(())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The process id the emulator on `stream` reports (`GET /__rampart/pid`, see the launcher's
/// `Identity`), or `None` when it does not answer yet.
fn served_pid(mut stream: TcpStream) -> Option<u32> {
    use std::io::{Read, Write};
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(b"GET /__rampart/pid HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    body.trim().parse().ok()
}
