//! Faults from the machine (a disk that fills up) and from people (hostile input in every field).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{
    PASSWORD, Response, Server, assert_inert, corpus_file, group, hostile_texts, number_after,
    run_cli, send, urlencode,
};

/// A small file system of its own (a size-limited tmpfs), unmounted when dropped. Mounting
/// needs root, or sudo without a password as `tests/run.sh` uses to install what it needs.
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

fn as_root(args: &[&str]) -> bool {
    // SAFETY: geteuid only reads the process's own credentials.
    let is_root = unsafe { libc::geteuid() } == 0;
    let mut command = if is_root {
        Command::new(args[0])
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", args[0]]);
        sudo
    };
    command.args(&args[1..]).status().is_ok_and(|s| s.success())
}

impl SmallDisk {
    fn mount(megabytes: u32) -> SmallDisk {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data");
        std::fs::create_dir(&path).expect("mount point");
        let options = format!("size={megabytes}m,mode=700");
        let target = path.to_str().expect("a UTF-8 path");
        assert!(
            as_root(&["mount", "-t", "tmpfs", "-o", &options, "tmpfs", target]),
            "the disk-full test mounts a small tmpfs: it needs root or passwordless sudo"
        );
        SmallDisk { path, _dir: dir }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if let Some(target) = self.path.to_str() {
            as_root(&["umount", "-l", target]);
        }
    }
}

/// Writes zeros into `path` until the file system refuses any more.
fn fill(path: &Path) {
    let mut filler = std::fs::File::create(path).expect("filler");
    let chunk = vec![0u8; 64 * 1024];
    while filler.write_all(&chunk).is_ok() {}
    for _ in 0..64 {
        let _ = filler.write_all(&[0u8; 1024]);
    }
}

#[test]
fn a_full_disk_refuses_writes_clearly_keeps_serving_reads_and_recovers_when_space_returns() {
    let disk = SmallDisk::mount(24);
    let server = Server::start_in(&disk.path, &[]);
    let alice = server.signed_up("alice", "Alice");
    let _bob = server.signed_up("bobby", "Bobby");
    let id = number_after(alice.post_form("/dm/bobby", &[]).location(), "/c/");
    send(&alice, id, "before the disk filled up");

    let filler = disk.path.join("filler");
    fill(&filler);
    // SQLite may still have room in pages it already holds: send until it has none.
    let mut acknowledged: Vec<String> = Vec::new();
    let refusal = (0..3_000)
        .find_map(|n| {
            let text = format!("while full {n}");
            let res = alice.post_form(&format!("/c/{id}/messages"), &[("body", &text)]);
            match res.status {
                303 => {
                    acknowledged.push(text);
                    None
                }
                _ => Some((text, res)),
            }
        })
        .expect("a send is refused once the disk is full");
    let (refused_text, refused) = refusal;
    assert_eq!(refused.status, 507, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("run out of disk space, so nothing was saved"),
        "{}",
        refused.body
    );

    let signup = server.client().post_form(
        "/signup",
        &[
            ("username", "carol"),
            ("display_name", "Carol"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(signup.status, 507, "{}", signup.body);
    let upload = alice.post_multipart(
        &format!("/c/{id}/messages"),
        &[("body", "a picture")],
        &[("files", "notes.txt", &[b'x'; 4096])],
    );
    assert_eq!(upload.status, 507, "{}", upload.body);
    let picture = alice.post_multipart(
        "/profile/avatar",
        &[],
        &[("avatar", "me.png", &corpus_file("tiny.png"))],
    );
    assert_eq!(picture.status, 507, "{}", picture.body);

    // Reading goes on.
    let page = alice.get(&format!("/c/{id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("before the disk filled up"));
    assert!(server.client().get("/login").status == 200);

    std::fs::remove_file(&filler).expect("space freed");
    send(&alice, id, "after space came back");
    assert_eq!(
        server
            .client()
            .post_form(
                "/signup",
                &[
                    ("username", "carol"),
                    ("display_name", "Carol"),
                    ("password", PASSWORD),
                ],
            )
            .status,
        303
    );
    let page = alice.get(&format!("/c/{id}")).body;
    assert!(page.contains("after space came back"));
    if let Some(last) = acknowledged.last() {
        assert!(
            page.contains(&format!(">{last}<")),
            "{last} was acknowledged"
        );
    }
    assert!(
        !page.contains(&format!(">{refused_text}<")),
        "the refused message was not kept"
    );
    let data = disk.path.to_str().expect("a UTF-8 path");
    let (_, report) = run_cli(&["check", "--data", data], "");
    assert!(report.contains("ok: database integrity: ok"), "{report}");
    assert!(
        report
            .lines()
            .filter(|l| l.starts_with("problem:"))
            .all(|l| l.starts_with("problem: free disk")),
        "only the small disk itself is a problem: {report}"
    );
}

/// A hostile answer is a refusal or a page, never a fault, and never live markup.
fn harmless(res: &Response, what: &str) {
    assert!(res.status < 500, "{} for {what}: {}", res.status, res.body);
    assert_inert(&res.body, what);
}

#[test]
fn every_form_field_and_query_takes_the_hostile_corpus_as_data() {
    let server = Server::start();
    let alice = server.signed_up("alice", "Alice");
    let bob = server.signed_up("bobby", "Bobby");
    let id = group(&alice, "Corpus", "bobby");
    let message = send(&alice, id, "to be edited");
    let visitor = server.client();
    for (i, text) in hostile_texts().iter().enumerate() {
        let short: String = text.chars().take(60).collect();
        let (text, short) = (text.as_str(), short.as_str());
        let forms: [(String, Vec<(&str, &str)>); 13] = [
            (format!("/c/{id}/title"), vec![("title", short)]),
            (
                format!("/c/{id}/messages"),
                vec![("body", "an answer"), ("reply_to", text)],
            ),
            (
                format!("/c/{id}/messages/{message}/reactions"),
                vec![("reaction", text)],
            ),
            (format!("/c/{id}/notify"), vec![("notify", text)]),
            (format!("/c/{id}/webhooks"), vec![("name", short)]),
            ("/profile/tokens".into(), vec![("name", short)]),
            (format!("/c/{id}/members"), vec![("members", text)]),
            (format!("/c/{id}/messages"), vec![("body", text)]),
            (
                format!("/c/{id}/messages/{message}/edit"),
                vec![("body", text)],
            ),
            ("/c".into(), vec![("title", short), ("members", "bobby")]),
            ("/c".into(), vec![("title", "Team"), ("members", text)]),
            (
                "/profile".into(),
                vec![("display_name", "Alice"), ("about", ""), ("language", text)],
            ),
            (
                "/profile/password".into(),
                vec![("current_password", text), ("new_password", text)],
            ),
        ];
        for (path, fields) in &forms {
            harmless(
                &alice.post_form(path, fields),
                &format!("POST {path} {text:?}"),
            );
        }
        // The corpus's longest texts make addresses far longer than any browser sends, which
        // the server cuts off unanswered: queries take their first 2,000 characters.
        let q = urlencode(&text.chars().take(2_000).collect::<String>());
        for path in [
            format!("/search?q={q}"),
            format!("/search?c={id}&q={q}"),
            format!("/users?q={q}"),
            format!("/c/new?q={q}&title={q}&members={q}"),
            format!("/admin/people?q={q}"),
            format!("/c/{id}?before={q}"),
            format!("/c/{id}?reply={q}"),
            format!("/poll?after={q}"),
        ] {
            harmless(&alice.get(&path), &format!("GET {path}"));
        }
        for fields in [
            [
                ("username", text),
                ("display_name", "Name"),
                ("password", PASSWORD),
            ],
            [
                ("username", &format!("corpus{i}")),
                ("display_name", short),
                ("password", PASSWORD),
            ],
            [
                ("username", "someone"),
                ("display_name", "Name"),
                ("password", text),
            ],
        ] {
            harmless(
                &visitor.post_form("/signup", &fields),
                &format!("sign-up {text:?}"),
            );
        }
        harmless(
            &visitor.post_form(
                "/login",
                &[("username", text), ("password", text), ("next", text)],
            ),
            &format!("login {text:?}"),
        );
        harmless(
            &visitor.get(&format!("/login?next={q}")),
            &format!("login next {text:?}"),
        );
        // Where it was kept, it is shown as text.
        for page in [
            alice.get(&format!("/c/{id}")),
            bob.get(&format!("/c/{id}")),
            bob.get("/"),
            alice.get("/profile/tokens"),
        ] {
            assert_eq!(page.status, 200, "after {text:?}");
            assert_inert(&page.body, &format!("{text:?}, shown again"));
        }
    }
}
