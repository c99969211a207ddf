//! Accounts: who people are, how they are found, and the rules their fields follow.

use super::{FieldError, UserId, now};
use crate::db::{self, Conn, Row};
use crate::error::AppError;
use crate::i18n::Lang;

pub const USERNAME_LEN: std::ops::RangeInclusive<usize> = 3..=32;
pub const DISPLAY_NAME_MAX: usize = 64;
pub const ABOUT_MAX: usize = 500;
pub const PASSWORD_MIN: usize = 8;
/// Argon2 cost grows with the input; a cap keeps a hostile megabyte "password" cheap to refuse.
pub const PASSWORD_MAX: usize = 1024;
pub const SEARCH_PAGE_SIZE: usize = 20;

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub about: String,
    pub is_admin: bool,
    pub language: Option<Lang>,
    pub created_at: i64,
    /// Their picture's key (`media`); None: their initials stand for them.
    pub avatar: Option<String>,
    /// Disabled by an administrator: signed out, and may not sign in.
    pub disabled: bool,
}

const COLUMNS: &str = "id, username, display_name, about, is_admin, language, created_at, avatar,
    disabled_at IS NOT NULL";

impl User {
    fn from_row(row: &Row<'_>) -> Result<User, db::Error> {
        let language: Option<String> = row.get(5)?;
        Ok(User {
            id: row.get(0)?,
            username: row.get(1)?,
            display_name: row.get(2)?,
            about: row.get(3)?,
            is_admin: row.get(4)?,
            language: language.as_deref().and_then(Lang::from_code),
            created_at: row.get(6)?,
            avatar: row.get(7)?,
            disabled: row.get(8)?,
        })
    }
}

/// Usernames are stored lower-case: "Alice" signs up as "alice", so the same name in another
/// case can never be a second account.
pub fn normalise_username(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim().to_lowercase();
    if !USERNAME_LEN.contains(&name.chars().count()) {
        return Err(FieldError::new("username", "error-username-length"));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c);
    if !name.chars().all(allowed) {
        return Err(FieldError::new("username", "error-username-chars"));
    }
    Ok(name)
}

pub fn normalise_display_name(raw: &str) -> Result<String, FieldError> {
    // Control characters (a pasted NUL, a stray newline) have no place in a name.
    let name: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
    let len = name.chars().count();
    if len == 0 {
        return Err(FieldError::new("display_name", "error-display-name-empty"));
    }
    if len > DISPLAY_NAME_MAX {
        return Err(FieldError::new("display_name", "error-display-name-long"));
    }
    Ok(name)
}

pub fn normalise_about(raw: &str) -> Result<String, FieldError> {
    let about = crate::forms::clean_text(raw);
    if about.chars().count() > ABOUT_MAX {
        return Err(FieldError::new("about", "error-about-long"));
    }
    Ok(about)
}

const COMMON_PASSWORDS: &str = include_str!("../auth/common_passwords.txt");

/// Length is what makes a password strong; composition rules only make it harder to remember.
/// We refuse the ones attackers try first.
pub fn check_new_password(field: &'static str, password: &str) -> Result<(), FieldError> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        return Err(FieldError::new(field, "error-password-short"));
    }
    if len > PASSWORD_MAX {
        return Err(FieldError::new(field, "error-password-long"));
    }
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS.lines().any(|common| common == lowered) {
        return Err(FieldError::new(field, "error-password-common"));
    }
    Ok(())
}

fn search_text(username: &str, display_name: &str) -> String {
    format!("{username} {}", display_name.to_lowercase())
}

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub admin: bool,
    /// The hash of the invitation it comes with, used up by the creation (`invite::consume`).
    pub invite: Option<String>,
}

/// Creates the account. The very first account of an instance is always an administrator.
pub fn create(conn: &Conn, new: &NewUser) -> Result<Result<User, FieldError>, AppError> {
    conn.write_or_refuse(|tx| {
        let taken: bool = tx.query_row(
            // Usernames are ASCII, which lower() folds on both engines.
            "SELECT EXISTS(SELECT 1 FROM users WHERE username = lower(?1))",
            &[&new.username],
            |row| row.get(0),
        )?;
        if taken {
            return Ok(Err(FieldError::new("username", "error-username-taken")));
        }
        let first: bool =
            tx.query_row("SELECT NOT EXISTS(SELECT 1 FROM users)", &[], |r| r.get(0))?;
        let id: UserId = tx.query_row(
            "INSERT INTO users (username, display_name, search_text, password_hash, is_admin,
                                created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            &[
                &new.username,
                &new.display_name,
                &search_text(&new.username, &new.display_name),
                &new.password_hash,
                &(new.admin || first),
                &now(),
            ],
            |r| r.get(0),
        )?;
        if let Some(invite) = &new.invite
            && let Err(used) = super::invite::consume(tx, invite, id)?
        {
            return Ok(Err(used));
        }
        super::conversation::create_welcome(tx, id)?;
        let user = find(tx, id)?.ok_or_else(|| AppError::internal("created user vanished"))?;
        Ok(Ok(user))
    })
}

pub fn find(conn: &Conn, id: UserId) -> Result<Option<User>, AppError> {
    Ok(conn.query_opt(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
        &[&id],
        User::from_row,
    )?)
}

pub fn find_by_username(conn: &Conn, username: &str) -> Result<Option<User>, AppError> {
    Ok(conn.query_opt(
        &format!("SELECT {COLUMNS} FROM users WHERE username = lower(?1)"),
        &[&username.trim()],
        User::from_row,
    )?)
}

/// The id and password hash to check a login against.
pub fn credentials(conn: &Conn, username: &str) -> Result<Option<(User, String)>, AppError> {
    Ok(conn.query_opt(
        &format!("SELECT {COLUMNS}, password_hash FROM users WHERE username = lower(?1)"),
        &[&username.trim()],
        |row| Ok((User::from_row(row)?, row.get(9)?)),
    )?)
}

pub fn password_hash(conn: &Conn, id: UserId) -> Result<Option<String>, AppError> {
    Ok(conn.query_opt(
        "SELECT password_hash FROM users WHERE id = ?1",
        &[&id],
        |r| r.get(0),
    )?)
}

pub struct ProfileChange {
    pub display_name: String,
    pub about: String,
    pub language: Option<Lang>,
}

pub fn update_profile(conn: &Conn, id: UserId, change: &ProfileChange) -> Result<(), AppError> {
    let username: String =
        conn.query_row("SELECT username FROM users WHERE id = ?1", &[&id], |r| {
            r.get(0)
        })?;
    conn.execute(
        "UPDATE users SET display_name = ?2, about = ?3, language = ?4, search_text = ?5
         WHERE id = ?1",
        &[
            &id,
            &change.display_name,
            &change.about,
            &change.language.map(Lang::code),
            &search_text(&username, &change.display_name),
        ],
    )?;
    Ok(())
}

/// Every account, by username, for the command line's `user list`.
pub fn all(conn: &Conn) -> Result<Vec<User>, AppError> {
    Ok(conn.query_map(
        &format!("SELECT {COLUMNS} FROM users ORDER BY username"),
        &[],
        User::from_row,
    )?)
}

/// The keys of every profile picture in use.
pub fn avatar_keys(conn: &Conn) -> Result<Vec<String>, AppError> {
    Ok(conn.query_map(
        "SELECT avatar FROM users WHERE avatar IS NOT NULL",
        &[],
        |row| row.get(0),
    )?)
}

/// Why an account change was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The instance would be left without an administrator.
    LastAdministrator,
}

/// Disables the account (deleting every session of it in the same transaction, so that it is
/// signed out everywhere: a running server learns it from the notes of migration 0003), or
/// enables it again. The last active administrator cannot be disabled.
pub fn set_disabled(
    conn: &Conn,
    id: UserId,
    disabled: bool,
) -> Result<Result<(), Refusal>, AppError> {
    conn.write(|tx| {
        if disabled && is_last_administrator(tx, id)? {
            return Ok(Err(Refusal::LastAdministrator));
        }
        tx.execute(
            "UPDATE users SET disabled_at = CASE WHEN ?2 THEN coalesce(disabled_at, ?3) END
             WHERE id = ?1",
            &[&id, &disabled, &now()],
        )?;
        if disabled {
            super::session::delete_all_of_user(tx, id)?;
        }
        Ok(Ok(()))
    })
}

/// Makes the account an administrator or takes that away; never from the last one.
pub fn set_admin(conn: &Conn, id: UserId, admin: bool) -> Result<Result<(), Refusal>, AppError> {
    conn.write(|tx| {
        if !admin && is_last_administrator(tx, id)? {
            return Ok(Err(Refusal::LastAdministrator));
        }
        tx.execute(
            "UPDATE users SET is_admin = ?2 WHERE id = ?1",
            &[&id, &admin],
        )?;
        Ok(Ok(()))
    })
}

fn is_last_administrator(conn: &Conn, id: UserId) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT is_admin AND disabled_at IS NULL AND NOT EXISTS (SELECT 1 FROM users
             WHERE id != ?1 AND is_admin AND disabled_at IS NULL)
         FROM users WHERE id = ?1",
        &[&id],
        |r| r.get(0),
    )?)
}

/// Sets (or with None removes) the person's picture; answers the key of the one it replaces,
/// whose files the caller removes.
pub fn set_avatar(conn: &Conn, id: UserId, key: Option<&str>) -> Result<Option<String>, AppError> {
    conn.write(|tx| {
        let previous: Option<String> =
            tx.query_row("SELECT avatar FROM users WHERE id = ?1", &[&id], |r| {
                r.get(0)
            })?;
        tx.execute("UPDATE users SET avatar = ?2 WHERE id = ?1", &[&id, &key])?;
        Ok(previous)
    })
}

/// Sets a new password hash and signs the account out everywhere: every session of the user is
/// deleted in the same transaction (the caller renews the session it is answering).
pub fn set_password_hash(conn: &Conn, id: UserId, hash: &str) -> Result<(), AppError> {
    conn.write(|tx| {
        tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            &[&id, &hash],
        )?;
        super::session::delete_all_of_user(tx, id)?;
        // Nor does any browser keep hearing of new messages.
        super::push::remove_all_of_user(tx, id)
    })
}

pub struct SearchPage {
    pub users: Vec<User>,
    pub has_more: bool,
}

/// Case-insensitive match on username or display name (any script), best matches first:
/// exact username, then names starting with the query, then the rest alphabetically.
/// `page` counts from 1.
pub fn search(conn: &Conn, query: &str, page: usize) -> Result<SearchPage, AppError> {
    let needle = query.trim().to_lowercase();
    let offset = page.saturating_sub(1).saturating_mul(SEARCH_PAGE_SIZE) as i64;
    // lower() folds ASCII only on SQLite, as NOCASE does: the same order on both engines.
    let mut users = conn.query_map(
        &format!(
            "SELECT {COLUMNS} FROM users
             WHERE instr(search_text, ?1) > 0
             ORDER BY username = ?1 DESC,
                      instr(search_text, ?1) = 1 OR instr(lower(display_name), ?1) = 1 DESC,
                      lower(display_name), username
             LIMIT {} OFFSET ?2",
            SEARCH_PAGE_SIZE + 1
        ),
        &[&needle, &offset],
        User::from_row,
    )?;
    let has_more = users.len() > SEARCH_PAGE_SIZE;
    users.truncate(SEARCH_PAGE_SIZE);
    Ok(SearchPage { users, has_more })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db;

    fn add(conn: &db::Conn, username: &str, display_name: &str) -> User {
        create(
            conn,
            &NewUser {
                username: username.into(),
                display_name: display_name.into(),
                password_hash: "x".into(),
                admin: false,
                invite: None,
            },
        )
        .expect("query")
        .expect("valid")
    }

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(normalise_username("  Alice.B-2_ ").unwrap(), "alice.b-2_");
        assert_eq!(
            normalise_username("ab").unwrap_err().message,
            "error-username-length"
        );
        assert_eq!(
            normalise_username(&"a".repeat(33)).unwrap_err().message,
            "error-username-length"
        );
        assert_eq!(
            normalise_username("al ice").unwrap_err().message,
            "error-username-chars"
        );
        assert_eq!(
            normalise_username("élise").unwrap_err().message,
            "error-username-chars"
        );
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(normalise_display_name("  Zoé  ").unwrap(), "Zoé");
        assert!(normalise_display_name("   ").is_err());
        assert!(normalise_display_name(&"é".repeat(64)).is_ok());
        assert!(normalise_display_name(&"é".repeat(65)).is_err());
        assert_eq!(normalise_display_name("a\u{0}b").unwrap(), "ab");
    }

    #[test]
    fn passwords_need_length_and_must_not_be_common() {
        assert_eq!(
            check_new_password("p", "short").unwrap_err().message,
            "error-password-short"
        );
        assert_eq!(
            check_new_password("p", "password").unwrap_err().message,
            "error-password-common"
        );
        assert_eq!(
            check_new_password("p", "PassWord1").unwrap_err().message,
            "error-password-common"
        );
        assert!(check_new_password("p", "correct horse battery").is_ok());
        assert!(check_new_password("p", &"x".repeat(2000)).is_err());
    }

    #[test]
    fn the_first_account_is_admin_and_usernames_are_unique() {
        for conn in crate::db::testing::engines() {
            assert!(add(&conn, "first", "First").is_admin);
            assert!(!add(&conn, "second", "Second").is_admin);
            let again = create(
                &conn,
                &NewUser {
                    username: "FIRST".into(),
                    display_name: "Impostor".into(),
                    password_hash: "x".into(),
                    admin: false,
                    invite: None,
                },
            )
            .unwrap();
            assert_eq!(again.unwrap_err().message, "error-username-taken");
        }
    }

    #[test]
    fn search_ignores_case_beyond_ascii_and_pages() {
        for conn in crate::db::testing::engines() {
            add(&conn, "eloise", "Éloïse Martin");
            add(&conn, "bob", "Bob");
            for i in 0..25 {
                add(&conn, &format!("member{i:02}"), &format!("Member {i}"));
            }
            let found = search(&conn, "ÉLOÏSE", 1).unwrap();
            assert_eq!(found.users.len(), 1);
            assert_eq!(found.users[0].username, "eloise");
            let first = search(&conn, "member", 1).unwrap();
            assert_eq!(first.users.len(), SEARCH_PAGE_SIZE);
            assert!(first.has_more);
            let second = search(&conn, "member", 2).unwrap();
            assert_eq!(second.users.len(), 5);
            assert!(!second.has_more);
            assert!(search(&conn, "%", 1).unwrap().users.is_empty());
        }
    }
}

/// Notes, in the caller's transaction, that the person had Bavard open at `at`.
pub(crate) fn saw(conn: &Conn, id: UserId, at: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET last_seen_at = CASE WHEN last_seen_at > ?2 THEN last_seen_at ELSE ?2 END
         WHERE id = ?1",
        &[&id, &at],
    )?;
    Ok(())
}

/// When the person was last seen, as written (`saw`).
pub fn last_seen(conn: &Conn, id: UserId) -> Result<Option<i64>, AppError> {
    Ok(conn
        .query_opt(
            "SELECT last_seen_at FROM users WHERE id = ?1",
            &[&id],
            |r| r.get(0),
        )?
        .flatten())
}

/// Whether someone is there: online while their open page keeps polling (a poll comes at
/// least once per hold), else when they were last seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Online,
    LastSeen(i64),
}

pub fn presence(last_seen: Option<i64>, now: i64, hold_seconds: i64) -> Option<Presence> {
    let seen = last_seen?;
    Some(if now - seen <= hold_seconds + ONLINE_MARGIN_SECONDS {
        Presence::Online
    } else {
        Presence::LastSeen(seen)
    })
}

/// Past a poll's hold, the time a page takes to poll again, with room for a slow network.
const ONLINE_MARGIN_SECONDS: i64 = 30;
