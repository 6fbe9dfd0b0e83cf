//! libcliauth installed like a C library: `scripts/install-c.sh` into scratch prefixes,
//! then a C program built against the installed files through pkg-config only —
//! dynamically (`pkg-config --cflags --libs cliauth`: the program records the soname
//! `libcliauth.so.0` and loads it from the prefix) and statically (`pkg-config --static`
//! on a prefix holding only `libcliauth.a`, and the `static_libs` variable on a prefix
//! holding both) — and runs each: it signs with a key and verifies with the public key,
//! and checks the header's version macros against `cliauth_version()`.
//!
//! Needs `cc`, `pkg-config`, `readelf` and `ldd` (Debian: build-essential, pkgconf,
//! binutils, libc-bin).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use cliauth_core::SigningKey;
use cliauth_core::key::pkcs8_pem;
use common::{build_library, install, run_ok};

const PROGRAM: &str = r#"#include <cliauth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(CLIAUTH_VERSION_MAJOR) || !defined(CLIAUTH_VERSION_MINOR) || \
    !defined(CLIAUTH_VERSION_PATCH) || !defined(CLIAUTH_VERSION_STRING)
#error "version macros missing"
#endif
#if CLIAUTH_VERSION_MAJOR < 0 || CLIAUTH_VERSION_MINOR < 0 || CLIAUTH_VERSION_PATCH < 0
#error "version macros are not numbers"
#endif

static size_t slurp(const char *path, uint8_t *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f) return 0;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

int main(int argc, char **argv) {
    static uint8_t key[4096], pub[4096];
    char identity[CLIAUTH_MAX_SIGNED_LEN];
    const char *dest[1] = {"12155551213"};
    size_t key_len, pub_len, len = 0;
    cliauth_signer *signer = NULL;
    cliauth_verifier *verifier = NULL;
    cliauth_verdict *verdict = NULL;
    cliauth_result r;
    if (argc != 3) return 64;
    if (strcmp(cliauth_version(), CLIAUTH_VERSION_STRING) != 0) return 10;
    key_len = slurp(argv[1], key, sizeof key);
    pub_len = slurp(argv[2], pub, sizeof pub);
    if (!key_len || !pub_len) return 11;
    if (cliauth_signer_new_pem(key, key_len, "https://cert.example.net/sp.pem", &signer) != CLIAUTH_OK) return 12;
    if (cliauth_signer_sign_shaken(signer, "12155551212", dest, 1, CLIAUTH_ATTEST_A, "install-test",
                                   1700000000, CLIAUTH_FORM_IDENTITY, identity, sizeof identity, &len) != CLIAUTH_OK) return 13;
    if (cliauth_verifier_new_pubkey(pub, pub_len, &verifier) != CLIAUTH_OK) return 14;
    r = cliauth_verifier_verify(verifier, identity, "12155551212", "12155551213", 1700000001, &verdict);
    printf("version %d.%d.%d %s\nverify %s %s\n", CLIAUTH_VERSION_MAJOR, CLIAUTH_VERSION_MINOR,
           CLIAUTH_VERSION_PATCH, cliauth_version(), cliauth_result_kind(r), cliauth_attest_name(cliauth_verdict_attest(verdict)));
    cliauth_verdict_free(verdict);
    cliauth_verifier_free(verifier);
    cliauth_signer_free(signer);
    return r == CLIAUTH_OK ? 0 : 1;
}
"#;

struct Setup {
    repo: PathBuf,
    /// The directory the build left libcliauth.so / libcliauth.a in.
    built: PathBuf,
    work: PathBuf,
    /// A prefix with everything installed (shared and static libraries).
    prefix: PathBuf,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("capi/ is inside the repository")
            .to_path_buf();
        let built = build_library(&repo);
        let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capi-install");
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let (key, der) = SigningKey::generate().unwrap();
        std::fs::write(work.join("key.pem"), pkcs8_pem(&der)).unwrap();
        std::fs::write(work.join("pub.pem"), key.verifying_key().to_pem().unwrap()).unwrap();
        std::fs::write(work.join("app.c"), PROGRAM).unwrap();
        let prefix = work.join("prefix");
        install(&repo, &built, &prefix, &[]);
        Setup {
            repo,
            built,
            work,
            prefix,
        }
    })
}

/// `pkg-config ARGS cliauth` against the prefix's `.pc` only, split into arguments.
fn pkg_config(prefix: &Path, args: &[&str]) -> Vec<String> {
    let out = run_ok(
        Command::new("pkg-config")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .env("PKG_CONFIG_LIBDIR", prefix.join("lib/pkgconfig"))
            .args(args)
            .arg("cliauth"),
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Compiles app.c with `flags` into `name`.
fn compile(s: &Setup, name: &str, flags: &[String]) -> PathBuf {
    let bin = s.work.join(name);
    run_ok(
        Command::new("cc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"])
            .arg(s.work.join("app.c"))
            .arg("-o")
            .arg(&bin)
            .args(flags),
    );
    bin
}

/// Runs the program; checks what it prints.
fn run_app(s: &Setup, bin: &Path, lib_path: Option<&Path>) {
    let mut cmd = Command::new(bin);
    cmd.arg(s.work.join("key.pem")).arg(s.work.join("pub.pem"));
    cmd.env_remove("LD_LIBRARY_PATH");
    if let Some(p) = lib_path {
        cmd.env("LD_LIBRARY_PATH", p);
    }
    let out = run_ok(&mut cmd);
    let text = String::from_utf8(out.stdout).unwrap();
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(text, format!("version {v} {v}\nverify ok A\n"));
}

fn text(out: Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `NEEDED` and `SONAME` entries of an ELF file.
fn dynamic_section(file: &Path) -> String {
    text(run_ok(Command::new("readelf").arg("-d").arg(file)))
}

fn major() -> &'static str {
    env!("CARGO_PKG_VERSION_MAJOR")
}

#[test]
fn installed_files_and_names() {
    let s = setup();
    let prefix = &s.prefix;
    let lib = prefix.join("lib");
    let version = env!("CARGO_PKG_VERSION");
    let real = lib.join(format!("libcliauth.so.{version}"));
    assert!(real.is_file() && !real.is_symlink(), "{}", real.display());
    let link = |name: String, to: String| {
        let target = std::fs::read_link(lib.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(target, PathBuf::from(to), "{name}");
    };
    link(
        format!("libcliauth.so.{}", major()),
        format!("libcliauth.so.{version}"),
    );
    link("libcliauth.so".into(), format!("libcliauth.so.{}", major()));
    assert!(lib.join("libcliauth.a").is_file());
    assert!(prefix.join("include/cliauth.h").is_file());
    let header = std::fs::read_to_string(prefix.join("include/cliauth.h")).unwrap();
    assert!(header.contains(&format!("#define CLIAUTH_VERSION_MAJOR {}", major())));

    // The soname, in the installed file.
    let dynamic = dynamic_section(&real);
    assert!(
        dynamic.contains(&format!("Library soname: [libcliauth.so.{}]", major())),
        "{dynamic}"
    );

    // The .pc: version, flags pointing into the prefix, a non-empty Libs.private.
    assert_eq!(pkg_config(prefix, &["--modversion"]), [version]);
    assert_eq!(
        pkg_config(prefix, &["--cflags"]),
        [format!("-I{}", prefix.join("include").display())]
    );
    let libs = pkg_config(prefix, &["--libs"]);
    assert_eq!(
        libs,
        [format!("-L{}", lib.display()), "-lcliauth".to_owned()]
    );
    let static_libs = pkg_config(prefix, &["--static", "--libs"]);
    assert!(static_libs.len() > libs.len(), "{static_libs:?}");
    assert!(
        static_libs.iter().any(|f| f == "-lpthread" || f == "-lc"),
        "{static_libs:?}"
    );
}

#[test]
fn dynamic_link_through_pkg_config() {
    let s = setup();
    let prefix = &s.prefix;
    let lib = prefix.join("lib");
    let bin = compile(
        s,
        "app-dynamic",
        &pkg_config(prefix, &["--cflags", "--libs"]),
    );
    let dynamic = dynamic_section(&bin);
    assert!(
        dynamic.contains(&format!("Shared library: [libcliauth.so.{}]", major())),
        "{dynamic}"
    );
    run_app(s, &bin, Some(&lib));
    let ldd = text(run_ok(
        Command::new("ldd").arg(&bin).env("LD_LIBRARY_PATH", &lib),
    ));
    let line = ldd
        .lines()
        .find(|l| l.contains("libcliauth"))
        .unwrap_or_else(|| panic!("{ldd}"));
    assert!(
        line.contains(&format!(
            "{}",
            lib.join(format!("libcliauth.so.{}", major())).display()
        )),
        "{line}"
    );
}

fn assert_static(bin: &Path) {
    let dynamic = dynamic_section(bin);
    assert!(!dynamic.contains("libcliauth"), "{dynamic}");
    let ldd = text(run_ok(Command::new("ldd").arg(bin)));
    assert!(!ldd.contains("libcliauth"), "{ldd}");
}

#[test]
fn static_link_through_pkg_config() {
    let s = setup();
    // Only the static library installed: `pkg-config --static` is the whole link line.
    let prefix = &s.work.join("static");
    install(&s.repo, &s.built, prefix, &["--static-only"]);
    assert!(!prefix.join("lib/libcliauth.so").exists());
    let flags = pkg_config(prefix, &["--static", "--cflags", "--libs"]);
    let bin = compile(s, "app-static", &flags);
    assert_static(&bin);
    run_app(s, &bin, None);
}

#[test]
fn static_link_beside_the_shared_library() {
    let s = setup();
    // Both installed: -lcliauth would find the .so, so the .pc names the archive itself.
    let prefix = &s.prefix;
    let mut flags = pkg_config(prefix, &["--cflags"]);
    flags.extend(pkg_config(prefix, &["--variable=static_libs"]));
    assert_eq!(
        flags[1],
        prefix.join("lib/libcliauth.a").display().to_string()
    );
    let bin = compile(s, "app-static-both", &flags);
    assert_static(&bin);
    run_app(s, &bin, None);
}

#[test]
fn staged_install_names_the_final_prefix() {
    let s = setup();
    let stage = s.work.join("stage");
    let _ = std::fs::remove_dir_all(&stage);
    run_ok(
        Command::new("bash")
            .arg(s.repo.join("scripts/install-c.sh"))
            .arg("--lib-from")
            .arg(&s.built)
            .args(["--libdir", "/opt/cliauth/lib64", "/opt/cliauth"])
            .env("DESTDIR", &stage),
    );
    let pc = std::fs::read_to_string(stage.join("opt/cliauth/lib64/pkgconfig/cliauth.pc")).unwrap();
    assert!(pc.contains("\nprefix=/opt/cliauth\n"), "{pc}");
    assert!(pc.contains("\nlibdir=${exec_prefix}/lib64\n"), "{pc}");
    assert!(stage.join("opt/cliauth/include/cliauth.h").is_file());
    assert!(stage.join("opt/cliauth/lib64/libcliauth.a").is_file());
    // Relative symlinks: valid once the tree is moved to its place.
    assert_eq!(
        std::fs::read_link(stage.join("opt/cliauth/lib64/libcliauth.so")).unwrap(),
        PathBuf::from(format!("libcliauth.so.{}", major()))
    );
}
