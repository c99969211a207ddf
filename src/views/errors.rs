use actix_web::http::StatusCode;
use maud::{Markup, html};

use super::layout::bare_page;
use crate::i18n::Lang;

pub fn error_page(lang: Lang, status: StatusCode, message: &str) -> Markup {
    let title = lang.t_args("error-title", &[("code", status.as_u16().into())]);
    bare_page(
        lang,
        &title,
        None,
        html! {
            h1 { (title) }
            p.error-message { (message) }
            p { a href="/" { (lang.t("error-back-home")) } }
        },
    )
}

pub fn alert_fragment(message: &str) -> Markup {
    html! { p.alert { (message) } }
}
