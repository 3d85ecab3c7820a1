//! Links the binary as a fixed-address executable: a position-independent one spends a
//! third of `cc2cc send`'s start-up applying ~10,000 relocations, page by page. Only this
//! package's binary is affected; dependencies and proc-macros build as usual.
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
