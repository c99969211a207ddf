use crate::support::{Client, PASSWORD, Server};

#[test]
fn signing_up_signs_you_in_and_welcomes_you() {
    let server = Server::start();
    let alice = server.signed_up("Alice", "Alice Martin");
    let home = alice.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Welcome, Alice Martin"), "{}", home.body);
    assert!(
        home.body.contains("Your account is ready"),
        "the welcome confirmation shows once"
    );
    assert!(
        !alice.get("/").body.contains("Your account is ready"),
        "and only once"
    );
    // The username was stored lower-case.
    assert!(alice.get("/u/alice").body.contains("@alice"));
}

#[test]
fn the_first_account_is_the_administrator() {
    let server = Server::start();
    let first = server.signed_up("first", "First");
    server.signed_up("second", "Second");
    assert!(first.get("/u/first").body.contains("Administrator"));
    assert!(!first.get("/u/second").body.contains("Administrator"));
}

#[test]
fn a_taken_username_in_any_case_is_refused_and_the_form_kept() {
    let server = Server::start();
    server.signed_up("alice", "Alice");
    let other = server.client();
    let res = other.post_form(
        "/signup",
        &[
            ("username", "ALICE"),
            ("display_name", "Second Alice"),
            ("password", "another good one"),
        ],
    );
    assert_eq!(res.status, 422);
    assert!(res.body.contains("already taken"));
    assert!(
        res.body.contains(r#"value="Second Alice""#),
        "input is kept"
    );
    assert!(
        res.body
            .contains(r#"aria-describedby="username-hint username-error""#)
    );
    assert_eq!(
        other.login("alice", "another good one").status,
        401,
        "nothing was stored"
    );
}

#[test]
fn sign_up_rules_are_explained_field_by_field() {
    let server = Server::start();
    let client = server.client();
    let res = client.post_form(
        "/signup",
        &[
            ("username", "a b"),
            ("display_name", "   "),
            ("password", "password"),
        ],
    );
    assert_eq!(res.status, 422);
    assert!(res.body.contains("<title>Error: "));
    assert!(res.body.contains("may only contain lower-case letters"));
    assert!(res.body.contains("Please enter a display name"));
    assert!(res.body.contains("most commonly used"));
    assert!(
        client.session_cookie().is_none(),
        "no session for a failed sign-up"
    );
}

#[test]
fn wrong_password_and_unknown_user_get_the_same_answer() {
    let server = Server::start();
    server.signed_up("alice", "Alice");
    let wrong_password = server.client().login("alice", "not the password");
    let unknown_user = server.client().login("nobody", "not the password");
    assert_eq!(wrong_password.status, 401);
    assert_eq!(unknown_user.status, 401);
    let message = |body: &str| body.contains("Wrong username or password.");
    assert!(message(&wrong_password.body) && message(&unknown_user.body));
    assert!(
        wrong_password.body.contains(r#"value="alice""#),
        "the username is kept"
    );
}

#[test]
fn login_returns_to_the_page_asked_for() {
    let server = Server::start();
    server.signed_up("alice", "Alice");
    let client = server.client();
    let asked = client.get("/profile");
    assert_eq!(asked.status, 303);
    assert_eq!(asked.location(), "/login?next=%2Fprofile");
    let form = client.get(asked.location());
    assert!(form.body.contains(r#"name="next" value="/profile""#));
    let res = client.post_form(
        "/login",
        &[
            ("username", "alice"),
            ("password", PASSWORD),
            ("next", "/profile"),
        ],
    );
    assert_eq!(res.location(), "/profile");
    let evil = server.client().post_form(
        "/login",
        &[
            ("username", "alice"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ],
    );
    assert_eq!(evil.location(), "/", "never redirected off-site");
}

#[test]
fn session_cookie_is_httponly_lax_and_secure_behind_https() {
    let server = Server::start_with(&["--trust-proxy"]);
    server.signed_up("alice", "Alice");
    let plain = server.client().login("alice", PASSWORD);
    let cookie = plain
        .header("set-cookie")
        .expect("session cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http cannot keep a Secure cookie: {cookie}"
    );
    let proxied = server
        .client()
        .with_header("X-Forwarded-Proto", "https")
        .login("alice", PASSWORD);
    let cookie = proxied.header("set-cookie").expect("session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[test]
fn logging_in_again_renews_the_session_and_logout_revokes_it() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let first = alice.session_cookie().expect("signed in");
    assert_eq!(alice.login("alice", PASSWORD).status, 303);
    let second = alice.session_cookie().expect("still signed in");
    assert_ne!(first, second, "a new session id at login");

    let stale = Client::new(&server.base);
    stale.set_session_cookie(Some(first));
    assert_eq!(stale.get("/").status, 303, "the old session id is dead");

    let copy = Client::new(&server.base);
    copy.set_session_cookie(Some(second));
    assert_eq!(copy.get("/").status, 200);
    assert_eq!(alice.post_form("/logout", &[]).location(), "/login");
    assert_eq!(
        copy.get("/").status,
        303,
        "logout deletes the session on the server"
    );
}

#[test]
fn changing_the_password_signs_out_every_other_session() {
    let server = Server::start();
    let laptop = server.signed_up("alice", "Alice");
    let phone = server.client();
    assert_eq!(phone.login("alice", PASSWORD).status, 303);

    let wrong = laptop.post_form(
        "/profile/password",
        &[
            ("current_password", "not it at all"),
            ("new_password", "a brand new secret"),
        ],
    );
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("current password is not correct"));

    let changed = laptop.post_form(
        "/profile/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a brand new secret"),
        ],
    );
    assert_eq!(changed.status, 303);
    assert!(
        laptop
            .get("/profile")
            .body
            .contains("Your password has been changed")
    );
    assert_eq!(
        phone.get("/").status,
        303,
        "the other device was signed out"
    );
    assert_eq!(server.client().login("alice", PASSWORD).status, 401);
    assert_eq!(
        server.client().login("alice", "a brand new secret").status,
        303
    );
}

#[test]
fn repeated_login_failures_are_slowed_down_with_a_clear_message() {
    let server = Server::start();
    server.signed_up("alice", "Alice");
    let attacker = server.client();
    for _ in 0..5 {
        assert_eq!(attacker.login("alice", "guess guess").status, 401);
    }
    let blocked = attacker.login("alice", PASSWORD);
    assert_eq!(blocked.status, 429, "even the right password waits");
    assert!(blocked.body.contains("Too many login attempts"));
}

#[test]
fn closed_registration_lets_only_administrators_create_accounts() {
    let server = Server::start_with(&["--registration", "closed"]);
    let visitor = server.client();
    assert!(
        visitor
            .get("/signup")
            .body
            .contains("Registration is closed")
    );
    assert!(
        !visitor.get("/login").body.contains("/signup"),
        "no sign-up link"
    );
    let refused = visitor.post_form(
        "/signup",
        &[
            ("username", "mallory"),
            ("display_name", "M"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(refused.status, 403);
    assert_eq!(
        visitor.login("mallory", PASSWORD).status,
        401,
        "nothing was created"
    );

    let (ok, out) = crate::support::run_cli(
        &[
            "user",
            "add",
            "boss",
            "--admin",
            "--data",
            server.data.to_str().unwrap(),
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    let admin = server.client();
    assert_eq!(admin.login("boss", PASSWORD).status, 303);
    assert!(admin.get("/signup").body.contains("Add an account"));
    let created = admin.post_form(
        "/signup",
        &[
            ("username", "newbie"),
            ("display_name", "New Person"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(created.location(), "/u/newbie");
    assert_eq!(server.client().login("newbie", PASSWORD).status, 303);
    assert_eq!(
        admin.get("/").status,
        200,
        "the administrator stays signed in as themself"
    );
}

#[test]
fn browsing_does_not_rewrite_the_session_on_every_page() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    // The first page shows the welcome confirmation and so changes the session once.
    alice.get("/");
    for path in ["/", "/profile", "/users?q=a"] {
        let res = alice.get(path);
        assert_eq!(res.status, 200);
        assert!(
            res.header("set-cookie").is_none(),
            "{path} re-sent the session cookie"
        );
    }
}

#[test]
fn a_second_process_sees_profile_and_logout_changes_within_a_second() {
    // Hosts such as Passenger run several app processes on one database; each keeps the
    // sessions and accounts it has read in memory.
    let first = Server::start();
    let second = Server::start_in(&first.data, &[]);
    let alice = first.signed_up("alice", "Alice");
    let elsewhere = second.client();
    elsewhere.set_session_cookie(alice.session_cookie());
    assert!(elsewhere.get("/profile").body.contains(r#"value="Alice""#));

    let saved = alice.post_form(
        "/profile",
        &[
            ("display_name", "Alice Liddell"),
            ("about", ""),
            ("language", "fr"),
        ],
    );
    assert_eq!(saved.status, 303);
    // Within a second as a rule; the ceiling is generous so a busy machine does not fail it.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = elsewhere.get("/profile").body;
    while !(seen.contains(r#"value="Alice Liddell""#) && seen.contains(r#"lang="fr""#))
        && std::time::Instant::now() < until
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
        seen = elsewhere.get("/profile").body;
    }
    assert!(seen.contains(r#"value="Alice Liddell""#), "the new name");
    assert!(
        seen.contains(r#"lang="fr""#),
        "the new language (kept in the session)"
    );

    assert_eq!(alice.post_form("/logout", &[]).status, 303);
    // Within a second as a rule; the ceiling is generous so a busy machine does not fail it.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while elsewhere.get("/profile").status == 200 && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        elsewhere.get("/profile").status,
        303,
        "logged out everywhere"
    );
}
