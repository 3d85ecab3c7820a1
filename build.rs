//! Links the binary as a fixed-address executable on Linux: a position-independent one spends
//! a good part of `cc2cc send`'s start-up applying ~10,000 relocations, page by page. Only this
//! package's binary is affected; dependencies and proc-macros build as usual.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
