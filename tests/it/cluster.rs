//! Several nodes on one PostgreSQL (issue 15): what is sent through one node reaches polls
//! parked on another, and what one node revokes the others refuse. Each test gets a database
//! of its own on the throwaway cluster that `tests/run.sh` starts (`tests/postgres.sh`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::{
    Client, PASSWORD, Server, cursor_in, group, message_ids, new_database, number_after,
    poll_url_in, run_cli, send,
};

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
    Some(new_database(&url))
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
fn reading_on_one_node_clears_the_unread_badge_of_a_tab_on_another() {
    let Some(database) = fresh_database() else {
        return;
    };
    let (a, b) = two_nodes(&database, &["--poll-hold", "60"]);
    reading_in_one_process_clears_the_badge_in_the_other(&a, &b);
}

/// Bob reads through `a` while a tab of his waits on `b` (another node, or another app process
/// on one SQLite file), both serving with a hold of 60 s.
pub fn reading_in_one_process_clears_the_badge_in_the_other(a: &Server, b: &Server) {
    let alice = a.signed_up("alice", "Alice");
    let bob = a.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    send(&alice, id, "are you there?");
    // Bob's other tab, which the load balancer sent to the other process.
    let other_tab = b.client();
    other_tab.set_session_cookie(bob.session_cookie());
    let home = other_tab.get("/");
    assert!(home.body.contains("1 unread message"), "{}", home.body);
    let poll = poll_url_in(&home.body);
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| {
            let started = Instant::now();
            let answer = other_tab.get(&poll);
            (answer, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(bob.get(&format!("/c/{id}")).status, 200, "read through a");
        let (answer, waited) = waiting.join().unwrap();
        assert_eq!(answer.status, 200);
        assert!(
            answer.body.contains("Team") && !answer.body.contains("unread message"),
            "the tab on b redraws the entry as read: {}",
            answer.body
        );
        assert!(
            waited < Duration::from_secs(30),
            "woken by the note, not at the end of the 60 s hold: {waited:?}"
        );
    });
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
    // Node B keeps sessions it has read in memory; the notes of changed sessions reach it.
    refused_soon(
        &elsewhere,
        "node B still takes the session signed out on node A",
    );
}

/// Waits until `client`'s session is refused, as a change made elsewhere reaches its node:
/// within a second as a rule, 10 s at most so that a busy machine does not fail the test.
fn refused_soon(client: &Client, still: &str) {
    let since = Instant::now();
    while client.get("/").status == 200 {
        assert!(since.elapsed() < Duration::from_secs(10), "{still}");
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
    refused_soon(&ann, "a disabled account stays signed in on node B");
    assert_ne!(
        a.client().login("ann", PASSWORD).status,
        303,
        "nor signs in again"
    );
    let (backed, said) = run_cli(&["--database", &database, "backup", "x.tar"], "");
    assert!(!backed && said.contains("pg_dump"), "{said}");
}

/// What the storm's clients learnt.
#[derive(Default)]
struct Storm {
    /// Texts whose send was answered 303: the node said they were stored.
    acked: Mutex<Vec<String>>,
    /// Message ids in the order each poller received them.
    seen: [Mutex<Vec<u64>>; 2],
    sending: AtomicBool,
    polling: AtomicBool,
}

// People send through both nodes while one poller follows on each. Meanwhile the nodes' LISTEN
// connections are cut (pg_terminate_backend), then node B is killed with SIGKILL and started
// again. Every acknowledged message is stored once, and each poller receives every stored
// message exactly once.
#[test]
fn a_send_storm_survives_cut_notifications_and_a_killed_node() {
    let Some(database) = fresh_database() else {
        return;
    };
    let args = ["--database", database.as_str(), "--poll-hold", "3"];
    let a = Server::start_with(&args);
    let b = Mutex::new(Server::start_in(&a.data, &args));
    let b_base = Mutex::new(b.lock().unwrap().base.clone());
    let alice = a.signed_up("alice", "Alice");
    let bob = a.signed_up("bob", "Bob");
    let id = group(&alice, "Storm", "bob");
    let cursor = cursor_in(&bob.get(&format!("/c/{id}")).body);
    let (alice_cookie, bob_cookie) = (alice.session_cookie(), bob.session_cookie());
    let storm = Storm::default();
    storm.sending.store(true, Ordering::SeqCst);
    storm.polling.store(true, Ordering::SeqCst);
    let base_of = |node: usize| match node {
        0 => a.base.clone(),
        _ => b_base.lock().unwrap().clone(),
    };

    let (storm, base_of) = (&storm, &base_of);
    /// Stops every client when the test ends, even by a failed assertion: the scope waits
    /// for them.
    struct StopClients<'a>(&'a Storm);
    impl Drop for StopClients<'_> {
        fn drop(&mut self) {
            self.0.sending.store(false, Ordering::SeqCst);
            self.0.polling.store(false, Ordering::SeqCst);
        }
    }
    std::thread::scope(|scope| {
        let _stop = StopClients(storm);
        let mut senders = Vec::new();
        for node in 0..2 {
            let cookie = alice_cookie.clone();
            senders.push(scope.spawn(move || {
                let mut n = 0;
                while storm.sending.load(Ordering::SeqCst) {
                    let client = Client::new(&base_of(node));
                    client.set_session_cookie(cookie.clone());
                    let text = format!("storm {node}-{n}");
                    n += 1;
                    match client.try_post_form(&format!("/c/{id}/messages"), &[("body", &text)]) {
                        Some(res) if res.status == 303 => storm.acked.lock().unwrap().push(text),
                        _ => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            }));
            let cookie = bob_cookie.clone();
            scope.spawn(move || {
                let mut cursor = cursor;
                while storm.polling.load(Ordering::SeqCst) {
                    let client = Client::new(&base_of(node));
                    client.set_session_cookie(cookie.clone());
                    let Some(res) = client.try_get(&format!("/c/{id}/poll?after={cursor}")) else {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    };
                    if res.status != 200 {
                        continue;
                    }
                    storm.seen[node]
                        .lock()
                        .unwrap()
                        .extend(message_ids(&res.body));
                    cursor = number_after(&res.body, "poll?after=");
                }
            });
        }

        std::thread::sleep(Duration::from_millis(700));
        let mut admin = postgres::Client::connect(&database, postgres::NoTls).unwrap();
        let cut = admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = 'bavard-watcher' AND datname = current_database()",
                &[],
            )
            .unwrap();
        assert_eq!(cut, 2, "each node's LISTEN connection was cut");
        std::thread::sleep(Duration::from_millis(700));
        {
            let mut node = b.lock().unwrap();
            let killed = std::process::Command::new("kill")
                .args(["-KILL", &node.pid().to_string()])
                .status()
                .unwrap();
            assert!(killed.success());
            std::thread::sleep(Duration::from_millis(300));
            *node = Server::start_in(&a.data, &args);
            *b_base.lock().unwrap() = node.base.clone();
        }
        std::thread::sleep(Duration::from_millis(700));
        storm.sending.store(false, Ordering::SeqCst);
        senders
            .into_iter()
            .for_each(|sender| sender.join().unwrap());

        let stored: Vec<(u64, String)> = admin
            .query(
                "SELECT id, body FROM messages WHERE conversation_id = $1 AND kind = 'text'
                 ORDER BY id",
                &[&(id as i64)],
            )
            .unwrap()
            .iter()
            .map(|row| (row.get::<_, i64>(0) as u64, row.get(1)))
            .collect();
        let acked = storm.acked.lock().unwrap().clone();
        assert!(acked.len() > 20, "a storm: {} sends", acked.len());
        for text in &acked {
            let copies = stored.iter().filter(|(_, body)| body == text).count();
            assert_eq!(copies, 1, "{text:?} acknowledged and stored {copies} times");
        }
        let ids: Vec<u64> = stored.iter().map(|(id, _)| *id).collect();
        // The pollers catch up with everything stored, each message once.
        let drained = Instant::now();
        for node in 0..2 {
            loop {
                let seen = storm.seen[node].lock().unwrap().clone();
                let mut unique = seen.clone();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(
                    unique.len(),
                    seen.len(),
                    "poller on node {node} got a message twice"
                );
                if unique == ids {
                    break;
                }
                assert!(
                    drained.elapsed() < Duration::from_secs(30),
                    "poller on node {node} has {} of the {} stored messages",
                    unique.len(),
                    ids.len()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        storm.polling.store(false, Ordering::SeqCst);
    });
}
