//! What the C tests share: building libcliauth for the test's own profile and target
//! directory, and running a command that must succeed.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Builds libcliauth for the profile and target directory this test binary belongs to
/// (`target/<profile>/deps/c_examples-…`), and returns `target/<profile>`.
pub fn build_library(repo: &Path) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary in target/<profile>/deps")
        .to_path_buf();
    let profile = profile_dir.file_name().and_then(OsStr::to_str).unwrap();
    let mut target_dir = profile_dir.parent().unwrap().to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(repo)
        .args(["build", "--quiet", "-p", "cliauth-capi", "--lib"]);
    match profile {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    // `--target <triple>` builds live in target/<triple>/<profile>.
    if !target_dir.join("CACHEDIR.TAG").exists()
        && let Some(root) = target_dir.parent()
        && root.join("CACHEDIR.TAG").exists()
    {
        let triple = target_dir.file_name().unwrap().to_owned();
        cmd.arg("--target").arg(triple);
        target_dir = root.to_path_buf();
    }
    cmd.arg("--target-dir").arg(&target_dir);
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "cargo build -p cliauth-capi failed");
    profile_dir
}

/// Runs `cmd`; panics with its output unless it succeeds.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Installs the libraries built in `built` under `prefix` with `scripts/install-c.sh`
/// (`extra`: more options), after removing what an earlier run left there.
pub fn install(repo: &Path, built: &Path, prefix: &Path, extra: &[&str]) {
    let _ = std::fs::remove_dir_all(prefix);
    run_ok(
        Command::new("bash")
            .arg(repo.join("scripts/install-c.sh"))
            .arg("--lib-from")
            .arg(built)
            .args(extra)
            .arg(prefix),
    );
}
