use crate::support::{PASSWORD, Server, assert_inert, cursor_in, group, hostile_texts, urlencode};

#[test]
fn unknown_pages_get_a_404_page_in_the_readers_language() {
    let server = Server::start();
    let english = server.client().get("/no/such/page");
    assert_eq!(english.status, 404);
    assert!(english.body.contains(r#"<html lang="en""#));
    assert!(english.body.contains("This page does not exist"));
    let french = server
        .client()
        .get_with("/no/such/page", &[("Accept-Language", "fr-FR,fr;q=0.9")]);
    assert_eq!(french.status, 404);
    assert!(french.body.contains(r#"<html lang="fr""#));
    assert!(french.body.contains("Cette page n'existe pas"));
    assert!(server.signed_up("alice", "Alice").get("/u/nobody").status == 404);
}

#[test]
fn the_accounts_language_wins_over_the_browsers() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let saved = alice.post_form(
        "/profile",
        &[("display_name", "Alice"), ("about", ""), ("language", "fr")],
    );
    assert_eq!(saved.status, 303);
    let page = alice.get_with("/u/alice", &[("Accept-Language", "en")]);
    assert!(page.body.contains(r#"<html lang="fr""#));
    assert!(page.body.contains("Membre depuis le "));
    let months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    assert!(
        months.iter().any(|m| page.body.contains(m)),
        "a French date"
    );
    // Back to following the browser.
    alice.post_form(
        "/profile",
        &[("display_name", "Alice"), ("about", ""), ("language", "")],
    );
    let page = alice.get_with("/u/alice", &[("Accept-Language", "en-GB")]);
    assert!(page.body.contains("Member since "));
}

#[test]
fn visitors_pick_their_language_on_the_login_page_and_keep_it_once_signed_up() {
    let server = Server::start();
    let visitor = server
        .client()
        .with_header("Accept-Language", "en-US,en;q=0.9");
    let login = visitor.get("/login?next=%2Fusers");
    assert!(login.body.contains(r#"<html lang="en""#));
    assert!(
        login
            .body
            .contains(r#"name="language" value="fr" lang="fr">Français</button>"#),
        "{}",
        login.body
    );
    let picked = visitor.post_form(
        "/language",
        &[("language", "fr"), ("next", "/login?next=%2Fusers")],
    );
    assert_eq!(picked.status, 303);
    assert_eq!(
        picked.location(),
        "/login?next=%2Fusers",
        "back where they were"
    );
    let login = visitor.get("/login");
    assert!(login.body.contains(r#"<html lang="fr""#), "{}", login.body);
    assert!(login.body.contains(">English</button>"), "and back again");
    let away = visitor.post_form(
        "/language",
        &[("language", "fr"), ("next", "https://evil.example/")],
    );
    assert_eq!(away.location(), "/login", "never off the site");
    assert_eq!(
        visitor.post_form("/language", &[("language", "xx")]).status,
        400
    );

    let res = visitor.post_form(
        "/signup",
        &[
            ("username", "zoe"),
            ("display_name", "Zoé"),
            ("password", crate::support::PASSWORD),
        ],
    );
    assert_eq!(res.status, 303);
    assert!(
        visitor.get("/").body.contains(r#"<html lang="fr""#),
        "signed up in French"
    );
}

#[test]
fn an_oversized_body_gets_a_413_page_and_changes_nothing() {
    let server = Server::start_with(&["--body-limit", "2000"]);
    let alice = server.signed_up("alice", "Alice");
    let about = "x".repeat(5000);
    let res = alice.post_form("/profile", &[("display_name", "Huge"), ("about", &about)]);
    assert_eq!(res.status, 413);
    assert!(res.body.contains("larger than this server accepts"));
    assert!(!alice.get("/u/alice").body.contains("Huge"));
}

#[test]
fn a_form_body_that_is_not_utf8_is_refused_and_nothing_stored() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let raw = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/invalid-utf8.bin"
    ))
    .unwrap_or_else(|_| b"\xff\xfe\xfd".to_vec());
    let mut body = b"about=&display_name=".to_vec();
    body.extend_from_slice(&raw);
    let res = alice.post_raw("/profile", "application/x-www-form-urlencoded", &body, &[]);
    assert_eq!(res.status, 400);
    assert!(res.body.contains("not valid text"));
    let encoded = alice.post_raw(
        "/profile",
        "application/x-www-form-urlencoded",
        b"display_name=caf%E9&about=",
        &[],
    );
    assert_eq!(encoded.status, 400);
    assert!(
        alice
            .get("/u/alice")
            .body
            .contains("<h1 id=\"page-title\">Alice</h1>"),
        "name unchanged"
    );
}

#[test]
fn wrong_types_in_the_address_get_a_400_page() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let res = alice.get("/users?q=a&page=abc");
    assert_eq!(res.status, 400);
    assert!(res.body.contains("not valid"));
}

#[test]
fn cross_site_posts_are_refused_but_scripts_are_not() {
    let server = Server::start();
    server.signed_up("alice", "Alice");
    let forged = server.client().post_raw(
        "/login",
        "application/x-www-form-urlencoded",
        format!("username=alice&password={PASSWORD}").as_bytes(),
        &[("Sec-Fetch-Site", "cross-site")],
    );
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("came from another site"));
    let foreign_origin = server.client().post_raw(
        "/login",
        "application/x-www-form-urlencoded",
        format!("username=alice&password={PASSWORD}").as_bytes(),
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(foreign_origin.status, 403);
    let same_origin = server.client().post_raw(
        "/login",
        "application/x-www-form-urlencoded",
        format!("username=alice&password={PASSWORD}").as_bytes(),
        &[
            ("Sec-Fetch-Site", "same-origin"),
            ("Origin", &format!("http://{}", &server.base[7..])),
        ],
    );
    assert_eq!(same_origin.status, 303);
    assert_eq!(
        server.client().login("alice", PASSWORD).status,
        303,
        "curl-like clients pass"
    );
}

#[test]
fn hostile_text_is_stored_as_data_and_shown_escaped() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let viewer = server.signed_up("bob", "Bob");
    for text in hostile_texts() {
        let name: String = text.chars().take(64).collect();
        let about: String = text.chars().take(500).collect();
        let res = alice.post_form("/profile", &[("display_name", &name), ("about", &about)]);
        assert!(
            res.status == 303 || res.status == 422,
            "{} for {text:?}",
            res.status
        );
        let page = viewer.get("/u/alice");
        assert_eq!(page.status, 200, "for {text:?}");
        assert_inert(&page.body, &format!("{text:?}"));
        let search = viewer.get(&format!("/users?q={}", urlencode(&name)));
        assert!(
            search.status == 200 || search.status == 400,
            "search {text:?}: {}",
            search.status
        );
    }
}

#[test]
fn pages_carry_security_headers_and_assets_are_cached_forever() {
    let server = Server::start();
    let login = server.client().get("/login");
    let csp = login.header("content-security-policy").expect("CSP");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(login.header("x-content-type-options"), Some("nosniff"));
    let css = login
        .body
        .split("href=\"/assets/app.")
        .nth(1)
        .expect("stylesheet link");
    let css_url = format!("/assets/app.{}", css.split('"').next().unwrap());
    let asset = server
        .client()
        .get_with(&css_url, &[("Accept-Encoding", "gzip")]);
    assert_eq!(asset.status, 200);
    assert!(
        asset
            .header("cache-control")
            .unwrap_or("")
            .contains("immutable")
    );
    assert_eq!(asset.header("content-encoding"), Some("gzip"));
    assert_eq!(
        server
            .client()
            .get("/assets/app.0000000000000000.css")
            .status,
        404
    );
    assert!(login.body.contains("htmx.min."), "htmx is linked");
}

#[test]
fn requests_are_logged_with_their_duration_but_polls_only_when_they_fail() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let cursor = cursor_in(&alice.get(&format!("/c/{id}")).body);
    assert_eq!(
        alice
            .get(&format!("/c/{id}/poll?after={cursor}&wait=0"))
            .status,
        200
    );
    assert_eq!(alice.get("/c/999999/poll?after=0&wait=0").status, 404);
    server.client().get("/healthz");
    let logged = |log: &str, path: &str, status: &str| {
        log.lines().any(|l| {
            l.contains(&format!("path={path} "))
                && l.contains(&format!("status={status}"))
                && l.contains("micros=")
        })
    };
    // The log is written by a thread of its own: the last request's line shows when all have.
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !logged(&server.log_text(), "/healthz", "200") && std::time::Instant::now() < give_up {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let log = server.log_text();
    assert!(logged(&log, "/healthz", "200"), "{log}");
    assert!(
        logged(&log, "/c/999999/poll", "404"),
        "a poll that fails is logged: {log}"
    );
    assert!(
        !logged(&log, &format!("/c/{id}/poll"), "200"),
        "every open tab polls all day long: a poll that answers is not logged: {log}"
    );
}

#[test]
fn pages_come_in_brotli_when_the_browser_takes_it_and_gzip_otherwise() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let (status, encoding, brotli) = alice.get_bytes_with("/", &[("Accept-Encoding", "gzip, br")]);
    assert_eq!((status, encoding.as_deref()), (200, Some("br")));
    let mut page = Vec::new();
    brotli::BrotliDecompress(&mut &brotli[..], &mut page).expect("valid Brotli");
    let page = String::from_utf8(page).expect("UTF-8");
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"),
        "the whole page: {page}"
    );
    let (_, encoding, gzip) = alice.get_bytes_with("/", &[("Accept-Encoding", "gzip")]);
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(
        brotli.len() < gzip.len(),
        "{} ≥ {}",
        brotli.len(),
        gzip.len()
    );
}
