//! Files in conversations, profile pictures and the usage page, through the real server: what
//! members get, what everyone else does not, and what bad uploads leave behind (nothing).

use crate::support::{
    Client, Server, corpus_file, group, multipart, number_after, send, stored_files,
};

/// Sends `files` (name, bytes) with `body` as a plain form would; the answer as it comes.
fn send_files(
    client: &Client,
    conversation: u64,
    body: &str,
    files: &[(&str, &[u8])],
) -> crate::support::Response {
    let files: Vec<(&str, &str, &[u8])> = files.iter().map(|(n, b)| ("files", *n, *b)).collect();
    client.post_multipart(
        &format!("/c/{conversation}/messages"),
        &[("body", body)],
        &files,
    )
}

/// The first address of `kind` ("files/N" or "files/N/thumb") in a page.
fn file_url(page: &str, conversation: u64, thumb: bool) -> String {
    let prefix = format!("/c/{conversation}/files/");
    let id = number_after(page, &prefix);
    if thumb {
        format!("{prefix}{id}/thumb")
    } else {
        format!("{prefix}{id}")
    }
}

#[test]
fn a_picture_reaches_members_with_its_thumbnail_and_nobody_else() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let mallory = server.signed_up("mallory", "Mallory");
    let id = group(&alice, "Photos", "bob");
    let png = corpus_file("tiny.png");
    let sent = send_files(&alice, id, "", &[("holiday.png", &png)]);
    assert_eq!(sent.status, 303, "a photo needs no caption: {}", sent.body);

    let page = bob.get(&format!("/c/{id}")).body;
    let (file, thumb) = (file_url(&page, id, false), file_url(&page, id, true));
    assert!(page.contains(&format!("src=\"{thumb}\"")), "{page}");
    assert!(page.contains("alt=\"holiday.png\""));
    assert!(
        page.contains(&format!("<a class=\"thumb\" href=\"{file}\"")),
        "the thumbnail opens the picture, without JavaScript"
    );

    let (res, bytes) = bob.get_file(&file, &[]);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("image/png"));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert!(
        res.header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    assert!(res.header("cache-control").unwrap().contains("immutable"));
    assert!(
        res.header("content-disposition")
            .unwrap()
            .starts_with("inline")
    );
    assert!(bytes.starts_with(b"\x89PNG"));
    let (res, bytes) = bob.get_file(&thumb, &[]);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("image/jpeg"));
    assert!(bytes.starts_with(&[0xFF, 0xD8]));

    assert_eq!(mallory.get(&file).status, 404, "a known URL is no key");
    assert_eq!(mallory.get(&thumb).status, 404);
    assert_eq!(server.client().get(&file).status, 303);
    assert_eq!(bob.post_form(&format!("/c/{id}/leave"), &[]).status, 303);
    assert_eq!(bob.get(&file).status, 404, "gone with the membership");
}

#[test]
fn files_other_than_pictures_are_downloads_and_videos_play_by_ranges() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Docs", "bob");
    let mut mp4 = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
    mp4.resize(4096, 7);
    let notes = "meeting notes\n".repeat(10);
    let sent = send_files(
        &alice,
        id,
        "two files",
        &[("clip.mp4", &mp4), ("notes.txt", notes.as_bytes())],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let page = bob.get(&format!("/c/{id}")).body;
    assert!(page.contains("<video controls"), "{page}");
    assert!(page.contains("notes.txt") && page.contains("TXT"));

    let first = number_after(&page, &format!("/c/{id}/files/"));
    let (res, bytes) = bob.get_file(
        &format!("/c/{id}/files/{first}"),
        &[("Range", "bytes=100-199")],
    );
    assert_eq!(res.status, 206, "video seeks by ranges");
    assert_eq!(res.header("content-range"), Some("bytes 100-199/4096"));
    assert_eq!(bytes, &mp4[100..200]);
    let (res, bytes) = bob.get_file(&format!("/c/{id}/files/{}", first + 1), &[]);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let disposition = res.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("notes.txt"));
    assert_eq!(bytes, notes.as_bytes());

    let found = bob.get("/search?q=notes").body;
    assert!(
        found.contains("two files"),
        "a file is found by its name: {found}"
    );
}

#[test]
fn disguised_broken_and_hostile_files_are_refused_and_nothing_is_kept() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let id = group(&alice, "Lab", "");
    let before = alice.get(&format!("/c/{id}")).body;
    for (name, expected) in [
        ("html-as.png", "cannot be sent here"),
        ("svg-script.svg", "cannot be sent here"),
        ("bomb.png", "too many pixels"),
        ("truncated.jpg", "could not be read"),
        ("empty.png", "is empty"),
        ("gifar.gif", "could not be read"),
    ] {
        let bytes = corpus_file(name);
        // With a picture that is fine: one bad file refuses the whole message.
        let tiny = corpus_file("tiny.png");
        let res = send_files(
            &alice,
            id,
            "keep this draft",
            &[("ok.png", &tiny), (name, &bytes)],
        );
        assert_eq!(res.status, 422, "{name}: {}", res.body);
        assert!(res.body.contains(expected), "{name}: {}", res.body);
        assert!(res.body.contains("keep this draft"), "the draft comes back");
        assert!(res.body.contains(&format!("“{name}”")), "the file is named");
    }
    let tiny = corpus_file("tiny.jpg");
    let res = send_files(&alice, id, "", &[("photo.png", &tiny)]);
    assert!(res.body.contains("not what its name says"), "{}", res.body);
    assert_eq!(
        crate::support::message_ids(&alice.get(&format!("/c/{id}")).body),
        crate::support::message_ids(&before),
        "no message was written"
    );
    assert_eq!(stored_files(&server.data, "files"), Vec::<String>::new());
    assert_eq!(stored_files(&server.data, "incoming"), Vec::<String>::new());

    let (content_type, mut body) = multipart(&[("body", "x")], &[("files", "a.png", &tiny)]);
    body.truncate(body.len() - 30);
    let res = alice.post_raw(&format!("/c/{id}/messages"), &content_type, &body, &[]);
    assert_eq!(res.status, 400, "a cut multipart body: {}", res.body);
    assert_eq!(stored_files(&server.data, "incoming"), Vec::<String>::new());
}

#[test]
fn hostile_file_names_are_shown_and_offered_harmlessly() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let id = group(&alice, "Names", "");
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/filenames.json");
    let names: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("filenames.json")).unwrap();
    let png = corpus_file("tiny.png");
    let mut kept = 0;
    for name in &names {
        let res = send_files(&alice, id, "", &[(name, &png)]);
        assert!(
            res.status == 303 || res.status == 422 || res.status == 400,
            "{name:?}: {} {}",
            res.status,
            res.body
        );
        if res.status == 422 {
            assert!(!res.body.contains("<script>.png"), "escaped");
            continue;
        }
        if res.status != 303 {
            continue;
        }
        kept += 1;
        let page = alice.get(&format!("/c/{id}")).body;
        let file = file_url(
            page.rsplit("class=\"attachment\"").next().unwrap(),
            id,
            false,
        );
        let (res, _) = alice.get_file(&file, &[]);
        let disposition = res.header("content-disposition").unwrap().to_owned();
        let fallback = disposition.split("filename=\"").nth(1).unwrap_or_default();
        let fallback = fallback.split('"').next().unwrap_or_default();
        assert!(
            !fallback.contains('/') && !fallback.contains('\\') && !fallback.starts_with('.'),
            "{name:?} is offered as {disposition}"
        );
    }
    assert!(kept >= 10, "most names are fine once cleaned ({kept} kept)");
    let page = alice.get(&format!("/c/{id}")).body;
    assert!(!page.contains("<script>.png"), "names are escaped");
    assert!(
        !page.contains('\u{202e}'),
        "no direction override reaches the page"
    );
    // Every stored name is ours: random hex, beside its thumbnail.
    for stored in stored_files(&server.data, "files") {
        let key = stored.trim_end_matches(".thumb");
        assert!(
            key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()),
            "{stored}"
        );
    }
}

#[test]
fn limits_and_quota_refuse_with_the_draft_kept_and_deleting_frees_room() {
    let server = Server::start_with(&["--upload-max", "2KB", "--upload-quota", "3KB"]);
    let alice = server.signed_up("alice", "Alice");
    let id = group(&alice, "Quota", "");
    let big = "x".repeat(3000);
    let res = send_files(&alice, id, "my words", &[("big.txt", big.as_bytes())]);
    assert_eq!(res.status, 413, "{}", res.body);
    assert!(res.body.contains("larger than the limit") && res.body.contains("my words"));
    assert_eq!(stored_files(&server.data, "incoming"), Vec::<String>::new());
    assert!(
        alice.get(&format!("/c/{id}")).body.contains("2 KB each"),
        "the limit is stated"
    );

    let part = "y".repeat(1800);
    let res = send_files(&alice, id, "first", &[("a.txt", part.as_bytes())]);
    assert_eq!(res.status, 303);
    let first = number_after(res.location(), "#m");
    let res = send_files(&alice, id, "second", &[("b.txt", part.as_bytes())]);
    assert_eq!(res.status, 413, "over the quota: {}", res.body);
    assert!(res.body.contains("storage quota"));
    let usage = alice.get("/usage").body;
    assert!(usage.contains("1.7 KB of 3 KB"), "{usage}");

    let delete = alice.post_form(&format!("/c/{id}/messages/{first}/delete"), &[]);
    assert_eq!(delete.status, 303);
    assert_eq!(
        stored_files(&server.data, "files"),
        Vec::<String>::new(),
        "its file is gone"
    );
    let res = send_files(&alice, id, "second", &[("b.txt", part.as_bytes())]);
    assert_eq!(res.status, 303, "room again: {}", res.body);
}

#[test]
fn uploads_to_a_conversation_one_is_not_in_are_not_received() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let mallory = server.signed_up("mallory", "Mallory");
    let id = group(&alice, "Private", "");
    let png = corpus_file("tiny.png");
    let res = send_files(&mallory, id, "hi", &[("x.png", &png)]);
    assert_eq!(res.status, 404);
    assert_eq!(stored_files(&server.data, "files"), Vec::<String>::new());
}

#[test]
fn a_profile_picture_shows_everywhere_and_can_be_removed() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice Martin");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Faces", "bob");
    send(&alice, id, "hello");
    let png = corpus_file("tiny.png");
    let res = alice.post_multipart("/profile/avatar", &[], &[("avatar", "me.png", &png)]);
    assert_eq!(res.status, 303, "{}", res.body);
    let profile = alice.get("/profile").body;
    let key_at = profile
        .find("/avatars/")
        .expect("the picture on the profile");
    let key: String = profile[key_at + 9..].chars().take(32).collect();
    assert!(profile.contains(&format!("src=\"/avatars/{key}/256\" alt=\"Alice Martin\"")));
    let (res, bytes) = bob.get_file(&format!("/avatars/{key}/64"), &[]);
    assert_eq!(res.status, 200);
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    assert_eq!(
        server.client().get(&format!("/avatars/{key}/64")).status,
        303
    );
    let page = bob.get(&format!("/c/{id}")).body;
    assert!(
        page.matches(&format!("/avatars/{key}/64")).count() >= 2,
        "in the message block and the member list"
    );

    let res = alice.post_multipart(
        "/profile/avatar",
        &[],
        &[("avatar", "x.png", &corpus_file("html-as.png"))],
    );
    assert_eq!(res.status, 422);
    assert!(res.body.contains("cannot be sent here"), "{}", res.body);

    assert_eq!(alice.post_form("/profile/avatar/remove", &[]).status, 303);
    assert!(
        !alice.get("/profile").body.contains("/avatars/"),
        "initials again"
    );
    assert_eq!(bob.get(&format!("/avatars/{key}/64")).status, 404);
    assert_eq!(stored_files(&server.data, "avatars"), Vec::<String>::new());
}

#[test]
fn the_usage_page_counts_what_one_sent_and_received_and_admins_see_the_instance() {
    let server = Server::start();
    let root = server.signed_up("root", "Root");
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bob", "Bob");
    let id = group(&alice, "Usage", "bob");
    send(&alice, id, "one");
    let text = "z".repeat(2048);
    assert_eq!(
        send_files(&alice, id, "two", &[("z.txt", text.as_bytes())]).status,
        303
    );

    let mine = alice.get("/usage").body;
    assert!(mine.contains("<dd>2</dd>"), "two messages sent: {mine}");
    assert!(mine.contains("one file, 2 KB"));
    assert!(
        !mine.contains("The whole instance"),
        "for administrators only"
    );
    let theirs = bob.get("/usage").body;
    assert!(
        theirs.contains("one file, 2 KB"),
        "bob received it: {theirs}"
    );
    let admin = root.get("/usage").body;
    assert!(admin.contains("The whole instance") && admin.contains("Free disk space"));
}
