//! Static files compiled into the binary and served at content-hashed URLs, so that browsers
//! cache them forever and the binary is the whole deployment.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::error::AppError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        // Pinned: the file name carries the exact htmx version vendored from the npm registry.
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/htmx-2.0.11.min.js"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/app.css"),
    },
];

/// `app.css` → `/assets/app.1f2e3d4c5b6a7988.css`, computed once.
static URLS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let mut hasher = DefaultHasher::new();
            asset.bytes.hash(&mut hasher);
            let (stem, ext) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
            format!("/assets/{stem}.{:016x}.{ext}", hasher.finish())
        })
        .collect()
});

/// The URL to link to for a named asset. Naming an asset that does not exist is a defect in the
/// views, caught by the tests; it yields a URL that answers 404.
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .position(|asset| asset.name == name)
        .map_or("/assets/missing", |i| URLS[i].as_str())
}

pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let wanted = format!("/assets/{file}");
    let index = URLS
        .iter()
        .position(|url| *url == wanted)
        .ok_or(AppError::NotFound)?;
    let asset = &ASSETS[index];
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(asset.bytes))
}

/// The rules that show a reader their own messages' controls. Messages are drawn once for every
/// reader, so what is "mine" is decided here, per reader, by a stylesheet that depends only on
/// the user id: public, and cached for good.
const VIEWER_CSS: &str = ".msg[data-author=\"{id}\"] .mine { display: block; }\n\
    .msg[data-author=\"{id}\"] { --own: 1; }\n\
    .reaction[data-by~=\"{id}\"] { border-color: var(--accent); outline: 1px solid var(--accent); }\n\
    .msg[data-mentions~=\"{id}\"], .msg[data-mentions~=\"everyone\"]:not([data-author=\"{id}\"]) { background: var(--mention); box-shadow: inset 3px 0 0 var(--accent); }\n";

pub fn viewer_css_url(user: crate::model::UserId) -> String {
    let mut hasher = DefaultHasher::new();
    VIEWER_CSS.hash(&mut hasher);
    format!("/viewer/{user}.{:08x}.css", hasher.finish() as u32)
}

pub async fn viewer_css(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id: i64 = file
        .split('.')
        .next()
        .and_then(|id| id.parse().ok())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(VIEWER_CSS.replace("{id}", &id.to_string())))
}

/// The service worker (`/sw.js`): at the root, not under a hashed name, since its address is
/// its scope and browsers look for updates there.
pub const SERVICE_WORKER: &str = include_str!("../assets/sw.js");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_distinct_hashed_url() {
        for asset in ASSETS {
            let url = url(asset.name);
            assert!(
                url.starts_with("/assets/") && url != "/assets/missing",
                "{url}"
            );
        }
        let distinct: std::collections::HashSet<&String> = URLS.iter().collect();
        assert_eq!(distinct.len(), ASSETS.len(), "{:?}", *URLS);
    }
}
