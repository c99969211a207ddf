//! The soak run (RELIABILITY.md): a fresh server under steady, ordinary traffic for a long
//! while — people waiting on polls in their groups, messages, page loads and logins — with
//! its memory, descriptors and threads read every half minute. Growth after the first minutes
//! would be a leak.

use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::files::Lcg;
use crate::http::Conn;
use crate::{
    Args, Person, Row, Server, create_group, cursor_of, log_in, row, sign_up, spawn_waiters,
    stop_waiters, wait_until_up,
};

const PEOPLE: usize = 200;
const GROUP_SIZE: usize = 20;
const SEND_EVERY: Duration = Duration::from_millis(50);
const PAGE_EVERY: Duration = Duration::from_millis(200);
const LOGIN_EVERY: Duration = Duration::from_secs(5);
const SAMPLE_EVERY: Duration = Duration::from_secs(30);
/// Samples before this are the warm-up: caches and pools fill, the allocator grows.
const WARM_UP: Duration = Duration::from_secs(120);

struct Sample {
    at: Duration,
    rss_kb: u64,
    fds: usize,
    threads: u64,
}

/// Repeats `job` every `every` until the run ends, each time for one of `people` picked at
/// random (from `seed`), counting the failures.
fn every<F, Fut>(
    every: Duration,
    until: Instant,
    failures: &Rc<std::cell::Cell<u64>>,
    (people, seed): (usize, u64),
    mut job: F,
) where
    F: FnMut(u64, usize) -> Fut + 'static,
    Fut: std::future::Future<Output = std::io::Result<()>>,
{
    let failures = Rc::clone(failures);
    let mut rng = Lcg(seed);
    tokio::task::spawn_local(async move {
        let mut tick = tokio::time::interval(every);
        let mut n = 0;
        while Instant::now() < until {
            tick.tick().await;
            if job(n, (rng.next() as usize) % people).await.is_err() {
                failures.set(failures.get() + 1);
            }
            n += 1;
        }
    });
}

pub async fn run(args: &Args, minutes: u64) -> std::io::Result<Vec<Row>> {
    let (server, _) = Server::start(args, &[])?;
    wait_until_up(server.addr, Duration::from_secs(10))
        .await
        .ok_or_else(|| std::io::Error::other("bavard did not start"))?;
    let addr = server.addr;
    eprintln!("soak: signing up {PEOPLE} people…");
    let people = Rc::new(sign_up(addr, PEOPLE).await?);
    let mut groups = Vec::new();
    let (arrivals, mut arrived) = mpsc::unbounded_channel();
    let mut waiters = Vec::new();
    for (g, members) in people.chunks(GROUP_SIZE).enumerate() {
        let id = create_group(addr, &members[0], &members[1..], &format!("Soak{g}")).await?;
        let cursor = cursor_of(addr, &members[0], id).await?;
        waiters.extend(spawn_waiters(
            addr,
            members,
            1,
            id,
            cursor,
            arrivals.clone(),
        ));
        groups.push(id);
    }
    let groups = Rc::new(groups);
    let started = Instant::now();
    let until = started + Duration::from_secs(minutes * 60);
    let failures = Rc::new(std::cell::Cell::new(0));
    eprintln!("soak: {minutes} minutes of traffic…");

    // Each job draws what it needs from the person it is given, so that its future owns it.
    let of = {
        let (people, groups) = (Rc::clone(&people), Rc::clone(&groups));
        move |who: usize| (people[who].cookie.clone(), groups[who / GROUP_SIZE])
    };
    let sender = of.clone();
    every(SEND_EVERY, until, &failures, (PEOPLE, 7), move |n, who| {
        let (cookie, group) = sender(who);
        async move {
            let mut conn = Conn::open(addr).await?;
            let body = format!("body=Soak+message+{n}+with+a+few+words");
            let res = conn
                .post_form(&format!("/c/{group}/messages"), Some(&cookie), &body)
                .await?;
            ok_if(res.status == 303)
        }
    });
    every(PAGE_EVERY, until, &failures, (PEOPLE, 11), move |_, who| {
        let (cookie, group) = of(who);
        async move {
            let mut conn = Conn::open(addr).await?;
            let res = conn
                .get(&format!("/c/{group}"), Some(&cookie), true)
                .await?;
            ok_if(res.status == 200)
        }
    });
    let logging_in = Rc::clone(&people);
    every(
        LOGIN_EVERY,
        until,
        &failures,
        (PEOPLE, 13),
        move |_, who| {
            let person = Person {
                cookie: String::new(),
                username: logging_in[who].username.clone(),
            };
            async move { log_in(addr, &person).await }
        },
    );

    let mut samples = Vec::new();
    let mut delivered = 0u64;
    while Instant::now() < until {
        tokio::time::sleep(SAMPLE_EVERY).await;
        while arrived.try_recv().is_ok() {
            delivered += 1;
        }
        let sample = Sample {
            at: started.elapsed(),
            rss_kb: server.rss_kb(),
            fds: server.open_fds(),
            threads: server.threads(),
        };
        eprintln!(
            "soak: {:>4.1} min: RSS {:.1} MB, {} descriptors, {} threads, {delivered} deliveries, {} failures",
            sample.at.as_secs_f64() / 60.0,
            sample.rss_kb as f64 / 1024.0,
            sample.fds,
            sample.threads,
            failures.get()
        );
        samples.push(sample);
    }
    stop_waiters(waiters);
    Ok(report(&samples, minutes, delivered, failures.get()))
}

fn ok_if(fine: bool) -> std::io::Result<()> {
    if fine {
        Ok(())
    } else {
        Err(std::io::Error::other("unexpected status"))
    }
}

fn report(samples: &[Sample], minutes: u64, delivered: u64, failures: u64) -> Vec<Row> {
    let warm = samples.iter().find(|s| s.at >= WARM_UP);
    let (Some(warm), Some(last)) = (warm, samples.last()) else {
        return vec![row(
            "soak: too short to say (it needs more than the warm-up)",
            format!("{minutes} min"),
            "",
            None,
        )];
    };
    let peak_rss = samples
        .iter()
        .filter(|s| s.at >= WARM_UP)
        .map(|s| s.rss_kb)
        .max()
        .unwrap_or(0);
    let mb = |kb: u64| kb as f64 / 1024.0;
    // A leak grows with time; the allocator's ups and downs do not. Allow a tenth.
    let rss_steady = mb(last.rss_kb) <= mb(warm.rss_kb) * 1.1 + 2.0;
    vec![
        row(
            format!(
                "soak: {minutes} min, {PEOPLE} people in groups of {GROUP_SIZE}, each polling; \
                 20 sends/s, 5 pages/s, a login per 5 s"
            ),
            format!("{delivered} deliveries"),
            "",
            None,
        ),
        row(
            "  requests that failed",
            failures.to_string(),
            "0",
            Some(failures == 0),
        ),
        row(
            format!(
                "  server RSS at {:.0} min → end (peak after warm-up)",
                warm.at.as_secs_f64() / 60.0
            ),
            format!(
                "{:.1} → {:.1} MB ({:.1})",
                mb(warm.rss_kb),
                mb(last.rss_kb),
                mb(peak_rss)
            ),
            "no growth",
            Some(rss_steady),
        ),
        row(
            "  open descriptors, same moments",
            format!("{} → {}", warm.fds, last.fds),
            "no growth",
            Some(last.fds <= warm.fds + 10),
        ),
        row(
            "  threads, same moments",
            format!("{} → {}", warm.threads, last.threads),
            "no growth",
            Some(last.threads <= warm.threads),
        ),
    ]
}
