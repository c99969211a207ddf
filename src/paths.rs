//! The site's paths that code links or redirects to, built in one place, so that a route and
//! every way of reaching it cannot drift apart. The route table itself is in `app::routes`.

use actix_web::HttpRequest;
use actix_web::http::Method;

use crate::model::{ConversationId, EventId, MessageId};

pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const SIGNUP: &str = "/signup";
pub const PROFILE: &str = "/profile";
pub const PASSWORD: &str = "/profile/password";
pub const PEOPLE: &str = "/users";
pub const SEARCH: &str = "/search";
pub const AVATAR: &str = "/profile/avatar";
pub const AVATAR_REMOVE: &str = "/profile/avatar/remove";
pub const USAGE: &str = "/usage";
pub const ADMIN: &str = "/admin";
pub const LANGUAGE: &str = "/language";
pub const ADMIN_PEOPLE: &str = "/admin/people";
pub const ADMIN_INVITES: &str = "/admin/invites";
/// The token-authenticated API, under which errors are JSON.
pub const API: &str = "/api/";
pub const API_TOKENS: &str = "/profile/tokens";
/// Where a new group is posted.
pub const GROUPS: &str = "/c";
pub const NEW_GROUP: &str = "/c/new";

pub fn conversation(id: ConversationId) -> String {
    format!("/c/{id}")
}

/// A conversation's page showing the messages before `before`.
pub fn conversation_before(id: ConversationId, before: MessageId) -> String {
    format!("/c/{id}?before={before}")
}

/// The conversation's page with its composer answering `message`.
pub fn reply(id: ConversationId, message: MessageId) -> String {
    format!("/c/{id}?reply={message}#body")
}

/// A message in its conversation's page.
pub fn message(id: ConversationId, message: MessageId) -> String {
    format!("/c/{id}#m{message}")
}

/// A message in the page that ends with it (any message, however old), scrolled to and marked.
pub fn message_in_context(id: ConversationId, message: MessageId) -> String {
    format!("/c/{id}?before={}#m{message}", message.0 + 1)
}

/// Text made safe to put in a path segment or a query value.
fn encode(text: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
}

/// Message search, within one conversation or (None) in all of the reader's.
pub fn search(within: Option<ConversationId>, typed: &str, page: usize) -> String {
    let typed = encode(typed);
    let within = within.map(|c| format!("&c={c}")).unwrap_or_default();
    format!("{SEARCH}?q={typed}{within}&page={page}")
}

/// People search, page `page`.
pub fn people_search(typed: &str, page: usize) -> String {
    format!("{PEOPLE}?q={}&page={page}", encode(typed))
}

/// The administration's list of people, page `page`.
pub fn admin_people_search(typed: &str, page: usize) -> String {
    format!("{ADMIN_PEOPLE}?q={}&page={page}", encode(typed))
}

pub fn search_within(id: ConversationId) -> String {
    format!("{SEARCH}?c={id}")
}

pub fn messages(id: ConversationId) -> String {
    format!("/c/{id}/messages")
}

/// A file sent in a conversation. The address never changes (a file is never replaced), so it
/// may be cached for good.
pub fn file(id: ConversationId, file: i64) -> String {
    format!("/c/{id}/files/{file}")
}

pub fn thumbnail(id: ConversationId, file: i64) -> String {
    format!("/c/{id}/files/{file}/thumb")
}

/// A profile picture in one of `media::AVATAR_SIZES`: a new picture has a new key.
pub fn avatar(key: &str, size: u32) -> String {
    format!("/avatars/{key}/{size}")
}

/// The login page that leads to `next` afterwards.
pub fn login_then(next: &str) -> String {
    format!("{LOGIN}?next={}", encode(next))
}

/// The sign-up form for someone invited (the key is the invitation's, not its stored hash).
pub fn signup_invited(key: &str) -> String {
    format!("{SIGNUP}?invite={}", encode(key))
}

/// The administration's list of people, searched for one of them.
pub fn admin_people_named(username: &str) -> String {
    format!("{ADMIN_PEOPLE}?q={}", encode(username))
}

/// `action`: disable, enable, make-admin, remove-admin, or password (a reset).
pub fn admin_action(username: &str, action: &str) -> String {
    format!("{ADMIN_PEOPLE}/{}/{action}", encode(username))
}

pub fn profile_of(username: &str) -> String {
    format!("/u/{username}")
}

/// Opens (or creates) the direct conversation with `username`.
pub fn direct_with(username: &str) -> String {
    format!("/dm/{username}")
}

pub fn edit_message(id: ConversationId, message: MessageId) -> String {
    format!("/c/{id}/messages/{message}/edit")
}

pub fn delete_message(id: ConversationId, message: MessageId) -> String {
    format!("/c/{id}/messages/{message}/delete")
}

/// Where a reaction is put on a message or taken back (`reaction=<code>`).
pub fn reactions(id: ConversationId, message: MessageId) -> String {
    format!("/c/{id}/messages/{message}/reactions")
}

/// The messages before `before`, as a fragment for htmx.
pub fn history_before(id: ConversationId, before: MessageId) -> String {
    format!("/c/{id}/history?before={before}")
}

/// Where a group's members make webhooks.
pub fn webhooks(id: ConversationId) -> String {
    format!("/c/{id}/webhooks")
}

pub fn delete_webhook(id: ConversationId, hook: i64) -> String {
    format!("/c/{id}/webhooks/{hook}/delete")
}

/// A webhook's secret address: a POST there posts into its conversation.
pub fn incoming_webhook(hook: i64, secret: &str) -> String {
    format!("/hooks/{hook}/{secret}")
}

/// Where a member sets what the conversation may ask their attention for.
pub fn typing(id: ConversationId) -> String {
    format!("/c/{id}/typing")
}

pub fn notify(id: ConversationId) -> String {
    format!("/c/{id}/notify")
}

pub fn members(id: ConversationId) -> String {
    format!("/c/{id}/members")
}

pub fn title(id: ConversationId) -> String {
    format!("/c/{id}/title")
}

pub fn leave(id: ConversationId) -> String {
    format!("/c/{id}/leave")
}

/// The next poll after `cursor`: the open conversation's (with the newest message the page
/// shows, for its read mark), or the list-only poll of every other page.
/// `names`: the number of the latest rename the page has seen (`Hub::rename_number`).
/// `typing` is the open conversation's typing number the page shows (`realtime::typing`).
pub fn poll(
    open: Option<ConversationId>,
    cursor: EventId,
    read: Option<MessageId>,
    names: u64,
    typing: u64,
) -> String {
    match (open, read) {
        (Some(c), Some(read)) => {
            format!("/c/{c}/poll?after={cursor}&read={read}&names={names}&typing={typing}")
        }
        (Some(c), None) => format!("/c/{c}/poll?after={cursor}&names={names}&typing={typing}"),
        (None, _) => format!("/poll?after={cursor}&names={names}"),
    }
}

/// Where to send a visitor who must log in first, so that they come back to what they asked.
pub fn login_returning_to(req: &HttpRequest) -> String {
    let wanted = req.uri().path_and_query().map_or(HOME, |pq| pq.as_str());
    if req.method() != Method::GET || wanted == HOME {
        return LOGIN.to_owned();
    }
    login_then(wanted)
}

pub fn revoke_api_token(id: i64) -> String {
    format!("{API_TOKENS}/{id}/revoke")
}

/// Where a browser's push subscription is sent, and the profile's list of them.
pub const PUSH: &str = "/profile/push";
pub const PUSH_PANEL: &str = "/profile#push";
pub const SERVICE_WORKER: &str = "/sw.js";

pub fn remove_push(id: i64) -> String {
    format!("{PUSH}/{id}/remove")
}
