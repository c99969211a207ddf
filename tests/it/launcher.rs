//! The WSGI launcher (`python/bavard/wsgi.py`, which `passenger_wsgi.py` loads) under real WSGI
//! servers: gunicorn with three sync workers, as on a shared host, and Apache's mod_passenger,
//! as cPanel runs it. `tests/run.sh` installs both; without them these tests fail with
//! instructions.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use blake2::{Blake2s256, Digest};

use crate::support::{BIN, Client, cursor_in, message_ids, number_after};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn gunicorn() -> PathBuf {
    let path = Path::new(REPO).join("target/test-venv/bin/gunicorn");
    assert!(
        path.exists(),
        "the launcher tests need gunicorn: run `bash tests/run.sh` once (it installs it in \
         target/test-venv)"
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The server a launcher started in `app`, from the record it keeps beside the socket.
fn server_pid_in(app: &Path) -> Option<u32> {
    let record = std::fs::read_to_string(app.join("bavard.sock.pid")).ok()?;
    Some(number_after(&record, "\"pid\": ") as u32)
}

/// Ends the server a launcher started in `app`: it runs in a session of its own, on purpose,
/// so it outlives the WSGI server.
fn kill_server_in(app: &Path) {
    if let Some(pid) = server_pid_in(app) {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
}

/// Waits until `/healthz` answers through the WSGI server (the first request starts bavard).
fn wait_until_served(base: &str, log: impl Fn() -> String) {
    let client = Client::new(base);
    let ready_by = Instant::now() + Duration::from_secs(60);
    while client.try_get("/healthz").map(|r| r.status) != Some(200) {
        assert!(
            Instant::now() < ready_by,
            "no answer through the launcher:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A "Python web app" folder served by gunicorn through the launcher.
struct Site {
    gunicorn: Child,
    base: String,
    app: tempfile::TempDir,
}

impl Site {
    fn start(program: &str) -> Site {
        let site = Site::spawn(program);
        wait_until_served(&site.base, || site.log());
        site
    }

    fn spawn(program: &str) -> Site {
        let app = tempfile::tempdir().expect("app folder");
        let port = free_port();
        let log = std::fs::File::create(app.path().join("gunicorn.log")).expect("log");
        let gunicorn = Command::new(gunicorn())
            .args([
                "--workers",
                "3",
                "--worker-class",
                "sync",
                "--timeout",
                "120",
            ])
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--chdir")
            .arg(app.path())
            .arg("--pythonpath")
            .arg(Path::new(REPO).join("python"))
            .arg("bavard.wsgi:application")
            .env("BAVARD_BIN", program)
            .env_remove("BAVARD_DATA")
            .env_remove("BAVARD_SOCKET")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("gunicorn starts");
        let base = format!("http://127.0.0.1:{port}");
        let listening_by = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < listening_by, "gunicorn did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Site {
            gunicorn,
            base,
            app,
        }
    }

    fn client(&self) -> Client {
        Client::new(&self.base)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.app.path().join("gunicorn.log")).unwrap_or_default()
    }

    fn server_pid(&self) -> Option<u32> {
        server_pid_in(self.app.path())
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = self.gunicorn.kill();
        let _ = self.gunicorn.wait();
        kill_server_in(self.app.path());
    }
}

fn signed_up(site: &Site, name: &str) -> Client {
    signed_up_at(&site.base, name, || site.log())
}

/// Signs `name` up through the WSGI server at `base`; `log` explains a failure.
fn signed_up_at(base: &str, name: &str, log: impl Fn() -> String) -> Client {
    let client = Client::new(base);
    let res = client.post_form(
        "/signup",
        &[
            ("username", name),
            ("display_name", name),
            ("password", crate::support::PASSWORD),
        ],
    );
    assert_eq!(res.status, 303, "{}\n{}", res.body, log());
    client
}

/// Polls as the page does behind WSGI: ask, and when nothing came, wait 1.5 s and ask again.
/// Returns the ids of the messages the answer carried and the next cursor.
fn poll_until_message(client: &Client, conversation: u64, cursor: &mut u64) -> Vec<u64> {
    let give_up = Instant::now() + Duration::from_secs(20);
    loop {
        let res = client.get(&format!("/c/{conversation}/poll?after={cursor}"));
        assert_eq!(res.status, 200, "{}", res.body);
        *cursor = cursor_in(&res.body);
        let ids = message_ids(&res.body);
        if !ids.is_empty() {
            return ids;
        }
        assert!(Instant::now() < give_up, "no message arrived");
        std::thread::sleep(Duration::from_millis(1500));
    }
}

#[test]
fn people_chat_through_the_launcher_and_survive_a_crash_of_the_server() {
    let site = Site::start(BIN);
    let alice = signed_up(&site, "alice");
    let bob = signed_up(&site, "bob");
    let id = number_after(alice.post_form("/dm/bob", &[]).location(), "/c/");
    let page = bob.get(&format!("/c/{id}"));
    assert!(
        page.body.contains("delay:1500ms"),
        "behind WSGI the page short-polls"
    );
    let mut cursor = cursor_in(&page.body);

    let asked = Instant::now();
    let empty = bob.get(&format!("/c/{id}/poll?after={cursor}"));
    assert_eq!(empty.status, 200);
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "a poll is answered at once, not held: a held poll would hold a WSGI worker"
    );

    let mut seen = Vec::new();
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let ids = poll_until_message(&bob, id, &mut cursor);
            (ids, Instant::now())
        });
        std::thread::sleep(Duration::from_millis(700));
        let sent_at = Instant::now();
        let res = alice.post_form(&format!("/c/{id}/messages"), &[("body", "through WSGI")]);
        assert_eq!(res.status, 303);
        let (ids, arrived) = watcher.join().unwrap();
        let took = arrived.saturating_duration_since(sent_at);
        assert!(took < Duration::from_secs(2), "arrived after {took:?}");
        seen.extend(ids);
    });

    let first_server = site.server_pid().expect("the launcher noted its server");
    let killed = Command::new("kill")
        .args(["-9", &first_server.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(200));
    let after_crash = bob.get(&format!("/c/{id}"));
    assert_eq!(after_crash.status, 200, "the launcher started it again");
    assert!(
        after_crash.body.contains("through WSGI"),
        "nothing was lost"
    );
    assert_ne!(site.server_pid(), Some(first_server));

    let res = alice.post_form(&format!("/c/{id}/messages"), &[("body", "after the crash")]);
    assert_eq!(res.status, 303);
    let ids = poll_until_message(&bob, id, &mut cursor);
    assert!(ids.iter().all(|i| !seen.contains(i)), "nothing twice");
    assert!(
        bob.get(&format!("/c/{id}"))
            .body
            .contains("after the crash")
    );
}

#[test]
fn after_an_upgrade_the_restarted_workers_run_the_new_program() {
    let programs = tempfile::tempdir().unwrap();
    let program = programs.path().join("bavard");
    std::fs::copy(BIN, &program).unwrap();
    let site = Site::start(program.to_str().unwrap());
    let alice = signed_up(&site, "alice");
    let old_server = site.server_pid().expect("a server");

    // The upgrade: a new program file in the same place, then the host restarts the app's
    // workers (gunicorn reloads them on SIGHUP; Passenger and PythonAnywhere do the same).
    std::fs::remove_file(&program).unwrap();
    std::fs::copy(BIN, &program).unwrap();
    let hup = Command::new("kill")
        .args(["-HUP", &site.gunicorn.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let replaced_by = Instant::now() + Duration::from_secs(30);
    while site.server_pid() == Some(old_server) {
        assert!(
            Instant::now() < replaced_by,
            "still the old server:\n{}",
            site.log()
        );
        let _ = site.client().try_get("/healthz");
        std::thread::sleep(Duration::from_millis(200));
    }
    let exited_by = Instant::now() + Duration::from_secs(15);
    while Path::new(&format!("/proc/{old_server}")).exists() {
        assert!(Instant::now() < exited_by, "the old server was not stopped");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        alice.get("/").status,
        200,
        "the session, and so the data, survived"
    );
}

fn blake2s(bytes: &[u8]) -> String {
    Blake2s256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_launcher_passes_requests_and_answers_on_faithfully() {
    let echo = Path::new(REPO).join("tests/launcher/echo_server.py");
    let site = Site::start(echo.to_str().unwrap());
    let client = site.client();

    let cookies = client.get("/cookies");
    let set: Vec<&str> = cookies
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(set, ["first=1; Path=/; HttpOnly", "second=2; Path=/"]);
    assert!(
        cookies.header("keep-alive").is_none(),
        "hop-by-hop headers stay behind"
    );
    assert!(
        cookies.header("x-private-hop").is_none(),
        "so do those named in Connection"
    );

    let big: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let res = client.post_raw("/echo", "application/octet-stream", &big, &[]);
    assert_eq!(res.status, 200, "{}", site.log());
    assert!(
        res.body.contains(&format!("\"length\": {}", big.len())),
        "{}",
        res.body
    );
    assert!(res.body.contains(&blake2s(&big)), "5 MB arrived intact");

    // A body without a length (sent chunked) is read to its end.
    let chunked: Vec<u8> = (0..300_000u32).map(|i| (i % 7) as u8 + b'a').collect();
    let res = ureq::post(&format!("{}/echo", site.base))
        .set("Content-Type", "text/plain")
        .send(std::io::Cursor::new(chunked.clone()).take(chunked.len() as u64))
        .map(|r| r.into_string().unwrap_or_default())
        .unwrap_or_else(|e| panic!("chunked upload: {e}"));
    assert!(
        res.contains(&format!("\"length\": {}", chunked.len())),
        "{res}"
    );
    assert!(res.contains(&blake2s(&chunked)));

    let res = client.get_with(
        "/headers?q=caf%C3%A9%20au%20lait&next=%2Fc%2F1",
        &[
            ("X-Forwarded-For", "203.0.113.66"),
            ("Forwarded", "for=203.0.113.66;proto=https"),
            ("X-Custom", "kept"),
        ],
    );
    let body = res.body;
    assert!(
        body.contains(r#""path": "/headers?q=caf%C3%A9%20au%20lait&next=%2Fc%2F1""#),
        "path and query as sent: {body}"
    );
    assert!(body.contains(r#""x-forwarded-for": "127.0.0.1""#), "{body}");
    assert!(body.contains(r#""x-forwarded-proto": "http""#), "{body}");
    assert!(
        !body.contains("203.0.113.66"),
        "a client cannot pose as another: {body}"
    );
    assert!(body.contains(r#""x-custom": "kept""#), "{body}");
}

#[test]
fn the_launchers_own_unit_tests_pass() {
    let python = Path::new(REPO).join("target/test-venv/bin/python");
    gunicorn();
    let out = Command::new(python)
        .args(["-m", "unittest", "-v", "tests/launcher/test_wsgi.py"])
        .current_dir(REPO)
        .output()
        .expect("python runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.contains("OK"), "{said}");
}

#[test]
fn a_server_that_cannot_start_gives_a_page_a_person_understands() {
    let site = Site::spawn("/bin/false");
    let res = site.client().get("/");
    assert_eq!(res.status, 503);
    assert!(res.body.contains("Bavard could not start"), "{}", res.body);
    assert!(!res.body.contains("Traceback"), "{}", res.body);
    assert!(
        site.log().contains("bavard could not start"),
        "the operator finds the reason in the log: {}",
        site.log()
    );
}

/// cPanel's route: Apache with mod_passenger loading `passenger_wsgi.py` from an app folder, as
/// "Setup Python App" does. `tests/run.sh` installs Apache and mod_passenger from Debian.
struct PassengerSite {
    apache: Child,
    base: String,
    dir: tempfile::TempDir,
}

const MOD_PASSENGER: &str = "/usr/lib/apache2/modules/mod_passenger.so";

impl PassengerSite {
    fn start() -> PassengerSite {
        assert!(
            Path::new(MOD_PASSENGER).exists(),
            "the Passenger test needs Apache and mod_passenger: run `bash tests/run.sh` once"
        );
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app");
        std::fs::create_dir_all(app.join("public")).unwrap();
        std::fs::copy(
            Path::new(REPO).join("passenger_wsgi.py"),
            app.join("passenger_wsgi.py"),
        )
        .unwrap();
        copy_tree(&Path::new(REPO).join("python"), &app.join("python"));
        let program = dir.path().join("bavard");
        std::fs::copy(BIN, &program).unwrap();
        let port = free_port();
        let root = running_as_root();
        let config = format!(
            "ServerRoot /etc/apache2\n\
             ServerName localhost\n\
             Listen 127.0.0.1:{port}\n\
             PidFile {dir}/apache.pid\n\
             ErrorLog {dir}/error.log\n\
             LogLevel warn\n\
             LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n\
             LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n\
             LoadModule env_module /usr/lib/apache2/modules/mod_env.so\n\
             LoadModule passenger_module {MOD_PASSENGER}\n\
             {user}\
             PassengerRoot /usr/lib/ruby/vendor_ruby/phusion_passenger/locations.ini\n\
             PassengerDefaultRuby /usr/bin/ruby\n\
             PassengerInstanceRegistryDir {dir}\n\
             PassengerDisableSecurityUpdateCheck on\n\
             PassengerDisableAnonymousTelemetry on\n\
             <VirtualHost 127.0.0.1:{port}>\n\
               DocumentRoot {app}/public\n\
               PassengerAppRoot {app}\n\
               PassengerAppType wsgi\n\
               PassengerStartupFile passenger_wsgi.py\n\
               PassengerPython /usr/bin/python3\n\
               SetEnv BAVARD_BIN {program}\n\
               <Directory {app}/public>\n\
                 Require all granted\n\
               </Directory>\n\
             </VirtualHost>\n",
            dir = dir.path().display(),
            app = app.display(),
            program = program.display(),
            user = if root {
                "User www-data\nGroup www-data\nPassengerUser www-data\nPassengerGroup www-data\n"
            } else {
                ""
            },
        );
        let config_path = dir.path().join("httpd.conf");
        std::fs::write(&config_path, config).unwrap();
        if root {
            // Apache and the app run as www-data, as on a host: they own the folder.
            let owned = Command::new("chown")
                .args(["-R", "www-data:www-data"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(owned.success());
        }
        let apache = Command::new("/usr/sbin/apache2")
            .arg("-f")
            .arg(&config_path)
            .arg("-DFOREGROUND")
            .env("APACHE_RUN_DIR", dir.path())
            .env("APACHE_LOCK_DIR", dir.path())
            .env("APACHE_LOG_DIR", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("apache2 starts");
        let site = PassengerSite {
            apache,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        wait_until_served(&site.base, || site.log());
        site
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for PassengerSite {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.apache.id().to_string()])
            .status();
        let _ = self.apache.wait();
        kill_server_in(&self.dir.path().join("app"));
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn people_chat_through_passenger_as_on_cpanel() {
    let site = PassengerSite::start();
    let signed_up = |name: &str| signed_up_at(&site.base, name, || site.log());
    let alice = signed_up("alice");
    let bob = signed_up("bob");
    // An empty-bodied POST: Passenger passes it with no CONTENT_LENGTH at all.
    let opened = alice.post_raw("/dm/bob", "application/x-www-form-urlencoded", b"", &[]);
    assert_eq!(opened.status, 303, "{}", site.log());
    let id = number_after(opened.location(), "/c/");
    let page = bob.get(&format!("/c/{id}"));
    assert!(
        page.body.contains("delay:1500ms"),
        "short polling behind WSGI"
    );
    let mut cursor = cursor_in(&page.body);
    let res = alice.post_form(
        &format!("/c/{id}/messages"),
        &[("body", "through Passenger")],
    );
    assert_eq!(res.status, 303);
    let ids = poll_until_message(&bob, id, &mut cursor);
    assert_eq!(ids.len(), 1);
    assert_eq!(
        alice.post_form("/logout", &[]).status,
        303,
        "another empty POST"
    );
}
