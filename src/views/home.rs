use maud::{Markup, html};

use super::layout::{Section, Shell, app_page};
use crate::paths;

pub fn home_page(shell: &Shell<'_>) -> Markup {
    let lang = shell.lang;
    let title = lang.t_args(
        "home-title",
        &[("name", shell.me.display_name.clone().into())],
    );
    app_page(
        shell,
        Section::Home,
        &title,
        html! {
            p { (lang.t("home-intro")) }
            p.actions {
                a.button href=(paths::PEOPLE) { (lang.t("home-find-people")) }
                " "
                a.button href=(paths::NEW_GROUP) { (lang.t("conversations-new-group")) }
            }
        },
    )
}
