//! The token-authenticated API: tokens made on the profile (shown once, kept hashed,
//! revocable); listing conversations, reading changes after the exactly-once cursor, sending.

use crate::support::{Server, group, send};

fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    json: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut req = ureq::request(method, url);
    if let Some(token) = token {
        req = req.set("Authorization", &format!("Bearer {token}"));
    }
    let res = match json {
        Some(json) => req
            .set("Content-Type", "application/json")
            .send_string(json),
        None => req.call(),
    };
    let (status, body) = match res {
        Ok(res) => (res.status(), res.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(status, res)) => (status, res.into_string().unwrap_or_default()),
        Err(e) => panic!("{e}"),
    };
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}")),
    )
}

fn token_in(html: &str) -> String {
    let at = html.find(r#"id="new-token""#).expect("the new token");
    let value = &html[at..];
    let value = &value[value.find("value=\"").unwrap() + 7..];
    value[..value.find('"').unwrap()].to_owned()
}

#[test]
fn a_script_reads_each_change_once_and_sends_with_a_token() {
    let mut server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Team", "bob");
    let base = server.base.clone();

    let made = bob.post_form("/profile/tokens", &[("name", "my script")]);
    assert_eq!(made.status, 200);
    assert_eq!(made.header("cache-control"), Some("no-store"));
    let token = token_in(&made.body);
    assert_eq!(token.len(), 64);
    let listed = bob.get("/profile/tokens");
    assert!(
        listed.body.contains("my script") && !listed.body.contains(&token),
        "shown once"
    );

    let (status, list) = call(
        "GET",
        &format!("{base}/api/conversations"),
        Some(&token),
        None,
    );
    assert_eq!(status, 200);
    let team = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Team")
        .expect("Team listed");
    assert_eq!(team["id"], id);
    assert_eq!(team["kind"], "group");

    let first = send(&alice, id, "hello script");
    let url = |after: u64| format!("{base}/api/conversations/{id}/messages?after={after}");
    let (_, page) = call("GET", &url(0), Some(&token), None);
    let texts: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&"hello script"), "{page}");
    let cursor = page["next"].as_u64().unwrap();
    let (_, again) = call("GET", &url(cursor), Some(&token), None);
    assert_eq!(
        again["messages"].as_array().unwrap().len(),
        0,
        "each change once"
    );
    assert_eq!(again["next"].as_u64(), Some(cursor));

    let (status, sent) = call(
        "POST",
        &format!("{base}/api/conversations/{id}/messages"),
        Some(&token),
        Some(&format!(
            r#"{{"text": "reply from the script", "reply_to": {first}}}"#
        )),
    );
    assert_eq!(status, 201, "{sent}");
    alice.post_form(
        &format!("/c/{id}/messages/{first}/edit"),
        &[("body", "hello, script")],
    );
    let (_, changes) = call("GET", &url(cursor), Some(&token), None);
    let changes = changes["messages"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0]["text"], "reply from the script");
    assert_eq!(changes[0]["author"], "bob");
    assert_eq!(changes[0]["reply_to"], first);
    assert_eq!(
        (changes[1]["change"].as_str(), changes[1]["text"].as_str()),
        (Some("edit"), Some("hello, script"))
    );
    assert!(
        alice
            .get(&format!("/c/{id}"))
            .body
            .contains("reply from the script"),
        "the people see what the script sent"
    );

    let (status, refused) = call(
        "GET",
        &format!("{base}/api/conversations"),
        Some("0".repeat(64).as_str()),
        None,
    );
    assert_eq!(status, 401);
    assert!(
        refused["error"].as_str().unwrap().contains("Bearer"),
        "{refused}"
    );
    assert_eq!(
        call("GET", &format!("{base}/api/conversations"), None, None).0,
        401
    );
    let outsider = server.signed_up("mallory", "Mallory");
    let theirs = token_in(&outsider.post_form("/profile/tokens", &[("name", "x")]).body);
    assert_eq!(
        call("GET", &url(0), Some(&theirs), None).0,
        404,
        "not a member: no such conversation"
    );
    assert_eq!(
        call(
            "POST",
            &format!("{base}/api/conversations/{id}/messages"),
            Some(&token),
            Some("{oops")
        )
        .0,
        400
    );

    let page = bob.get("/profile/tokens");
    let revoke = page
        .body
        .split("action=\"")
        .find(|s| s.contains("/revoke"))
        .unwrap();
    let revoke = &revoke[..revoke.find('"').unwrap()];
    assert_eq!(bob.post_form(revoke, &[]).status, 303);
    assert_eq!(
        call(
            "GET",
            &format!("{base}/api/conversations"),
            Some(&token),
            None
        )
        .0,
        401,
        "revoked"
    );
    assert_eq!(
        outsider.post_form(revoke, &[]).status,
        404,
        "only one's own"
    );

    server.terminate();
    let key = std::fs::read_to_string(server.data.join("bavard.key")).unwrap();
    let db = rusqlite::Connection::open(server.data.join("bavard.sqlite3")).unwrap();
    db.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.trim()))
        .unwrap();
    let kept: Vec<String> = db
        .prepare("SELECT token_hash FROM api_tokens")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        !kept.is_empty() && !kept.contains(&theirs),
        "tokens are kept hashed"
    );
}
