//! The operator's commands on a data folder: `backup`, `restore`, `check`, `encrypt` and
//! `rekey`. They glue the database (`db`, `model`), the key (`keys`) and the stored files
//! (`media`); nothing here speaks HTTP.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::db::{self, DATABASE_FILE};
use crate::keys::{self, DatabaseState, Key, KeyChoice, KeySource};
use crate::media::sealed::FileKey;
use crate::media::{self, AVATAR_SIZES, Opened, Storage};
use crate::model::{attachment, secret, user};

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// What a backup holds.
pub struct Backed {
    /// Where the key that opens the backup is (None: the backup is not encrypted).
    pub key: Option<KeySource>,
    pub database_bytes: u64,
    pub files: usize,
    pub pictures: usize,
    /// Files the database names that were gone when they were copied (deleted meanwhile).
    pub missing: usize,
}

/// Writes a tar archive at `file`: a consistent copy of the database (`VACUUM INTO`, taken
/// while the server may be writing), then every file and profile picture that copy names.
/// A file sent after the copy began is not in it, nor named by it; one deleted meanwhile is
/// counted as missing. The archive appears under its name only once complete.
pub fn backup(data: &Path, keys: &KeyChoice, file: &Path) -> Result<Backed, String> {
    if !data.join(DATABASE_FILE).exists() {
        return Err(format!("no database in {}", data.display()));
    }
    let (key, source) = keys.unlock(data)?.unzip();
    let partial = sibling(file, ".partial");
    let snapshot = sibling(file, ".partial-db");
    let _ = std::fs::remove_file(&snapshot);
    // Copied from a keyed connection, the copy is encrypted with the same key.
    let live = db::open_read_only(data, key.as_ref()).map_err(text)?;
    db::copy_to(&live, &snapshot).map_err(text)?;
    drop(live);
    let written = write_archive(data, key.as_ref(), &snapshot, &partial);
    let _ = std::fs::remove_file(&snapshot);
    match written {
        Ok(backed) => {
            std::fs::rename(&partial, file).map_err(text)?;
            Ok(Backed {
                key: source,
                ..backed
            })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn sibling(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn write_archive(
    data: &Path,
    key: Option<&Key>,
    snapshot: &Path,
    archive: &Path,
) -> Result<Backed, String> {
    let copy = db::open_file(snapshot, key).map_err(text)?;
    let files = attachment::stored_names(&copy).map_err(text)?;
    let pictures = user::avatar_keys(&copy).map_err(text)?;
    drop(copy);
    let mut tar = tar::Builder::new(File::create(archive).map_err(text)?);
    tar.append_path_with_name(snapshot, DATABASE_FILE)
        .map_err(text)?;
    let storage = Storage::at(data);
    let mut missing = 0;
    let mut add = |path: PathBuf, name: String| -> Result<(), String> {
        match File::open(&path) {
            Ok(mut opened) => tar.append_file(name, &mut opened).map_err(text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                missing += 1;
                Ok(())
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    };
    for (stored, has_thumbnail) in &files {
        add(storage.file(stored), format!("files/{stored}"))?;
        if *has_thumbnail {
            let thumbnail = storage.thumbnail(stored);
            let name = format!("files/{}", file_name(&thumbnail));
            add(thumbnail, name)?;
        }
    }
    for key in &pictures {
        for size in AVATAR_SIZES {
            if let Some(path) = storage.avatar(key, size) {
                let name = format!("avatars/{}", file_name(&path));
                add(path, name)?;
            }
        }
    }
    tar.into_inner()
        .and_then(|file| file.sync_all())
        .map_err(text)?;
    Ok(Backed {
        key: None,
        database_bytes: std::fs::metadata(snapshot).map(|m| m.len()).unwrap_or(0),
        files: files.len(),
        pictures: pictures.len(),
        missing,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Restores a backup into `data`, which must hold no database: a restore never replaces an
/// instance. The database is put in place last, so an interrupted restore is never taken for
/// a complete one; then it is opened, brought up to date and checked. Answers how many
/// entries were restored.
pub fn restore(data: &Path, keys: &KeyChoice, file: &Path) -> Result<usize, String> {
    for name in [DATABASE_FILE, "bavard.sqlite3-wal"] {
        if data.join(name).exists() {
            return Err(format!(
                "{} already holds a database: restore into an empty data folder",
                data.display()
            ));
        }
    }
    create_private_dir(data)?;
    let mut archive = tar::Archive::new(File::open(file).map_err(text)?);
    let partial = data.join(format!("{DATABASE_FILE}.restoring"));
    let mut restored = 0;
    let mut has_database = false;
    for entry in archive.entries().map_err(text)? {
        let mut entry = entry.map_err(text)?;
        let name = entry.path().map_err(text)?.to_string_lossy().into_owned();
        if !media::restorable(&name) || !entry.header().entry_type().is_file() {
            return Err(format!(
                "the backup holds {name:?}, which is no part of a data folder"
            ));
        }
        let target = if name == DATABASE_FILE {
            has_database = true;
            partial.clone()
        } else {
            let target = data.join(&name);
            if let Some(folder) = target.parent() {
                create_private_dir(folder)?;
            }
            target
        };
        let mut out = File::create(&target).map_err(text)?;
        io::copy(&mut entry, &mut out).map_err(text)?;
        out.sync_all().map_err(text)?;
        restored += 1;
    }
    if !has_database {
        return Err("the backup holds no database".to_owned());
    }
    let key = match keys::state_of(&partial).map_err(text)? {
        DatabaseState::Encrypted => {
            let (key, _) = keys.find(data, false).map_err(|_| {
                format!(
                    "the backup is encrypted: put its key file at {}, or give the key with \
                     --key-file or BAVARD_KEY",
                    keys.key_file(data).display()
                )
            })?;
            db::unlock_check(&partial, Some(&key)).map_err(text)?;
            Some(key)
        }
        DatabaseState::Plain | DatabaseState::Missing => None,
    };
    std::fs::rename(&partial, data.join(DATABASE_FILE)).map_err(text)?;
    let pool = db::open(data, key.as_ref()).map_err(text)?;
    let conn = pool.get().map_err(text)?;
    let problems = db::integrity_problems(&conn).map_err(text)?;
    if !problems.is_empty() {
        return Err(format!(
            "the restored database is damaged: {}",
            problems.join("; ")
        ));
    }
    Ok(restored)
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(())
}

/// One line of `bavard check`.
pub struct Finding {
    pub problem: bool,
    pub text: String,
}

fn fine(text: impl Into<String>) -> Finding {
    Finding {
        problem: false,
        text: text.into(),
    }
}

fn problem(text: impl Into<String>) -> Finding {
    Finding {
        problem: true,
        text: text.into(),
    }
}

/// Free space below which `check` calls it a problem: a day of uploads on a small instance.
const FREE_DISK_MIN: u64 = 200 << 20;

/// Looks at the data folder without changing anything: its permissions, the key, the database
/// (opens, integrity, schema), the stored files the database names, and free disk.
pub fn check(data: &Path, keys: &KeyChoice) -> Vec<Finding> {
    let mut findings = Vec::new();
    match std::fs::metadata(data) {
        Ok(meta) if meta.is_dir() => {
            findings.push(permissions(data, &meta));
        }
        Ok(_) => return vec![problem(format!("{} is not a folder", data.display()))],
        Err(e) => return vec![problem(format!("data folder {}: {e}", data.display()))],
    }
    if !data.join(DATABASE_FILE).exists() {
        findings.push(problem(format!(
            "no database in {} (a first `bavard serve` creates it)",
            data.display()
        )));
        return findings;
    }
    let Some(key) = check_key(data, keys, &mut findings) else {
        return findings;
    };
    let conn = match db::open_read_only(data, key.as_ref()) {
        Ok(conn) => conn,
        Err(e) => {
            findings.push(problem(format!("the database does not open: {e}")));
            return findings;
        }
    };
    match db::integrity_problems(&conn) {
        Ok(problems) if problems.is_empty() => findings.push(fine("database integrity: ok")),
        Ok(problems) => findings.push(problem(format!(
            "database integrity: {}",
            problems.join("; ")
        ))),
        Err(e) => {
            findings.push(problem(format!("database integrity: {e}")));
            return findings;
        }
    }
    match db::schema_versions(&conn) {
        Ok((applied, known)) if applied == known as i64 => {
            findings.push(fine(format!("schema: all {known} migrations applied")));
        }
        Ok((applied, known)) if applied < known as i64 => findings.push(fine(format!(
            "schema: {applied} of {known} migrations applied; the next `bavard serve` applies the rest"
        ))),
        Ok((applied, known)) => findings.push(problem(format!(
            "schema: version {applied}, newer than this bavard knows ({known}): run a newer one"
        ))),
        Err(e) => findings.push(problem(format!("schema: {e}"))),
    }
    findings.extend(stored_files(data, key.is_some(), &conn));
    let storage = Storage::at(data);
    match storage.free_space() {
        Some(free) if free < FREE_DISK_MIN => findings.push(problem(format!(
            "free disk: {} MB, under {} MB",
            free >> 20,
            FREE_DISK_MIN >> 20
        ))),
        Some(free) => findings.push(fine(format!("free disk: {} MB", free >> 20))),
        None => findings.push(fine("free disk: unknown on this system")),
    }
    findings
}

/// The key's findings, and the key to open the database with: None when the database cannot
/// be opened (what is wrong is among the findings), Some(None) when it is not encrypted.
fn check_key(data: &Path, keys: &KeyChoice, findings: &mut Vec<Finding>) -> Option<Option<Key>> {
    let database = data.join(DATABASE_FILE);
    let rekeying = data.join(format!("{}.new", keys::DEFAULT_KEY_FILE));
    if rekeying.exists() {
        findings.push(problem(format!(
            "{} is left by an interrupted `bavard rekey`: if the key file does not open the \
             database, this one does (move it over {})",
            rekeying.display(),
            keys::DEFAULT_KEY_FILE
        )));
    }
    match keys::state_of(&database) {
        Err(e) => {
            findings.push(problem(format!("{}: {e}", database.display())));
            None
        }
        Ok(DatabaseState::Missing | DatabaseState::Plain) => {
            findings.push(if keys.no_encryption {
                fine("encryption: off, as --no-encryption asks")
            } else {
                problem(
                    "encryption: the database and files are not encrypted: stop the server \
                     and run `bavard encrypt`",
                )
            });
            Some(None)
        }
        Ok(DatabaseState::Encrypted) => {
            let (key, source) = match keys.find(data, false) {
                Ok(found) => found,
                Err(e) => {
                    findings.push(problem(format!("encryption: {e}")));
                    return None;
                }
            };
            if let Err(e) = db::unlock_check(&database, Some(&key)) {
                findings.push(problem(format!("encryption: {e} (key from {source})")));
                return None;
            }
            findings.push(fine(format!(
                "encryption: on; the key from {source} opens the database"
            )));
            if let KeySource::File(path) = &source {
                findings.push(key_file_permissions(data, path));
            }
            Some(Some(key))
        }
    }
}

fn key_file_permissions(data: &Path, path: &Path) -> Finding {
    let within = path.starts_with(data);
    let place = if within {
        " (inside the data folder: a copy of the whole folder holds the key; see the guide)"
    } else {
        ""
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => problem(format!(
                "key file {} is readable by other accounts (mode {:o}): `chmod 600` it",
                path.display(),
                meta.permissions().mode() & 0o777
            )),
            Ok(_) => fine(format!("key file {}: mode 600{place}", path.display())),
            Err(e) => problem(format!("key file {}: {e}", path.display())),
        }
    }
    #[cfg(not(unix))]
    {
        fine(format!("key file {}{place}", path.display()))
    }
}

fn permissions(data: &Path, meta: &std::fs::Metadata) -> Finding {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return problem(format!(
                "data folder {} is open to other accounts (mode {mode:o}): `chmod 700` it",
                data.display()
            ));
        }
        fine(format!("data folder {}: mode {mode:o}", data.display()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        fine(format!("data folder {}", data.display()))
    }
}

fn stored_files(data: &Path, encrypted: bool, conn: &db::Conn) -> Vec<Finding> {
    let (files, pictures) = match (attachment::stored_names(conn), user::avatar_keys(conn)) {
        (Ok(files), Ok(pictures)) => (files, pictures),
        (Err(e), _) | (_, Err(e)) => return vec![problem(format!("stored files: {e}"))],
    };
    let storage = if encrypted {
        match files_key(conn) {
            Ok(key) => Storage::at(data).sealed_with(key),
            Err(e) => return vec![problem(format!("stored files: {e}"))],
        }
    } else {
        Storage::at(data)
    };
    let missing_files = files
        .iter()
        .filter(|(stored, thumb)| {
            !storage.file(stored).exists() || (*thumb && !storage.thumbnail(stored).exists())
        })
        .count();
    let missing_pictures = pictures
        .iter()
        .filter(|key| {
            AVATAR_SIZES
                .iter()
                .any(|size| storage.avatar(key, *size).is_none_or(|p| !p.exists()))
        })
        .count();
    let mut findings = Vec::new();
    if storage.is_sealed() || encrypted {
        let unopened = stored_paths(&storage, &files, &pictures)
            .iter()
            .filter(|path| path.exists() && !opens(&storage, path))
            .count();
        findings.push(if unopened == 0 {
            fine("stored files: every one opens with the key")
        } else {
            problem(format!(
                "stored files: {unopened} do not open with the key (damaged, or not sealed)"
            ))
        });
    }
    if missing_files == 0 {
        findings.push(fine(format!("files: all {} present", files.len())));
    } else {
        findings.push(problem(format!(
            "files: {missing_files} of {} missing from {}",
            files.len(),
            data.join("files").display()
        )));
    }
    if missing_pictures == 0 {
        findings.push(fine(format!(
            "profile pictures: all {} present",
            pictures.len()
        )));
    } else {
        findings.push(problem(format!(
            "profile pictures: {missing_pictures} of {} missing",
            pictures.len()
        )));
    }
    findings
}

/// Every path the database names: each file, its thumbnail, each profile picture's sizes.
fn stored_paths(storage: &Storage, files: &[(String, bool)], pictures: &[String]) -> Vec<PathBuf> {
    let files = files.iter().flat_map(|(stored, thumb)| {
        let thumb = thumb.then(|| storage.thumbnail(stored));
        std::iter::once(storage.file(stored)).chain(thumb)
    });
    let pictures = pictures.iter().flat_map(|key| {
        AVATAR_SIZES
            .iter()
            .filter_map(|size| storage.avatar(key, *size))
    });
    files.chain(pictures).collect()
}

/// Does a stored file open, its first chunk authenticated?
fn opens(storage: &Storage, path: &Path) -> bool {
    match storage.open_stored(path) {
        Ok(Opened::Plain(_)) => true,
        Ok(Opened::Sealed(mut file)) => io::Read::read(&mut file, &mut [0u8; 1]).is_ok(),
        Err(_) => false,
    }
}

/// The key the files of an encrypted database are sealed with.
fn files_key(conn: &db::Conn) -> Result<Option<FileKey>, String> {
    match secret::get(conn, secret::FILES_KEY).map_err(text)? {
        None => Ok(None),
        Some(bytes) => FileKey::from_bytes(&bytes)
            .map(Some)
            .ok_or_else(|| "the stored files' key is damaged".to_owned()),
    }
}

/// What `encrypt` did.
pub struct Encrypted {
    pub key: KeySource,
    pub sealed: usize,
    pub missing: usize,
}

/// Encrypts a plain database, and seals its files, in place. The server must be stopped. An
/// encrypted copy is made beside the database first; the files are then sealed one by one
/// (each replaced whole); the copy replaces the database last. Interrupted, it is run again:
/// the copy, its files key and the files sealed already are kept.
pub fn encrypt(data: &Path, keys: &KeyChoice) -> Result<Encrypted, String> {
    if keys.no_encryption {
        return Err("--no-encryption and `encrypt` contradict each other".to_owned());
    }
    let database = data.join(DATABASE_FILE);
    match keys::state_of(&database).map_err(text)? {
        DatabaseState::Missing => {
            return Err(format!(
                "no database in {}: a new one is encrypted from its start",
                data.display()
            ));
        }
        DatabaseState::Encrypted => {
            return Err(format!(
                "{} is encrypted already (`bavard rekey` changes its key)",
                database.display()
            ));
        }
        DatabaseState::Plain => {}
    }
    let plain = db::open_file(&database, None).map_err(text)?;
    if !db::take_alone(&plain).map_err(text)? {
        return Err("the database is in use: stop the server first".to_owned());
    }
    let (key, source) = keys.find(data, true)?;
    let copy = data.join(keys::ENCRYPTING);
    if !copy.exists() {
        let partial = data.join(format!("{}.partial", keys::ENCRYPTING));
        let _ = std::fs::remove_file(&partial);
        db::export_encrypted(&plain, &partial, &key).map_err(text)?;
        let sealed = db::connect(&partial, Some(&key)).map_err(text)?;
        secret::get_or_create(&sealed, secret::FILES_KEY, secret::FILES_KEY_LEN).map_err(text)?;
        drop(sealed);
        std::fs::rename(&partial, &copy).map_err(text)?;
    }
    db::unlock_check(&copy, Some(&key)).map_err(|_| {
        format!(
            "{} was left by an interrupted `bavard encrypt` with another key: give that key, \
             or remove the file to start again",
            copy.display()
        )
    })?;
    let files_key = {
        let sealed = db::connect(&copy, Some(&key)).map_err(text)?;
        files_key(&sealed)?.ok_or("the encrypted copy has no files key")?
    };
    let storage = Storage::at(data).sealed_with(Some(files_key));
    let files = attachment::stored_names(&plain).map_err(text)?;
    let pictures = user::avatar_keys(&plain).map_err(text)?;
    drop(plain);
    let (mut sealed, mut missing) = (0, 0);
    for path in stored_paths(&storage, &files, &pictures) {
        match storage.seal_in_place(&path) {
            Ok(true) => sealed += 1,
            Ok(false) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => missing += 1,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    for leftover in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(data.join(format!("{DATABASE_FILE}{leftover}")));
    }
    std::fs::rename(&copy, &database).map_err(text)?;
    Ok(Encrypted {
        key: source,
        sealed,
        missing,
    })
}

/// Where `rekey` put the new key.
pub enum NewKey {
    /// In this file, read or generated.
    File(PathBuf),
    /// Given in `BAVARD_NEW_KEY`: the server must now be started with it.
    Environment,
}

/// Changes the instance key of an encrypted database (server stopped). The files keep their
/// own key, kept inside the database, so none is rewritten. With neither `new_key_file` nor
/// `new_key`, a default key file is replaced: the new key is written beside it first, so an
/// interrupted rekey leaves both (`check` says so).
pub fn rekey(
    data: &Path,
    keys: &KeyChoice,
    new_key_file: Option<&Path>,
    new_key: Option<&str>,
) -> Result<NewKey, String> {
    let database = data.join(DATABASE_FILE);
    match keys::state_of(&database).map_err(text)? {
        DatabaseState::Missing => return Err(format!("no database in {}", data.display())),
        DatabaseState::Plain => {
            return Err(format!(
                "{} is not encrypted: `bavard encrypt` encrypts it",
                database.display()
            ));
        }
        DatabaseState::Encrypted => {}
    }
    let (old, source) = keys.find(data, false)?;
    db::unlock_check(&database, Some(&old)).map_err(text)?;
    let default_file = data.join(keys::DEFAULT_KEY_FILE);
    let replacing = data.join(format!("{}.new", keys::DEFAULT_KEY_FILE));
    let (new, placed) = match (new_key, new_key_file) {
        (Some(given), _) => (
            Key::from_hex(given).map_err(|e| format!("BAVARD_NEW_KEY: {e}"))?,
            NewKey::Environment,
        ),
        (None, Some(path)) => (key_in(path)?, NewKey::File(path.to_owned())),
        (None, None) if source == KeySource::File(default_file.clone()) => {
            let _ = std::fs::remove_file(&replacing);
            (key_in(&replacing)?, NewKey::File(default_file.clone()))
        }
        (None, None) => {
            return Err(
                "say where the new key is: NEW_KEY_FILE (generated if it does not exist) or \
                 BAVARD_NEW_KEY"
                    .to_owned(),
            );
        }
    };
    if new == old {
        return Err("the new key is the current one".to_owned());
    }
    let conn = db::open_file(&database, Some(&old)).map_err(text)?;
    if !db::take_alone(&conn).map_err(text)? {
        return Err("the database is in use: stop the server first".to_owned());
    }
    db::rekey(&conn, &new).map_err(text)?;
    drop(conn);
    db::unlock_check(&database, Some(&new)).map_err(text)?;
    if replacing.exists() {
        std::fs::rename(&replacing, &default_file).map_err(text)?;
    }
    Ok(placed)
}

/// The key in `path`, generated there if the file does not exist.
fn key_in(path: &Path) -> Result<Key, String> {
    match keys::read_key_file(path) {
        Ok(key) => Ok(key),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let key = Key::generate().map_err(text)?;
            keys::write_key_file(path, &key).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
