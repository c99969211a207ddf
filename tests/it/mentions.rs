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
