use actix_web::HttpResponse;

use super::ok_html;
use crate::auth::SignedIn;
use crate::views::home::home_page;

pub async fn home(me: SignedIn) -> HttpResponse {
    ok_html(home_page(me.lang, &me.user, me.flash.as_deref()))
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}
