//! Incoming webhooks: a group's member makes one and gets its secret address once; a POST of
//! `text` there (a form or JSON) posts as a named bot, live, rate-limited.

use crate::support::{Server, cursor_in, group};

fn address_in(html: &str) -> String {
    let start = html.find("http://").expect("an address");
    let rest = &html[start..];
    rest[..rest.find('"').expect("quoted")].to_owned()
}

fn post_json(address: &str, json: &str) -> u16 {
    match ureq::post(address)
        .set("Content-Type", "application/json")
        .send_string(json)
    {
        Ok(res) => res.status(),
        Err(ureq::Error::Status(status, _)) => status,
        Err(e) => panic!("{e}"),
    }
}

fn post_text(address: &str, text: &str) -> (u16, String) {
    match ureq::post(address).send_form(&[("text", text)]) {
        Ok(res) => (res.status(), res.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(status, res)) => (status, res.into_string().unwrap_or_default()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_webhook_posts_as_its_bot_live_and_only_with_its_secret() {
    let mut server = Server::start_with(&["--poll-hold", "5"]);
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let mallory = server.signed_up("mallory", "Mallory");
    let id = group(&alice, "Team", "bob");

    let made = bob.post_form(&format!("/c/{id}/webhooks"), &[("name", "Build bot")]);
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(made.header("cache-control"), Some("no-store"));
    let address = address_in(&made.body);
    let secret = address.rsplit('/').next().unwrap().to_owned();
    assert_eq!(secret.len(), 64, "256 random bits: {address}");
    assert!(
        alice.get(&format!("/c/{id}")).body.contains("Build bot")
            && !alice.get(&format!("/c/{id}")).body.contains(&secret),
        "listed for every member, its secret shown to nobody again"
    );

    let cursor = cursor_in(&alice.get(&format!("/c/{id}")).body);
    let (status, answer) = post_text(&address, "Build 41 passed");
    assert_eq!(status, 201, "{answer}");
    assert!(answer.contains("\"message\":"), "{answer}");
    let live = alice.get(&format!("/c/{id}/poll?after={cursor}"));
    assert!(live.body.contains("Build 41 passed"), "{}", live.body);
    assert!(live.body.contains("Build bot") && live.body.contains("bot</span>"));
    assert_eq!(
        post_json(&address, r#"{"text": "Build 42 failed, @alice"}"#),
        201
    );
    assert!(
        alice.get("/").body.contains("mention of you"),
        "a bot's mention counts"
    );

    let mut wrong = secret.clone().into_bytes();
    wrong[63] = if wrong[63] == b'0' { b'1' } else { b'0' };
    let wrong = address.replace(&secret, std::str::from_utf8(&wrong).unwrap());
    assert_eq!(post_text(&wrong, "intruder").0, 404);
    assert_eq!(
        post_text(&address.replace(&secret, "short"), "intruder").0,
        404
    );
    assert_eq!(post_json(&address, "{not json"), 400);
    assert_eq!(post_text(&address, "   ").0, 400, "nothing to say");

    assert_eq!(
        mallory
            .post_form(&format!("/c/{id}/webhooks"), &[("name", "Spy")])
            .status,
        404
    );
    let dm = crate::support::number_after(alice.post_form("/dm/bob", &[]).location(), "/c/");
    assert_eq!(
        alice
            .post_form(&format!("/c/{dm}/webhooks"), &[("name", "x")])
            .status,
        400,
        "webhooks are for groups"
    );

    let mut limited = 0;
    for n in 0..15 {
        if post_text(&address, &format!("flood {n}")).0 == 429 {
            limited += 1;
        }
    }
    assert!(limited > 0, "a flood is slowed down");

    server.terminate();
    let key = std::fs::read_to_string(server.data.join("bavard.key")).unwrap();
    let db = rusqlite::Connection::open(server.data.join("bavard.sqlite3")).unwrap();
    db.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.trim()))
        .unwrap();
    let stored: String = db
        .query_row("SELECT secret_hash FROM webhooks", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, secret, "only a hash of the secret is kept");
    assert!(!stored.contains(&secret));
}

#[test]
fn removing_a_webhook_stops_its_address() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let made = alice.post_form(&format!("/c/{id}/webhooks"), &[("name", "Deploys")]);
    let address = address_in(&made.body);
    let hook = address.split('/').rev().nth(1).unwrap().to_owned();
    let nameless = alice.post_form(&format!("/c/{id}/webhooks"), &[("name", " ")]);
    assert_eq!(nameless.status, 422);
    assert!(nameless.body.contains("Give the bot a name."));
    let removed = alice.post_form(&format!("/c/{id}/webhooks/{hook}/delete"), &[]);
    assert_eq!(removed.status, 303);
    assert_eq!(post_text(&address, "too late").0, 404);
}
