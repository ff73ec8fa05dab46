//! Contacts: one per shopper per channel of a workspace, with tags and
//! attributes (issue 12, contacts).
