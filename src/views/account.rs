//! Login, sign-up and the profile editor.

use maud::{Markup, html};

use super::layout::{Section, Shell, app_page, bare_page};
use super::{AvatarSize, Field, FieldKind, avatar, title_with_errors};
use crate::i18n::Lang;
use crate::model::FieldError;
use crate::model::api_token::{ApiToken, NAME_MAX as TOKEN_NAME_MAX};
use crate::model::attachment::{Totals, Usage};
use crate::model::user::{ABOUT_MAX, DISPLAY_NAME_MAX, PASSWORD_MAX};
use crate::paths;

pub struct LoginForm<'a> {
    pub username: &'a str,
    pub next: Option<&'a str>,
    /// Catalog key of what went wrong (wrong credentials, too many attempts).
    pub problem: Option<&'static str>,
    pub registration_open: bool,
}

pub fn login_page(lang: Lang, form: &LoginForm<'_>) -> Markup {
    let title = lang.t("login-title");
    let title = if form.problem.is_some() {
        lang.t_args("title-with-errors", &[("title", title.clone().into())])
    } else {
        title
    };
    let here = match form.next {
        Some(next) => paths::login_then(next),
        None => paths::LOGIN.to_owned(),
    };
    bare_page(
        lang,
        &title,
        Some(&here),
        html! {
            h1 { (lang.t("login-heading")) }
            form.stack method="post" action=(paths::LOGIN) novalidate {
                @if let Some(problem) = form.problem {
                    p.form-problem #login-problem { (lang.t(problem)) }
                }
                @if let Some(next) = form.next {
                    input type="hidden" name="next" value=(next);
                }
                (Field {
                    name: "username", label: lang.t("field-username"), value: form.username,
                    kind: FieldKind::Text, hint: None, autocomplete: "username",
                    required: true, maxlength: Some(32),
                }.render(lang, &[]))
                (Field {
                    name: "password", label: lang.t("field-password"), value: "",
                    kind: FieldKind::Password, hint: None, autocomplete: "current-password",
                    required: true, maxlength: Some(PASSWORD_MAX),
                }.render(lang, &[]))
                button.primary type="submit" { (lang.t("login-submit")) }
            }
            @if form.registration_open {
                p { (lang.t("login-no-account")) " " a href=(paths::SIGNUP) { (lang.t("login-signup-link")) } }
            }
        },
    )
}

pub struct SignupForm<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub errors: &'a [FieldError],
    /// An administrator creating an account for someone else (registration closed).
    pub by_admin: bool,
    /// The key of the invitation the visitor came with (registration closed).
    pub invite: Option<&'a str>,
}

fn signup_fields(lang: Lang, form: &SignupForm<'_>) -> Markup {
    html! {
        (Field {
            name: "username", label: lang.t("field-username"), value: form.username,
            kind: FieldKind::Text, hint: Some(lang.t("hint-username")), autocomplete: "username",
            required: true, maxlength: Some(32),
        }.render(lang, form.errors))
        (Field {
            name: "display_name", label: lang.t("field-display-name"), value: form.display_name,
            kind: FieldKind::Text, hint: Some(lang.t("hint-display-name")), autocomplete: "name",
            required: true, maxlength: Some(DISPLAY_NAME_MAX),
        }.render(lang, form.errors))
        (Field {
            name: "password", label: lang.t("field-password"), value: "",
            kind: FieldKind::Password, hint: Some(lang.t("hint-new-password")),
            autocomplete: "new-password", required: true, maxlength: Some(PASSWORD_MAX),
        }.render(lang, form.errors))
    }
}

pub fn signup_page(lang: Lang, form: &SignupForm<'_>) -> Markup {
    let title = title_with_errors(lang, &lang.t("signup-title"), form.errors);
    let here = form
        .invite
        .map_or_else(|| paths::SIGNUP.to_owned(), paths::signup_invited);
    bare_page(
        lang,
        &title,
        Some(&here),
        html! {
            h1 { (lang.t("signup-heading")) }
            @if form.invite.is_some() {
                p { (lang.t("signup-invited")) }
            }
            form.stack method="post" action=(paths::SIGNUP) novalidate {
                @if let Some(invite) = form.invite {
                    input type="hidden" name="invite" value=(invite);
                }
                (signup_fields(lang, form))
                button.primary type="submit" { (lang.t("signup-submit")) }
            }
            p { (lang.t("signup-have-account")) " " a href=(paths::LOGIN) { (lang.t("signup-login-link")) } }
        },
    )
}

/// The administrator's form to create an account when registration is closed.
pub fn admin_signup_page(shell: &Shell<'_>, form: &SignupForm<'_>) -> Markup {
    let lang = shell.lang;
    let title = title_with_errors(lang, &lang.t("admin-signup-title"), form.errors);
    app_page(
        shell,
        Section::People,
        &title,
        html! {
            p { (lang.t("admin-signup-intro")) }
            form.stack method="post" action=(paths::SIGNUP) novalidate {
                (signup_fields(lang, form))
                button.primary type="submit" { (lang.t("admin-signup-submit")) }
            }
        },
    )
}

/// Sign-up is closed; `text_key` says why (closed, or the invitation is used or expired).
pub fn registration_closed_page(lang: Lang, text_key: &str) -> Markup {
    let title = lang.t("signup-closed-title");
    bare_page(
        lang,
        &title,
        Some(paths::SIGNUP),
        html! {
            h1 { (title) }
            p { (lang.t(text_key)) }
            p { a href=(paths::LOGIN) { (lang.t("signup-login-link")) } }
        },
    )
}

pub struct ProfileForm<'a> {
    pub display_name: &'a str,
    pub about: &'a str,
    pub language: Option<Lang>,
    pub errors: &'a [FieldError],
    pub password_errors: &'a [FieldError],
    pub avatar_errors: &'a [FieldError],
    pub push: PushPanel<'a>,
}

/// The browsers that get Web Push, and the key a new one subscribes with.
#[derive(Clone, Copy)]
pub struct PushPanel<'a> {
    pub browsers: &'a [crate::model::push::Listed],
    pub key: &'a str,
}

/// Notifications while Bavard is closed: which browsers get them (each removable, without
/// JavaScript too), and the button that asks this browser (app.js shows it where it works).
fn push_section(lang: Lang, panel: PushPanel<'_>) -> Markup {
    html! {
        section #push aria-labelledby="push-heading" {
            h2 #push-heading { (lang.t("push-heading")) }
            p.hint { (lang.t("push-intro")) }
            @if panel.browsers.is_empty() {
                p { (lang.t("push-none")) }
            } @else {
                ul.token-list {
                    @for browser in panel.browsers {
                        li {
                            span { (browser.label) } " "
                            span.hint { (lang.t_args("push-made-on", &[("date", lang.date(browser.created_at).into())])) } " "
                            form method="post" action=(paths::remove_push(browser.id)) {
                                button.link type="submit" aria-label=(lang.t_args("push-remove-label", &[("name", browser.label.clone().into())])) {
                                    (lang.t("push-remove"))
                                }
                            }
                        }
                    }
                }
            }
            button #push-enable type="button" hidden data-key=(panel.key) data-url=(paths::PUSH)
                data-denied=(lang.t("push-denied")) data-failed=(lang.t("push-failed")) {
                (lang.t("push-enable"))
            }
            noscript { p.hint { (lang.t("push-needs-js")) } }
        }
    }
}

pub fn profile_page(shell: &Shell<'_>, form: &ProfileForm<'_>) -> Markup {
    let (lang, me) = (shell.lang, shell.me);
    let all_errors: Vec<FieldError> = form
        .errors
        .iter()
        .chain(form.password_errors)
        .chain(form.avatar_errors)
        .cloned()
        .collect();
    let title = title_with_errors(lang, &lang.t("profile-title"), &all_errors);
    app_page(
        shell,
        Section::Profile,
        &title,
        html! {
            div.profile-card {
                (avatar(me, AvatarSize::Large))
                p { a href=(paths::profile_of(&me.username)) { (lang.t("profile-view-public")) } }
                p { a href=(paths::USAGE) { (lang.t("usage-link")) } }
                p { a href=(paths::API_TOKENS) { (lang.t("tokens-link")) } }
            }
            section aria-labelledby="avatar-heading" {
                h2 #avatar-heading { (lang.t("profile-avatar")) }
                @let error = form.avatar_errors.first();
                form.stack method="post" action=(paths::AVATAR) enctype="multipart/form-data" novalidate {
                    div.field.has-error[error.is_some()] {
                        label for="avatar" { (lang.t("profile-avatar-choose")) }
                        p.hint #avatar-hint { (lang.t("profile-avatar-hint")) }
                        input #avatar type="file" name="avatar" accept="image/jpeg,image/png,image/gif,image/webp"
                            aria-describedby={ "avatar-hint" @if error.is_some() { " avatar-error" } }
                            aria-invalid=[error.map(|_| "true")] autofocus[error.is_some()];
                        @if let Some(error) = error {
                            p.error #avatar-error {
                                @match &error.detail {
                                    Some(detail) => (lang.t_args(error.message, &[("detail", detail.clone().into())])),
                                    None => (lang.t(error.message)),
                                }
                            }
                        }
                    }
                    button.primary type="submit" { (lang.t("profile-avatar-submit")) }
                }
                @if me.avatar.is_some() {
                    form method="post" action=(paths::AVATAR_REMOVE) {
                        button type="submit" { (lang.t("profile-avatar-remove")) }
                    }
                }
            }
            section aria-labelledby="profile-details-heading" {
                h2 #profile-details-heading { (lang.t("profile-details-heading")) }
                form.stack method="post" action=(paths::PROFILE) novalidate {
                    p.readonly { (lang.t("field-username")) ": " strong { (me.username) } }
                    (Field {
                        name: "display_name", label: lang.t("field-display-name"),
                        value: form.display_name, kind: FieldKind::Text,
                        hint: Some(lang.t("hint-display-name")), autocomplete: "name",
                        required: true, maxlength: Some(DISPLAY_NAME_MAX),
                    }.render(lang, form.errors))
                    (Field {
                        name: "about", label: lang.t("field-about"), value: form.about,
                        kind: FieldKind::TextArea, hint: Some(lang.t("hint-about")),
                        autocomplete: "off", required: false, maxlength: Some(ABOUT_MAX),
                    }.render(lang, form.errors))
                    div.field {
                        label for="language" { (lang.t("field-language")) }
                        select #language name="language" {
                            option value="" selected[form.language.is_none()] {
                                (lang.t("language-browser"))
                            }
                            @for option in Lang::ALL {
                                option value=(option.code()) lang=(option.code())
                                    selected[form.language == Some(option)] { (option.native_name()) }
                            }
                        }
                    }
                    button.primary type="submit" { (lang.t("profile-save")) }
                }
            }
            section aria-labelledby="password-heading" {
                h2 #password-heading { (lang.t("password-heading")) }
                form.stack method="post" action=(paths::PASSWORD) novalidate {
                    (Field {
                        name: "current_password", label: lang.t("field-current-password"),
                        value: "", kind: FieldKind::Password, hint: None,
                        autocomplete: "current-password", required: true,
                        maxlength: Some(PASSWORD_MAX),
                    }.render(lang, form.password_errors))
                    (Field {
                        name: "new_password", label: lang.t("field-new-password"), value: "",
                        kind: FieldKind::Password, hint: Some(lang.t("hint-new-password")),
                        autocomplete: "new-password", required: true,
                        maxlength: Some(PASSWORD_MAX),
                    }.render(lang, form.password_errors))
                    p.hint { (lang.t("password-signs-out")) }
                    button.primary type="submit" { (lang.t("password-submit")) }
                }
            }
            (push_section(lang, form.push))
        },
    )
}

/// What an administrator sees of the whole instance on the usage page.
pub struct InstanceUsage {
    pub totals: Totals,
    pub database_bytes: Option<u64>,
    pub free_disk_bytes: Option<u64>,
}

pub struct UsageView<'a> {
    pub usage: &'a Usage,
    pub quota: u64,
    pub instance: Option<&'a InstanceUsage>,
}

/// The usage page: what the person sent and received, their storage against the quota, and
/// for administrators the instance's totals.
pub fn usage_page(shell: &Shell<'_>, view: &UsageView<'_>) -> Markup {
    let lang = shell.lang;
    let usage = view.usage;
    let files = |count: u64, bytes: u64| super::files_count(lang, count, bytes);
    let percent = usage
        .bytes_sent
        .saturating_mul(100)
        .checked_div(view.quota)
        .map_or(100, |p| p.min(100));
    let known =
        |bytes: Option<u64>| bytes.map_or_else(|| lang.t("usage-unknown"), |b| lang.size(b));
    app_page(
        shell,
        Section::Profile,
        &lang.t("usage-title"),
        html! {
            section aria-labelledby="usage-yours" {
                h2 #usage-yours { (lang.t("usage-yours")) }
                dl.usage {
                    dt { (lang.t("usage-messages")) } dd { (usage.messages_sent) }
                    dt { (lang.t("usage-files-sent")) } dd { (files(usage.files_sent, usage.bytes_sent)) }
                    dt { (lang.t("usage-files-received")) } dd { (files(usage.files_received, usage.bytes_received)) }
                    dt { (lang.t("usage-storage")) }
                    dd {
                        (lang.t_args("usage-of-quota", &[
                            ("used", lang.size(usage.bytes_sent).into()),
                            ("quota", lang.size(view.quota).into()),
                            ("percent", percent.into()),
                        ]))
                        " "
                        meter min="0" max="100" value=(percent) aria-hidden="true" {}
                    }
                }
            }
            @if let Some(instance) = view.instance {
                section aria-labelledby="usage-instance" {
                    h2 #usage-instance { (lang.t("usage-instance")) }
                    dl.usage {
                        dt { (lang.t("usage-accounts")) } dd { (instance.totals.accounts) }
                        dt { (lang.t("usage-total-messages")) } dd { (instance.totals.messages) }
                        dt { (lang.t("usage-total-files")) } dd { (files(instance.totals.files, instance.totals.file_bytes)) }
                        dt { (lang.t("usage-database")) } dd { (known(instance.database_bytes)) }
                        dt { (lang.t("usage-free-disk")) } dd { (known(instance.free_disk_bytes)) }
                    }
                }
            }
        },
    )
}

/// The person's API tokens: which exist, one just made (shown this once), and a form for more.
pub fn tokens_page(
    shell: &Shell<'_>,
    tokens: &[ApiToken],
    made: Option<&str>,
    errors: &[FieldError],
) -> Markup {
    let lang = shell.lang;
    let title = title_with_errors(lang, &lang.t("tokens-title"), errors);
    app_page(
        shell,
        Section::Profile,
        &title,
        html! {
            p { (lang.t("tokens-intro")) }
            @if let Some(token) = made {
                div.made-token role="status" {
                    p { (lang.t("tokens-made")) }
                    (super::shown_once("new-token", &lang.t("tokens-token"), token))
                }
            }
            @if !tokens.is_empty() {
                ul.token-list {
                    @for token in tokens {
                        li {
                            span { (token.name) } " "
                            span.hint { (lang.t_args("tokens-made-on", &[("date", lang.date(token.created_at).into())])) } " "
                            form method="post" action=(paths::revoke_api_token(token.id))
                                data-confirm=(lang.t("tokens-revoke-confirm")) {
                                button.link type="submit" aria-label=(lang.t_args("tokens-revoke-label", &[("name", token.name.clone().into())])) {
                                    (lang.t("tokens-revoke"))
                                }
                            }
                        }
                    }
                }
            }
            form.stack method="post" action=(paths::API_TOKENS) novalidate {
                (Field {
                    name: "name", label: lang.t("tokens-name"), value: "",
                    kind: FieldKind::Text, hint: None, autocomplete: "off", required: true,
                    maxlength: Some(TOKEN_NAME_MAX),
                }.render(lang, errors))
                button.primary type="submit" { (lang.t("tokens-create")) }
            }
            p { a href=(paths::PROFILE) { (lang.t("tokens-back")) } }
        },
    )
}
