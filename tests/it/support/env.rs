//! A hermetic test environment: a temporary bridge, a cleared environment, a pinned clock
//! when asked, and helpers to read what landed on disk.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const BIN: &str = env!("CARGO_BIN_EXE_cc2cc");

/// The binary under test: `CC2CC_TEST_BIN` runs the tests against another build (to check that
/// a new test fails on an older binary), else the one cargo built.
pub fn bin() -> String {
    std::env::var("CC2CC_TEST_BIN").unwrap_or_else(|_| BIN.to_owned())
}

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub bridge: PathBuf,
    /// RFC 3339 time pinned as "now" for every command (CC2CC_TEST_NOW), if set.
    pub now: Option<String>,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let bridge = dir.path().join("bridge");
        TestEnv {
            dir,
            bridge,
            now: None,
        }
    }

    /// A copy of one of the original implementation's fixture trees as the bridge.
    pub fn fixture(name: &str) -> TestEnv {
        let env = TestEnv::new();
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cc2cc-v3")
            .join(name);
        copy_tree(&src, &env.bridge);
        env
    }

    /// `cc2cc ARGS` with only the variables a test chooses.
    pub fn cmd(&self, args: &[&str]) -> Command {
        Command::from_std(self.std_cmd(args))
    }

    /// As [`TestEnv::cmd`], as a std `Command`: for long-running children driven over pipes.
    pub fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        self.std_cmd_of(bin(), args)
    }

    /// As [`TestEnv::std_cmd`], running `program` (a copy of the binary elsewhere).
    pub fn std_cmd_of(
        &self,
        program: impl AsRef<std::ffi::OsStr>,
        args: &[&str],
    ) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("CC2CC_BRIDGE_DIR", &self.bridge)
            .args(args);
        if let Some(now) = &self.now {
            c.env("CC2CC_TEST_NOW", now);
        }
        c
    }

    /// Runs `cc2cc ARGS` to the end, stdin empty: its exit code, stdout and stderr.
    pub fn run(&self, args: &[&str]) -> Run {
        self.cmd(args).run()
    }

    /// As [`TestEnv::run`], with INPUT on stdin.
    pub fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        self.cmd(args).write_stdin(input).run()
    }

    /// As [`TestEnv::run`], with VARS added to the environment.
    pub fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        self.cmd(args).envs(vars.iter().copied()).run()
    }

    /// `cc2cc --as NAME ARGS`.
    pub fn as_(&self, name: &str, args: &[&str]) -> Command {
        let mut c = self.cmd(&["--as", name]);
        c.args(args);
        c
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.bridge.join(rel)
    }

    /// File names in a bridge subdirectory, sorted; empty when it does not exist.
    pub fn files(&self, rel: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path(rel))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    pub fn read_json(&self, rel: &str) -> Value {
        let text =
            std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {rel}: {e}"))
    }

    /// Sends TEXT from FROM to TO and returns the new id.
    pub fn send(&self, from: &str, to: &str, text: &str) -> String {
        let out = self
            .as_(from, &["send", "--to", to, text])
            .output()
            .expect("run send");
        assert!(out.status.success(), "send failed: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

/// How a `cc2cc` run ended, as a test asserts it: exit code, stdout and stderr.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout as NDJSON, parsed line by line.
    pub fn json_lines(&self) -> Vec<Value> {
        parse_json_lines(&self.stdout)
    }
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        let stderr = stderr(&out);
        let code = out
            .status
            .code()
            .unwrap_or_else(|| panic!("cc2cc ended by {}; stderr:\n{stderr}", out.status));
        Run {
            code,
            stdout: stdout(&out),
            stderr,
        }
    }
}

/// `.run()` for a command that needs more than [`TestEnv::run`] gives (a timeout, say).
pub trait RunExt {
    fn run(&mut self) -> Run;
}

impl RunExt for Command {
    fn run(&mut self) -> Run {
        self.output().expect("run cc2cc").into()
    }
}

/// The value of `f` once it equals `want`, or its last value after 5 s: for state that another
/// process reaches just after answering (serve-mcp claims a message after writing its result).
pub fn settled<T: PartialEq>(f: impl Fn() -> T, want: &T) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let v = f();
        if v == *want || std::time::Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// NDJSON output parsed line by line.
pub fn json_lines(out: &std::process::Output) -> Vec<Value> {
    parse_json_lines(&stdout(out))
}

fn parse_json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// Everything read from `pipe`, collected on a thread as it comes.
pub fn collect(mut pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let sink = Arc::new(Mutex::new(String::new()));
    let s = Arc::clone(&sink);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            s.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    sink
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap_or_else(|e| panic!("{}: {e}", src.display())) {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
            // A checkout may have the fixtures read-only; the copy must be writable like a real bridge.
            let mut perm = std::fs::metadata(&to).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o600);
            std::fs::set_permissions(&to, perm).unwrap();
        }
    }
    let mut perm = std::fs::metadata(dst).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o700);
    std::fs::set_permissions(dst, perm).unwrap();
}
