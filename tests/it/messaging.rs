use std::time::{Duration, Instant};

use crate::support::{
    Client, PASSWORD, Server, cursor_in, group, hostile_texts, message_ids, number_after, send,
};

fn poll(client: &Client, conversation: u64, cursor: u64) -> crate::support::Response {
    client.get(&format!("/c/{conversation}/poll?after={cursor}"))
}

#[test]
fn two_people_talk_in_a_direct_conversation() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let opened = alice.post_form("/dm/bob", &[]);
    assert_eq!(opened.status, 303);
    let id = number_after(opened.location(), "/c/");
    assert_eq!(
        bob.post_form("/dm/alice", &[]).location(),
        format!("/c/{id}"),
        "the same conversation"
    );

    let hello = send(&alice, id, "Hello Bob!\nHow are you?");
    let page = bob.get(&format!("/c/{id}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<h1 id=\"page-title\">Alice</h1>"),
        "titled after the other person"
    );
    assert!(
        page.body.contains("Hello Bob!\nHow are you?"),
        "line breaks kept"
    );
    assert!(page.body.contains(&format!("id=\"m{hello}\"")));
    send(&bob, id, "Fine, thanks.");
    assert!(
        alice
            .get(&format!("/c/{id}"))
            .body
            .contains("Fine, thanks.")
    );
    assert!(
        alice
            .get(&format!("/c/{id}"))
            .body
            .contains(r#"role="log""#)
    );
}

#[test]
fn a_parked_poll_answers_as_soon_as_a_message_arrives_and_empty_at_the_end_of_the_hold() {
    // A hold far longer than any delivery, so that "answered on news" cannot be confused with
    // "answered at the hold's end" however busy the machine is.
    let server = Server::start_with(&["--poll-hold", "30"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let cursor = cursor_in(&bob.get(&format!("/c/{id}")).body);

    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| {
            let started = Instant::now();
            (poll(&bob, id, cursor), started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(500));
        let sent = send(&alice, id, "Wake up");
        let (answer, waited) = waiting.join().unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(message_ids(&answer.body), vec![sent]);
        assert!(
            waited < Duration::from_secs(15),
            "answered on news, not at the hold's end: {waited:?}"
        );
        assert!(cursor_in(&answer.body) > cursor, "the next poller moves on");
    });

    let short = Server::start_with(&["--poll-hold", "2"]);
    let carol = short.signed_up("carol", "Carol");
    let quiet_cursor = cursor_in(&carol.get("/").body);
    let started = Instant::now();
    let empty = carol.get(&format!("/poll?after={quiet_cursor}"));
    assert!(started.elapsed() >= Duration::from_secs(2), "held");
    assert_eq!(empty.status, 200);
    assert!(message_ids(&empty.body).is_empty());
    assert_eq!(cursor_in(&empty.body), quiet_cursor);
    assert!(
        empty.body.contains("id=\"poller\""),
        "an empty answer is a new poller"
    );
}

#[test]
fn a_page_woken_by_news_asks_again_a_moment_later_and_one_catching_up_asks_at_once() {
    let server = Server::start_with(&["--poll-hold", "30", "--metrics"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let cursor = cursor_in(&bob.get(&format!("/c/{id}")).body);

    let woken = std::thread::scope(|scope| {
        let waiting = scope.spawn(|| poll(&bob, id, cursor));
        let asked = Instant::now();
        while parked(&server) == 0 {
            assert!(asked.elapsed() < Duration::from_secs(30), "the poll parks");
            std::thread::sleep(Duration::from_millis(20));
        }
        let sent = send(&alice, id, "Wake up");
        let answer = waiting.join().unwrap();
        assert_eq!(message_ids(&answer.body), vec![sent]);
        answer
    });
    assert!(
        woken
            .body
            .contains("hx-trigger=\"load delay:150ms, retry\""),
        "woken with every other tab, the page lets the others' answers go first: {}",
        woken.body
    );

    let waiting_already = send(&alice, id, "While Bob was away");
    let caught_up = poll(&bob, id, cursor_in(&woken.body));
    assert_eq!(message_ids(&caught_up.body), vec![waiting_already]);
    assert!(
        caught_up.body.contains("hx-trigger=\"load, retry\""),
        "a page catching up asks for the rest at once: {}",
        caught_up.body
    );
}

#[test]
fn following_the_cursor_delivers_every_message_exactly_once_across_reconnects() {
    let server = Server::start_with(&["--poll-hold", "1"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let mut cursor = cursor_in(&bob.get(&format!("/c/{id}")).body);
    let mut sent = Vec::new();
    let mut received = Vec::new();
    for round in 0..6 {
        sent.push(send(&alice, id, &format!("message {round}a")));
        sent.push(send(&alice, id, &format!("message {round}b")));
        if round % 2 == 0 {
            // The answer is lost on the way: the client asks again with the cursor it had.
            let _lost = poll(&bob, id, cursor);
        }
        let answer = poll(&bob, id, cursor);
        received.extend(message_ids(&answer.body));
        cursor = cursor_in(&answer.body);
    }
    let answer = poll(&bob, id, cursor);
    received.extend(message_ids(&answer.body));
    assert_eq!(received, sent, "each once, in order");
}

#[test]
fn nothing_is_lost_or_repeated_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--poll-hold", "1"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let cursor = cursor_in(&bob.get(&format!("/c/{id}")).body);
    let before = send(&alice, id, "before the restart");
    let (alice_cookie, bob_cookie) = (alice.session_cookie(), bob.session_cookie());
    drop(server);

    let server = Server::start_in(dir.path(), &["--poll-hold", "1"]);
    let alice = server.client();
    alice.set_session_cookie(alice_cookie);
    let bob = server.client();
    bob.set_session_cookie(bob_cookie);
    let after = send(&alice, id, "after the restart");
    let answer = poll(&bob, id, cursor);
    assert_eq!(message_ids(&answer.body), vec![before, after]);
    let again = poll(&bob, id, cursor_in(&answer.body));
    assert!(message_ids(&again.body).is_empty(), "nothing repeated");
}

#[test]
fn a_message_written_by_a_second_process_wakes_a_parked_poll() {
    let first = Server::start_with(&["--poll-hold", "60"]);
    let second = Server::start_in(&first.data, &[]);
    let alice = first.signed_up("alice", "Alice");
    let bob = first.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let cursor = cursor_in(&bob.get(&format!("/c/{id}")).body);
    let alice_elsewhere = second.client();
    alice_elsewhere.set_session_cookie(alice.session_cookie());

    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| {
            let started = Instant::now();
            (poll(&bob, id, cursor), started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        let sent = send(&alice_elsewhere, id, "from the other process");
        let (answer, waited) = waiting.join().unwrap();
        assert_eq!(message_ids(&answer.body), vec![sent]);
        assert!(
            waited < Duration::from_secs(30),
            "woken by the watcher (within a second or so), not at the 60 s hold: {waited:?}"
        );
    });
}

#[test]
fn people_outside_a_conversation_get_404_everywhere() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let mallory = server.signed_up("mallory", "Mallory");
    let id = group(&alice, "Secret", "bob");
    let message = send(&alice, id, "private");
    for res in [
        mallory.get(&format!("/c/{id}")),
        mallory.get(&format!("/c/{id}/poll?after=0")),
        mallory.get_with(
            &format!("/c/{id}/history?before=999"),
            &[("HX-Request", "true")],
        ),
        mallory.post_form(&format!("/c/{id}/messages"), &[("body", "let me in")]),
        mallory.post_form(&format!("/c/{id}/messages"), &[("body", "")]),
        mallory.get(&format!("/c/{id}/messages/{message}/edit")),
        mallory.post_form(&format!("/c/{id}/messages/{message}/delete"), &[]),
        mallory.post_form(&format!("/c/{id}/members"), &[("members", "mallory")]),
        mallory.post_form(&format!("/c/{id}/leave"), &[]),
        mallory.get("/c/999999"),
    ] {
        assert_eq!(res.status, 404);
        assert!(
            !res.body.contains("Secret") && !res.body.contains("private"),
            "no leak"
        );
    }
    assert_eq!(
        alice
            .get(&format!("/c/{id}"))
            .body
            .matches("let me in")
            .count(),
        0
    );
}

#[test]
fn unread_badges_count_others_messages_until_read() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    send(&bob, id, "my own");
    send(&alice, id, "one");
    send(&alice, id, "two");
    let home = bob.get("/");
    assert!(home.body.contains("2 unread messages"), "{}", home.body);
    let alices = alice.get("/").body;
    assert!(
        !alices.contains("unread message"),
        "what you send, you have read: {alices}"
    );
    bob.get(&format!("/c/{id}"));
    assert!(
        !bob.get("/").body.contains("unread message"),
        "opening reads"
    );
    send(&alice, id, "three");
    let french = bob.get_with("/", &[("Accept-Language", "fr")]);
    assert!(french.body.contains("1 message non lu"), "{}", french.body);
}

#[test]
fn a_tab_served_by_a_second_process_hears_that_its_conversation_was_read() {
    // Passenger may run several app processes on one database, each with its own tabs.
    let first = Server::start_with(&["--poll-hold", "60"]);
    let second = Server::start_in(&first.data, &["--poll-hold", "60"]);
    crate::cluster::reading_in_one_process_clears_the_badge_in_the_other(&first, &second);
}

#[test]
fn edits_and_deletions_reach_the_other_members_live() {
    let server = Server::start_with(&["--poll-hold", "5"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let message = send(&alice, id, "frist");
    let cursor = cursor_in(&bob.get(&format!("/c/{id}")).body);

    let edited = alice.post_form(
        &format!("/c/{id}/messages/{message}/edit"),
        &[("body", "first")],
    );
    assert_eq!(edited.status, 303);
    let answer = poll(&bob, id, cursor);
    assert!(answer.body.contains(&format!(r#"id="m{message}""#)));
    assert!(
        answer.body.contains(r#"hx-swap-oob="outerHTML""#),
        "replaces the old copy"
    );
    assert!(answer.body.contains("first") && answer.body.contains("(edited)"));

    let cursor = cursor_in(&answer.body);
    assert_eq!(
        alice
            .post_form(&format!("/c/{id}/messages/{message}/delete"), &[])
            .status,
        303
    );
    let answer = poll(&bob, id, cursor);
    assert!(answer.body.contains("Message deleted"));
    assert!(!answer.body.contains(">first<"), "the text is gone");

    let theirs = send(&alice, id, "alice wrote this");
    let refused = bob.post_form(
        &format!("/c/{id}/messages/{theirs}/edit"),
        &[("body", "bob was here")],
    );
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("only change your own messages"));
    assert_eq!(
        bob.post_form(&format!("/c/{id}/messages/{theirs}/delete"), &[])
            .status,
        403
    );
    assert!(
        bob.get(&format!("/c/{id}"))
            .body
            .contains("alice wrote this"),
        "unchanged"
    );
}

#[test]
fn a_group_of_three_talks_and_a_member_who_leaves_hears_nothing_more() {
    let server = Server::start_with(&["--poll-hold", "1"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let carol = server.signed_up("carol", "Carol");
    let id = group(&alice, "Trio", "bob, @Carol");
    let page = carol.get(&format!("/c/{id}"));
    assert!(page.body.contains("3 members"));
    assert!(page.body.contains("Alice added Bob and Carol"));
    let carol_cursor = cursor_in(&page.body);
    send(&bob, id, "hi all");
    assert!(message_ids(&poll(&carol, id, carol_cursor).body).len() == 1);

    assert_eq!(
        carol.post_form(&format!("/c/{id}/leave"), &[]).location(),
        "/"
    );
    send(&alice, id, "carol must not see this");
    assert_eq!(
        poll(&carol, id, carol_cursor).status,
        404,
        "a poll for a conversation left"
    );
    assert_eq!(carol.get(&format!("/c/{id}")).status, 404);
    assert!(!carol.get("/").body.contains("Trio"), "gone from the list");
    assert!(
        alice
            .get(&format!("/c/{id}"))
            .body
            .contains("Carol left the group")
    );

    let renamed = alice.post_form(&format!("/c/{id}/title"), &[("title", "Duo")]);
    assert_eq!(renamed.status, 303);
    assert!(
        bob.get(&format!("/c/{id}"))
            .body
            .contains("<h1 id=\"page-title\">Duo</h1>")
    );
    assert_eq!(
        alice
            .post_form(&format!("/c/{id}/members"), &[("members", "carol")])
            .status,
        303
    );
    assert!(
        carol
            .get(&format!("/c/{id}"))
            .body
            .contains("carol must not see this"),
        "history is shared on return"
    );
}

#[test]
fn bad_messages_and_requests_get_clear_errors_and_change_nothing() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");

    let empty = alice.post_form(&format!("/c/{id}/messages"), &[("body", "   \n ")]);
    assert_eq!(empty.status, 422);
    assert!(
        empty
            .body
            .contains("Write something, or attach a file, before sending")
    );
    let long = "x".repeat(4001);
    let too_long = alice.post_form(&format!("/c/{id}/messages"), &[("body", &long)]);
    assert_eq!(too_long.status, 422);
    assert!(too_long.body.contains("at most 4,000 characters"));
    assert!(too_long.body.contains(&long), "the draft is kept");
    let exactly = "y".repeat(4000);
    send(&alice, id, &exactly);
    let htmx_empty = alice.post_raw(
        &format!("/c/{id}/messages"),
        "application/x-www-form-urlencoded",
        b"body=",
        &[("HX-Request", "true")],
    );
    assert_eq!(htmx_empty.status, 422);
    assert!(htmx_empty.body.starts_with("<form") && htmx_empty.body.contains("Write something"));

    assert_eq!(alice.get(&format!("/c/{id}/poll?after=abc")).status, 400);
    assert_eq!(alice.get(&format!("/c/{id}/poll?after=-1")).status, 400);
    let future = alice.get(&format!("/c/{id}/poll?after=99999999"));
    assert_eq!(future.status, 400);
    assert!(future.body.contains("poll position is not valid"));

    let unknown = alice.post_form(
        "/c",
        &[("title", "Ghosts"), ("members", "bob, nobody, zed")],
    );
    assert_eq!(unknown.status, 422);
    assert!(unknown.body.contains("No account named: nobody, zed"));
    assert!(unknown.body.contains(r#"value="Ghosts""#), "input kept");
    assert!(!alice.get("/").body.contains("Ghosts"), "nothing created");
    let untitled = alice.post_form("/c", &[("title", " "), ("members", "bob")]);
    assert_eq!(untitled.status, 422);

    assert_eq!(alice.post_form("/dm/nobody", &[]).status, 404);
    assert_eq!(alice.post_form("/dm/alice", &[]).status, 400);
    let added_nobody = alice.post_form(&format!("/c/{id}/members"), &[("members", "ghost")]);
    assert_eq!(added_nobody.status, 422);
    assert!(added_nobody.body.contains("No account named: ghost"));
}

#[test]
fn htmx_sends_get_a_fresh_composer_and_the_message_arrives_by_poll() {
    let server = Server::start_with(&["--poll-hold", "1"]);
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let cursor = cursor_in(&alice.get(&format!("/c/{id}")).body);
    let res = alice.post_raw(
        &format!("/c/{id}/messages"),
        "application/x-www-form-urlencoded",
        b"body=via+htmx",
        &[("HX-Request", "true")],
    );
    assert_eq!(res.status, 200);
    assert!(res.body.starts_with("<form") && res.body.contains(r#"id="composer""#));
    assert!(!res.body.contains("via htmx"), "the composer is cleared");
    assert!(
        poll(&alice, id, cursor).body.contains("via htmx"),
        "the sender's own poll delivers it"
    );
}

#[test]
fn the_latest_fifty_messages_show_and_earlier_ones_load_on_demand() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let id = group(&alice, "Chatty", "bob");
    let sent: Vec<u64> = (0..60)
        .map(|i| send(&alice, id, &format!("number {i}")))
        .collect();
    let page = alice.get(&format!("/c/{id}"));
    let shown = message_ids(&page.body);
    assert_eq!(
        &shown[shown.len() - 50..],
        &sent[10..],
        "the latest fifty, oldest first"
    );
    assert!(page.body.contains("Load earlier messages"));
    let first_shown = shown[0];
    let earlier = alice.get_with(
        &format!("/c/{id}/history?before={first_shown}"),
        &[("HX-Request", "true")],
    );
    assert!(
        earlier.body.contains("hx-swap-oob=\"afterbegin:#earlier\""),
        "loaded outside the log"
    );
    assert!(earlier.body.contains("number 0") && earlier.body.contains("number 9"));
    let plain = alice.get(&format!("/c/{id}?before={first_shown}"));
    assert!(plain.body.contains("number 0") && plain.body.contains("Back to the latest messages"));
}

#[test]
fn a_new_account_finds_the_welcome_conversation() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let home = alice.get("/");
    assert!(home.body.contains("conv-title\">Bavard<"), "{}", home.body);
    let id = number_after(&home.body, "id=\"conv-");
    assert!(
        alice
            .get(&format!("/c/{id}"))
            .body
            .contains("Welcome to Bavard!")
    );
    let french = alice.get_with(&format!("/c/{id}"), &[("Accept-Language", "fr")]);
    assert!(
        french.body.contains("Bienvenue sur Bavard"),
        "the welcome speaks the reader's language"
    );
}

#[test]
fn the_list_follows_activity_and_can_be_filtered() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let older = group(&alice, "Older group", "bob");
    let newer = group(&alice, "Newer group", "bob");
    let position = |html: &str, title: &str| html.find(&format!(">{title}<")).unwrap();
    let home = alice.get("/");
    assert!(position(&home.body, "Newer group") < position(&home.body, "Older group"));
    send(&alice, older, "bump");
    let home = alice.get("/");
    assert!(position(&home.body, "Older group") < position(&home.body, "Newer group"));
    assert!(home.body.contains("Alice: bump"), "preview with its author");
    let filtered = alice.get("/?filter=NEWER");
    assert!(filtered.body.contains(">Newer group<") && !filtered.body.contains(">Older group<"));
    let by_member = alice.get("/?filter=bob");
    assert!(by_member.body.contains(">Newer group<") && by_member.body.contains(">Older group<"));
    let _ = newer;
}

#[test]
fn list_previews_stay_short_however_long_the_message() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let mut names = Vec::new();
    for i in 0..4 {
        let username = format!("member{i}");
        server.signed_up(&username, &format!("Someone With A Rather Long Name {i}"));
        names.push(username);
    }
    // The creation notice names everyone added: far longer than a preview.
    let crowd = group(&alice, "Crowd", &names.join(","));
    let preview_of = |html: &str| -> String {
        let start = html.find(r#"class="conv-preview""#).unwrap();
        let text = &html[start..];
        text[text.find('>').unwrap() + 1..text.find("</span>").unwrap()].to_owned()
    };
    let preview = preview_of(&alice.get("/").body);
    assert!(preview.starts_with("Alice added"), "{preview}");
    assert!(
        preview.ends_with('…') && preview.chars().count() <= 81,
        "{preview}"
    );

    let long = "word ".repeat(300);
    send(&alice, crowd, &long);
    let preview = preview_of(&alice.get("/").body);
    assert!(
        preview.ends_with('…') && preview.chars().count() <= 90,
        "{preview}"
    );
}

#[test]
fn hostile_messages_are_shown_as_text() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    for text in hostile_texts() {
        let res = alice.post_form(&format!("/c/{id}/messages"), &[("body", &text)]);
        assert!(
            res.status == 303 || res.status == 422,
            "{} for {text:?}",
            res.status
        );
    }
    let page = bob.get(&format!("/c/{id}"));
    assert_eq!(page.status, 200);
    for dangerous in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "href=\"javascript",
        "onmouseover=\"alert",
    ] {
        assert!(!page.body.contains(dangerous), "unescaped {dangerous}");
    }
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(bob.get("/").status == 200, "previews too");
    assert_eq!(alice.login("alice", PASSWORD).status, 303);
}

#[test]
fn every_route_agrees_on_who_may_change_a_message() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let notice = message_ids(&alice.get(&format!("/c/{id}")).body)[0];
    let edit = |message: u64| format!("/c/{id}/messages/{message}/edit");
    let delete = |message: u64| format!("/c/{id}/messages/{message}/delete");

    // Her own "created the group" notice is not hers to edit: no editor, on any route.
    assert_eq!(alice.get(&edit(notice)).status, 403);
    assert_eq!(alice.post_form(&edit(notice), &[("body", "x")]).status, 403);
    assert_eq!(alice.post_form(&edit(notice), &[("body", "")]).status, 403);
    assert_eq!(alice.post_form(&delete(notice), &[]).status, 403);

    let gone = send(&alice, id, "soon gone");
    assert_eq!(alice.post_form(&delete(gone), &[]).status, 303);
    let statuses = [
        alice.get(&edit(gone)).status,
        alice.post_form(&edit(gone), &[("body", "back")]).status,
        alice.post_form(&delete(gone), &[]).status,
    ];
    assert_eq!(
        statuses, [400; 3],
        "a deleted message, the same answer everywhere"
    );
}

#[test]
fn a_group_answer_is_compressed_once_for_every_member_that_accepts_gzip() {
    let server = Server::start_with(&["--poll-hold", "20"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let carol = server.signed_up("carol", "Carol");
    let id = group(&alice, "Team", "bob carol");
    let cursor = cursor_in(&bob.get(&format!("/c/{id}")).body);
    assert_eq!(cursor, cursor_in(&carol.get(&format!("/c/{id}")).body));
    let url = format!("/c/{id}/poll?after={cursor}");
    let long_text = "A message long enough to be worth compressing. ".repeat(40);
    let (bobs, carols, sent) = std::thread::scope(|scope| {
        let b = scope.spawn(|| bob.get_bytes_with(&url, &[("Accept-Encoding", "gzip, br")]));
        let c = scope.spawn(|| carol.get_bytes_with(&url, &[("Accept-Encoding", "gzip")]));
        std::thread::sleep(Duration::from_millis(500));
        let sent = send(&alice, id, &long_text);
        (b.join().unwrap(), c.join().unwrap(), sent)
    });
    for (status, encoding, body) in [&bobs, &carols] {
        assert_eq!(*status, 200);
        assert_eq!(encoding.as_deref(), Some("gzip"));
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut text)
            .expect("valid gzip");
        assert_eq!(message_ids(&text), vec![sent]);
        assert!(text.contains(long_text.trim()));
    }
    assert_eq!(bobs.2, carols.2, "the very same compressed bytes");

    // Without Accept-Encoding the same answer comes plain.
    let plain = bob.get(&url);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(message_ids(&plain.body), vec![sent]);
}

/// Polls waiting now, as `/metrics` counts them.
fn parked(server: &Server) -> u64 {
    let metrics = server.client().get("/metrics").body;
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("bavard_parked_polls "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no parked polls in {metrics}"))
}

#[test]
fn a_poll_whose_client_went_away_is_released_at_once_not_at_the_end_of_its_hold() {
    use std::io::Write;
    let server = Server::start_with(&["--poll-hold", "60", "--metrics"]);
    let alice = server.signed_up("alice", "Alice");
    let id = group(&alice, "Gone", "");
    let cursor = cursor_in(&alice.get(&format!("/c/{id}")).body);
    let cookie = alice.session_cookie().expect("signed in");
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut tab = std::net::TcpStream::connect(&address).unwrap();
    write!(
        tab,
        "GET /c/{id}/poll?after={cursor} HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\n\r\n"
    )
    .unwrap();
    let waiting = Instant::now();
    while parked(&server) != 1 {
        assert!(
            waiting.elapsed() < Duration::from_secs(5),
            "the poll never parked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The tab is closed: its connection goes, mid-poll.
    drop(tab);
    let closed = Instant::now();
    while parked(&server) != 0 {
        assert!(
            closed.elapsed() < Duration::from_secs(2),
            "still parked {:?} after its client left",
            closed.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn opening_a_conversation_marks_where_the_unread_messages_begin() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Catch-up", "bob");
    alice.get(&format!("/c/{id}"));
    send(&alice, id, "mine, already read");
    let first = send(&bob, id, "unread one");
    for i in 2..=5 {
        send(&bob, id, &format!("unread {i}"));
    }
    let page = alice.get(&format!("/c/{id}")).body;
    let line = page.find("id=\"first-unread\"").expect("the unread line");
    let first_unread = page.find(&format!("id=\"m{first}\"")).unwrap();
    let mine = page.find("mine, already read").unwrap();
    assert!(
        mine < line && line < first_unread,
        "the line stands just before bob's first"
    );
    assert!(
        page.contains("Jump to the first of 5 unread messages"),
        "{page}"
    );
    let again = alice.get(&format!("/c/{id}")).body;
    assert!(!again.contains("first-unread"), "read now: no line");
}

/// The day headings (with their `datetime`) in a page, in order, and the message each stands before.
fn day_headings(html: &str) -> Vec<(String, String, u64)> {
    html.match_indices("<li class=\"day\">")
        .map(|(at, _)| {
            let rest = &html[at..];
            let date = rest
                .split("datetime=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap()
                .to_owned();
            let label = rest
                .split("data-local=\"day\">")
                .nth(1)
                .and_then(|s| s.split('<').next())
                .unwrap()
                .to_owned();
            // What follows the heading: the unread line, or the message itself.
            let after = &rest[rest.find("</li>").unwrap() + 5..];
            let after = after
                .strip_prefix("<li class=\"unread-line\"")
                .map_or(after, |s| &s[s.find("</li>").unwrap() + 5..]);
            (date, label, number_after(after, "id=\"m"))
        })
        .collect()
}

#[test]
fn the_log_is_headed_by_day_in_the_readers_time_zone_and_language() {
    let mut server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Days", "bob");
    let texts = [
        "long ago",
        "yesterday noon",
        "just before midnight",
        "just after",
    ];
    let sent: Vec<u64> = texts.iter().map(|t| send(&bob, id, t)).collect();

    // Written on other days: the server is stopped and the messages moved back in time.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let midnight = now - now.rem_euclid(86_400);
    let day = |at: i64| {
        time::OffsetDateTime::from_unix_timestamp(at)
            .unwrap()
            .date()
            .to_string()
    };
    let (today, yesterday) = (day(midnight), day(midnight - 1));
    let times = [
        1_767_096_000,
        midnight - 43_200,
        midnight - 120,
        midnight + 60,
    ]; // 2025-12-30 12:00 UTC first
    server.terminate();
    {
        let key = std::fs::read_to_string(server.data.join("bavard.key")).unwrap();
        let db = rusqlite::Connection::open(server.data.join("bavard.sqlite3")).unwrap();
        db.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.trim()))
            .unwrap();
        for (message, at) in sent.iter().zip(times) {
            db.execute(
                "UPDATE messages SET created_at = ?1 WHERE id = ?2",
                [at, *message as i64],
            )
            .unwrap();
        }
        // The group's creation notice, a minute before the first.
        db.execute(
            "UPDATE messages SET created_at = ?1 WHERE conversation_id = ?2 AND id < ?3",
            [times[0] - 60, id as i64, sent[0] as i64],
        )
        .unwrap();
    }
    let again = Server::start_in(&server.data, &[]);
    let alice = again.client();
    assert_eq!(alice.login("alice", PASSWORD).status, 303);
    let page = alice.get(&format!("/c/{id}")).body;
    let heading = |date: &str, label: &str, message| (date.to_owned(), label.to_owned(), message);
    let notice = message_ids(&page)[0];
    assert!(notice < sent[0]);
    assert_eq!(
        day_headings(&page),
        [
            heading("2025-12-30", "Tuesday, December 30, 2025", notice),
            heading(&yesterday, "Yesterday", sent[1]),
            heading(&today, "Today", sent[3]),
        ],
        "one heading where each day begins: {page}"
    );
    assert!(
        page.contains(&format!("<li class=\"msg continued\" id=\"m{}\"", sent[3])),
        "a minute after bob's last, so grouped with it, but under its own day"
    );

    let french = alice
        .get_with(&format!("/c/{id}"), &[("Accept-Language", "fr")])
        .body;
    let labels: Vec<String> = day_headings(&french).into_iter().map(|h| h.1).collect();
    assert_eq!(labels, ["Mardi 30 décembre 2025", "Hier", "Aujourd’hui"]);

    // An hour east of UTC, 23:58 is already the next day.
    let cookie = format!("{}; tz=60", alice.session_cookie().unwrap());
    let east = alice
        .get_with(&format!("/c/{id}"), &[("Cookie", &cookie)])
        .body;
    let east: Vec<(String, u64)> = day_headings(&east)
        .into_iter()
        .map(|(date, _, message)| (date, message))
        .collect();
    assert_eq!(
        east,
        [
            ("2025-12-30".to_owned(), notice),
            (yesterday, sent[1]),
            (today, sent[2])
        ]
    );
}

#[test]
fn earlier_messages_continue_the_day_they_belong_to() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let id = group(&alice, "Busy", "bob");
    let sent: Vec<u64> = (0..55)
        .map(|i| send(&alice, id, &format!("n{i}")))
        .collect();
    let page = alice.get(&format!("/c/{id}")).body;
    assert!(
        day_headings(&page).is_empty(),
        "the page starts mid-day: its first message is not the day's first"
    );
    let first_shown = message_ids(&page)[0];
    let earlier = alice
        .get_with(
            &format!("/c/{id}/history?before={first_shown}"),
            &[("HX-Request", "true")],
        )
        .body;
    let headings = day_headings(&earlier);
    assert_eq!(headings.len(), 1, "{earlier}");
    assert_eq!(headings[0].1, "Today");
    assert!(sent.contains(&first_shown));
}

#[test]
fn a_new_display_name_reaches_open_pages_at_their_next_poll() {
    // Short holds: Carol's poll, which nothing wakes, ends soon.
    let server = Server::start_with(&["--poll-hold", "3"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let carol = server.signed_up("carol", "Carol");
    let id = group(&alice, "Renames", "bob");
    send(&alice, id, "hello from alice");
    let page = bob.get(&format!("/c/{id}")).body;
    let alice_id = number_after(&page, "data-author=\"");
    assert!(
        page.contains(&format!("<h4 class=\"author name-u{alice_id}\">Alice<")),
        "her name heads her message: {page}"
    );
    let cursor = cursor_in(&page);
    let carol_cursor = cursor_in(&carol.get("/").body);
    let bob_waits = std::thread::spawn(move || poll(&bob, id, cursor));
    let carol_waits = std::thread::spawn(move || carol.get(&format!("/poll?after={carol_cursor}")));
    std::thread::sleep(Duration::from_millis(300));
    let saved = alice.post_form(
        "/profile",
        &[
            ("display_name", "Alice Liddell"),
            ("about", ""),
            ("language", ""),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);

    let answer = bob_waits.join().unwrap();
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains(&format!(
            "<span hx-swap-oob=\"innerHTML:.name-u{alice_id}\">Alice Liddell</span>"
        )) && answer.body.contains(&format!(
            "<span hx-swap-oob=\"innerHTML:.initials-u{alice_id}\">AL</span>"
        )),
        "every place the page names her, and her initials: {}",
        answer.body
    );
    assert!(
        !answer.body.contains("<title>"),
        "a group keeps its own title: {}",
        answer.body
    );
    let entry = &answer.body[answer
        .body
        .find(&format!("id=\"conv-{id}\""))
        .expect("the entry redrawn")..];
    assert!(
        entry.contains("Alice Liddell"),
        "its preview names her anew: {entry}"
    );
    // Carol shares no conversation with her: her poll waits on, and learns nothing.
    let carols = carol_waits.join().unwrap();
    assert!(!carols.body.contains("Liddell"), "{}", carols.body);

    // Renamed again while none of Bob's polls waits: his next poll, from the URL the last
    // answer gave, still brings it.
    let next = answer
        .body
        .split("hx-get=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let again = alice.post_form(
        "/profile",
        &[
            ("display_name", "Alice L."),
            ("about", ""),
            ("language", ""),
        ],
    );
    assert_eq!(again.status, 303);
    let bob = server.client();
    assert_eq!(bob.login("bob", PASSWORD).status, 303);
    let late = bob.get(&next);
    assert!(
        late.body.contains(&format!(
            "<span hx-swap-oob=\"innerHTML:.name-u{alice_id}\">Alice L.</span>"
        )),
        "{next}: {}",
        late.body
    );
}

#[test]
fn a_direct_conversation_takes_the_new_name_of_the_person_it_is_named_after() {
    let server = Server::start_with(&["--poll-hold", "5"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = number_after(alice.post_form("/dm/bob", &[]).location(), "/c/");
    send(&bob, id, "hi");
    let page = alice.get(&format!("/c/{id}")).body;
    let bob_id = number_after(&page, "data-author=\"");
    assert!(page.contains("<title>Bob · Bavard</title>"), "{page}");
    assert!(
        page.contains(&format!("initials-u{bob_id}\" aria-hidden=\"true\">B<")),
        "{page}"
    );
    let cursor = cursor_in(&page);
    let alice_waits = std::thread::spawn(move || poll(&alice, id, cursor));
    std::thread::sleep(Duration::from_millis(300));
    let saved = bob.post_form(
        "/profile",
        &[
            ("display_name", "Robert <Bob> Smith"),
            ("about", ""),
            ("language", ""),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);

    let answer = alice_waits.join().unwrap().body;
    assert!(
        answer.contains("<title>Robert &lt;Bob&gt; Smith · Bavard</title>")
            && answer.contains(
                "<span hx-swap-oob=\"innerHTML:#page-title\">Robert &lt;Bob&gt; Smith</span>"
            ),
        "the tab's title and the heading: {answer}"
    );
    assert!(
        answer.contains(&format!(
            "<span hx-swap-oob=\"innerHTML:.initials-u{bob_id}\">R&lt;</span>"
        )),
        "{answer}"
    );
}
