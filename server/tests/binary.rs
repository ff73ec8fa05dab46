//! The real `server` binary: it starts on a fresh data directory, creates the
//! SQLite database and the server key, serves over TCP, and shuts down
//! cleanly on SIGTERM.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn starts_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db/botme.db", dir.path().display()),
        )
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("BOTME_DATA_DIR", dir.path().join("data"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        if let Some(res) = http_get(port, "/healthz") {
            break res;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            let mut out = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            panic!("server exited early ({status}):\n{err}\n{out}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        dir.path().join("db/botme.db").exists(),
        "database file created"
    );
    let key = std::fs::read_to_string(dir.path().join("data/secret.key")).unwrap();
    assert_eq!(key.trim().len(), 64, "a 32-byte hex key was generated");

    let metrics = http_get(port, "/metrics").unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");

    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "server ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit:?}");
    let mut logs = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        logs.push_str(&line.unwrap());
        logs.push('\n');
    }
    assert!(logs.contains("shutting down"), "{logs}");
    assert!(logs.contains("stopped"), "{logs}");
    assert!(
        logs.contains("request"),
        "requests are logged with their span: {logs}"
    );
}

#[test]
fn help_lists_every_setting() {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for var in [
        "DATABASE_URL",
        "LEPTOS_SITE_ADDR",
        "BOTME_SECRET_KEY",
        "META_APP_SECRET",
        "META_VERIFY_TOKEN",
        "META_GRAPH_URL",
    ] {
        assert!(help.contains(var), "{var} missing from --help:\n{help}");
    }
}

#[test]
fn a_bad_database_url_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DATABASE_URL", "mysql://nope")
        .env("BOTME_DATA_DIR", dir.path())
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sqlite://") && err.contains("postgres://"),
        "{err}"
    );
}
