//! The notification hub. Every committed event is loaded once, in id order, into a short
//! in-memory history; the members of its conversation are woken; each woken poll takes what
//! concerns it from that history and shares the HTML rendered once per language.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::db::{Conn, Readers};
use tokio::sync::Notify;

use crate::error::AppError;
use crate::i18n::Lang;
use crate::model::conversation::{self, Kind, Member};
use crate::model::event::{self, Event, EventKind};
use crate::model::message::{self, Message, MessageKind};
use crate::model::{ConversationId, EventId, MessageId, UserId};
use crate::realtime::burst::Burst;
use crate::realtime::typing::Typing;

/// Events kept in memory. A poll whose cursor is older than this history (a client back after
/// a long absence, or from before a restart) is answered from the database instead.
const HISTORY: usize = 512;
/// Events read from the database per step of a catch-up.
const CATCH_UP_BATCH: usize = 256;
/// Conversations whose members and title are kept between catch-ups; past this the cache
/// starts afresh, bounding memory on instances with many conversations.
const CONVERSATIONS_CACHED: usize = 1000;

/// A conversation as its events are shown: cached until its members or title change.
#[derive(Debug)]
pub struct ConversationInfo {
    pub id: ConversationId,
    pub kind: Kind,
    pub title: String,
    /// Sorted by id, so membership tests are a binary search.
    pub member_ids: Vec<UserId>,
    pub members: Vec<Member>,
    /// The member part of list entries' filter text (`conversation::filter_text` with no
    /// title): computed once here, not by each of thousands of woken polls.
    pub filter_names: String,
}

impl ConversationInfo {
    /// The title `viewer` sees: the other person's name in a direct conversation.
    pub fn title_for(&self, viewer: UserId) -> &str {
        let other = conversation::other_person(&self.members, viewer);
        conversation::title_seen(
            self.kind,
            &self.title,
            other.map(|m| m.display_name.as_str()),
        )
    }
}

/// One event, loaded once and shared by every poll that delivers it.
#[derive(Debug)]
pub struct Published {
    pub event: Event,
    pub message: Message,
    pub conversation: Arc<ConversationInfo>,
    /// Who receives it: the members when it happened (and someone who just left, so that their
    /// own other tabs learn of it).
    pub audience: Vec<UserId>,
    rendered: [OnceLock<String>; 2],
}

impl Published {
    pub fn new(
        event: Event,
        message: Message,
        conversation: Arc<ConversationInfo>,
        audience: Vec<UserId>,
    ) -> Published {
        Published {
            event,
            message,
            conversation,
            audience,
            rendered: Default::default(),
        }
    }

    pub fn is_for(&self, user: UserId) -> bool {
        self.audience.binary_search(&user).is_ok()
    }

    /// The message's HTML in `lang`, drawn by `render` the first time only.
    pub fn rendered(&self, lang: Lang, render: impl FnOnce() -> String) -> &str {
        let slot = match lang {
            Lang::En => &self.rendered[0],
            Lang::Fr => &self.rendered[1],
        };
        slot.get_or_init(render)
    }
}

/// What a poll finds when it looks.
pub enum Collected {
    /// Everything after the cursor is in memory: the events for this user (possibly none), and
    /// the cursor that covers all of them (events up to it concern nobody else here).
    Covered {
        events: Vec<Arc<Published>>,
        next: EventId,
    },
    /// The cursor is older than the history: ask the database.
    TooOld,
    /// The cursor is newer than anything committed.
    Future,
}

/// A user's line: their parked polls wait on `notify`; `reads` lists conversations whose read
/// mark moved (in another tab), numbered so a poll takes only those after it started.
#[derive(Default)]
pub struct Channel {
    pub notify: Notify,
    reads: Mutex<(u64, Vec<(u64, ConversationId)>)>,
    /// Counts changes to the account (`Hub::account_changed`): a parked poll that sees it move
    /// looks at the account again, so that a disabled one stops at once.
    account_changes: AtomicU64,
}

impl Channel {
    pub fn account_changes(&self) -> u64 {
        self.account_changes.load(Ordering::Acquire)
    }

    pub fn read_sequence(&self) -> u64 {
        lock(&self.reads).0
    }

    pub fn reads_since(&self, sequence: u64) -> Vec<ConversationId> {
        let reads = lock(&self.reads);
        reads
            .1
            .iter()
            .filter(|(n, _)| *n > sequence)
            .map(|(_, c)| *c)
            .collect()
    }

    fn record_read(&self, conversation: ConversationId) {
        let mut reads = lock(&self.reads);
        reads.0 += 1;
        let sequence = reads.0;
        reads.1.retain(|(_, c)| *c != conversation);
        reads.1.push((sequence, conversation));
    }
}

/// Someone's new display name, and the conversations a reader shares with them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renamed {
    pub user: UserId,
    pub name: String,
    pub shared: Vec<ConversationId>,
}

/// The latest renames, numbered. A page's poll carries the number it has seen (`names=`), as
/// it carries its cursor, so that a rename made while none of its polls was parked (between
/// an answer and the next poll) still reaches it. Only the latest are kept: a page that missed
/// more than that shows the old names until it is reloaded.
#[derive(Default)]
struct Renames {
    last: u64,
    kept: VecDeque<(u64, Arc<Rename>)>,
}

struct Rename {
    user: UserId,
    name: String,
    /// Everyone who shares a conversation with `user`, with that conversation; sorted, so that
    /// each reader's part is found by halving, not by reading a big group's every member.
    companions: Vec<(UserId, ConversationId)>,
}

/// A rename in a group of 5,000 keeps 80 KB of companions: this bounds them to a few MB.
const RENAMES_KEPT: usize = 32;

struct History {
    events: VecDeque<Arc<Published>>,
    /// The newest event id known to be committed and published.
    last: EventId,
    /// A cursor at or after this is fully answered from `events`.
    covered_from: EventId,
}

pub struct Hub {
    history: Mutex<History>,
    /// One catch-up at a time, so that events enter the history in id order.
    catching_up: Mutex<()>,
    /// Members and titles of conversations with recent events, kept until they change.
    infos: Mutex<HashMap<ConversationId, Arc<ConversationInfo>>>,
    channels: Mutex<HashMap<UserId, Arc<Channel>>>,
    renames: Mutex<Renames>,
    /// `renames.last`, read without the lock: every woken poll asks, and almost never finds one.
    rename_number: AtomicU64,
    /// Read marks waiting to be written in one batch: (conversation, user) → message.
    pending_reads: Mutex<HashMap<(ConversationId, UserId), MessageId>>,
    /// When each person last polled, and when that was last written (`flush_presence`).
    presence: Mutex<Presence>,
    /// Who is typing where.
    pub typing: Typing,
    /// The polls the latest news woke, for the pause their pages take before polling again.
    pub burst: Burst,
    /// Polls waiting right now (for `--max-held-polls`).
    parked: AtomicUsize,
    /// Set when the server is stopping: parked polls answer, new ones do not wait.
    closing: AtomicBool,
    /// Tells this process's notes of moved read marks from other processes' (a random number:
    /// nodes on other machines may share a process id).
    origin: i64,
}

/// Seconds between two writes of one person's last-seen time.
const SEEN_WRITTEN_EVERY: i64 = 60;

#[derive(Default)]
struct Presence {
    polled: HashMap<UserId, i64>,
    written: HashMap<UserId, i64>,
}

/// A poisoned lock only means another thread panicked while holding it; the data is still
/// usable, and a chat server should not stop for it.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Hub {
    /// A hub whose history starts after the newest event already in the database.
    pub fn new(conn: &Conn) -> Result<Hub, AppError> {
        let last = event::latest_id(conn)?;
        Ok(Hub {
            history: Mutex::new(History {
                events: VecDeque::new(),
                last,
                covered_from: last,
            }),
            catching_up: Mutex::new(()),
            infos: Mutex::new(HashMap::new()),
            channels: Mutex::new(HashMap::new()),
            renames: Mutex::new(Renames::default()),
            rename_number: AtomicU64::new(0),
            pending_reads: Mutex::new(HashMap::new()),
            presence: Mutex::new(Presence::default()),
            typing: Typing::default(),
            burst: Burst::default(),
            parked: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            origin: getrandom::u64()
                .map_err(|e| AppError::internal(format!("no randomness: {e}")))?
                .cast_signed(),
        })
    }

    /// The number that this process's notes carry (`conversation::mark_read_noted`).
    pub fn origin(&self) -> i64 {
        self.origin
    }

    pub fn last_event(&self) -> EventId {
        lock(&self.history).last
    }

    /// Publishes every event committed since the last catch-up, in order, and wakes the
    /// members concerned. Called right after a commit, and by the watcher for other processes.
    pub fn catch_up(&self, conn: &Conn) -> Result<(), AppError> {
        let _in_order = lock(&self.catching_up);
        {
            let mut infos = lock(&self.infos);
            if infos.len() > CONVERSATIONS_CACHED {
                infos.clear();
            }
        }
        loop {
            let after = self.last_event();
            let events = event::after(conn, after, CATCH_UP_BATCH)?;
            let Some(newest) = events.last().map(|e| e.id) else {
                return Ok(());
            };
            let mut published = Vec::with_capacity(events.len());
            for event in events {
                if let Some(loaded) = load(conn, &self.infos, event)? {
                    published.push(Arc::new(loaded));
                }
            }
            self.publish(published, newest);
        }
    }

    fn publish(&self, published: Vec<Arc<Published>>, newest: EventId) {
        let mut to_wake: Vec<UserId> = Vec::new();
        {
            let mut history = lock(&self.history);
            for item in published {
                to_wake.extend_from_slice(&item.audience);
                history.events.push_back(item);
            }
            while history.events.len() > HISTORY {
                if let Some(oldest) = history.events.pop_front() {
                    history.covered_from = oldest.event.id;
                }
            }
            history.last = newest;
        }
        to_wake.sort_unstable();
        to_wake.dedup();
        let woken = self.wake(&to_wake);
        self.burst.woke(woken);
    }

    /// Counts a poll about to wait, unless `limit` polls already do: then None, and the poll
    /// should answer at once. The count drops when the returned guard does.
    pub fn try_park(&self, limit: Option<usize>) -> Option<ParkedSlot<'_>> {
        let taken = self.parked.fetch_add(1, Ordering::AcqRel);
        let slot = ParkedSlot { hub: self };
        (limit.is_none_or(|limit| taken < limit) && !self.is_closing()).then_some(slot)
    }

    pub fn parked(&self) -> usize {
        self.parked.load(Ordering::Acquire)
    }

    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// The server is stopping: every parked poll is woken to answer now, and later ones do not
    /// wait, so that a graceful stop is not held up by polls.
    pub fn close(&self) {
        self.closing.store(true, Ordering::Release);
        for channel in lock(&self.channels).values() {
            channel.notify.notify_waiters();
        }
    }

    /// Wakes the user's parked polls to look at their account again (it was disabled, or
    /// changed in some other way). Nothing to do for a user with nothing parked.
    pub fn account_changed(&self, user: UserId) {
        if let Some(channel) = lock(&self.channels).get(&user) {
            channel.account_changes.fetch_add(1, Ordering::AcqRel);
            channel.notify.notify_waiters();
        }
    }

    /// The user's channel; hold it while parked and give it back with `release`.
    pub fn channel(&self, user: UserId) -> Arc<Channel> {
        Arc::clone(lock(&self.channels).entry(user).or_default())
    }

    /// Forgets a user's channel once no poll of theirs holds it, so idle users cost nothing.
    pub fn release(&self, user: UserId, channel: Arc<Channel>) {
        let mut channels = lock(&self.channels);
        drop(channel);
        if channels
            .get(&user)
            .is_some_and(|c| Arc::strong_count(c) == 1)
        {
            channels.remove(&user);
        }
    }

    /// Wakes these people's parked polls to look again; returns how many there were.
    pub fn wake(&self, users: &[UserId]) -> usize {
        let channels = lock(&self.channels);
        let mut woken = 0;
        for user in users {
            if let Some(channel) = channels.get(user) {
                channel.notify.notify_waiters();
                // Every poll of the user holds the channel while it waits; the map holds one.
                woken += Arc::strong_count(channel) - 1;
            }
        }
        woken
    }

    /// A conversation's kind, title and members, kept until they change. None when it is gone.
    pub fn conversation(
        &self,
        conn: &Conn,
        id: ConversationId,
    ) -> Result<Option<Arc<ConversationInfo>>, AppError> {
        conversation_info(conn, &self.infos, id)
    }

    /// The same, asking `readers` only for a conversation not kept: every poll answer and
    /// typing note asks, and on PostgreSQL a read costs a thread and a pooled connection.
    pub fn conversation_via(
        &self,
        readers: &Readers,
        id: ConversationId,
    ) -> Result<Option<Arc<ConversationInfo>>, AppError> {
        if let Some(info) = kept(&self.infos, id) {
            return Ok(Some(info));
        }
        readers.read(|conn| self.conversation(conn, id))
    }

    /// Whether `user` is in the conversation, when the hub knows its members (a conversation
    /// with recent events); None sends the caller to the database.
    pub fn is_member(&self, conversation: ConversationId, user: UserId) -> Option<bool> {
        lock(&self.infos)
            .get(&conversation)
            .map(|info| info.member_ids.binary_search(&user).is_ok())
    }

    pub fn collect(&self, user: UserId, cursor: EventId) -> Collected {
        let history = lock(&self.history);
        if cursor > history.last {
            return Collected::Future;
        }
        if cursor < history.covered_from {
            return Collected::TooOld;
        }
        // The history is in id order: start right after the cursor, not at its oldest event.
        let first_new = history.events.partition_point(|p| p.event.id <= cursor);
        let events = history
            .events
            .range(first_new..)
            .filter(|p| p.is_for(user))
            .cloned()
            .collect();
        Collected::Covered {
            events,
            next: history.last,
        }
    }

    /// Loads what `user` missed after `cursor`, for a poll older than the history. Returns the
    /// events and the cursor to continue from.
    pub fn load_missed(
        &self,
        conn: &Conn,
        user: UserId,
        cursor: EventId,
        limit: usize,
    ) -> Result<(Vec<Arc<Published>>, EventId), AppError> {
        // Read the newest id first: anything committed after it is left for the next poll.
        let snapshot = event::latest_id(conn)?;
        let events = event::after_for_member(conn, user, cursor, limit)?;
        let full = events.len() == limit;
        let infos = Mutex::new(HashMap::new());
        let mut loaded = Vec::with_capacity(events.len());
        let mut next = snapshot;
        for event in events {
            next = if full { event.id } else { next.max(event.id) };
            if let Some(p) = load(conn, &infos, event)? {
                loaded.push(Arc::new(p));
            }
        }
        Ok((loaded, next))
    }

    /// Notes that `user` polled now: they have Bavard open. Every poll passes here, so it never
    /// waits: when another poll holds the lock this one is not noted, and presence, good to the
    /// minute, loses nothing (their page polls again within a hold).
    pub fn saw(&self, user: UserId) {
        let now = crate::model::now();
        match self.presence.try_lock() {
            Ok(mut presence) => {
                presence.polled.insert(user, now);
            }
            Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                poisoned.into_inner().polled.insert(user, now);
            }
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
    }

    /// When `user` last polled this process, if they did.
    pub fn last_poll(&self, user: UserId) -> Option<i64> {
        lock(&self.presence).polled.get(&user).copied()
    }

    /// Writes when people were last seen, each at most once a minute (one transaction).
    pub fn flush_presence(&self, conn: &Conn) -> Result<(), AppError> {
        let due: Vec<(UserId, i64)> = {
            let mut presence = lock(&self.presence);
            let Presence { polled, written } = &mut *presence;
            let due: Vec<(UserId, i64)> = polled
                .iter()
                .filter(|(user, at)| {
                    written
                        .get(*user)
                        .is_none_or(|w| **at - w >= SEEN_WRITTEN_EVERY)
                })
                .map(|(user, at)| (*user, *at))
                .collect();
            for (user, at) in &due {
                written.insert(*user, *at);
            }
            due
        };
        if due.is_empty() {
            return Ok(());
        }
        conn.write(|tx| {
            due.into_iter()
                .try_for_each(|(user, at)| crate::model::user::saw(tx, user, at))
        })
    }

    /// Notes that `user` has seen the conversation up to `message`; written in the next batch.
    pub fn note_read(&self, conversation: ConversationId, user: UserId, message: MessageId) {
        let mut pending = lock(&self.pending_reads);
        let mark = pending.entry((conversation, user)).or_insert(message);
        *mark = (*mark).max(message);
    }

    /// Writes the pending read marks in one transaction, then tells each user's other tabs,
    /// here and, through a note, in every other process.
    pub fn flush_reads(&self, conn: &Conn) -> Result<(), AppError> {
        let pending = std::mem::take(&mut *lock(&self.pending_reads));
        if pending.is_empty() {
            return Ok(());
        }
        let moved = conn.write(|tx| {
            let mut moved = Vec::new();
            for ((conversation, user), message) in pending {
                if conversation::mark_read_noted(tx, conversation, user, message, self.origin)? {
                    moved.push((user, conversation));
                }
            }
            Ok(moved)
        })?;
        for (user, conversation) in moved {
            self.read_moved(user, conversation);
        }
        Ok(())
    }

    /// `user` took another name: the cached members of their conversations are dropped, the
    /// rename is numbered, and everyone sharing a conversation with them (`companions`, from
    /// `conversation::companions`) who is waiting is woken to take it.
    pub fn renamed(&self, user: UserId, name: &str, mut companions: Vec<(UserId, ConversationId)>) {
        companions.sort_unstable();
        {
            let mut infos = lock(&self.infos);
            for (_, conversation) in &companions {
                infos.remove(conversation);
            }
        }
        let mut to_wake: Vec<UserId> = companions.iter().map(|(u, _)| *u).collect();
        to_wake.dedup();
        {
            let mut renames = lock(&self.renames);
            renames.last += 1;
            let number = renames.last;
            self.rename_number.store(number, Ordering::Release);
            renames.kept.push_back((
                number,
                Arc::new(Rename {
                    user,
                    name: name.to_owned(),
                    companions,
                }),
            ));
            if renames.kept.len() > RENAMES_KEPT {
                renames.kept.pop_front();
            }
        }
        self.wake(&to_wake);
    }

    /// The number of the latest rename, for a page's first poll.
    pub fn rename_number(&self) -> u64 {
        self.rename_number.load(Ordering::Acquire)
    }

    /// The renames after `seen` that `reader` must see (the latest name of each person), and
    /// the number they now have seen. A number from before a restart counts as the latest.
    pub fn renamed_since(&self, reader: UserId, seen: u64) -> (Vec<Renamed>, u64) {
        let latest = self.rename_number();
        if seen >= latest {
            return (Vec::new(), latest);
        }
        let renames = lock(&self.renames);
        let mut found: Vec<Renamed> = Vec::new();
        for (_, rename) in renames.kept.iter().filter(|(n, _)| *n > seen) {
            let companions = &rename.companions;
            let first = companions.partition_point(|(u, _)| *u < reader);
            let shared: Vec<ConversationId> = companions[first..]
                .iter()
                .take_while(|(u, _)| *u == reader)
                .map(|(_, c)| *c)
                .collect();
            if shared.is_empty() {
                continue;
            }
            found.retain(|r| r.user != rename.user);
            found.push(Renamed {
                user: rename.user,
                name: rename.name.clone(),
                shared,
            });
        }
        (found, renames.last)
    }

    /// The user's read mark in `conversation` moved: their other tabs redraw its badge.
    pub fn read_moved(&self, user: UserId, conversation: ConversationId) {
        if let Some(channel) = lock(&self.channels).get(&user) {
            channel.record_read(conversation);
            channel.notify.notify_waiters();
        }
    }
}

/// One counted waiting poll; see `Hub::try_park`.
pub struct ParkedSlot<'a> {
    hub: &'a Hub,
}

impl Drop for ParkedSlot<'_> {
    fn drop(&mut self) {
        self.hub.parked.fetch_sub(1, Ordering::AcqRel);
    }
}

type Infos = Mutex<HashMap<ConversationId, Arc<ConversationInfo>>>;

/// A conversation's kept members and title, if the hub has them.
fn kept(infos: &Infos, id: ConversationId) -> Option<Arc<ConversationInfo>> {
    lock(infos).get(&id).map(Arc::clone)
}

fn conversation_info(
    conn: &Conn,
    infos: &Infos,
    id: ConversationId,
) -> Result<Option<Arc<ConversationInfo>>, AppError> {
    if let Some(info) = kept(infos, id) {
        return Ok(Some(info));
    }
    let Some(found) = conversation::find_unscoped(conn, id)? else {
        return Ok(None);
    };
    let members = conversation::members(conn, id)?;
    let mut member_ids: Vec<UserId> = members.iter().map(|m| m.id).collect();
    member_ids.sort_unstable();
    let first_names = conversation::first_member_names(&members);
    let filter_names = conversation::filter_text("", first_names);
    let info = Arc::new(ConversationInfo {
        id,
        kind: found.kind,
        title: found.title,
        member_ids,
        members,
        filter_names,
    });
    lock(infos).insert(id, Arc::clone(&info));
    Ok(Some(info))
}

/// Loads an event's message and audience. None when the conversation or message is gone.
fn load(conn: &Conn, infos: &Infos, event: Event) -> Result<Option<Published>, AppError> {
    let Some(message) = message::find(conn, event.conversation, event.message)? else {
        return Ok(None);
    };
    if event.kind == EventKind::Message && message.kind.changes_membership_or_title() {
        lock(infos).remove(&event.conversation);
    }
    let Some(conversation) = conversation_info(conn, infos, event.conversation)? else {
        return Ok(None);
    };
    let mut audience = conversation.member_ids.clone();
    if let (MessageKind::Left, Some(author)) = (message.kind, &message.author)
        && let Err(at) = audience.binary_search(&author.id)
    {
        audience.insert(at, author.id);
    }
    Ok(Some(Published::new(event, message, conversation, audience)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_takes_the_renames_after_the_number_it_has_seen_and_only_its_own() {
        let (team, other) = (ConversationId(10), ConversationId(11));
        let (ann, bob, cy) = (UserId(1), UserId(2), UserId(3));
        let conn = crate::db::memory();
        let hub = Hub::new(&conn).unwrap();
        let seen = hub.rename_number();
        hub.renamed(bob, "Bobby", vec![(ann, team), (ann, other), (cy, team)]);
        hub.renamed(bob, "Robert", vec![(ann, team), (ann, other), (cy, team)]);
        let (renamed, now) = hub.renamed_since(ann, seen);
        let robert = Renamed {
            user: bob,
            name: "Robert".into(),
            shared: vec![team, other],
        };
        assert_eq!(
            renamed,
            [robert],
            "only the latest name, with what they share"
        );
        assert!(hub.renamed_since(ann, now).0.is_empty(), "taken once");
        assert!(
            hub.renamed_since(UserId(4), seen).0.is_empty(),
            "not a companion"
        );
        assert!(
            hub.renamed_since(ann, now + 50).0.is_empty(),
            "a number from before a restart"
        );
    }
}
