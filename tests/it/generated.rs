//! man/ and completions/ are generated from the clap definitions; this test fails when they are
//! stale. Regenerate with `CC2CC_REGENERATE=1 cargo test --test it generated`.

use clap::CommandFactory;
use clap_complete::Shell;
use std::path::Path;

use cc2cc::cli::Cli;

fn rendered() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut cmd = Cli::command();
    cmd.build(); // propagates global options and the version into the subcommands
    let mut man = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut man).unwrap();
    files.push(("man/cc2cc.1".to_owned(), man));
    for sub in cmd.get_subcommands() {
        let name = format!("cc2cc-{}", sub.get_name());
        let mut man = Vec::new();
        clap_mangen::Man::new(sub.clone().name(&*name.clone().leak()))
            .render(&mut man)
            .unwrap();
        files.push((format!("man/{name}.1"), man));
    }
    for (shell, file) in [
        (Shell::Bash, "cc2cc.bash"),
        (Shell::Zsh, "_cc2cc"),
        (Shell::Fish, "cc2cc.fish"),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "cc2cc", &mut out);
        files.push((format!("completions/{file}"), out));
    }
    files
}

#[test]
fn man_pages_and_completions_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let regenerate = std::env::var_os("CC2CC_REGENERATE").is_some();
    let mut stale = Vec::new();
    for (rel, content) in rendered() {
        let path = root.join(&rel);
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&content[..]) {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `CC2CC_REGENERATE=1 cargo test --test it generated`"
    );
}
