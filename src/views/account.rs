//! Login, sign-up and the profile editor.

use maud::{Markup, html};

use super::layout::{Section, Shell, app_page, bare_page};
use super::{AvatarSize, Field, FieldKind, avatar, title_with_errors};
use crate::i18n::Lang;
use crate::model::FieldError;
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
    bare_page(
        lang,
        &title,
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
    bare_page(
        lang,
        &title,
        html! {
            h1 { (lang.t("signup-heading")) }
            form.stack method="post" action=(paths::SIGNUP) novalidate {
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

pub fn registration_closed_page(lang: Lang) -> Markup {
    let title = lang.t("signup-closed-title");
    bare_page(
        lang,
        &title,
        html! {
            h1 { (title) }
            p { (lang.t("signup-closed-text")) }
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
}

pub fn profile_page(shell: &Shell<'_>, form: &ProfileForm<'_>) -> Markup {
    let (lang, me) = (shell.lang, shell.me);
    let all_errors: Vec<FieldError> = form
        .errors
        .iter()
        .chain(form.password_errors)
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
        },
    )
}
