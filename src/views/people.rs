//! Finding people and looking at someone's profile.

use maud::{Markup, html};

use super::layout::{Section, Shell, app_page};
use super::{AvatarSize, avatar, pager, results_status};
use crate::i18n::Lang;
use crate::model::user::{Presence, SearchPage, User};
use crate::paths;

pub struct Search<'a> {
    pub query: &'a str,
    pub page: usize,
    pub results: Option<&'a SearchPage>,
}

pub fn search_page(shell: &Shell<'_>, search: &Search<'_>) -> Markup {
    let lang = shell.lang;
    let title = lang.t("people-title");
    app_page(
        shell,
        Section::People,
        &title,
        html! {
            @if shell.me.is_admin {
                p { a href=(paths::SIGNUP) { (lang.t("people-admin-add")) } }
            }
            form.search role="search" method="get" action=(paths::PEOPLE)
                hx-get=(paths::PEOPLE) hx-target="#search-results" hx-push-url="true"
                hx-trigger="input changed delay:300ms from:#q, submit" {
                label for="q" { (lang.t("people-search-label")) }
                div.search-row {
                    input #q type="search" name="q" value=(search.query) autocomplete="off"
                        maxlength="100" aria-describedby="search-hint";
                    button type="submit" { (lang.t("people-search-submit")) }
                }
                p.hint #search-hint { (lang.t("people-search-hint")) }
            }
            div #search-results { (results_fragment(lang, search)) }
        },
    )
}

/// The result list and its pager: swapped in as the user types.
pub fn results_fragment(lang: Lang, search: &Search<'_>) -> Markup {
    let Some(results) = search.results else {
        return html! {};
    };
    let empty = results.users.is_empty();
    html! {
        (results_status(lang, empty, "people-none", "people-page", search.page))
        @if !results.users.is_empty() {
            ul.people {
                @for user in &results.users {
                    li.person-row {
                        (person_link(user))
                        (message_button(lang, user))
                    }
                }
            }
        }
        (pager(lang, search.page, results.has_more, |page| paths::people_search(search.query, page)))
    }
}

/// Opens the direct conversation with `user`, creating it the first time.
fn message_button(lang: Lang, user: &User) -> Markup {
    html! {
        form.message-button method="post" action=(paths::direct_with(&user.username)) {
            button type="submit" {
                (lang.t("people-message"))
                span.visually-hidden { " " (user.display_name) }
            }
        }
    }
}

fn person_link(user: &User) -> Markup {
    html! {
        a.person href=(paths::profile_of(&user.username)) {
            (avatar(user, AvatarSize::Small))
            span.person-name { (user.display_name) }
            " "
            span.person-handle { "@" (user.username) }
        }
    }
}

pub fn profile_page(shell: &Shell<'_>, user: &User, presence: Option<Presence>) -> Markup {
    let (lang, me) = (shell.lang, shell.me);
    app_page(
        shell,
        Section::People,
        &user.display_name,
        html! {
            div.profile-card {
                (avatar(user, AvatarSize::Large))
                p.person-handle { "@" (user.username) }
                (super::presence_line(lang, presence))
                @if user.is_admin {
                    p.badge { (lang.t("profile-admin")) }
                }
            }
            @if !user.about.is_empty() {
                section aria-labelledby="about-heading" {
                    h2 #about-heading { (lang.t("profile-about-heading")) }
                    p.about { (user.about) }
                }
            }
            p.member-since {
                (lang.t_args("profile-member-since", &[("date", lang.date(user.created_at).into())]))
            }
            @if user.id == me.id {
                p { a href=(paths::PROFILE) { (lang.t("profile-edit-link")) } }
            } @else {
                (message_button(lang, user))
            }
        },
    )
}
