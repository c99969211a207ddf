//! What the hosts Bavard targets need of the server: a unix socket, the host's variables,
//! polls that do not hold a host's scarce request slots, and a clean stop.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{BIN, Server, cursor_in, number_after, run_cli, spawn_logged};

/// Starts `bavard` with `args` and `env`, and returns it with where it said it listens.
fn spawn(args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .envs(env.iter().copied())
        .env_remove("BAVARD_BIND");
    let (child, listening_on, _log) = spawn_logged(command);
    (child, listening_on)
}

fn get_over_unix(socket: &Path, path: &str) -> String {
    let mut stream = UnixStream::connect(socket).expect("the socket answers");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn serves_on_a_unix_socket_only_this_account_can_reach() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("b.sock");
    // A socket file left by a server that died does not stop the next one.
    std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let data = dir.path().join("data");
    let (child, address) = spawn(
        &[
            "serve",
            "--unix-socket",
            socket.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(address, format!("unix:{}", socket.display()));
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let answer = get_over_unix(&socket, "/healthz");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");

    let second = Command::new(BIN)
        .args(["serve", "--unix-socket", socket.to_str().unwrap(), "--data"])
        .arg(&data)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        !second.success(),
        "a second server does not steal a live socket"
    );
    stop(child);
}

#[test]
fn listens_where_the_host_says() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("site.sock");
    let data = dir.path().join("data");
    let (child, address) = spawn(
        &["--data", data.to_str().unwrap()],
        &[("DOMAIN_SOCKET", socket.to_str().unwrap())],
    );
    assert_eq!(
        address,
        format!("unix:{}", socket.display()),
        "PythonAnywhere's variable"
    );
    assert!(get_over_unix(&socket, "/healthz").starts_with("HTTP/1.1 200"));
    stop(child);

    let (child, address) = spawn(
        &["serve", "--data", data.to_str().unwrap()],
        &[("PORT", "0")],
    );
    assert!(address.starts_with("http://0.0.0.0:"), "{address}");
    stop(child);

    let refused = Command::new(BIN)
        .args(["serve", "--data"])
        .arg(&data)
        .env("PORT", "eighty")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("PORT is \"eighty\", which is not a port number"),
        "{said}"
    );
}

#[test]
fn flags_before_the_command_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("elsewhere");
    let (ok, out) = run_cli(
        &["--data", data.to_str().unwrap(), "user", "add", "erin"],
        "a long enough password\n",
    );
    assert!(ok, "{out}");
    assert!(
        data.join("bavard.sqlite3").exists(),
        "written where --data said"
    );
    let (ok, out) = run_cli(
        &["--bind", "127.0.0.1:1", "user", "add", "fay"],
        "whatever password\n",
    );
    assert!(
        !ok && out.contains("--bind is an option of `serve`"),
        "{out}"
    );

    let server = Server::start_in(&data, &[]);
    assert_eq!(
        server
            .client()
            .login("erin", "a long enough password")
            .status,
        303
    );
}

#[test]
fn polls_beyond_the_cap_answer_at_once_and_the_page_slows_down() {
    let server = Server::start_with(&["--poll-hold", "20", "--max-held-polls", "1"]);
    let alice = server.signed_up("alice", "Alice");
    let cursor = cursor_in(&alice.get("/").body);
    let url = format!("/poll?after={cursor}");
    std::thread::scope(|scope| {
        let held = scope.spawn(|| {
            let started = Instant::now();
            let res = alice.get(&url);
            (started.elapsed(), res)
        });
        std::thread::sleep(Duration::from_millis(500));
        let started = Instant::now();
        let capped = alice.get(&url);
        assert!(started.elapsed() < Duration::from_secs(3), "not held");
        assert_eq!(capped.status, 200);
        assert!(capped.body.contains("delay:1500ms"), "{}", capped.body);
        assert_eq!(capped.header("cache-control"), Some("no-store"));
        assert_eq!(capped.header("x-accel-buffering"), Some("no"));

        let asked_not_to_wait = alice.get(&format!("{url}&wait=0"));
        assert!(asked_not_to_wait.body.contains("delay:1500ms"));

        // A message wakes the one held poll.
        let bob = server.signed_up("bob", "Bob");
        let id = number_after(bob.post_form("/dm/alice", &[]).location(), "/c/");
        bob.post_form(&format!("/c/{id}/messages"), &[("body", "hi")]);
        let (waited, res) = held.join().unwrap();
        assert!(waited < Duration::from_secs(15), "woken, not timed out");
        assert!(
            !res.body.contains("delay:1500ms"),
            "held polls carry no delay"
        );
    });
}

#[test]
fn sigterm_answers_parked_polls_and_exits_promptly() {
    let mut server = Server::start_with(&["--poll-hold", "60"]);
    let alice = server.signed_up("alice", "Alice");
    let cursor = cursor_in(&alice.get("/").body);
    let parked = std::thread::spawn(move || {
        let started = Instant::now();
        let res = alice.get(&format!("/poll?after={cursor}"));
        (started.elapsed(), res.status)
    });
    std::thread::sleep(Duration::from_millis(500));
    let stopping = Instant::now();
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "took {:?}",
        stopping.elapsed()
    );
    let (waited, answered) = parked.join().unwrap();
    assert_eq!(answered, 200, "the parked poll got an answer");
    assert!(waited < Duration::from_secs(10));

    let again = Server::start_in(&server.data, &[]);
    assert_eq!(
        again
            .client()
            .login("alice", crate::support::PASSWORD)
            .status,
        303
    );
}

#[test]
fn sigterm_lets_sends_in_flight_finish_and_loses_nothing_acknowledged() {
    let mut server = Server::start();
    server.signed_up("alice", "Alice");
    let bob = server.signed_up("bobby", "Bobby");
    let id = number_after(bob.post_form("/dm/alice", &[]).location(), "/c/");
    let (under_way, first_answers) = std::sync::mpsc::channel();
    let sending = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        // Fewer than a page holds, so that one page shows them all.
        for n in 0..45 {
            let text = format!("sent while stopping {n}");
            match bob.try_post_form(&format!("/c/{id}/messages"), &[("body", &text)]) {
                Some(res) if res.status == 303 => acknowledged.push(text),
                _ => break,
            }
            if acknowledged.len() == 3 {
                let _ = under_way.send(());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        acknowledged
    });
    // The stop waits for the sends to be under way, however slow the machine is.
    first_answers
        .recv_timeout(Duration::from_secs(60))
        .expect("the first sends are answered");
    assert!(server.terminate().success());
    let acknowledged = sending.join().unwrap();
    assert!(
        !acknowledged.is_empty() && acknowledged.len() < 45,
        "the stop came in the middle of the sends ({} answered)",
        acknowledged.len()
    );

    let again = Server::start_in(&server.data, &[]);
    let alice_again = again.client();
    assert_eq!(
        alice_again.login("alice", crate::support::PASSWORD).status,
        303
    );
    let page = alice_again.get(&format!("/c/{id}")).body;
    for text in &acknowledged {
        assert_eq!(
            page.matches(&format!(">{text}<")).count(),
            1,
            "{text} was acknowledged before the stop"
        );
    }
}
