//! Messages encrypted at rest, against the real binary: what a copied database, its WAL, the
//! stored files and a backup give away (nothing), the one-off encryption of a plain instance,
//! changing the key, and what a missing or wrong key does.

use std::path::Path;
use std::process::Command;

use crate::support::{BIN, PASSWORD, Server, corpus_file, group, number_after, run_cli, send};

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

const SECRET_MESSAGE: &str = "xylophone marmalade at the harbour";
const SECRET_NAME: &str = "Zebrafinch";
const SECRET_TITLE: &str = "Quarterly lighthouse";
const SECRET_FILE_TEXT: &str = "the vault code is paprika";

/// Every file under `dir`, with what it holds.
fn every_file(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            found.extend(every_file(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            found.push((p.display().to_string(), bytes));
        }
    }
    found
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

/// None of the secrets is anywhere in these files (the key file aside, which holds none).
fn reveal_nothing(files: &[(String, Vec<u8>)]) {
    for (name, bytes) in files {
        for secret in [
            SECRET_MESSAGE,
            "xylophone",
            SECRET_NAME,
            SECRET_TITLE,
            SECRET_FILE_TEXT,
        ] {
            assert!(!holds(bytes, secret), "{name} reveals {secret:?}");
        }
    }
}

/// Alice, Bob, a group, a message, a text file over several chunks, a picture and a profile
/// picture: answers the group, the text file's id and its bytes.
fn write_secrets(server: &Server) -> (u64, u64, Vec<u8>) {
    let alice = server.signed_up("alice", &format!("Alice {SECRET_NAME}"));
    server.signed_up("bob", "Bob");
    let id = group(&alice, SECRET_TITLE, "bob");
    send(&alice, id, SECRET_MESSAGE);
    let text: Vec<u8> = format!("{SECRET_FILE_TEXT}\n").repeat(8000).into_bytes();
    assert!(text.len() > 3 * 64 * 1024, "over several chunks");
    let png = corpus_file("tiny.png");
    let sent = alice.post_multipart(
        &format!("/c/{id}/messages"),
        &[("body", "files")],
        &[("files", "plan.txt", &text), ("files", "photo.png", &png)],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let avatar = alice.post_multipart("/profile/avatar", &[], &[("avatar", "me.png", &png)]);
    assert_eq!(avatar.status, 303);
    let page = alice.get(&format!("/c/{id}")).body;
    let file = number_after(&page, &format!("/c/{id}/files/"));
    // Found by search, so that the search index holds the words too.
    assert!(alice.get("/search?q=xylophone").body.contains("harbour"));
    (id, file, text)
}

/// Signs in as Alice and checks that the message, the file (whole and by a range across a
/// chunk boundary), the thumbnail and the profile picture are all served as they were sent.
fn everything_reads_back(server: &Server, id: u64, file: u64, text: &[u8]) {
    let alice = server.client();
    assert_eq!(alice.login("alice", PASSWORD).status, 303);
    let page = alice.get(&format!("/c/{id}")).body;
    assert!(page.contains(SECRET_MESSAGE) && page.contains(SECRET_TITLE));
    let found = alice.get("/search?q=marmalade").body;
    assert!(
        found.contains("harbour"),
        "the search index came along: {found}"
    );
    let (res, bytes) = alice.get_file(&format!("/c/{id}/files/{file}"), &[]);
    assert_eq!(res.status, 200);
    assert_eq!(bytes, text, "the file comes back whole");
    let (res, bytes) = alice.get_file(
        &format!("/c/{id}/files/{file}"),
        &[("Range", "bytes=65530-65549")],
    );
    assert_eq!(res.status, 206);
    assert_eq!(
        res.header("content-range"),
        Some(format!("bytes 65530-65549/{}", text.len()).as_str())
    );
    assert_eq!(bytes, &text[65530..65550], "a range across two chunks");
    let etag = res.header("etag").expect("a validator").to_owned();
    let (res, _) = alice.get_file(
        &format!("/c/{id}/files/{file}"),
        &[("If-None-Match", &etag)],
    );
    assert_eq!(res.status, 304);
    let (res, thumb) = alice.get_file(&format!("/c/{id}/files/{}/thumb", file + 1), &[]);
    assert_eq!(res.status, 200);
    assert!(thumb.starts_with(&[0xff, 0xd8]), "a JPEG thumbnail");
    let profile = alice.get("/profile").body;
    let key_at = profile.find("/avatars/").expect("a picture") + "/avatars/".len();
    let key: String = profile[key_at..].chars().take(32).collect();
    let (res, picture) = alice.get_file(&format!("/avatars/{key}/64"), &[]);
    assert_eq!(res.status, 200);
    assert!(picture.starts_with(&[0xff, 0xd8]));
}

#[test]
fn a_copied_database_its_files_and_a_backup_reveal_no_message_name_or_file() {
    let server = Server::start();
    let (id, file, text) = write_secrets(&server);
    everything_reads_back(&server, id, file, &text);
    // The database, its WAL, every stored file, while the server runs.
    let files = every_file(&server.data);
    assert!(files.iter().any(|(n, _)| n.ends_with("bavard.sqlite3-wal")));
    assert_eq!(
        files.iter().filter(|(n, _)| n.contains("/files/")).count(),
        3,
        "two files and a thumbnail"
    );
    reveal_nothing(&files);

    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("backup.tar");
    let (ok, out) = run_cli(
        &["backup", path(&archive), "--data", path(&server.data)],
        "",
    );
    assert!(ok, "{out}");
    assert!(out.contains("needs the instance key"), "{out}");
    let backup = std::fs::read(&archive).unwrap();
    assert!(
        !holds(&backup, "bavard.key"),
        "the key is never in a backup"
    );
    reveal_nothing(&[("backup".to_owned(), backup)]);

    // Restored elsewhere, it needs the key, and with it serves everything.
    let restored = dir.path().join("restored");
    let (ok, out) = run_cli(&["restore", path(&archive), "--data", path(&restored)], "");
    assert!(!ok && out.contains("the backup is encrypted"), "{out}");
    let key_file = server.data.join("bavard.key");
    let (ok, out) = run_cli(
        &[
            "restore",
            path(&archive),
            "--data",
            path(&restored),
            "--key-file",
            path(&key_file),
        ],
        "",
    );
    assert!(ok, "{out}");
    let again = Server::start_in(&restored, &["--key-file", path(&key_file)]);
    everything_reads_back(&again, id, file, &text);

    // A stored file damaged on disk is found by `check`, and never served as if whole.
    let stored = crate::support::stored_files(&restored, "files");
    let damaged = restored.join("files").join(&stored[0]);
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes[40] ^= 0x01;
    std::fs::write(&damaged, bytes).unwrap();
    let (ok, out) = run_cli(
        &[
            "check",
            "--data",
            path(&restored),
            "--key-file",
            path(&key_file),
        ],
        "",
    );
    assert!(!ok && out.contains("1 do not open with the key"), "{out}");
}

/// Runs the command line with `BAVARD_KEY` set.
fn run_with_key(args: &[&str], key: &str) -> (bool, String) {
    let output = Command::new(BIN)
        .args(args)
        .env("BAVARD_KEY", key)
        .output()
        .expect("bavard runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn a_missing_or_wrong_key_is_a_clear_refusal_that_check_reports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, out) = run_cli(
        &["user", "add", "root", "--admin", "--data", path(&data)],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    let (ok, out) = run_cli(&["check", "--data", path(&data)], "");
    assert!(ok && out.contains("ok: encryption: on"), "{out}");
    let key = std::fs::read_to_string(data.join("bavard.key")).unwrap();

    std::fs::rename(data.join("bavard.key"), dir.path().join("elsewhere.key")).unwrap();
    let (ok, out) = run_cli(&["check", "--data", path(&data)], "");
    assert!(!ok, "{out}");
    assert!(
        out.contains("problem: encryption") && out.contains("does not exist"),
        "{out}"
    );
    let (ok, out) = run_cli(
        &["serve", "--data", path(&data), "--bind", "127.0.0.1:0"],
        "",
    );
    assert!(!ok && out.contains("--key-file or BAVARD_KEY"), "{out}");
    assert!(!out.contains("panicked"), "{out}");
    assert!(
        !data.join("bavard.key").exists(),
        "no key is made up for it"
    );

    let wrong = "0".repeat(64);
    let (ok, out) = run_with_key(&["check", "--data", path(&data)], &wrong);
    assert!(!ok && out.contains("does not open"), "{out}");
    let (ok, out) = run_with_key(&["user", "list", "--data", path(&data)], &wrong);
    assert!(!ok && out.contains("the key given does not open"), "{out}");
    assert!(
        !out.contains("ERROR CORE") && !out.contains("panicked"),
        "{out}"
    );
    let (ok, out) = run_with_key(&["user", "list", "--data", path(&data)], "not a key");
    assert!(!ok && out.contains("64 hexadecimal digits"), "{out}");

    let (ok, out) = run_with_key(&["user", "list", "--data", path(&data)], key.trim());
    assert!(
        ok && out.contains("root"),
        "the right key in the environment: {out}"
    );
    let (ok, out) = run_cli(
        &[
            "user",
            "list",
            "--data",
            path(&data),
            "--key-file",
            path(&dir.path().join("elsewhere.key")),
        ],
        "",
    );
    assert!(ok && out.contains("root"), "the key file moved away: {out}");
}

#[test]
fn a_plain_instance_is_encrypted_once_stopped_and_its_key_can_change() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut plain = Server::start_in(&data, &["--no-encryption"]);
    let (id, file, text) = write_secrets(&plain);
    assert!(
        every_file(&data)
            .iter()
            .any(|(_, bytes)| holds(bytes, SECRET_FILE_TEXT)),
        "--no-encryption keeps files plain"
    );
    let (ok, out) = run_cli(&["encrypt", "--data", path(&data)], "");
    assert!(!ok && out.contains("stop the server first"), "{out}");
    plain.terminate();
    let (ok, out) = run_cli(&["check", "--data", path(&data)], "");
    assert!(!ok && out.contains("not encrypted"), "{out}");

    let (ok, out) = run_cli(&["encrypt", "--data", path(&data)], "");
    assert!(ok, "{out}");
    assert!(
        out.contains("encrypted the database and 5 stored files"),
        "{out}"
    );
    reveal_nothing(
        &every_file(&data)
            .into_iter()
            .filter(|(name, _)| !name.ends_with(".key"))
            .collect::<Vec<_>>(),
    );
    let (ok, out) = run_cli(&["check", "--data", path(&data)], "");
    assert!(ok && out.contains("every one opens with the key"), "{out}");
    let (ok, out) = run_cli(&["encrypt", "--data", path(&data)], "");
    assert!(!ok && out.contains("encrypted already"), "{out}");

    let mut encrypted = Server::start_in(&data, &[]);
    everything_reads_back(&encrypted, id, file, &text);
    let (ok, out) = run_cli(&["rekey", "--data", path(&data)], "");
    assert!(!ok && out.contains("stop the server first"), "{out}");
    encrypted.terminate();

    let old = std::fs::read_to_string(data.join("bavard.key")).unwrap();
    let (ok, out) = run_cli(&["rekey", "--data", path(&data)], "");
    assert!(ok, "{out}");
    let new = std::fs::read_to_string(data.join("bavard.key")).unwrap();
    assert_ne!(old, new, "the default key file holds the new key");
    let (ok, out) = run_with_key(&["check", "--data", path(&data)], old.trim());
    assert!(
        !ok && out.contains("does not open"),
        "the old key opens nothing: {out}"
    );
    let rekeyed = Server::start_in(&data, &[]);
    everything_reads_back(&rekeyed, id, file, &text);
}
