use maud::{Markup, html};

use super::layout::{Section, Shell, app_page};
use crate::i18n::Lang;
use crate::model::user::User;

pub fn home_page(lang: Lang, me: &User, flash: Option<&str>) -> Markup {
    let title = lang.t_args("home-title", &[("name", me.display_name.clone().into())]);
    app_page(
        Shell {
            lang,
            me,
            title: &title,
            section: Section::Home,
            flash,
        },
        html! {
            p { (lang.t("home-intro")) }
            p { a.button href="/users" { (lang.t("home-find-people")) } }
        },
    )
}
