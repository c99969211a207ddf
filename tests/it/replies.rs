//! Replies: a message answering another shows a short quote of it, linked to it.

use crate::support::{Server, group, message_ids, send};

#[test]
fn a_reply_quotes_the_start_of_the_message_it_answers_and_links_to_it() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let long = format!(
        "Lunch at noon? {}",
        "We could try the new place. ".repeat(20)
    );
    let original = send(&alice, id, &long);

    let composing = bob.get(&format!("/c/{id}?reply={original}"));
    assert!(
        composing.body.contains("Replying to Alice:"),
        "{}",
        composing.body
    );
    assert!(
        composing
            .body
            .contains(&format!(r#"name="reply_to" value="{original}""#))
    );

    let sent = bob.post_form(
        &format!("/c/{id}/messages"),
        &[
            ("body", "Yes, see you there"),
            ("reply_to", &original.to_string()),
        ],
    );
    assert_eq!(sent.status, 303);
    let page = alice.get(&format!("/c/{id}"));
    let reply = *message_ids(&page.body).last().unwrap();
    let item = &page.body[page.body.find(&format!(r#"id="m{reply}""#)).unwrap()..];
    assert!(item.contains("In reply to Alice:"), "{item}");
    assert!(
        item.contains(&format!(
            r#"href="/c/{id}?before={}#m{original}""#,
            original + 1
        )),
        "the quote opens the page that ends with the original, however old: {item}"
    );
    let quoted: String = long.chars().take(140).collect();
    assert!(item.contains(&quoted), "its first 140 characters");
    assert!(!item.contains(&long.chars().take(141).collect::<String>()));

    alice.post_form(&format!("/c/{id}/messages/{original}/delete"), &[]);
    let page = bob.get(&format!("/c/{id}"));
    let item = &page.body[page.body.find(&format!(r#"id="m{reply}""#)).unwrap()..];
    assert!(item.contains("The original message was deleted."), "{item}");
    assert!(
        !item.contains("Lunch at noon"),
        "the deleted text is not kept in the quote"
    );
}

#[test]
fn a_reply_to_what_cannot_be_answered_is_refused_with_the_draft_kept() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    // Bob is in both groups; Alice is not in Mallory's.
    server.signed_up("bob", "Bob");
    let mallory = server.signed_up("mallory", "Mallory");
    let team = group(&alice, "Team", "bob");
    let secret_room = group(&mallory, "Secret", "bob");
    let secret = send(&mallory, secret_room, "not for Alice");
    let before = message_ids(&alice.get(&format!("/c/{team}")).body);
    let notice = before[0];
    let deleted = send(&alice, team, "oops");
    alice.post_form(&format!("/c/{team}/messages/{deleted}/delete"), &[]);

    for (what, target) in [
        ("another conversation's message", secret.to_string()),
        ("a notice", notice.to_string()),
        ("a deleted message", deleted.to_string()),
        ("no message at all", "999999".to_owned()),
    ] {
        let refused = alice.post_form(
            &format!("/c/{team}/messages"),
            &[("body", "my careful answer"), ("reply_to", &target)],
        );
        assert_eq!(refused.status, 422, "{what}");
        assert!(
            refused.body.contains("no longer there"),
            "{what}: {}",
            refused.body
        );
        assert!(
            refused.body.contains("my careful answer"),
            "{what}: the draft is kept"
        );
        assert!(
            !refused.body.contains("not for Alice"),
            "{what}: nothing leaks"
        );
    }
    let after = message_ids(&alice.get(&format!("/c/{team}")).body);
    assert_eq!(
        after.len(),
        before.len() + 1,
        "nothing was sent (the one more is 'oops')"
    );

    let page = alice.get(&format!("/c/{team}?reply={secret}"));
    assert_eq!(
        page.status, 200,
        "a stale or foreign reply link only goes unquoted"
    );
    assert!(!page.body.contains("not for Alice") && !page.body.contains("Replying to"));

    let garbage = alice.post_form(
        &format!("/c/{team}/messages"),
        &[("body", "plain after all"), ("reply_to", "<script>")],
    );
    assert_eq!(
        garbage.status, 303,
        "a reply field that is no id is no reply"
    );
}
