//! Administration through the web: the monitoring page, people, password resets, /metrics.

use crate::support::{
    PASSWORD, Server, corpus_file, group, number_after, run_cli, send, stored_files,
};

#[test]
fn the_monitoring_page_shows_the_instance_and_the_latest_warnings() {
    let server = Server::start();
    let root = server.signed_up("root", "Root");
    let alice = server.signed_up("alice", "Alice");
    let id = group(&alice, "Busy", "");
    send(&alice, id, "one");
    send(&alice, id, "two");
    let png = corpus_file("tiny.png");
    let sent = alice.post_multipart(
        &format!("/c/{id}/messages"),
        &[("body", "")],
        &[("files", "gone.png", &png)],
    );
    assert_eq!(sent.status, 303);
    let file = number_after(
        &alice.get(&format!("/c/{id}")).body,
        &format!("/c/{id}/files/"),
    );
    // A file lost from the disk: its download is a 404 and a warning for the operator.
    for stored in stored_files(&server.data, "files") {
        std::fs::remove_file(server.data.join("files").join(stored)).unwrap();
    }
    assert_eq!(alice.get(&format!("/c/{id}/files/{file}")).status, 404);

    let page = root.get("/admin").body;
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");
    assert!(
        page.contains("<svg") && page.contains("role=\"img\""),
        "a chart"
    );
    assert!(page.contains("<table>"), "and the same figures as a table");
    assert!(
        page.contains("<dt>People who wrote today</dt><dd>1</dd>"),
        "alice wrote today: {page}"
    );
    assert!(
        page.contains("a stored file is missing"),
        "the warning is listed: {page}"
    );
    assert!(page.contains("Polls waiting now"));
    assert!(
        root.get("/").body.contains("href=\"/admin\""),
        "administrators find it in the menu"
    );
    assert!(
        !alice.get("/").body.contains("href=\"/admin\""),
        "others do not"
    );
}

#[test]
fn administrators_disable_promote_and_reset_people_from_the_web() {
    let server = Server::start();
    let root = server.signed_up("root", "Root");
    let bob = server.signed_up("bob", "Bob");
    let list = root.get("/admin/people?q=bob").body;
    assert!(list.contains("Disable Bob"), "{list}");

    let res = root.post_form("/admin/people/bob/disable", &[]);
    assert_eq!(res.status, 303);
    assert_eq!(bob.get("/").status, 303, "bob is signed out at once");
    assert_eq!(bob.login("bob", PASSWORD).status, 403);
    let list = root.get(res.location()).body;
    assert!(
        list.contains("disabled") && list.contains("Enable Bob"),
        "{list}"
    );
    assert_eq!(root.post_form("/admin/people/bob/enable", &[]).status, 303);
    assert_eq!(bob.login("bob", PASSWORD).status, 303);

    let refused = root.post_form("/admin/people/root/remove-admin", &[]);
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("no active administrator"),
        "{}",
        refused.body
    );
    assert_eq!(
        root.post_form("/admin/people/bob/make-admin", &[]).status,
        303
    );
    assert_eq!(bob.get("/admin").status, 200, "bob administers now");
    assert_eq!(
        root.post_form("/admin/people/bob/remove-admin", &[]).status,
        303
    );
    assert_eq!(bob.get("/admin").status, 404);

    let reset = root.post_form("/admin/people/bob/password", &[]);
    assert_eq!(reset.status, 200);
    assert_eq!(reset.header("cache-control"), Some("no-store"));
    let at = reset.body.find("<code>").expect("the password is shown") + "<code>".len();
    let temporary: String = reset.body[at..].chars().take(19).collect();
    assert_eq!(bob.get("/").status, 303, "signed out by the reset");
    assert_eq!(
        bob.login("bob", PASSWORD).status,
        401,
        "the old password is gone"
    );
    assert_eq!(bob.login("bob", &temporary).status, 303, "{temporary}");
    assert_eq!(
        root.post_form("/admin/people/nobody/disable", &[]).status,
        404
    );
    assert_eq!(root.post_form("/admin/people/bob/explode", &[]).status, 404);
}

#[test]
fn metrics_are_served_for_prometheus_only_when_asked_for() {
    let server = Server::start_with(&["--metrics"]);
    let root = server.signed_up("root", "Root");
    let id = group(&root, "Numbers", "");
    send(&root, id, "counted");
    let metrics = server.client().get("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    for line in [
        "# TYPE bavard_parked_polls gauge",
        "bavard_messages 1",
        "bavard_accounts 1",
    ] {
        assert!(metrics.body.contains(line), "{line} in {}", metrics.body);
    }
}

#[test]
fn an_invitation_link_lets_one_person_sign_up_while_registration_is_closed() {
    let server = Server::start_with(&["--registration", "closed"]);
    let data = server.data.to_str().unwrap().to_owned();
    let (ok, out) = run_cli(
        &["user", "add", "root", "--admin", "--data", &data],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    let root = server.client();
    assert_eq!(root.login("root", PASSWORD).status, 303);
    let made = root.post_form("/admin/invites", &[]);
    assert_eq!(made.status, 200);
    let at = made
        .body
        .find("/signup?invite=")
        .expect("the link is shown");
    let link: String = made.body[at..].chars().take_while(|c| *c != '"').collect();
    let key = link.trim_start_matches("/signup?invite=").to_owned();

    let visitor = server.client();
    assert_eq!(visitor.get("/signup").status, 200);
    assert!(
        visitor.get("/signup").body.contains("closed"),
        "no link, no form"
    );
    let form = visitor.get(&link);
    assert!(form.body.contains("You were invited"), "{}", form.body);
    let fields = |name: &'static str| {
        vec![
            ("username", name),
            ("display_name", name),
            ("password", PASSWORD),
            ("invite", key.as_str()),
        ]
    };
    let joined = visitor.post_form("/signup", &fields("carol"));
    assert_eq!(joined.status, 303, "{}", joined.body);
    assert_eq!(visitor.get("/").status, 200, "signed in");

    let second = server.client();
    assert_eq!(second.get(&link).status, 410, "used up");
    let refused = second.post_form("/signup", &fields("dave"));
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("used or has expired"),
        "{}",
        refused.body
    );
    let without = second.post_form("/signup", &fields("dave")[..3]);
    assert_eq!(without.status, 403);
}
