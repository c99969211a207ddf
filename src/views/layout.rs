//! The document around every page: the bare one (login, errors) and the signed-in app shell
//! with its five panels (corner menu, conversation list, top bar, messages, composer).

use maud::{DOCTYPE, Markup, html};

use super::conversation::conversation_list;
use super::{AvatarSize, avatar};
use crate::assets;
use crate::i18n::Lang;
use crate::model::ConversationId;
use crate::model::conversation::Summary;
use crate::model::user::User;
use crate::paths;

/// htmx settings: no inline styles or eval (so the Content-Security-Policy can forbid them),
/// and error responses swapped too, since ours carry a message for the alert region.
const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}"#;

/// The id of the page's `h1`, which a poll answer redraws when the page's title changes.
pub const PAGE_TITLE: &str = "page-title";

/// The document's title element, as the page draws it and as a poll answer redraws it.
pub fn document_title(title: &str) -> Markup {
    html! { title { (title) " · Bavard" } }
}

fn head(title: &str, viewer: Option<&User>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            (document_title(title))
            meta name="htmx-config" content=(HTMX_CONFIG);
            link rel="stylesheet" href=(assets::url("app.css"));
            @if let Some(me) = viewer {
                link rel="stylesheet" href=(assets::viewer_css_url(me.id));
            }
            script src=(assets::url("htmx.min.js")) defer {}
            script src=(assets::url("app.js")) defer {}
        }
    }
}

/// A page outside the app shell: login, sign-up, errors.
/// A page for visitors who are not signed in. With `here` (the page's own address), it offers
/// the other languages, each in its own words, and comes back to `here` in the one chosen.
pub fn bare_page(lang: Lang, title: &str, here: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(title, None))
            body.bare {
                a.skip-link href="#main" { (lang.t("skip-to-content")) }
                header.bare-header {
                    a.brand href="/" { "Bavard" }
                    @if let Some(here) = here {
                        form.language-picker method="post" action=(paths::LANGUAGE) {
                            input type="hidden" name="next" value=(here);
                            @for other in Lang::ALL.into_iter().filter(|l| *l != lang) {
                                button.link type="submit" name="language" value=(other.code()) lang=(other.code()) {
                                    (other.native_name())
                                }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    div #alerts role="alert" {}
                    (body)
                }
            }
        }
    }
}

/// Which part of the app a shell page belongs to, for the menu's `aria-current` and for the
/// single-column layout (the conversation list stands alone only on the home page).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Conversation,
    Profile,
    People,
    Search,
    Admin,
}

/// What every signed-in page shows around its content.
pub struct Shell<'a> {
    pub lang: Lang,
    pub me: &'a User,
    /// A confirmation from the previous action, already in the reader's language.
    pub flash: Option<&'a str>,
    pub conversations: &'a [Summary],
    pub open: Option<ConversationId>,
    pub filter: &'a str,
    /// Keeps the list (and the open conversation) live; see `conversation::poller`.
    pub poller: Markup,
}

pub fn app_page(shell: &Shell<'_>, section: Section, title: &str, main: Markup) -> Markup {
    let lang = shell.lang;
    let current = |s: Section| (section == s).then_some("page");
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(title, Some(shell.me)))
            body.app.is-home[section == Section::Home] data-reconnecting=(lang.t("connection-reconnecting"))
                data-me=(shell.me.id) {
                a.skip-link href="#main" { (lang.t("skip-to-content")) }
                div.shell {
                    header.corner {
                        a.brand href="/" aria-current=[current(Section::Home)] { "Bavard" }
                        nav.menu aria-label=(lang.t("menu-label")) {
                            ul {
                                li { a href=(paths::PROFILE) aria-current=[current(Section::Profile)] {
                                    (avatar(shell.me, AvatarSize::Small))
                                    span { (lang.t("menu-profile")) }
                                } }
                                li { a href=(paths::PEOPLE) aria-current=[current(Section::People)] {
                                    (lang.t("menu-people"))
                                } }
                                li { a href=(paths::SEARCH) aria-current=[current(Section::Search)] {
                                    (lang.t("menu-search"))
                                } }
                                @if shell.me.is_admin {
                                    li { a href=(paths::ADMIN) aria-current=[current(Section::Admin)] {
                                        (lang.t("menu-admin"))
                                    } }
                                }
                                li { form method="post" action=(paths::LOGOUT) {
                                    button.link type="submit" { (lang.t("menu-logout")) }
                                } }
                            }
                        }
                    }
                    nav.conversations aria-labelledby="conversations-heading" {
                        h2 #conversations-heading { (lang.t("conversations-heading")) }
                        (conversation_list(lang, shell.conversations, shell.open, shell.filter))
                    }
                    main #main tabindex="-1" {
                        div.topbar {
                            @if section == Section::Conversation {
                                // On a phone the list is a page of its own: the way back to it.
                                a.back href=(paths::HOME) {
                                    span aria-hidden="true" { "← " } (lang.t("back-to-conversations"))
                                }
                            }
                            h1 #(PAGE_TITLE) { (title) }
                        }
                        div #alerts role="alert" {}
                        div #status role="status" {
                            @if let Some(text) = shell.flash { p.flash { (text) } }
                        }
                        div.content { (main) }
                        p #connection role="status" {}
                        (shell.poller)
                    }
                }
            }
        }
    }
}
