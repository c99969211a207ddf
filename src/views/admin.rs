//! Administration pages: the instance's figures, people, and a password reset's one showing.

use std::time::Duration;

use maud::{Markup, html};

use super::layout::{Section, Shell, app_page};
use super::{AvatarSize, avatar, pager, results_status};
use crate::i18n::Lang;
use crate::model::attachment::Totals;
use crate::model::user::User;
use crate::monitor::{LastHour, LogLine};
use crate::paths;

pub struct Monitoring<'a> {
    pub version: &'a str,
    pub started_at: i64,
    pub uptime: Duration,
    /// (first second of the day, text messages), oldest first.
    pub per_day: &'a [(i64, u64)],
    pub active_today: u64,
    pub active_week: u64,
    pub totals: &'a Totals,
    pub database_bytes: u64,
    pub free_disk_bytes: Option<u64>,
    pub parked_polls: usize,
    pub last_hour: LastHour,
    pub problems: &'a [LogLine],
}

fn admin_tabs(lang: Lang, current: &str) -> Markup {
    html! {
        nav.admin-tabs aria-label=(lang.t("admin-label")) {
            ul {
                li { a href=(paths::ADMIN) aria-current=[(current == paths::ADMIN).then_some("page")] { (lang.t("admin-monitoring")) } }
                li { a href=(paths::ADMIN_PEOPLE) aria-current=[(current == paths::ADMIN_PEOPLE).then_some("page")] { (lang.t("admin-people")) } }
            }
        }
    }
}

fn duration_words(lang: Lang, uptime: Duration) -> String {
    let minutes = uptime.as_secs() / 60;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    lang.t_args(
        "admin-uptime-value",
        &[
            ("days", days.into()),
            ("hours", hours.into()),
            ("minutes", minutes.into()),
        ],
    )
}

/// Messages per day as bars, drawn by the server: no script, and the same figures in the
/// table under it for whoever does not see the chart.
fn chart(lang: Lang, per_day: &[(i64, u64)]) -> Markup {
    const WIDTH: u64 = 600;
    const HEIGHT: u64 = 120;
    let most = per_day.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let slot = WIDTH / (per_day.len().max(1) as u64);
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT + 2) } role="img" aria-labelledby="chart-title" preserveAspectRatio="none" {
                title #chart-title { (lang.t_args("admin-chart-title", &[("most", most.into())])) }
                @for (i, (day, count)) in per_day.iter().enumerate() {
                    @let height = count * HEIGHT / most;
                    rect x=(i as u64 * slot + 1) y=(HEIGHT - height) width=(slot.saturating_sub(2).max(1)) height=(height.max(1)) {
                        title { (lang.date(*day)) ": " (count) }
                    }
                }
            }
            figcaption { (lang.t("admin-chart-caption")) }
        }
        details.chart-table {
            summary { (lang.t("admin-chart-table")) }
            table {
                thead { tr { th scope="col" { (lang.t("admin-day")) } th scope="col" { (lang.t("admin-messages")) } } }
                tbody {
                    @for (day, count) in per_day.iter().rev() {
                        tr { td { (lang.date(*day)) } td { (count) } }
                    }
                }
            }
        }
    }
}

pub fn monitoring_page(shell: &Shell<'_>, view: &Monitoring<'_>) -> Markup {
    let lang = shell.lang;
    let ms = |value: Option<f64>| {
        value.map_or_else(|| lang.t("usage-unknown"), |v| format!("≤ {v:.1} ms"))
    };
    app_page(
        shell,
        Section::Admin,
        &lang.t("admin-monitoring"),
        html! {
            (admin_tabs(lang, paths::ADMIN))
            section aria-labelledby="admin-server" {
                h2 #admin-server { (lang.t("admin-server")) }
                dl.usage {
                    dt { (lang.t("admin-version")) } dd { (view.version) }
                    dt { (lang.t("admin-uptime")) }
                    dd { (duration_words(lang, view.uptime)) " (" (lang.t_args("admin-since", &[("date", lang.date_time(view.started_at).into())])) ")" }
                    dt { (lang.t("admin-parked")) } dd { (view.parked_polls) }
                    dt { (lang.t("admin-requests-hour")) } dd { (view.last_hour.answers) }
                    dt { (lang.t("admin-latency")) }
                    dd { "p50 " (ms(view.last_hour.p50_ms)) ", p99 " (ms(view.last_hour.p99_ms)) }
                    dt { (lang.t("admin-errors-hour")) } dd { (view.last_hour.errors) }
                }
            }
            section aria-labelledby="admin-activity" {
                h2 #admin-activity { (lang.t("admin-activity")) }
                dl.usage {
                    dt { (lang.t("admin-active-today")) } dd { (view.active_today) }
                    dt { (lang.t("admin-active-week")) } dd { (view.active_week) }
                    dt { (lang.t("usage-accounts")) } dd { (view.totals.accounts) }
                    dt { (lang.t("usage-total-messages")) } dd { (view.totals.messages) }
                }
                (chart(lang, view.per_day))
            }
            section aria-labelledby="admin-storage" {
                h2 #admin-storage { (lang.t("admin-storage")) }
                dl.usage {
                    dt { (lang.t("usage-database")) } dd { (lang.size(view.database_bytes)) }
                    dt { (lang.t("usage-total-files")) }
                    dd { (super::files_count(lang, view.totals.files, view.totals.file_bytes)) }
                    dt { (lang.t("usage-free-disk")) }
                    dd { (view.free_disk_bytes.map_or_else(|| lang.t("usage-unknown"), |b| lang.size(b))) }
                }
            }
            section aria-labelledby="admin-problems" {
                h2 #admin-problems { (lang.t("admin-problems")) }
                @if view.problems.is_empty() {
                    p { (lang.t("admin-no-problems")) }
                } @else {
                    ol.problems {
                        @for line in view.problems {
                            li.error[line.error] {
                                time datetime=(super::conversation::iso(line.at.unix_timestamp())) { (lang.date_time(line.at.unix_timestamp())) }
                                " " strong { (if line.error { lang.t("admin-error") } else { lang.t("admin-warning") }) }
                                " " code { (line.text) }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub struct PeopleAdmin<'a> {
    pub query: &'a str,
    pub page: usize,
    pub people: &'a [User],
    pub has_more: bool,
}

pub fn people_page(shell: &Shell<'_>, view: &PeopleAdmin<'_>) -> Markup {
    let lang = shell.lang;
    let me = shell.me;
    let button = |user: &User, action: &str, key: &str| {
        html! {
            form method="post" action=(paths::admin_action(&user.username, action)) {
                button type="submit" { (lang.t_args(key, &[("name", user.display_name.clone().into())])) }
            }
        }
    };
    app_page(
        shell,
        Section::Admin,
        &lang.t("admin-people"),
        html! {
            (admin_tabs(lang, paths::ADMIN_PEOPLE))
            form.search-row role="search" method="get" action=(paths::ADMIN_PEOPLE) {
                label for="q" { (lang.t("people-search-label")) }
                input #q type="search" name="q" value=(view.query) autocomplete="off";
                button type="submit" { (lang.t("people-search-submit")) }
            }
            div.admin-create {
                a.button href=(paths::SIGNUP) { (lang.t("admin-create-account")) }
                form method="post" action=(paths::ADMIN_INVITES) {
                    button type="submit" { (lang.t("admin-invite")) }
                }
            }
            (results_status(lang, view.people.is_empty(), "people-none", "admin-people-page", view.page))
            ul.people.admin-people {
                @for user in view.people {
                    li.person {
                        (avatar(user, AvatarSize::Small))
                        span.person-name { (user.display_name) }
                        " " span.person-handle { "@" (user.username) }
                        " " span.badges {
                            @if user.is_admin { span.badge { (lang.t("admin-role-admin")) } }
                            @if user.disabled { span.badge.disabled { (lang.t("admin-status-disabled")) } }
                        }
                        @if user.id != me.id {
                            div.person-actions {
                                @if user.disabled {
                                    (button(user, "enable", "admin-enable"))
                                } @else {
                                    (button(user, "disable", "admin-disable"))
                                }
                                @if user.is_admin {
                                    (button(user, "remove-admin", "admin-remove-admin"))
                                } @else {
                                    (button(user, "make-admin", "admin-make-admin"))
                                }
                                form method="post" action=(paths::admin_action(&user.username, "password"))
                                    data-confirm=(lang.t_args("admin-reset-confirm", &[("name", user.display_name.clone().into())])) {
                                    button type="submit" { (lang.t_args("admin-reset-password", &[("name", user.display_name.clone().into())])) }
                                }
                            }
                        }
                    }
                }
            }
            (pager(lang, view.page, view.has_more, |page| paths::admin_people_search(view.query, page)))
        },
    )
}

pub fn temporary_password_page(shell: &Shell<'_>, person: &User, temporary: &str) -> Markup {
    let lang = shell.lang;
    app_page(
        shell,
        Section::Admin,
        &lang.t("admin-reset-title"),
        html! {
            (admin_tabs(lang, ""))
            p { (lang.t_args("admin-reset-done", &[("name", person.display_name.clone().into()), ("username", person.username.clone().into())])) }
            p.temporary-password { code { (temporary) } }
            p.hint { (lang.t("admin-reset-hint")) }
            p { a href=(paths::admin_people_named(&person.username)) { (lang.t("admin-back-to-people")) } }
        },
    )
}

pub fn invite_page(shell: &Shell<'_>, link: &str) -> Markup {
    let lang = shell.lang;
    app_page(
        shell,
        Section::Admin,
        &lang.t("admin-invite-title"),
        html! {
            (admin_tabs(lang, ""))
            p { (lang.t("admin-invite-done")) }
            (super::shown_once("invite-link", &lang.t("admin-invite-link"), link))
            p.hint { (lang.t("admin-invite-hint")) }
            p { a href=(paths::ADMIN_PEOPLE) { (lang.t("admin-back-to-people")) } }
        },
    )
}
