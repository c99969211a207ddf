//! The instance key: where it comes from (`BAVARD_KEY`, `--key-file`, or the key file generated
//! in the data folder with a new database) and whether the database needs one. The key opens
//! the database through SQLCipher (`db`); the stored files are sealed with a key of their own
//! kept inside that encrypted database (`media::sealed`), so changing the instance key never
//! rewrites a file.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::db::DATABASE_FILE;

/// The key file a new database gets when the operator names none.
pub const DEFAULT_KEY_FILE: &str = "bavard.key";
const KEY_BYTES: usize = 32;
/// The encrypted copy `bavard encrypt` makes before it replaces the plain database.
pub const ENCRYPTING: &str = "bavard.sqlite3.encrypting";
/// What every plain SQLite file begins with; an encrypted one begins with random salt.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// 256 random bits, used as SQLCipher's raw key: no passphrase stretching, so opening a
/// connection stays as cheap as with plain SQLite (the server opens one per worker thread).
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; KEY_BYTES]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    pub fn generate() -> io::Result<Key> {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(io::Error::other)?;
        Ok(Key(bytes))
    }

    /// A key written as 64 hexadecimal digits (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Key, String> {
        let text = text.trim();
        let wrong = || "a key is 64 hexadecimal digits (as `bavard rekey` writes them)".to_owned();
        if text.len() != KEY_BYTES * 2 || !text.is_ascii() {
            return Err(wrong());
        }
        let mut bytes = [0u8; KEY_BYTES];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| wrong())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| wrong())?;
        }
        Ok(Key(bytes))
    }

    pub fn hex(&self) -> String {
        base16ct::lower::encode_string(&self.0)
    }

    /// SQLCipher's form of a raw key, to follow `PRAGMA key =` or `KEY` (hex digits only, so
    /// it can stand in SQL text).
    pub(crate) fn sqlcipher_literal(&self) -> String {
        format!("\"x'{}'\"", self.hex())
    }
}

/// How the operator asked for the key, before anything is read.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyChoice {
    /// `--key-file`.
    pub file: Option<PathBuf>,
    /// `BAVARD_KEY`, the key itself.
    pub given: Option<String>,
    /// `--no-encryption`: a new database stays plain SQLite.
    pub no_encryption: bool,
}

impl fmt::Debug for KeyChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyChoice")
            .field("file", &self.file)
            .field("given", &self.given.as_ref().map(|_| "…"))
            .field("no_encryption", &self.no_encryption)
            .finish()
    }
}

/// Where a key was found, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Environment => f.write_str("BAVARD_KEY"),
            KeySource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// What the database file in a data folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseState {
    Missing,
    Plain,
    Encrypted,
}

/// Tells a plain database from an encrypted one by its first bytes (nothing is opened).
pub fn state_of(database: &Path) -> io::Result<DatabaseState> {
    let mut file = match std::fs::File::open(database) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(DatabaseState::Missing),
        Err(e) => return Err(e),
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(match read {
        // SQLite itself takes an empty file for a new database.
        0 => DatabaseState::Missing,
        _ if &header == PLAIN_HEADER => DatabaseState::Plain,
        _ => DatabaseState::Encrypted,
    })
}

impl KeyChoice {
    /// Did the operator name a key, rather than rely on the default key file?
    fn names_a_key(&self) -> bool {
        self.given.is_some() || self.file.is_some()
    }

    /// The key file this choice means (the operator's, or the default one).
    pub fn key_file(&self, data: &Path) -> PathBuf {
        self.file
            .clone()
            .unwrap_or_else(|| data.join(DEFAULT_KEY_FILE))
    }

    /// The key the database in `data` needs, or None for a plain database. A new database is
    /// encrypted unless `--no-encryption` says otherwise; its key file is generated when it
    /// does not exist yet.
    pub fn unlock(&self, data: &Path) -> Result<Option<(Key, KeySource)>, String> {
        let database = data.join(DATABASE_FILE);
        let state = state_of(&database).map_err(|e| format!("{}: {e}", database.display()))?;
        match state {
            DatabaseState::Plain if data.join(ENCRYPTING).exists() => Err(format!(
                "`bavard encrypt` was interrupted in {}: run it again to finish",
                data.display()
            )),
            DatabaseState::Plain if self.names_a_key() => Err(format!(
                "{} is not encrypted, but a key was given: stop the server and run \
                 `bavard encrypt` to encrypt it with that key",
                database.display()
            )),
            DatabaseState::Plain => Ok(None),
            DatabaseState::Missing if self.no_encryption => Ok(None),
            DatabaseState::Encrypted if self.no_encryption => Err(format!(
                "{} is encrypted: --no-encryption cannot open it",
                database.display()
            )),
            DatabaseState::Missing => self.find(data, true).map(Some),
            DatabaseState::Encrypted => self.find(data, false).map(Some),
        }
    }

    /// The key this choice names, generating the key file if `generate` allows and it does
    /// not exist.
    pub fn find(&self, data: &Path, generate: bool) -> Result<(Key, KeySource), String> {
        if let Some(given) = &self.given {
            return Key::from_hex(given)
                .map(|key| (key, KeySource::Environment))
                .map_err(|e| format!("BAVARD_KEY: {e}"));
        }
        let path = self.key_file(data);
        match read_key_file(&path) {
            Ok(key) => Ok((key, KeySource::File(path))),
            Err(e) if e.kind() == io::ErrorKind::NotFound && generate => {
                let key = Key::generate().map_err(|e| format!("no randomness: {e}"))?;
                write_key_file(&path, &key).map_err(|e| format!("{}: {e}", path.display()))?;
                tracing::warn!(
                    "generated the instance key in {}: keep a copy of it apart from the \
                     backups, which cannot be restored without it",
                    path.display()
                );
                Ok((key, KeySource::File(path)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(format!(
                "the database is encrypted and its key file {} does not exist: give the key \
                 with --key-file or BAVARD_KEY",
                path.display()
            )),
            Err(e) => Err(format!("key file {}: {e}", path.display())),
        }
    }
}

pub fn read_key_file(path: &Path) -> io::Result<Key> {
    let text = std::fs::read_to_string(path)?;
    Key::from_hex(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Writes a new key file, readable by this account only; never replaces one.
pub fn write_key_file(path: &Path, key: &Key) -> io::Result<()> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::db::create_private_folder(folder)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(file, "{}", key.hex())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_as_written_and_nothing_else_passes_for_one() {
        let key = Key::generate().unwrap();
        assert_eq!(Key::from_hex(&format!(" {}\n", key.hex())).unwrap(), key);
        assert!(Key::from_hex("abc").is_err());
        assert!(Key::from_hex(&"g".repeat(64)).is_err());
        assert!(Key::from_hex(&"é".repeat(32)).is_err());
        assert_eq!(format!("{key:?}"), "Key(…)", "a key never reaches a log");
    }

    #[test]
    fn a_new_database_gets_a_generated_key_and_an_existing_one_never_does() {
        let data = tempfile::tempdir().unwrap();
        let choice = KeyChoice::default();
        let (key, source) = choice.unlock(data.path()).unwrap().expect("encrypted");
        let file = data.path().join(DEFAULT_KEY_FILE);
        assert_eq!(source, KeySource::File(file.clone()));
        assert_eq!(read_key_file(&file).unwrap(), key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::write(data.path().join(DATABASE_FILE), b"\x8a random salt....").unwrap();
        std::fs::remove_file(&file).unwrap();
        let refused = choice.unlock(data.path()).unwrap_err();
        assert!(refused.contains("does not exist"), "{refused}");
        assert!(!file.exists(), "no key is made up for an existing database");
    }

    #[test]
    fn a_plain_database_stays_plain_unless_a_key_is_named() {
        let data = tempfile::tempdir().unwrap();
        std::fs::write(data.path().join(DATABASE_FILE), PLAIN_HEADER).unwrap();
        assert_eq!(KeyChoice::default().unlock(data.path()).unwrap(), None);
        let named = KeyChoice {
            given: Some(Key::generate().unwrap().hex()),
            ..KeyChoice::default()
        };
        assert!(
            named
                .unlock(data.path())
                .unwrap_err()
                .contains("bavard encrypt")
        );
        let plain = KeyChoice {
            no_encryption: true,
            ..KeyChoice::default()
        };
        let fresh = tempfile::tempdir().unwrap();
        assert_eq!(plain.unlock(fresh.path()).unwrap(), None);
        assert!(!fresh.path().join(DEFAULT_KEY_FILE).exists());
    }
}
