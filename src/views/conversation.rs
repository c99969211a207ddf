//! Conversations: the list in the side panel, the message log, the composer, and the fragments
//! that long-polling and "Load earlier messages" swap in.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use maud::{Markup, PreEscaped, Render, html};
use time::Date;

use super::layout::{PAGE_TITLE, Section, Shell, app_page, document_title};
use super::{
    AvatarSize, Field, FieldKind, avatar_for, initials, initials_class, name_class, person_avatar,
    title_with_errors,
};
use crate::i18n::{Lang, ReaderOffset};
use crate::media::UploadRules;
use crate::model::attachment::{Attachment, FileKind};
use crate::model::conversation::{Conversation, Kind, Member, Notify, Summary, UNREAD_COUNTED};
use crate::model::mention::{self, Mentioned};
use crate::model::message::{BODY_MAX, Message, MessageKind, Page, Quote};
use crate::model::reaction::ReactionKind;
use crate::model::user::{Presence, User};
use crate::model::webhook::Webhook;
use crate::model::{ConversationId, FieldError, MessageId, UserId};
use crate::paths;
use crate::recent::Recent;

/// RFC 3339 for `<time datetime>`.
pub(super) fn iso(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// How a notice reads ("Alice added Bob"), in the log and as a list preview.
pub fn notice_text(lang: Lang, kind: MessageKind, author: Option<&str>, body: &str) -> String {
    let author = author.map_or_else(|| lang.t("someone"), str::to_owned);
    let body = body.to_owned();
    match kind {
        MessageKind::Text => body,
        MessageKind::Welcome => lang.t("notice-welcome"),
        MessageKind::Created => lang.t_args(
            "notice-created",
            &[("author", author.into()), ("title", body.into())],
        ),
        MessageKind::Added => {
            let names: Vec<&str> = body.split(crate::model::message::NAME_SEPARATOR).collect();
            lang.t_args(
                "notice-added",
                &[
                    ("author", author.into()),
                    ("names", name_list(lang, &names).into()),
                ],
            )
        }
        MessageKind::Left => lang.t_args("notice-left", &[("author", author.into())]),
        MessageKind::Renamed => lang.t_args(
            "notice-renamed",
            &[("author", author.into()), ("title", body.into())],
        ),
    }
}

/// Names as the language lists them: "Bob", "Bob and Carol", "Bob, Carol and Dan", and past
/// three, "Bob, Carol and 4,998 others": a group made with thousands of people is not a wall
/// of names.
fn name_list(lang: Lang, names: &[&str]) -> String {
    let name = |i: usize| names.get(i).copied().unwrap_or_default().to_owned();
    match names.len() {
        0 | 1 => name(0),
        2 => lang.t_args(
            "names-two",
            &[("first", name(0).into()), ("second", name(1).into())],
        ),
        3 => lang.t_args(
            "names-three",
            &[
                ("first", name(0).into()),
                ("second", name(1).into()),
                ("third", name(2).into()),
            ],
        ),
        n => lang.t_args(
            "names-more",
            &[
                ("first", name(0).into()),
                ("second", name(1).into()),
                ("count", (n - 2).into()),
                ("others", lang.number(n - 2).into()),
            ],
        ),
    }
}

/// Characters of a message shown in a list preview.
const PREVIEW_CHARS: usize = 80;

/// The start of a preview, with an ellipsis when cut: a notice that a group was created with
/// thousands of people names them all, and the list is on every page.
fn shortened(text: &str) -> String {
    match text.char_indices().nth(PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Plain text with line breaks kept (by CSS) and web addresses made into links. Everything else
/// is escaped: a message can never become markup.
pub fn message_text(text: &str, mentioned: &Mentioned) -> Markup {
    let finder = {
        let mut finder = linkify::LinkFinder::new();
        finder.kinds(&[linkify::LinkKind::Url]);
        finder
    };
    html! {
        @for span in finder.spans(text) {
            @let piece = span.as_str();
            @if span.kind().is_some() && (piece.starts_with("https://") || piece.starts_with("http://")) {
                a href=(piece) rel="noopener noreferrer nofollow" target="_blank" { (piece) }
            } @else {
                @for part in with_mentions(piece, mentioned) {
                    @match part {
                        Part::Text(text) => (text),
                        Part::Person(written, username) => {
                            a href=(paths::profile_of(username)) class="mention" { (written) }
                        }
                        Part::Everyone(written) => span.mention { (written) },
                    }
                }
            }
        }
    }
}

/// Who the message mentions, for the reader's stylesheet to make it stand out for them.
fn mentions_attribute(mentioned: &Mentioned) -> Option<String> {
    if mentioned.is_empty() {
        return None;
    }
    let everyone = mentioned.everyone.then_some(mention::EVERYONE.to_owned());
    let ids = mentioned.people.iter().map(|(id, _)| id.to_string());
    Some(format!(
        " {} ",
        everyone
            .into_iter()
            .chain(ids)
            .collect::<Vec<_>>()
            .join(" ")
    ))
}

enum Part<'a> {
    Text(&'a str),
    /// `@name` as written, and the member's username.
    Person(&'a str, &'a str),
    Everyone(&'a str),
}

/// Splits text at the mentions the message was found to make (`model::mention::record`).
fn with_mentions<'a>(text: &'a str, mentioned: &'a Mentioned) -> Vec<Part<'a>> {
    if mentioned.is_empty() {
        return vec![Part::Text(text)];
    }
    let mut parts = Vec::new();
    let mut done = 0;
    for (range, name) in mention::candidates(text) {
        if range.start < done {
            continue;
        }
        let written = &text[range.start - 1..range.end];
        let part = if name == mention::EVERYONE && mentioned.everyone {
            Part::Everyone(written)
        } else if let Some((_, username)) = mentioned.people.iter().find(|(_, n)| *n == name) {
            Part::Person(written, username)
        } else {
            continue;
        };
        parts.push(Part::Text(&text[done..range.start - 1]));
        parts.push(part);
        done = range.end;
    }
    parts.push(Part::Text(&text[done..]));
    parts
}

/// One message as every member sees it. What differs per reader (one's own messages get edit
/// and delete) is done by the `.mine` rules of the reader's stylesheet, so that this markup is
/// drawn once and shared by every waiting poll. With `replace`, it carries the htmx instruction
/// to replace the copy already on the page.
pub fn message_item(lang: Lang, message: &Message, replace: bool) -> Markup {
    let id = format!("m{}", message.id);
    let time_id = format!("t{}", message.id);
    let author_id = message.author.as_ref().map(|a| a.id.0);
    let is_text = message.kind == MessageKind::Text;
    html! {
        li id=(id) .msg .notice[!is_text] .continued[message.continued] .deleted[message.deleted]
            data-author=[author_id] data-mentions=[mentions_attribute(&message.mentioned)]
            aria-describedby=(time_id)
            hx-swap-oob=[replace.then_some("outerHTML")] {
            @if is_text {
                div.msg-head {
                    @if let Some(author) = &message.author {
                        (person_avatar(author.id, &author.display_name, author.avatar.as_deref(), AvatarSize::Small))
                        // A heading, so that a screen reader moves from one author to the next.
                        h4 class={ "author " (name_class(author.id)) } { (author.display_name) }
                    } @else if let Some(bot) = &message.bot {
                        (avatar_for(message.conversation.0, bot, None, AvatarSize::Small))
                        h4.author { (bot) " " span.bot-tag { (lang.t("message-bot")) } }
                    }
                    (timestamp(lang, message.created_at, &time_id))
                }
                @if message.deleted {
                    p.tombstone { (lang.t("message-deleted")) }
                } @else {
                    @if let Some(quote) = &message.reply {
                        a.reply-quote href=(paths::message_in_context(message.conversation, quote.id))
                            data-message=(quote.id) {
                            (quote_text(lang, quote, "reply-to", "reply-to-unknown"))
                        }
                    }
                    @if !message.body.is_empty() {
                        div.msg-body { (message_text(&message.body, &message.mentioned)) }
                    }
                    @if !message.attachments.is_empty() {
                        ul.attachments aria-label=(lang.t_args("attachments-label", &[("count", message.attachments.len().into())])) {
                            @for file in &message.attachments { (attachment_item(lang, message.conversation, file)) }
                        }
                    }
                    @if message.edited {
                        span.edited { (lang.t("message-edited")) }
                    }
                    // Changed in place by polls (`reactions_update`), in a region that is not
                    // announced: a reaction is no new message.
                    form.reactions id={ "reactions-" (message.id) } method="post"
                        action=(paths::reactions(message.conversation, message.id))
                        hx-post=(paths::reactions(message.conversation, message.id)) hx-swap="none"
                        aria-live="off" {
                        (reaction_chips(lang, message))
                    }
                    // One small disclosure rather than two links under every message: it
                    // opens by keyboard and without JavaScript, and while closed its controls
                    // are not read out with the message. Its own region is quiet, and app.js
                    // adds it to a live message only after the message itself, so that a
                    // screen reader announces what was written, not the button.
                    div.message-tools aria-live="off" {
                        (reply_link(paths::reply(message.conversation, message.id), lang.t("message-reply")))
                        (reaction_menu(lang, message))
                        details.mine {
                            summary { (lang.t("message-actions")) }
                            div.message-actions {
                                a href=(paths::edit_message(message.conversation, message.id)) {
                                    (lang.t("message-edit"))
                                }
                                form method="post" action=(paths::delete_message(message.conversation, message.id))
                                    data-confirm=(lang.t("message-delete-confirm")) {
                                    button.link type="submit" { (lang.t("message-delete")) }
                                }
                            }
                        }
                    }
                }
            } @else {
                p {
                    (notice_text(lang, message.kind, message.author.as_ref().map(|a| a.display_name.as_str()), &message.body))
                    " " (timestamp(lang, message.created_at, &time_id))
                }
            }
        }
    }
}

/// Who wrote the answered message and how it began (`heading` names them, `unknown` when
/// their account is gone), or that it was deleted.
fn quote_text(lang: Lang, quote: &Quote, heading: &str, unknown: &str) -> Markup {
    let heading = match &quote.author {
        Some((_, name)) => lang.t_args(heading, &[("name", name.clone().into())]),
        None => lang.t(unknown),
    };
    html! {
        span.reply-author { (heading) }
        " "
        span.reply-excerpt {
            @if quote.deleted { (lang.t("reply-deleted")) } @else { (quote.excerpt) }
        }
    }
}

/// "Reply" and "Cancel reply": a plain link to the page with the composer as it should be,
/// which htmx takes only the composer of.
fn reply_link(href: String, text: String) -> Markup {
    html! {
        a.reply-link href=(href) hx-get=(href) hx-select="#composer" hx-target="#composer"
            hx-swap="outerHTML" { (text) }
    }
}

fn reaction_emoji(kind: ReactionKind) -> &'static str {
    match kind {
        ReactionKind::ThumbsUp => "👍",
        ReactionKind::Heart => "❤️",
        ReactionKind::Laugh => "😂",
        ReactionKind::Surprised => "😮",
        ReactionKind::Sad => "😢",
        ReactionKind::Party => "🎉",
    }
}

fn reaction_name(lang: Lang, kind: ReactionKind) -> String {
    lang.t(match kind {
        ReactionKind::ThumbsUp => "reaction-name-thumbs-up",
        ReactionKind::Heart => "reaction-name-heart",
        ReactionKind::Laugh => "reaction-name-laugh",
        ReactionKind::Surprised => "reaction-name-surprised",
        ReactionKind::Sad => "reaction-name-sad",
        ReactionKind::Party => "reaction-name-party",
    })
}

/// The reactions on a message: one button per kind, which adds one's own or takes it back, said
/// as "3 people reacted with thumbs up"; who they are on hover and in a disclosure. Whether
/// one of them is the reader's is shown by the reader's stylesheet (`data-by`), so that this
/// too is drawn once for everyone.
fn reaction_chips(lang: Lang, message: &Message) -> Markup {
    html! {
        @for reaction in &message.reactions {
            @let names: Vec<&str> = reaction.people.iter().map(|p| p.display_name.as_str()).collect();
            @let by: String = reaction.people.iter().map(|p| format!(" {}", p.id)).collect::<String>() + " ";
            @let name = reaction_name(lang, reaction.kind);
            button.reaction type="submit" name="reaction" value=(reaction.kind.code())
                title=(name_list(lang, &names)) data-by=(by) {
                span aria-hidden="true" { (reaction_emoji(reaction.kind)) " " (lang.number(names.len())) }
                span.visually-hidden {
                    (lang.t_args("reaction-count", &[("count", names.len().into()), ("name", name.into())]))
                }
            }
        }
        @if !message.reactions.is_empty() {
            details.reacted-by {
                summary { (lang.t("reaction-who")) }
                ul {
                    @for reaction in &message.reactions {
                        li {
                            span aria-hidden="true" { (reaction_emoji(reaction.kind)) " " }
                            (reaction_name(lang, reaction.kind)) (lang.t("reaction-who-separator"))
                            @for (i, person) in reaction.people.iter().enumerate() {
                                @if i > 0 { ", " }
                                span class=(name_class(person.id)) { (person.display_name) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A message's reactions for a poll answer, put in place of the ones shown.
pub fn reactions_update(lang: Lang, message: &Message) -> Markup {
    html! {
        div id={ "reactions-" (message.id) } hx-swap-oob="innerHTML" { (reaction_chips(lang, message)) }
    }
}

/// "React": a small disclosure under every message. It holds a link to the message's
/// reactions page, which works without JavaScript; app.js puts the page's one picker
/// (`reaction_picker_template`) in its place when the disclosure opens. Six labelled buttons in
/// every message were half of a conversation page's weight, and of every live message.
fn reaction_menu(lang: Lang, message: &Message) -> Markup {
    html! {
        details.react {
            summary { (lang.t("reaction-add")) }
            a.react-choose href=(paths::reactions(message.conversation, message.id)) {
                (lang.t("reaction-choose"))
            }
        }
    }
}

/// The offered reactions, each one button of one form: without an `action`, the template's,
/// which app.js gives its address and htmx sends; with one, the reactions page's plain form,
/// which comes back to the message.
fn reaction_picker(lang: Lang, action: Option<&str>) -> Markup {
    html! {
        form.react-picker method="post" action=[action] hx-swap=[action.is_none().then_some("none")] {
            @for kind in ReactionKind::ALL {
                @let label = lang.t_args("reaction-pick", &[("name", reaction_name(lang, kind).into())]);
                // The title names it, for the pointer and, the emoji being hidden, for
                // screen readers.
                button type="submit" name="reaction" value=(kind.code()) title=(label) {
                    span aria-hidden="true" { (reaction_emoji(kind)) }
                }
            }
        }
    }
}

/// The picker that app.js copies into a message's "React" menu as it opens, with the form's
/// address taken from the menu's link. A template is neither shown nor read out. The same for
/// every page of a language, so drawn once.
fn reaction_picker_template(lang: Lang) -> PreEscaped<&'static str> {
    static DRAWN: LazyLock<[String; 2]> = LazyLock::new(|| {
        [Lang::En, Lang::Fr].map(|lang| {
            html! { template #react-picker { (reaction_picker(lang, None)) } }.into_string()
        })
    });
    PreEscaped(match lang {
        Lang::En => &DRAWN[0],
        Lang::Fr => &DRAWN[1],
    })
}

/// A message's reactions on a page of their own: who reacted with what, and the six to choose
/// from. Where the "React" menu leads without JavaScript.
pub fn reactions_page(shell: &Shell<'_>, message: &Message) -> Markup {
    let lang = shell.lang;
    let action = paths::reactions(message.conversation, message.id);
    let quote = message.quote();
    app_page(
        shell,
        Section::Conversation,
        &lang.t("reactions-title"),
        html! {
            blockquote.reply-quote { (quote_text(lang, &quote, "reactions-of", "reactions-of-unknown")) }
            @if !message.reactions.is_empty() {
                h2 { (lang.t("reactions-given")) }
                form.reactions method="post" action=(action) { (reaction_chips(lang, message)) }
            }
            h2 { (lang.t("reaction-choose")) }
            (reaction_picker(lang, Some(&action)))
            p { a href=(paths::message(message.conversation, message.id)) { (lang.t("reactions-back")) } }
        },
    )
}

/// One file of a message: a picture as its thumbnail, which opens the full picture; a video
/// as a player; anything else as a download link with its name, kind and size.
fn attachment_item(lang: Lang, conversation: ConversationId, file: &Attachment) -> Markup {
    let url = paths::file(conversation, file.id);
    let details = format!("{} · {}", kind_label(file.kind), lang.size(file.size));
    html! {
        li.attachment {
            @if let (true, Some((width, height))) = (file.kind.is_image(), file.thumb) {
                a.thumb href=(url) {
                    img src=(paths::thumbnail(conversation, file.id)) alt=(file.name)
                        width=(width.div_ceil(2)) height=(height.div_ceil(2)) loading="lazy";
                }
            } @else if file.kind == FileKind::Mp4 {
                video controls preload="metadata" src=(url) aria-label=(file.name) {}
            }
            a.file href=(url) download=(file.name) {
                span.file-name { (file.name) }
                " " span.file-details { "(" (details) ")" }
            }
        }
    }
}

/// The kind of a file as people name it: its usual ending, in capitals.
fn kind_label(kind: FileKind) -> String {
    kind.code().to_ascii_uppercase()
}

/// Messages as pages draw them, each drawn once per language and reused by every page that
/// shows it: most of a conversation page is its fifty messages, and they rarely change. An
/// entry is used only while the message is exactly as it was drawn, so an edit, a deletion or
/// an author's new name is drawn afresh without anyone having to forget anything.
pub struct DrawnMessages {
    drawn: Recent<(MessageId, Lang, bool), Arc<(Message, String)>>,
}

/// About 1 KB each: a few megabytes at most.
const DRAWN_KEPT: usize = 4_000;
const DRAWN_LIFETIME: Duration = Duration::from_secs(3_600);

impl Default for DrawnMessages {
    fn default() -> Self {
        DrawnMessages {
            drawn: Recent::new(DRAWN_LIFETIME, DRAWN_KEPT),
        }
    }
}

impl DrawnMessages {
    fn item(&self, lang: Lang, message: &Message) -> Drawn {
        let key = (message.id, lang, message.continued);
        if let Some(drawn) = self.drawn.get(&key)
            && drawn.0 == *message
        {
            return Drawn(drawn);
        }
        let drawn = Arc::new((
            message.clone(),
            message_item(lang, message, false).into_string(),
        ));
        self.drawn.put(key, Arc::clone(&drawn));
        Drawn(drawn)
    }
}

struct Drawn(Arc<(Message, String)>);

impl Render for Drawn {
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str(&self.0.1);
    }
}

/// Shown, but not announced with every new message: the full date is the message's description.
fn timestamp(lang: Lang, at: i64, id: &str) -> Markup {
    html! {
        time id=(id) datetime=(iso(at)) title=(lang.date_time(at)) data-local="short" aria-hidden="true" {
            (lang.time_of_day(at))
        }
    }
}

pub fn conversation_entry(lang: Lang, summary: &Summary, open: Option<ConversationId>) -> Markup {
    entry(lang, summary, open, false)
}

/// A list entry for a poll answer, replacing the one of the same id where it stands. The
/// instruction must sit on the entry itself: htmx replaces a target by its id with the very
/// element that carries it, so a wrapper would have nothing to find or would take its place.
pub fn conversation_entry_in_place(
    lang: Lang,
    summary: &Summary,
    open: Option<ConversationId>,
) -> Markup {
    entry(lang, summary, open, true)
}

fn entry(lang: Lang, summary: &Summary, open: Option<ConversationId>, in_place: bool) -> Markup {
    let current = (open == Some(summary.id)).then_some("page");
    let seed = summary.avatar_of.map_or(summary.id.0, |u| u.0);
    // What the tab's title counts and the browser may notify of (app.js).
    let asking = summary.notify.asking(summary.unread, summary.mentions);
    html! {
        li id={ "conv-" (summary.id) } .conv data-filter=(summary.filter_text)
            data-kind=(summary.kind.code()) data-attention=(asking) data-mentioned=(summary.mentions)
            hx-swap-oob=[in_place.then_some("true")] {
            a href=(paths::conversation(summary.id)) aria-current=[current] {
                (avatar_for(seed, &summary.title, summary.picture.as_deref(), AvatarSize::Small))
                span.conv-main {
                    span.conv-title { (summary.title) }
                    @if let Some(preview) = &summary.preview {
                        span.conv-preview {
                            @if preview.deleted {
                                (lang.t("message-deleted"))
                            } @else if preview.kind == MessageKind::Text {
                                @if let Some(author) = &preview.author { (author) ": " }
                                @if preview.body.is_empty() && preview.files > 0 {
                                    (lang.t_args("preview-files", &[("count", preview.files.into())]))
                                } @else {
                                    (shortened(&preview.body))
                                }
                            } @else {
                                (shortened(&notice_text(lang, preview.kind, preview.author.as_deref(), &preview.body)))
                            }
                        }
                    }
                }
                span.conv-meta {
                    @if let Some(preview) = &summary.preview {
                        time datetime=(iso(preview.at)) title=(lang.date_time(preview.at)) data-local="auto" {
                            (lang.time_of_day(preview.at))
                        }
                    }
                    @if summary.unread > 0 {
                        span.unread .mentioned[summary.mentions > 0 && asking > 0] .quiet[asking == 0] {
                            span aria-hidden="true" {
                                @if summary.mentions > 0 { "@ " }
                                @if summary.unread >= UNREAD_COUNTED { (UNREAD_COUNTED - 1) "+" } @else { (summary.unread) }
                            }
                            span.visually-hidden {
                                @if summary.mentions > 0 {
                                    (lang.t_args("unread-count-mentions", &[("count", summary.unread.min(UNREAD_COUNTED - 1).into()), ("mentions", summary.mentions.min(UNREAD_COUNTED - 1).into())]))
                                } @else if summary.unread >= UNREAD_COUNTED {
                                    (lang.t_args("unread-count-many", &[("count", (UNREAD_COUNTED - 1).into())]))
                                } @else {
                                    (lang.t_args("unread-count", &[("count", summary.unread.into())]))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The side panel's list, with its filter box (instant with JavaScript, a plain GET without).
pub fn conversation_list(
    lang: Lang,
    conversations: &[Summary],
    open: Option<ConversationId>,
    filter: &str,
) -> Markup {
    let needle = filter.trim().to_lowercase();
    html! {
        div.conv-tools {
            form.conv-filter role="search" method="get" action="/" {
                label for="conversation-filter" { (lang.t("conversations-filter")) }
                input #conversation-filter type="search" name="filter" value=(filter) autocomplete="off";
            }
            a.button href=(paths::NEW_GROUP) { (lang.t("conversations-new-group")) }
            // Shown by app.js where the browser can notify and has not been asked yet.
            button.link #allow-notifications type="button" hidden { (lang.t("notifications-allow")) }
        }
        @if conversations.is_empty() {
            p.empty { (lang.t("conversations-empty")) }
        }
        ol #conversation-list .convs {
            @for summary in conversations.iter().filter(|s| needle.is_empty() || s.filter_text.contains(&needle)) {
                (conversation_entry(lang, summary, open))
            }
        }
    }
}

/// The element that keeps the page up to date: htmx fetches `url` as soon as it appears
/// (after `delay_ms` in short-polling mode) and replaces it with the answer's new poller.
pub fn poller(url: &str, delay_ms: u64) -> Markup {
    let trigger = if delay_ms == 0 {
        "load, retry".to_owned()
    } else {
        format!("load delay:{delay_ms}ms, retry")
    };
    html! { div #poller hx-get=(url) hx-trigger=(trigger) hx-swap="outerHTML" hx-sync="this:replace" {} }
}

/// Everything a poll answers: new messages for the open conversation (appended to the log),
/// changed messages (replaced in place), list entries (moved to the top, redrawn in place or
/// removed), and the next poller.
pub struct PollAnswer<'a> {
    pub lang: Lang,
    pub appended: &'a [&'a str],
    pub replaced: &'a [&'a str],
    pub moved_to_top: &'a [(ConversationId, Markup)],
    pub redrawn: &'a [Markup],
    pub removed: &'a [ConversationId],
    /// People of the open conversation who took another name.
    pub renamed: &'a [(UserId, &'a str)],
    /// The open page's new title, when it is named after someone who took another name (a
    /// direct conversation is named after the other person).
    pub retitled: Option<&'a str>,
    /// Who types in the open conversation now, when that changed.
    pub typists: Option<&'a [String]>,
    /// Whether the other person of an open direct conversation is there.
    pub presence: Option<Option<Presence>>,
    pub next_poller: Markup,
}

/// "Ann is typing…", for the status line under the log; nothing when nobody types.
fn typing_text(lang: Lang, typists: &[String]) -> String {
    match typists {
        [] => String::new(),
        [one] => lang.t_args("typing-one", &[("name", one.clone().into())]),
        [first, second] => lang.t_args(
            "typing-two",
            &[
                ("first", first.clone().into()),
                ("second", second.clone().into()),
            ],
        ),
        _ => lang.t("typing-many"),
    }
}

pub fn poll_fragment(answer: &PollAnswer<'_>) -> Markup {
    let lang = answer.lang;
    html! {
        (answer.next_poller)
        @if !answer.appended.is_empty() {
            ol hx-swap-oob="beforeend:#messages" {
                @for item in answer.appended { (PreEscaped(item)) }
            }
        }
        @for item in answer.replaced { (PreEscaped(item)) }
        @for id in answer.removed {
            li id={ "conv-" (id) } hx-swap-oob="delete" {}
        }
        @for (user, name) in answer.renamed {
            span hx-swap-oob={ "innerHTML:." (name_class(*user)) } { (name) }
            span hx-swap-oob={ "innerHTML:." (initials_class(*user)) } { (initials(name)) }
        }
        @if let Some(title) = answer.retitled {
            // htmx takes a top-level title for the document's.
            (document_title(title))
            span hx-swap-oob={ "innerHTML:#" (PAGE_TITLE) } { (title) }
        }
        @if let Some(typists) = answer.typists {
            span hx-swap-oob="innerHTML:#typing" { (typing_text(lang, typists)) }
        }
        @if let Some(presence) = answer.presence {
            div hx-swap-oob="innerHTML:#presence" { (super::presence_line(lang, presence)) }
        }
        @for entry in answer.redrawn { (entry) }
        @if !answer.moved_to_top.is_empty() {
            // Each moved entry is removed where it was, then put first (the most recent first).
            @for (id, _) in answer.moved_to_top {
                li id={ "conv-" (id) } hx-swap-oob="delete" {}
            }
            ol hx-swap-oob="afterbegin:#conversation-list" {
                @for (_, entry) in answer.moved_to_top.iter().rev() { (entry) }
            }
        }
    }
}

pub struct ConversationView<'a> {
    pub drawn: &'a DrawnMessages,
    /// Who reads the page: the line where their unread messages begin is theirs.
    pub reader: crate::model::UserId,
    pub conversation: &'a Conversation,
    /// The title as this reader sees it (the other person's name in a direct conversation).
    pub title: &'a str,
    pub members: &'a [Member],
    pub page: &'a Page,
    /// The reader's offset from UTC, for where the log's days begin.
    pub offset: ReaderOffset,
    /// Showing an older page (no JavaScript): the page is history, not live.
    pub before: Option<MessageId>,
    pub composer: Composer<'a>,
    pub panel_errors: &'a [FieldError],
    /// The group's incoming webhooks (none for a direct conversation).
    pub webhooks: &'a [Webhook],
    /// Whether the other person of a direct conversation is there.
    pub presence: Option<Presence>,
    /// Who types here now; None where typing is not shown (groups over
    /// `typing::MAX_MEMBERS`).
    pub typing: Option<&'a [String]>,
    /// When the page was drawn, in milliseconds (see the "Check for new messages" link).
    pub drawn_at_ms: i128,
}

/// Unread messages from which the page offers a link to the first of them.
const JUMP_AFTER_UNREAD: usize = 4;

/// Where the reader's unread messages begin on the latest page (the first message someone
/// else wrote after their read mark), and how many there are.
fn first_unread(view: &ConversationView<'_>) -> Option<(MessageId, usize)> {
    if view.before.is_some() {
        return None;
    }
    let last_read = view.conversation.last_read;
    let unread: Vec<&Message> = view
        .page
        .messages
        .iter()
        .filter(|m| {
            m.id > last_read
                && m.kind == MessageKind::Text
                && m.author.as_ref().map(|a| a.id) != Some(view.reader)
        })
        .collect();
    unread.first().map(|first| (first.id, unread.len()))
}

pub struct Composer<'a> {
    pub conversation: ConversationId,
    pub draft: &'a str,
    /// The message being answered.
    pub reply: Option<&'a Quote>,
    pub errors: &'a [FieldError],
    pub uploads: &'a UploadRules,
}

pub fn composer(lang: Lang, composer: &Composer<'_>) -> Markup {
    let action = paths::messages(composer.conversation);
    let rules = composer.uploads;
    let extensions = rules.extensions();
    let accept: Vec<String> = extensions.iter().map(|e| format!(".{e}")).collect();
    let file_error = composer
        .errors
        .iter()
        .find(|e| e.field == crate::media::sniff::FIELD);
    let limits = lang.t_args(
        "composer-files-hint",
        &[
            ("count", crate::model::attachment::MAX_PER_MESSAGE.into()),
            ("size", lang.size(rules.max_file).into()),
            ("types", extensions.join(", ").into()),
        ],
    );
    html! {
        form #composer method="post" action=(action) hx-post=(action) hx-target="this"
            hx-swap="outerHTML" enctype="multipart/form-data" novalidate
            data-max-file=(rules.max_file) data-max-files=(crate::model::attachment::MAX_PER_MESSAGE)
            data-too-large=(lang.t("composer-file-too-large"))
            data-mention-label=(lang.t("mention-options")) {
            @if let Some(quote) = composer.reply {
                div.replying {
                    p { (quote_text(lang, quote, "reply-composing", "reply-composing-unknown")) }
                    (reply_link(format!("{}#body", paths::conversation(composer.conversation)), lang.t("reply-cancel")))
                    input type="hidden" name="reply_to" value=(quote.id);
                }
            }
            (Field {
                name: "body", label: lang.t("composer-label"), value: composer.draft,
                kind: FieldKind::TextArea, hint: Some(lang.t("composer-hint")),
                autocomplete: "off", required: false, maxlength: Some(BODY_MAX),
            }.render(lang, composer.errors))
            div.field.composer-files.has-error[file_error.is_some()] {
                label for="files" { (lang.t("composer-files")) }
                p.hint #files-hint { (limits) }
                input #files type="file" name="files" multiple accept=(accept.join(","))
                    aria-describedby={ "files-hint" @if file_error.is_some() { " files-error" } }
                    aria-invalid=[file_error.map(|_| "true")] autofocus[file_error.is_some()];
                @if let Some(error) = file_error {
                    p.error #files-error {
                        @match &error.detail {
                            Some(detail) => (lang.t_args(error.message, &[("detail", detail.clone().into())])),
                            None => (lang.t(error.message)),
                        }
                    }
                }
            }
            button.primary type="submit" { (lang.t("composer-send")) }
        }
    }
}

fn earlier_link(lang: Lang, conversation: ConversationId, first: Option<&Message>) -> Markup {
    html! {
        div #earlier-more {
            @if let Some(first) = first {
                a.button href=(paths::conversation_before(conversation, first.id))
                    hx-get=(paths::history_before(conversation, first.id))
                    hx-target="#earlier-more" hx-swap="outerHTML" {
                    (lang.t("conversation-load-earlier"))
                }
            }
        }
    }
}

/// Older messages for "Load earlier messages": they go before the log, never into it, so that
/// screen readers do not announce history as news.
pub fn history_fragment(
    drawn: &DrawnMessages,
    lang: Lang,
    offset: ReaderOffset,
    conversation: ConversationId,
    page: &Page,
) -> Markup {
    let messages = &page.messages;
    let days = new_days(offset, page.previous_at, messages);
    let today = offset.day_of(crate::model::now());
    html! {
        (earlier_link(lang, conversation, if page.has_earlier { messages.first() } else { None }))
        ol hx-swap-oob="afterbegin:#earlier" {
            @for (message, day) in messages.iter().zip(&days) {
                @if let Some(day) = day { (day_heading(lang, *day, today)) }
                (drawn.item(lang, message))
            }
        }
    }
}

/// For each message, the reader's day it begins in the log, if it is not the day of the one
/// before it (`previous_at`, when the page does not start the conversation).
fn new_days(
    offset: ReaderOffset,
    previous_at: Option<i64>,
    messages: &[Message],
) -> Vec<Option<Date>> {
    let mut last = previous_at.map(|at| offset.day_of(at));
    messages
        .iter()
        .map(|message| {
            let day = offset.day_of(message.created_at);
            (last.replace(day) != Some(day)).then_some(day)
        })
        .collect()
}

/// A heading that starts a day in the log. `app.js` moves and relabels these for the reader's
/// own time zone, and adds them between live messages; it knows them by `data-local="day"`.
fn day_heading(lang: Lang, day: Date, today: Date) -> Markup {
    html! {
        li.day { h3 { time datetime=(day.to_string()) data-local="day" { (lang.day_heading(day, today)) } } }
    }
}

pub fn conversation_page(shell: &Shell<'_>, view: &ConversationView<'_>) -> Markup {
    let lang = shell.lang;
    let id = view.conversation.id;
    let is_group = view.conversation.kind == Kind::Group;
    let title = title_with_errors(lang, view.title, view.composer.errors);
    app_page(
        shell,
        Section::Conversation,
        &title,
        html! {
            ul.skip-links {
                li { a href="#log" { (lang.t("skip-to-messages")) } }
                li { a href="#body" { (lang.t("skip-to-composer")) } }
            }
            @if !is_group {
                div #presence { (super::presence_line(lang, view.presence)) }
            }
            p.conversation-search { a href=(paths::search_within(id)) { (lang.t("conversation-search")) } }
            details.members-panel open[!view.panel_errors.is_empty()] {
                summary { (lang.t_args("conversation-members", &[("count", view.members.len().into())])) }
                ul.people {
                    @for member in view.members {
                        li { a.person href=(paths::profile_of(&member.username)) {
                            (person_avatar(member.id, &member.display_name, member.avatar.as_deref(), AvatarSize::Small))
                            span class={ "person-name " (name_class(member.id)) } { (member.display_name) }
                            " " span.person-handle { "@" (member.username) }
                        } }
                    }
                }
                @if is_group {
                    form.stack method="post" action=(paths::members(id)) novalidate {
                        (Field {
                            name: "members", label: lang.t("conversation-add-members"), value: "",
                            kind: FieldKind::Text, hint: Some(lang.t("hint-members")),
                            autocomplete: "off", required: true, maxlength: None,
                        }.render(lang, view.panel_errors))
                        button type="submit" { (lang.t("conversation-add-submit")) }
                    }
                    form.stack method="post" action=(paths::title(id)) novalidate {
                        (Field {
                            name: "title", label: lang.t("conversation-rename"), value: &view.conversation.title,
                            kind: FieldKind::Text, hint: None, autocomplete: "off", required: true,
                            maxlength: Some(crate::model::conversation::TITLE_MAX),
                        }.render(lang, view.panel_errors))
                        button type="submit" { (lang.t("conversation-rename-submit")) }
                    }
                    (webhooks_section(lang, id, view.webhooks, view.panel_errors))
                    form method="post" action=(paths::leave(id)) data-confirm=(lang.t("conversation-leave-confirm")) {
                        button type="submit" { (lang.t("conversation-leave")) }
                    }
                }
            }
            (notify_panel(lang, view.conversation))
            @if view.before.is_some() {
                p.history-note { (lang.t("conversation-history-note")) " "
                    a href=(paths::conversation(id)) { (lang.t("conversation-back-to-latest")) } }
            }
            (earlier_link(lang, id, if view.page.has_earlier { view.page.messages.first() } else { None }))
            ol #earlier .messages {}
            div #log role="log" aria-labelledby="log-label" tabindex="-1"
                data-kind=(view.conversation.kind.code()) {
                h2 #log-label .visually-hidden { (lang.t_args("conversation-log-label", &[("title", view.title.to_owned().into())])) }
                @let first_unread = first_unread(view);
                @if let Some(unread) = first_unread.filter(|(_, count)| *count >= JUMP_AFTER_UNREAD) {
                    p.jump-unread { a href="#first-unread" { (lang.t_args("conversation-jump-unread", &[("count", unread.1.into())])) } }
                }
                @let days = new_days(view.offset, view.page.previous_at, &view.page.messages);
                @let today = view.offset.day_of(crate::model::now());
                ol #messages .messages data-today=(lang.t("day-today")) data-yesterday=(lang.t("day-yesterday")) {
                    @for (message, day) in view.page.messages.iter().zip(&days) {
                        @if let Some(day) = day { (day_heading(lang, *day, today)) }
                        @if first_unread.is_some_and(|(id, _)| id == message.id) {
                            li #first-unread .unread-line { h3 { (lang.t("conversation-new-messages")) } }
                        }
                        (view.drawn.item(lang, message))
                    }
                }
            }
            noscript {
                // A new address each time the page is drawn, so that following it always reloads
                // (a link to the very same address would only scroll).
                p { a href={ (paths::conversation(id)) "?t=" (view.drawn_at_ms) "#composer" } { (lang.t("conversation-check-new")) } }
            }
            @if view.before.is_none() {
                @if let Some(typists) = view.typing {
                    // Outside the log, so that the log announces messages only; app.js tells the
                    // server, every few seconds of typing, at this address.
                    p #typing .typing role="status" data-url=(paths::typing(id)) { (typing_text(lang, typists)) }
                }
                (composer(lang, &view.composer))
            }
            (reaction_picker_template(lang))
        },
    )
}

/// A group's incoming webhooks: each posts as a named bot; any member makes or removes one.
fn webhooks_section(
    lang: Lang,
    id: ConversationId,
    webhooks: &[Webhook],
    errors: &[FieldError],
) -> Markup {
    html! {
        section.webhooks aria-labelledby="webhooks-heading" {
            h3 #webhooks-heading { (lang.t("webhooks-title")) }
            p.hint { (lang.t("webhooks-hint")) }
            @if !webhooks.is_empty() {
                ul.webhook-list {
                    @for hook in webhooks {
                        li {
                            span { (hook.name) }
                            " "
                            form method="post" action=(paths::delete_webhook(id, hook.id))
                                data-confirm=(lang.t("webhook-delete-confirm")) {
                                button.link type="submit" aria-label=(lang.t_args("webhook-delete-label", &[("name", hook.name.clone().into())])) {
                                    (lang.t("webhook-delete"))
                                }
                            }
                        }
                    }
                }
            }
            form.stack method="post" action=(paths::webhooks(id)) novalidate {
                (Field {
                    name: "name", label: lang.t("webhook-name"), value: "",
                    kind: FieldKind::Text, hint: None, autocomplete: "off", required: true,
                    maxlength: Some(crate::model::webhook::NAME_MAX),
                }.render(lang, errors))
                button type="submit" { (lang.t("webhook-create")) }
            }
        }
    }
}

/// A webhook just made: its secret address, shown this once.
pub fn webhook_created_page(
    shell: &Shell<'_>,
    conversation: ConversationId,
    title: &str,
    address: &str,
) -> Markup {
    let lang = shell.lang;
    app_page(
        shell,
        Section::Conversation,
        &lang.t("webhook-created-title"),
        html! {
            p { (lang.t_args("webhook-created", &[("title", title.to_owned().into())])) }
            (super::shown_once("webhook-address", &lang.t("webhook-address"), address))
            p.hint { (lang.t("webhook-created-hint")) }
            pre.example { code { "curl -d 'text=Hello from a script' " (address) } }
            p { a href=(paths::conversation(conversation)) { (lang.t("webhook-back")) } }
        },
    )
}

/// What the conversation may ask the reader's attention for, said in its closed summary.
fn notify_panel(lang: Lang, conversation: &Conversation) -> Markup {
    let label = |notify: Notify| match notify {
        Notify::All => lang.t("notify-all"),
        Notify::Mentions => lang.t("notify-mentions"),
        Notify::Nothing => lang.t("notify-none"),
    };
    let summary = match conversation.notify {
        Notify::All => lang.t("notify-summary-all"),
        Notify::Mentions => lang.t("notify-summary-mentions"),
        Notify::Nothing => lang.t("notify-summary-none"),
    };
    html! {
        details.notify-panel {
            summary { (summary) }
            form.stack method="post" action=(paths::notify(conversation.id)) {
                fieldset.choices {
                    legend { (lang.t("notify-legend")) }
                    @for notify in Notify::ALL {
                        @let id = format!("notify-{}", notify.code());
                        div.choice {
                            input type="radio" id=(id) name="notify" value=(notify.code())
                                checked[notify == conversation.notify];
                            label for=(id) { (label(notify)) }
                        }
                    }
                }
                p.hint { (lang.t("notify-hint")) }
                button type="submit" { (lang.t("notify-save")) }
            }
        }
    }
}

/// The name of a search result's checkbox on the new-group form, before the username.
pub const PICK: &str = "pick.";

pub struct NewGroupForm<'a> {
    pub title: &'a str,
    pub members: &'a str,
    pub query: &'a str,
    pub results: &'a [User],
    pub errors: &'a [FieldError],
}

/// Creating a group. Finding people to add is part of the same form (its search and "Add"
/// buttons submit it by GET), so it works the same with or without JavaScript.
pub fn new_group_page(shell: &Shell<'_>, form: &NewGroupForm<'_>) -> Markup {
    let lang = shell.lang;
    let title = title_with_errors(lang, &lang.t("new-group-title"), form.errors);
    app_page(
        shell,
        Section::Conversation,
        &title,
        html! {
            form.stack method="post" action=(paths::GROUPS) novalidate {
                (Field {
                    name: "title", label: lang.t("field-group-title"), value: form.title,
                    kind: FieldKind::Text, hint: None, autocomplete: "off", required: true,
                    maxlength: Some(crate::model::conversation::TITLE_MAX),
                }.render(lang, form.errors))
                (Field {
                    name: "members", label: lang.t("field-members"), value: form.members,
                    kind: FieldKind::Text, hint: Some(lang.t("hint-members")), autocomplete: "off",
                    required: false, maxlength: None,
                }.render(lang, form.errors))
                fieldset.find-members {
                    legend { (lang.t("new-group-find")) }
                    label for="q" { (lang.t("people-search-label")) }
                    div.search-row {
                        input #q type="search" name="q" value=(form.query) autocomplete="off";
                        button type="submit" formmethod="get" formaction=(paths::NEW_GROUP) formnovalidate {
                            (lang.t("people-search-submit"))
                        }
                    }
                    @if !form.query.is_empty() && form.results.is_empty() {
                        p role="status" { (lang.t("people-none")) }
                    }
                    @if !form.results.is_empty() {
                        p.hint { (lang.t("new-group-pick-hint")) }
                    }
                    ul.people.picks {
                        @for user in form.results {
                            li.person {
                                @let id = format!("pick-{}", user.username);
                                input type="checkbox" id=(id) name={ (PICK) (user.username) } value="on";
                                label for=(id) {
                                    (super::avatar(user, AvatarSize::Small))
                                    span.person-name { (user.display_name) }
                                    " " span.person-handle { "@" (user.username) }
                                }
                            }
                        }
                    }
                }
                button.primary type="submit" { (lang.t("new-group-submit")) }
            }
        },
    )
}

pub fn edit_message_page(
    shell: &Shell<'_>,
    message: &Message,
    draft: &str,
    errors: &[FieldError],
) -> Markup {
    let lang = shell.lang;
    let title = title_with_errors(lang, &lang.t("edit-title"), errors);
    app_page(
        shell,
        Section::Conversation,
        &title,
        html! {
                form.stack method="post" action=(paths::edit_message(message.conversation, message.id)) novalidate {
                    (Field {
                        name: "body", label: lang.t("composer-label"), value: draft,
                        kind: FieldKind::TextArea, hint: None, autocomplete: "off", required: true,
                        maxlength: Some(BODY_MAX),
                    }.render(lang, errors))
                    button.primary type="submit" { (lang.t("edit-save")) }
                }
                p { a href=(paths::message(message.conversation, message.id)) { (lang.t("edit-cancel")) } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserId;
    use crate::model::message::Author;

    /// Drawn markup without our own links' tags (the text they hold stays).
    fn without_links(html: &str) -> String {
        let mut rest = html;
        let mut kept = String::new();
        while let Some(start) = rest.find("<a href=\"") {
            kept.push_str(&rest[..start]);
            let opened = &rest[start..];
            rest = &opened[opened.find('>').map_or(opened.len(), |end| end + 1)..];
        }
        kept.push_str(rest);
        kept.replace("</a>", "")
            .replace(r#"<span class="mention">"#, "")
            .replace("</span>", "")
    }

    // Whatever is sent, the only markup in it is our links and mentions, and its text is shown
    // as sent.
    #[test]
    fn any_message_text_is_shown_as_sent_with_no_markup_but_links() {
        let mixed = "(https?://[a-z<>\"'&./:?=#]{0,20}|@(ann|Ann|everyone|bob)[.]?|[<>&\"' a-z/:@]|\n){0,30}";
        let mentioned = Mentioned {
            everyone: true,
            people: vec![(UserId(2), "ann".into())],
        };
        proptest::proptest!(|(text in proptest::prop_oneof![proptest::arbitrary::any::<String>(), mixed])| {
            let html = message_text(&text, &mentioned).into_string();
            let plain = without_links(&html);
            proptest::prop_assert!(!plain.contains('<') && !plain.contains('>'), "{html}");
            let shown = plain
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
            proptest::prop_assert_eq!(shown, text);
        });
    }

    fn message(body: &str, display_name: &str) -> Message {
        Message {
            id: MessageId(7),
            conversation: ConversationId(1),
            author: Some(Author {
                id: UserId(3),
                username: "ana".into(),
                display_name: display_name.into(),
                avatar: None,
            }),
            kind: MessageKind::Text,
            body: body.into(),
            created_at: 1_790_000_000,
            edited: false,
            deleted: false,
            continued: false,
            attachments: Vec::new(),
            reactions: Vec::new(),
            reply: None,
            mentioned: Default::default(),
            bot: None,
        }
    }

    fn drawn(cache: &DrawnMessages, lang: Lang, message: &Message) -> String {
        html! { (cache.item(lang, message)) }.into_string()
    }

    #[test]
    fn added_people_are_listed_naturally_and_a_crowd_is_counted() {
        let added = |names: &[&str]| {
            let body = names.join(&crate::model::message::NAME_SEPARATOR.to_string());
            notice_text(Lang::En, MessageKind::Added, Some("Ana"), &body)
        };
        assert_eq!(added(&["Bob"]), "Ana added Bob");
        assert_eq!(added(&["Bob", "Cy"]), "Ana added Bob and Cy");
        assert_eq!(added(&["Bob", "Cy", "Di"]), "Ana added Bob, Cy and Di");
        let crowd: Vec<String> = (0..5000).map(|i| format!("P{i}")).collect();
        let crowd: Vec<&str> = crowd.iter().map(String::as_str).collect();
        assert_eq!(added(&crowd), "Ana added P0, P1 and 4,998 others");
        let french = notice_text(
            Lang::Fr,
            MessageKind::Added,
            Some("Ana"),
            &crowd.join(&crate::model::message::NAME_SEPARATOR.to_string()),
        );
        assert!(french.contains("P0, P1 et 4\u{202f}998 autres"), "{french}");
        assert_eq!(
            notice_text(Lang::En, MessageKind::Added, Some("Ana"), "Bob, Cy"),
            "Ana added Bob, Cy",
            "an older notice, as it was written"
        );
    }

    #[test]
    fn a_drawn_message_is_drawn_again_once_it_changed() {
        let cache = DrawnMessages::default();
        let first = message("hello <b>", "Ana");
        assert_eq!(
            drawn(&cache, Lang::En, &first),
            message_item(Lang::En, &first, false).into_string()
        );
        let edited = Message {
            body: "hello again".into(),
            edited: true,
            ..first.clone()
        };
        let page = drawn(&cache, Lang::En, &edited);
        assert!(page.contains("hello again") && !page.contains("hello &lt;b&gt;"));
        let renamed = message("hello again", "Ana Lima");
        assert!(drawn(&cache, Lang::En, &renamed).contains("Ana Lima"));
        let continued = Message {
            continued: true,
            ..renamed.clone()
        };
        assert!(drawn(&cache, Lang::En, &continued).contains("msg continued"));
        assert!(
            drawn(&cache, Lang::Fr, &renamed).contains("Modifier"),
            "each language drawn in its own words"
        );
    }
}
