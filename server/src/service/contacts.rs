//! Contacts: list, search, tags and attributes, CSV exports.
