//! The operator's command line against a real data folder and a running server: backups taken
//! while people write, restores, checks, and accounts disabled from the shell.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Server, corpus_file, cursor_in, group, number_after, run_cli, send};

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

#[test]
fn a_backup_taken_while_people_write_restores_every_message_acknowledged_before_it() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Backed up", "bob");
    let png = corpus_file("tiny.png");
    let with_file = alice.post_multipart(
        &format!("/c/{id}/messages"),
        &[("body", "the photo")],
        &[("files", "photo.png", &png)],
    );
    assert_eq!(with_file.status, 303);
    let file = number_after(
        &alice.get(&format!("/c/{id}")).body,
        &format!("/c/{id}/files/"),
    );
    assert_eq!(
        alice
            .post_multipart("/profile/avatar", &[], &[("avatar", "me.png", &png)])
            .status,
        303
    );

    // Bob writes without pause while the backup runs; each acknowledged id is noted with when
    // its answer came.
    let acknowledged = Arc::new(Mutex::new(Vec::<(Instant, u64)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let message = send(&bob, id, &format!("message {i}"));
                acknowledged.lock().unwrap().push((Instant::now(), message));
                i += 1;
            }
        })
    };
    // Waits for the writes themselves, not for a guess at how long they take on a busy machine.
    let waiting = Instant::now();
    while acknowledged.lock().unwrap().len() < 6 {
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "Bob's messages are not acknowledged"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("backup.tar");
    let started = Instant::now();
    let (ok, out) = run_cli(
        &["backup", path(&archive), "--data", path(&server.data)],
        "",
    );
    assert!(ok, "{out}");
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(out.contains("1 files, 1 profile pictures"), "{out}");
    let before: Vec<u64> = acknowledged
        .lock()
        .unwrap()
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, m)| *m)
        .collect();
    assert!(before.len() > 5, "messages were sent before the backup");

    // The backup opens with the instance's key, put where a data folder keeps it.
    let restored = dir.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    let key = std::fs::read_to_string(server.data.join("bavard.key")).unwrap();
    std::fs::write(restored.join("bavard.key"), &key).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(
        restored.join("bavard.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let (ok, out) = run_cli(&["restore", path(&archive), "--data", path(&restored)], "");
    assert!(ok, "{out}");
    let copy = rusqlite::Connection::open(restored.join("bavard.sqlite3")).unwrap();
    copy.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.trim()))
        .unwrap();
    for message in &before {
        let found: bool = copy
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM messages WHERE id = ?1)",
                [*message as i64],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            found,
            "message {message} was acknowledged before the backup began"
        );
    }
    drop(copy);
    let (ok, out) = run_cli(&["check", "--data", path(&restored)], "");
    assert!(ok, "{out}");

    // The restored instance serves the file and the picture to the same people.
    let again = Server::start_in(&restored, &[]);
    let alice = again.client();
    assert_eq!(alice.login("alice", crate::support::PASSWORD).status, 303);
    assert_eq!(alice.get(&format!("/c/{id}/files/{file}")).status, 200);
    let profile = alice.get("/profile").body;
    let key_at = profile.find("/avatars/").expect("the picture came back") + "/avatars/".len();
    let key: String = profile[key_at..].chars().take(32).collect();
    assert_eq!(alice.get(&format!("/avatars/{key}/64")).status, 200);

    let (ok, out) = run_cli(&["restore", path(&archive), "--data", path(&restored)], "");
    assert!(
        !ok && out.contains("already holds a database"),
        "never over an instance: {out}"
    );
}

#[test]
fn check_reports_each_finding_and_fails_on_a_damaged_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, out) = run_cli(
        &["user", "add", "root", "--admin", "--data", path(&data)],
        &format!("{}\n", crate::support::PASSWORD),
    );
    assert!(ok, "{out}");
    let (ok, out) = run_cli(&["check", "--data", path(&data)], "");
    assert!(ok, "a fresh data folder is sound: {out}");
    for line in [
        "ok: database integrity: ok",
        "ok: schema: all",
        "mode 700",
        "ok: free disk",
    ] {
        assert!(out.contains(line), "{line} in {out}");
    }

    std::fs::create_dir_all(data.join("files")).unwrap();
    let file = data.join("bavard.sqlite3");
    let mut bytes = std::fs::read(&file).unwrap();
    let page = 4096;
    assert!(bytes.len() > 3 * page);
    // Scribble over the second page (a b-tree page of the schema's tables).
    for byte in &mut bytes[page + 8..page + 600] {
        *byte = 0x5a;
    }
    std::fs::write(&file, &bytes).unwrap();
    let (ok, out) = run_cli(&["check", "--data", path(&data)], "");
    assert!(!ok, "{out}");
    assert!(out.contains("problem: database"), "{out}");

    let (ok, out) = run_cli(&["check", "--data", path(&dir.path().join("nowhere"))], "");
    assert!(!ok && out.contains("problem: data folder"), "{out}");
}

#[test]
fn a_disabled_account_is_signed_out_within_a_second_and_keeps_its_messages() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    send(&bob, id, "bob was here");
    let page = bob.get(&format!("/c/{id}")).body;
    let cursor = cursor_in(&page);

    let parked = std::thread::spawn(move || {
        let started = Instant::now();
        let res = bob.get_with(
            &format!("/c/{id}/poll?after={cursor}"),
            &[("HX-Request", "true")],
        );
        (res.status, started.elapsed(), bob)
    });
    std::thread::sleep(Duration::from_millis(500));
    let disabled_at = Instant::now();
    let (ok, out) = run_cli(
        &["user", "disable", "bob", "--data", path(&server.data)],
        "",
    );
    assert!(ok && out.contains("bob disabled"), "{out}");
    let (status, _, bob) = parked.join().unwrap();
    let stopped = disabled_at.elapsed();
    assert_eq!(
        status, 401,
        "the parked poll tells the page to go to the login"
    );
    assert!(
        stopped < Duration::from_secs(2),
        "stopped after {stopped:?}"
    );
    assert_eq!(bob.get("/").status, 303, "signed out");
    let login = bob.login("bob", crate::support::PASSWORD);
    assert_eq!(login.status, 403);
    assert!(login.body.contains("disabled"), "{}", login.body);
    assert!(alice.get(&format!("/c/{id}")).body.contains("bob was here"));

    let (ok, out) = run_cli(&["user", "list", "--data", path(&server.data)], "");
    assert!(ok, "{out}");
    assert!(out.contains("alice\tAlice\tadmin\tactive"), "{out}");
    assert!(out.contains("bob\tBob\tmember\tdisabled"), "{out}");
    let (ok, out) = run_cli(&["user", "enable", "bob", "--data", path(&server.data)], "");
    assert!(ok, "{out}");
    assert_eq!(bob.login("bob", crate::support::PASSWORD).status, 303);

    let (ok, out) = run_cli(
        &[
            "user",
            "remove-admin",
            "alice",
            "--data",
            path(&server.data),
        ],
        "",
    );
    assert!(!ok && out.contains("no active administrator"), "{out}");
    let (ok, _) = run_cli(
        &["user", "make-admin", "bob", "--data", path(&server.data)],
        "",
    );
    assert!(ok);
    let (ok, out) = run_cli(
        &[
            "user",
            "remove-admin",
            "alice",
            "--data",
            path(&server.data),
        ],
        "",
    );
    assert!(ok, "with another administrator: {out}");
    let (ok, out) = run_cli(
        &["user", "disable", "nobody", "--data", path(&server.data)],
        "",
    );
    assert!(!ok && out.contains("no user named nobody"), "{out}");
}
