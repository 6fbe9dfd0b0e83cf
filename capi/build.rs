//! Gives `libcliauth.so` the soname `libcliauth.so.<major>` (from the crate version), so
//! that programs linked against it record the ABI version they need and an installed
//! library can be upgraded in place (`scripts/install-c.sh` installs the versioned names:
//! `libcliauth.so.0.1.0`, `libcliauth.so.0`, `libcliauth.so`). ELF targets only; elsewhere
//! the platform's defaults apply.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    let elf = family.split(',').any(|f| f == "unix") && !matches!(os.as_str(), "macos" | "ios");
    if elf {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcliauth.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
