//! Links the binary as a fixed-address executable on Linux: a position-independent one spends
//! a good part of `cc2cc send`'s start-up applying ~10,000 relocations, page by page. Only this
//! package's binary is affected; dependencies and proc-macros build as usual. A static build
//! (`crt-static`) links its own way and is left alone.
fn main() {
    let linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    if linux && !features.split(',').any(|f| f == "crt-static") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
