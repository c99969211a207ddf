//! Who gets what: every route of the route table, asked by an anonymous visitor, a signed-in
//! person outside the conversation, a member, the message's author, and an administrator who
//! is not in it. A route added to `app::route_table` without a row here fails the suite.

use std::collections::BTreeMap;

use bavard::app::route_table;

use crate::support::{Client, Server, number_after};

/// Statuses for: anonymous, non-member, member, author, administrator (not a member).
type Row = [u16; 5];

/// The rules. 303 for an anonymous visitor is the way to the login page; 404 is what a
/// conversation looks like from outside (never 403, which would say it exists).
const RULES: &[(&str, &str, Row)] = &[
    ("GET", "/", [303, 200, 200, 200, 200]),
    ("GET", "/healthz", [200, 200, 200, 200, 200]),
    ("GET", "/assets/{file}", [200, 200, 200, 200, 200]),
    ("GET", "/viewer/{file}", [200, 200, 200, 200, 200]),
    ("GET", "/login", [200, 303, 303, 303, 303]),
    ("POST", "/login", [401, 401, 401, 401, 401]),
    ("GET", "/signup", [200, 303, 303, 303, 200]),
    ("POST", "/signup", [422, 422, 422, 422, 422]),
    ("GET", "/profile", [303, 200, 200, 200, 200]),
    ("POST", "/profile", [303, 422, 422, 422, 422]),
    ("POST", "/profile/password", [303, 422, 422, 422, 422]),
    // Not a multipart form: there is no picture in it.
    ("POST", "/profile/avatar", [303, 400, 400, 400, 400]),
    ("POST", "/profile/avatar/remove", [303, 303, 303, 303, 303]),
    ("GET", "/usage", [303, 200, 200, 200, 200]),
    // The author's picture: for everyone signed in.
    ("GET", "/avatars/{key}/{size}", [303, 200, 200, 200, 200]),
    // Administration: as if it did not exist, except for administrators.
    ("GET", "/admin", [303, 404, 404, 404, 200]),
    ("GET", "/admin/people", [303, 404, 404, 404, 200]),
    (
        "POST",
        "/admin/people/{username}/{action}",
        [303, 404, 404, 404, 303],
    ),
    // The administrator's answer is the new password, shown once.
    (
        "POST",
        "/admin/people/{username}/password",
        [303, 404, 404, 404, 200],
    ),
    // The answer is the link, shown once.
    ("POST", "/admin/invites", [303, 404, 404, 404, 200]),
    // Off unless --metrics.
    ("GET", "/metrics", [404, 404, 404, 404, 404]),
    ("GET", "/users", [303, 200, 200, 200, 200]),
    ("GET", "/u/{username}", [303, 200, 200, 200, 200]),
    ("GET", "/search", [303, 200, 200, 200, 200]),
    ("GET", "/poll", [303, 200, 200, 200, 200]),
    ("POST", "/c", [303, 422, 422, 422, 422]),
    ("GET", "/c/new", [303, 200, 200, 200, 200]),
    // The member here is bob, and there is no conversation with oneself.
    ("POST", "/dm/{username}", [303, 303, 400, 303, 303]),
    ("GET", "/c/{id}", [303, 404, 200, 200, 404]),
    ("GET", "/c/{id}/poll", [303, 404, 200, 200, 404]),
    // A fragment for htmx (asked as htmx does; opened plainly it redirects to its page).
    ("GET", "/c/{id}/history", [401, 404, 200, 200, 404]),
    ("POST", "/c/{id}/messages", [303, 404, 422, 422, 404]),
    ("POST", "/c/{id}/typing", [303, 404, 204, 204, 404]),
    ("GET", "/c/{id}/files/{file}", [303, 404, 200, 200, 404]),
    (
        "GET",
        "/c/{id}/files/{file}/thumb",
        [303, 404, 200, 200, 404],
    ),
    // Where "React" leads without JavaScript (before the message is deleted below).
    (
        "GET",
        "/c/{id}/messages/{message}/reactions",
        [303, 404, 200, 200, 404],
    ),
    (
        "GET",
        "/c/{id}/messages/{message}/edit",
        [303, 404, 403, 200, 404],
    ),
    (
        "POST",
        "/c/{id}/messages/{message}/edit",
        [303, 404, 403, 422, 404],
    ),
    (
        "POST",
        "/c/{id}/messages/{message}/delete",
        [303, 404, 403, 303, 404],
    ),
    // Without a reaction to choose.
    (
        "POST",
        "/c/{id}/messages/{message}/reactions",
        [303, 404, 400, 400, 404],
    ),
    // Without a name.
    ("POST", "/c/{id}/webhooks", [303, 404, 422, 422, 404]),
    (
        "POST",
        "/c/{id}/webhooks/{hook}/delete",
        [303, 404, 404, 404, 404],
    ),
    // Known only by its secret: for everyone else it does not exist.
    ("POST", "/hooks/{hook}/{secret}", [404, 404, 404, 404, 404]),
    // Token-authenticated: a browser's session is no token.
    ("GET", "/api/conversations", [401, 401, 401, 401, 401]),
    (
        "GET",
        "/api/conversations/{id}/messages",
        [401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/conversations/{id}/messages",
        [401, 401, 401, 401, 401],
    ),
    ("GET", "/profile/tokens", [303, 200, 200, 200, 200]),
    // Without a name.
    ("POST", "/profile/tokens", [303, 422, 422, 422, 422]),
    (
        "POST",
        "/profile/tokens/{token}/revoke",
        [303, 404, 404, 404, 404],
    ),
    // Without a subscription in the form.
    ("POST", "/profile/push", [303, 400, 400, 400, 400]),
    // Nobody's browser has that number.
    (
        "POST",
        "/profile/push/{id}/remove",
        [303, 404, 404, 404, 404],
    ),
    // The service worker, which shows pushed messages: public, like the other assets.
    ("GET", "/sw.js", [200, 200, 200, 200, 200]),
    // Without a level to choose.
    ("POST", "/c/{id}/notify", [303, 404, 400, 400, 404]),
    ("POST", "/c/{id}/members", [303, 404, 422, 422, 404]),
    ("POST", "/c/{id}/title", [303, 404, 422, 422, 404]),
    ("POST", "/c/{id}/leave", [303, 404, 303, 303, 404]),
    ("POST", "/logout", [303, 303, 303, 303, 303]),
    // Without a language to choose.
    ("POST", "/language", [400, 400, 400, 400, 400]),
];

/// Changes that would spoil the rows after them go last: leaving, then logging out.
fn order(method: &str, pattern: &str) -> u8 {
    match (method, pattern) {
        ("POST", "/c/{id}/leave") | ("POST", "/profile/avatar/remove") => 1,
        // Resetting the member's password signs them out.
        ("POST", "/admin/people/{username}/password") => 2,
        ("POST", "/logout") => 3,
        _ => 0,
    }
}

#[test]
fn every_route_has_a_rule_for_every_kind_of_visitor() {
    let table: Vec<(String, &str)> = route_table()
        .into_iter()
        .map(|(method, path, _)| (method.to_string(), path))
        .collect();
    let ruled: Vec<(String, &str)> = RULES
        .iter()
        .map(|(method, path, _)| ((*method).to_owned(), *path))
        .collect();
    for route in &table {
        assert!(
            ruled.contains(route),
            "{route:?} has no access rule in tests/it/access.rs"
        );
    }
    for rule in &ruled {
        assert!(table.contains(rule), "{rule:?} is ruled but not routed");
    }

    let server = Server::start();
    let admin = server.signed_up("root", "Root");
    let author = server.signed_up("alice", "Alice");
    let member = server.signed_up("bob", "Bob");
    let outsider = server.signed_up("mallory", "Mallory");
    let anonymous = server.client();
    let created = author.post_form("/c", &[("title", "Team"), ("members", "bob")]);
    let id = number_after(created.location(), "/c/");
    let sent = author.post_form(&format!("/c/{id}/messages"), &[("body", "hello")]);
    let message = number_after(sent.location(), "#m");
    let picture = crate::support::corpus_file("tiny.png");
    let with_file = author.post_multipart(
        &format!("/c/{id}/messages"),
        &[("body", "a picture")],
        &[("files", "tiny.png", &picture)],
    );
    assert_eq!(with_file.status, 303, "{}", with_file.body);
    let file = number_after(
        &author.get(&format!("/c/{id}")).body,
        &format!("/c/{id}/files/"),
    );
    let avatar = author.post_multipart("/profile/avatar", &[], &[("avatar", "me.png", &picture)]);
    assert_eq!(avatar.status, 303, "{}", avatar.body);
    let profile = author.get("/profile").body;
    let key_at = profile.find("/avatars/").expect("a picture on the profile") + "/avatars/".len();
    let key = profile[key_at..].chars().take(32).collect::<String>();
    let login_page = anonymous.get("/login").body;
    let asset = login_page
        .split("href=\"")
        .find_map(|rest| rest.strip_prefix("/assets/"))
        .and_then(|rest| rest.split('"').next())
        .expect("an asset on the login page")
        .to_owned();

    let file_id = file.to_string();
    let concrete = |pattern: &str| {
        let path = pattern
            .replace("{id}", &id.to_string())
            .replace("{message}", &message.to_string())
            .replace("{username}", "bob")
            .replace("{key}", &key)
            .replace("{size}", "64")
            .replace("{action}", "enable")
            .replace(
                "{file}",
                if pattern.starts_with("/assets") {
                    &asset
                } else if pattern.starts_with("/c/") {
                    &file_id
                } else {
                    "1.css"
                },
            );
        match pattern {
            "/poll" | "/c/{id}/poll" => format!("{path}?after=0"),
            "/c/{id}/history" => format!("{path}?before={message}"),
            _ => path,
        }
    };
    let visitors: [&Client; 5] = [&anonymous, &outsider, &member, &author, &admin];
    let mut rules: Vec<&(&str, &str, Row)> = RULES.iter().collect();
    rules.sort_by_key(|(method, path, _)| order(method, path));
    let mut wrong = BTreeMap::new();
    for (method, pattern, expected) in rules {
        let path = concrete(pattern);
        let got: Vec<u16> = visitors
            .iter()
            .map(|visitor| match (*method, *pattern) {
                ("GET", "/c/{id}/history") => {
                    visitor.get_with(&path, &[("HX-Request", "true")]).status
                }
                ("GET", _) => visitor.get(&path).status,
                _ => visitor.post_form(&path, &[]).status,
            })
            .collect();
        if got != expected {
            wrong.insert(format!("{method} {pattern}"), (expected.to_vec(), got));
        }
    }
    assert!(
        wrong.is_empty(),
        "expected vs. got (anonymous, non-member, member, author, admin): {wrong:#?}"
    );
}
