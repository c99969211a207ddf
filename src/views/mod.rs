//! Pure functions from data to markup: `*_page` draws a whole document, `*_fragment` a piece
//! that htmx swaps in. No I/O and no database here; every word comes from the catalog.

pub mod account;
pub mod admin;
pub mod conversation;
pub mod errors;
pub mod home;
pub mod layout;
pub mod people;
pub mod search;

use maud::{Markup, html};

use crate::i18n::Lang;
use crate::model::FieldError;
use crate::model::UserId;
use crate::model::user::User;

/// The person's picture, or their initials on a colour picked from their id: recognisable at a
/// glance, and hidden from screen readers, which read the name beside it instead.
pub fn avatar(user: &User, size: AvatarSize) -> Markup {
    person_avatar(user.id, &user.display_name, user.avatar.as_deref(), size)
}

/// A person's avatar whose initials a poll answer can redraw when they take another name.
pub fn person_avatar(
    person: UserId,
    name: &str,
    picture: Option<&str>,
    size: AvatarSize,
) -> Markup {
    drawn_avatar(person.0, name, picture, size, Some(person))
}

/// `picture` (a profile picture's key), or the initials of `name` on one of twelve colours
/// chosen by `seed` (a user or conversation id).
pub fn avatar_for(seed: i64, name: &str, picture: Option<&str>, size: AvatarSize) -> Markup {
    drawn_avatar(seed, name, picture, size, None)
}

fn drawn_avatar(
    seed: i64,
    name: &str,
    picture: Option<&str>,
    size: AvatarSize,
    person: Option<UserId>,
) -> Markup {
    let (class, pixels) = match size {
        AvatarSize::Small => ("avatar-small", crate::media::AVATAR_SIZES[0]),
        AvatarSize::Large => ("avatar-large", crate::media::AVATAR_SIZES[1]),
    };
    if let Some(key) = picture {
        return html! {
            img class={ "avatar " (class) } src=(crate::paths::avatar(key, pixels)) alt=(name)
                aria-hidden="true" width=(pixels / 2) height=(pixels / 2);
        };
    }
    let hue = seed.rem_euclid(12);
    html! {
        span class={ "avatar " (class) " hue-" (hue) @if let Some(person) = person { " " (initials_class(person)) } }
            aria-hidden="true" { (initials(name)) }
    }
}

/// The first letters of a name's first two words, as an avatar without a picture shows them.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// Marks each place a page names someone, so that a poll answer can rename them all at once.
pub fn name_class(person: UserId) -> String {
    format!("name-u{person}")
}

/// Marks each avatar that shows someone's initials, for the same reason.
pub fn initials_class(person: UserId) -> String {
    format!("initials-u{person}")
}

#[derive(Clone, Copy)]
pub enum AvatarSize {
    Small,
    Large,
}

/// One labelled form control with its hint and error, tied together for screen readers.
pub struct Field<'a> {
    pub name: &'static str,
    pub label: String,
    pub value: &'a str,
    pub kind: FieldKind,
    pub hint: Option<String>,
    pub autocomplete: &'static str,
    pub required: bool,
    pub maxlength: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Password,
    TextArea,
}

impl Field<'_> {
    pub fn render(&self, lang: Lang, errors: &[FieldError]) -> Markup {
        let error = errors.iter().find(|e| e.field == self.name);
        let hint_id = format!("{}-hint", self.name);
        let error_id = format!("{}-error", self.name);
        let mut described_by = Vec::new();
        if self.hint.is_some() {
            described_by.push(hint_id.as_str());
        }
        if error.is_some() {
            described_by.push(error_id.as_str());
        }
        let described_by = (!described_by.is_empty()).then(|| described_by.join(" "));
        // The first field in error takes the focus, so the reader lands on what to fix.
        let autofocus = error.is_some() && errors.first().map(|e| e.field) == Some(self.name);
        html! {
            div.field.has-error[error.is_some()] {
                label for=(self.name) { (self.label) }
                @if let Some(hint) = &self.hint {
                    p.hint id=(hint_id) { (hint) }
                }
                @if self.kind == FieldKind::TextArea {
                    textarea id=(self.name) name=(self.name) rows="4"
                        maxlength=[self.maxlength] required[self.required]
                        aria-describedby=[described_by.as_deref()]
                        aria-invalid=[error.map(|_| "true")] autofocus[autofocus] { (self.value) }
                } @else {
                    input id=(self.name) name=(self.name)
                        type=(if self.kind == FieldKind::Password { "password" } else { "text" })
                        value=(self.value) autocomplete=(self.autocomplete)
                        maxlength=[self.maxlength] required[self.required]
                        aria-describedby=[described_by.as_deref()]
                        aria-invalid=[error.map(|_| "true")] autofocus[autofocus];
                }
                @if let Some(error) = error {
                    p.error id=(error_id) {
                        @match &error.detail {
                            Some(detail) => (lang.t_args(error.message, &[("detail", detail.clone().into())])),
                            None => (lang.t(error.message)),
                        }
                    }
                }
            }
        }
    }
}

/// "3 files, 1.2 MB": the usage and monitoring pages' way to count files.
pub fn files_count(lang: Lang, count: u64, bytes: u64) -> String {
    lang.t_args(
        "usage-files",
        &[("count", count.into()), ("size", lang.size(bytes).into())],
    )
}

/// A page title that tells screen-reader users at once that the form needs attention.
pub fn title_with_errors(lang: Lang, title: &str, errors: &[FieldError]) -> String {
    if errors.is_empty() {
        title.to_owned()
    } else {
        lang.t_args("title-with-errors", &[("title", title.to_owned().into())])
    }
}

/// Announced when results arrive: `none` when there are none, else `page_key` with the page.
pub fn results_status(lang: Lang, empty: bool, none: &str, page_key: &str, page: usize) -> Markup {
    html! {
        p.result-count role="status" {
            @if empty { (lang.t(none)) } @else { (lang.t_args(page_key, &[("page", page.into())])) }
        }
    }
}

/// "Previous page" and "Next page" under a list of results; `link` gives a page's address.
pub fn pager(lang: Lang, page: usize, has_more: bool, link: impl Fn(usize) -> String) -> Markup {
    html! {
        @if page > 1 || has_more {
            nav.pager aria-label=(lang.t("pager-label")) {
                @if page > 1 {
                    a href=(link(page - 1)) rel="prev" { (lang.t("pager-previous")) }
                }
                @if has_more {
                    a href=(link(page + 1)) rel="next" { (lang.t("pager-next")) }
                }
            }
        }
    }
}

/// "Online now", or when the person was last seen (shown in the reader's zone by app.js).
pub fn presence_line(lang: Lang, presence: Option<crate::model::user::Presence>) -> Markup {
    use crate::model::user::Presence;
    html! {
        @match presence {
            Some(Presence::Online) => p.presence.online { span.dot aria-hidden="true" {} (lang.t("presence-online")) },
            Some(Presence::LastSeen(at)) => p.presence {
                (lang.t("presence-seen")) " "
                time datetime=(conversation::iso(at)) title=(lang.date_time(at)) data-local="auto" { (lang.date_time(at)) }
            },
            None => {}
        }
    }
}

/// A secret shown this once (a link, an address, a token), in a read-only field to copy from.
pub fn shown_once(id: &str, label: &str, value: &str) -> Markup {
    html! {
        p.temporary-password {
            label for=(id) { (label) }
            input id=(id) type="text" readonly value=(value);
        }
    }
}
