//! Attacks tried from outside, each as an attacker would send it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{Client, PASSWORD, Server, cursor_in, number_after};

fn set_cookies(res: &crate::support::Response) -> Vec<&str> {
    res.headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.as_str())
        .collect()
}

fn signed_in(server: &Server, cookie: Option<String>) -> bool {
    let probe = server.client();
    probe.set_session_cookie(cookie);
    probe.get("/profile").status == 200
}

#[test]
fn a_request_running_across_a_password_change_gets_no_new_session() {
    let server = Server::start_with(&["--poll-hold", "3"]);
    let stolen = server.signed_up("alice", "Alice");
    let owner = server.client();
    assert_eq!(owner.login("alice", PASSWORD).status, 303);
    // A one-time notice waits in the stolen session: the poll below takes it, which changes
    // the session and makes its answer write the session back.
    let saved = stolen.post_form(
        "/profile",
        &[("display_name", "Alice"), ("about", ""), ("language", "")],
    );
    assert_eq!(saved.status, 303);
    let old_cookie = stolen.session_cookie();
    let cursor = cursor_in(&owner.get("/").body);

    std::thread::scope(|scope| {
        let poll = scope.spawn(|| stolen.get(&format!("/poll?after={cursor}")));
        std::thread::sleep(Duration::from_millis(500));
        let changed = owner.post_form(
            "/profile/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        );
        assert_eq!(changed.status, 303, "{}", changed.body);
        let answer = poll.join().unwrap();
        for cookie in set_cookies(&answer) {
            let pair = cookie.split(';').next().unwrap_or_default().to_owned();
            assert!(
                !signed_in(&server, Some(pair)),
                "the poll's answer handed out a live session: {cookie}"
            );
        }
    });
    assert!(!signed_in(&server, stolen.session_cookie()));
    assert!(!signed_in(&server, old_cookie), "the old cookie is refused");
    assert!(
        signed_in(&server, owner.session_cookie()),
        "the owner stays in"
    );
}

#[test]
fn a_request_running_across_a_logout_gets_no_new_session() {
    let server = Server::start_with(&["--poll-hold", "2"]);
    let alice = server.signed_up("alice", "Alice");
    let saved = alice.post_form(
        "/profile",
        &[("display_name", "Alice"), ("about", ""), ("language", "")],
    );
    assert_eq!(saved.status, 303);
    let stolen = server.client();
    stolen.set_session_cookie(alice.session_cookie());
    let cursor = cursor_in(&server.signed_up("bob", "Bob").get("/").body);
    std::thread::scope(|scope| {
        let poll = scope.spawn(|| stolen.get(&format!("/poll?after={cursor}")));
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(alice.post_form("/logout", &[]).status, 303);
        poll.join().unwrap();
    });
    assert!(!signed_in(&server, stolen.session_cookie()));
}

#[test]
fn after_login_only_a_plain_local_path_is_followed() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let res = alice.get("/login?next=/%09/evil.example");
    assert_eq!((res.status, res.location()), (303, "/"));
    let res = alice.get("/login?next=%2Fusers%3Fq%3Dbo");
    assert_eq!((res.status, res.location()), (303, "/users?q=bo"));

    for hostile in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: planted=1",
        "/\u{b}/evil.example",
        "/\0",
        "//evil.example",
        "https://evil.example",
    ] {
        let visitor = server.client();
        let res = visitor.post_form(
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", hostile),
            ],
        );
        assert_eq!(res.status, 303, "{hostile:?}: {}", res.body);
        assert_eq!(res.location(), "/", "{hostile:?}");
        assert!(res.header("planted").is_none());
    }
    let visitor = server.client();
    let res = visitor.post_form(
        "/login",
        &[
            ("username", "alice"),
            ("password", PASSWORD),
            ("next", "/u/alice"),
        ],
    );
    assert_eq!(res.location(), "/u/alice");
}

#[test]
fn someone_guessing_a_password_does_not_lock_its_owner_out() {
    let server = Server::start_with(&["--trust-proxy"]);
    server.signed_up("alice", "Alice");
    let guesser = server
        .client()
        .with_header("X-Forwarded-For", "203.0.113.9");
    let statuses: Vec<u16> = (0..8)
        .map(|i| guesser.login("alice", &format!("guess number {i}")).status)
        .collect();
    assert_eq!(&statuses[..5], &[401; 5]);
    assert_eq!(&statuses[5..], &[429; 3], "the guesser is slowed down");
    assert_eq!(
        guesser.login("alice", PASSWORD).status,
        429,
        "even with the right password, from the guessing address"
    );

    let owner = server
        .client()
        .with_header("X-Forwarded-For", "203.0.113.10");
    assert_eq!(
        owner.login("alice", PASSWORD).status,
        303,
        "the owner gets in"
    );

    let second_guesser = server
        .client()
        .with_header("X-Forwarded-For", "203.0.113.11");
    assert_eq!(second_guesser.login("alice", "one more guess").status, 401);
    assert_eq!(
        second_guesser.login("alice", "and another").status,
        429,
        "one wrong try per address while the account is under attack"
    );
}

#[test]
fn the_sign_up_form_is_no_fast_way_to_list_usernames() {
    let server = Server::start();
    server.signed_up("alice", "Alice");
    let prober = server.client();
    let try_name = |name: &str| {
        prober
            .post_form(
                "/signup",
                &[
                    ("username", name),
                    ("display_name", "Probe"),
                    ("password", "long enough passphrase"),
                ],
            )
            .status
    };
    for _ in 0..10 {
        assert_eq!(try_name("alice"), 422);
    }
    assert_eq!(try_name("alice"), 429);
    let res = prober.post_form(
        "/signup",
        &[
            ("username", "nobody-has-this"),
            ("display_name", "Probe"),
            ("password", "long enough passphrase"),
        ],
    );
    assert_eq!(res.status, 429, "free names too, or 429 would tell");
    assert!(
        res.body.contains("Too many sign-up attempts"),
        "{}",
        res.body
    );
    assert!(res.body.contains(r#"value="Probe""#), "the form is kept");
}

/// What the conversation list says of `conversation`'s unread messages ("" when none).
fn unread_in(client: &Client, conversation: u64) -> String {
    let home = client.get("/").body;
    let Some(start) = home.find(&format!("id=\"conv-{conversation}\"")) else {
        return String::new();
    };
    let entry = &home[start..];
    let entry = &entry[..entry.find("</li>").unwrap_or(entry.len())];
    entry
        .find("visually-hidden\">")
        .map(|at| &entry[at + "visually-hidden\">".len()..])
        .and_then(|text| text.split('<').next())
        .unwrap_or_default()
        .to_owned()
}

/// Read marks are written in batches; waits (generously) until `done` holds.
fn eventually(done: impl Fn() -> bool) -> bool {
    let give_up = Instant::now() + Duration::from_secs(10);
    while !done() {
        if Instant::now() > give_up {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

#[test]
fn a_read_mark_from_a_poll_is_clamped_and_never_taken_from_another_site() {
    let server = Server::start_with(&["--poll-hold", "1"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = number_after(bob.post_form("/dm/alice", &[]).location(), "/c/");
    let send = |from: &Client, conversation: u64, text: &str| {
        let res = from.post_form(&format!("/c/{conversation}/messages"), &[("body", text)]);
        assert_eq!(res.status, 303);
        number_after(res.location(), "#m")
    };
    send(&alice, id, "one");
    assert_eq!(unread_in(&bob, id), "1 unread message");
    let cursor = cursor_in(&bob.get("/").body);
    let res = bob.get(&format!(
        "/c/{id}/poll?after={cursor}&read=9000000000000&visible=1"
    ));
    assert_eq!(res.status, 200);
    assert!(
        eventually(|| unread_in(&bob, id).is_empty()),
        "the mark was written"
    );
    let two = send(&alice, id, "two");
    assert_eq!(
        unread_in(&bob, id),
        "1 unread message",
        "a mark beyond every message would hide the next one"
    );

    // Marks are written together in one batch: once a mark noted after the cross-site ones
    // shows, the cross-site ones would show too had they been noted.
    let carol = server.signed_up("carol", "Carol");
    let other = number_after(carol.post_form("/dm/bob", &[]).location(), "/c/");
    let from_carol = send(&carol, other, "hello bob");
    assert_eq!(unread_in(&bob, other), "1 unread message");
    for site in ["cross-site", "same-site"] {
        let res = bob.get_with(
            &format!("/c/{id}/poll?after={cursor}&read={two}&visible=1"),
            &[("Sec-Fetch-Site", site)],
        );
        assert_eq!(res.status, 200);
    }
    let res = bob.get(&format!(
        "/c/{other}/poll?after={cursor}&read={from_carol}&visible=1"
    ));
    assert_eq!(res.status, 200);
    assert!(
        eventually(|| unread_in(&bob, other).is_empty()),
        "the same-origin mark was written"
    );
    assert_eq!(
        unread_in(&bob, id),
        "1 unread message",
        "another site's page cannot mark messages read"
    );
}

#[test]
fn a_body_trickled_byte_by_byte_is_cut_off() {
    let server = Server::start();
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut socket = TcpStream::connect(&address).unwrap();
    socket
        .write_all(
            format!(
                "POST /login HTTP/1.1\r\nHost: {address}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let started = Instant::now();
    let mut writer = socket.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for _ in 0..60 {
            if writer.write_all(b"a").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = [0u8; 64];
    let read = socket.read(&mut answer).unwrap_or(0);
    let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
    drop(socket);
    trickle.join().unwrap();
}

#[test]
fn forwarding_headers_count_only_behind_a_trusted_proxy() {
    let server = Server::start();
    server.signed_up("alice", "Alice");
    let claims_https = server
        .client()
        .with_header("X-Forwarded-Proto", "https")
        .with_header("Forwarded", "proto=https");
    let res = claims_https.login("alice", PASSWORD);
    assert_eq!(res.status, 303);
    assert!(
        set_cookies(&res).iter().all(|c| !c.contains("Secure")),
        "{:?}",
        set_cookies(&res)
    );

    let evil = server.client();
    let refused = |headers: &[(&str, &str)]| {
        evil.post_raw(
            "/login",
            "application/x-www-form-urlencoded",
            b"username=alice&password=x",
            headers,
        )
        .status
    };
    assert_eq!(
        refused(&[
            ("Origin", "http://evil.example"),
            ("X-Forwarded-Host", "evil.example"),
        ]),
        403
    );
    assert_eq!(
        refused(&[
            ("Origin", "http://evil.example"),
            ("Forwarded", "host=evil.example"),
        ]),
        403
    );
    let https_origin = server.base.replace("http://", "https://");
    assert_eq!(
        refused(&[("Origin", &https_origin)]),
        403,
        "the scheme counts"
    );
    assert_eq!(
        refused(&[("Origin", &server.base)]),
        401,
        "our own origin passes"
    );

    let proxied = Server::start_with(&["--trust-proxy"]);
    proxied.signed_up("alice", "Alice");
    let behind_https = proxied.client().with_header("X-Forwarded-Proto", "https");
    let res = behind_https.login("alice", PASSWORD);
    assert!(
        set_cookies(&res).iter().any(|c| c.contains("; Secure")),
        "{:?}",
        set_cookies(&res)
    );
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_burst_of_logins_is_bounded_by_the_hashing_queue_not_by_memory() {
    let server = Server::start_with(&["--trust-proxy"]);
    server.signed_up("alice", "Alice");
    // 400 logins at once, each from its own address and for its own name, so that no rate limit
    // stops them first: only the hashing queue (two threads, 256 waiting) stands in the way.
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let attempts: Vec<_> = (0..400)
            .map(|i| {
                let client = server
                    .client()
                    .with_header("X-Forwarded-For", &format!("2001:db8::{i:x}"));
                scope.spawn(move || client.login(&format!("nobody{i}"), "wrong password").status)
            })
            .collect();
        attempts.into_iter().map(|a| a.join().unwrap()).collect()
    });
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(refused + checked, 400, "only 401 or 429: {statuses:?}");
    assert!(refused > 0, "the queue is bounded: {checked} checked");
    eprintln!(
        "login burst: {checked} checked, {refused} refused with 429, server RSS {} KB",
        rss_kb(server.pid())
    );
    assert!(
        rss_kb(server.pid()) < 150 * 1024,
        "{} KB after the burst",
        rss_kb(server.pid())
    );
    assert_eq!(
        server
            .client()
            .with_header("X-Forwarded-For", "2001:db8::ffff")
            .login("alice", PASSWORD)
            .status,
        303,
        "and the server still logs people in"
    );
}
