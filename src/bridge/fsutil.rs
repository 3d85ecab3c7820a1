//! File primitives with the bridge's guarantees: private modes, no symlink following, and the
//! Maildir write (temp file, fsync, rename, fsync directory).

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, RenameFlags};
use std::fs::{self, DirBuilder, File};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::error::{Error, Result};
use super::ids;

/// Creates the bridge directory itself (mode 0700), but never its missing parents: a mistyped
/// `--bridge` path fails instead of growing a tree somewhere unexpected.
pub fn create_root(dir: &Path) -> Result<()> {
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(Error::MissingParent(dir.to_path_buf()))
        }
        Err(e) => Err(Error::io("create directory", dir, e)),
    }
}

/// A directory inside the bridge, opened from the root one component at a time without
/// following a symbolic link: every operation on it is relative to this descriptor, so a link
/// planted anywhere below the root can neither redirect nor receive a file.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

const DIR_FLAGS: OFlags = OFlags::DIRECTORY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC)
    .union(OFlags::RDONLY);

impl Dir {
    /// The bridge root. The root itself may be a link: that is the user's own choice of path.
    pub fn root(root: &Path) -> Result<Dir> {
        let fd = rfs::open(
            root,
            OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::RDONLY,
            Mode::empty(),
        )
        .map_err(|e| Error::io("open", root, e.into()))?;
        Ok(Dir {
            fd,
            path: root.to_path_buf(),
        })
    }

    /// The folder `name` inside this one (created 0700 when missing and `create`). A symbolic
    /// link there is refused, never followed.
    pub fn sub(&self, name: &str, create: bool) -> Result<Dir> {
        let path = self.path.join(name);
        let opened = match rfs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()) {
            Err(e) if e == rustix::io::Errno::NOENT && create => {
                match rfs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o700)) {
                    Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(Error::io("create directory", &path, e.into())),
                }
                rfs::openat(&self.fd, name, DIR_FLAGS, Mode::empty())
            }
            other => other,
        };
        match opened {
            Ok(fd) => Ok(Dir { fd, path }),
            Err(e) if e == rustix::io::Errno::LOOP || e == rustix::io::Errno::NOTDIR => {
                let link = rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW)
                    .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink);
                if link {
                    Err(Error::Symlinked(path))
                } else {
                    Err(Error::io("open folder", &path, e.into()))
                }
            }
            Err(e) => Err(Error::io("open folder", &path, e.into())),
        }
    }

    /// Opens the folders `parts` below this one in turn.
    pub fn walk(&self, parts: &[&str], create: bool) -> Result<Dir> {
        let mut dir: Option<Dir> = None;
        for part in parts {
            dir = Some(dir.as_ref().unwrap_or(self).sub(part, create)?);
        }
        match dir {
            Some(d) => Ok(d),
            None => Ok(Dir {
                fd: self
                    .fd
                    .try_clone()
                    .map_err(|e| Error::io("open", &self.path, e))?,
                path: self.path.clone(),
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Reads the regular file `name` of at most `limit` bytes, never through a link and never
    /// blocking on a FIFO.
    pub fn read(&self, name: &str, limit: u64) -> Result<Vec<u8>, Unreadable> {
        read_no_follow(self.fd.as_fd(), name, limit)
    }

    /// Writes `bytes` to `name` so that readers see either nothing or the whole file (temp
    /// file O_EXCL 0600, rename). `durable` adds the fsyncs that make it survive a power cut.
    pub fn write_atomic(&self, name: &str, bytes: &[u8], durable: bool) -> Result<()> {
        self.write_renamed(name, bytes, durable)?;
        if durable {
            self.sync()
                .map_err(|e| Error::io("write", &self.path.join(name), e))?;
        }
        Ok(())
    }

    /// [`Dir::write_atomic`] but the folder's fsync, left to the caller: a batch of files in
    /// one folder is made durable by one fsync of it. `synced` fsyncs the file before its rename.
    pub fn write_renamed(&self, name: &str, bytes: &[u8], synced: bool) -> Result<()> {
        let tmp = ids::temp_name();
        let f = self
            .create_temp(&tmp, bytes)
            .map_err(|e| Error::io("write", &self.path.join(name), e))?;
        let written = (|| -> io::Result<()> {
            if synced {
                f.sync_all()?;
            }
            // Closed before the rename: a close after it would wake inbox watchers a second
            // time for the same message.
            drop(f);
            Ok(rfs::renameat(&self.fd, tmp.as_str(), &self.fd, name)?)
        })();
        written.map_err(|e| {
            let _ = rfs::unlinkat(&self.fd, tmp.as_str(), AtFlags::empty());
            Error::io("write", &self.path.join(name), e)
        })
    }

    /// Writes `bytes` to a new temp file here (O_EXCL, 0600, not synced) and returns its name
    /// and the open file: the first step of a commit, which syncs and renames later.
    pub fn write_temp(&self, bytes: &[u8]) -> Result<(String, File)> {
        let tmp = ids::temp_name();
        match self.create_temp(&tmp, bytes) {
            Ok(f) => Ok((tmp, f)),
            Err(e) => Err(Error::io("write", &self.path.join(&tmp), e)),
        }
    }

    /// The new temp file `tmp` holding `bytes`, still open; on failure nothing of it is left.
    fn create_temp(&self, tmp: &str, bytes: &[u8]) -> io::Result<File> {
        let written = rfs::openat(
            &self.fd,
            tmp,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(io::Error::from)
        .and_then(|fd| {
            let mut f = File::from(fd);
            f.write_all(bytes).map(|()| f)
        });
        written.inspect_err(|_| {
            let _ = rfs::unlinkat(&self.fd, tmp, AtFlags::empty());
        })
    }

    /// Creates or replaces `name` in place, mode 0600: for receipts, which are advisory and
    /// where a temp file and rename cost several times more on a large directory. Only a regular
    /// file with one link is ever written, and the open cannot block: a FIFO or a hard link to
    /// another file planted under that name is refused, never written through.
    pub fn write_in_place(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let fd = rfs::openat(
            &self.fd,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?;
        let st = rfs::fstat(&fd)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(io::Error::other("not a regular file"));
        }
        if st.st_nlink != 1 {
            return Err(io::Error::other("it has other hard links"));
        }
        rfs::ftruncate(&fd, 0)?;
        File::from(fd).write_all(bytes)
    }

    /// Renames `name` here to `to_name` in `to`. Without `replace`, an existing target is an
    /// `AlreadyExists` error instead of being overwritten.
    pub fn rename(&self, name: &str, to: &Dir, to_name: &str, replace: bool) -> io::Result<()> {
        let flags = if replace {
            RenameFlags::empty()
        } else {
            RenameFlags::NOREPLACE
        };
        match rfs::renameat_with(&self.fd, name, &to.fd, to_name, flags) {
            // Filesystems without RENAME_NOREPLACE: check, then rename (a small race, as before).
            Err(rustix::io::Errno::INVAL) if !replace => {
                if rfs::statat(&to.fd, to_name, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
                    return Err(io::ErrorKind::AlreadyExists.into());
                }
                Ok(rfs::renameat(&self.fd, name, &to.fd, to_name)?)
            }
            other => Ok(other?),
        }
    }

    /// The names in this folder (without `.` and `..`).
    pub fn entries(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        self.each_entry(|name| names.push(name.to_owned()))?;
        Ok(names)
    }

    /// Calls `each` with every name in this folder (without `.` and `..`) as it is read, so a
    /// folder of 100,000 files is never held as 100,000 strings.
    pub fn each_entry(&self, mut each: impl FnMut(&str)) -> io::Result<()> {
        let fd = rfs::openat(&self.fd, ".", DIR_FLAGS, Mode::empty())?;
        for entry in rfs::Dir::read_from(&fd)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            if name != "." && name != ".." {
                each(name);
            }
        }
        Ok(())
    }

    /// Gives the file `name` a second name `to_name` here; fails with `AlreadyExists` when
    /// `to_name` exists, so the first linker wins a race.
    pub fn link(&self, name: &str, to_name: &str) -> io::Result<()> {
        self.link_to(name, self, to_name)
    }

    /// Gives the file `name` here a second name `to_name` in `to` (same rules as [`Dir::link`]).
    pub fn link_to(&self, name: &str, to: &Dir, to_name: &str) -> io::Result<()> {
        Ok(rfs::linkat(
            &self.fd,
            name,
            &to.fd,
            to_name,
            AtFlags::empty(),
        )?)
    }

    /// Opens (creating, 0600) the lock file `name` here, never through a link and never
    /// blocking on a FIFO. It is never written, so whatever is planted there can only be locked.
    pub fn open_lock(&self, name: &str) -> Result<File> {
        let fd = rfs::openat(
            &self.fd,
            name,
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| Error::io("open lock", &self.path.join(name), e.into()))?;
        Ok(File::from(fd))
    }

    pub fn remove(&self, name: &str) -> io::Result<()> {
        Ok(rfs::unlinkat(&self.fd, name, AtFlags::empty())?)
    }

    /// Creates the empty file `name` (0600) only if nothing has that name: the creation that
    /// succeeds is the one claim, however many processes race for it.
    pub fn create_exclusive(&self, name: &str) -> io::Result<()> {
        rfs::openat(
            &self.fd,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?;
        Ok(())
    }

    /// Removes the folder `name` and the files in it (one level: what the bridge keeps in a
    /// folder is files). A link there is removed itself, never followed.
    pub fn remove_folder(&self, name: &str) -> Result<()> {
        let dir = self.sub(name, false)?;
        for file in dir
            .entries()
            .map_err(|e| Error::io("list", dir.path(), e))?
        {
            let _ = dir.remove(&file);
        }
        rfs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)
            .map_err(|e| Error::io("remove", dir.path(), e.into()))
    }

    /// The entry `name` itself (a link is not followed).
    pub fn stat(&self, name: &str) -> io::Result<rfs::Stat> {
        Ok(rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW)?)
    }

    pub fn sync(&self) -> io::Result<()> {
        Ok(rfs::fsync(&self.fd)?)
    }
}

/// Takes `file`'s exclusive lock; false when another process holds it. A reader probing the
/// lock (`list`) holds it shared for microseconds, so a busy lock is retried for 200 ms before
/// it counts as taken.
pub fn lock_patiently(file: &File) -> io::Result<bool> {
    for _ in 0..50 {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(std::fs::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(4))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

pub fn is_not_found(e: &Error) -> bool {
    matches!(e.unshared(), Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
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

impl std::error::Error for Unreadable {}

/// The I/O error itself when there is one (its kind and OS code intact), else one that says
/// why the file is not readable.
impl From<Unreadable> for io::Error {
    fn from(u: Unreadable) -> io::Error {
        match u {
            Unreadable::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// Reads a regular file of at most `limit` bytes without following a symlink and without
/// blocking on a FIFO.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, Unreadable> {
    read_no_follow(rfs::CWD, path, limit)
}

/// [`read_regular`] of `path` relative to the folder `dir`.
fn read_no_follow(
    dir: BorrowedFd<'_>,
    path: impl rustix::path::Arg,
    limit: u64,
) -> Result<Vec<u8>, Unreadable> {
    let fd = rfs::openat(
        dir,
        path,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        rustix::io::Errno::LOOP => Unreadable::NotAFile("symbolic link"),
        e => Unreadable::Io(e.into()),
    })?;
    read_limited(File::from(fd), limit)
}

fn read_limited(f: File, limit: u64) -> Result<Vec<u8>, Unreadable> {
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
    rustix::process::geteuid().as_raw()
}

pub fn owner(meta: &fs::Metadata) -> u32 {
    meta.uid()
}

/// The host name, so heartbeats can say where an agent runs (lock and pid checks only work there).
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// The filesystem type name when `dir` lives on a network filesystem, where inotify events from
/// other hosts never arrive.
pub fn network_filesystem(dir: &Path) -> Option<&'static str> {
    let magic = rfs::statfs(dir).ok()?.f_type as u64;
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
