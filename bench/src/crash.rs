//! The crash run (RELIABILITY.md): people send as fast as they can and a poller follows its
//! cursor while the server is killed with SIGKILL at random moments and started again on the
//! same data. Afterwards every acknowledged message must be stored exactly once, the poller
//! must have seen every stored message exactly once, and the database must pass its checks.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use crate::files::{Lcg, open_database};
use crate::http::Conn;
use crate::{
    Args, Row, Server, create_group, cursor_of, number_after, row, sign_up, wait_until_up,
};

const SENDERS: usize = 4;
/// Short holds, so that the poller's empty answers come often and the drain ends soon.
const SERVER_ARGS: [&str; 2] = ["--poll-hold", "3"];
const TOKEN: &str = "crash";

/// What the clients learnt while the server was being killed.
#[derive(Default)]
struct Observed {
    /// Message texts whose POST was answered 303: the server said they were sent.
    acked: RefCell<Vec<String>>,
    /// Sends whose connection died before an answer: stored or not, the client cannot know.
    in_doubt: Cell<usize>,
    /// Sends answered with anything but 303.
    refused: Cell<usize>,
    /// (message id, text) in the order the poller received them.
    seen: RefCell<Vec<(u64, String)>>,
    empty_answers: Cell<u64>,
    sending: Cell<bool>,
    polling: Cell<bool>,
}

async fn started(args: &Args, data: tempfile::TempDir) -> std::io::Result<Server> {
    let (server, _) = Server::start_on(args, data, &SERVER_ARGS)?;
    wait_until_up(server.addr, Duration::from_secs(30))
        .await
        .ok_or_else(|| std::io::Error::other("bavard did not start again"))?;
    Ok(server)
}

pub async fn run(args: &Args, cycles: usize, seed: u64) -> std::io::Result<Vec<Row>> {
    let data = tempfile::tempdir()?;
    // As an operator's folder is, so that `bavard check` has nothing to say about it.
    std::fs::set_permissions(
        data.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )?;
    let server = started(args, data).await?;
    let people = sign_up(server.addr, 2).await?;
    let conversation = create_group(server.addr, &people[0], &people[1..], "Crash").await?;
    let cursor = cursor_of(server.addr, &people[1], conversation).await?;
    let addr = Rc::new(Cell::new(server.addr));
    let observed = Rc::new(Observed::default());
    observed.sending.set(true);
    observed.polling.set(true);

    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let (addr, observed) = (Rc::clone(&addr), Rc::clone(&observed));
        let cookie = people[0].cookie.clone();
        tasks.push(tokio::task::spawn_local(async move {
            send_until_stopped(&addr, &observed, &cookie, conversation, sender).await;
        }));
    }
    let poller = {
        let (addr, observed) = (Rc::clone(&addr), Rc::clone(&observed));
        let cookie = people[1].cookie.clone();
        tokio::task::spawn_local(async move {
            follow(&addr, &observed, &cookie, conversation, cursor).await;
        })
    };

    let mut rng = Lcg(seed);
    let mut server = Some(server);
    let mut kills = 0;
    for _ in 0..cycles {
        // Long enough for hundreds of sends, short enough to land in the middle of them.
        tokio::time::sleep(Duration::from_millis(200 + rng.next() % 1_300)).await;
        let data = server
            .take()
            .and_then(Server::stop)
            .ok_or_else(|| std::io::Error::other("the data folder went away"))?;
        kills += 1;
        let again = started(args, data).await?;
        addr.set(again.addr);
        server = Some(again);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    observed.sending.set(false);
    for task in tasks {
        let _ = task.await;
    }
    // Drained once an answer comes back empty after the last send.
    let empties = observed.empty_answers.get();
    for _ in 0..200 {
        if observed.empty_answers.get() > empties {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    observed.polling.set(false);
    poller.abort();
    let data = server
        .take()
        .and_then(Server::stop)
        .ok_or_else(|| std::io::Error::other("the data folder went away"))?;

    let stored = stored_messages(data.path(), conversation)
        .map_err(|e| std::io::Error::other(format!("reading the database: {e}")))?;
    let integrity = integrity_check(data.path())
        .map_err(|e| std::io::Error::other(format!("integrity check: {e}")))?;
    let check = std::process::Command::new(&args.server)
        .arg("check")
        .arg("--data")
        .arg(data.path())
        .args(args.no_encryption.then_some("--no-encryption"))
        .output()?;
    if !check.status.success() {
        eprintln!(
            "{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
    }
    Ok(report(
        &observed,
        &stored,
        kills,
        seed,
        &integrity,
        check.status.success(),
    ))
}

fn report(
    observed: &Observed,
    stored: &[(u64, String)],
    kills: usize,
    seed: u64,
    integrity: &str,
    check_passed: bool,
) -> Vec<Row> {
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for (_, text) in stored {
        *copies.entry(text.as_str()).or_default() += 1;
    }
    let acked = observed.acked.borrow();
    let lost = acked
        .iter()
        .filter(|t| !copies.contains_key(t.as_str()))
        .count();
    let doubled = copies.values().filter(|&&n| n > 1).count();
    let acked_set: HashSet<&str> = acked.iter().map(String::as_str).collect();
    let stored_unacked = copies.keys().filter(|t| !acked_set.contains(*t)).count();

    let seen = observed.seen.borrow();
    let mut seen_ids = HashSet::new();
    let seen_twice = seen.iter().filter(|(id, _)| !seen_ids.insert(*id)).count();
    let stored_ids: HashSet<u64> = stored.iter().map(|(id, _)| *id).collect();
    let missed = stored_ids.difference(&seen_ids).count();
    let phantom = seen_ids.difference(&stored_ids).count();
    let zero = |n: usize| (n.to_string(), "0", Some(n == 0));
    let mut rows = vec![
        row(
            format!("crash run: SIGKILLs while {SENDERS} clients send and one polls (seed {seed})"),
            kills.to_string(),
            "≥ 20",
            Some(kills >= 20),
        ),
        row(
            "  sends acknowledged (303) / in doubt when killed / refused",
            format!(
                "{} / {} / {}",
                acked.len(),
                observed.in_doubt.get(),
                observed.refused.get()
            ),
            "",
            None,
        ),
        row(
            "  in-doubt sends that were stored (the client never heard)",
            stored_unacked.to_string(),
            "",
            None,
        ),
    ];
    for (figure, (measured, target, met)) in [
        ("  acknowledged messages lost", zero(lost)),
        ("  messages stored twice", zero(doubled)),
        ("  messages the poller received twice", zero(seen_twice)),
        ("  stored messages the poller never received", zero(missed)),
        (
            "  messages the poller received that are not stored",
            zero(phantom),
        ),
    ] {
        rows.push(row(figure, measured, target, met));
    }
    rows.push(row(
        "  PRAGMA integrity_check after the last kill",
        integrity.to_owned(),
        "ok",
        Some(integrity == "ok"),
    ));
    rows.push(row(
        "  `bavard check` after the last kill",
        if check_passed { "passed" } else { "FAILED" }.to_owned(),
        "passed",
        Some(check_passed),
    ));
    rows
}

/// Sends numbered messages over one keep-alive connection, opening another whenever the
/// server goes away, until told to stop.
async fn send_until_stopped(
    addr: &Cell<std::net::SocketAddr>,
    observed: &Observed,
    cookie: &str,
    conversation: u64,
    sender: usize,
) {
    let path = format!("/c/{conversation}/messages");
    let mut number = 0u64;
    while observed.sending.get() {
        let Ok(mut conn) = Conn::open(addr.get()).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        while observed.sending.get() {
            let text = format!("{TOKEN}{sender}x{number}");
            number += 1;
            match conn
                .post_form(&path, Some(cookie), &format!("body={text}"))
                .await
            {
                Ok(res) if res.status == 303 => observed.acked.borrow_mut().push(text),
                Ok(_) => observed.refused.set(observed.refused.get() + 1),
                Err(_) => {
                    observed.in_doubt.set(observed.in_doubt.get() + 1);
                    break;
                }
            }
        }
    }
}

/// Follows the conversation as a page does, keeping its cursor across the server's deaths.
async fn follow(
    addr: &Cell<std::net::SocketAddr>,
    observed: &Observed,
    cookie: &str,
    conversation: u64,
    mut cursor: u64,
) {
    while observed.polling.get() {
        let Ok(mut conn) = Conn::open(addr.get()).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        loop {
            let path = format!("/c/{conversation}/poll?after={cursor}");
            let Ok(res) = conn.get(&path, Some(cookie), false).await else {
                break;
            };
            let text = res.text();
            let Some(next) = number_after(&text, "poll?after=") else {
                break;
            };
            let messages = appended(&text);
            if messages.is_empty() {
                observed.empty_answers.set(observed.empty_answers.get() + 1);
            }
            observed.seen.borrow_mut().extend(messages);
            cursor = next;
        }
    }
}

/// The (id, text) of each message a poll answer appends.
fn appended(answer: &str) -> Vec<(u64, String)> {
    answer
        .split("<li ")
        .skip(1)
        .filter_map(|item| {
            let tag = &item[..item.find('>')?];
            let id = number_after(tag, "id=\"m")?;
            let item = &item[..item.find("</li>").unwrap_or(item.len())];
            let at = item.find(TOKEN)?;
            let text: String = item[at..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            Some((id, text))
        })
        .collect()
}

fn stored_messages(data: &Path, conversation: u64) -> rusqlite::Result<Vec<(u64, String)>> {
    let db = open_database(data)?;
    let mut query = db.prepare(
        "SELECT id, body FROM messages
         WHERE conversation_id = ?1 AND kind = 'text' AND body GLOB 'crash[0-9]*'",
    )?;
    query
        .query_map([conversation as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
        })?
        .collect()
}

fn integrity_check(data: &Path) -> rusqlite::Result<String> {
    open_database(data)?.query_row("PRAGMA integrity_check", [], |r| r.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_answer_yields_its_appended_messages_not_the_list_previews() {
        let answer = r#"<div id="poller" hx-get="/c/3/poll?after=9"></div><ol hx-swap-oob="beforeend:#messages"><li class="msg" id="m41" data-author="1"><div class="msg-body">crash0x7</div></li><li class="msg continued" id="m42"><div class="msg-body">crash1x2</div></li></ol><li id="conv-3" class="conv"><span>crash1x2</span></li>"#;
        assert_eq!(
            appended(answer),
            vec![(41, "crash0x7".to_owned()), (42, "crash1x2".to_owned())]
        );
    }
}
