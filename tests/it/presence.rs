//! Presence: "online now" while someone's page polls, else when they were last seen; on
//! their profile and in a direct conversation with them, from the polls alone.

use crate::support::Server;

#[test]
fn someone_is_online_while_their_page_polls_and_last_seen_after() {
    let mut server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    assert!(
        !alice.get("/u/bob").body.contains("Online now"),
        "Bob has not had a page open yet"
    );
    bob.get("/poll?after=0&wait=0");
    assert!(alice.get("/u/bob").body.contains("Online now"));
    let dm = alice.post_form("/dm/bob", &[]);
    assert!(alice.get(dm.location()).body.contains("Online now"));

    // Written within a second or two by the watcher, and read again after a restart.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    server.terminate();
    let two_hours_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 7200;
    {
        let key = std::fs::read_to_string(server.data.join("bavard.key")).unwrap();
        let db = rusqlite::Connection::open(server.data.join("bavard.sqlite3")).unwrap();
        db.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.trim()))
            .unwrap();
        let written: Option<i64> = db
            .query_row(
                "SELECT last_seen_at FROM users WHERE username = 'bob'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(written.is_some(), "the poll was written down");
        db.execute(
            "UPDATE users SET last_seen_at = ?1 WHERE username = 'bob'",
            [two_hours_ago],
        )
        .unwrap();
    }
    let again = Server::start_in(&server.data, &[]);
    let alice_again = again.client();
    alice_again.set_session_cookie(alice.session_cookie());
    let profile = alice_again.get("/u/bob");
    assert!(
        !profile.body.contains("Online now"),
        "two hours ago is not now"
    );
    assert!(profile.body.contains("Last seen:"), "{}", profile.body);
}
