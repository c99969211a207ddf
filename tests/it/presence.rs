//! Presence and typing: "online now" while someone's page polls, else when they were last seen; on
//! their profile and in a direct conversation with them, from the polls alone.

use crate::support::{Server, cursor_in, group, message_ids, poll_url_in, send};

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

/// What the status line under the log is told by a poll answer, if anything.
fn typing_told(answer: &str) -> Option<String> {
    let tag = r##"<span hx-swap-oob="innerHTML:#typing">"##;
    let start = answer.find(tag)? + tag.len();
    let end = answer[start..].find("</span>")? + start;
    Some(answer[start..end].to_owned())
}

#[test]
fn the_others_see_someone_typing_until_they_send_and_the_log_never_hears_of_it() {
    let server = Server::start_with(&["--poll-hold", "10"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let carol = server.signed_up("carol", "Carol");
    let id = group(&alice, "Team", "bob carol");
    let page = bob.get(&format!("/c/{id}")).body;
    assert!(
        page.contains(r#"<p class="typing" id="typing" role="status""#),
        "a status line outside the log: {page}"
    );
    let poll = poll_url_in(&page);

    let said = alice.post_form(&format!("/c/{id}/typing"), &[]);
    assert_eq!(said.status, 204);
    let answer = bob.get(&poll).body;
    assert_eq!(
        typing_told(&answer).as_deref(),
        Some("Alice is typing…"),
        "{answer}"
    );
    assert!(
        message_ids(&answer).is_empty() && !answer.contains("#messages"),
        "nothing enters the log: {answer}"
    );
    let own = alice.get(&format!("/c/{id}")).body;
    assert!(!own.contains("Alice is typing"), "not to herself");
    assert!(
        carol
            .get(&format!("/c/{id}"))
            .body
            .contains("Alice is typing…"),
        "a page opened meanwhile shows it at once"
    );

    // Saying it again while still typing wakes nobody: Bob's next poll only ends with its hold
    // or with news.
    let poll = poll_url_in(&answer);
    carol.post_form(&format!("/c/{id}/typing"), &[]);
    let two = bob.get(&poll).body;
    assert_eq!(
        typing_told(&two).as_deref(),
        Some("Alice and Carol are typing…")
    );
    let poll = poll_url_in(&two);
    let sent = send(&alice, id, "Here it is");
    let answer = bob.get(&poll).body;
    assert_eq!(message_ids(&answer), [sent], "{answer}");
    assert_eq!(
        typing_told(&answer).as_deref(),
        Some("Carol is typing…"),
        "the message and the end of her typing arrive together: {answer}"
    );

    // Carol stops without sending: her entry ends by itself, within its few seconds.
    let poll = poll_url_in(&answer);
    let asked = std::time::Instant::now();
    let ended = bob.get(&poll).body;
    assert_eq!(typing_told(&ended).as_deref(), Some(""), "{ended}");
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(9),
        "ended before the hold did: {:?}",
        asked.elapsed()
    );
}

#[test]
fn typing_is_off_in_big_groups_and_said_in_french() {
    let server = Server::start_with(&["--poll-hold", "1"]);
    let owner = server.signed_up("owner", "Owner");
    let names: Vec<String> = (0..20).map(|i| format!("member{i}")).collect();
    let members: Vec<_> = names.iter().map(|n| server.signed_up(n, n)).collect();
    let big = group(&owner, "Everyone", &names.join(" "));
    let page = members[0].get(&format!("/c/{big}")).body;
    assert!(
        !page.contains(r#"id="typing""#),
        "21 members: no status line"
    );
    let poll = poll_url_in(&page);
    assert_eq!(
        owner.post_form(&format!("/c/{big}/typing"), &[]).status,
        204
    );
    assert_eq!(typing_told(&members[0].get(&poll).body), None);

    let small = group(&owner, "Few", "member1");
    members[1].post_form(
        "/profile",
        &[
            ("display_name", "member1"),
            ("about", ""),
            ("language", "fr"),
        ],
    );
    owner.post_form(&format!("/c/{small}/typing"), &[]);
    assert!(
        members[1]
            .get(&format!("/c/{small}"))
            .body
            .contains("Owner écrit…")
    );
}

#[test]
fn an_open_direct_conversation_follows_the_other_person_coming_online() {
    let server = Server::start_with(&["--poll-hold", "1"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let dm = alice.post_form("/dm/bob", &[]);
    let page = alice.get(dm.location()).body;
    assert!(page.contains(r#"<div id="presence"></div>"#), "{page}");
    let bob_poll = format!("/poll?after={}&wait=0", cursor_in(&page));
    bob.get(&bob_poll);
    // Nothing new: the hold ends, and its answer says Bob is there now.
    let answer = alice.get(&poll_url_in(&page)).body;
    assert!(
        answer.contains(r#"<div hx-swap-oob="innerHTML:#presence"><p class="presence online">"#),
        "{answer}"
    );
}
