//! Opening, creating and managing conversations. Every route that names a conversation finds
//! it through the reader's membership: to anyone else it does not exist (404).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use super::{
    Frame, Opened, html, invalid_form, load_frame, ok_html, see_other, shell, write_and_publish,
};
use crate::auth::{self, SignedIn};
use crate::db;
use crate::error::{AppError, is_htmx};
use crate::forms::Form;
use crate::model::conversation::{self, Kind, Member, Notify};
use crate::model::message::{self, Message, Quote};
use crate::model::{ConversationId, FieldError, MessageId, UserId, user, webhook};
use crate::paths;
use crate::realtime::typing;
use crate::state::AppState;
use crate::views::conversation::{
    self as views, Composer, ConversationView, NewGroupForm, history_fragment,
};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BeforeQuery {
    before: Option<i64>,
    /// The message to answer ("Reply"): the composer quotes it.
    reply: Option<i64>,
}

/// What the composer shows as the page is drawn: what was typed, the message it answers, and
/// what was wrong with it.
#[derive(Clone, Copy, Default)]
pub(super) struct Drafted<'a> {
    pub draft: &'a str,
    pub reply: Option<&'a Quote>,
    pub errors: &'a [FieldError],
}

/// Draws the conversation page, with the composer's draft and any problems kept.
pub(super) async fn render_page(
    me: &SignedIn,
    state: &AppState,
    id: ConversationId,
    before: Option<MessageId>,
    drafted: Drafted<'_>,
    panel_errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let Drafted {
        draft,
        reply,
        errors: composer_errors,
    } = drafted;
    let user = me.user.id;
    // Taken before the snapshot: an account changed while it is read leaves nothing kept.
    let accounts = state.users.generation();
    let seen = state.readers.read(|conn| {
        conversation::read_if_seen(conn, id, user, before, (&state.latest_pages, accounts))
    })?;
    let reading = match seen {
        Some(reading) => reading,
        None => {
            let (latest_pages, origin) = (Arc::clone(&state.latest_pages), state.hub.origin());
            db::run(&state.pool, move |conn| {
                conversation::read(conn, id, user, before, (&latest_pages, accounts), origin)
            })
            .await?
        }
    };
    if reading.read_moved {
        state.hub.read_moved(user, id);
    }
    let presence = match reading.members.iter().find(|m| m.id != user) {
        Some(other) if reading.conversation.kind == Kind::Direct => {
            super::presence_of(state, other.id)?
        }
        _ => None,
    };
    let webhooks = match reading.conversation.kind {
        Kind::Group => state
            .readers
            .read(|conn| webhook::of_conversation(conn, id))?,
        Kind::Direct => Vec::new(),
    };
    let (typing_number, typists) = state.hub.typing.shown(id, user);
    let typing_shown = typing::shown_in(reading.conversation.kind, reading.members.len());
    let frame = Frame {
        conversations: reading.list,
        cursor: reading.cursor,
    };
    let page = views::conversation_page(
        &shell(
            me,
            &frame,
            state,
            Some(Opened {
                id,
                latest: reading.latest,
                typing: typing_number,
            }),
            "",
        ),
        &ConversationView {
            drawn: &state.drawn,
            reader: user,
            conversation: &reading.conversation,
            title: &reading.title,
            members: &reading.members,
            page: &reading.page,
            offset: me.offset,
            before,
            composer: Composer {
                conversation: id,
                draft,
                reply,
                errors: composer_errors,
                uploads: &state.media.rules,
            },
            panel_errors,
            webhooks: &webhooks,
            presence,
            typing: typing_shown.then_some(typists.as_slice()),
            drawn_at_ms: time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000,
        },
    );
    let status = if composer_errors.is_empty() && panel_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(status, page))
}

pub async fn show(
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<BeforeQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, before) = (ConversationId(*id), query.before.map(MessageId));
    // A message that cannot be answered any more (deleted, or never here) only goes unquoted.
    let reply = match query.reply {
        Some(original) => state
            .readers
            .read(|conn| message::reply_target(conn, id, MessageId(original)))?,
        None => None,
    };
    let drafted = Drafted {
        reply: reply.as_ref(),
        ..Drafted::default()
    };
    render_page(&me, &state, id, before, drafted, &[]).await
}

/// "Load earlier messages": a fragment for htmx, the older page itself otherwise.
pub async fn history(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<BeforeQuery>,
) -> Result<HttpResponse, AppError> {
    let id = ConversationId(*id);
    let before = query
        .before
        .map(MessageId)
        .ok_or(AppError::BadRequest("error-bad-query"))?;
    if !is_htmx(&req) {
        return Ok(see_other(&paths::conversation_before(id, before)));
    }
    let user = me.user.id;
    let page = state.readers.read(|conn| {
        conversation::find_for_member(conn, id, user)?.ok_or(AppError::NotFound)?;
        message::page(conn, id, Some(before))
    })?;
    Ok(ok_html(history_fragment(
        &state.drawn,
        me.lang,
        me.offset,
        id,
        &page,
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewGroupQuery {
    title: String,
    members: String,
    q: String,
    add: String,
    /// The people ticked in the search results: `pick.<username>`.
    #[serde(flatten)]
    picked: HashMap<String, String>,
}

/// The members typed, with the people ticked in the search results (`pick.<username>`) and
/// `also` (an "Add" link) added once each, in the order they came.
fn with_picked<'a>(
    typed: &str,
    picked: &'a HashMap<String, String>,
    also: Option<&'a str>,
) -> String {
    let mut names = conversation::parse_usernames(typed);
    let mut ticked: Vec<&str> = picked
        .keys()
        .filter_map(|key| key.strip_prefix(PICK))
        .collect();
    ticked.sort_unstable();
    for name in ticked.into_iter().chain(also) {
        let name = name.trim().trim_start_matches('@').to_lowercase();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

pub async fn new_group(
    me: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<NewGroupQuery>,
) -> Result<HttpResponse, AppError> {
    let also = Some(query.add.as_str()).filter(|add| !add.is_empty());
    let members = with_picked(&query.members, &query.picked, also);
    let listed = conversation::parse_usernames(&members);
    let (needle, me_id) = (query.q.trim().to_owned(), me.user.id);
    let results = if needle.is_empty() {
        Vec::new()
    } else {
        db::run(&state.pool, move |conn| user::search(conn, &needle, 1))
            .await?
            .users
            .into_iter()
            .filter(|u| u.id != me_id && !listed.contains(&u.username))
            .collect()
    };
    let frame = load_frame(&state, me.user.id)?;
    Ok(ok_html(views::new_group_page(
        &shell(&me, &frame, &state, None, ""),
        &NewGroupForm {
            title: &query.title,
            members: &members,
            query: query.q.trim(),
            results: &results,
            errors: &[],
        },
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GroupFields {
    title: String,
    members: String,
    #[serde(flatten)]
    picked: HashMap<String, String>,
}

use crate::views::conversation::PICK;

fn as_member(user: &user::User) -> Member {
    Member {
        id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        avatar: user.avatar.clone(),
    }
}

pub async fn create_group(
    me: SignedIn,
    state: web::Data<AppState>,
    Form(fields): Form<GroupFields>,
) -> Result<HttpResponse, AppError> {
    let title = conversation::check_title(&fields.title);
    let typed = with_picked(&fields.members, &fields.picked, None);
    let text = typed.clone();
    let members = db::run(&state.pool, move |conn| {
        conversation::members_named(conn, &text)
    })
    .await?;
    let (title, members) = match (title, members) {
        (Ok(title), Ok(members)) => (title, members),
        (title, members) => {
            let errors: Vec<FieldError> =
                [title.err(), members.err()].into_iter().flatten().collect();
            let frame = load_frame(&state, me.user.id)?;
            return Ok(invalid_form(views::new_group_page(
                &shell(&me, &frame, &state, None, ""),
                &NewGroupForm {
                    title: &fields.title,
                    members: &typed,
                    query: "",
                    results: &[],
                    errors: &errors,
                },
            )));
        }
    };
    let creator = as_member(&me.user);
    let id = write_and_publish(&state, move |conn| {
        conversation::create_group(conn, &creator, &title, &members)
    })
    .await?;
    Ok(see_other(&paths::conversation(id)))
}

/// Opens the direct conversation with someone, creating it the first time.
pub async fn direct(
    me: SignedIn,
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let username = username.into_inner();
    let other = db::run(&state.pool, move |conn| {
        user::find_by_username(conn, &username)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    if other.id == me.user.id {
        return Err(AppError::BadRequest("error-direct-self"));
    }
    let (mine, theirs) = (as_member(&me.user), as_member(&other));
    let id = write_and_publish(&state, move |conn| {
        conversation::direct_between(conn, &mine, &theirs)
    })
    .await?;
    Ok(see_other(&paths::conversation(id)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MembersFields {
    members: String,
}

pub async fn add_members(
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    Form(fields): Form<MembersFields>,
) -> Result<HttpResponse, AppError> {
    let (id, user) = (ConversationId(*id), me.user.id);
    // `conversation::add_members` checks the membership inside its transaction; a non-member
    // whose list has unknown names also gets 404, from `render_page`.
    let outcome = write_and_publish(&state, move |conn| {
        let members = match conversation::members_named(conn, &fields.members)? {
            Ok(members) if !members.is_empty() => members,
            Ok(_) => return Ok(Err(FieldError::new("members", "error-members-empty"))),
            Err(unknown) => return Ok(Err(unknown)),
        };
        conversation::add_members(conn, id, user, &members)?;
        Ok(Ok(()))
    })
    .await?;
    match outcome {
        Ok(()) => Ok(see_other(&paths::conversation(id))),
        Err(error) => render_page(&me, &state, id, None, Drafted::default(), &[error]).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TitleFields {
    title: String,
}

pub async fn rename(
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    Form(fields): Form<TitleFields>,
) -> Result<HttpResponse, AppError> {
    let (id, user) = (ConversationId(*id), me.user.id);
    let title = match conversation::check_title(&fields.title) {
        Ok(title) => title,
        Err(error) => {
            return render_page(&me, &state, id, None, Drafted::default(), &[error]).await;
        }
    };
    write_and_publish(&state, move |conn| {
        conversation::rename(conn, id, user, &title)
    })
    .await?;
    Ok(see_other(&paths::conversation(id)))
}

pub async fn leave(
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, user) = (ConversationId(*id), me.user.id);
    write_and_publish(&state, move |conn| conversation::leave(conn, id, user)).await?;
    auth::flash(&me.session, "flash-left-conversation");
    Ok(see_other(paths::HOME))
}

/// Loads one message of a conversation the reader belongs to.
pub(super) async fn member_message(
    state: &AppState,
    user: UserId,
    id: ConversationId,
    message_id: MessageId,
) -> Result<Message, AppError> {
    db::run(&state.pool, move |conn| {
        conversation::find_for_member(conn, id, user)?.ok_or(AppError::NotFound)?;
        message::find(conn, id, message_id)?.ok_or(AppError::NotFound)
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NotifyFields {
    notify: String,
}

/// What the conversation may ask the member's attention for.
pub async fn set_notify(
    me: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    Form(fields): Form<NotifyFields>,
) -> Result<HttpResponse, AppError> {
    let (id, user) = (ConversationId(*id), me.user.id);
    state
        .readers
        .read(|conn| conversation::find_for_member(conn, id, user))?
        .ok_or(AppError::NotFound)?;
    let notify =
        Notify::from_code(&fields.notify).ok_or(AppError::BadRequest("error-notify-unknown"))?;
    db::run(&state.pool, move |conn| {
        conversation::set_notify(conn, id, user, notify)
    })
    .await?;
    Ok(see_other(&paths::conversation(id)))
}
