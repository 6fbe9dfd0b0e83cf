//! Gives the shared library the soname of the library it replaces, so that a program
//! linked against Debian's `libsecsipid.so.1` loads this one when it is found first
//! (`LD_LIBRARY_PATH`, or a copy named `libsecsipid.so.1` in the loader's path).
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsecsipid.so.1");
    println!("cargo:rerun-if-changed=build.rs");
}
