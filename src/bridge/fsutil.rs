//! File primitives with the bridge's guarantees: private modes, no symlink following, and the
//! Maildir write (temp file, fsync, rename, fsync directory).

use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{Error, Result};
use super::ids;

pub fn create_dir_private(dir: &Path) -> Result<()> {
    match DirBuilder::new().recursive(true).mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(e) => Err(Error::io("create directory", dir, e)),
    }
}

/// Writes `bytes` to `dir/name` so that readers see either nothing or the whole file.
/// `durable` adds the fsyncs that make the file survive a power cut once we return.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8], durable: bool) -> Result<PathBuf> {
    let dest = write_renamed(dir, name, bytes, durable)?;
    if durable {
        sync_dir(dir).map_err(|e| Error::io("write", &dest, e))?;
    }
    Ok(dest)
}

/// [`write_atomic`] but the directory's fsync, left to the caller: a batch of files in one
/// directory is made durable by one fsync of it. `synced` fsyncs the file before its rename.
pub fn write_renamed(dir: &Path, name: &str, bytes: &[u8], synced: bool) -> Result<PathBuf> {
    let tmp = dir.join(ids::temp_name());
    let dest = dir.join(name);
    let written = (|| -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)?;
        f.write_all(bytes)?;
        if synced {
            f.sync_all()?;
        }
        fs::rename(&tmp, &dest)
    })();
    match written {
        Ok(()) => Ok(dest),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(Error::io("write", &dest, e))
        }
    }
}

/// Creates or replaces `path` in place, mode 0600, never through a symlink. For receipts only:
/// they are advisory, and on a large directory a temp file and rename cost several times more.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?
        .write_all(bytes)
}

/// Opens a lock file for `flock`, creating it (mode 0600) and never through a symlink.
pub fn open_lock(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Takes `file`'s exclusive lock; false when another process holds it. A reader probing the
/// lock (`list`) holds it shared for microseconds, so a busy lock is retried for 200 ms before
/// it counts as taken.
pub fn lock_patiently(file: &File) -> io::Result<bool> {
    for _ in 0..50 {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(TryLockError::WouldBlock) => std::thread::sleep(Duration::from_millis(4)),
            Err(TryLockError::Error(e)) => return Err(e),
        }
    }
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Why a directory entry is not a message we can read.
#[derive(Debug)]
pub enum Unreadable {
    NotAFile(&'static str),
    TooLarge(u64),
    Io(io::Error),
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::NotAFile(kind) => write!(f, "it is a {kind}, not a regular file"),
            Unreadable::TooLarge(n) => write!(f, "it is {n} bytes, over the size limit"),
            Unreadable::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Reads a regular file of at most `limit` bytes without following a symlink and without
/// blocking on a FIFO.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, Unreadable> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => Unreadable::NotAFile("symbolic link"),
            _ => Unreadable::Io(e),
        })?;
    let meta = f.metadata().map_err(Unreadable::Io)?;
    if !meta.is_file() {
        return Err(Unreadable::NotAFile(kind_of(&meta)));
    }
    if meta.len() > limit {
        return Err(Unreadable::TooLarge(meta.len()));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(Unreadable::Io)?;
    if buf.len() as u64 > limit {
        return Err(Unreadable::TooLarge(buf.len() as u64));
    }
    Ok(buf)
}

pub fn kind_of(meta: &fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "directory"
    } else if t.is_symlink() {
        "symbolic link"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else {
        "file"
    }
}

/// The effective uid, to tell whether a bridge directory is ours.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

pub fn owner(meta: &fs::Metadata) -> u32 {
    meta.uid()
}

/// The host name, so heartbeats can say where an agent runs (lock and pid checks only work there).
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// The filesystem type name when `dir` lives on a network filesystem, where inotify events from
/// other hosts never arrive.
pub fn network_filesystem(dir: &Path) -> Option<&'static str> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `c` is NUL-terminated and `st` is a valid out-pointer for statfs.
    if unsafe { libc::statfs(c.as_ptr(), st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: statfs returned 0, so it filled `st`.
    let magic = unsafe { st.assume_init() }.f_type as u64;
    match magic {
        0x6969 => Some("nfs"),
        0x517b => Some("smb"),
        0xff53_4d42 => Some("cifs"),
        0xfe53_4d42 => Some("smb2"),
        0x0102_1997 => Some("9p"),
        0x00c3_6400 => Some("ceph"),
        0x6573_5546 => Some("fuse"),
        0x0bd0_0bd0 => Some("lustre"),
        _ => None,
    }
}
