//! The only place that reads flags and environment variables.
//!
//! `--data` is global: it may stand before or after the command. The options of `serve` may
//! also stand before it (`bavard --bind ADDR serve`), or with no command at all; given before
//! another command they are refused rather than silently ignored.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::keys::KeyChoice;
use crate::media::UploadRules;
use crate::model::attachment::FileKind;

#[derive(Parser, Debug)]
#[command(
    name = "bavard",
    version,
    about = "Bavard: a self-hosted chat server for small organisations.",
    long_about = "Bavard: a self-hosted chat server for small organisations.\n\n\
        Run without a command to serve the web app. Logs go to stderr; set RUST_LOG \
        (e.g. RUST_LOG=debug) to change their level."
)]
pub struct Cli {
    /// Folder holding the SQLite database and uploads; created if missing.
    #[arg(
        long = "data",
        env = "BAVARD_DATA",
        default_value = "./data",
        global = true
    )]
    pub data: PathBuf,
    /// File holding the instance key, 64 hexadecimal digits; BAVARD_KEY may give the key itself
    /// instead [default: bavard.key in the data folder, generated with a new database].
    #[arg(long, env = "BAVARD_KEY_FILE", global = true)]
    pub key_file: Option<PathBuf>,
    /// Keep a new database and its files unencrypted (for a disk encrypted already, or to
    /// measure what encryption costs).
    #[arg(
        long,
        env = "BAVARD_NO_ENCRYPTION",
        global = true,
        conflicts_with = "key_file"
    )]
    pub no_encryption: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options for `serve`, also accepted before it or when no command is given.
    #[command(flatten)]
    pub serve: ServeOptions,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app (the default when no command is given).
    Serve(Box<ServeOptions>),
    /// Manage accounts from the command line.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of the database, files and profile pictures to FILE (a tar
    /// archive), while the server runs.
    Backup { file: PathBuf },
    /// Restore a backup into an empty data folder (never over an existing database).
    Restore { file: PathBuf },
    /// Check the data folder: permissions, the database's integrity and schema, stored files,
    /// free disk, the key. One line per finding; exits non-zero on any problem.
    Check,
    /// Encrypt a database made before encryption, and its files, once the server is stopped:
    /// with the key from BAVARD_KEY or --key-file, or a new bavard.key in the data folder.
    Encrypt,
    /// Change the instance key (server stopped). The new key is read from NEW_KEY_FILE
    /// (generated there if the file does not exist) or from BAVARD_NEW_KEY; with neither, a
    /// default key file is replaced by a new one.
    Rekey { new_key_file: Option<PathBuf> },
}

#[derive(Subcommand, Debug, PartialEq, Eq)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input (first line).
    Add {
        /// The username: 3 to 32 characters among a-z 0-9 _ . -
        name: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Set an account's password, read from standard input (first line), and sign it out everywhere.
    SetPassword { name: String },
    /// List every account: username, display name, role and status, tab-separated.
    List,
    /// Disable an account: it is signed out everywhere within a second and may not sign in;
    /// its messages stay.
    Disable { name: String },
    /// Enable a disabled account again.
    Enable { name: String },
    /// Make an account an administrator.
    MakeAdmin { name: String },
    /// Take administration away from an account (never from the last administrator).
    RemoveAdmin { name: String },
}

/// What `serve` was told. Everything is optional here so that the options given before the
/// command and after it can be merged; `Settings::resolve` fills in the defaults.
#[derive(Args, Debug, Clone, Default)]
pub struct ServeOptions {
    /// Address to listen on [default: 127.0.0.1:8080, or $DOMAIN_SOCKET, or 0.0.0.0:$PORT].
    /// Port 0 picks a free port (the chosen address is logged).
    #[arg(long, env = "BAVARD_BIND", conflicts_with = "unix_socket")]
    pub bind: Option<SocketAddr>,
    /// Listen on a unix socket at this path instead (mode 0600: only this account's processes,
    /// such as the WSGI launcher, can connect).
    #[arg(long, env = "BAVARD_SOCKET")]
    pub unix_socket: Option<PathBuf>,
    /// Who may create an account: anyone (open), or only administrators (closed).
    #[arg(long, env = "BAVARD_REGISTRATION", value_enum)]
    pub registration: Option<Registration>,
    /// Largest request body accepted, in bytes; larger ones get a 413 page [default: 1048576].
    #[arg(long, env = "BAVARD_BODY_LIMIT")]
    pub body_limit: Option<usize>,
    /// Believe the forwarding headers (X-Forwarded-For/-Proto/-Host, Forwarded): only behind a
    /// reverse proxy you run, which sets them.
    #[arg(long, env = "BAVARD_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Seconds a poll waits for news before answering empty [default: 25, 0 behind WSGI]. Keep
    /// it under the idle timeout of any proxy in front (often 30–60 s); 0 = short-polling.
    #[arg(long, env = "BAVARD_POLL_HOLD")]
    pub poll_hold: Option<u64>,
    /// Milliseconds the page waits before polling again after an answer [default: 0 while polls
    /// are held, 1500 when --poll-hold is 0].
    #[arg(long, env = "BAVARD_POLL_DELAY")]
    pub poll_delay: Option<u64>,
    /// At most this many polls wait at once; beyond it polls are answered at once and the page
    /// asks again after 1.5 s (for hosts that count concurrent requests) [default: no limit].
    #[arg(long, env = "BAVARD_MAX_HELD_POLLS")]
    pub max_held_polls: Option<usize>,
    /// Worker threads serving HTTP [default: one per core, at most 2].
    #[arg(long, env = "BAVARD_WORKERS")]
    pub workers: Option<usize>,
    /// Where the data is kept: a postgres:// URL runs on PostgreSQL, which several Bavard
    /// nodes may share (see deploy/cluster/); a folder, or nothing, keeps SQLite in that folder
    /// (the --data one when nothing is given).
    #[arg(long, env = "BAVARD_DATABASE_URL", value_parser = parse_database)]
    pub database: Option<DatabaseChoice>,
    /// Database connections, and so threads doing database work [default: 8].
    #[arg(long, env = "BAVARD_DB_CONNECTIONS")]
    pub db_connections: Option<u32>,
    /// Requests come through the WSGI launcher (one request per Python worker): polls answer
    /// at once, the page polls every 1.5 s, and the launcher's forwarding headers are believed.
    /// Set by the launcher itself.
    #[arg(long, env = "BAVARD_BEHIND_WSGI")]
    pub behind_wsgi: bool,
    /// Kinds of file people may send, by their usual ending, comma-separated; a file's kind is
    /// decided by its content [default: jpg,png,gif,webp,pdf,zip,mp4,txt, which are all the
    /// kinds Bavard recognises].
    #[arg(long, env = "BAVARD_UPLOAD_TYPES", value_parser = parse_upload_types)]
    pub upload_types: Option<UploadTypes>,
    /// Largest file people may send, e.g. 10MB, 512KB (1 MB = 1024 KB) [default: 10MB].
    #[arg(long, env = "BAVARD_UPLOAD_MAX", value_parser = parse_size)]
    pub upload_max: Option<u64>,
    /// Bytes of files one person may keep, counting only what they sent [default: 200MB].
    #[arg(long, env = "BAVARD_UPLOAD_QUOTA", value_parser = parse_size)]
    pub upload_quota: Option<u64>,
    /// Serve figures for Prometheus at /metrics, without a session: only where the address is
    /// not public, or is filtered by the proxy in front.
    #[arg(long, env = "BAVARD_METRICS")]
    pub metrics: bool,
    /// Also accept Web Push endpoints at plain http://127.0.0.1 (or localhost, [::1]): for a
    /// push service running beside the server, and for tests. Others must be HTTPS.
    #[arg(long, env = "BAVARD_PUSH_LOOPBACK")]
    pub push_loopback: bool,
}

/// What `--database` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseChoice {
    /// SQLite, in this data folder.
    Folder(PathBuf),
    Postgres(String),
}

impl DatabaseChoice {
    /// The engine, and the data folder (SQLite's file is in it; PostgreSQL keeps the uploaded
    /// files there), given `--data`.
    fn resolve(choice: Option<DatabaseChoice>, data: PathBuf) -> (Database, PathBuf) {
        match choice {
            Some(DatabaseChoice::Postgres(url)) => (Database::Postgres(url), data),
            Some(DatabaseChoice::Folder(folder)) => (Database::Sqlite, folder),
            None => (Database::Sqlite, data),
        }
    }
}

fn parse_database(text: &str) -> Result<DatabaseChoice, String> {
    let text = text.trim();
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        text.parse::<postgres::Config>()
            .map_err(|e| format!("not a PostgreSQL URL Bavard can use: {e}"))?;
        Ok(DatabaseChoice::Postgres(text.to_owned()))
    } else if text.contains("://") {
        Err(format!(
            "{text:?}: Bavard keeps its data in SQLite (a folder, or nothing) or in PostgreSQL \
             (postgres://…)"
        ))
    } else {
        Ok(DatabaseChoice::Folder(PathBuf::from(text)))
    }
}

/// The engine `serve` runs on, once the options are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite,
    Postgres(String),
}

/// The kinds named by `--upload-types`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTypes(pub Vec<FileKind>);

fn parse_upload_types(text: &str) -> Result<UploadTypes, String> {
    let mut kinds = Vec::new();
    for ending in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let kind = FileKind::from_extension(ending.trim_start_matches('.')).ok_or_else(|| {
            let known: Vec<&str> = FileKind::ALL.iter().map(|k| k.code()).collect();
            format!(
                "{ending:?} is not a kind Bavard recognises; known: {}",
                known.join(",")
            )
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(UploadTypes(kinds))
}

/// A size such as `10MB`, `512 KB`, `1G` or a number of bytes; units count in 1024s.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 10MB"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let multiple: u64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return Err(format!("{text:?}: the unit must be B, KB, MB or GB")),
    };
    Ok((number * multiple as f64).round() as u64)
}

impl ServeOptions {
    /// These options, with `earlier` (given before the command) filling what these leave out.
    fn or(self, earlier: ServeOptions) -> ServeOptions {
        ServeOptions {
            bind: self.bind.or(earlier.bind),
            unix_socket: self.unix_socket.or(earlier.unix_socket),
            registration: self.registration.or(earlier.registration),
            body_limit: self.body_limit.or(earlier.body_limit),
            trust_proxy: self.trust_proxy || earlier.trust_proxy,
            poll_hold: self.poll_hold.or(earlier.poll_hold),
            poll_delay: self.poll_delay.or(earlier.poll_delay),
            max_held_polls: self.max_held_polls.or(earlier.max_held_polls),
            workers: self.workers.or(earlier.workers),
            database: self.database.or(earlier.database),
            db_connections: self.db_connections.or(earlier.db_connections),
            behind_wsgi: self.behind_wsgi || earlier.behind_wsgi,
            upload_types: self.upload_types.or(earlier.upload_types),
            upload_max: self.upload_max.or(earlier.upload_max),
            upload_quota: self.upload_quota.or(earlier.upload_quota),
            metrics: self.metrics || earlier.metrics,
            push_loopback: self.push_loopback || earlier.push_loopback,
        }
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    Open,
    Closed,
}

/// The command, if it is one that works on SQLite's file itself.
fn file_command(command: &Option<Command>) -> Option<&'static str> {
    match command {
        Some(Command::Backup { .. }) => Some("backup"),
        Some(Command::Restore { .. }) => Some("restore"),
        Some(Command::Check) => Some("check"),
        Some(Command::Encrypt) => Some("encrypt"),
        Some(Command::Rekey { .. }) => Some("rekey"),
        _ => None,
    }
}

/// What to do, once the command line is understood.
#[derive(Debug)]
pub enum Invocation {
    Serve(Settings),
    User {
        data: PathBuf,
        keys: KeyChoice,
        database: Database,
        command: UserCommand,
    },
    Backup {
        data: PathBuf,
        keys: KeyChoice,
        file: PathBuf,
    },
    Restore {
        data: PathBuf,
        keys: KeyChoice,
        file: PathBuf,
    },
    Check {
        data: PathBuf,
        keys: KeyChoice,
    },
    Encrypt {
        data: PathBuf,
        keys: KeyChoice,
    },
    Rekey {
        data: PathBuf,
        keys: KeyChoice,
        /// A file to read the new key from (or generate it into), else `BAVARD_NEW_KEY`.
        new_key_file: Option<PathBuf>,
        new_key: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    Tcp(SocketAddr),
    /// A unix socket; `restrict` makes it owner-only (0600). PythonAnywhere's `$DOMAIN_SOCKET`
    /// is left as created, since its front server must connect to it.
    Unix {
        path: PathBuf,
        restrict: bool,
    },
}

/// Everything `serve` needs, defaults filled in.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: Listen,
    pub data: PathBuf,
    pub keys: KeyChoice,
    pub registration: Registration,
    pub body_limit: usize,
    pub trust_proxy: bool,
    pub poll_hold: Duration,
    pub poll_delay_ms: u64,
    pub max_held_polls: Option<usize>,
    pub workers: usize,
    pub database: Database,
    pub db_connections: u32,
    pub uploads: UploadRules,
    pub metrics: bool,
    pub push_loopback: bool,
}

const DEFAULT_BIND: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1)),
    8080,
);
const DEFAULT_POLL_HOLD_SECS: u64 = 25;
/// Short-polling (a zero hold) asks again after this long unless told otherwise.
pub const SHORT_POLL_DELAY_MS: u64 = 1500;
/// Shared hosts count threads against a small limit (CloudLinux's NPROC, often 100): a 32-core
/// host must not mean 32 workers.
const MAX_DEFAULT_WORKERS: usize = 2;
const DEFAULT_DB_CONNECTIONS: u32 = 8;
const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
const DEFAULT_UPLOAD_MAX: u64 = 10 << 20;
const DEFAULT_UPLOAD_QUOTA: u64 = 200 << 20;

/// What the hosting environment says about where to listen, read from its variables.
#[derive(Debug, Default)]
pub struct HostEnv {
    /// PythonAnywhere's website system sets it to the socket it proxies to.
    pub domain_socket: Option<PathBuf>,
    /// Generic Passenger, containers and platforms that assign a port.
    pub port: Option<u16>,
    /// `BAVARD_KEY`: the instance key itself, for hosts that hand secrets over as variables.
    /// Never a flag, which anyone on the host could read in the process list.
    pub key: Option<String>,
    /// `BAVARD_NEW_KEY`: the key `bavard rekey` changes to.
    pub new_key: Option<String>,
}

impl HostEnv {
    /// Reads the host's variables; a `PORT` that is no port number is an error, not ignored.
    pub fn from_env() -> Result<HostEnv, String> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let port = match var("PORT") {
            None => None,
            Some(text) => Some(
                text.to_str()
                    .and_then(|p| p.trim().parse().ok())
                    .ok_or_else(|| format!("PORT is {text:?}, which is not a port number"))?,
            ),
        };
        let text = |name| var(name).map(|v| v.to_string_lossy().into_owned());
        Ok(HostEnv {
            domain_socket: var("DOMAIN_SOCKET").map(PathBuf::from),
            port,
            key: text("BAVARD_KEY"),
            new_key: text("BAVARD_NEW_KEY"),
        })
    }
}

impl Settings {
    pub fn resolve(
        data: PathBuf,
        keys: KeyChoice,
        options: ServeOptions,
        host: &HostEnv,
    ) -> Settings {
        let listen = match (options.bind, options.unix_socket, &host.domain_socket) {
            (Some(address), _, _) => Listen::Tcp(address),
            (None, Some(path), _) => Listen::Unix {
                path,
                restrict: true,
            },
            (None, None, Some(path)) => Listen::Unix {
                path: path.clone(),
                restrict: false,
            },
            (None, None, None) => match host.port {
                Some(port) => Listen::Tcp(SocketAddr::from(([0, 0, 0, 0], port))),
                None => Listen::Tcp(DEFAULT_BIND),
            },
        };
        let hold_secs = options.poll_hold.unwrap_or(if options.behind_wsgi {
            0
        } else {
            DEFAULT_POLL_HOLD_SECS
        });
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (database, data) = DatabaseChoice::resolve(options.database, data);
        Settings {
            listen,
            data,
            database,
            keys,
            registration: options.registration.unwrap_or(Registration::Open),
            body_limit: options.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
            trust_proxy: options.trust_proxy || options.behind_wsgi,
            poll_hold: Duration::from_secs(hold_secs),
            poll_delay_ms: options.poll_delay.unwrap_or(if hold_secs == 0 {
                SHORT_POLL_DELAY_MS
            } else {
                0
            }),
            max_held_polls: options.max_held_polls,
            workers: options
                .workers
                .unwrap_or(cores.min(MAX_DEFAULT_WORKERS))
                .max(1),
            db_connections: options
                .db_connections
                .unwrap_or(DEFAULT_DB_CONNECTIONS)
                .max(1),
            uploads: UploadRules {
                allowed: options
                    .upload_types
                    .map_or_else(|| FileKind::ALL.to_vec(), |t| t.0),
                max_file: options.upload_max.unwrap_or(DEFAULT_UPLOAD_MAX),
                quota: options.upload_quota.unwrap_or(DEFAULT_UPLOAD_QUOTA),
            },
            metrics: options.metrics,
            push_loopback: options.push_loopback,
        }
    }
}

/// Reads the command line (and the environment through it).
pub fn parse<I, T>(args: I, host: &HostEnv) -> Result<Invocation, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut command = Cli::command();
    let matches = command.try_get_matches_from_mut(args)?;
    let cli = Cli::from_arg_matches(&matches)?;
    if !matches!(cli.command, None | Some(Command::Serve(_))) {
        let serve_flag = matches.ids().find(|id| {
            // `ServeOptions` is the group's own id, present whenever one of its flags is.
            ![
                "data",
                "key_file",
                "no_encryption",
                "database",
                "ServeOptions",
            ]
            .contains(&id.as_str())
                && matches.value_source(id.as_str()) == Some(ValueSource::CommandLine)
        });
        if let Some(flag) = serve_flag {
            let name = matches.subcommand_name().unwrap_or("this command");
            return Err(command.error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "--{} is an option of `serve`, not of `{name}`",
                    flag.as_str().replace('_', "-")
                ),
            ));
        }
    }
    let (database, data) = DatabaseChoice::resolve(cli.serve.database.clone(), cli.data);
    if let (Database::Postgres(_), Some(name)) = (&database, file_command(&cli.command)) {
        return Err(command.error(
            clap::error::ErrorKind::ArgumentConflict,
            format!(
                "`bavard {name}` works on SQLite's file; on PostgreSQL, use its own tools \
                 (pg_dump and pg_restore for backups, amcheck for checks, the storage's \
                 encryption)"
            ),
        ));
    }
    let keys = KeyChoice {
        file: cli.key_file,
        given: host.key.clone(),
        no_encryption: cli.no_encryption,
    };
    if keys.no_encryption && keys.given.is_some() {
        return Err(command.error(
            clap::error::ErrorKind::ArgumentConflict,
            "BAVARD_KEY and --no-encryption contradict each other",
        ));
    }
    Ok(match cli.command {
        None => Invocation::Serve(Settings::resolve(data, keys, cli.serve, host)),
        Some(Command::Serve(after)) => {
            Invocation::Serve(Settings::resolve(data, keys, after.or(cli.serve), host))
        }
        Some(Command::User(command)) => Invocation::User {
            data,
            keys,
            database,
            command,
        },
        Some(Command::Backup { file }) => Invocation::Backup { data, keys, file },
        Some(Command::Restore { file }) => Invocation::Restore { data, keys, file },
        Some(Command::Check) => Invocation::Check { data, keys },
        Some(Command::Encrypt) => Invocation::Encrypt { data, keys },
        Some(Command::Rekey { new_key_file }) => Invocation::Rekey {
            data,
            keys,
            new_key_file,
            new_key: host.new_key.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Invocation {
        parse(
            std::iter::once("bavard").chain(args.iter().copied()),
            &HostEnv::default(),
        )
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn settings(args: &[&str]) -> Settings {
        match parsed(args) {
            Invocation::Serve(settings) => settings,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn data_is_honoured_before_and_after_the_command() {
        for args in [
            &["--data", "/srv/chat", "user", "add", "ann"][..],
            &["user", "add", "ann", "--data", "/srv/chat"],
            &["user", "--data", "/srv/chat", "add", "ann"],
        ] {
            match parsed(args) {
                Invocation::User { data, command, .. } => {
                    assert_eq!(data, PathBuf::from("/srv/chat"), "{args:?}");
                    assert_eq!(
                        command,
                        UserCommand::Add {
                            name: "ann".into(),
                            admin: false
                        }
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            settings(&["--data", "/srv/chat", "serve"]).data,
            PathBuf::from("/srv/chat")
        );
        assert_eq!(
            settings(&["serve", "--data", "/srv/chat"]).data,
            PathBuf::from("/srv/chat")
        );
        assert_eq!(
            settings(&["--data", "/srv/chat"]).data,
            PathBuf::from("/srv/chat")
        );
    }

    #[test]
    fn the_key_options_are_global_and_the_key_itself_comes_from_the_environment() {
        let host = HostEnv {
            key: Some("k".repeat(64)),
            ..HostEnv::default()
        };
        let keys = |args: &[&str], host: &HostEnv| match parse(
            std::iter::once("bavard").chain(args.iter().copied()),
            host,
        ) {
            Ok(Invocation::Check { keys, .. }) => keys,
            Ok(Invocation::Serve(settings)) => settings.keys,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            keys(&["--key-file", "/secrets/k", "check"], &HostEnv::default()).file,
            Some(PathBuf::from("/secrets/k"))
        );
        assert_eq!(
            keys(&["check", "--key-file", "/secrets/k"], &HostEnv::default()).file,
            Some(PathBuf::from("/secrets/k"))
        );
        assert!(keys(&["--no-encryption"], &HostEnv::default()).no_encryption);
        assert_eq!(keys(&["check"], &host).given, host.key);
        assert!(parse(["bavard", "--no-encryption"], &host).is_err());
        assert!(
            !format!("{:?}", keys(&[], &host)).contains("kkkk"),
            "never logged"
        );
    }

    #[test]
    fn serve_options_before_the_command_are_merged_with_those_after() {
        let merged = settings(&[
            "--bind",
            "127.0.0.1:9000",
            "--workers",
            "3",
            "serve",
            "--workers",
            "1",
        ]);
        assert_eq!(
            merged.listen,
            Listen::Tcp("127.0.0.1:9000".parse().unwrap())
        );
        assert_eq!(merged.workers, 1, "the later one wins");
        assert!(settings(&["--trust-proxy", "serve"]).trust_proxy);
    }

    #[test]
    fn serve_options_before_another_command_are_refused() {
        let refused = parse(
            ["bavard", "--bind", "127.0.0.1:9000", "user", "add", "ann"],
            &HostEnv::default(),
        );
        let message = refused.expect_err("not ignored").to_string();
        assert!(
            message.contains("--bind is an option of `serve`"),
            "{message}"
        );
    }

    #[test]
    fn where_to_listen_follows_flags_then_the_host() {
        let host = HostEnv {
            domain_socket: Some("/var/sockets/site.sock".into()),
            port: Some(3000),
            ..HostEnv::default()
        };
        let listen = |args: &[&str], host: &HostEnv| match parse(
            std::iter::once("bavard").chain(args.iter().copied()),
            host,
        ) {
            Ok(Invocation::Serve(s)) => s.listen,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            listen(&["--unix-socket", "/app/b.sock"], &host),
            Listen::Unix {
                path: "/app/b.sock".into(),
                restrict: true
            }
        );
        assert_eq!(
            listen(&[], &host),
            Listen::Unix {
                path: "/var/sockets/site.sock".into(),
                restrict: false
            }
        );
        let port_only = HostEnv {
            port: Some(3000),
            ..HostEnv::default()
        };
        assert_eq!(
            listen(&[], &port_only),
            Listen::Tcp("0.0.0.0:3000".parse().unwrap())
        );
        assert_eq!(
            listen(&["--bind", "127.0.0.1:1"], &host),
            Listen::Tcp("127.0.0.1:1".parse().unwrap())
        );
        assert_eq!(listen(&[], &HostEnv::default()), Listen::Tcp(DEFAULT_BIND));
        assert!(
            parse(
                ["bavard", "--bind", "127.0.0.1:1", "--unix-socket", "/a"],
                &host
            )
            .is_err()
        );
    }

    #[test]
    fn behind_wsgi_polls_are_short_and_the_launcher_is_believed() {
        let wsgi = settings(&["serve", "--behind-wsgi"]);
        assert_eq!(wsgi.poll_hold, Duration::ZERO);
        assert_eq!(wsgi.poll_delay_ms, SHORT_POLL_DELAY_MS);
        assert!(wsgi.trust_proxy);
        let plain = settings(&[]);
        assert_eq!(plain.poll_hold, Duration::from_secs(25));
        assert_eq!(plain.poll_delay_ms, 0);
        assert!(!plain.trust_proxy);
        assert!(plain.workers <= MAX_DEFAULT_WORKERS);
    }

    #[test]
    fn upload_rules_read_sizes_and_kinds_and_refuse_what_they_do_not_know() {
        let defaults = settings(&[]).uploads;
        assert_eq!(defaults.max_file, 10 << 20);
        assert_eq!(defaults.quota, 200 << 20);
        assert_eq!(defaults.allowed, FileKind::ALL.to_vec());
        let narrowed = settings(&[
            "serve",
            "--upload-types",
            "JPEG, .png,jpg",
            "--upload-max",
            "512 KB",
            "--upload-quota",
            "1.5GiB",
        ])
        .uploads;
        assert_eq!(narrowed.allowed, vec![FileKind::Jpeg, FileKind::Png]);
        assert_eq!(narrowed.max_file, 512 * 1024);
        assert_eq!(narrowed.quota, 3 << 29);
        assert_eq!(parse_size("2048"), Ok(2048));
        assert!(parse_size("ten MB").is_err());
        assert!(parse_size("10TB").is_err());
        let unknown = parse_upload_types("png,svg").unwrap_err();
        assert!(
            unknown.contains("\"svg\"") && unknown.contains("jpg"),
            "{unknown}"
        );
    }
}
