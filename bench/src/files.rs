//! Files and search at scale: what an upload costs the server's memory, how long a phone photo
//! takes to become a message with its thumbnail, and search over a million messages.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::http::Conn;
use crate::{
    Args, Person, Row, SearchTimes, Server, Sizes, create_group, median, row, search_latency,
    sign_up, wait_until_up,
};

/// Deterministic pseudo-random numbers: the same files and messages on every run.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

const BOUNDARY: &str = "----bavard-bench-5c2e";

fn multipart(body: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let mut out = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n{body}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), out)
}

/// Samples the server's resident memory every millisecond from a thread of its own, until
/// stopped; answers the highest, in KB.
struct PeakRss {
    stop: Arc<AtomicBool>,
    sampler: std::thread::JoinHandle<u64>,
}

impl PeakRss {
    fn watch(pid: u32) -> PeakRss {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let sampler = std::thread::spawn(move || {
            let mut peak = 0;
            while !stopped.load(Ordering::Relaxed) {
                peak = peak.max(rss_kb(pid));
                std::thread::sleep(Duration::from_millis(1));
            }
            peak.max(rss_kb(pid))
        });
        PeakRss { stop, sampler }
    }

    fn peak_kb(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.sampler.join().unwrap_or(0)
    }
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A photo-like JPEG: smooth shading with grain, so that it compresses as a photo does.
fn photo(width: u32, height: u32) -> Vec<u8> {
    let mut noise = Lcg(7);
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        let grain = (noise.next() % 24) as u8;
        image::Rgb([
            ((x * 255 / width) as u8).saturating_add(grain),
            ((y * 255 / height) as u8).saturating_add(grain),
            (((x + y) * 127 / (width + height)) as u8).saturating_add(grain),
        ])
    });
    let mut out = Vec::new();
    let encoded =
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&picture);
    if let Err(e) = encoded {
        eprintln!("bench: could not make the photo: {e}");
    }
    out
}

/// The same photo as a phone held upright takes it: EXIF says "turn 90° clockwise", so the
/// server must turn it before serving it without its metadata.
fn sideways(jpeg: &[u8]) -> Vec<u8> {
    let exif = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0";
    let length = (exif.len() + 2) as u16;
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Sends `bytes` as a file; the time from the request's start to the answer that the message
/// is stored (303), in milliseconds.
async fn send_file(
    conn: &mut Conn,
    person: &Person,
    conversation: u64,
    name: &str,
    bytes: &[u8],
) -> std::io::Result<f64> {
    let (content_type, body) = multipart("", name, bytes);
    let started = Instant::now();
    let res = conn
        .post_body(
            &format!("/c/{conversation}/messages"),
            Some(&person.cookie),
            &content_type,
            &body,
        )
        .await?;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    if res.status != 303 {
        return Err(std::io::Error::other(format!(
            "sending {name} answered {}: {}",
            res.status,
            res.text()
        )));
    }
    Ok(elapsed)
}

pub async fn uploads(args: &Args, sizes: &Sizes, runs: usize) -> std::io::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let (server, _) = Server::start(args, &[])?;
    wait_until_up(server.addr, Duration::from_secs(10))
        .await
        .ok_or_else(|| std::io::Error::other("bavard did not start"))?;
    let people = sign_up(server.addr, 2).await?;
    let conversation = create_group(server.addr, &people[0], &people[1..], "Files").await?;
    // Past the hashing threads' idle release: what remains is the server at rest.
    tokio::time::sleep(sizes.login_settle).await;
    let mut conn = Conn::open(server.addr).await?;

    let mut archive = b"PK\x03\x04".to_vec();
    let mut noise = Lcg(1);
    archive.extend((4..sizes.upload_bytes).map(|_| noise.next() as u8));
    let idle = rss_kb(server.pid());
    let watch = PeakRss::watch(server.pid());
    let took = send_file(&mut conn, &people[0], conversation, "big.zip", &archive).await?;
    let peak = watch.peak_kb();
    let mb = sizes.upload_bytes as f64 / (1 << 20) as f64;
    let growth = peak.saturating_sub(idle) as f64 / 1024.0;
    rows.push(row(
        format!("upload of a {mb:.0} MB file: server RSS peak above idle"),
        format!("{growth:.2} MB"),
        "≤ 2 MB",
        Some(growth <= 2.0),
    ));
    rows.push(row(
        format!("  idle before it, and the upload's time ({mb:.0} MB over loopback)"),
        format!("{:.1} MB, {took:.0} ms", idle as f64 / 1024.0),
        "",
        None,
    ));

    let (width, height) = sizes.photo;
    let upright = photo(width, height);
    let turned = sideways(&upright);
    let megapixels = f64::from(width) * f64::from(height) / 1e6;
    for (turned_photo, bytes) in [(false, &upright), (true, &turned)] {
        let mut times = Vec::new();
        let idle = rss_kb(server.pid());
        let watch = PeakRss::watch(server.pid());
        for _ in 0..runs.max(3) {
            times.push(send_file(&mut conn, &people[0], conversation, "photo.jpg", bytes).await?);
        }
        let peak = watch.peak_kb();
        let first = times[0];
        let figure = if turned_photo {
            "  the same taken sideways (EXIF orientation 6: turned, encoded again)".to_owned()
        } else {
            format!(
                "{megapixels:.1}-megapixel JPEG ({:.1} MB) sent → stored with its thumbnail",
                bytes.len() as f64 / (1 << 20) as f64
            )
        };
        rows.push(row(
            figure,
            format!("{first:.0} ms first, {:.0} median", median(times)),
            "",
            None,
        ));
        if !turned_photo {
            rows.push(row(
                "  server RSS peak above idle while doing it",
                format!("{:.1} MB", peak.saturating_sub(idle) as f64 / 1024.0),
                "",
                None,
            ));
        }
    }
    Ok(rows)
}

/// Made-up words, so that searches have the spread of a real history: a few very common
/// words, a long tail of rare ones.
fn vocabulary() -> Vec<String> {
    const SYLLABLES: [&str; 24] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "da", "fe", "go", "ha", "ji", "ku",
        "la", "mo", "ni", "pa", "re", "si", "to", "vu", "ze",
    ];
    let mut words = Vec::new();
    for a in SYLLABLES {
        for b in SYLLABLES {
            for c in ["", "n", "ro", "li"] {
                words.push(format!("{a}{b}{c}"));
            }
        }
    }
    words
}

fn sentence(words: &[String], noise: &mut Lcg) -> String {
    let count = 4 + noise.next() % 12;
    (0..count)
        .map(|_| {
            // Skewed towards the first words: u³ puts most picks near zero.
            let u = (noise.next() % 10_000) as f64 / 10_000.0;
            words[((u * u * u) * words.len() as f64) as usize].as_str()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A million messages written straight into the database of a stopped server (through the
/// web they would take the better part of an hour), indexed as migration 0005 indexes an
/// existing history, then searched through the web by someone in a quarter of the
/// conversations.
pub async fn search_at_scale(args: &Args, sizes: &Sizes) -> std::io::Result<Vec<Row>> {
    let (server, _) = Server::start(args, &[])?;
    wait_until_up(server.addr, Duration::from_secs(10))
        .await
        .ok_or_else(|| std::io::Error::other("bavard did not start"))?;
    let people = sign_up(server.addr, 2).await?;
    let (searcher, other) = (&people[0], &people[1]);
    let mut theirs = Vec::new();
    let mut others = Vec::new();
    for i in 0..200 {
        if i % 4 == 0 {
            theirs.push(create_group(server.addr, searcher, &people[1..], &format!("G{i}")).await?);
        } else {
            others.push(create_group(server.addr, other, &[], &format!("G{i}")).await?);
        }
    }
    let data = server
        .stop()
        .ok_or_else(|| std::io::Error::other("no data folder"))?;
    eprintln!(
        "bench: writing and indexing {} messages for search…",
        sizes.search_history
    );
    let written = Instant::now();
    write_history(data.path(), &theirs, &others, sizes.search_history)
        .map_err(|e| std::io::Error::other(format!("writing the history: {e}")))?;
    let prepare_s = written.elapsed().as_secs_f64();

    let (server, _) = Server::start_on(args, data, &[])?;
    wait_until_up(server.addr, Duration::from_secs(30))
        .await
        .ok_or_else(|| std::io::Error::other("bavard did not start"))?;
    let words = vocabulary();
    let queries = [
        words[0].clone(),
        format!("{}+{}", words[1], words[2]),
        words[words.len() / 3].clone(),
        words[words.len() - 1].clone(),
        words[5][..3].to_owned(),
        "zyzzyva".to_owned(),
    ];
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    let SearchTimes {
        first,
        p50,
        p99,
        by_query,
    } = search_latency(server.addr, searcher, 400, &queries).await?;
    let each: Vec<String> = queries
        .iter()
        .zip(by_query)
        .map(|(query, ms)| format!("{query} {ms:.0}"))
        .collect();
    Ok(vec![
        row(
            format!(
                "message search p99 over {} messages, a fresh server",
                sizes.search_history
            ),
            format!("{p99:.1} ms (p50 {p50:.1}, first search {first:.1})"),
            "≤ 50 ms",
            Some(p99 <= 50.0),
        ),
        row(
            format!("  median ms by query: {}", each.join(", ")),
            String::new(),
            "",
            None,
        ),
        row(
            "  history written and indexed beforehand in",
            format!("{prepare_s:.0} s"),
            "",
            None,
        ),
    ])
}

/// A stopped server's database, opened with its own key file unless it ran --no-encryption.
pub(crate) fn open_database(data: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let db = rusqlite::Connection::open(data.join("bavard.sqlite3"))?;
    if let Ok(key) = std::fs::read_to_string(data.join("bavard.key")) {
        db.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.trim()))?;
    }
    Ok(db)
}

fn write_history(
    data: &std::path::Path,
    theirs: &[u64],
    others: &[u64],
    count: usize,
) -> rusqlite::Result<()> {
    let mut db = open_database(data)?;
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")?;
    let tx = db.transaction()?;
    // Each conversation's members take turns, as people do. (All by the member with the lowest
    // id, as before, made every message in the searcher's groups the searcher's own whenever
    // the searcher signed up first: a coin toss between the two sign-ups.)
    let members_of = |conversation: u64, tx: &rusqlite::Transaction<'_>| {
        tx.prepare("SELECT user_id FROM memberships WHERE conversation_id = ?1 ORDER BY user_id")?
            .query_map([conversation as i64], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()
    };
    let conversations: Vec<(u64, Vec<i64>)> = theirs
        .iter()
        .chain(others)
        .map(|&c| members_of(c, &tx).map(|m| (c, m)))
        .collect::<Result<_, _>>()?;
    let words = vocabulary();
    let mut noise = Lcg(42);
    let start = 1_700_000_000i64;
    {
        let mut insert = tx.prepare(
            "INSERT INTO messages (conversation_id, author_id, kind, body, created_at)
             VALUES (?1, ?2, 'text', ?3, ?4)",
        )?;
        for i in 0..count {
            let (conversation, members) = &conversations[i % conversations.len()];
            let turn = i / conversations.len();
            insert.execute(rusqlite::params![
                *conversation as i64,
                members[turn % members.len()],
                sentence(&words, &mut noise),
                start + i as i64
            ])?;
        }
    }
    // Sending moves the sender's read mark to their message, as the app does: without it, a
    // person's own messages would stand unread after their read mark, where the app never leaves
    // them, and every conversation list would count through them.
    tx.execute_batch(
        "UPDATE memberships SET last_read_message_id = max(last_read_message_id, coalesce(
             (SELECT max(id) FROM messages m
              WHERE m.conversation_id = memberships.conversation_id
                AND m.author_id = memberships.user_id), 0));
         DELETE FROM search_pending;
         DELETE FROM message_search;
         INSERT INTO message_search (rowid, body, conversation)
             SELECT id, body, 'c' || conversation_id FROM messages
             WHERE kind = 'text' AND deleted_at IS NULL;",
    )?;
    tx.commit()?;
    db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}
