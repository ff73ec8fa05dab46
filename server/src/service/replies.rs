//! Replies typed by people in the inbox, within the channels' windows.
