//! scripts/package-lambdas and scripts/deploy against the emulator through the AWS CLI: the
//! zips (one executable `bootstrap` each) land in every regional bucket with the member
//! templates; `--plan` prints the change set and leaves nothing behind; `--apply` creates the
//! organization bootstrap and a second `--apply` finds no changes. (The hub stack's apply
//! cannot finish on the emulator: its custom resources need a Lambda it cannot run; see
//! tests/tests/deploy_stacks.rs.)

use rampart_testbed::Emulator;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const REGION: &str = "us-east-1";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(emu: &Emulator, script: &str, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(root().join(script))
        .args(args)
        .envs(emu.env(REGION))
        .env("AWS_DEFAULT_REGION", REGION)
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run script")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn package_upload_plan_and_apply_are_idempotent() {
    assert!(
        Command::new("aws").arg("--version").output().is_ok(),
        "the AWS CLI is needed (.ci/run installs it)"
    );
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = aws_sdk_organizations::Client::new(&base)
            .create_organization()
            .send()
            .await
            .expect("organization");
        let org_id = org
            .organization()
            .and_then(|o| o.id())
            .expect("id")
            .to_string();

        // Package the test builds of both Lambdas and upload them to two regions.
        let bins = std::env::temp_dir().join(format!("rampart-deploy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&bins);
        std::fs::create_dir_all(&bins).expect("dir");
        for (name, exe) in [
            (
                "rampart-hub-lambda",
                env!("CARGO_BIN_EXE_rampart-hub-lambda"),
            ),
            (
                "rampart-assess-lambda",
                env!("CARGO_BIN_EXE_rampart-assess-lambda"),
            ),
        ] {
            std::fs::copy(exe, bins.join(name)).expect("copy binary");
        }
        let out_dir = bins.join("zips");
        let bins_s = bins.to_string_lossy().to_string();
        let out_s = out_dir.to_string_lossy().to_string();
        let o = run(
            &emu,
            "scripts/package-lambdas",
            &[
                "--binary-dir",
                &bins_s,
                "--out",
                &out_s,
                "--bucket",
                "rampart-code",
                "--regions",
                "us-east-1,eu-west-1",
                "--endpoint-url",
                &emu.endpoint,
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        let s3 = aws_sdk_s3::Client::new(&base);
        for region in ["us-east-1", "eu-west-1"] {
            let listed = s3
                .list_objects_v2()
                .bucket(format!("rampart-code-{region}"))
                .send()
                .await
                .expect("list");
            let mut keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
            keys.sort_unstable();
            let arch = if cfg!(target_arch = "aarch64") {
                "arm64"
            } else {
                "x86_64"
            };
            assert_eq!(
                keys,
                vec![
                    "rampart/0.1.0/member-global.yaml".to_string(),
                    "rampart/0.1.0/member-regional.yaml".to_string(),
                    format!("rampart/0.1.0/rampart-assess-lambda-{arch}.zip"),
                    format!("rampart/0.1.0/rampart-hub-lambda-{arch}.zip"),
                ]
            );
        }

        let common = [
            "--org-id",
            org_id.as_str(),
            "--hub-account",
            "123456789012",
            "--code-bucket",
            "rampart-code",
            "--regions",
            "us-east-1,eu-west-1",
            "--target-ous",
            "ou-abcd-12345678,ou-abcd-87654321",
            "--skip-package",
            "--endpoint-url",
            emu.endpoint.as_str(),
        ];
        let cf = aws_sdk_cloudformation::Client::new(&base);

        // --plan: the changes are printed, nothing remains.
        let mut args = vec!["--plan"];
        args.extend(common);
        let o = run(&emu, "scripts/deploy", &args);
        let out = text(&o);
        assert!(o.status.success(), "{out}");
        assert!(
            out.contains("FleetStateMachine") && out.contains("MemberGlobalStackSet"),
            "{out}"
        );
        assert!(
            out.contains("rampart-hub: planned, nothing changed"),
            "{out}"
        );
        let live = cf.list_stacks().send().await.expect("stacks");
        assert!(
            live.stack_summaries()
                .iter()
                .all(|s| s.stack_status().map(|s| s.as_str()) == Some("DELETE_COMPLETE")),
            "{:?}",
            live.stack_summaries()
        );

        // --apply, twice: created, then no changes.
        let mut args = vec!["--apply", "--only", "org"];
        args.extend(common);
        let o = run(&emu, "scripts/deploy", &args);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("rampart-org-bootstrap: CREATE_COMPLETE"),
            "{}",
            text(&o)
        );
        let o = run(&emu, "scripts/deploy", &args);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("rampart-org-bootstrap: no changes"),
            "{}",
            text(&o)
        );
        let _ = std::fs::remove_dir_all(&bins);
    });
}
