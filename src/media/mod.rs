//! Files on disk: where uploads, thumbnails and profile pictures are kept, what may be
//! uploaded, and what uploaded names may look like once shown. The rows that describe the files
//! are `model::attachment`'s; this module never touches the database.

pub mod picture;
pub mod sealed;
pub mod sniff;

use std::io;
use std::path::{Path, PathBuf};

use crate::error::AppError;
use crate::model::FieldError;
use crate::model::attachment::{FileKind, NewAttachment};
use picture::Refused;
use sealed::{FileKey, Unsealed};

/// A file received from a form, in a temporary file under the data folder until it is kept
/// (moved into `files/`) or dropped (which removes it).
pub struct Incoming {
    /// What the sender called it; never trusted (`clean_name`).
    pub raw_name: String,
    pub size: u64,
    pub temp: tempfile::TempPath,
}

/// The kinds a profile picture may be, whatever `--upload-types` says of attachments.
const AVATAR_KINDS: [FileKind; 4] = [FileKind::Jpeg, FileKind::Png, FileKind::Gif, FileKind::Webp];

/// What people may upload (`--upload-types`, `--upload-max`, `--upload-quota`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRules {
    pub allowed: Vec<FileKind>,
    /// Largest file, in bytes.
    pub max_file: u64,
    /// Bytes of files one person may keep.
    pub quota: u64,
}

impl UploadRules {
    /// The endings people may send, for the composer's hint and the file input's `accept`.
    pub fn extensions(&self) -> Vec<&'static str> {
        self.allowed
            .iter()
            .flat_map(|kind| kind.extensions().iter().copied())
            .collect()
    }
}

/// What handlers reach for files: where they are, what may be sent, and the one decoder.
pub struct Media {
    pub storage: Storage,
    pub rules: UploadRules,
    decoding: tokio::sync::Semaphore,
}

impl Media {
    pub fn new(storage: Storage, rules: UploadRules) -> Media {
        Media {
            storage,
            rules,
            decoding: tokio::sync::Semaphore::new(1),
        }
    }

    /// Runs picture work off the worker thread, one at a time: decoding a photo takes tens of
    /// megabytes, and a burst of uploads must not take them all at once on a small host.
    pub async fn decode<T, F>(&self, work: F) -> Result<T, crate::error::AppError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _permit = self
            .decoding
            .acquire()
            .await
            .map_err(|e| crate::error::AppError::internal(e.to_string()))?;
        blocking(work).await
    }

    /// Checks a received file and keeps it under a new random name, with its thumbnail if it
    /// is a picture. A refusal names the file; the temporary file is removed either way.
    pub async fn receive(
        &self,
        file: Incoming,
    ) -> Result<Result<NewAttachment, FieldError>, AppError> {
        let allowed = self.rules.allowed.clone();
        let Incoming {
            raw_name,
            size,
            temp,
        } = file;
        let (temp, raw_name, kind) = {
            let checked = blocking(move || {
                let kind = sniff::identify(&temp, &raw_name, size, &allowed);
                (temp, raw_name, kind)
            })
            .await?;
            match checked {
                (_, _, Err(refusal)) => return Ok(Err(refusal)),
                (temp, raw_name, Ok(kind)) => (temp, raw_name, kind),
            }
        };
        let key = new_key().map_err(|e| AppError::internal(e.to_string()))?;
        let name = display_name(&raw_name, kind);
        let storage = self.storage.clone();
        if !kind.is_image() {
            let kept = storage.file(&key);
            blocking(move || storage.keep(temp, &kept))
                .await?
                .map_err(|e| AppError::io("cannot keep an upload", &e))?;
            return Ok(Ok(NewAttachment {
                stored_as: key,
                name,
                kind,
                size,
                dimensions: None,
                thumb: None,
            }));
        }
        let prepared = self
            .decode(move || {
                let prepared = picture::prepare(&temp, kind)?;
                let written = storage
                    .write(&storage.thumbnail(&key), &prepared.thumbnail)
                    .and_then(|()| storage.write(&storage.file(&key), &prepared.served));
                if let Err(e) = written {
                    storage.remove_files(std::slice::from_ref(&key));
                    return Ok(Err(e));
                }
                Ok(Ok((key, prepared)))
            })
            .await?;
        match prepared {
            Err(refused) => Ok(Err(picture_refusal(refused, &raw_name))),
            Ok(Err(e)) => Err(AppError::io("cannot keep a picture", &e)),
            Ok(Ok((key, prepared))) => Ok(Ok(NewAttachment {
                stored_as: key,
                name,
                kind,
                size: prepared.served.len() as u64,
                dimensions: Some((prepared.width, prepared.height)),
                thumb: Some((prepared.thumb_width, prepared.thumb_height)),
            })),
        }
    }

    /// Makes a profile picture of a received file, in every size of `AVATAR_SIZES`, and
    /// answers its key.
    pub async fn receive_avatar(
        &self,
        file: Incoming,
    ) -> Result<Result<String, FieldError>, AppError> {
        let Incoming {
            raw_name,
            size,
            temp,
        } = file;
        let key = new_key().map_err(|e| AppError::internal(e.to_string()))?;
        let storage = self.storage.clone();
        let name = raw_name.clone();
        let done = self
            .decode(move || {
                let kind = match sniff::identify(&temp, &name, size, &AVATAR_KINDS) {
                    Ok(kind) => kind,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let pictures =
                    picture::avatar(&temp, kind, &AVATAR_SIZES).map_err(Unkept::Refused)?;
                for (size, bytes) in AVATAR_SIZES.iter().zip(pictures) {
                    let path = storage
                        .avatar(&key, *size)
                        .ok_or(Unkept::Refused(Refused::Unreadable))?;
                    if let Err(e) = storage.write(&path, &bytes) {
                        storage.remove_avatar(&key);
                        return Err(Unkept::Io(e));
                    }
                }
                Ok(Ok(key))
            })
            .await?;
        Ok(match done {
            Ok(Ok(key)) => Ok(key),
            Ok(Err(refusal)) => Err(FieldError {
                field: "avatar",
                ..refusal
            }),
            Err(Unkept::Refused(refused)) => Err(FieldError {
                field: "avatar",
                ..picture_refusal(refused, &raw_name)
            }),
            // A full disk is the server's trouble, not the picture's.
            Err(Unkept::Io(e)) => return Err(AppError::io("cannot keep a profile picture", &e)),
        })
    }
}

/// Why a profile picture was not kept: the picture itself, or writing it.
enum Unkept {
    Refused(Refused),
    Io(io::Error),
}

fn picture_refusal(refused: Refused, raw_name: &str) -> FieldError {
    FieldError {
        field: sniff::FIELD,
        message: match refused {
            Refused::Unreadable => "error-upload-unreadable",
            Refused::TooLarge => "error-upload-too-many-pixels",
        },
        detail: Some(clean_name(raw_name)),
    }
}

async fn blocking<T, F>(work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::internal(format!("file work failed: {e}")))
}

/// The folders under the data directory that hold files, and the key they are sealed with
/// when the database is encrypted. What is being received (`incoming`) stays plain until it
/// is checked and kept: a temporary file, removed once kept or refused, and at every start.
#[derive(Debug, Clone)]
pub struct Storage {
    files: PathBuf,
    avatars: PathBuf,
    incoming: PathBuf,
    seal: Option<FileKey>,
}

/// A stored file opened for reading.
pub enum Opened {
    Plain(std::fs::File),
    Sealed(Unsealed<std::fs::File>),
}

/// Thumbnails are stored beside their file, with this ending added.
const THUMB_SUFFIX: &str = ".thumb";
/// Profile pictures are kept in these square sizes, in pixels: the list's and the profile's,
/// each twice what is drawn for sharp screens.
pub const AVATAR_SIZES: [u32; 2] = [64, 256];

impl Storage {
    /// Creates the folders if needed, and empties `incoming`: what is there was being
    /// received when the server last stopped, and nobody is waiting for it any more.
    pub fn open(data: &Path, seal: Option<FileKey>) -> io::Result<Storage> {
        let storage = Storage::at(data).sealed_with(seal);
        for dir in [&storage.files, &storage.avatars, &storage.incoming] {
            std::fs::create_dir_all(dir)?;
        }
        for entry in std::fs::read_dir(&storage.incoming)? {
            let _ = std::fs::remove_file(entry?.path());
        }
        Ok(storage)
    }

    /// The folders as they are, without creating or emptying anything (`bavard check`,
    /// `bavard backup`).
    pub fn at(data: &Path) -> Storage {
        Storage {
            files: data.join("files"),
            avatars: data.join("avatars"),
            incoming: data.join("incoming"),
            seal: None,
        }
    }

    pub fn sealed_with(self, seal: Option<FileKey>) -> Storage {
        Storage { seal, ..self }
    }

    pub fn is_sealed(&self) -> bool {
        self.seal.is_some()
    }

    /// Stores `bytes` at `path` (a path this storage gave), sealed if files are. The file
    /// appears whole or not at all.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.store(path, &mut io::Cursor::new(bytes))
    }

    /// Keeps a received file at `path`: a rename when files are plain, else sealed into place.
    pub fn keep(&self, temp: tempfile::TempPath, path: &Path) -> io::Result<()> {
        if self.seal.is_none() {
            return temp.persist(path).map_err(|e| e.error);
        }
        self.store(path, &mut std::fs::File::open(&temp)?)
    }

    fn store(&self, path: &Path, source: &mut dyn io::Read) -> io::Result<()> {
        let folder = path.parent().unwrap_or(Path::new("."));
        let mut partial = tempfile::NamedTempFile::new_in(folder)?;
        match &self.seal {
            Some(key) => {
                let mut out = io::BufWriter::new(partial.as_file_mut());
                sealed::seal(key, &stored_name(path), source, &mut out)?;
                io::Write::flush(&mut out)?;
            }
            None => {
                io::copy(source, partial.as_file_mut())?;
            }
        }
        partial.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    /// Opens a stored file for reading: a sealed one is checked chunk by chunk as it is read.
    pub fn open_stored(&self, path: &Path) -> io::Result<Opened> {
        let file = std::fs::File::open(path)?;
        Ok(match &self.seal {
            None => Opened::Plain(file),
            Some(key) => Opened::Sealed(Unsealed::open(key, &stored_name(path), file)?),
        })
    }

    /// Seals, in place, a stored file written before files were sealed; one already sealed is
    /// left as it is (`bavard encrypt` may be run again after an interruption). Answers
    /// whether it sealed it.
    pub fn seal_in_place(&self, path: &Path) -> io::Result<bool> {
        let mut first = [0u8; 8];
        let mut file = std::fs::File::open(path)?;
        let read = io::Read::read(&mut file, &mut first)?;
        if sealed::looks_sealed(&first[..read]) {
            return Ok(false);
        }
        file = std::fs::File::open(path)?;
        self.store(path, &mut file)?;
        Ok(true)
    }

    /// Where uploads are received: under the data folder, so that keeping one is a rename.
    pub fn incoming(&self) -> &Path {
        &self.incoming
    }

    pub fn file(&self, stored_as: &str) -> PathBuf {
        self.files.join(stored_as)
    }

    pub fn thumbnail(&self, stored_as: &str) -> PathBuf {
        self.files.join(format!("{stored_as}{THUMB_SUFFIX}"))
    }

    /// A profile picture in one of `AVATAR_SIZES`; None for a key that is not one of ours
    /// (it comes from a URL).
    pub fn avatar(&self, key: &str, size: u32) -> Option<PathBuf> {
        is_key(key).then(|| self.avatars.join(format!("{key}-{size}.jpg")))
    }

    /// Deletes a message's stored files and their thumbnails. A file already gone is not an
    /// error: what matters is that it is gone.
    pub fn remove_files(&self, stored: &[String]) {
        for key in stored.iter().filter(|k| is_key(k)) {
            remove_quietly(&self.file(key));
            remove_quietly(&self.thumbnail(key));
        }
    }

    /// Bytes free for this account on the disk that holds the files.
    pub fn free_space(&self) -> Option<u64> {
        #[cfg(unix)]
        {
            // The files' folder, or the data folder before the first upload made it.
            let stats = rustix::fs::statvfs(&self.files)
                .ok()
                .or_else(|| rustix::fs::statvfs(self.files.parent()?).ok())?;
            Some(stats.f_bavail.saturating_mul(stats.f_frsize))
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    pub fn remove_avatar(&self, key: &str) {
        for size in AVATAR_SIZES {
            if let Some(path) = self.avatar(key, size) {
                remove_quietly(&path);
            }
        }
    }
}

/// A file's stored name, which a sealed file is bound to.
fn stored_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn remove_quietly(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!("could not remove {}: {e}", path.display());
    }
}

/// A fresh random name for stored bytes: 128 bits, so never guessed and never reused.
pub fn new_key() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(io::Error::other)?;
    Ok(base16ct::lower::encode_string(&bytes))
}

/// The path of a backup's entry inside the data folder, if it is one a data folder holds:
/// the database, a stored file or thumbnail, or a profile picture. Anything else (another
/// folder, `..`, a name of someone else's making) is not restored.
pub fn restorable(entry: &str) -> bool {
    if entry == crate::db::DATABASE_FILE {
        return true;
    }
    match entry.split_once('/') {
        Some(("files", name)) => is_key(name.strip_suffix(THUMB_SUFFIX).unwrap_or(name)),
        Some(("avatars", name)) => name
            .strip_suffix(".jpg")
            .and_then(|stem| stem.rsplit_once('-'))
            .is_some_and(|(key, size)| {
                is_key(key) && AVATAR_SIZES.iter().any(|s| s.to_string() == size)
            }),
        _ => false,
    }
}

fn is_key(key: &str) -> bool {
    key.len() == 32
        && key
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Longest name kept, in characters; the ending is kept when a name is cut.
const NAME_MAX: usize = 120;
/// Longest ending kept as one: real ones are a few letters.
const ENDING_MAX: usize = 16;

/// What a sender called a file, made safe to show and to offer as a download name: only the
/// last path segment, no control or direction-changing characters (a right-to-left override
/// makes "gnp.exe" look like "exe.png"), no surrounding spaces or dots. May be empty.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_direction_mark(*c))
        .collect();
    // Spaces and dots in any mix: ". .a" must not leave ".a", a hidden file's name.
    cleaned
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_owned()
}

/// The part of a name after its last dot, if any.
pub fn ending(name: &str) -> Option<&str> {
    name.rsplit_once('.')
        .map(|(_, ending)| ending)
        .filter(|ending| !ending.is_empty())
}

/// The name a file is shown and downloaded under (see `clean_name`), bounded and never empty.
/// A name without an ending gets the content's usual one, so that the download opens.
pub fn display_name(raw: &str, kind: FileKind) -> String {
    let mut name = clean_name(raw);
    if name.is_empty() {
        name = "file".to_owned();
    }
    // A long "ending" is part of the name, or it would not be bounded.
    let suffix = match ending(&name).filter(|e| e.chars().count() <= ENDING_MAX) {
        Some(ending) => {
            let suffix = format!(".{ending}");
            name.truncate(name.len() - suffix.len());
            suffix
        }
        None => format!(".{}", kind.code()),
    };
    let stem: String = name
        .chars()
        .take(NAME_MAX.saturating_sub(suffix.chars().count()))
        .collect();
    let stem = stem.trim_end();
    let stem = if stem.is_empty() { "file" } else { stem };
    format!("{stem}{suffix}")
}

fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    // Whatever a sender calls a file, the name shown is one segment, printable, not empty,
    // bounded, and cleaning it again changes nothing.
    #[test]
    fn any_upload_name_becomes_a_harmless_bounded_one() {
        let hostile = "[./\\\u{0}\u{1f}\u{202e}\u{200f} a-z]{0,300}";
        let long_ending = "[a-z]{0,5}\\.[a-z]{100,300}";
        proptest::proptest!(|(raw in proptest::prop_oneof![proptest::arbitrary::any::<String>(), hostile, long_ending])| {
            let cleaned = clean_name(&raw);
            proptest::prop_assert_eq!(clean_name(&cleaned), cleaned.clone());
            let shown = display_name(&raw, FileKind::Png);
            proptest::prop_assert!(!shown.is_empty() && shown.chars().count() <= NAME_MAX, "{shown:?}");
            proptest::prop_assert!(
                !shown.chars().any(|c| c == '/' || c == '\\' || c.is_control() || is_direction_mark(c)),
                "{shown:?}"
            );
        });
    }

    #[test]
    fn hostile_names_become_harmless_ones() {
        let png = FileKind::Png;
        assert_eq!(display_name("../../etc/passwd", png), "passwd.png");
        assert_eq!(display_name("..\\..\\windows\\win.ini", png), "win.ini");
        assert_eq!(display_name("a\u{0}.png", png), "a.png");
        assert_eq!(display_name("\u{202e}gnp.exe", png), "gnp.exe");
        assert_eq!(display_name("", png), "file.png");
        assert_eq!(display_name("..", png), "file.png");
        assert_eq!(display_name(".htaccess", png), "htaccess.png");
        // Found by the property test below.
        assert_eq!(clean_name(". .a"), "a");
        let long = format!("a.{}", "b".repeat(200));
        assert_eq!(display_name(&long, png).chars().count(), NAME_MAX);
        assert!(display_name(&long, png).ends_with("bb.png"));
        assert_eq!(display_name("new\nline.PNG", png), "newline.PNG");
        assert_eq!(display_name("naïve café.png", png), "naïve café.png");
        let long = display_name(&format!("{}.png", "x".repeat(1000)), png);
        assert_eq!(long.chars().count(), NAME_MAX);
        assert!(long.ends_with("x.png"));
        assert_eq!(
            display_name("report", FileKind::Pdf),
            "report.pdf",
            "the download opens"
        );
    }

    #[test]
    fn a_restore_takes_only_what_a_data_folder_holds() {
        let key = new_key().unwrap();
        assert!(restorable("bavard.sqlite3"));
        assert!(restorable(&format!("files/{key}")));
        assert!(restorable(&format!("files/{key}.thumb")));
        assert!(restorable(&format!("avatars/{key}-64.jpg")));
        assert!(!restorable(&format!("avatars/{key}-65.jpg")));
        assert!(!restorable("../bavard.sqlite3"));
        assert!(!restorable(&format!("files/../{key}")));
        assert!(!restorable(&format!("incoming/{key}")));
        assert!(!restorable("files/.htaccess"));
    }

    #[test]
    fn only_our_own_keys_name_a_path() {
        let storage = Storage {
            files: "f".into(),
            avatars: "a".into(),
            incoming: "i".into(),
            seal: None,
        };
        let key = new_key().unwrap();
        assert!(storage.avatar(&key, 64).is_some());
        assert!(storage.avatar("../../etc/passwd", 64).is_none());
        assert!(storage.avatar(&key.to_uppercase(), 64).is_none());
    }
}
