//! Contacts: tags, attributes, search, CSV exports, and the flow reading and writing them.
