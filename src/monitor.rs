//! What the monitoring page shows of this process: how long it has run, how fast it answered
//! over the last hour, and its latest warnings and errors. Bounded in memory (sixty minutes of
//! counters, fifty log lines) and cheap on the hot path: a request adds to one counter under a
//! lock held for a few instructions.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Latency buckets: bucket `i` holds answers under `BUCKET_BASE_MICROS · 2^(i/2)`, so each is
/// √2 wider than the last; from 50 µs to about 30 s.
const BUCKETS: usize = 40;
const BUCKET_BASE_MICROS: f64 = 50.0;
const MINUTES_KEPT: usize = 60;
const LOG_LINES_KEPT: usize = 50;

#[derive(Clone)]
struct Minute {
    /// Minutes since the process started.
    index: u64,
    answers: u64,
    errors: u64,
    latency: [u32; BUCKETS],
}

struct Log {
    at: time::OffsetDateTime,
    level: tracing::Level,
    text: String,
}

pub struct Monitor {
    started: Instant,
    started_at: time::OffsetDateTime,
    minutes: Mutex<VecDeque<Minute>>,
    log: Mutex<VecDeque<Log>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The process's one monitor: the log layer and the request middleware both reach it.
pub fn global() -> &'static Monitor {
    static MONITOR: OnceLock<Monitor> = OnceLock::new();
    MONITOR.get_or_init(|| Monitor {
        started: Instant::now(),
        started_at: time::OffsetDateTime::now_utc(),
        minutes: Mutex::new(VecDeque::with_capacity(MINUTES_KEPT + 1)),
        log: Mutex::new(VecDeque::with_capacity(LOG_LINES_KEPT + 1)),
    })
}

fn bucket_of(took: Duration) -> usize {
    let micros = took.as_micros() as f64;
    if micros <= BUCKET_BASE_MICROS {
        return 0;
    }
    (((micros / BUCKET_BASE_MICROS).log2() * 2.0).ceil() as usize).min(BUCKETS - 1)
}

fn bucket_upper_ms(bucket: usize) -> f64 {
    BUCKET_BASE_MICROS * 2f64.powf(bucket as f64 / 2.0) / 1000.0
}

/// The last hour, as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LastHour {
    pub answers: u64,
    /// Answers with a 5xx status.
    pub errors: u64,
    /// Upper bounds of the buckets the median and the 99th percentile fall in, in ms.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

pub struct LogLine {
    pub at: time::OffsetDateTime,
    pub error: bool,
    pub text: String,
}

impl Monitor {
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn started_at(&self) -> time::OffsetDateTime {
        self.started_at
    }

    /// Counts one answer. Long polls are not answers a person waits for, and are left out by
    /// the caller.
    pub fn record(&self, took: Duration, server_error: bool) {
        let index = self.started.elapsed().as_secs() / 60;
        let mut minutes = lock(&self.minutes);
        if minutes.back().is_none_or(|m| m.index != index) {
            minutes.push_back(Minute {
                index,
                answers: 0,
                errors: 0,
                latency: [0; BUCKETS],
            });
            while minutes.len() > MINUTES_KEPT {
                minutes.pop_front();
            }
        }
        if let Some(minute) = minutes.back_mut() {
            minute.answers += 1;
            minute.errors += u64::from(server_error);
            minute.latency[bucket_of(took)] += 1;
        }
    }

    pub fn last_hour(&self) -> LastHour {
        let now = self.started.elapsed().as_secs() / 60;
        let mut latency = [0u64; BUCKETS];
        let (mut answers, mut errors) = (0, 0);
        for minute in lock(&self.minutes)
            .iter()
            .filter(|m| now - m.index < MINUTES_KEPT as u64)
        {
            answers += minute.answers;
            errors += minute.errors;
            for (total, count) in latency.iter_mut().zip(minute.latency) {
                *total += u64::from(count);
            }
        }
        let quantile = |q: f64| {
            let wanted = ((answers as f64) * q).ceil().max(1.0) as u64;
            let mut seen = 0;
            latency.iter().enumerate().find_map(|(bucket, count)| {
                seen += count;
                (seen >= wanted).then(|| bucket_upper_ms(bucket))
            })
        };
        LastHour {
            answers,
            errors,
            p50_ms: (answers > 0).then(|| quantile(0.5)).flatten(),
            p99_ms: (answers > 0).then(|| quantile(0.99)).flatten(),
        }
    }

    fn remember(&self, level: tracing::Level, text: String) {
        let mut log = lock(&self.log);
        log.push_back(Log {
            at: time::OffsetDateTime::now_utc(),
            level,
            text,
        });
        while log.len() > LOG_LINES_KEPT {
            log.pop_front();
        }
    }

    /// The latest warnings and errors, newest first.
    pub fn recent_problems(&self) -> Vec<LogLine> {
        lock(&self.log)
            .iter()
            .rev()
            .map(|line| LogLine {
                at: line.at,
                error: line.level == tracing::Level::ERROR,
                text: line.text.clone(),
            })
            .collect()
    }
}

/// A tracing layer that keeps warnings and errors for the monitoring page.
pub struct ProblemsLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ProblemsLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let level = *event.metadata().level();
        if level > tracing::Level::WARN {
            return;
        }
        let mut text = String::new();
        event.record(&mut Fields(&mut text));
        let text = format!("{}: {text}", event.metadata().target());
        global().remember(level, text);
    }
}

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, "{}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_hour_gives_bucketed_quantiles_and_errors() {
        let monitor = Monitor {
            started: Instant::now(),
            started_at: time::OffsetDateTime::now_utc(),
            minutes: Mutex::new(VecDeque::new()),
            log: Mutex::new(VecDeque::new()),
        };
        assert_eq!(monitor.last_hour().p50_ms, None);
        for _ in 0..98 {
            monitor.record(Duration::from_micros(900), false);
        }
        monitor.record(Duration::from_millis(40), true);
        monitor.record(Duration::from_millis(40), false);
        let hour = monitor.last_hour();
        assert_eq!((hour.answers, hour.errors), (100, 1));
        let p50 = hour.p50_ms.unwrap();
        assert!((0.9..=1.3).contains(&p50), "{p50}");
        let p99 = hour.p99_ms.unwrap();
        assert!((40.0..=57.0).contains(&p99), "{p99}");
    }

    #[test]
    fn only_the_latest_problems_are_kept() {
        let monitor = global();
        for i in 0..(LOG_LINES_KEPT + 5) {
            monitor.remember(tracing::Level::WARN, format!("warning {i}"));
        }
        let kept = monitor.recent_problems();
        assert_eq!(kept.len(), LOG_LINES_KEPT);
        assert_eq!(kept[0].text, format!("warning {}", LOG_LINES_KEPT + 4));
    }
}
