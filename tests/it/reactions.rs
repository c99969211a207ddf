//! Reactions: members put them on messages and take them back; everyone sees them change in
//! place, never as a new message.

use crate::support::{Client, Server, cursor_in, group, send};

fn reactions_of(html: &str, message: u64) -> String {
    let start = html
        .find(&format!("id=\"reactions-{message}\""))
        .unwrap_or_else(|| panic!("no reactions for message {message} in {html}"));
    let end = html[start..]
        .find("</form>")
        .or_else(|| html[start..].find("</div>"))
        .map_or(html.len(), |e| start + e);
    html[start..end].to_owned()
}

/// Dédé, who reads Bavard in French, added to the group by its owner.
fn french_member(server: &Server, owner: &Client, group: u64) -> Client {
    let french = server.signed_up("dede", "Dédé");
    french.post_form(
        "/profile",
        &[("display_name", "Dédé"), ("about", ""), ("language", "fr")],
    );
    owner.post_form(&format!("/c/{group}/members"), &[("members", "dede")]);
    french
}

#[test]
fn a_reaction_reaches_the_others_in_place_and_choosing_it_again_takes_it_back() {
    let server = Server::start_with(&["--poll-hold", "5"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let carol = server.signed_up("carol", "Carol");
    let id = group(&alice, "Team", "bob carol");
    let message = send(&alice, id, "Lunch at noon?");
    let react = format!("/c/{id}/messages/{message}/reactions");
    let cursor = cursor_in(&carol.get(&format!("/c/{id}")).body);

    let done = bob.post_form(&react, &[("reaction", "thumbs-up")]);
    assert_eq!(done.status, 303, "a plain form goes back to the message");
    assert_eq!(done.location(), format!("/c/{id}#m{message}"));
    let answer = carol.get(&format!("/c/{id}/poll?after={cursor}"));
    assert!(
        answer.body.contains(&format!(
            r#"<div id="reactions-{message}" hx-swap-oob="innerHTML">"#
        )),
        "only the reactions are redrawn: {}",
        answer.body
    );
    assert!(
        !answer.body.contains(&format!(r#"id="m{message}""#))
            && !answer.body.contains("beforeend:#messages"),
        "the message is neither added nor drawn again, so the log does not read it out: {}",
        answer.body
    );
    assert!(answer.body.contains("One person reacted with thumbs up"));

    let carol_htmx = server.client().with_header("HX-Request", "true");
    carol_htmx.set_session_cookie(carol.session_cookie());
    let htmx = carol_htmx.post_form(&react, &[("reaction", "thumbs-up")]);
    assert_eq!(htmx.status, 204, "htmx waits for the poll");
    let page = alice.get(&format!("/c/{id}"));
    let shown = reactions_of(&page.body, message);
    assert!(shown.contains("2 people reacted with thumbs up"), "{shown}");
    assert!(
        shown.contains("Bob") && shown.contains("Carol"),
        "who reacted: {shown}"
    );

    bob.post_form(&react, &[("reaction", "thumbs-up")]);
    bob.post_form(&react, &[("reaction", "party")]);
    let shown = reactions_of(&alice.get(&format!("/c/{id}")).body, message);
    assert!(
        shown.contains("One person reacted with thumbs up"),
        "Bob took his back: {shown}"
    );
    assert!(
        shown.contains("One person reacted with celebration"),
        "{shown}"
    );
    assert!(
        shown.find("thumbs up") < shown.find("celebration"),
        "in the order they were first chosen: {shown}"
    );

    let french = french_member(&server, &alice, id);
    let page = french.get(&format!("/c/{id}"));
    let shown = reactions_of(&page.body, message);
    assert!(
        shown.contains("Une personne a réagi avec pouce levé"),
        "{shown}"
    );
}

#[test]
fn only_members_react_and_only_to_what_people_wrote() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let mallory = server.signed_up("mallory", "Mallory");
    let id = group(&alice, "Team", "bob");
    let message = send(&alice, id, "hello");
    let react = |m: u64| format!("/c/{id}/messages/{m}/reactions");

    let outsider = mallory.post_form(&react(message), &[("reaction", "heart")]);
    assert_eq!(
        outsider.status, 404,
        "a conversation one is not in does not exist"
    );
    assert_eq!(
        bob.post_form(
            &format!("/c/{id}/messages/999999/reactions"),
            &[("reaction", "heart")]
        )
        .status,
        404
    );
    let unknown = bob.post_form(&react(message), &[("reaction", "<script>")]);
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.body.contains("not one of those offered"),
        "{}",
        unknown.body
    );
    assert!(!unknown.body.contains("<script>"));

    let page = bob.get(&format!("/c/{id}"));
    let notice = crate::support::message_ids(&page.body)[0];
    let on_notice = bob.post_form(&react(notice), &[("reaction", "heart")]);
    assert_eq!(
        on_notice.status, 400,
        "the group's creation notice takes none"
    );

    alice.post_form(&format!("/c/{id}/messages/{message}/delete"), &[]);
    let on_deleted = bob.post_form(&react(message), &[("reaction", "heart")]);
    assert_eq!(on_deleted.status, 400);
    assert!(
        !bob.get(&format!("/c/{id}")).body.contains("reacted with"),
        "nothing was stored by any refusal"
    );
}

#[test]
fn without_javascript_react_leads_to_a_page_of_the_six_and_back() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let message = send(&alice, id, "Lunch at noon?");
    let react = format!("/c/{id}/messages/{message}/reactions");

    let conversation = bob.get(&format!("/c/{id}"));
    assert!(
        conversation.body.contains(&format!(r#"href="{react}""#)),
        "the message's React menu links to its reactions page"
    );
    assert_eq!(
        conversation.body.matches(r#"value="thumbs-up""#).count(),
        1,
        "the six buttons are drawn once for the page (app.js copies them), not per message"
    );

    let page = bob.get(&react);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Alice wrote:") && page.body.contains("Lunch at noon?"));
    assert!(
        page.body.contains(r#"title="React with heart""#)
            && page.body.contains(&format!(r#"action="{react}""#)),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Reactions so far"));

    let chosen = bob.post_form(&react, &[("reaction", "heart")]);
    assert_eq!(chosen.location(), format!("/c/{id}#m{message}"));
    let page = alice.get(&react);
    assert!(
        page.body.contains("Reactions so far")
            && page.body.contains("One person reacted with heart"),
        "{}",
        page.body
    );

    let notice = crate::support::message_ids(&conversation.body)[0];
    assert_eq!(
        bob.get(&format!("/c/{id}/messages/{notice}/reactions"))
            .status,
        400,
        "a notice takes no reactions"
    );
    let french = french_member(&server, &alice, id);
    let page = french.get(&react);
    assert!(page.body.contains("Alice a écrit :"), "{}", page.body);
    assert!(page.body.contains("Réagir avec cœur"), "{}", page.body);
}
