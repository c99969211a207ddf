//! Message search: the form (a GET form without JavaScript, results as you type with htmx) and
//! the results, each linking to its message in context.

use maud::{Markup, html};

use super::layout::{Section, Shell, app_page};
use super::{pager, results_status};
use crate::i18n::Lang;
use crate::model::ConversationId;
use crate::model::search::{Hit, MATCH_END, MATCH_START, Results};
use crate::paths;

pub struct MessageSearch<'a> {
    pub typed: &'a str,
    /// The conversation searched, and its title as the reader sees it; None for all of them.
    pub within: Option<(ConversationId, &'a str)>,
    pub page: usize,
    /// None before anything was typed.
    pub results: Option<&'a Results>,
}

pub fn search_page(shell: &Shell<'_>, search: &MessageSearch<'_>) -> Markup {
    let lang = shell.lang;
    let title = match search.within {
        Some((_, conversation)) => lang.t_args(
            "search-title-within",
            &[("conversation", conversation.into())],
        ),
        None => lang.t("search-title"),
    };
    app_page(
        shell,
        Section::Search,
        &title,
        html! {
            form.search role="search" method="get" action=(paths::SEARCH)
                hx-get=(paths::SEARCH) hx-target="#search-results" hx-push-url="true"
                hx-trigger="input changed delay:250ms from:#q, submit" {
                label for="q" { (lang.t("search-label")) }
                div.search-row {
                    input #q type="search" name="q" value=(search.typed) autocomplete="off"
                        maxlength="200" aria-describedby="search-hint";
                    button type="submit" { (lang.t("search-submit")) }
                }
                @if let Some((id, _)) = search.within {
                    input type="hidden" name="c" value=(id);
                }
                p.hint #search-hint { (lang.t("search-hint")) }
                @if let Some((id, _)) = search.within {
                    p {
                        a href=(paths::search(None, search.typed, 1)) { (lang.t("search-everywhere")) }
                        " · "
                        a href=(paths::conversation(id)) { (lang.t("search-back")) }
                    }
                }
            }
            div #search-results { (results_fragment(lang, search)) }
        },
    )
}

/// The hits and their pager: swapped in as the user types.
pub fn results_fragment(lang: Lang, search: &MessageSearch<'_>) -> Markup {
    let Some(results) = search.results else {
        return html! {};
    };
    let within = search.within.map(|(id, _)| id);
    let empty = results.hits.is_empty();
    html! {
        (results_status(lang, empty, "search-none", "search-page", search.page))
        @if !results.hits.is_empty() {
            ol.search-hits {
                @for hit in &results.hits { (hit_item(lang, hit, within.is_none())) }
            }
        }
        (pager(lang, search.page, results.has_more, |page| {
            paths::search(within, search.typed, page)
        }))
    }
}

fn hit_item(lang: Lang, hit: &Hit, name_conversation: bool) -> Markup {
    html! {
        li.search-hit {
            a href=(paths::message_in_context(hit.conversation, hit.message)) {
                span.hit-meta {
                    @if name_conversation {
                        span.hit-conversation { (hit.conversation_title) }
                        " · "
                    }
                    @if let Some(author) = &hit.author { span.author { (author) } " · " }
                    time datetime=(super::conversation::iso(hit.at)) { (lang.date_time(hit.at)) }
                }
                span.hit-text { (highlighted(&hit.snippet)) }
            }
        }
    }
}

/// The snippet with its matched words in `<mark>`; everything else escaped as text.
fn highlighted(snippet: &str) -> Markup {
    let mut pieces = Vec::new();
    let mut marked = false;
    for piece in snippet.split([MATCH_START, MATCH_END]) {
        pieces.push((marked, piece));
        marked = !marked;
    }
    html! {
        @for (marked, piece) in pieces {
            @if marked { mark { (piece) } } @else { (piece) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matched_words_are_marked_and_the_rest_is_text() {
        let snippet = format!("a <b> {MATCH_START}café{MATCH_END} & more");
        assert_eq!(
            highlighted(&snippet).into_string(),
            "a &lt;b&gt; <mark>café</mark> &amp; more"
        );
    }
}
