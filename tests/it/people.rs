use crate::support::Server;

#[test]
fn people_are_found_by_name_or_username_whatever_the_case() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("eloise", "Éloïse Dupont");
    server.signed_up("bob", "Bob Builder");
    let res = alice.get("/users?q=%C3%89LO%C3%8FSE");
    assert_eq!(res.status, 200);
    assert!(res.body.contains(r#"href="/u/eloise""#), "{}", res.body);
    assert!(!res.body.contains(r#"href="/u/bob""#));
    let by_username = alice.get("/users?q=BOB");
    assert!(by_username.body.contains("Bob Builder"));
    let none = alice.get("/users?q=zzz");
    assert!(none.body.contains("Nobody matches"));
}

#[test]
fn search_results_are_paged() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    for i in 0..22 {
        server.signed_up(&format!("member{i:02}"), &format!("Member {i:02}"));
    }
    let first = alice.get("/users?q=member");
    assert_eq!(first.body.matches("class=\"person\"").count(), 20);
    assert!(first.body.contains("/users?q=member&amp;page=2"));
    let second = alice.get("/users?q=member&page=2");
    assert_eq!(second.body.matches("class=\"person\"").count(), 2);
    assert!(second.body.contains("page=1"), "a way back");
}

#[test]
fn htmx_search_gets_only_the_results_fragment() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let res = alice.get_with("/users?q=ali", &[("HX-Request", "true")]);
    assert_eq!(res.status, 200);
    assert!(!res.body.contains("<html"));
    assert!(res.body.contains(r#"href="/u/alice""#));
}

#[test]
fn profiles_are_edited_with_rules_and_shown_to_others() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let too_long = "n".repeat(65);
    let refused = alice.post_form(
        "/profile",
        &[("display_name", &too_long), ("about", "Keeps bees.")],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("at most 64 characters"));
    assert!(refused.body.contains("Keeps bees."), "input kept");
    assert!(
        bob.get("/u/alice")
            .body
            .contains("<h1 id=\"page-title\">Alice</h1>"),
        "nothing stored"
    );

    let saved = alice.post_form(
        "/profile",
        &[
            ("display_name", "  Alice Liddell  "),
            ("about", "Keeps bees.\nLikes tea."),
        ],
    );
    assert_eq!(saved.location(), "/profile");
    let own = alice.get("/profile").body;
    assert!(own.contains("Your profile has been saved"));
    assert!(
        own.contains(r#"value="Alice Liddell""#),
        "the new name shows at once on one's own pages"
    );
    let seen = bob.get("/u/alice");
    assert!(
        seen.body
            .contains("<h1 id=\"page-title\">Alice Liddell</h1>")
    );
    assert!(seen.body.contains("Keeps bees.\nLikes tea."));
    assert!(seen.body.contains(">AL</span>"), "initials avatar");
    assert!(
        bob.get("/users?q=liddell").body.contains("Alice Liddell"),
        "search sees the new name"
    );
}

#[test]
fn signed_out_visitors_cannot_see_people() {
    let server = Server::start();
    server.signed_up("alice", "Alice");
    let visitor = server.client();
    assert_eq!(visitor.get("/u/alice").status, 303);
    assert_eq!(visitor.get("/users?q=a").status, 303);
    let htmx = visitor.get_with("/users?q=a", &[("HX-Request", "true")]);
    assert_eq!(htmx.status, 401);
    assert!(
        htmx.header("hx-redirect")
            .unwrap_or("")
            .starts_with("/login")
    );
}

#[test]
fn a_group_is_made_by_ticking_people_in_search_results_without_javascript() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob Brown");
    server.signed_up("carol", "Carol");
    let found = alice.get("/c/new?title=Trio&members=&q=bob").body;
    assert!(
        found.contains(r#"type="checkbox" id="pick-bob" name="pick.bob""#),
        "{found}"
    );
    // Ticking Bob, then searching for Carol: Bob is kept in the members.
    let again = alice
        .get("/c/new?title=Trio&members=&q=carol&pick.bob=on")
        .body;
    assert!(
        again.contains(r#"name="members" type="text" value="bob""#),
        "{again}"
    );
    assert!(again.contains(r#"name="pick.carol""#));
    let made = alice.post_form(
        "/c",
        &[("title", "Trio"), ("members", "bob"), ("pick.carol", "on")],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let page = alice.get(made.location()).body;
    assert!(page.contains("3 members"), "{page}");
}
