use crate::support::{BIN, PASSWORD, Server, run_cli};

#[test]
fn help_documents_every_command() {
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "user", "--bind", "--data"] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
    let user = std::process::Command::new(BIN)
        .args(["user", "--help"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&user.stdout);
    assert!(
        text.contains("add") && text.contains("set-password"),
        "{text}"
    );
}

#[test]
fn accounts_are_created_and_reset_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, out) = run_cli(
        &["user", "add", "Carol", "--admin", "--data", data],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    assert!(out.contains("created administrator carol"), "{out}");
    let (ok, out) = run_cli(
        &["user", "add", "carol", "--data", data],
        &format!("{PASSWORD}\n"),
    );
    assert!(!ok && out.contains("already taken"), "{out}");
    let (ok, out) = run_cli(&["user", "add", "dave", "--data", data], "short\n");
    assert!(!ok && out.contains("at least 8 characters"), "{out}");

    let server = Server::start_in(dir.path(), &[]);
    let carol = server.client();
    assert_eq!(carol.login("carol", PASSWORD).status, 303);
    let (ok, out) = run_cli(
        &["user", "set-password", "carol", "--data", data],
        "fresh new secret\n",
    );
    assert!(ok, "{out}");
    // The server caches the session it read; a revocation made by another process (this
    // command) reaches it through the watcher, which looks every 200 ms.
    let revoked_by = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while carol.get("/").status == 200 && std::time::Instant::now() < revoked_by {
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert_eq!(carol.get("/").status, 303, "sessions were revoked");
    assert_eq!(
        server.client().login("carol", "fresh new secret").status,
        303
    );
    let (ok, out) = run_cli(
        &["user", "set-password", "nobody", "--data", data],
        "fresh new secret\n",
    );
    assert!(!ok && out.contains("no user named nobody"), "{out}");
}

#[test]
fn the_data_folder_is_created_and_the_default_is_used_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    let (ok, out) = std::process::Command::new(BIN)
        .args(["user", "add", "erin"])
        .env("BAVARD_DATA", &nested)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{PASSWORD}\n").as_bytes())?;
            let out = child.wait_with_output()?;
            Ok((
                out.status.success(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            ))
        })
        .expect("runs");
    assert!(ok, "{out}");
    assert!(nested.join("bavard.sqlite3").exists());
}

/// A command used to crash as it ended, about one run in eight (a pool thread still opening a
/// connection while the process tore the cipher's library down): scripts saw a failure after
/// the work was done. Many short runs in a row make that show.
#[test]
fn commands_on_an_encrypted_instance_end_cleanly_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, out) = run_cli(
        &["user", "add", "root", "--admin", "--data", data],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    for run in 0..60 {
        let (ok, out) = run_cli(&["user", "list", "--data", data], "");
        assert!(ok && out.contains("root"), "run {run}: {out}");
    }
}
