//! A real `bavard` process on loopback with its own data folder, and a small HTTP client that
//! keeps its session cookie like a browser would.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_bavard");
pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    child: Child,
    pub base: String,
    pub data: PathBuf,
    /// Keeps the folder alive as long as the server (None when the caller owns the folder).
    _dir: Option<tempfile::TempDir>,
    pub log: Arc<Mutex<String>>,
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().to_owned();
        let mut server = Server::start_in(&data, args);
        server._dir = Some(dir);
        server
    }

    /// Starts on an existing data folder (to restart, or to share it with a second process).
    pub fn start_in(data: &Path, args: &[&str]) -> Server {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(args);
        // Every test on PostgreSQL instead, to find where the engines differ: one database per
        // data folder, so that a restart or a second process finds the same one.
        if let Ok(cluster) = std::env::var("BAVARD_IT_ON_POSTGRES") {
            static DATABASES: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());
            let mut databases = DATABASES.lock().unwrap();
            let url = match databases.iter().find(|(folder, _)| folder == data) {
                Some((_, url)) => url.clone(),
                None => {
                    let url = new_database(&cluster);
                    databases.push((data.to_owned(), url.clone()));
                    url
                }
            };
            command.args(["--database", &url]);
        }
        let (child, listening_on, log) = spawn_logged(command);
        let base = listening_on
            .strip_prefix("http://")
            .map(|address| format!("http://{address}"))
            .unwrap_or_else(|| panic!("not on TCP: {listening_on}"));
        Server {
            child,
            base,
            data: data.to_owned(),
            _dir: None,
            log,
        }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client already signed up (and so signed in) as `username`.
    pub fn signed_up(&self, username: &str, display_name: &str) -> Client {
        let client = self.client();
        let res = client.post_form(
            "/signup",
            &[
                ("username", username),
                ("display_name", display_name),
                ("password", PASSWORD),
            ],
        );
        assert_eq!(
            res.status, 303,
            "sign-up of {username} failed: {}",
            res.body
        );
        client
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the server to stop as an init system or a host does (SIGTERM), and waits for it.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        self.child.wait().expect("the server exits")
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

/// A new, empty database on the PostgreSQL cluster at `cluster` (a URL naming any database of
/// it): its URL.
pub fn new_database(cluster: &str) -> String {
    static MADE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "it_{}_{}",
        std::process::id(),
        MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    postgres::Client::connect(cluster, postgres::NoTls)
        .and_then(|mut admin| admin.batch_execute(&format!("CREATE DATABASE {name}")))
        .expect("the test cluster makes a database");
    let (base, _) = cluster.rsplit_once('/').expect("a URL naming a database");
    format!("{base}/{name}")
}

/// Starts a bavard command and reads its log until it says where it listens ("http://ADDR" or
/// "unix:PATH"); the rest of the log is gathered in the background.
pub fn spawn_logged(mut command: Command) -> (Child, String, Arc<Mutex<String>>) {
    let mut child = command
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bavard starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let log = Arc::new(Mutex::new(String::new()));
    let listening_on = loop {
        let line = lines
            .next()
            .expect("bavard printed where it listens before exiting")
            .expect("readable log");
        log.lock().unwrap().push_str(&line);
        if let Some(at) = line.find("listening on ") {
            break line[at + "listening on ".len()..].trim().to_owned();
        }
    };
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut log = sink.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    (child, listening_on, log)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Response {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }
}

pub struct Client {
    agent: ureq::Agent,
    base: String,
    pub cookie: Mutex<Option<String>>,
    extra_headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(60))
            .build();
        Client {
            agent,
            base: base.to_owned(),
            cookie: Mutex::new(None),
            extra_headers: Vec::new(),
        }
    }

    /// The same client, sending `name: value` with every request.
    pub fn with_header(mut self, name: &str, value: &str) -> Client {
        self.extra_headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    pub fn set_session_cookie(&self, cookie: Option<String>) {
        *self.cookie.lock().unwrap() = cookie;
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(cookie) = self.session_cookie() {
            req = req.set("Cookie", &cookie);
        }
        for (name, value) in &self.extra_headers {
            req = req.set(name, value);
        }
        req
    }

    fn finish(&self, result: Result<ureq::Response, ureq::Error>) -> Response {
        let res = match result {
            Ok(res) => res,
            Err(ureq::Error::Status(_, res)) => res,
            Err(e) => panic!("request failed: {e}"),
        };
        for set_cookie in res.all("set-cookie") {
            let pair = set_cookie.split(';').next().unwrap_or_default();
            if let Some(value) = pair.strip_prefix("bavard_session=") {
                let removed = value.is_empty() || set_cookie.contains("Max-Age=0");
                self.set_session_cookie((!removed).then(|| pair.to_owned()));
            }
        }
        let mut names = res.headers_names();
        // A name that repeats (Set-Cookie) must be asked for once: `all` gives every line.
        names.sort_unstable();
        names.dedup();
        let headers = names
            .into_iter()
            .flat_map(|name| {
                res.all(&name)
                    .into_iter()
                    .map(move |v| (name.clone(), v.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let status = res.status();
        let body = res.into_string().unwrap_or_default();
        Response {
            status,
            body,
            headers,
        }
    }

    pub fn get(&self, path: &str) -> Response {
        self.finish(self.request("GET", path).call())
    }

    /// A GET that may find nobody listening yet.
    pub fn try_get(&self, path: &str) -> Option<Response> {
        match self.request("GET", path).call() {
            Err(ureq::Error::Transport(_)) => None,
            result => Some(self.finish(result)),
        }
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = self.request("GET", path);
        for (name, value) in headers {
            req = req.set(name, value);
        }
        self.finish(req.call())
    }

    /// A GET whose body is kept as bytes (a compressed answer), with its Content-Encoding.
    pub fn get_bytes_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, Option<String>, Vec<u8>) {
        let (res, body) = self.get_file(path, headers);
        let encoding = res.header("content-encoding").map(str::to_owned);
        (res.status, encoding, body)
    }

    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.finish(self.request("POST", path).send_form(fields))
    }

    /// A form POST that may find nobody listening any more.
    pub fn try_post_form(&self, path: &str, fields: &[(&str, &str)]) -> Option<Response> {
        match self.request("POST", path).send_form(fields) {
            Err(ureq::Error::Transport(_)) => None,
            result => Some(self.finish(result)),
        }
    }

    pub fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self.request("POST", path).set("Content-Type", content_type);
        for (name, value) in headers {
            req = req.set(name, value);
        }
        self.finish(req.send_bytes(body))
    }

    /// A multipart form as a browser sends it: text fields, then files as
    /// (field, file name, bytes).
    pub fn post_multipart(
        &self,
        path: &str,
        text: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Response {
        let (content_type, body) = multipart(text, files);
        self.post_raw(path, &content_type, &body, &[])
    }

    /// A GET whose body is kept as bytes, with the answer's headers.
    pub fn get_file(&self, path: &str, headers: &[(&str, &str)]) -> (Response, Vec<u8>) {
        let mut req = self.request("GET", path);
        for (name, value) in headers {
            req = req.set(name, value);
        }
        let res = match req.call() {
            Ok(res) | Err(ureq::Error::Status(_, res)) => res,
            Err(e) => panic!("request failed: {e}"),
        };
        let headers = res
            .headers_names()
            .into_iter()
            .filter_map(|name| res.header(&name).map(|v| (name.clone(), v.to_owned())))
            .collect();
        let status = res.status();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut res.into_reader(), &mut body).expect("body");
        let response = Response {
            status,
            body: String::new(),
            headers,
        };
        (response, body)
    }

    pub fn login(&self, username: &str, password: &str) -> Response {
        self.post_form("/login", &[("username", username), ("password", password)])
    }
}

/// A `multipart/form-data` body and its content type. File names are escaped as browsers do
/// (quote, CR and LF percent-encoded), everything else is sent as given.
pub fn multipart(text: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "----bavard-test-7d1f0c9a";
    let mut body = Vec::new();
    for (name, value) in text {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (field, file_name, bytes) in files {
        let escaped = file_name
            .replace('"', "%22")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; \
                 filename=\"{escaped}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// A file of the shared corpus's uploads (`../shared/corpus/files`).
pub fn corpus_file(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/files")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("corpus file {}: {e}", path.display()))
}

/// Files under a folder of the data directory (`files`, `avatars`, `incoming`).
pub fn stored_files(data: &Path, folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join(folder))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Runs the bavard command line with `stdin` as its standard input.
pub fn run_cli(args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bavard runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("bavard finishes");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The hostile strings of the shared corpus (script injection, SQL-looking text, odd Unicode).
pub fn hostile_texts() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/text.json");
    // The corpus lives beside the repository (CI lays it there). Two samples in its place
    // would let the suite pass while testing almost nothing.
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the hostile-text corpus is missing ({}: {e}); the tests need ../shared/corpus \
             beside the checkout",
            path.display()
        )
    });
    let texts: Vec<String> = serde_json::from_str(&json).expect("text.json is a list of strings");
    assert!(
        texts.len() > 10,
        "the corpus has only {} texts",
        texts.len()
    );
    texts
}

/// Every byte percent-encoded: safe in any query string.
pub fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Fails unless `html` shows no live markup from hostile text (`what` says where it came from).
pub fn assert_inert(html: &str, what: &str) {
    for dangerous in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "<a href=\"javascript",
        "<iframe src=",
        "<base href=",
        "<style>body",
        "hx-get=\"/logout",
        "<div hx-post",
    ] {
        assert!(
            !html.contains(dangerous),
            "unescaped {dangerous} for {what}"
        );
    }
}

/// The number after `key=` in `html` (a conversation id in a redirect, a cursor in a poller).
pub fn number_after(html: &str, key: &str) -> u64 {
    let at = html
        .find(key)
        .unwrap_or_else(|| panic!("no {key} in {html}"));
    html[at + key.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no number after {key} in {html}"))
}

/// The poll cursor a page or poll answer tells the client to continue from.
pub fn cursor_in(html: &str) -> u64 {
    number_after(html, "poll?after=")
}

/// The address the next poll asks, as a page or poll answer gives it (`hx-get` of the poller).
pub fn poll_url_in(html: &str) -> String {
    let start = html
        .find("id=\"poller\" hx-get=\"")
        .unwrap_or_else(|| panic!("no poller in {html}"))
        + "id=\"poller\" hx-get=\"".len();
    let end = html[start..].find('"').map_or(html.len(), |e| start + e);
    html[start..end].replace("&amp;", "&")
}

/// The ids of the messages (`id="m…"`) in a page or fragment, in order.
pub fn message_ids(html: &str) -> Vec<u64> {
    html.match_indices("id=\"m")
        .filter_map(|(at, _)| {
            let digits: String = html[at + 5..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

/// Creates a group as `owner` (with `members`, usernames) and returns its id.
pub fn group(owner: &Client, title: &str, members: &str) -> u64 {
    let res = owner.post_form("/c", &[("title", title), ("members", members)]);
    assert_eq!(res.status, 303, "{}", res.body);
    number_after(res.location(), "/c/")
}

/// Sends `body` into the conversation and returns the new message's id.
pub fn send(client: &Client, conversation: u64, body: &str) -> u64 {
    let res = client.post_form(&format!("/c/{conversation}/messages"), &[("body", body)]);
    assert_eq!(res.status, 303, "{}", res.body);
    number_after(res.location(), "#m")
}
