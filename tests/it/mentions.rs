//! Mentions: `@username` of a member becomes a link, makes the message stand out for them, and
//! counts apart in their list; `@everyone` does so for a whole group.

use crate::support::{Client, Server, group, send};

fn badge(client: &Client, title: &str) -> String {
    let page = client.get("/");
    let entry = page
        .body
        .split("<li id=\"conv-")
        .find(|entry| entry.contains(title))
        .unwrap_or_else(|| panic!("no entry {title} in {}", page.body));
    match entry.find("<span class=\"visually-hidden\">") {
        Some(at) => {
            let text = &entry[at + 30..];
            text[..text.find('<').unwrap_or(text.len())].to_owned()
        }
        None => String::new(),
    }
}

#[test]
fn a_mention_links_to_the_member_and_counts_apart_until_read() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let carol = server.signed_up("carol", "Carol");
    let dave = server.signed_up("dave", "Dave");
    let id = group(&alice, "Team", "bob carol");

    let message = send(
        &alice,
        id,
        "hi @Bob and @dave, mail carol@example.org, and me @alice",
    );
    assert_eq!(badge(&bob, "Team"), "1 unread message, 1 mention of you");
    assert_eq!(badge(&carol, "Team"), "1 unread message");
    assert!(!dave.get("/").body.contains("Team"), "not even in his list");
    let page = carol.get(&format!("/c/{id}"));
    let item = &page.body[page.body.find(&format!(r#"id="m{message}""#)).unwrap()..];
    let item = &item[..item.find("</li>").unwrap()];
    assert!(
        item.contains(r#"<a href="/u/bob" class="mention">@Bob</a>"#),
        "a member's name, as written, links to them: {item}"
    );
    assert!(!item.contains("/u/dave"), "Dave is not in the group");
    assert!(
        item.contains("carol@example.org") && !item.contains("/u/carol"),
        "an address is no mention"
    );
    assert!(!item.contains("/u/alice"), "nor is the author's own name");

    send(&alice, id, "@everyone: standup in five");
    assert_eq!(badge(&carol, "Team"), "1 unread message, 1 mention of you");
    assert_eq!(badge(&bob, "Team"), "2 unread messages, 2 mentions of you");

    alice.post_form(
        &format!("/c/{id}/messages/{message}/edit"),
        &[("body", "hi all")],
    );
    assert_eq!(
        badge(&bob, "Team"),
        "2 unread messages, 1 mention of you",
        "an edit that drops the name drops the mention"
    );
    bob.get(&format!("/c/{id}"));
    assert_eq!(badge(&bob, "Team"), "", "read: nothing left to count");

    let direct = number_of(&alice.post_form("/dm/bob", &[]));
    send(&alice, direct, "@everyone is just you here");
    assert_eq!(
        badge(&bob, "Alice"),
        "1 unread message",
        "@everyone is for groups"
    );
    let named = send(&alice, direct, "@bob?");
    assert_eq!(badge(&bob, "Alice"), "2 unread messages, 1 mention of you");
    alice.post_form(&format!("/c/{direct}/messages/{named}/delete"), &[]);
    assert_eq!(
        badge(&bob, "Alice"),
        "1 unread message",
        "a deleted message mentions nobody"
    );
}

fn number_of(res: &crate::support::Response) -> u64 {
    crate::support::number_after(res.location(), "/c/")
}

fn attention(client: &Client, title: &str) -> (String, bool) {
    let page = client.get("/");
    let entry = page
        .body
        .split("<li ")
        .find(|entry| entry.contains("class=\"conv\"") && entry.contains(title))
        .unwrap_or_else(|| panic!("no entry {title}"))
        .to_owned();
    let asking = entry
        .split("data-attention=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    (asking, entry.contains("quiet"))
}

#[test]
fn a_conversation_asks_for_attention_as_its_member_chose_and_keeps_its_unread_count() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let mallory = server.signed_up("mallory", "Mallory");
    let id = group(&alice, "Team", "bob");
    let notify = format!("/c/{id}/notify");
    send(&alice, id, "plain news");
    assert_eq!(attention(&bob, "Team"), ("1".to_owned(), false));

    let page = bob.get(&format!("/c/{id}"));
    assert!(page.body.contains("Notifications: every message"));
    assert_eq!(
        bob.post_form(&notify, &[("notify", "mentions")]).status,
        303
    );
    send(&alice, id, "more plain news");
    assert_eq!(
        attention(&bob, "Team"),
        ("0".to_owned(), true),
        "plain messages are no mentions: nothing asks, the count is shown quietly"
    );
    assert!(
        badge(&bob, "Team").starts_with("1 unread message"),
        "the count is kept"
    );
    send(&alice, id, "@bob your turn");
    assert_eq!(attention(&bob, "Team"), ("1".to_owned(), false));
    assert_eq!(badge(&bob, "Team"), "2 unread messages, 1 mention of you");

    bob.post_form(&notify, &[("notify", "none")]);
    assert_eq!(
        attention(&bob, "Team"),
        ("0".to_owned(), true),
        "muted, even for a mention"
    );
    assert!(
        bob.get(&format!("/c/{id}"))
            .body
            .contains("Notifications: off")
    );
    assert_eq!(
        attention(&alice, "Team").0,
        "0",
        "Alice's own setting is her own (and she wrote everything)"
    );

    assert_eq!(bob.post_form(&notify, &[("notify", "loud")]).status, 400);
    assert_eq!(
        mallory.post_form(&notify, &[("notify", "all")]).status,
        404,
        "a conversation one is not in does not exist"
    );
}
