//! The message catalog (English and French, in Fluent files beside this one) and language
//! negotiation. Every piece of interface text comes from here.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::http::header::{self, Header};
use actix_web::{FromRequest, HttpRequest};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::future::{Ready, ready};
use unic_langid::{LanguageIdentifier, langid};

use crate::recent::Recent;

pub use fluent_bundle::FluentValue as Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fr,
}

/// The session key holding the signed-in user's chosen language, so that every page (error
/// pages included) can pick it without a database query.
pub const SESSION_KEY: &str = "lang";

const EN_SOURCE: &str = include_str!("en.ftl");
const FR_SOURCE: &str = include_str!("fr.ftl");

struct Catalog {
    en: Language,
    fr: Language,
}

struct Language {
    bundle: FluentBundle<FluentResource>,
    /// Every message that takes no arguments, formatted once: a conversation page asks for
    /// the same labels for each of its fifty messages.
    plain: HashMap<&'static str, String>,
    /// Dates and times in words, by the minute: formatting them through Fluent for every
    /// message shown was a visible share of a page's cost.
    date_times: Recent<i64, String>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog {
    en: Language::new(langid!("en"), EN_SOURCE),
    fr: Language::new(langid!("fr"), FR_SOURCE),
});

/// Minutes whose words are remembered; past this the memory starts afresh.
const DATE_TIMES_REMEMBERED: usize = 10_000;

impl Language {
    fn new(id: LanguageIdentifier, source: &'static str) -> Language {
        let bundle = bundle(id, source);
        let plain = message_keys(source)
            .filter_map(|key| {
                let pattern = bundle.get_message(key)?.value()?;
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, None, &mut errors);
                errors.is_empty().then(|| (key, text.into_owned()))
            })
            .collect();
        Language {
            bundle,
            plain,
            date_times: Recent::new(Duration::MAX, DATE_TIMES_REMEMBERED),
        }
    }
}

/// The identifiers of a catalog's messages (not its terms).
fn message_keys(source: &'static str) -> impl Iterator<Item = &'static str> {
    // A catalog that does not parse is refused by `bundle` and by the tests; here the part
    // that parsed is enough.
    let resource = fluent_syntax::parser::parse(source).unwrap_or_else(|(partial, _)| partial);
    resource.body.into_iter().filter_map(|entry| match entry {
        fluent_syntax::ast::Entry::Message(m) => Some(m.id.name),
        _ => None,
    })
}

fn bundle(id: LanguageIdentifier, source: &'static str) -> FluentBundle<FluentResource> {
    // The catalogs are compiled in and checked by the tests below, so a failure here is a
    // build defect, not something a request can cause.
    let resource = FluentResource::try_new(source.to_owned()).expect("catalog parses");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks around arguments confuse some screen readers and copy-paste.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .expect("catalog has no duplicate keys");
    bundle
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language's own name, as shown in the language picker.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
        }
    }

    fn language(self) -> &'static Language {
        match self {
            Lang::En => &CATALOG.en,
            Lang::Fr => &CATALOG.fr,
        }
    }

    pub fn t(self, key: &str) -> String {
        match self.language().plain.get(key) {
            Some(text) => text.clone(),
            None => self.format(key, None),
        }
    }

    pub fn t_args(self, key: &str, args: &[(&'static str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        self.format(key, Some(&fluent_args))
    }

    fn format(self, key: &str, args: Option<&FluentArgs>) -> String {
        let bundle = &self.language().bundle;
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, lang = self.code(), "missing catalog message");
            return key.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, ?errors, "catalog message did not format cleanly");
        }
        text.into_owned()
    }

    /// A calendar date in this language, e.g. "November 21, 2026" or "21 novembre 2026".
    pub fn date(self, unix_seconds: i64) -> String {
        let Ok(when) = time::OffsetDateTime::from_unix_timestamp(unix_seconds) else {
            return String::new();
        };
        let month = self.t(&format!("month-{}", u8::from(when.month())));
        self.t_args(
            "date-long",
            &[
                ("day", when.day().into()),
                ("month", month.into()),
                ("year", when.year().into()),
            ],
        )
    }

    /// A whole number with the language's thousands separator: "4,998", "4 998" (a narrow
    /// no-break space in French).
    pub fn number(self, n: usize) -> String {
        let digits = n.to_string();
        let separator = match self {
            Lang::En => ",",
            Lang::Fr => "\u{202f}",
        };
        let mut out = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(separator);
            }
            out.push(digit);
        }
        out
    }

    /// A number of bytes as people read it: "340 KB", "1.5 MB" ("1,5 Mo" in French).
    pub fn size(self, bytes: u64) -> String {
        const UNITS: [(&str, u64); 3] = [
            ("size-gb", 1 << 30),
            ("size-mb", 1 << 20),
            ("size-kb", 1 << 10),
        ];
        let Some((key, unit)) = UNITS.into_iter().find(|(_, unit)| bytes >= *unit) else {
            return self.t_args("size-bytes", &[("n", bytes.into())]);
        };
        let value = bytes as f64 / unit as f64;
        let number = if value < 10.0 {
            let text = format!("{:.1}", (value * 10.0).floor() / 10.0);
            let text = text.strip_suffix(".0").unwrap_or(&text).to_owned();
            match self {
                Lang::En => text,
                Lang::Fr => text.replace('.', ","),
            }
        } else {
            format!("{}", value.floor())
        };
        self.t_args(key, &[("n", number.into())])
    }

    /// A day as the heading above its messages: "Today", "Yesterday", "Tuesday, March 3" this
    /// year, "Tuesday, March 3, 2025" before; "Mardi 3 mars" in French, capitalised as a
    /// heading. `app.js` draws the same words with `Intl`, so the two must agree.
    pub fn day_heading(self, day: time::Date, today: time::Date) -> String {
        if day == today {
            return self.t("day-today");
        }
        if today.previous_day() == Some(day) {
            return self.t("day-yesterday");
        }
        let weekday = self.t(&format!("weekday-{}", day.weekday().number_from_monday()));
        let month = self.t(&format!("month-{}", u8::from(day.month())));
        let args = [
            ("weekday", weekday.into()),
            ("day", day.day().into()),
            ("month", month.into()),
            ("year", day.year().into()),
        ];
        let key = if day.year() == today.year() {
            "day-this-year"
        } else {
            "day-other-year"
        };
        capitalised(&self.t_args(key, &args))
    }

    /// Hours and minutes in UTC, the fallback that `app.js` replaces with the reader's local time.
    pub fn time_of_day(self, unix_seconds: i64) -> String {
        time::OffsetDateTime::from_unix_timestamp(unix_seconds)
            .map(|t| format!("{:02}:{:02}", t.hour(), t.minute()))
            .unwrap_or_default()
    }

    /// Date and time in words, for a `title` and for screen readers: "November 21, 2026, 14:03 UTC".
    pub fn date_time(self, unix_seconds: i64) -> String {
        let minute = unix_seconds.div_euclid(60);
        let remembered = &self.language().date_times;
        if let Some(text) = remembered.get(&minute) {
            return text;
        }
        let text = self.t_args(
            "date-time",
            &[
                ("date", self.date(unix_seconds).into()),
                ("time", self.time_of_day(unix_seconds).into()),
            ],
        );
        remembered.put(minute, text.clone());
        text
    }

    /// Picks the best of our languages from an `Accept-Language` header; English otherwise.
    pub fn from_accept_language(req: &HttpRequest) -> Lang {
        let Ok(accepted) = header::AcceptLanguage::parse(req) else {
            return Lang::En;
        };
        accepted
            .ranked()
            .into_iter()
            .find_map(|preference| match preference {
                header::Preference::Any => Some(Lang::En),
                header::Preference::Specific(tag) => Lang::from_code(tag.primary_language()),
            })
            .unwrap_or(Lang::En)
    }

    /// The account's language when signed in and chosen, else the browser's.
    pub fn of_request(req: &HttpRequest) -> Lang {
        req.get_session()
            .get::<String>(SESSION_KEY)
            .ok()
            .flatten()
            .and_then(|code| Lang::from_code(&code))
            .unwrap_or_else(|| Lang::from_accept_language(req))
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The reader's offset from UTC, which `app.js` keeps in the `tz` cookie (in minutes east of
/// UTC), so that a page's day headings fall where the reader's days change; UTC without it.
/// An offset, not a zone: a message from the other side of a daylight-saving change may sit
/// under its neighbour day by an hour, which `app.js` puts right when it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReaderOffset(pub time::UtcOffset);

pub const OFFSET_COOKIE: &str = "tz";

impl ReaderOffset {
    pub fn of_request(req: &HttpRequest) -> ReaderOffset {
        let minutes = req
            .cookie(OFFSET_COOKIE)
            .and_then(|c| c.value().parse::<i32>().ok())
            .filter(|m| m.abs() <= 18 * 60);
        ReaderOffset(
            minutes
                .and_then(|m| time::UtcOffset::from_whole_seconds(m * 60).ok())
                .unwrap_or(time::UtcOffset::UTC),
        )
    }

    /// The reader's calendar day at a moment.
    pub fn day_of(self, unix_seconds: i64) -> time::Date {
        time::OffsetDateTime::from_unix_timestamp(unix_seconds)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            .to_offset(self.0)
            .date()
    }
}

impl FromRequest for ReaderOffset {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ReaderOffset::of_request(req)))
    }
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang::of_request(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(source: &'static str) -> BTreeSet<&'static str> {
        assert!(
            fluent_syntax::parser::parse(source).is_ok(),
            "catalog parses"
        );
        message_keys(source).collect()
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let en = keys(EN_SOURCE);
        let fr = keys(FR_SOURCE);
        let only_en: Vec<_> = en.difference(&fr).collect();
        let only_fr: Vec<_> = fr.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in fr.ftl: {only_en:?}");
        assert!(only_fr.is_empty(), "missing in en.ftl: {only_fr:?}");
    }

    /// Every key the code names (`t("…")`, `t_args("…"`, `"error-…"` and `"flash-…"`) exists.
    /// Every Rust file under `src`, with its text.
    fn sources() -> Vec<(std::path::PathBuf, String)> {
        let mut files = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).expect("readable src") {
                    stack.push(entry.expect("entry").path());
                }
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let code = std::fs::read_to_string(&path).expect("readable source");
                files.push((path, code));
            }
        }
        files
    }

    #[test]
    fn every_key_used_in_the_code_exists() {
        let en = keys(EN_SOURCE);
        let mut missing = Vec::new();
        for (path, code) in sources() {
            for marker in [".t(\"", ".t_args(\"", "\"error-", "\"flash-"] {
                for (at, _) in code.match_indices(marker) {
                    let start = if marker.starts_with('"') {
                        at + 1
                    } else {
                        at + marker.len()
                    };
                    let key: String = code[start..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect();
                    if !key.is_empty() && !key.ends_with('-') && !en.contains(key.as_str()) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalog: {missing:#?}"
        );
    }

    #[test]
    fn every_key_in_the_catalog_is_used() {
        let code: String = sources().into_iter().map(|(_, code)| code).collect();
        // Keys made from a number (`date` asks for "month-{n}").
        let built = |key: &str| key.starts_with("month-") || key.starts_with("weekday-");
        let unused: Vec<&str> = keys(EN_SOURCE)
            .into_iter()
            .filter(|key| !built(key) && !code.contains(&format!("\"{key}\"")))
            .collect();
        assert!(unused.is_empty(), "catalog keys no code uses: {unused:#?}");
    }

    #[test]
    fn negotiates_french_and_falls_back_to_english() {
        let fr = actix_web::test::TestRequest::default()
            .insert_header(("accept-language", "fr-CA,fr;q=0.9,en;q=0.5"))
            .to_http_request();
        assert_eq!(Lang::from_accept_language(&fr), Lang::Fr);
        let de = actix_web::test::TestRequest::default()
            .insert_header(("accept-language", "de-DE,de;q=0.9"))
            .to_http_request();
        assert_eq!(Lang::from_accept_language(&de), Lang::En);
        let none = actix_web::test::TestRequest::default().to_http_request();
        assert_eq!(Lang::from_accept_language(&none), Lang::En);
    }

    #[test]
    fn dates_follow_the_language() {
        // 2026-11-21 12:00 UTC
        assert_eq!(Lang::En.date(1_795_262_400), "November 21, 2026");
        assert_eq!(Lang::Fr.date(1_795_262_400), "21 novembre 2026");
    }

    #[test]
    fn day_headings_say_today_yesterday_then_the_date() {
        let today = time::macros::date!(2026 - 03 - 03);
        let heading = |lang: Lang, day| lang.day_heading(day, today);
        assert_eq!(heading(Lang::En, today), "Today");
        assert_eq!(heading(Lang::Fr, today), "Aujourd’hui");
        assert_eq!(
            heading(Lang::En, time::macros::date!(2026 - 03 - 02)),
            "Yesterday"
        );
        assert_eq!(
            heading(Lang::Fr, time::macros::date!(2026 - 03 - 02)),
            "Hier"
        );
        assert_eq!(
            heading(Lang::En, time::macros::date!(2026 - 02 - 24)),
            "Tuesday, February 24"
        );
        assert_eq!(
            heading(Lang::Fr, time::macros::date!(2026 - 02 - 24)),
            "Mardi 24 février"
        );
        assert_eq!(
            heading(Lang::En, time::macros::date!(2025 - 12 - 30)),
            "Tuesday, December 30, 2025"
        );
        assert_eq!(
            heading(Lang::Fr, time::macros::date!(2025 - 12 - 30)),
            "Mardi 30 décembre 2025"
        );
    }

    #[test]
    fn the_readers_offset_comes_from_its_cookie_within_reason() {
        let offset = |cookie: Option<&str>| {
            let mut req = actix_web::test::TestRequest::default();
            if let Some(value) = cookie {
                req = req.cookie(actix_web::cookie::Cookie::new(
                    OFFSET_COOKIE,
                    value.to_owned(),
                ));
            }
            ReaderOffset::of_request(&req.to_http_request())
                .0
                .whole_minutes()
        };
        assert_eq!(offset(Some("60")), 60);
        assert_eq!(offset(Some("-330")), -330);
        assert_eq!(offset(None), 0);
        assert_eq!(offset(Some("99999")), 0);
        assert_eq!(offset(Some("east")), 0);
        // 23:30 UTC is already the next day an hour east.
        let late = 1_795_219_200 + 23 * 3600 + 1800; // 2026-11-21 23:30 UTC
        assert_eq!(
            ReaderOffset(time::UtcOffset::UTC).day_of(late),
            time::macros::date!(2026 - 11 - 21)
        );
        assert_eq!(
            ReaderOffset(time::UtcOffset::from_hms(1, 0, 0).unwrap()).day_of(late),
            time::macros::date!(2026 - 11 - 22)
        );
    }

    #[test]
    fn french_plurals_follow_french_rules() {
        let fr = |n: i64| Lang::Fr.t_args("unread-count", &[("count", n.into())]);
        let en = |n: i64| Lang::En.t_args("unread-count", &[("count", n.into())]);
        // French counts zero as singular, English as plural.
        assert_eq!(fr(0), "0 message non lu");
        assert_eq!(fr(1), "1 message non lu");
        assert_eq!(fr(2), "2 messages non lus");
        assert_eq!(en(0), "0 unread messages");
        assert_eq!(en(1), "1 unread message");
    }
}
