//! `scripts/package-lambda.sh`: the zip Lambda (provided.al2023) needs, one executable
//! `bootstrap` at the root, built here from the test build of `rampart-pipeline-audit`.
#![cfg(feature = "pipeline")]

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/package-lambda.sh")
}

fn tools_present() -> bool {
    ["zip", "zipinfo", "readelf"].iter().all(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rampart-lambda-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn zip_holds_only_an_executable_bootstrap() {
    // .ci/run installs them; a missing tool is a failure, not a silent skip.
    assert!(
        tools_present(),
        "zip, zipinfo and readelf are needed (apt-get install zip unzip binutils)"
    );
    let bin = env!("CARGO_BIN_EXE_rampart-pipeline-audit");
    let dir = tmp("ok");
    let zip_path = dir.join("rampart-pipeline-audit.zip");
    let out = Command::new("sh")
        .arg(script())
        .args(["--binary", bin, "--output"])
        .arg(&zip_path)
        .output()
        .expect("run package-lambda.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("bootstrap (-rwxr-xr-x)"), "{stdout}");
    let arch = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x86_64"
    };
    assert!(
        stdout.contains(&format!("Architectures: [{arch}]")),
        "{stdout}"
    );

    let file = std::fs::File::open(&zip_path).expect("zip written");
    let mut archive = zip::ZipArchive::new(file).expect("valid zip");
    assert_eq!(archive.len(), 1);
    let mut entry = archive.by_index(0).expect("entry");
    assert_eq!(entry.name().ok().as_deref(), Some("bootstrap"));
    let mode = entry.unix_mode().expect("unix mode recorded");
    assert_eq!(mode & 0o777, 0o755, "mode {mode:o}");
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).expect("inflate");
    let original = std::fs::read(bin).expect("binary");
    assert!(bytes == original, "bootstrap differs from the binary");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_that_is_not_an_elf_executable_is_refused() {
    // .ci/run installs them; a missing tool is a failure, not a silent skip.
    assert!(
        tools_present(),
        "zip, zipinfo and readelf are needed (apt-get install zip unzip binutils)"
    );
    let dir = tmp("bad");
    let fake = dir.join("rampart-pipeline-audit");
    std::fs::write(&fake, "#!/bin/sh\necho not a Lambda binary\n").expect("write");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = Command::new("sh")
        .arg(script())
        .arg("--binary")
        .arg(&fake)
        .arg("--output")
        .arg(dir.join("x.zip"))
        .output()
        .expect("run package-lambda.sh");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an x86_64 or aarch64 ELF"), "{err}");
    assert!(!dir.join("x.zip").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
