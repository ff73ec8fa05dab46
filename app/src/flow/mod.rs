//! Flows, pure: the versioned document ([`doc`]), its validation
//! ([`validate`]), the interpreter ([`interpreter`]), button payloads
//! ([`payload`]), text matching and interpolation ([`text`]) and the
//! built-in templates ([`templates`]). No IO, no clock, no randomness.

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
