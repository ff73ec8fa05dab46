//! A small fuzzing harness for stable Rust, where cargo-fuzz and libFuzzer
//! (nightly only) are not available: a seeded RNG, byte, text and
//! JSON-structure mutators over a corpus of valid seeds, structure-aware
//! generators per target, and a loop that runs each input under
//! `catch_unwind` and checks the target's properties.
//!
//! Guidance is cheap rather than coverage-based: each execution returns a
//! signature of what the parser made of the input (which events, which
//! problems), and an input with a signature not seen before joins the
//! corpus, so later mutations start from inputs that reach further.
//!
//! Settings (environment):
//! - `FUZZ_EXECS`: executions per target (default: the short pass, 10,000
//!   in `make test`'s debug build and 20,000 in a release build;
//!   `make fuzz` runs 1,000,000).
//! - `FUZZ_SEED`: the RNG seed (default 1). A run is deterministic for a
//!   seed, so a failure reproduces with the seed it printed.
//! - `FUZZ_TARGET` (or a test-name filter argument): only targets whose
//!   name contains it.
//! - `FUZZ_INPUT`: a hex input to run once, without catching its panic,
//!   against the selected targets (to reproduce a printed failure).
//!
//! Shared by the `fuzz` test targets of `app` and `server` (the latter
//! includes this file by path).

#![allow(dead_code, reason = "each fuzz binary uses a different part")]

use std::cell::RefCell;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The short pass: what `cargo test` runs when `FUZZ_EXECS` is unset;
/// half as many in a debug build (`make test`), where serde_json runs
/// unoptimised, so the pass stays well under a minute.
pub const DEFAULT_EXECS: u64 = if cfg!(debug_assertions) {
    10_000
} else {
    20_000
};
/// Inputs are cut to this size unless a target says otherwise, so a run of
/// inserts cannot grow one without bound and slow every later execution.
pub const MAX_INPUT: usize = 64 * 1024;
/// Most inputs the corpus keeps (seeds included).
const MAX_CORPUS: usize = 2048;
/// Distinct failures kept and printed per target.
const MAX_FAILURES: usize = 5;
/// An execution slower than this is reported as a failure (a hang or a
/// quadratic blow-up on hostile input).
const SLOW: Duration = Duration::from_secs(2);

/// A fast, seeded RNG (SplitMix64): the same seed gives the same run.
pub struct Rng(u64);

impl Rng {
    /// An RNG from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of `items`, for string tables.
    pub fn pick_str<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A small size, biased towards 0 and 1: `0..=max`.
    pub fn small(&mut self, max: usize) -> usize {
        let n = self.below(max + 1);
        self.below(n + 1)
    }
}

/// How inputs of a target are mutated besides plain byte mutations.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// JSON: values are replaced, removed, duplicated and nested.
    Json,
    /// Text: whole characters are inserted, removed and repeated.
    Text,
}

/// What one execution found: `Ok(signature)` of the outcome, for corpus
/// guidance, or `Err(why)` when a property broke.
pub type Outcome = Result<u64, String>;

/// One parser under test.
pub struct Target {
    /// Shown in the report; `FUZZ_TARGET` matches it.
    pub name: &'static str,
    /// How its inputs are mutated.
    pub shape: Shape,
    /// Longest input to try, in bytes.
    pub max_len: usize,
    /// Valid inputs to start from.
    pub seeds: Vec<Vec<u8>>,
    /// Tokens worth inserting (besides the shared ones).
    pub dictionary: &'static [&'static str],
    /// A fresh, structure-aware input.
    pub generate: fn(&mut Rng) -> Vec<u8>,
    /// Runs the parser on one input and checks its properties.
    pub exec: fn(&[u8]) -> Outcome,
}

/// A stable hash of anything, for signatures.
pub fn signature(v: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// Characters that straddle the edges parsers get wrong: multi-byte UTF-8,
/// case mappings that change length, invisible and combining characters.
pub const TRICKY: &[&str] = &[
    "é", "€", "😀", "\u{feff}", "\u{200b}", "\u{a0}", "İ", "ß", "ﬁ", "\u{301}", "٣", "½", "¹",
    "\u{2028}", "\u{0}", "\u{7f}", "\t", "\r\n", "\n", "\r", "\"", "\\", "'", "<", ">", "&",
];

/// Numbers at the edges of the integer and float types.
pub const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "255",
    "256",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "1e308",
    "1e309",
    "-1e-400",
    "1.7976931348623157e308",
    "5e-324",
    "0.1",
    "1.5",
    "00001",
    "1e3",
    "123456789012345678901234567890",
];

/// A string to put in a field: ids, empties, extremes and tricky text.
pub fn any_string(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => String::new(),
        1 => rng.pick(TRICKY).to_string(),
        2 => rng.pick(NUMBERS).to_string(),
        3 => {
            let unit = rng.pick(TRICKY);
            let most = if rng.one_in(8) { 5000 } else { 100 };
            unit.repeat(rng.range(1, most))
        }
        4 => {
            let most = if rng.one_in(8) { 5000 } else { 300 };
            "x".repeat(rng.range(60, most))
        }
        5 => {
            let n = rng.range(1, 12);
            (0..n).map(|_| *rng.pick(TRICKY)).collect()
        }
        _ => {
            let n = rng.range(1, 16);
            (0..n)
                .map(|_| *rng.pick(b"abcXYZ019_-:. "))
                .map(char::from)
                .collect()
        }
    }
}

/// A JSON value at the edges: extreme numbers, odd strings, wrong types and
/// deep nesting.
pub fn any_value(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => Value::Bool(rng.one_in(2)),
        2 => Value::from(*rng.pick(&[
            i64::MIN,
            i64::MAX,
            -1,
            0,
            1,
            i64::from(u32::MAX),
            i64::from(u32::MAX) + 1,
        ])),
        3 => Value::from(u64::MAX),
        4 => Value::from(*rng.pick(&[1e308, -1e308, 0.5, -0.0, 1e-300, 12.345])),
        5 => Value::Array(Vec::new()),
        6 => Value::Object(serde_json::Map::new()),
        7 => nested(
            rng.pick(&[2, 10, 64, 120, 127, 200]).to_owned(),
            rng.one_in(2),
        ),
        _ => Value::String(any_string(rng)),
    }
}

/// Arrays (or objects) nested `depth` deep.
pub fn nested(depth: usize, objects: bool) -> Value {
    let mut v = Value::Null;
    for _ in 0..depth {
        v = if objects {
            serde_json::json!({ "a": v })
        } else {
            Value::Array(vec![v])
        };
    }
    v
}

/// Mutates `input` with 1 to 4 stacked mutations; `other` is another corpus
/// input, for splicing. JSON is parsed once and written once however many
/// structure mutations are stacked.
pub fn mutate(rng: &mut Rng, target: &Target, input: &[u8], other: &[u8]) -> Vec<u8> {
    enum Data {
        Bytes(Vec<u8>),
        Json(Value),
    }
    let bytes = |data: Data, rng: &mut Rng| match data {
        Data::Bytes(b) => b,
        Data::Json(v) if rng.one_in(8) => serde_json::to_vec_pretty(&v).unwrap_or_default(),
        Data::Json(v) => serde_json::to_vec(&v).unwrap_or_default(),
    };
    let mut data = Data::Bytes(input.to_vec());
    let mut donor = None;
    for _ in 0..rng.range(1, 4) {
        data = match (target.shape, rng.below(3), data) {
            (Shape::Json, 0 | 1, Data::Json(mut v)) => {
                let donor = donor.get_or_insert_with(|| serde_json::from_slice(other).ok());
                mutate_json(rng, &mut v, donor.as_ref());
                Data::Json(v)
            }
            (Shape::Json, 0 | 1, Data::Bytes(b)) => match serde_json::from_slice::<Value>(&b) {
                Ok(mut v) => {
                    let donor = donor.get_or_insert_with(|| serde_json::from_slice(other).ok());
                    mutate_json(rng, &mut v, donor.as_ref());
                    Data::Json(v)
                }
                Err(_) => Data::Bytes(mutate_bytes(rng, target.dictionary, b, other)),
            },
            (Shape::Text, 0, d) => {
                let b = bytes(d, rng);
                Data::Bytes(mutate_text(rng, target.dictionary, &b))
            }
            (_, _, d) => {
                let b = bytes(d, rng);
                Data::Bytes(mutate_bytes(rng, target.dictionary, b, other))
            }
        };
        if let Data::Bytes(b) = &mut data {
            b.truncate(target.max_len);
        }
    }
    let mut out = bytes(data, rng);
    out.truncate(target.max_len);
    out
}

fn token<'a>(rng: &mut Rng, dictionary: &[&'a str]) -> &'a str {
    match rng.below(3) {
        0 if !dictionary.is_empty() => rng.pick_str(dictionary),
        1 => rng.pick_str(NUMBERS),
        _ => rng.pick_str(TRICKY),
    }
}

/// Byte-level mutations: flips, inserts, deletes, copies, splices, cuts
/// inside multi-byte characters and number swaps.
pub fn mutate_bytes(rng: &mut Rng, dictionary: &[&str], mut d: Vec<u8>, other: &[u8]) -> Vec<u8> {
    let len = d.len();
    let at = rng.below(len + 1);
    match rng.below(11) {
        0 if len > 0 => {
            let i = rng.below(len);
            d[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            d[i] = *rng.pick(&[0, 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xf0, 0xff, b'"', b'\\']);
        }
        2 => {
            let n = rng.range(1, 8);
            for _ in 0..n {
                d.insert(at, rng.next_u64() as u8);
            }
        }
        3 => {
            let t = token(rng, dictionary);
            d.splice(at..at, t.bytes());
        }
        4 if len > 0 => {
            let n = rng.range(1, (len - at.min(len - 1)).min(64));
            let from = at.min(len - 1);
            d.drain(from..(from + n).min(len));
        }
        5 if len > 0 => {
            // Copy a run of the input elsewhere, sometimes many times.
            let from = rng.below(len);
            let n = rng.range(1, (len - from).min(256));
            let run = d[from..from + n].to_vec();
            for _ in 0..if rng.one_in(8) { rng.range(2, 64) } else { 1 } {
                d.splice(at..at, run.iter().copied());
            }
        }
        6 if !other.is_empty() => {
            // Splice: this input's head with another's tail.
            let cut = rng.below(other.len());
            d.truncate(at);
            d.extend_from_slice(&other[cut..]);
        }
        7 if len > 0 => d.truncate(rng.below(len)),
        8 => {
            // Cut a multi-byte character in two.
            if let Some(i) = (0..len).map(|k| (at + k) % len).find(|&i| d[i] >= 0x80) {
                d.remove(i);
            }
        }
        9 => {
            // Replace a run of digits with an extreme number.
            if let Some(start) = (0..len)
                .map(|k| (at + k) % len)
                .find(|&i| d[i].is_ascii_digit())
            {
                let end = (start..len)
                    .find(|&i| !d[i].is_ascii_digit())
                    .unwrap_or(len);
                d.splice(start..end, rng.pick(NUMBERS).bytes());
            }
        }
        _ => {
            let t = token(rng, dictionary);
            let n = rng.range(1, 8);
            for _ in 0..n {
                d.splice(at..at, t.bytes());
            }
        }
    }
    d
}

/// Character-level mutations of (lossily decoded) text.
pub fn mutate_text(rng: &mut Rng, dictionary: &[&str], d: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(d);
    let mut chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    match rng.below(5) {
        0 => {
            let t = token(rng, dictionary);
            chars.splice(at..at, t.chars());
        }
        1 if !chars.is_empty() => {
            let n = rng.range(1, 4).min(chars.len() - at.min(chars.len() - 1));
            let from = at.min(chars.len() - 1);
            chars.drain(from..from + n);
        }
        2 if !chars.is_empty() => {
            let c = chars[rng.below(chars.len())];
            let n = rng.range(1, 40);
            chars.splice(at..at, std::iter::repeat_n(c, n));
        }
        3 => {
            let c = *rng.pick(&['0', '9', '.', ',', '-', '+', ' ', '_', 'e']);
            chars.insert(at, c);
        }
        _ if chars.len() < 4096 => {
            let s: String = chars.iter().collect();
            chars = s.repeat(rng.range(2, 8)).chars().collect();
        }
        _ => chars.truncate(at),
    }
    chars.into_iter().collect::<String>().into_bytes()
}

enum Seg {
    Idx(usize),
    Key(String),
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(o) => o.values().map(count).sum(),
        _ => 0,
    }
}

/// The path to the `k`th value of `v` in pre-order (`k` counts down to 0
/// as values are passed).
fn path_to(v: &Value, k: &mut usize, path: &mut Vec<Seg>) -> bool {
    if *k == 0 {
        return true;
    }
    *k -= 1;
    match v {
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                path.push(Seg::Idx(i));
                if path_to(c, k, path) {
                    return true;
                }
                path.pop();
            }
        }
        Value::Object(o) => {
            for (key, c) in o {
                path.push(Seg::Key(key.clone()));
                if path_to(c, k, path) {
                    return true;
                }
                path.pop();
            }
        }
        _ => {}
    }
    false
}

/// The path to a random value of `v`.
fn random_path(rng: &mut Rng, v: &Value) -> Vec<Seg> {
    let mut path = Vec::new();
    path_to(v, &mut rng.below(count(v)), &mut path);
    path
}

fn at_path<'a>(mut v: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    for seg in path {
        v = match seg {
            Seg::Idx(i) => &mut v[*i],
            Seg::Key(k) => &mut v[k.as_str()],
        };
    }
    v
}

fn random_node<'a>(rng: &mut Rng, v: &'a Value) -> &'a Value {
    let path = random_path(rng, v);
    let mut cur = v;
    for seg in &path {
        cur = match seg {
            Seg::Idx(i) => &cur[*i],
            Seg::Key(k) => &cur[k.as_str()],
        };
    }
    cur
}

/// JSON-structure mutations: one value of `v` is replaced by an extreme
/// one or by a value from `donor`, or an object or array around it is
/// changed.
pub fn mutate_json(rng: &mut Rng, v: &mut Value, donor: Option<&Value>) {
    let path = random_path(rng, v);
    let graft = match donor {
        Some(d) if rng.one_in(3) => Some(random_node(rng, d).clone()),
        _ if rng.one_in(4) => Some(random_node(rng, v).clone()),
        _ => None,
    };
    let node = at_path(v, &path);
    if let Some(g) = graft {
        *node = g;
        return;
    }
    match node {
        Value::Object(o) if !o.is_empty() && rng.one_in(2) => {
            let keys: Vec<String> = o.keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            match rng.below(3) {
                0 => {
                    o.remove(&key);
                }
                1 => {
                    if let Some(val) = o.remove(&key) {
                        o.insert(format!("{key}{}", token(rng, &[])), val);
                    }
                }
                _ => {
                    o.insert(key, any_value(rng));
                }
            }
        }
        Value::Array(a) if !a.is_empty() && rng.one_in(2) => {
            let i = rng.below(a.len());
            match rng.below(3) {
                0 => {
                    a.remove(i);
                }
                1 => {
                    let copy = a[i].clone();
                    // Many copies of small values, few of large ones.
                    let most = (20_000 / count(&copy)).max(1);
                    let n = if rng.one_in(4) {
                        rng.range(1, most.min(1200))
                    } else {
                        1
                    };
                    for _ in 0..n {
                        a.insert(i, copy.clone());
                    }
                }
                _ => {
                    let j = rng.below(a.len());
                    a.swap(i, j);
                }
            }
        }
        Value::String(s) if rng.one_in(2) => {
            let mutated = mutate_text(rng, &[], s.as_bytes());
            *s = String::from_utf8_lossy(&mutated).into_owned();
        }
        _ => *node = any_value(rng),
    }
}

/// Renders an input for a report: its bytes in hex, and as text when it is
/// valid UTF-8.
pub fn show(input: &[u8]) -> String {
    let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
    match std::str::from_utf8(input) {
        Ok(text) => format!("  text: {text:?}\n  hex:  {hex}"),
        Err(_) => format!("  hex:  {hex}"),
    }
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    s.len()
        .is_multiple_of(2)
        .then(|| {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten()
}

thread_local! {
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs one input, catching a panic: `Err(why)` on a panic or a broken
/// property.
fn run_one(target: &Target, input: &[u8]) -> Result<u64, String> {
    match catch_unwind(AssertUnwindSafe(|| (target.exec)(input))) {
        Ok(Ok(sig)) => Ok(sig),
        Ok(Err(why)) => Err(format!("property broken: {why}")),
        Err(_) => Err(LAST_PANIC.with(|p| p.borrow().clone())),
    }
}

/// The first line of a failure: where it panicked, or which property broke.
fn kind_of(why: &str) -> &str {
    why.lines().next().unwrap_or(why)
}

/// Whether `input` still fails the way `kind` says.
fn fails_as(target: &Target, input: &[u8], kind: &str) -> bool {
    matches!(run_one(target, input), Err(w) if kind_of(&w) == kind)
}

/// `v` without the value at `path` (or with it emptied, with `simplify`).
fn without(v: &Value, path: &[Seg], simplify: bool) -> Option<Value> {
    let mut out = v.clone();
    let (last, parent) = path.split_last()?;
    let parent = at_path(&mut out, parent);
    if simplify {
        let node = match last {
            Seg::Idx(i) => parent.get_mut(*i)?,
            Seg::Key(k) => parent.get_mut(k.as_str())?,
        };
        let simpler = match node {
            Value::String(s) if !s.is_empty() => Value::String(String::new()),
            Value::Number(n) if n.as_u64() != Some(0) => Value::from(0),
            _ => return None,
        };
        *node = simpler;
    } else {
        match (parent, last) {
            (Value::Array(a), Seg::Idx(i)) => {
                a.remove(*i);
            }
            (Value::Object(o), Seg::Key(k)) => {
                o.remove(k);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Shrinks a failing JSON input value by value: each array element or
/// object member is dropped, or its string or number emptied, while the
/// input still fails the same way.
fn minimize_json(target: &Target, mut best: Value, kind: &str, budget: &mut u32) -> Value {
    loop {
        let mut progress = false;
        // Last value first, so a removal leaves the earlier indices valid.
        let mut k = count(&best);
        while k > 1 && *budget > 0 {
            k -= 1;
            let mut path = Vec::new();
            if !path_to(&best, &mut k.clone(), &mut path) {
                continue;
            }
            for simplify in [false, true] {
                let Some(candidate) = without(&best, &path, simplify) else {
                    continue;
                };
                *budget = budget.saturating_sub(1);
                let bytes = serde_json::to_vec(&candidate).unwrap_or_default();
                if fails_as(target, &bytes, kind) {
                    best = candidate;
                    progress = true;
                    break;
                }
            }
            k = k.min(count(&best));
        }
        if !progress || *budget == 0 {
            return best;
        }
    }
}

/// Shrinks a failing input: value by value for JSON, then by deleting
/// byte chunks, while it still fails the same way, within a bounded number
/// of executions.
fn minimize(target: &Target, input: &[u8], why: &str) -> Vec<u8> {
    let kind = kind_of(why).to_string();
    let mut best = input.to_vec();
    let mut budget = 20_000;
    if target.shape == Shape::Json
        && let Ok(v) = serde_json::from_slice::<Value>(&best)
    {
        let small = minimize_json(target, v, &kind, &mut budget);
        if let Ok(bytes) = serde_json::to_vec(&small)
            && fails_as(target, &bytes, &kind)
        {
            best = bytes;
        }
    }
    let mut chunk = best.len().div_ceil(2).max(1);
    while budget > 0 {
        let mut i = 0;
        let mut shrunk = false;
        while i < best.len() && budget > 0 {
            budget -= 1;
            let mut candidate = best.clone();
            candidate.drain(i..(i + chunk).min(best.len()));
            if fails_as(target, &candidate, &kind) {
                best = candidate;
                shrunk = true;
            } else {
                i += chunk;
            }
        }
        if !shrunk {
            if chunk == 1 {
                break;
            }
            chunk /= 2;
        }
    }
    best
}

struct Failure {
    why: String,
    input: Vec<u8>,
    exec: u64,
}

/// What one target's run found.
struct Report {
    execs: u64,
    elapsed: Duration,
    failures: Vec<Failure>,
    total_failures: u64,
    corpus: usize,
    slowest: Duration,
}

fn fuzz(target: &Target, execs: u64, seed: u64) -> Report {
    let mut rng = Rng::new(seed ^ signature(target.name));
    let mut corpus: Vec<Vec<u8>> = target.seeds.clone();
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    let mut seen: HashSet<u64> = HashSet::new();
    let mut failures: Vec<Failure> = Vec::new();
    let mut total_failures = 0;
    let mut slowest = Duration::ZERO;
    let start = Instant::now();
    for exec in 0..execs {
        // Every seed once as it is, then mutated corpus entries and fresh
        // generated inputs.
        let input = if (exec as usize) < target.seeds.len() {
            target.seeds[exec as usize].clone()
        } else if rng.one_in(5) {
            let mut g = (target.generate)(&mut rng);
            g.truncate(target.max_len);
            g
        } else {
            let base = &corpus[rng.below(corpus.len())];
            let other = &corpus[rng.below(corpus.len())];
            mutate(&mut rng, target, base, other)
        };
        let t0 = Instant::now();
        let result = run_one(target, &input);
        let took = t0.elapsed();
        slowest = slowest.max(took);
        let result = match result {
            Ok(_) if took > SLOW => Err(format!("slow: one execution took {took:?}")),
            other => other,
        };
        match result {
            Ok(sig) => {
                if seen.insert(sig) && corpus.len() < MAX_CORPUS {
                    corpus.push(input);
                }
            }
            Err(why) => {
                total_failures += 1;
                let known = failures.iter().any(|f| kind_of(&f.why) == kind_of(&why));
                if !known && failures.len() < MAX_FAILURES {
                    failures.push(Failure { why, input, exec });
                }
            }
        }
    }
    Report {
        execs,
        elapsed: start.elapsed(),
        failures,
        total_failures,
        corpus: corpus.len(),
        slowest,
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Runs the targets as the settings say and reports one line per target;
/// fails when any input panicked or broke a property.
pub fn main_with(targets: Vec<Target>) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        for t in &targets {
            println!("{}: test", t.name);
        }
        return ExitCode::SUCCESS;
    }
    // libtest's arguments are accepted; a bare word is a name filter.
    let filter = std::env::var("FUZZ_TARGET").ok().or_else(|| {
        args.iter()
            .find(|a| !a.starts_with('-') && a.parse::<u64>().is_err())
            .cloned()
    });
    let selected: Vec<&Target> = targets
        .iter()
        .filter(|t| filter.as_deref().is_none_or(|f| t.name.contains(f)))
        .collect();
    if let Ok(hex) = std::env::var("FUZZ_INPUT") {
        let Some(input) = parse_hex(&hex) else {
            eprintln!("FUZZ_INPUT must be hex");
            return ExitCode::FAILURE;
        };
        for t in selected {
            println!("{}: {:?}", t.name, (t.exec)(&input));
        }
        return ExitCode::SUCCESS;
    }
    let execs = env_u64("FUZZ_EXECS", DEFAULT_EXECS);
    let seed = env_u64("FUZZ_SEED", 1);
    // A panic's message is kept for the report instead of printed for
    // every crashing input.
    std::panic::set_hook(Box::new(|info| {
        LAST_PANIC.with(|p| *p.borrow_mut() = info.to_string());
    }));
    println!(
        "fuzzing {} target(s), {execs} executions each, FUZZ_SEED={seed}",
        selected.len()
    );
    let mut failed = false;
    for target in selected {
        let r = fuzz(target, execs, seed);
        let secs = r.elapsed.as_secs_f64();
        println!(
            "fuzz {:<16} {:>9} execs in {:>7.2}s ({:>8.0} execs/s), crashes: {}, corpus: {}, slowest: {:.1?}",
            target.name,
            r.execs,
            secs,
            r.execs as f64 / secs.max(1e-9),
            r.total_failures,
            r.corpus,
            r.slowest
        );
        for f in &r.failures {
            failed = true;
            let small = minimize(target, &f.input, &f.why);
            let why = run_one(target, &small)
                .err()
                .unwrap_or_else(|| f.why.clone());
            let hex: String = small.iter().map(|b| format!("{b:02x}")).collect();
            println!(
                "CRASH in {} (execution {}, FUZZ_SEED={seed}): {why}\n input ({} bytes):\n{}\n minimized ({} bytes):\n{}\n reproduce: FUZZ_TARGET={} FUZZ_INPUT={hex}",
                target.name,
                f.exec,
                f.input.len(),
                show(&f.input[..f.input.len().min(4096)]),
                small.len(),
                show(&small),
                target.name,
            );
        }
    }
    let _ = std::panic::take_hook();
    if failed {
        println!("fuzzing found failures");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
