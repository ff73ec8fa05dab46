//! The editor's pure core: editing operations with undo ([`edit`]) and
//! canvas geometry ([`layout`]). Only the editor uses it; the server and
//! the interpreter never do. Like [`crate::flow`] it does no IO and builds
//! natively, so its rules are unit- and property-tested without a browser.

pub mod edit;
pub mod layout;
