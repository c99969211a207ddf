//! The only place that reads flags and environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options for `serve`, also accepted when no command is given.
    #[command(flatten)]
    pub serve: ServeOptions,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app (the default when no command is given).
    Serve(ServeOptions),
    /// Manage accounts from the command line.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input (first line).
    Add {
        /// The username: 3 to 32 characters among a-z 0-9 _ . -
        name: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        data: DataDir,
    },
    /// Set an account's password, read from standard input (first line), and sign it out everywhere.
    SetPassword {
        name: String,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Args, Debug, Clone)]
pub struct DataDir {
    /// Folder holding the SQLite database and uploads; created if missing.
    #[arg(long = "data", env = "BAVARD_DATA", default_value = "./data")]
    pub dir: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on. Port 0 picks a free port (the chosen address is logged).
    #[arg(long, env = "BAVARD_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub data: DataDir,
    /// Who may create an account: anyone (open), or only administrators (closed).
    #[arg(long, env = "BAVARD_REGISTRATION", value_enum, default_value_t = Registration::Open)]
    pub registration: Registration,
    /// Largest request body accepted, in bytes; larger ones get a 413 page.
    #[arg(long, env = "BAVARD_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Take the client address from X-Forwarded-For (only behind a reverse proxy you run),
    /// so that login rate limits apply per person rather than per proxy.
    #[arg(long, env = "BAVARD_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Seconds a poll waits for news before answering empty. Keep it under the idle timeout of
    /// any proxy in front (often 30–60 s); 0 turns long-polling into short-polling.
    #[arg(long, env = "BAVARD_POLL_HOLD", default_value_t = 25)]
    pub poll_hold: u64,
    /// Milliseconds the page waits before polling again after an answer (default: 0 while
    /// polls are held, 1500 when --poll-hold is 0, as behind a WSGI-only host).
    #[arg(long, env = "BAVARD_POLL_DELAY")]
    pub poll_delay: Option<u64>,
    /// Worker threads serving HTTP (default: one per core).
    #[arg(long, env = "BAVARD_WORKERS")]
    pub workers: Option<usize>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    Open,
    Closed,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: DataDir {
                dir: PathBuf::from("./data"),
            },
            registration: Registration::Open,
            body_limit: 1024 * 1024,
            trust_proxy: false,
            poll_hold: 25,
            poll_delay: None,
            workers: None,
        }
    }
}
