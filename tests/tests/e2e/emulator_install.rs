//! The emulator's first-run install survives being killed midway: the lock it holds is one the
//! operating system releases when its holder dies, so the next start installs instead of
//! waiting for a marker that never comes.

use rampart_testbed::emulator::{ensure_installed_at, REQUIREMENTS};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn an_install_killed_midway_does_not_block_the_next_start() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let venv = tmp.path().join("venv");
    let started = tmp.path().join("started");
    // The interrupted install: `python -m venv` that never finishes.
    let slow = tmp.path().join("slow-python");
    script(
        &slow,
        &format!(
            "mkdir -p \"$3\"; echo $$ > {}; exec sleep 600",
            started.display()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart-emulator"))
        .env("RAMPART_EMULATOR_VENV", &venv)
        .env("RAMPART_PYTHON", &slow)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rampart-emulator");
    let t = Instant::now();
    while !std::fs::read_to_string(&started).is_ok_and(|p| p.ends_with('\n')) {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the install never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Ctrl-C's harder cousin: no chance to clean up.
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(venv.exists() && !venv.join(".rampart-installed").exists());

    // The next start: a quick interpreter whose virtualenv's pip succeeds.
    let quick = tmp.path().join("quick-python");
    script(
        &quick,
        "mkdir -p \"$3/bin\"; printf '#!/bin/sh\\nexit 0\\n' > \"$3/bin/pip\"; chmod 755 \"$3/bin/pip\"",
    );
    let t = Instant::now();
    let dir = ensure_installed_at(&venv, quick.to_str().expect("utf-8 path")).expect("installs");
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "waited {:?} for the dead installer",
        t.elapsed()
    );
    assert_eq!(dir, venv);
    assert_eq!(
        std::fs::read_to_string(venv.join(".rampart-installed")).expect("marker"),
        REQUIREMENTS.join(" ")
    );
    // The `sleep` the killed installer left behind (it never held the lock: the lock file is
    // not inherited across exec).
    if let Ok(pid) = std::fs::read_to_string(&started) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
}
