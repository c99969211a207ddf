use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use bavard::auth::password;
use bavard::config::{self, Database, HostEnv, Invocation, Settings, UserCommand};
use bavard::keys::KeyChoice;
use bavard::model::user;
use bavard::{app, db, maintenance};

#[cfg(all(not(target_env = "msvc"), not(system_allocator)))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read when it starts. Freed pages go back to the system after a second
/// instead of ten: a server gone quiet after a burst (a proxy that dropped every client at
/// once) otherwise kept their memory. Not a background thread to do it: that thread kept one
/// password-hashing buffer (19 MiB) resident after logins.
#[cfg(all(not(target_env = "msvc"), not(system_allocator)))]
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
static malloc_conf: &[u8; 37] = b"dirty_decay_ms:1000,muzzy_decay_ms:0\0";

/// Several fan-outs' worth of request lines (a thousand tabs answered write a thousand lines).
const LOG_LINES_QUEUED: usize = 8_192;

fn main() -> ExitCode {
    // OpenSSL (SQLCipher's crypto) is set up before anything uses it, without its clean-up at
    // exit: that clean-up ran while r2d2's threads could still open or close a connection,
    // and commands crashed as they ended, about one in eight. The system frees it all anyway.
    openssl_sys::init();
    let host = match HostEnv::from_env() {
        Ok(host) => host,
        Err(message) => {
            eprintln!("bavard: {message}");
            return ExitCode::FAILURE;
        }
    };
    let invocation = match config::parse(std::env::args_os(), &host) {
        Ok(invocation) => invocation,
        Err(e) => e.exit(),
    };
    // A line per request is written by a thread of its own, in batches: on the request's
    // thread a write to stderr was a system call per answer, in the middle of every fan-out.
    // Nothing is dropped when lines come faster than they are written (the request threads
    // wait instead); dropping the guard writes what is left. The queue's slots are made when
    // it is: the default 128,000 lines were 4 MB of the 28 MB an idle server held.
    let (log_writer, log_guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(LOG_LINES_QUEUED)
        .thread_name("bavard-log")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(log_writer)
                    .with_ansi(std::io::stderr().is_terminal()),
            )
            // Warnings and errors are also kept for the monitoring page.
            .with(bavard::monitor::ProblemsLayer)
            .init();
    }
    let is_serve = matches!(invocation, Invocation::Serve(_));
    let outcome =
        match invocation {
            Invocation::Serve(settings) => serve(settings),
            Invocation::User {
                data,
                keys,
                database,
                command,
            } => user_command(
                &Store {
                    data: &data,
                    keys: &keys,
                    database: &database,
                },
                command,
            ),
            Invocation::Backup { data, keys, file } => maintenance::backup(&data, &keys, &file)
                .map(|backed| {
                    println!(
                        "backup written to {}: database {} KB, {} files, {} profile pictures",
                        file.display(),
                        backed.database_bytes / 1024,
                        backed.files,
                        backed.pictures
                    );
                    match &backed.key {
                        Some(source) => println!(
                            "it is encrypted: restoring it needs the instance key, from {source}; \
                     keep a copy of the key apart from the backup"
                        ),
                        None => println!("it is not encrypted: keep it where only you can read it"),
                    }
                    if backed.missing > 0 {
                        println!(
                            "{} files named by the database were gone (deleted while copying)",
                            backed.missing
                        );
                    }
                }),
            Invocation::Restore { data, keys, file } => maintenance::restore(&data, &keys, &file)
                .map(|entries| {
                    println!("restored {entries} entries into {}", data.display());
                }),
            Invocation::Encrypt { data, keys } => maintenance::encrypt(&data, &keys).map(|done| {
                println!(
                    "encrypted the database and {} stored files with the key from {}; keep a copy \
                 of the key apart from the backups. Backups made before stay unencrypted: \
                 delete them once a new one is made",
                    done.sealed, done.key
                );
                if done.missing > 0 {
                    println!("{} files named by the database were missing", done.missing);
                }
            }),
            Invocation::Rekey {
                data,
                keys,
                new_key_file,
                new_key,
            } => maintenance::rekey(&data, &keys, new_key_file.as_deref(), new_key.as_deref()).map(
                |placed| {
                    match placed {
                        maintenance::NewKey::File(path) => println!(
                            "the database now opens with the key in {}; start the server with it",
                            path.display()
                        ),
                        maintenance::NewKey::Environment => println!(
                            "the database now opens with BAVARD_NEW_KEY; start the server with \
                         BAVARD_KEY set to it"
                        ),
                    }
                    println!("backups made before still need the old key: keep it as long as them");
                },
            ),
            Invocation::Check { data, keys } => {
                let findings = maintenance::check(&data, &keys);
                for finding in &findings {
                    let mark = if finding.problem { "problem" } else { "ok" };
                    println!("{mark}: {}", finding.text);
                }
                let problems = findings.iter().filter(|f| f.problem).count();
                if problems == 0 {
                    Ok(())
                } else {
                    Err(format!("{problems} problem(s) found"))
                }
            }
        };
    // Before the last words below, which go straight to stderr, and before `_exit`.
    drop(log_guard);
    let failed = match outcome {
        Ok(()) => false,
        Err(message) => {
            eprintln!("bavard: {message}");
            true
        }
    };
    if !is_serve {
        end_command(failed);
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Ends a command at once, once its output is out: its work is done and its files closed, and
/// what an ordinary exit still runs (library clean-ups, while pool threads may hold a SQLCipher
/// connection) made commands crash as they ended, which scripts saw as a failure.
fn end_command(failed: bool) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` only ends the process; nothing of ours runs after it.
    unsafe { libc::_exit(i32::from(failed)) }
}

fn serve(settings: Settings) -> Result<(), String> {
    actix_web::rt::System::new()
        .block_on(app::serve(settings))
        .map_err(|e| e.to_string())
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn explain(error: bavard::model::FieldError) -> String {
    bavard::i18n::Lang::En.t(error.message)
}

fn existing_user(conn: &db::Conn, name: &str) -> Result<user::User, String> {
    user::find_by_username(conn, &name.trim().to_lowercase())
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user named {name}"))
}

fn refusal_text(refusal: user::Refusal) -> String {
    match refusal {
        user::Refusal::LastAdministrator => {
            "refused: the instance would have no active administrator left".to_owned()
        }
    }
}

type AccountChange = Result<Result<(), user::Refusal>, bavard::error::AppError>;

/// Where the accounts are kept: SQLite in the data folder, or PostgreSQL.
struct Store<'a> {
    data: &'a std::path::Path,
    keys: &'a KeyChoice,
    database: &'a Database,
}

impl Store<'_> {
    /// The database, opened with its key (a new SQLite one is made encrypted).
    fn open(&self) -> Result<db::Pool, String> {
        match self.database {
            Database::Postgres(url) => db::open_postgres(url, db::COMMAND_CONNECTIONS),
            Database::Sqlite => {
                let key = self.keys.unlock(self.data)?.map(|(key, _)| key);
                db::open(self.data, key.as_ref())
            }
        }
        .map_err(|e| e.to_string())
    }
}

/// Applies `apply` to the account called `name`, and says so.
fn change_account(
    store: &Store,
    name: &str,
    done: &str,
    apply: impl FnOnce(&mut db::Conn, user::User) -> AccountChange,
) -> Result<(), String> {
    let pool = store.open()?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let account = existing_user(&conn, name)?;
    let username = account.username.clone();
    apply(&mut conn, account)
        .map_err(|e| e.to_string())?
        .map_err(refusal_text)?;
    println!("{username} {done}");
    Ok(())
}

fn user_command(store: &Store, command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::List => {
            let pool = store.open()?;
            let conn = pool.get().map_err(|e| e.to_string())?;
            for account in user::all(&conn).map_err(|e| e.to_string())? {
                let role = if account.is_admin { "admin" } else { "member" };
                let status = if account.disabled {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{role}\t{status}",
                    account.username, account.display_name
                );
            }
            Ok(())
        }
        UserCommand::Disable { name } => change_account(
            store,
            &name,
            "disabled and signed out everywhere",
            |conn, account| user::set_disabled(conn, account.id, true),
        ),
        UserCommand::Enable { name } => change_account(store, &name, "enabled", |conn, account| {
            user::set_disabled(conn, account.id, false)
        }),
        UserCommand::MakeAdmin { name } => {
            change_account(store, &name, "is an administrator", |conn, account| {
                user::set_admin(conn, account.id, true)
            })
        }
        UserCommand::RemoveAdmin { name } => change_account(
            store,
            &name,
            "is no longer an administrator",
            |conn, account| user::set_admin(conn, account.id, false),
        ),
        UserCommand::Add { name, admin } => {
            let username = user::normalise_username(&name).map_err(explain)?;
            let password = read_password()?;
            user::check_new_password("password", &password).map_err(explain)?;
            let pool = store.open()?;
            let password_hash = password::hash_blocking(&password).map_err(|e| e.to_string())?;
            let new = user::NewUser {
                display_name: username.clone(),
                username,
                password_hash,
                admin,
                invite: None,
            };
            let conn = pool.get().map_err(|e| e.to_string())?;
            let created = user::create(&conn, &new)
                .map_err(|e| e.to_string())?
                .map_err(explain)?;
            let role = if created.is_admin {
                "administrator"
            } else {
                "member"
            };
            println!("created {role} {}", created.username);
            Ok(())
        }
        UserCommand::SetPassword { name } => {
            let password = read_password()?;
            user::check_new_password("password", &password).map_err(explain)?;
            let pool = store.open()?;
            let conn = pool.get().map_err(|e| e.to_string())?;
            let found =
                user::find_by_username(&conn, &name.to_lowercase()).map_err(|e| e.to_string())?;
            let account = found.ok_or_else(|| format!("no user named {name}"))?;
            let hash = password::hash_blocking(&password).map_err(|e| e.to_string())?;
            user::set_password_hash(&conn, account.id, &hash).map_err(|e| e.to_string())?;
            println!(
                "password changed for {}; all their sessions were signed out",
                account.username
            );
            Ok(())
        }
    }
}
