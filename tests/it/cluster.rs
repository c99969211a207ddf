//! Several nodes on one PostgreSQL (issue 15): what is sent through one node reaches polls
//! parked on another, and what one node revokes the others refuse. Each test gets a database
//! of its own on the throwaway cluster that `tests/run.sh` starts (`tests/postgres.sh`).

use std::time::{Duration, Instant};

use crate::support::{PASSWORD, Server, cursor_in, group, message_ids, run_cli, send};

/// A fresh database's URL on the test cluster; None (said once) without one, and a failure
/// under CI, which always has one.
fn fresh_database() -> Option<String> {
    let Ok(url) = std::env::var("BAVARD_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the cluster tests, but BAVARD_TEST_POSTGRES is not set (tests/run.sh \
             starts a PostgreSQL with tests/postgres.sh)"
        );
        eprintln!("cluster tests skipped: BAVARD_TEST_POSTGRES is not set (tests/run.sh sets it)");
        return None;
    };
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "cluster_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("the test cluster");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a database");
    let (base, _) = url.rsplit_once('/').expect("a URL with a database");
    Some(format!("{base}/{name}"))
}

/// Two nodes on one database, sharing one folder for files (as they would an NFS mount).
fn two_nodes(database: &str, args: &[&str]) -> (Server, Server) {
    let args: Vec<&str> = [&["--database", database], args].concat();
    let first = Server::start_with(&args);
    let second = Server::start_in(&first.data, &args);
    (first, second)
}

#[test]
fn a_message_sent_through_one_node_reaches_a_poll_parked_on_another() {
    let Some(database) = fresh_database() else {
        return;
    };
    let (a, b) = two_nodes(&database, &["--poll-hold", "60"]);
    let alice = a.signed_up("alice", "Alice");
    let bob = b.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let cursor = cursor_in(&bob.get(&format!("/c/{id}")).body);
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| {
            let started = Instant::now();
            let answer = bob.get(&format!("/c/{id}/poll?after={cursor}"));
            (answer, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        let sent = send(&alice, id, "from node A");
        let (answer, waited) = waiting.join().unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(message_ids(&answer.body), vec![sent], "{}", answer.body);
        assert!(
            waited < Duration::from_secs(30),
            "woken by the notification, not at the end of the 60 s hold: {waited:?}"
        );
    });
    // And the other way round, on the page itself.
    let reply = send(&bob, id, "from node B");
    assert!(
        message_ids(&alice.get(&format!("/c/{id}")).body).contains(&reply),
        "node A shows what node B wrote"
    );
}

#[test]
fn a_session_signed_out_on_one_node_is_refused_on_the_other() {
    let Some(database) = fresh_database() else {
        return;
    };
    let (a, b) = two_nodes(&database, &[]);
    let alice = a.signed_up("alice", "Alice");
    let elsewhere = b.client();
    elsewhere.set_session_cookie(alice.session_cookie());
    assert_eq!(elsewhere.get("/").status, 200, "any node takes the session");
    assert_eq!(alice.post_form("/logout", &[]).status, 303);
    let signed_out = Instant::now();
    // Node B keeps sessions it has read in memory; the notes of changed sessions reach it.
    while elsewhere.get("/").status == 200 {
        assert!(
            signed_out.elapsed() < Duration::from_secs(10),
            "node B still takes the session signed out on node A"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn operators_manage_accounts_on_postgresql_and_are_told_where_file_commands_stop() {
    let Some(database) = fresh_database() else {
        return;
    };
    let (a, b) = two_nodes(&database, &[]);
    let (made, said) = run_cli(
        &["--database", &database, "user", "add", "boss", "--admin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(made, "{said}");
    let boss = b.client();
    assert_eq!(
        boss.login("boss", PASSWORD).status,
        303,
        "any node knows the account"
    );
    assert!(boss.get("/admin").status == 200, "and that it administers");
    let (made, said) = run_cli(
        &["--database", &database, "user", "add", "ann"],
        &format!("{PASSWORD}\n"),
    );
    assert!(made, "{said}");
    let ann = b.client();
    assert_eq!(ann.login("ann", PASSWORD).status, 303);
    let (disabled, said) = run_cli(&["--database", &database, "user", "disable", "ann"], "");
    assert!(disabled, "{said}");
    let refused_since = Instant::now();
    while ann.get("/").status == 200 {
        assert!(
            refused_since.elapsed() < Duration::from_secs(10),
            "a disabled account stays signed in on node B"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_ne!(
        a.client().login("ann", PASSWORD).status,
        303,
        "nor signs in again"
    );
    let (backed, said) = run_cli(&["--database", &database, "backup", "x.tar"], "");
    assert!(!backed && said.contains("pg_dump"), "{said}");
}
