//! Web Push: direct messages and mentions reach a person's browsers while no page of theirs is
//! open, encrypted to each browser, through a push service (here a fake one on loopback, which
//! decrypts what it gets with the browser's key, as the browser would).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};

use crate::support::{Client, Server, group, send};

/// One request the push service received.
struct Pushed {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Pushed {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A push service on loopback: answers 201, or 410 for addresses under `/gone`.
fn push_service() -> (String, mpsc::Receiver<Pushed>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
            let mut headers = Vec::new();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap();
                headers.push((name.to_owned(), value.trim().to_owned()));
            }
            let length: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let status = if path.starts_with("/gone") {
                "410 Gone"
            } else {
                "201 Created"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = tx.send(Pushed {
                path,
                headers,
                body,
            });
        }
    });
    (base, rx)
}

/// A browser's push keys, as `PushManager.subscribe` makes them.
struct BrowserKeys {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl BrowserKeys {
    fn new() -> BrowserKeys {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).unwrap();
        let mut auth = [0u8; 16];
        getrandom::fill(&mut auth).unwrap();
        BrowserKeys {
            secret: p256::SecretKey::from_slice(&bytes).unwrap(),
            auth,
        }
    }

    fn subscribe(&self, person: &Client, endpoint: &str) -> u16 {
        let public = self.secret.public_key().to_sec1_bytes();
        person
            .post_form(
                "/profile/push",
                &[
                    ("endpoint", endpoint),
                    ("p256dh", &Base64UrlUnpadded::encode_string(&public)),
                    ("auth", &Base64UrlUnpadded::encode_string(&self.auth)),
                ],
            )
            .status
    }

    /// What the browser shows: the payload decrypted with its own key.
    fn read(&self, pushed: &Pushed) -> serde_json::Value {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plain = web_push_native::decrypt(pushed.body.clone(), &self.secret, &auth)
            .expect("encrypted to this browser");
        serde_json::from_slice(&plain).unwrap()
    }
}

fn next(server: &Server, pushes: &mpsc::Receiver<Pushed>) -> Pushed {
    pushes
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| {
            panic!(
                "no push within seconds; the server said:\n{}",
                server.log_text()
            )
        })
}

#[test]
fn closed_tabs_hear_of_direct_messages_and_mentions_and_open_ones_do_not() {
    let (service, pushes) = push_service();
    let server = Server::start_with(&["--push-loopback", "--poll-hold", "1"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let carol = server.signed_up("carol", "Carol");
    let (bobs, carols) = (BrowserKeys::new(), BrowserKeys::new());
    assert_eq!(bobs.subscribe(&bob, &format!("{service}/bob")), 303);
    assert_eq!(carols.subscribe(&carol, &format!("{service}/carol")), 303);
    let profile = bob.get("/profile").body;
    assert!(
        profile.contains("Stop notifications in Browser"),
        "his browser is listed, removable: {profile}"
    );

    let dm = alice.post_form("/dm/bob", &[]);
    let direct = crate::support::number_after(dm.location(), "/c/");
    let first = send(&alice, direct, "Are you there?");
    let pushed = next(&server, &pushes);
    assert_eq!(pushed.path, "/bob");
    assert_eq!(pushed.header("content-encoding"), "aes128gcm");
    assert!(pushed.header("ttl").parse::<u64>().unwrap() > 0);
    let authorization = pushed.header("authorization");
    let page_key = profile
        .split("data-key=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(
        authorization.starts_with("vapid t=")
            && authorization.ends_with(&format!(", k={page_key}")),
        "signed with the key browsers subscribed with: {authorization}"
    );
    let shown = bobs.read(&pushed);
    assert_eq!(shown["title"], "Alice");
    assert_eq!(shown["body"], "Are you there?");
    assert_eq!(shown["url"], format!("/c/{direct}#m{first}"));

    // In a group, only a mention asks; the plain message before it sends nothing.
    let team = group(&alice, "Team", "bob carol");
    send(&alice, team, "Lunch is ready");
    send(&alice, team, "@bob your plate is getting cold");
    let pushed = next(&server, &pushes);
    assert_eq!(pushed.path, "/bob", "the plain message was not pushed");
    assert_eq!(bobs.read(&pushed)["title"], "Alice · Team");

    // Bob opens Bavard: his page says it itself, and no push repeats it. Carol is away.
    bob.get("/poll?after=0&wait=0");
    send(&alice, team, "@bob @carol meeting moved to 3");
    let pushed = next(&server, &pushes);
    assert_eq!(pushed.path, "/carol");
    assert_eq!(
        carols.read(&pushed)["body"],
        "@bob @carol meeting moved to 3"
    );
    assert!(
        pushes.recv_timeout(Duration::from_millis(1500)).is_err(),
        "nothing for Bob, whose page is open"
    );
}

#[test]
fn a_browser_is_forgotten_when_its_service_says_gone_or_its_person_removes_it() {
    let (service, pushes) = push_service();
    let server = Server::start_with(&["--push-loopback"]);
    let alice = server.signed_up("alice", "Alice");
    let dave = server.signed_up("dave", "Dave");
    let keys = BrowserKeys::new();
    assert_eq!(keys.subscribe(&dave, &format!("{service}/gone/dave")), 303);
    let dm = alice.post_form("/dm/dave", &[]);
    send(
        &alice,
        crate::support::number_after(dm.location(), "/c/"),
        "Hello?",
    );
    assert_eq!(next(&server, &pushes).path, "/gone/dave");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while dave.get("/profile").body.contains("Stop notifications in") {
        assert!(std::time::Instant::now() < deadline, "still listed");
        std::thread::sleep(Duration::from_millis(100));
    }

    assert_eq!(keys.subscribe(&dave, &format!("{service}/dave")), 303);
    let profile = dave.get("/profile").body;
    let remove = profile
        .split("action=\"/profile/push/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/profile/push/{rest}"))
        .expect("a remove button");
    assert_eq!(
        alice.post_form(&remove, &[]).status,
        404,
        "not hers to remove"
    );
    assert_eq!(dave.post_form(&remove, &[]).status, 303);
    assert!(
        dave.get("/profile")
            .body
            .contains("No browser gets them yet.")
    );
}

#[test]
fn only_https_push_services_are_accepted_and_a_new_password_or_signing_out_stops_them() {
    let server = Server::start();
    let erin = server.signed_up("erin", "Erin");
    let keys = BrowserKeys::new();
    assert_eq!(
        keys.subscribe(&erin, "http://127.0.0.1:9/x"),
        400,
        "no loopback unless allowed"
    );
    assert_eq!(keys.subscribe(&erin, "http://push.example.net/x"), 400);
    assert_eq!(keys.subscribe(&erin, "file:///etc/passwd"), 400);
    assert_eq!(keys.subscribe(&erin, "https://push.example.net/x"), 303);
    let bad_keys = erin.post_form(
        "/profile/push",
        &[
            ("endpoint", "https://push.example.net/y"),
            ("p256dh", "AAAA"),
            ("auth", "AAAA"),
        ],
    );
    assert_eq!(bad_keys.status, 400);
    // A new password stops every browser: one may be in the hands it was changed against.
    assert!(erin.get("/profile").body.contains("Stop notifications in"));
    let changed = erin.post_form(
        "/profile/password",
        &[
            ("current_password", crate::support::PASSWORD),
            ("new_password", "a brand new passphrase"),
        ],
    );
    assert_eq!(changed.status, 303);
    assert!(
        erin.get("/profile")
            .body
            .contains("No browser gets them yet.")
    );

    // Signing out in a browser stops it there (app.js sends its endpoint with the form).
    let frank = server.signed_up("frank", "Frank");
    assert_eq!(
        keys.subscribe(&frank, "https://push.example.net/frank"),
        303
    );
    frank.post_form(
        "/logout",
        &[("push_endpoint", "https://push.example.net/frank")],
    );
    frank.login("frank", crate::support::PASSWORD);
    assert!(
        frank
            .get("/profile")
            .body
            .contains("No browser gets them yet.")
    );

    // The service worker that shows them, at the root so that it covers every page.
    let worker = erin.get("/sw.js");
    assert_eq!(worker.status, 200);
    assert!(worker.body.contains("showNotification"));
}
