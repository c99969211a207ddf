//! The operator's commands on a data folder: `backup`, `restore` and `check`. They glue the
//! database (`db`, `model`) and the stored files (`media`); nothing here speaks HTTP.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::db::{self, DATABASE_FILE};
use crate::media::{self, AVATAR_SIZES, Storage};
use crate::model::{attachment, user};

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// What a backup holds.
pub struct Backed {
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
pub fn backup(data: &Path, file: &Path) -> Result<Backed, String> {
    if !data.join(DATABASE_FILE).exists() {
        return Err(format!("no database in {}", data.display()));
    }
    let partial = sibling(file, ".partial");
    let snapshot = sibling(file, ".partial-db");
    let _ = std::fs::remove_file(&snapshot);
    let live = db::open_read_only(data).map_err(text)?;
    db::copy_to(&live, &snapshot).map_err(text)?;
    drop(live);
    let written = write_archive(data, &snapshot, &partial);
    let _ = std::fs::remove_file(&snapshot);
    match written {
        Ok(backed) => {
            std::fs::rename(&partial, file).map_err(text)?;
            Ok(backed)
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

fn write_archive(data: &Path, snapshot: &Path, archive: &Path) -> Result<Backed, String> {
    let copy = rusqlite::Connection::open(snapshot).map_err(text)?;
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
pub fn restore(data: &Path, file: &Path) -> Result<usize, String> {
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
    std::fs::rename(&partial, data.join(DATABASE_FILE)).map_err(text)?;
    let pool = db::open(data).map_err(text)?;
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

/// Looks at the data folder without changing anything: its permissions, the database (opens,
/// integrity, schema), the stored files the database names, and free disk.
pub fn check(data: &Path) -> Vec<Finding> {
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
    let conn = match db::open_read_only(data) {
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
    findings.extend(stored_files(data, &conn));
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

fn stored_files(data: &Path, conn: &rusqlite::Connection) -> Vec<Finding> {
    let storage = Storage::at(data);
    let (files, pictures) = match (attachment::stored_names(conn), user::avatar_keys(conn)) {
        (Ok(files), Ok(pictures)) => (files, pictures),
        (Err(e), _) | (_, Err(e)) => return vec![problem(format!("stored files: {e}"))],
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
