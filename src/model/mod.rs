//! The model: rules and SQL, one file per aggregate, as plain functions over a connection.
//! No HTTP and no HTML here.
//!
//! LIMITs are written into the SQL, never bound: SQLite prepares a statement again on every run
//! when a bound parameter sets its LIMIT, and that once took 45 % of a page's time.

pub mod api_token;
pub mod attachment;
pub mod conversation;
pub mod event;
pub mod invalidation;
pub mod invite;
pub mod mention;
pub mod message;
pub mod push;
pub mod reaction;
pub mod search;
pub mod secret;
pub mod session;
pub mod user;
pub mod webhook;

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// A short name someone gives a thing (a group's title, a webhook's bot, an API token):
/// trimmed, without control characters, between 1 and `max` characters, else the field's
/// `empty` or `long` error.
pub(crate) fn short_name(
    raw: &str,
    max: usize,
    field: &'static str,
    (empty, long): (&'static str, &'static str),
) -> Result<String, FieldError> {
    let name: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
    match name.chars().count() {
        0 => Err(FieldError::new(field, empty)),
        n if n > max => Err(FieldError::new(field, long)),
        _ => Ok(name),
    }
}

/// Ids of different tables are different types, so that one can never be passed for another.
macro_rules! id_type {
    ($name:ident) => {
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                i64::column_result(value).map($name)
            }
        }

        impl postgres::types::ToSql for $name {
            fn to_sql(
                &self,
                ty: &postgres::types::Type,
                out: &mut actix_web::web::BytesMut,
            ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
                <i64 as postgres::types::ToSql>::to_sql(&self.0, ty, out)
            }

            fn accepts(ty: &postgres::types::Type) -> bool {
                <i64 as postgres::types::ToSql>::accepts(ty)
            }

            postgres::types::to_sql_checked!();
        }

        impl<'a> postgres::types::FromSql<'a> for $name {
            fn from_sql(
                ty: &postgres::types::Type,
                raw: &'a [u8],
            ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
                <i64 as postgres::types::FromSql>::from_sql(ty, raw).map($name)
            }

            fn accepts(ty: &postgres::types::Type) -> bool {
                <i64 as postgres::types::FromSql>::accepts(ty)
            }
        }

        impl crate::db::Param for $name {}
        impl crate::db::Column for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(UserId);
id_type!(ConversationId);
id_type!(MessageId);
id_type!(EventId);

/// A rule a submitted field broke: which field, the catalog key of the explanation, and what
/// the explanation names (`{ $detail }`, e.g. the usernames that do not exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: &'static str,
    pub detail: Option<String>,
}

impl FieldError {
    pub const fn new(field: &'static str, message: &'static str) -> Self {
        FieldError {
            field,
            message,
            detail: None,
        }
    }
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
