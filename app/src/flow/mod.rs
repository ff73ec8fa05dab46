//! Flows, pure: no IO, no clock, no randomness. Editing operations and
//! canvas geometry live in [`crate::editor_core`], which only the editor uses.
//!
//! Map:
//! - [`doc`]: the versioned flow document: its shape, with one private file
//!   each for the node kinds and their settings (`kinds`), what each kind's
//!   ports do (`ports`), and reading, writing and migrating JSON (`parse`).
//! - [`validate`](mod@validate): every problem of a document, worded for a
//!   merchant, with one private file per family of checks: `structure`
//!   (sizes, ids, start, triggers), `graph` (connections, reachability),
//!   `loops` (loops that never wait) and `settings` (each step's settings
//!   and the channels' limits).
//! - [`interpreter`]: the pure [`step`] and the run loop, with one private
//!   file per step family: `answers` (typed text and taps), `catalog`
//!   (product carousels), `cart` (show cart, WhatsApp carts), `checkout`
//!   (confirming, paying, placing orders) and `http` (the merchant's API).
//! - [`number`]: exact decimals as shoppers type them (a leaf).
//! - [`payload`]: what a tapped button carries back.
//! - [`simulate`]: scripted conversations for the simulate API and the
//!   editor's "Try it" chat.
//! - [`templates`]: built-in flows a merchant can start from.
//! - [`text`]: matching what shoppers type, and `{{variable}}` interpolation.

pub mod doc;
pub mod interpreter;
pub mod number;
pub mod payload;
pub mod simulate;
pub mod templates;
pub mod text;
pub mod validate;

pub use doc::{FlowDoc, Node, NodeId, NodeKind};
pub use interpreter::{Ctx, Effect, Input, Session, Step, ValidFlow, step};
pub use validate::{Problem, Report, Severity, validate};
