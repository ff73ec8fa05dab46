//! The real `server` binary: it starts on a fresh data directory, creates the
//! SQLite database and the server key, serves over TCP, and shuts down
//! cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::process::{Running, free_port};

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

fn read_line(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    assert!(
        reader.read_line(&mut line).unwrap() > 0,
        "connection closed"
    );
    line
}

/// Reads one HTTP/1.1 response off a kept-alive connection, with a
/// `Content-Length` or chunked body; returns its head.
fn read_response(reader: &mut BufReader<TcpStream>) -> String {
    let mut head = String::new();
    loop {
        let l = read_line(reader);
        head.push_str(&l);
        if l == "\r\n" {
            break;
        }
    }
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (n, value) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let size = usize::from_str_radix(read_line(reader).trim(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).unwrap();
            if size == 0 {
                break;
            }
        }
    } else {
        let length: usize = header("content-length")
            .unwrap_or_else(|| panic!("no body length in {head}"))
            .parse()
            .unwrap();
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
    }
    head
}

/// Small requests on one kept-alive connection answer quickly: a segment
/// held back by Nagle's algorithm until a delayed ACK arrives costs about
/// 40 ms on Linux, so a mean well under that shows none waited (the server
/// sets TCP_NODELAY; this client sends each request in one write).
fn assert_small_requests_are_quick(port: u16) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    // One write per request, so only the server's segments can stall.
    let mut send = |path: &str| {
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        writer.write_all(request.as_bytes()).unwrap();
    };
    let paths = ["/healthz", "/api/v1/me", "/widget.js"];
    // Warm up: the first requests fill caches and the pool.
    for path in paths {
        send(path);
        read_response(&mut reader);
    }
    let rounds = 50;
    let start = Instant::now();
    for i in 0..rounds {
        let path = paths[i % paths.len()];
        send(path);
        let head = read_response(&mut reader);
        assert!(
            !head.to_ascii_lowercase().contains("connection: close"),
            "the connection stays open: {head}"
        );
    }
    let mean = start.elapsed() / rounds as u32;
    assert!(
        mean < Duration::from_millis(10),
        "{rounds} requests on one connection took {mean:?} each"
    );
}

/// The log text without terminal colour codes.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ parameters… final letter
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn starts_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_server"))
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
            .unwrap(),
    );

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

    assert_small_requests_are_quick(port);

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
        logs.push_str(&strip_ansi(&line.unwrap()));
        logs.push('\n');
    }
    assert!(logs.contains("shutting down"), "{logs}");
    assert!(logs.contains("stopped"), "{logs}");
    // Each request is logged at its end, inside its span, which names it.
    let health = logs
        .lines()
        .find(|l| l.contains("request{") && l.contains("path=/healthz"))
        .unwrap_or_else(|| panic!("no request span for /healthz: {logs}"));
    assert!(health.contains("method=GET"), "{health}");
    assert!(health.contains("status=200"), "{health}");
    assert!(health.contains("latency="), "{health}");
    assert!(
        logs.lines()
            .any(|l| l.contains("request{") && l.contains("path=/metrics")),
        "every request has its span: {logs}"
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
