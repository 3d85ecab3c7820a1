//! Link settings for the binary's start-up on Linux with glibc, which every `cc2cc send` pays:
//! - A fixed-address executable: a position-independent one spends a good part of start-up
//!   applying ~10,000 relocations, page by page.
//! - The unwinder linked in from `libgcc_eh.a`, as `-static-libgcc` does for C, instead of
//!   loaded from `libgcc_s.so.1`: loading that library runs its CPU-detection constructor, a
//!   dozen `cpuid` instructions that each trap to the hypervisor on a virtual machine (0.14 ms a
//!   start measured here). Rust has no flag for it, so a one-line linker script named
//!   `libgcc_s.so`, first on the search path, points the linker at the archive. It is used only
//!   when the linker says where that archive is.
//!
//! Only this package's binaries and tests are affected; dependencies and proc-macros build as
//! usual. A static build (`crt-static`, or any musl build) links its own way and is left alone.
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let features = var("CARGO_CFG_TARGET_FEATURE");
    // Only dynamic glibc. musl links statically by default, as a self-relocating executable
    // that `-no-pie` would break (it crashed at once), and cargo does not list that implied
    // crt-static among the target features.
    let glibc = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    if !glibc || features.split(',').any(|f| f == "crt-static") {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-no-pie");
    let out_dir = PathBuf::from(var("OUT_DIR"));
    if let Some(archive) = libgcc_eh() {
        let script = format!("INPUT({})\n", archive.display());
        if std::fs::write(out_dir.join("libgcc_s.so"), script).is_ok() {
            println!("cargo:rustc-link-search=native={}", out_dir.display());
        }
    }
}

/// Where the linker driver finds `libgcc_eh.a`, or None when it does not (it then prints the
/// bare name back).
fn libgcc_eh() -> Option<PathBuf> {
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_owned());
    let out = Command::new(linker)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    let usable = out.status.success() && path.is_absolute() && path.is_file();
    // A path the linker script cannot quote is left to the default link.
    let plain = path
        .to_str()
        .is_some_and(|p| !p.contains([' ', '(', ')', '"']));
    (usable && plain).then_some(path)
}
