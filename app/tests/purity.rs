//! A guard for the pure core: nothing under `flow`, `commerce`, `channel` or
//! `editor_core` may import or use a crate or module that does IO, reads the
//! clock, draws random numbers or runs async (`leptos`, `web_sys`, `js_sys`,
//! `tokio`, `sqlx`, `rand`, `std::time`, `std::fs`). The same code runs in
//! the browser's preview and on the server, and determinism is
//! property-tested, so one such import would quietly break both.
//!
//! The check walks every source file, so a new file cannot escape it. It
//! reads code, not text: comments and string literals are skipped, and a
//! name only counts as a whole path segment (`random_name` is not `rand`).
//! The detector's own tests below show that it can fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The pure modules, folders or files, relative to the crate root.
const PURE_DIRS: &[&str] = &[
    "src/flow",
    "src/commerce",
    "src/channel",
    "src/editor_core",
    "src/fold.rs",
    "src/hash.rs",
    "src/inbound.rs",
];

/// Crates the pure core must not name.
const FORBIDDEN_CRATES: &[&str] = &["leptos", "web_sys", "js_sys", "tokio", "sqlx", "rand"];

/// Modules of `std` the pure core must not name.
const FORBIDDEN_STD: &[&str] = &["time", "fs"];

#[test]
fn the_pure_core_does_no_io_no_clock_no_randomness_no_async() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in PURE_DIRS {
        let path = root.join(dir);
        if path.is_file() {
            files.push(path);
        } else {
            assert!(path.is_dir(), "{} is not a folder", path.display());
            rust_files(&path, &mut files);
        }
    }
    assert!(
        files.len() >= 10,
        "found only {} source files: is the walk broken?",
        files.len()
    );
    let mut problems = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let shown = file.strip_prefix(root).unwrap_or(file).display();
        for (line, what) in impurities(&source) {
            problems.push(format!("{shown}:{line}: uses {what}"));
        }
    }
    assert!(
        problems.is_empty(),
        "the pure core must not do IO, read the clock, draw random numbers or run async:\n{}",
        problems.join("\n")
    );
}

/// Every `.rs` file under `dir`, recursively, in a stable order.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                .path()
        })
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Every forbidden use in `source`: its 1-based line and the path named.
fn impurities(source: &str) -> BTreeSet<(usize, String)> {
    let tokens = tokenize(source);
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t.is_ident("use") {
            let (paths, end) = use_tree_paths(&tokens, i + 1);
            for (path, line) in paths {
                if let Some(what) = forbidden(&path) {
                    found.insert((line, what));
                }
            }
            i = end;
            continue;
        }
        if t.is_ident("extern")
            && tokens.get(i + 1).is_some_and(|t| t.is_ident("crate"))
            && let Some(name) = tokens.get(i + 2)
            && FORBIDDEN_CRATES.contains(&name.text.as_str())
        {
            found.insert((name.line, name.text.clone()));
        }
        if t.kind == Kind::Ident && starts_path(&tokens, i) {
            let mut path = vec![t.text.clone()];
            let mut j = i + 1;
            while tokens.get(j).is_some_and(|t| t.is_punct("::"))
                && let Some(next) = tokens.get(j + 1).filter(|t| t.kind == Kind::Ident)
            {
                path.push(next.text.clone());
                j += 2;
            }
            // A lone name (`rand`, `time`) is a local binding, not a path.
            if path.len() > 1
                && let Some(what) = forbidden(&path)
            {
                found.insert((t.line, what));
            }
            i = j;
            continue;
        }
        i += 1;
    }
    found
}

/// Whether the identifier at `i` begins a path rather than continuing one
/// (`a::rand` is `a`'s, not the crate; `::std::fs` is still `std`).
fn starts_path(tokens: &[Token], i: usize) -> bool {
    if i == 0 || !tokens[i - 1].is_punct("::") {
        return true;
    }
    // `::` after a name or a closing `>` continues that path.
    i < 2 || !(tokens[i - 2].kind == Kind::Ident || tokens[i - 2].is_punct(">"))
}

/// The forbidden part of a path, if any: `tokio`, `std::time`, …
fn forbidden(path: &[String]) -> Option<String> {
    let first = path.first()?;
    if FORBIDDEN_CRATES.contains(&first.as_str()) {
        return Some(first.clone());
    }
    if first == "std"
        && let Some(module) = path.get(1)
        && FORBIDDEN_STD.contains(&module.as_str())
    {
        return Some(format!("std::{module}"));
    }
    None
}

/// Expands the use tree starting at `start` (just after `use`) into full
/// paths, each with the line of its last segment, and returns them with the
/// index just past the closing `;`.
fn use_tree_paths(tokens: &[Token], start: usize) -> (Vec<(Vec<String>, usize)>, usize) {
    let mut paths = Vec::new();
    let mut i = start;
    expand(tokens, &mut i, &mut Vec::new(), &mut paths);
    while i < tokens.len() && !tokens[i].is_punct(";") {
        i += 1;
    }
    (paths, i + 1)
}

/// Reads one use tree at `*i` under `prefix`: `a::b`, `a::{…}`, `a as b`,
/// `a::*` or a bare `{…}` group.
fn expand(
    tokens: &[Token],
    i: &mut usize,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, usize)>,
) {
    let depth = prefix.len();
    let mut line = tokens.get(*i).map_or(0, |t| t.line);
    while let Some(t) = tokens.get(*i) {
        if t.is_punct("::") {
            *i += 1;
        } else if t.is_punct("{") {
            *i += 1;
            loop {
                match tokens.get(*i) {
                    None => break,
                    Some(t) if t.is_punct("}") => {
                        *i += 1;
                        break;
                    }
                    Some(t) if t.is_punct(",") => *i += 1,
                    Some(_) => {
                        let before = *i;
                        expand(tokens, i, prefix, out);
                        if *i == before {
                            // Something no use tree holds: step over it.
                            *i += 1;
                        }
                    }
                }
            }
            prefix.truncate(depth);
            return;
        } else if t.kind == Kind::Ident && t.text != "as" {
            prefix.push(t.text.clone());
            line = t.line;
            *i += 1;
        } else {
            break;
        }
    }
    // `as name`, `*`: the path is complete.
    if tokens.get(*i).is_some_and(|t| t.is_ident("as")) {
        *i += 2;
    } else if tokens.get(*i).is_some_and(|t| t.is_punct("*")) {
        *i += 1;
    }
    if !prefix.is_empty() {
        out.push((prefix.clone(), line));
    }
    prefix.truncate(depth);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    Punct,
    Other,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    line: usize,
}

impl Token {
    fn is_ident(&self, text: &str) -> bool {
        self.kind == Kind::Ident && self.text == text
    }

    fn is_punct(&self, text: &str) -> bool {
        self.kind == Kind::Punct && self.text == text
    }
}

/// Splits Rust source into identifiers and punctuation with their lines,
/// dropping comments, string and character literals.
fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i, &mut line);
        } else if c == '"' {
            i = skip_string(&chars, i + 1, &mut line);
        } else if c == '\'' {
            i = skip_char_or_lifetime(&chars, i, &mut line);
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let here = chars.get(i).copied();
            match (word.as_str(), here) {
                ("r" | "br" | "cr", Some('#' | '"')) if is_raw_string(&chars, i) => {
                    i = skip_raw_string(&chars, i, &mut line);
                }
                ("r", Some('#')) => {
                    // A raw identifier, `r#type`: the name after the `#`.
                    i += 1;
                }
                ("b" | "c", Some('"')) => i = skip_string(&chars, i + 1, &mut line),
                ("b", Some('\'')) => i = skip_char_or_lifetime(&chars, i, &mut line),
                _ => tokens.push(Token {
                    kind: Kind::Ident,
                    text: word,
                    line,
                }),
            }
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token {
                kind: Kind::Other,
                text: String::new(),
                line,
            });
        } else if c == ':' && next == Some(':') {
            tokens.push(Token {
                kind: Kind::Punct,
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            tokens.push(Token {
                kind: Kind::Punct,
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    tokens
}

/// Past a (nested) block comment starting at `i`.
fn skip_block_comment(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    let mut depth = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            (c, _) => {
                if c == '\n' {
                    *line += 1;
                }
                i += 1;
            }
        }
    }
    i
}

/// Past the closing quote of a string whose body starts at `i`.
fn skip_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if chars.get(i + 1) == Some(&'\n') {
                    *line += 1;
                }
                i += 2;
            }
            '"' => return i + 1,
            c => {
                if c == '\n' {
                    *line += 1;
                }
                i += 1;
            }
        }
    }
    i
}

/// Whether `#…#"` or `"` at `i` opens a raw string (after `r`, `br`, `cr`).
fn is_raw_string(chars: &[char], mut i: usize) -> bool {
    while chars.get(i) == Some(&'#') {
        i += 1;
    }
    chars.get(i) == Some(&'"')
}

/// Past a raw string whose hashes (or quote) start at `i`.
fn skip_raw_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        if chars[i] == '\n' {
            *line += 1;
        }
        i += 1;
    }
    i
}

/// Past a character literal at `i` (`'x'`, `'\n'`, `'\u{1F600}'`); a
/// lifetime or label (`'a`) leaves only its quote behind.
fn skip_char_or_lifetime(chars: &[char], start: usize, line: &mut usize) -> usize {
    match chars.get(start + 1) {
        Some('\\') => {
            let mut j = start + 2;
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            j + 1
        }
        Some(&c) if chars.get(start + 2) == Some(&'\'') => {
            if c == '\n' {
                *line += 1;
            }
            start + 3
        }
        _ => start + 1,
    }
}

// ----------------------------------------------------------- the detector

/// The lines `impurities` flags in `source`, with what it found.
fn flagged(source: &str) -> Vec<(usize, String)> {
    impurities(source).into_iter().collect()
}

#[test]
fn flags_imports_of_forbidden_crates_and_std_modules() {
    for (source, what) in [
        ("use std::time::Instant;", "std::time"),
        ("use std::fs;", "std::fs"),
        ("use ::std::fs::File;", "std::fs"),
        ("use tokio::sync::mpsc;", "tokio"),
        ("pub use leptos::prelude::*;", "leptos"),
        ("pub(crate) use sqlx as db;", "sqlx"),
        ("use rand::Rng;", "rand"),
        ("use web_sys::window;", "web_sys"),
        ("use js_sys::Date;", "js_sys"),
        (
            "use std::{collections::HashMap, time::Duration};",
            "std::time",
        ),
        ("use std::{fs, io};", "std::fs"),
        ("use std::time::{self, Instant};", "std::time"),
        ("use {tokio::spawn, serde::Serialize};", "tokio"),
        ("extern crate rand;", "rand"),
        ("fn f() { use std::time::Instant; }", "std::time"),
    ] {
        assert_eq!(flagged(source), [(1, what.to_string())], "{source}");
    }
}

#[test]
fn flags_paths_to_forbidden_crates_and_std_modules() {
    for (source, what) in [
        ("let t = tokio::spawn(async {});", "tokio"),
        ("#[tokio::main]", "tokio"),
        ("let now = std::time::SystemTime::now();", "std::time"),
        ("let now = ::std::time::Instant::now();", "std::time"),
        ("let text = std::fs::read_to_string(path)?;", "std::fs"),
        ("let n: u8 = rand::random();", "rand"),
        ("let w = web_sys::window();", "web_sys"),
        ("let d = js_sys::Date::now();", "js_sys"),
        ("leptos::view! { <p>\"hi\"</p> }", "leptos"),
        ("let x = Vec::<sqlx::Row>::new();", "sqlx"),
    ] {
        assert_eq!(flagged(source), [(1, what.to_string())], "{source}");
    }
}

#[test]
fn names_the_line_of_the_offending_segment() {
    let source = "use std::{\n    collections::BTreeMap,\n    fs,\n};\n\nfn f() {\n    // fine\n    tokio::spawn(g());\n}\n";
    assert_eq!(
        flagged(source),
        [(3, "std::fs".to_string()), (8, "tokio".to_string())]
    );
}

#[test]
fn ignores_comments_strings_and_lookalike_names() {
    for source in [
        "// uses tokio::spawn",
        "/// Like `std::time::Instant`, but passed in.",
        "//! No leptos::view! here.",
        "/* use std::fs; /* nested: rand::random */ still a comment */",
        "let random_name = 1;",
        "let rand = 4; let time = rand + 1;",
        "let timestamp = ctx.now_ms;",
        "let s = \"tokio::spawn\";",
        "let s = r#\"use std::fs;\"#;",
        "let s = b\"sqlx::query\";",
        "let url = \"https://example.com\"; // rand::random",
        "use std::collections::HashMap;",
        "use crate::flow::time::Clock;",
        "let x = self::rand::roll();",
        "use super::{rand::Dice, fs::Disk};",
        "fn f<'a>(x: &'a str) -> char { 'x' }",
        "let q = '\"'; let t = tokio_like::spawn();",
        "let r#type = 1;",
    ] {
        assert_eq!(flagged(source), [], "{source}");
    }
}

#[test]
fn a_string_does_not_hide_what_follows_it() {
    let source = "let s = \"a // b\"; let t = std::time::Instant::now();\n'\\n'; let c = '\"'; tokio::spawn(f());";
    assert_eq!(
        flagged(source),
        [(1, "std::time".to_string()), (2, "tokio".to_string())]
    );
}
