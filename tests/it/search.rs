//! Message search: accents and capitals aside, only what the searcher may read, input taken as
//! words, and each hit leading to its message in context.

use crate::support::{Client, Server, group, hostile_texts, send};

/// The results as htmx swaps them in (the whole page would also hold the conversation list,
/// whose previews show the latest messages).
fn search(client: &Client, query: &str) -> String {
    let res = client.get_with(&format!("/search?q={query}"), &[("HX-Request", "true")]);
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

#[test]
fn a_word_is_found_without_its_accent_and_leads_to_the_message_in_context() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Café crew", "bob");
    let found = send(&alice, id, "Rendez-vous au Café de Flore à <b>midi</b>");
    send(&alice, id, "Something else entirely");

    let page = search(&bob, "cafe");
    let link = format!("/c/{id}?before={}#m{found}", found + 1);
    assert!(page.contains(&link), "{page}");
    assert!(
        page.contains("<mark>Café</mark>"),
        "the match is marked: {page}"
    );
    assert!(page.contains("&lt;b&gt;midi"), "the text stays text");
    assert!(page.contains("Café crew"), "names the conversation");
    let whole = bob.get("/search?q=cafe");
    assert!(
        whole.body.contains("<html") && whole.body.contains(&link),
        "a page without JavaScript"
    );
    assert!(!page.contains("Something else"));

    let context = bob.get(&link.replace(&format!("#m{found}"), ""));
    assert_eq!(context.status, 200);
    assert!(context.body.contains(&format!("id=\"m{found}\"")));

    assert!(
        search(&bob, "CAF").contains(&link),
        "the last word is a prefix"
    );
    assert!(
        search(&bob, "flore+rendez").contains(&link),
        "every word, any order"
    );
    assert!(search(&bob, "flore+nowhere").contains("No message matches"));
}

#[test]
fn nobody_finds_what_they_cannot_read() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let mallory = server.signed_up("mallory", "Mallory");
    let id = group(&alice, "Secret plans", "bob");
    let secret = send(&alice, id, "the treasure is under the oak");
    let deleted = send(&alice, id, "forgotten password hunter2");
    let edited = send(&alice, id, "meet at noon");

    assert!(search(&bob, "treasure").contains(&format!("#m{secret}")));
    let outside = search(&mallory, "treasure");
    assert!(outside.contains("No message matches"), "{outside}");
    assert_eq!(
        mallory.get(&format!("/search?q=treasure&c={id}")).status,
        404,
        "a conversation one is not in does not exist"
    );

    let res = alice.post_form(&format!("/c/{id}/messages/{deleted}/delete"), &[]);
    assert_eq!(res.status, 303);
    assert!(search(&bob, "hunter2").contains("No message matches"));

    let res = alice.post_form(
        &format!("/c/{id}/messages/{edited}/edit"),
        &[("body", "meet at dusk")],
    );
    assert_eq!(res.status, 303);
    assert!(
        search(&bob, "noon").contains("No message matches"),
        "old text gone"
    );
    assert!(search(&bob, "dusk").contains(&format!("#m{edited}")));

    assert_eq!(bob.post_form(&format!("/c/{id}/leave"), &[]).status, 303);
    assert!(
        search(&bob, "treasure").contains("No message matches"),
        "a member who left no longer searches the group"
    );
}

#[test]
fn searching_within_a_conversation_finds_only_its_messages() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let one = group(&alice, "One", "bob");
    let two = group(&alice, "Two", "bob");
    let in_one = send(&alice, one, "budget meeting");
    let in_two = send(&alice, two, "budget review");

    let everywhere = search(&alice, "budget");
    assert!(
        everywhere.contains(&format!("#m{in_one}")) && everywhere.contains(&format!("#m{in_two}"))
    );
    let within = alice.get(&format!("/search?q=budget&c={one}")).body;
    let within = &within[within.find("id=\"search-results\"").expect("results")..];
    assert!(within.contains(&format!("#m{in_one}")));
    assert!(!within.contains(&format!("#m{in_two}")));
    assert!(
        alice
            .get(&format!("/search?c={one}"))
            .body
            .contains("Search in One"),
        "the page says where it searches"
    );
    assert!(
        alice
            .get(&format!("/c/{one}"))
            .body
            .contains(&format!("href=\"/search?c={one}\"")),
        "the conversation offers its own search"
    );
}

#[test]
fn whatever_is_typed_is_words_never_an_error() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let id = group(&alice, "Syntax", "bob");
    let plain = send(&alice, id, "AND NEAR OR NOT words");
    let typed = [
        "%22",
        "*",
        "NEAR(",
        "AND",
        "-",
        "(((",
        "%22unbalanced",
        "a%20OR%20b",
        "%5E%2B%7B",
        "%00",
        "NOT%20words",
    ];
    for query in typed {
        let res = alice.get(&format!("/search?q={query}"));
        assert_eq!(res.status, 200, "{query}: {}", res.body);
    }
    assert!(
        search(&alice, "near").contains(&format!("#m{plain}")),
        "NEAR is a word"
    );
    // What fits in a search box; the corpus's longest texts would only make over-long addresses.
    for text in hostile_texts().iter().filter(|t| t.len() <= 1_000) {
        let query = percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC);
        let res = alice.get_with(&format!("/search?q={query}"), &[("HX-Request", "true")]);
        assert_eq!(res.status, 200, "{text:?}: {}", res.body);
        assert!(!res.body.contains("<script"), "{text:?}");
    }
}

#[test]
fn htmx_gets_only_the_results_and_results_are_paged() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let id = group(&alice, "Many", "bob");
    for i in 0..23 {
        send(&alice, id, &format!("report number {i}"));
    }
    let fragment = alice.get_with("/search?q=report", &[("HX-Request", "true")]);
    assert_eq!(fragment.status, 200);
    assert!(!fragment.body.contains("<html"));
    assert_eq!(fragment.body.matches("class=\"search-hit\"").count(), 20);
    assert!(fragment.body.contains("number 22"), "newest first");
    assert!(fragment.body.contains("page=2"));
    let second = search(&alice, "report&page=2");
    assert_eq!(second.matches("class=\"search-hit\"").count(), 3);
    assert!(second.contains("number 0<"), "{second}");
}
